import Crypto
import HeraldCore

/// The user's published cross-signing keys (spec: Cross-signing), read from a `/keys/query`
/// response: the master key and the self-signing key, which the master key must have signed.
public struct PublishedCrossSigningKeys: Sendable, Equatable {
    public let userID: String
    /// Unpadded base64 Ed25519 public keys.
    public let masterKey: String
    public let selfSigningKey: String

    public init(userID: String, keysQuery response: JSONValue) throws(CrossSigningError) {
        guard let master = response["master_keys"]?[userID], let selfSigning = response["self_signing_keys"]?[userID] else {
            throw .notSetUp
        }
        self.userID = userID
        masterKey = try Self.key(master, userID: userID, usage: "master")
        selfSigningKey = try Self.key(selfSigning, userID: userID, usage: "self_signing")
        guard SignedJSON.verify(selfSigning, user: userID, keyID: masterKey, publicKey: masterKey) else {
            throw .selfSigningKeyNotSignedByMaster
        }
    }

    /// The one key of a CrossSigningKey object, after checking its owner, usage and key ID.
    private static func key(_ object: JSONValue, userID: String, usage: String) throws(CrossSigningError) -> String {
        guard object["user_id"]?.string == userID else { throw .malformed("the \(usage) key's user_id") }
        guard object["usage"]?.array?.contains(.string(usage)) == true else { throw .malformed("the \(usage) key's usage") }
        guard let keys = object["keys"]?.object, keys.count == 1, let (keyID, value) = keys.first,
              let key = value.string, keyID == "ed25519:\(key)",
              let raw = UnpaddedBase64.decode(key, maxBytes: 32), raw.count == 32
        else { throw .malformed("the \(usage) key's keys") }
        return key
    }
}

/// The user's self-signing private key, from secret storage, checked against the published one.
/// It signs Herald's device keys, which is what makes the device verified for everyone who trusts
/// the user's master key.
public struct SelfSigningKey {
    let key: Curve25519.Signing.PrivateKey
    public let published: PublishedCrossSigningKeys

    public init(_ key: Curve25519.Signing.PrivateKey, published: PublishedCrossSigningKeys) throws(CrossSigningError) {
        guard UnpaddedBase64.encode(key.publicKey.rawRepresentation) == published.selfSigningKey else {
            throw .selfSigningKeyMismatch
        }
        self.key = key
        self.published = published
    }

    /// The body of `/keys/signatures/upload` that cross-signs `deviceKeys` (Herald's device keys,
    /// as uploaded): `{user: {device ID: device keys with only the new signature}}`.
    public func signatureUpload(deviceKeys: JSONValue, deviceID: String) throws -> JSONValue {
        let userID = published.userID
        guard var members = deviceKeys.object, members["user_id"]?.string == userID, members["device_id"]?.string == deviceID else {
            throw CryptoError.malformed("device keys (not this user's device)")
        }
        members["signatures"] = nil
        members["unsigned"] = nil
        let signed = try SignedJSON.sign(.object(members), user: userID, keyID: published.selfSigningKey, with: key)
        return .object([userID: .object([deviceID: signed])])
    }
}
