import HeraldSecrets
import Testing

struct TokenCipherTests {
    let cipher = try! TokenCipher(key: [UInt8](repeating: 7, count: 32))
    let alice = "@alice:example.org"

    @Test(arguments: ["syt_YWxpY2U_abcdefghijklmnop_0abc12", "", "é ✓ 🔑"])
    func roundTrip(token: String) throws {
        let blob = try cipher.seal(token, context: alice)
        #expect(blob.first == 1)
        #expect(blob.count == 1 + 12 + token.utf8.count + 16)
        #expect(try cipher.open(blob, context: alice) == token)
    }

    @Test func bytesRoundTripAndArePurposeBound() throws {
        let pickle: [UInt8] = [0, 1, 2, 0xFF, 0x80]
        let blob = try cipher.seal(bytes: pickle, context: "\(alice) olm-account")
        #expect(blob.count == 1 + 12 + pickle.count + 16)
        #expect(try cipher.open(bytes: blob, context: "\(alice) olm-account") == pickle)
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(bytes: blob, context: "\(alice) olm-session") }
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(blob, context: alice) }
    }

    @Test func sealingTwiceUsesFreshNonces() throws {
        let a = try cipher.seal("token", context: alice)
        let b = try cipher.seal("token", context: alice)
        #expect(a != b)
        #expect(a[1..<13] != b[1..<13])
    }

    @Test func anotherAccountCannotOpenTheBlob() throws {
        let blob = try cipher.seal("token", context: alice)
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(blob, context: "@bob:example.org") }
    }

    @Test func anotherKeyCannotOpenTheBlob() throws {
        let blob = try cipher.seal("token", context: alice)
        let other = try TokenCipher(key: [UInt8](repeating: 8, count: 32))
        #expect(throws: TokenCipherError.authenticationFailed) { try other.open(blob, context: alice) }
    }

    @Test func everyTamperedByteIsDetected() throws {
        let blob = try cipher.seal("token", context: alice)
        for i in 1..<blob.count {
            var bad = blob
            bad[i] ^= 0x01
            #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(bad, context: alice) }
        }
        var wrongVersion = blob
        wrongVersion[0] = 2
        #expect(throws: TokenCipherError.unsupportedVersion(2)) { try cipher.open(wrongVersion, context: alice) }
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(blob.dropLast(), context: alice) }
        #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(blob + [0], context: alice) }
    }

    @Test func garbageIsRefusedWithoutCrashing() throws {
        #expect(throws: TokenCipherError.truncated(0)) { try cipher.open([], context: alice) }
        #expect(throws: TokenCipherError.truncated(1)) { try cipher.open([1], context: alice) }
        #expect(throws: TokenCipherError.truncated(28)) { try cipher.open([1] + [UInt8](repeating: 0, count: 27), context: alice) }
        #expect(throws: TokenCipherError.unsupportedVersion(0x7b)) { try cipher.open(Array("{\"token\":1}".utf8), context: alice) }
        var rng = SystemRandomNumberGenerator()
        for length in [29, 30, 64, 1000] {
            let noise = [1] + (1..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(throws: TokenCipherError.authenticationFailed) { try cipher.open(noise, context: alice) }
        }
    }

    @Test func aKeyMustBe32Bytes() {
        #expect(throws: TokenCipherError.badKeyLength(16)) { try TokenCipher(key: [UInt8](repeating: 1, count: 16)) }
        #expect(throws: TokenCipherError.badKeyLength(0)) { try TokenCipher(key: []) }
    }
}
