import Crypto
import HeraldCore

/// Herald's Olm device: a Curve25519 identity key, an Ed25519 signing key, one-time keys and a
/// fallback key (E2EE notes §2, vodozemac `src/olm/account/`).
///
/// A value: every change returns or makes a new account, so the caller decides when it is stored.
/// `createInboundSession` in particular returns the account without the used one-time key next
/// to the new session, and the two are meant to be written together.
public struct OlmAccount: Sendable {
    struct OneTimeKey: Sendable {
        let id: UInt32
        /// The raw 32-byte Curve25519 private key, and its public key.
        let secret: [UInt8]
        let publicKey: [UInt8]
        var published: Bool
        /// Seconds since the epoch when a session was first made with it (fallback keys only).
        var firstUsed: UInt64?

        init(id: UInt32, secret: [UInt8], published: Bool, firstUsed: UInt64? = nil) throws {
            self.id = id
            self.secret = secret
            self.publicKey = Array(try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret).publicKey.rawRepresentation)
            self.published = published
            self.firstUsed = firstUsed
        }

        init(id: UInt32) {
            let key = Curve25519.KeyAgreement.PrivateKey()
            self.id = id
            self.secret = Array(key.rawRepresentation)
            self.publicKey = Array(key.publicKey.rawRepresentation)
            self.published = false
        }

