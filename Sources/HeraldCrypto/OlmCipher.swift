import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import _CryptoExtras

/// Olm's symmetric half (spec olm.md; vodozemac `src/olm/session/chain_key.rs`, `src/cipher/`):
/// the chain key advance, message keys, and AES-256-CBC with a truncated HMAC-SHA-256.
enum OlmCipher {
    /// C(i, j+1) = HMAC(C(i, j), 0x02).
    static func advance(_ chainKey: [UInt8]) -> [UInt8] {
        hmac(key: chainKey, [0x02])
    }

    /// M(i, j) = HMAC(C(i, j), 0x01).
    static func messageKey(_ chainKey: [UInt8]) -> [UInt8] {
        hmac(key: chainKey, [0x01])
    }

    /// Checks the message's MAC with the keys derived from `messageKey`, in constant time, and only
    /// then decrypts. Bad padding is an error too.
    static func decrypt(_ message: OlmMessage, messageKey: [UInt8]) throws -> [UInt8] {
        let keys = hkdf(messageKey, info: "OLM_KEYS", count: 80)
        let fullMAC = hmac(key: Array(keys[32..<64]), message.authenticated)
        guard constantTimeEqual(fullMAC.prefix(OlmMessage.macLength), message.mac[...]) else { throw CryptoError.badMAC }
        do {
            let plaintext = try AES._CBC.decrypt(message.ciphertext, using: SymmetricKey(data: keys[0..<32]),
                                                 iv: AES._CBC.IV(ivBytes: keys[64..<80]))
            return Array(plaintext)
        } catch {
            throw CryptoError.malformed("Olm ciphertext (padding)")
        }
    }

    /// HKDF-SHA-256 with Olm's zero salt (any all-zero salt up to 64 bytes gives the same key).
    static func hkdf(_ secret: [UInt8], info: String, count: Int) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), salt: [UInt8(0)],
                                         info: Array(info.utf8), outputByteCount: count)
        return key.withUnsafeBytes { Array($0) }
    }

    static func hmac<Bytes: DataProtocol>(key: [UInt8], _ message: Bytes) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    static func constantTimeEqual(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// X25519 that refuses a non-contributory (all-zero) result, as vodozemac does.
    static func agree(_ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: [UInt8]) throws -> [UInt8] {
        guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey),
              let secret = try? privateKey.sharedSecretFromKeyAgreement(with: peer)
        else { throw CryptoError.malformed("Curve25519 key") }
        let bytes = secret.withUnsafeBytes { Array($0) }
        guard bytes.contains(where: { $0 != 0 }) else { throw CryptoError.malformed("Curve25519 key (non-contributory)") }
        return bytes
    }
}
