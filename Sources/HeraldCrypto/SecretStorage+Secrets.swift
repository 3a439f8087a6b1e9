import Crypto
import HeraldCore

/// Reading a secret from account data (spec: Secret storage, `m.secret_storage.v1.aes-hmac-sha2`):
/// `{"encrypted": {"<key ID>": {"iv", "ciphertext", "mac"}}}`, checked with HMAC-SHA-256 over the
/// ciphertext in constant time, then decrypted with AES-256-CTR, both keys from HKDF with the
/// secret's name as info.
extension SecretStorageKey {
    /// A private key's secret is 44 bytes of base64; this leaves room and no more.
    static let maxCiphertextBytes = 1024

    /// The plaintext of secret `name`, whose account data content is `content`. The caller wipes it.
    func decryptSecret(_ name: String, from content: JSONValue) throws(SecretStorageError) -> [UInt8] {
        guard let encrypted = content["encrypted"]?[keyID] else { throw .secretNotStored(name) }
        guard let iv = encrypted["iv"]?.string.flatMap({ UnpaddedBase64.decode($0, maxBytes: 16) }), iv.count == 16,
              let mac = encrypted["mac"]?.string.flatMap({ UnpaddedBase64.decode($0, maxBytes: 32) }), mac.count == 32,
              let ciphertext = encrypted["ciphertext"]?.string.flatMap({ UnpaddedBase64.decode($0, maxBytes: Self.maxCiphertextBytes) })
        else { throw .malformed("the encrypted \(name)") }
        guard ConstantTime.equal(self.mac(ciphertext, name: name), mac) else { throw .wrongKey(origin) }
        guard let plaintext = try? aesCTR(ciphertext, name: name, iv: iv) else { throw .malformed("the encrypted \(name)") }
        return plaintext
    }

    /// The 32 bytes of a private key stored as secret `name` (its base64).
    func privateKeyBytes(_ name: String, from content: JSONValue) throws(SecretStorageError) -> [UInt8] {
        var text = try decryptSecret(name, from: content)
        defer { Wipe.bytes(&text) }
        guard var bytes = SecretBase64.decode(text) else { throw .malformed("\(name) is not base64") }
        guard bytes.count == 32 else {
            Wipe.bytes(&bytes)
            throw .malformed("\(name) is not a 32-byte key")
        }
        return bytes
    }

    /// An Ed25519 private key (its 32-byte seed) stored as secret `name`, such as
    /// `m.cross_signing.self_signing`.
    public func signingKey(_ name: String, from content: JSONValue) throws(SecretStorageError) -> Curve25519.Signing.PrivateKey {
        var seed = try privateKeyBytes(name, from: content)
        defer { Wipe.bytes(&seed) }
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { throw .malformed("\(name) is not an Ed25519 key") }
        return key
    }

    /// A Curve25519 private key stored as secret `name`, such as `m.megolm_backup.v1`.
    public func agreementKey(_ name: String, from content: JSONValue) throws(SecretStorageError) -> Curve25519.KeyAgreement.PrivateKey {
        var raw = try privateKeyBytes(name, from: content)
        defer { Wipe.bytes(&raw) }
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else { throw .malformed("\(name) is not a Curve25519 key") }
        return key
    }
}
