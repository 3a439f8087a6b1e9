import Crypto
import Testing
@testable import HeraldCrypto

@Suite struct HMACSHA256Tests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    @Test("RFC 4231 test cases 1, 2, 4 and 6 (a key longer than a block)")
    func rfc4231() {
        #expect(HMACSHA256.mac(key: [UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8))
                == Self.hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"))
        #expect(HMACSHA256.mac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
                == Self.hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        #expect(HMACSHA256.mac(key: Self.hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                               [UInt8](repeating: 0xCD, count: 50))
                == Self.hex("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"))
        #expect(HMACSHA256.mac(key: [UInt8](repeating: 0xAA, count: 131),
                               Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == Self.hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"))
    }

    @Test("RFC 5869 test cases 1 and 3 (no salt, no info)")
    func rfc5869() {
        let ikm = [UInt8](repeating: 0x0B, count: 22)
        #expect(HMACSHA256.hkdf(ikm, salt: Self.hex("000102030405060708090a0b0c"), info: Self.hex("f0f1f2f3f4f5f6f7f8f9"), count: 42)
                == Self.hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
        #expect(HMACSHA256.hkdf(ikm, salt: [], info: [], count: 42)
                == Self.hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    @Test("the same as swift-crypto's HMAC and HKDF for keys, messages and lengths of every size around a block")
    func matchesSwiftCrypto() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 31, 32, 33, 63, 64, 65, 80, 200] {
            let key = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let message = (0..<(length * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(HMACSHA256.mac(key: key, message)
                    == Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))))
            #expect(HMACSHA256.mac(key: key, Array(message.prefix(length)), Array(message.dropFirst(length)))
                    == HMACSHA256.mac(key: key, message))
            for count in [1, 32, 33, 64, 80, 96] {
                let theirs = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: message), salt: key,
                                                    info: Array("MEGOLM_KEYS".utf8), outputByteCount: count)
                #expect(HMACSHA256.hkdf(message, salt: key, info: Array("MEGOLM_KEYS".utf8), count: count)
                        == theirs.withUnsafeBytes { Array($0) })
            }
        }
    }
}
