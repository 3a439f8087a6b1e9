import Crypto
import _CryptoExtras

/// The message cipher Olm and Megolm share (vodozemac `src/cipher/`): a secret expanded by
/// HKDF-SHA-256 into an AES-256 key, an HMAC-SHA-256 key and an IV (80 bytes); the MAC, truncated
/// to 8 bytes, is checked in constant time before anything is decrypted.
struct MessageCipher {
    static let macBytes = 8

    private let keys: [UInt8]

    /// `info` is "OLM_KEYS" or "MEGOLM_KEYS".
    init(secret: [UInt8], info: String) {
        keys = Self.hkdf(secret, info: info, count: 80)
    }

    /// Checks `mac` over `authenticated`, then decrypts `ciphertext` (AES-256-CBC, PKCS#7).
    /// `what` names the message kind in the error for bad padding.
    func decrypt(_ ciphertext: [UInt8], authenticated: [UInt8], mac: some Collection<UInt8>, what: String) throws -> [UInt8] {
        let full = Self.hmac(key: Array(keys[32..<64]), authenticated)
        guard ConstantTime.equal(full.prefix(Self.macBytes), mac) else { throw CryptoError.badMAC }
        do {
            return Array(try AES._CBC.decrypt(ciphertext, using: SymmetricKey(data: keys[0..<32]),
                                              iv: AES._CBC.IV(ivBytes: keys[64..<80])))
        } catch {
            throw CryptoError.malformed("\(what) ciphertext (padding)")
        }
    }

    /// HKDF-SHA-256 with the zero salt Olm and Megolm use (any all-zero salt up to 64 bytes, or
    /// none, gives the same key).
    static func hkdf(_ secret: [UInt8], info: String, count: Int) -> [UInt8] {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), salt: [UInt8(0)],
                               info: Array(info.utf8), outputByteCount: count).withUnsafeBytes { Array($0) }
    }

    static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}

/// Comparison of secret bytes whose time does not depend on where they differ.
enum ConstantTime {
    static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
