/// An Olm normal message (type 1): `0x03 ‖ payload ‖ MAC(8)`, payload fields Ratchet-Key (1),
/// Chain-Index (2) and Cipher-Text (4). Only version 3 exists in the Matrix spec.
public struct OlmMessage: Sendable, Equatable {
    public static let version: UInt8 = 3
    static let macLength = 8

    public let ratchetKey: [UInt8]
    public let chainIndex: UInt32
    public let ciphertext: [UInt8]
    public let mac: [UInt8]
    /// Everything the MAC covers: the version byte and the payload.
    let authenticated: ArraySlice<UInt8>

    public init(bytes: [UInt8]) throws {
        try self.init(slice: bytes[...])
    }

    init(slice bytes: ArraySlice<UInt8>) throws {
        guard bytes.count <= OlmLimits.maxMessageBytes else { throw CryptoError.tooLarge("Olm message") }
        guard bytes.count >= Self.macLength + 2 else { throw CryptoError.malformed("Olm message (too short)") }
        guard bytes.first == Self.version else { throw CryptoError.unsupported("Olm message version") }
        let macStart = bytes.endIndex - Self.macLength
        var reader = ProtobufReader(bytes[(bytes.startIndex + 1)..<macStart])
        var ratchetKey: [UInt8]?, chainIndex: UInt32?, ciphertext: [UInt8]?
        while !reader.isAtEnd {
            switch try reader.next("Olm message") {
            case (1, .bytes(let b)):
                guard ratchetKey == nil, b.count == 32 else { throw CryptoError.malformed("Olm message ratchet key") }
                ratchetKey = Array(b)
            case (2, .varint(let v)):
                guard chainIndex == nil, v <= UInt64(UInt32.max) else { throw CryptoError.malformed("Olm message chain index") }
                chainIndex = UInt32(v)
            case (4, .bytes(let b)):
                guard ciphertext == nil, !b.isEmpty, b.count % 16 == 0 else { throw CryptoError.malformed("Olm message ciphertext") }
                ciphertext = Array(b)
            case (1, _), (2, _), (4, _):
                throw CryptoError.malformed("Olm message (field of the wrong type)")
            default: continue // unknown fields are skipped, as protobuf readers (vodozemac, libolm) do
            }
        }
        guard let ratchetKey, let chainIndex, let ciphertext else {
            throw CryptoError.malformed("Olm message (missing field)")
        }
        self.ratchetKey = ratchetKey
        self.chainIndex = chainIndex
        self.ciphertext = ciphertext
        self.mac = Array(bytes[macStart...])
        self.authenticated = bytes[..<macStart]
    }
}

/// An Olm pre-key message (type 0): `0x03 ‖ payload`, fields One-Time-Key (1), Base-Key (2),
/// Identity-Key (3) and Message (4), a complete normal message. It has no outer MAC.
public struct OlmPreKeyMessage: Sendable, Equatable {
    /// Herald's one-time or fallback key the sender used (E_B).
    public let oneTimeKey: [UInt8]
    /// The sender's ephemeral key (E_A).
    public let baseKey: [UInt8]
    /// The sender's device Curve25519 key (I_A).
    public let identityKey: [UInt8]
    public let message: OlmMessage

    public init(bytes: [UInt8]) throws {
        guard bytes.count <= OlmLimits.maxMessageBytes else { throw CryptoError.tooLarge("Olm pre-key message") }
        guard bytes.first == OlmMessage.version else { throw CryptoError.unsupported("Olm pre-key message version") }
        var reader = ProtobufReader(bytes[1...])
        var keys: [UInt64: [UInt8]] = [:]
        var message: OlmMessage?
        while !reader.isAtEnd {
            switch try reader.next("Olm pre-key message") {
            case (let n, .bytes(let b)) where (1...3).contains(n):
                guard keys[n] == nil, b.count == 32 else { throw CryptoError.malformed("Olm pre-key message key") }
                keys[n] = Array(b)
            case (4, .bytes(let b)):
                guard message == nil else { throw CryptoError.malformed("Olm pre-key message (two messages)") }
                message = try OlmMessage(slice: b)
            case (1...4, _):
                throw CryptoError.malformed("Olm pre-key message (field of the wrong type)")
            default: continue
            }
        }
        guard let oneTimeKey = keys[1], let baseKey = keys[2], let identityKey = keys[3], let message else {
            throw CryptoError.malformed("Olm pre-key message (missing field)")
        }
        self.oneTimeKey = oneTimeKey
        self.baseKey = baseKey
        self.identityKey = identityKey
        self.message = message
    }

    /// The session this message belongs to: b64(SHA-256(I_A ‖ E_A ‖ E_B)), as libolm and vodozemac compute it.
    public var sessionID: String { OlmSession.sessionID(identityKey: identityKey, baseKey: baseKey, oneTimeKey: oneTimeKey) }
}
