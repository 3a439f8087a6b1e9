import Crypto
import HeraldCore

/// The server's current key backup (`GET /room_keys/version`), if Herald can read it:
/// algorithm `m.megolm_backup.v1.curve25519-aes-sha2`.
public struct KeyBackupVersion: Sendable, Equatable {
    public static let algorithm = "m.megolm_backup.v1.curve25519-aes-sha2"
    static let maxVersionBytes = 256

    public let version: String
    /// `auth_data.public_key`, the backup's Curve25519 public key.
    public let publicKey: [UInt8]

    public init(_ response: JSONValue) throws {
        guard response["algorithm"]?.string == Self.algorithm else { throw CryptoError.unsupported("key backup algorithm") }
        guard let version = response["version"]?.string, !version.isEmpty, version.utf8.count <= Self.maxVersionBytes,
              let key = response["auth_data"]?["public_key"]?.string,
              let raw = UnpaddedBase64.decode(key, maxBytes: 32), raw.count == 32
        else { throw CryptoError.malformed("key backup version") }
        self.version = version
        publicKey = raw
    }
}

/// The backup's private key, from secret storage (`m.megolm_backup.v1`), trusted because its
/// public half is the backup's `public_key` (spec: the simple way to trust `auth_data`).
/// Herald only reads the backup.
public struct KeyBackupKey {
    /// A whole `session_data` of a room key is under 1 KB; this bounds what a server can send.
    static let maxCiphertextBytes = 16 * 1024

    /// The private key, for the caller to seal and keep (its `rawRepresentation` is a copy that
    /// swift-crypto does not wipe: seal it and drop it at once).
    public let key: Curve25519.KeyAgreement.PrivateKey
    public let version: String

    public init(_ key: Curve25519.KeyAgreement.PrivateKey, for backup: KeyBackupVersion) throws {
        guard ConstantTime.equal(Array(key.publicKey.rawRepresentation), backup.publicKey) else {
            throw CryptoError.payloadMismatch("backup public key")
        }
        self.key = key
        version = backup.version
    }

    /// The key as kept sealed (its 32 raw bytes, which the caller wipes), checked again against
    /// the server's current backup: a backup replaced since is refused.
    public init(sealedBytes raw: [UInt8], for backup: KeyBackupVersion) throws {
        try self.init(Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw), for: backup)
    }

    /// The 32 raw bytes, to seal at once; the caller wipes them.
    public func bytesToSeal() -> [UInt8] {
        Array(key.rawRepresentation)
    }

    /// Decrypts a KeyBackupData's `session_data`: X25519 with its `ephemeral` key, HKDF-SHA-256
    /// (zero salt, empty info) to an AES-256 key, an HMAC key and an IV, the MAC checked, then
    /// AES-256-CBC. The MAC is HMAC-SHA-256 of an empty message cut to 8 bytes: libolm's mistake,
    /// kept by every implementation, so it authenticates nothing; it is checked all the same.
    public func decrypt(sessionData: JSONValue) throws -> [UInt8] {
        guard let ephemeral = sessionData["ephemeral"]?.string.flatMap({ UnpaddedBase64.decode($0, maxBytes: 32) }),
              ephemeral.count == 32,
              let mac = sessionData["mac"]?.string.flatMap({ UnpaddedBase64.decode($0, maxBytes: MessageCipher.macBytes) }),
              mac.count == MessageCipher.macBytes,
              let text = sessionData["ciphertext"]?.string
        else { throw CryptoError.malformed("key backup session data") }
        guard let ciphertext = UnpaddedBase64.decode(text, maxBytes: Self.maxCiphertextBytes) else {
            throw CryptoError.tooLarge("key backup session data")
        }
        guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else { throw CryptoError.malformed("key backup ciphertext (length)") }
        var shared = try OlmCipher.agree(key, ephemeral)
        defer { Wipe.bytes(&shared) }
        return try MessageCipher(secret: shared, info: "").decrypt(ciphertext, authenticated: [], mac: mac, what: "key backup")
    }

    /// The room key in one KeyBackupData (`GET /room_keys/keys/{roomId}/{sessionId}`).
    public func roomKey(_ keyBackupData: JSONValue) throws -> BackedUpRoomKey {
        guard let sessionData = keyBackupData["session_data"] else { throw CryptoError.malformed("key backup data") }
        var plaintext = try decrypt(sessionData: sessionData)
        defer { Wipe.bytes(&plaintext) }
        guard let json = try? JSONValue.decode(plaintext) else {
            throw CryptoError.malformed("key backup session data (not JSON)")
        }
        return try BackedUpRoomKey(json)
    }
}

/// A decrypted BackedUpSessionData: a Megolm session in export format, with the keys of the
/// device that claims to own it. Nothing authenticates it (the backup's MAC covers nothing), so
/// the session is `.unsigned`, as a forwarded key is.
public struct BackedUpRoomKey: Sendable {
    public let senderKey: String
    public let claimedEd25519Key: String
    public let forwardingChainLength: Int
    public let session: MegolmInboundSession

    init(_ json: JSONValue) throws {
        guard json["algorithm"]?.string == "m.megolm.v1.aes-sha2" else { throw CryptoError.unsupported("backed-up room key algorithm") }
        guard let senderKey = json["sender_key"]?.string, let claimed = json["sender_claimed_keys"]?["ed25519"]?.string,
              let sessionKey = json["session_key"]?.string
        else { throw CryptoError.malformed("backed-up room key") }
        self.senderKey = senderKey
        claimedEd25519Key = claimed
        forwardingChainLength = json["forwarding_curve25519_key_chain"]?.array?.count ?? 0
        session = try MegolmInboundSession(exportedKey: sessionKey)
    }
}
