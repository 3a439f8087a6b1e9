import Crypto

/// The recovery key a user writes down for secret storage (spec appendices, Cryptographic key
/// representation): base58 of `0x8B 0x01 ‖ key (32 bytes) ‖ parity`, where the parity byte makes
/// the XOR of all 35 bytes zero, shown in groups of 4 characters separated by spaces.
public enum RecoveryKey {
    static let prefix: [UInt8] = [0x8B, 0x01]
    static let keyBytes = 32
    /// Every 35-byte value starting 0x8B 0x01 has exactly 48 base58 digits.
    public static let characterCount = 48

    /// Checks the form of the recovery key typed as `text` (UTF-8) without keeping the key: what
    /// a client does before sending it anywhere. Throws the typo found, as `decode` does.
    public static func check(_ text: [UInt8]) throws(RecoveryKeyError) {
        _ = try decode(text)
    }

    /// The 32-byte key in `text` (UTF-8), ignoring whitespace. Typos are caught in this order:
    /// a character outside base58, a wrong count, a wrong prefix, a wrong parity byte.
    static func decode(_ text: [UInt8]) throws(RecoveryKeyError) -> SymmetricKey {
        var compact: [UInt8] = []
        compact.reserveCapacity(min(text.count, 4 * characterCount))
        defer { Wipe.bytes(&compact) }
        for byte in text where !isSpace(byte) {
            guard Base58.digit(byte) != nil else { throw .badCharacter(position: compact.count + 1) }
            guard compact.count < 4 * characterCount else { throw .wrongLength(characters: text.count { !isSpace($0) }) }
            compact.append(byte)
        }
        guard compact.count == characterCount else { throw .wrongLength(characters: compact.count) }
        var bytes = Base58.decode(compact)
        defer { Wipe.bytes(&bytes) }
        guard bytes.count == prefix.count + keyBytes + 1, bytes.starts(with: prefix) else { throw .wrongPrefix }
        guard bytes.reduce(0, ^) == 0 else { throw .badParity }
        return SymmetricKey(data: bytes[prefix.count..<(prefix.count + keyBytes)])
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
