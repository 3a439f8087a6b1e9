import Testing
@testable import HeraldCrypto

@Suite struct MegolmPickleTests {
    @Test("a pickled session comes back identical and still decrypts", arguments: MegolmVectors.libraries)
    func roundTrip(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        for session in [try MegolmInboundSession(sessionKey: vectors.laterKey), try MegolmInboundSession(exportedKey: try vectors.export(256))] {
            let pickle = session.pickled()
            #expect(pickle.count == MegolmInboundSession.pickleBytes)
            var restored = try MegolmInboundSession(pickle: pickle)
            #expect(restored.pickled() == pickle)
            #expect(restored.sessionID == vectors.sessionID)
            #expect(restored.firstKnownIndex == session.firstKnownIndex)
            #expect(restored.authenticity == session.authenticity)
            #expect(try restored.decrypt(try vectors.message(257).ciphertext).messageIndex == 257)
        }
    }

    @Test("a pickle with a wrong length, format or authenticity byte is refused")
    func validated() throws {
        let pickle = try MegolmInboundSession(sessionKey: try MegolmVectors.library("libolm").sessionKey).pickled()
        #expect(throws: CryptoError.self) { try MegolmInboundSession(pickle: Array(pickle.dropLast())) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(pickle: pickle + [0]) }
        #expect(throws: CryptoError.self) { try MegolmInboundSession(pickle: []) }
        var format = pickle
        format[0] = 1
        #expect(throws: CryptoError.unsupported("Megolm session pickle format 1")) { try MegolmInboundSession(pickle: format) }
        var latestBelowFirst = try MegolmInboundSession(sessionKey: try MegolmVectors.library("libolm").laterKey).pickled()
        latestBelowFirst.replaceSubrange(134..<138, with: [0, 0, 0, 0])
        #expect(throws: CryptoError.malformed("Megolm latest ratchet")) { try MegolmInboundSession(pickle: latestBelowFirst) }
        var authenticity = pickle
        authenticity[1] = 7
        #expect(throws: CryptoError.self) { try MegolmInboundSession(pickle: authenticity) }
    }

    @Test("the latest ratchet survives a pickle: the next message after it costs one step")
    func latestPickled() throws {
        let vectors = try MegolmVectors.library("vodozemac")
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        _ = try session.decrypt(try vectors.message(65536).ciphertext)
        let restored = try MegolmInboundSession(pickle: session.pickled())
        #expect(restored.latest.index == 65536)
        #expect(restored.latest.sameState(as: session.latest))
        #expect(restored.firstKnownIndex == 0)
        #expect(try restored.open(try vectors.message(65537).ciphertext).hashes == 1)
    }

    @Test("one stored session is 298 bytes pickled and about 440 bytes in memory")
    func footprint() throws {
        #expect(MegolmInboundSession.pickleBytes == 298)
        // The struct holds three array references, two indices and the authenticity; the arrays'
        // heap buffers are 128 + 128 + 32 bytes plus a 32-byte header each.
        let inline = MemoryLayout<MegolmInboundSession>.size
        #expect(inline <= 48)
        #expect(inline + 3 * 32 + 2 * 128 + 32 <= 440)
    }
}
