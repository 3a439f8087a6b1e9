import Testing
@testable import HeraldCrypto

@Suite struct MegolmPickleTests {
    @Test("a pickled session comes back identical and still decrypts", arguments: MegolmVectors.libraries)
    func roundTrip(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        for session in [try MegolmInboundSession(sessionKey: vectors.laterKey), try MegolmInboundSession(exportedKey: try vectors.export(256))] {
            let pickle = session.pickled()
            #expect(pickle.count == MegolmInboundSession.pickleBytes)
            let restored = try MegolmInboundSession(pickle: pickle)
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
        format[0] = 2
        #expect(throws: CryptoError.unsupported("Megolm session pickle format 2")) { try MegolmInboundSession(pickle: format) }
        var authenticity = pickle
        authenticity[1] = 7
        #expect(throws: CryptoError.self) { try MegolmInboundSession(pickle: authenticity) }
    }

    @Test("one stored session is 166 bytes pickled and about 250 bytes in memory")
    func footprint() throws {
        #expect(MegolmInboundSession.pickleBytes == 166)
        // The struct holds two array references, the index and the authenticity; the arrays'
        // heap buffers are 128 + 32 bytes plus a 32-byte header each.
        let inline = MemoryLayout<MegolmInboundSession>.size
        #expect(inline <= 32)
        #expect(inline + 2 * 32 + 128 + 32 <= 250)
    }
}
