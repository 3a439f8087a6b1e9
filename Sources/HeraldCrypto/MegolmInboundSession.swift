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
/// and the session's Ed25519 key, whose base64 is the session ID. A value: decrypting does not
/// change it, so it can be stored once and shared.
///
/// In memory a session is about 250 bytes: the struct itself (`MemoryLayout` size 25: two array
/// references, the index and the authenticity) plus two heap buffers, 128 ratchet bytes and 32 key
/// bytes, each with a 32-byte array header; 1,000 stored sessions take about 250 KB. Pickled it is
/// `pickleBytes` (166) bytes before the caller seals it.
public struct MegolmInboundSession: Sendable {
    /// The ratchet at `firstKnownIndex`. Decrypting advances a copy, never this one.
    private(set) var ratchet: MegolmRatchet
    /// The session's Ed25519 public key.
    let signingKey: [UInt8]
    public internal(set) var authenticity: MegolmKeyAuthenticity

    init(ratchet: MegolmRatchet, signingKey: [UInt8], authenticity: MegolmKeyAuthenticity) throws {
        guard signingKey.count == MegolmLimits.publicKeyBytes else { throw CryptoError.malformed("Megolm signing key") }
        self.ratchet = ratchet
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
    /// `firstKnownIndex`, then the MAC with the keys at that index, in constant time. The caller
    /// still checks the index against its `MegolmReplayGuard` and the plaintext's `room_id`.
    public func decrypt(_ ciphertext: String) throws -> MegolmDecryptedMessage {
        let message = try MegolmMessage(base64: ciphertext)
        guard try Self.verify(message.signature, of: message.signed, key: signingKey) else { throw CryptoError.badSignature }
        guard message.index >= ratchet.index else { throw CryptoError.indexTooLow(message.index) }
        var current = ratchet
        current.advance(to: message.index)
        let plaintext = try MessageCipher(secret: current.bytes, info: "MEGOLM_KEYS")
            .decrypt(Array(message.ciphertext), authenticated: Array(message.authenticated), mac: message.mac, what: "Megolm")
        return MegolmDecryptedMessage(plaintext: plaintext, messageIndex: message.index)
    }
}

/// What a Megolm message decrypted to: the event JSON (`{type, content, room_id}`) and its index.
public struct MegolmDecryptedMessage: Sendable, Equatable {
    public let plaintext: [UInt8]
    public let messageIndex: UInt32
}
