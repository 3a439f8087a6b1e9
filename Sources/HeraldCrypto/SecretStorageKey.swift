import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import _CryptoExtras

/// The 32-byte key that opens secret storage (`m.secret_storage.v1.aes-hmac-sha2`), from the
/// user's recovery key or passphrase, checked against the key description before use. It lives in
/// a `SymmetricKey`, which swift-crypto zeroes when it is freed.
public struct SecretStorageKey {
    public enum Origin: Sendable, Equatable {
        case recoveryKey
        case passphrase
    }

    let key: SymmetricKey
    public let origin: Origin
    public let keyID: String

    init(key: SymmetricKey, origin: Origin, keyID: String) {
        self.key = key
        self.origin = origin
        self.keyID = keyID
    }

    /// Opens `description` with the recovery key typed as `text` (UTF-8), which is zeroed before
    /// this returns or throws. Throws `RecoveryKeyError` for a typo, `SecretStorageError.wrongKey`
    /// for a well-formed key that is not this account's.
    public static func open(recoveryKey text: inout [UInt8], _ description: SecretStorageKeyDescription) throws -> SecretStorageKey {
        defer { Wipe.bytes(&text) }
        let key = SecretStorageKey(key: try RecoveryKey.decode(text), origin: .recoveryKey, keyID: description.keyID)
        guard key.matches(description) else { throw SecretStorageError.wrongKey(.recoveryKey) }
        return key
    }

    /// Opens `description` with the passphrase in `passphrase` (UTF-8), zeroed before this returns
    /// or throws, through PBKDF2-HMAC-SHA-512 with the stored salt and iteration count.
    public static func open(passphrase: inout [UInt8], _ description: SecretStorageKeyDescription) throws(SecretStorageError) -> SecretStorageKey {
        defer { Wipe.bytes(&passphrase) }
        guard let parameters = description.passphrase else { throw .noPassphrase }
        // swift-crypto's checked variant refuses fewer than 210,000 rounds, a floor for choosing a
        // count. Herald does not choose: it must redo what the client that set up the key did, and
        // older clients used fewer. The count is bounded when the description is read.
        guard let derived = try? KDF.Insecure.PBKDF2.deriveKey(
            from: passphrase, salt: Array(parameters.salt.utf8), using: .sha512,
            outputByteCount: 32, unsafeUncheckedRounds: parameters.iterations)
        else { throw .malformed("the passphrase parameters") }
        let key = SecretStorageKey(key: derived, origin: .passphrase, keyID: description.keyID)
        guard key.matches(description) else { throw .wrongKey(.passphrase) }
        return key
    }

    /// Whether this key produces the description's check: 32 zero bytes encrypted with the name "".
    /// A description without one matches any key (spec).
    public func matches(_ description: SecretStorageKeyDescription) -> Bool {
        guard let check = description.check else { return true }
        guard let ciphertext = try? aesCTR([UInt8](repeating: 0, count: 32), name: "", iv: check.iv) else { return false }
        return ConstantTime.equal(mac(ciphertext, name: ""), check.mac)
    }

    /// AES-256-CTR with the key HKDF derives for `name` (its first 32 bytes); the 16-byte `iv` is
    /// the first counter block.
    func aesCTR(_ input: [UInt8], name: String, iv: [UInt8]) throws -> [UInt8] {
        let aesKey = subkeys(name: name).aes
        var output = try AES._CTR.encrypt(input, using: aesKey, nonce: AES._CTR.Nonce(nonceBytes: iv))
        defer { output.resetBytes(in: 0..<output.count) }
        return Array(output)
    }

    /// HMAC-SHA-256 of `ciphertext` with the MAC key HKDF derives for `name` (its last 32 bytes).
    func mac(_ ciphertext: [UInt8], name: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: ciphertext, using: subkeys(name: name).mac))
    }

    /// HKDF-SHA-256 with 32 zero bytes of salt and `name` as info: AES key ‖ MAC key.
    private func subkeys(name: String) -> (aes: SymmetricKey, mac: SymmetricKey) {
        let both = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: [UInt8](repeating: 0, count: 32),
                                          info: Array(name.utf8), outputByteCount: 64)
        return both.withUnsafeBytes { raw in
            (SymmetricKey(data: UnsafeRawBufferPointer(rebasing: raw[0..<32])),
             SymmetricKey(data: UnsafeRawBufferPointer(rebasing: raw[32..<64])))
        }
    }
}
