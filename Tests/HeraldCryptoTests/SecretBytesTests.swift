import Foundation
import Testing
@testable import HeraldCrypto

/// The helpers that keep secrets in one buffer: wiping, and base64 without intermediate copies.
@Suite struct SecretBytesTests {
    @Test("wiping zeroes every byte and keeps the count")
    func wipe() {
        var bytes: [UInt8] = Array("EsTK 9Bmb NorS".utf8)
        Wipe.bytes(&bytes)
        #expect(bytes == [UInt8](repeating: 0, count: 14))
        var empty: [UInt8] = []
        Wipe.bytes(&empty)
        #expect(empty.isEmpty)
    }

    @Test("base64 decodes as Foundation does, padded or not, for every length up to 40", arguments: 0...40)
    func base64(length: Int) {
        let raw = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let padded = Data(raw).base64EncodedString()
        #expect(SecretBase64.decode(Array(padded.utf8)) == raw)
        #expect(SecretBase64.decode(Array(padded.replacingOccurrences(of: "=", with: "").utf8)) == raw)
    }

    @Test("base64 refuses characters outside the alphabet, a lone sextet and too much padding")
    func base64Refuses() {
        #expect(SecretBase64.decode(Array("AAA-".utf8)) == nil)
        #expect(SecretBase64.decode(Array("AAAAA".utf8)) == nil)
        #expect(SecretBase64.decode(Array("AA===".utf8)) == nil)
    }
}
