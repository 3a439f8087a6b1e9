import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import _CryptoExtras

/// Olm's symmetric half (spec olm.md; vodozemac `src/olm/session/chain_key.rs`, `src/cipher/`):
/// the chain key advance, message keys and the key agreement; the cipher is `MessageCipher`.
enum OlmCipher {
    /// C(i, j+1) = HMAC(C(i, j), 0x02).
    static func advance(_ chainKey: [UInt8]) -> [UInt8] {
        MessageCipher.hmac(key: chainKey, [0x02])
    }

    /// M(i, j) = HMAC(C(i, j), 0x01).
    static func messageKey(_ chainKey: [UInt8]) -> [UInt8] {
        MessageCipher.hmac(key: chainKey, [0x01])
    }

    /// Checks the message's MAC with the keys derived from `messageKey`, then decrypts.
    static func decrypt(_ message: OlmMessage, messageKey: [UInt8]) throws -> [UInt8] {
        try MessageCipher(secret: messageKey, info: "OLM_KEYS")
            .decrypt(message.ciphertext, authenticated: Array(message.authenticated), mac: message.mac, what: "Olm")
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
