import Crypto
import HeraldCore

/// Signing and checking Matrix signed JSON (spec appendices, Signing JSON): the signature covers
/// the canonical encoding of the object without its top-level `signatures` and `unsigned`.
public enum SignedJSON {
    /// The bytes a signature covers. Throws for a value that is not an object or not canonical.
    public static func signedBytes(of value: JSONValue) throws -> [UInt8] {
        guard var members = value.object else { throw CryptoError.malformed("signed JSON (not an object)") }
        members["signatures"] = nil
        members["unsigned"] = nil
        return try CanonicalJSON.encode(.object(members))
    }

    /// `value` with an Ed25519 signature by `key` merged into `signatures[user]["ed25519:<keyID>"]`.
    public static func sign(_ value: JSONValue, user: String, keyID: String,
                            with key: Curve25519.Signing.PrivateKey) throws -> JSONValue {
        let signature = try key.signature(for: signedBytes(of: value))
        guard var members = value.object else { throw CryptoError.malformed("signed JSON (not an object)") }
        var all = members["signatures"]?.object ?? [:]
        var mine = all[user]?.object ?? [:]
        mine["ed25519:\(keyID)"] = .string(UnpaddedBase64.encode(signature))
        all[user] = .object(mine)
        members["signatures"] = .object(all)
        return .object(members)
    }

    /// Whether `value` carries a valid signature by `publicKey` under `signatures[user]["ed25519:<keyID>"]`.
    /// A missing, malformed or wrong signature is false.
    public static func verify(_ value: JSONValue, user: String, keyID: String,
                              publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard case .string(let text)? = value["signatures"]?[user]?["ed25519:\(keyID)"],
              let signature = UnpaddedBase64.decode(text, maxBytes: 64), signature.count == 64,
              let bytes = try? signedBytes(of: value)
        else { return false }
        return publicKey.isValidSignature(signature, for: bytes)
    }

    /// As `verify(_:user:keyID:publicKey:)` with the key in unpadded base64.
    public static func verify(_ value: JSONValue, user: String, keyID: String, publicKey: String) -> Bool {
        guard let raw = UnpaddedBase64.decode(publicKey, maxBytes: 32), raw.count == 32,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { return false }
        return verify(value, user: user, keyID: keyID, publicKey: key)
    }
}
