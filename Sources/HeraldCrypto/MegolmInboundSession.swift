import Crypto
import _CryptoExtras

/// Whether a session's keys are known to come from the session's owner.
public enum MegolmKeyAuthenticity: UInt8, Sendable {
    /// From an `m.room_key` session key, signed by the session's own Ed25519 key (or merged with one).
    case signed = 0
    /// From an export (`m.forwarded_room_key`, key backup, a key file): nothing proves its origin.
    case unsigned = 1
}

/// The receiving side of one Megolm session: the ratchet at the first index Herald can decrypt,
/// the ratchet at the highest index decrypted so far, and the session's Ed25519 key, whose base64
/// is the session ID. Keeping the latest ratchet (as vodozemac does) makes the next message cost a
/// step or two instead of a walk from the first index; the first one stays, so an earlier message
/// arriving late still decrypts.
///
/// In memory a session is about 440 bytes: the struct itself (`MemoryLayout` size at most 48: three
/// array references, two indices and the authenticity) plus three heap buffers, two of 128 ratchet
/// bytes and one of 32 key bytes, each with a 32-byte array header. Pickled it is `pickleBytes`
/// (298) bytes before the caller seals it.
public struct MegolmInboundSession: Sendable {
    /// The ratchet at `firstKnownIndex`. Decrypting never moves it.
    private(set) var ratchet: MegolmRatchet
    /// The ratchet at the highest index a verified message had, at or after `ratchet`. Moves only
    /// forward, and only once a message's MAC has checked.
    private(set) var latest: MegolmRatchet
    /// The session's Ed25519 public key.
    let signingKey: [UInt8]
    public internal(set) var authenticity: MegolmKeyAuthenticity

    init(ratchet: MegolmRatchet, latest: MegolmRatchet? = nil, signingKey: [UInt8], authenticity: MegolmKeyAuthenticity) throws {
        guard signingKey.count == MegolmLimits.publicKeyBytes else { throw CryptoError.malformed("Megolm signing key") }
        guard (latest?.index ?? ratchet.index) >= ratchet.index else { throw CryptoError.malformed("Megolm latest ratchet") }
        self.ratchet = ratchet
        self.latest = latest ?? ratchet
        self.signingKey = signingKey
        self.authenticity = authenticity
    }

    /// From the `session_key` of an `m.room_key` event (version 2), whose signature must verify.
    public init(sessionKey: String) throws {
        let bytes = try Self.decodeKey(sessionKey, length: MegolmLimits.sessionKeyBytes, version: 2)
        let signedEnd = MegolmLimits.exportedKeyBytes
        guard try Self.verify(bytes[signedEnd...], of: bytes[..<signedEnd], key: bytes[(signedEnd - 32)..<signedEnd]) else {
            throw CryptoError.badSignature
        }
        try self.init(fields: bytes, authenticity: .signed)
    }

    /// From an exported session key (version 1): `m.forwarded_room_key`, key backup or a key file.
    /// Nothing authenticates it, so the session is `.unsigned`.
    public init(exportedKey: String) throws {
        let bytes = try Self.decodeKey(exportedKey, length: MegolmLimits.exportedKeyBytes, version: 1)
        try self.init(fields: bytes, authenticity: .unsigned)
    }

    /// Both key formats start `version ‖ index (u32 BE) ‖ ratchet (128) ‖ public key (32)`.
    private init(fields bytes: [UInt8], authenticity: MegolmKeyAuthenticity) throws {
        let index = bytes[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let ratchetEnd = 5 + MegolmLimits.ratchetBytes
        try self.init(
            ratchet: try MegolmRatchet(bytes: bytes[5..<ratchetEnd], index: index),
            signingKey: Array(bytes[ratchetEnd..<(ratchetEnd + MegolmLimits.publicKeyBytes)]),
            authenticity: authenticity)
    }

    private static func decodeKey(_ text: String, length: Int, version: UInt8) throws -> [UInt8] {
        guard let bytes = UnpaddedBase64.decode(text, maxBytes: length) else { throw CryptoError.malformed("Megolm session key") }
        guard bytes.first == version else { throw CryptoError.unsupported("Megolm session key version") }
        guard bytes.count == length else { throw CryptoError.malformed("Megolm session key (length \(bytes.count))") }
        return bytes
    }

    private static func verify(_ signature: ArraySlice<UInt8>, of message: ArraySlice<UInt8>, key: some Collection<UInt8>) throws -> Bool {
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: Array(key)) else {
            throw CryptoError.malformed("Megolm signing key")
        }
        return publicKey.isValidSignature(Array(signature), for: Array(message))
    }

    /// The session ID: the unpadded base64 of the session's Ed25519 key.
    public var sessionID: String { UnpaddedBase64.encode(signingKey) }
    /// The lowest message index this session can decrypt.
    public var firstKnownIndex: UInt32 { ratchet.index }
    public var isAuthenticated: Bool { authenticity == .signed }

    /// Decrypts the `ciphertext` of an `m.room.encrypted` event. The signature is checked first (it
    /// ties the message to this session and costs no ratchet work), then the index against
    /// `firstKnownIndex`, then the MAC with the keys at that index, in constant time. Only then does
    /// the latest ratchet move to the message's index. The caller still checks the index against
    /// its `MegolmReplayGuard` and the plaintext's `room_id`.
    public mutating func decrypt(_ ciphertext: String) throws -> MegolmDecryptedMessage {
        let opened = try open(ciphertext)
        if opened.ratchet.index > latest.index { latest = opened.ratchet }
        return opened.message
    }

    /// The message, the ratchet at its index, and the HMACs spent getting there; changes nothing.
    func open(_ ciphertext: String) throws -> (message: MegolmDecryptedMessage, ratchet: MegolmRatchet, hashes: Int) {
        let message = try MegolmMessage(base64: ciphertext)
        guard try Self.verify(message.signature, of: message.signed, key: signingKey) else { throw CryptoError.badSignature }
        guard message.index >= ratchet.index else { throw CryptoError.indexTooLow(message.index) }
        var current = message.index >= latest.index ? latest : ratchet
        let hashes = current.advance(to: message.index)
        let plaintext = try MessageCipher(secret: current.bytes, info: "MEGOLM_KEYS")
            .decrypt(Array(message.ciphertext), authenticated: Array(message.authenticated), mac: message.mac, what: "Megolm")
        return (MegolmDecryptedMessage(plaintext: plaintext, messageIndex: message.index), current, hashes)
    }
}

/// What a Megolm message decrypted to: the event JSON (`{type, content, room_id}`) and its index.
public struct MegolmDecryptedMessage: Sendable, Equatable {
    public let plaintext: [UInt8]
    public let messageIndex: UInt32
}
