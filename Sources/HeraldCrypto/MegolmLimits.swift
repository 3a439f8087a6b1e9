/// Every bound on Megolm input and state, in one place.
public enum MegolmLimits {
    /// Largest decoded Megolm message accepted. A room event is at most 64 KiB as JSON, so its
    /// base64 ciphertext always decodes to less; anything longer is refused before it is parsed.
    public static let maxMessageBytes = 64 * 1024

    /// Smallest well-formed message: version, the two field tags with a one-byte index and a
    /// one-byte length, one AES block, the 8-byte MAC and the 64-byte signature.
    static let minMessageBytes = 1 + 2 + 2 + 16 + macBytes + signatureBytes

    /// Message indices remembered per session by `MegolmReplayGuard`. Past this the lowest are
    /// forgotten and any index at or below them that was never recorded is refused.
    public static let replayIndicesPerSession = 256

    /// Longest event ID the replay guard stores; the spec caps event IDs at 255 bytes.
    public static let maxEventIDBytes = 255

    /// The most HMACs one `MegolmRatchet.advance(to:)` spends: 254 plain steps plus the re-seed
    /// of the parts below, for each of R0..R3 (see `MegolmRatchet`).
    public static let maxHashesPerAdvance = 4 * 254 + 4 + 3 + 2 + 1

    static let ratchetBytes = 128
    static let partBytes = 32
    static let publicKeyBytes = 32
    static let signatureBytes = 64
    static let macBytes = 8

    /// `m.room_key` session key: version 2, index, ratchet, public key, signature.
    static let sessionKeyBytes = 1 + 4 + ratchetBytes + publicKeyBytes + signatureBytes
    /// Exported session key: version 1, index, ratchet, public key; no signature.
    static let exportedKeyBytes = 1 + 4 + ratchetBytes + publicKeyBytes
}
