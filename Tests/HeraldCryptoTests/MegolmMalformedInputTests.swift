import Testing
@testable import HeraldCrypto

/// Malformed, truncated and oversized input is refused with a `CryptoError`, never a crash.
@Suite struct MegolmMalformedInputTests {
    /// A well-shaped message around the given payload fields, with zero MAC and signature.
    private func message(version: UInt8 = 3, fields: [UInt8]) -> [UInt8] {
        [version] + fields + [UInt8](repeating: 0, count: 8 + 64)
    }

    private let block = [UInt8](repeating: 0xAB, count: 16)

    @Test("a well-shaped message parses to its index and ciphertext")
    func wellShaped() throws {
        let parsed = try MegolmMessage(bytes: message(fields: [0x08, 0xAC, 0x02, 0x12, 16] + block))
        #expect(parsed.index == 300)
        #expect(Array(parsed.ciphertext) == block)
    }

    @Test("every truncation of a real message is refused", arguments: MegolmVectors.libraries)
    func truncations(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        let bytes = try #require(UnpaddedBase64.decode(try vectors.message(1).ciphertext))
        for length in 0..<bytes.count {
            #expect(throws: CryptoError.self) { try session.decrypt(UnpaddedBase64.encode(bytes[..<length])) }
        }
    }

    @Test("a message over 64 KiB is refused before it is parsed, as bytes and as base64")
    func oversized() throws {
        let big = message(fields: [0x08, 0x01, 0x12, 0x80, 0x80, 0x04] + [UInt8](repeating: 0, count: 65536))
        #expect(throws: CryptoError.tooLarge("Megolm message")) { try MegolmMessage(bytes: big) }
        #expect(throws: CryptoError.tooLarge("Megolm message")) { try MegolmMessage(base64: UnpaddedBase64.encode(big)) }
        #expect(throws: CryptoError.tooLarge("Megolm message")) { try MegolmMessage(base64: String(repeating: "A", count: 10_000_000)) }
    }

    @Test("other versions, bad base64 and empty input are refused")
    func versionsAndEncoding() {
        #expect(throws: CryptoError.unsupported("Megolm message version 4")) { try MegolmMessage(bytes: message(version: 4, fields: [0x08, 0x01, 0x12, 16] + block)) }
        #expect(throws: CryptoError.unsupported("Megolm message version 2")) { try MegolmMessage(bytes: message(version: 2, fields: [0x08, 0x01, 0x12, 16] + block)) }
        #expect(throws: CryptoError.self) { try MegolmMessage(base64: "not base64!") }
        #expect(throws: CryptoError.self) { try MegolmMessage(base64: "") }
        #expect(throws: CryptoError.self) { try MegolmMessage(bytes: []) }
    }

    @Test("bad payload fields are refused", arguments: [
        [0x12, 16] + [UInt8](repeating: 1, count: 16),                                     // no index
        [0x08, 0x01],                                                                      // no ciphertext
        [0x08, 0x80, 0x80, 0x80, 0x80, 0x10, 0x12, 16] + [UInt8](repeating: 1, count: 16), // index over 2^32
        [0x08, 0x01, 0x12, 15] + [UInt8](repeating: 1, count: 15),                         // not whole AES blocks
        [0x08, 0x01, 0x12, 0x00],                                                          // empty ciphertext
        [0x08, 0x01, 0x08, 0x02, 0x12, 16] + [UInt8](repeating: 1, count: 16),             // two indices
        [0x08, 0x01, 0x12, 100] + [UInt8](repeating: 1, count: 16),                        // length past the end
        [0x08, 0x01, 0x0D, 1, 2, 3, 4] + [UInt8](repeating: 1, count: 16),                 // wire type 5
        [0x08] + [UInt8](repeating: 0xFF, count: 11) + [UInt8](repeating: 1, count: 16),   // endless varint
        [0x0A, 0x01, 0x00, 0x12, 16] + [UInt8](repeating: 1, count: 16),                   // index as bytes
    ] as [[UInt8]])
    func badFields(fields: [UInt8]) {
        #expect(throws: CryptoError.self) { try MegolmMessage(bytes: message(fields: fields)) }
    }

    @Test("an unknown payload field is skipped, as libolm does")
    func unknownFieldSkipped() throws {
        let parsed = try MegolmMessage(bytes: message(fields: [0x18, 0x05, 0x08, 0x07, 0x22, 0x01, 0x00, 0x12, 16] + block))
        #expect(parsed.index == 7)
    }

    @Test("random bytes after a version byte are refused, never a crash")
    func randomBytes() throws {
        var session = try MegolmInboundSession(sessionKey: try MegolmVectors.library("vodozemac").sessionKey)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let length = Int.random(in: 0..<300, using: &generator)
            let bytes = [3] + (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: CryptoError.self) { try session.decrypt(UnpaddedBase64.encode(bytes)) }
        }
    }

    @Test("session keys: a changed byte breaks the signature; wrong formats and lengths are refused", arguments: MegolmVectors.libraries)
    func sessionKeys(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var key = try #require(UnpaddedBase64.decode(vectors.sessionKey))
        key[40] ^= 1
        #expect(throws: CryptoError.badSignature) { try MegolmInboundSession(sessionKey: UnpaddedBase64.encode(key)) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(sessionKey: try vectors.export(0)) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(exportedKey: vectors.sessionKey) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(sessionKey: String(vectors.sessionKey.dropLast(4))) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(exportedKey: String(try vectors.export(0).dropLast(4))) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(exportedKey: try vectors.export(0) + "AAAA") }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(sessionKey: "") }
    }
}
