import Testing
@testable import HeraldCrypto

/// Inbound Megolm against sessions made by vodozemac and by libolm (`megolm_reference.py`).
@Suite struct MegolmInteropTests {
    @Test("decrypts every message from the m.room_key session key, indices 0 to 100,000", arguments: MegolmVectors.libraries)
    func decryptsEveryIndex(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        #expect(vectors.messages.map(\.index) == [0, 1, 2, 9, 255, 256, 257, 65535, 65536, 65537, 100_000])
        for message in vectors.messages {
            let decrypted = try session.decrypt(message.ciphertext)
            #expect(decrypted.messageIndex == message.index)
            #expect(String(decoding: decrypted.plaintext, as: UTF8.self) == message.plaintext)
        }
    }

    @Test("the session ID is the signing key, the key is signed and starts at 0", arguments: MegolmVectors.libraries)
    func sessionIdentity(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        let session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        #expect(session.sessionID == vectors.sessionID)
        #expect(session.isAuthenticated)
        #expect(session.firstKnownIndex == 0)
    }

    @Test("decrypts out of order: newest first, then a shuffle", arguments: MegolmVectors.libraries)
    func outOfOrder(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        for message in vectors.messages.reversed() + vectors.messages.shuffled() {
            #expect(try session.decrypt(message.ciphertext).messageIndex == message.index)
        }
    }

    @Test("an export at 256 is unsigned, decrypts from 256 on and refuses 255", arguments: MegolmVectors.libraries)
    func exportRefusesEarlierIndex(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(exportedKey: try vectors.export(256))
        #expect(session.firstKnownIndex == 256)
        #expect(!session.isAuthenticated)
        #expect(session.sessionID == vectors.sessionID)
        for message in vectors.messages where message.index >= 256 {
            #expect(String(decoding: try session.decrypt(message.ciphertext).plaintext, as: UTF8.self) == message.plaintext)
        }
        #expect(throws: CryptoError.indexTooLow(255)) { try session.decrypt(try vectors.message(255).ciphertext) }
        #expect(throws: CryptoError.indexTooLow(0)) { try session.decrypt(try vectors.message(0).ciphertext) }
    }

    @Test("a session key shared at 257 decrypts 257 and refuses 256", arguments: MegolmVectors.libraries)
    func laterSessionKey(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.laterKey)
        #expect(session.firstKnownIndex == vectors.laterIndex)
        #expect(session.isAuthenticated)
        #expect(try session.decrypt(try vectors.message(257).ciphertext).messageIndex == 257)
        #expect(throws: CryptoError.indexTooLow(256)) { try session.decrypt(try vectors.message(256).ciphertext) }
    }

    @Test("a flipped MAC byte is refused (the signature covers the MAC)", arguments: MegolmVectors.libraries)
    func flippedMAC(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        #expect(throws: CryptoError.badSignature) { try session.decrypt(vectors.flippedMAC) }
    }

    @Test("a right MAC signed by another key is refused", arguments: MegolmVectors.libraries)
    func wrongSignature(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        #expect(throws: CryptoError.badSignature) { try session.decrypt(vectors.wrongSignature) }
    }

    @Test("advancing the ratchet reproduces the library's exports, up to 2^24, in few hashes", arguments: MegolmVectors.libraries)
    func ratchetMatchesExports(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        let start = try MegolmInboundSession(sessionKey: vectors.sessionKey).ratchet
        #expect(vectors.exports.keys.sorted() == [0, 1, 256, 257, 65536, 100_000, 1 << 24])
        for (index, export) in vectors.exports {
            let expected = try MegolmInboundSession(exportedKey: export)
            #expect(expected.firstKnownIndex == index)
            var ratchet = start
            let hashes = ratchet.advance(to: index)
            #expect(hashes <= MegolmLimits.maxHashesPerAdvance)
            #expect(ratchet.sameState(as: expected.ratchet), "ratchet at \(index)")
        }
    }

    @Test("a spec-built message with a valid signature but a wrong MAC is refused")
    func signedBadMAC() throws {
        let spec = try MegolmVectors.spec()
        var session = try MegolmInboundSession(sessionKey: spec.sessionKey)
        #expect(String(decoding: try session.decrypt(spec.message.ciphertext).plaintext, as: UTF8.self) == spec.message.plaintext)
        #expect(throws: CryptoError.badMAC) { try session.decrypt(spec.signedBadMAC) }
    }
}
