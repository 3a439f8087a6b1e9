import Testing
@testable import HeraldCrypto

/// Importing a session already known keeps the better copy, as vodozemac's `compare`/`merge` do.
@Suite struct MegolmMergeTests {
    @Test("a signed key at 0 is better than an export at 256; the merge keeps index 0, signed", arguments: MegolmVectors.libraries)
    func lowerIndexWins(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        let signed = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        let export = try MegolmInboundSession(exportedKey: try vectors.export(256))
        #expect(signed.compare(export) == .better)
        #expect(export.compare(signed) == .worse)
        for merged in [signed.merged(with: export), export.merged(with: signed)] {
            let merged = try #require(merged)
            #expect(merged.firstKnownIndex == 0)
            #expect(merged.isAuthenticated)
        }
    }

    @Test("a signed key at 257 merged with an export at 0 starts at 0 and stays signed", arguments: MegolmVectors.libraries)
    func exportExtendsSignedSession(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        let signed = try MegolmInboundSession(sessionKey: vectors.laterKey)
        let export = try MegolmInboundSession(exportedKey: try vectors.export(0))
        #expect(signed.compare(export) == .worse)
        var merged = try #require(signed.merged(with: export))
        #expect(merged.firstKnownIndex == 0)
        #expect(merged.isAuthenticated)
        #expect(try merged.decrypt(try vectors.message(0).ciphertext).messageIndex == 0)
    }

    @Test("at the same index the signed copy wins over the unsigned one", arguments: MegolmVectors.libraries)
    func signedBeatsUnsigned(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        let signed = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        let export = try MegolmInboundSession(exportedKey: try vectors.export(0))
        #expect(export.compare(signed) == .equal)
        #expect(try #require(export.merged(with: signed)).isAuthenticated)
        #expect(try #require(signed.merged(with: export)).isAuthenticated)
        let unsigned = try #require(export.merged(with: export))
        #expect(!unsigned.isAuthenticated)
    }

    @Test("another session, or a forged ratchet under the same key, does not merge")
    func unconnected() throws {
        let vodozemac = try MegolmVectors.library("vodozemac"), libolm = try MegolmVectors.library("libolm")
        let session = try MegolmInboundSession(sessionKey: vodozemac.sessionKey)
        let other = try MegolmInboundSession(sessionKey: libolm.sessionKey)
        #expect(session.compare(other) == .unconnected)
        #expect(session.merged(with: other) == nil)

        var forged = try #require(UnpaddedBase64.decode(try vodozemac.export(0)))
        forged[100] ^= 1  // same key and index, another ratchet: someone else's export
        let bogus = try MegolmInboundSession(exportedKey: UnpaddedBase64.encode(forged))
        #expect(bogus.sessionID == session.sessionID)
        #expect(session.compare(bogus) == .unconnected)
        #expect(bogus.merged(with: session) == nil)
        // Also when the forged copy claims an earlier index than the real one.
        let later = try MegolmInboundSession(sessionKey: vodozemac.laterKey)
        #expect(later.compare(bogus) == .unconnected)
    }
}