        var privateKey: Curve25519.KeyAgreement.PrivateKey {
            // `secret` was accepted as a key when this value was made.
            try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secret)
        }
        var keyID: String { UnpaddedBase64.encode(withUnsafeBytes(of: id.bigEndian) { Array($0) }) }
    }

    /// Raw private keys: the Curve25519 identity key and the Ed25519 seed.
    let identitySecret: [UInt8]
    let signingSeed: [UInt8]
    /// The next key ID; IDs are a counter, written as base64 of its 4 big-endian bytes, as libolm does.
    var nextKeyID: UInt32
    /// Oldest (lowest ID) first.
    var oneTimeKeys: [OneTimeKey]
    var fallbackKey: OneTimeKey?
    var previousFallbackKey: OneTimeKey?

    /// A new device with fresh random keys and no one-time keys.
    public init() {
        self.init(identitySecret: Array(Curve25519.KeyAgreement.PrivateKey().rawRepresentation),
                  signingSeed: Array(Curve25519.Signing.PrivateKey().rawRepresentation),
                  nextKeyID: 0, oneTimeKeys: [], fallbackKey: nil, previousFallbackKey: nil)
    }

    init(identitySecret: [UInt8], signingSeed: [UInt8],
         nextKeyID: UInt32, oneTimeKeys: [OneTimeKey], fallbackKey: OneTimeKey?, previousFallbackKey: OneTimeKey?) {
        self.identitySecret = identitySecret
        self.signingSeed = signingSeed
        self.nextKeyID = nextKeyID
        self.oneTimeKeys = oneTimeKeys
        self.fallbackKey = fallbackKey
        self.previousFallbackKey = previousFallbackKey
    }

    // Both were accepted as keys when the account was made or loaded.
    var identityKey: Curve25519.KeyAgreement.PrivateKey { try! .init(rawRepresentation: identitySecret) }
    var signingKey: Curve25519.Signing.PrivateKey { try! .init(rawRepresentation: signingSeed) }

    /// The device Curve25519 key, unpadded base64.
    public var curve25519Key: String { UnpaddedBase64.encode(identityKey.publicKey.rawRepresentation) }
    /// The device Ed25519 key, unpadded base64.
    public var ed25519Key: String { UnpaddedBase64.encode(signingKey.publicKey.rawRepresentation) }
    /// Private one-time keys held, published or not.
    public var oneTimeKeyCount: Int { oneTimeKeys.count }

    /// The signed `device_keys` object for `/keys/upload`.
    public func deviceKeys(userID: String, deviceID: String) throws -> JSONValue {
        let keys: JSONValue = .object([
            "user_id": .string(userID),
            "device_id": .string(deviceID),
            "algorithms": .array([.string("m.olm.v1.curve25519-aes-sha2"), .string("m.megolm.v1.aes-sha2")]),
            "keys": .object([
                "curve25519:\(deviceID)": .string(curve25519Key),
                "ed25519:\(deviceID)": .string(ed25519Key),
            ]),
        ])
        return try sign(keys, userID: userID, deviceID: deviceID)
    }

    /// `value` signed with the device key as `signatures[userID]["ed25519:<deviceID>"]`.
    public func sign(_ value: JSONValue, userID: String, deviceID: String) throws -> JSONValue {
        try SignedJSON.sign(value, user: userID, keyID: deviceID, with: signingKey)
    }

    /// Adds `count` one-time keys. Past `OlmLimits.maxStoredOneTimeKeys` the oldest are dropped.
    public mutating func generateOneTimeKeys(_ count: Int) {
        for _ in 0..<max(0, min(count, OlmLimits.maxStoredOneTimeKeys)) {
            oneTimeKeys.append(OneTimeKey(id: takeKeyID()))
        }
        if oneTimeKeys.count > OlmLimits.maxStoredOneTimeKeys {
            oneTimeKeys.removeFirst(oneTimeKeys.count - OlmLimits.maxStoredOneTimeKeys)
        }
    }

    /// The one-time keys not yet published, as `one_time_keys` for `/keys/upload`:
    /// `signed_curve25519:<id>` → signed `{"key": …}`.
    public func unpublishedOneTimeKeys(userID: String, deviceID: String) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for key in oneTimeKeys where !key.published {
            out["signed_curve25519:\(key.keyID)"] = try signedKeyObject(key, fallback: false, userID: userID, deviceID: deviceID)
        }
        return out
    }

    /// The fallback key if it is not yet published, as `fallback_keys` for `/keys/upload`.
    public func unpublishedFallbackKey(userID: String, deviceID: String) throws -> [String: JSONValue] {
        guard let key = fallbackKey, !key.published else { return [:] }
        return ["signed_curve25519:\(key.keyID)": try signedKeyObject(key, fallback: true, userID: userID, deviceID: deviceID)]
    }

    /// After a successful `/keys/upload`: nothing generated so far is offered again.
    public mutating func markKeysAsPublished() {
        for i in oneTimeKeys.indices { oneTimeKeys[i].published = true }
        fallbackKey?.published = true
    }

    /// Makes a new fallback key. The current one becomes the previous one, kept for messages from
    /// senders who claimed it; the one before is dropped (vodozemac keeps two, the spec likewise).
    public mutating func generateFallbackKey() {
        previousFallbackKey = fallbackKey
        fallbackKey = OneTimeKey(id: takeKeyID())
    }

    /// Drops the previous fallback key once its replacement has been in use for
    /// `OlmLimits.previousFallbackKeyGraceSeconds`: by then, messages made with the old one have arrived.
    public mutating func forgetOldFallbackKey(now: UInt64) {
        // Subtracting, not adding: a first-use date read from storage may be anything.
        guard let used = fallbackKey?.firstUsed, now >= used, now - used >= OlmLimits.previousFallbackKeyGraceSeconds else { return }
        previousFallbackKey = nil
    }

    /// Removes the private one-time key with this raw public key; fallback keys stay.
    /// Returns whether there was one.
    @discardableResult
    public mutating func removeOneTimeKey(_ publicKey: [UInt8]) -> Bool {
        guard let at = oneTimeKeys.firstIndex(where: { $0.publicKey == publicKey }) else { return false }
        oneTimeKeys.remove(at: at)
        return true
    }

    private mutating func takeKeyID() -> UInt32 {
        defer { nextKeyID &+= 1 }
        return nextKeyID
    }

    private func signedKeyObject(_ key: OneTimeKey, fallback: Bool, userID: String, deviceID: String) throws -> JSONValue {
        var object: [String: JSONValue] = ["key": .string(UnpaddedBase64.encode(key.publicKey))]
        if fallback { object["fallback"] = .bool(true) }
        return try sign(.object(object), userID: userID, deviceID: deviceID)
    }
}
