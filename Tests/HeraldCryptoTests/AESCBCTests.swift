import Crypto
import Foundation
import Testing
import _CryptoExtras
@testable import HeraldCrypto

@Suite struct AESCBCTests {
    @Test("decrypts what swift-crypto's AES-CBC encrypts, for every length around a block")
    func matchesSwiftCrypto() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000] {
            let key = SymmetricKey(size: .bits256)
            let iv = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let plaintext = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let ciphertext = Array(try AES._CBC.encrypt(plaintext, using: key, iv: AES._CBC.IV(ivBytes: iv)))
            #expect(try AESCBC.decrypt(ciphertext, key: key, iv: iv) == plaintext)
        }
    }

    @Test("refuses what swift-crypto refuses: bad padding, a partial block, nothing, a wrong IV length")
    func refuses() throws {
        let key = SymmetricKey(size: .bits256)
        let iv = [UInt8](repeating: 1, count: 16)
        // One block that decrypts to the IV, so to zeros once the IV is applied: padding byte 0.
        var zeroPad = iv
        try AES.permute(&zeroPad, key: key)
        for bad in [zeroPad, Array(zeroPad.prefix(15)), []] {
            #expect(throws: AESCBC.BadCiphertext.self) { try AESCBC.decrypt(bad, key: key, iv: iv) }
            #expect(throws: (any Error).self) { try AES._CBC.decrypt(bad, using: key, iv: AES._CBC.IV(ivBytes: iv)) }
        }
        let good = Array(try AES._CBC.encrypt([1, 2, 3], using: key, iv: AES._CBC.IV(ivBytes: iv)))
        #expect(throws: AESCBC.BadCiphertext.self) { try AESCBC.decrypt(good, key: key, iv: iv.prefix(15)) }
    }
}
