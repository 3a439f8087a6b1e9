import Crypto
import _CryptoExtras

/// AES-CBC decryption with PKCS#7 padding, as `AES._CBC.decrypt` does it, on byte arrays.
/// swift-crypto's version is generic over its input and, called from here unspecialised, spends
/// tens of microseconds per Megolm message in generic dispatch; this loop calls the same AES
/// block function on one contiguous 16-byte block at a time. Padding is checked as swift-crypto
/// checks it; the MAC has been checked before either runs.
enum AESCBC {
    static let blockBytes = 16

    struct BadCiphertext: Error {}

    static func decrypt(_ ciphertext: [UInt8], key: SymmetricKey, iv: some Collection<UInt8>) throws -> [UInt8] {
        guard iv.count == blockBytes, !ciphertext.isEmpty, ciphertext.count % blockBytes == 0 else { throw BadCiphertext() }
        var out = [UInt8](repeating: 0, count: ciphertext.count)
        var block = [UInt8](repeating: 0, count: blockBytes)
        var previous = Array(iv)
        defer {
            Wipe.bytes(&block)
            Wipe.bytes(&previous)
        }
        for start in stride(from: 0, to: ciphertext.count, by: blockBytes) {
            for i in 0..<blockBytes { block[i] = ciphertext[start + i] }
            try AES.inversePermute(&block, key: key)
            for i in 0..<blockBytes {
                out[start + i] = block[i] ^ previous[i]
                previous[i] = ciphertext[start + i]
            }
        }
        let padding = Int(out[out.count - 1])
        guard padding > 0, out.count >= padding, out.suffix(padding).allSatisfy({ $0 == UInt8(padding) }) else {
            Wipe.bytes(&out)
            throw BadCiphertext()
        }
        for i in (out.count - padding)..<out.count { out[i] = 0 }
        out.removeLast(padding)
        return out
    }
}
