import Testing
@testable import HeraldCrypto

@Suite struct MegolmLatestRatchetTests {
    @Test("the message after the latest one costs a step or two, not a walk from the first index", arguments: MegolmVectors.libraries)
    func nextMessageIsCheap(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        // 0x00FFFF from 0: 255 steps of R2 and 255 of R3, plus the re-seeds.
        #expect(try session.open(try vectors.message(65535).ciphertext).hashes > 500)
        #expect(try session.decrypt(try vectors.message(65535).ciphertext).messageIndex == 65535)
        #expect(session.latest.index == 65535)
        // The same message again (a repeated /sync) starts where the latest ratchet already is.
        #expect(try session.open(try vectors.message(65535).ciphertext).hashes == 0)
        #expect(try session.open(try vectors.message(65536).ciphertext).hashes <= 3)
        #expect(try session.decrypt(try vectors.message(65536).ciphertext).messageIndex == 65536)
        #expect(try session.open(try vectors.message(65537).ciphertext).hashes == 1)
        #expect(session.ratchet.index == 0)
    }

    @Test("an earlier message arriving after a later one still decrypts, from the first ratchet", arguments: MegolmVectors.libraries)
    func outOfOrder(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        _ = try session.decrypt(try vectors.message(257).ciphertext)
        let nine = try session.decrypt(try vectors.message(9).ciphertext)
        #expect(String(decoding: nine.plaintext, as: UTF8.self) == (try vectors.message(9).plaintext))
        #expect(session.latest.index == 257)
        #expect(session.firstKnownIndex == 0)
        #expect(try session.open(try vectors.message(0).ciphertext).hashes == 0)
    }

    @Test("a later first index still refuses earlier messages once the latest ratchet moved", arguments: MegolmVectors.libraries)
    func firstIndexStillBinds(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.laterKey)
        _ = try session.decrypt(try vectors.message(65536).ciphertext)
        #expect(throws: CryptoError.indexTooLow(256)) { try session.decrypt(try vectors.message(256).ciphertext) }
        #expect(session.firstKnownIndex == 257)
    }

    @Test("a signed message with a wrong MAC does not move the latest ratchet")
    func forgedMACLeavesLatest() throws {
        let spec = try MegolmVectors.spec()
        var session = try MegolmInboundSession(sessionKey: spec.sessionKey)
        #expect(throws: CryptoError.badMAC) { try session.decrypt(spec.signedBadMAC) }
        #expect(session.latest.index == 0)
        #expect(session.latest.sameState(as: session.ratchet))
        #expect(String(decoding: try session.decrypt(spec.message.ciphertext).plaintext, as: UTF8.self) == spec.message.plaintext)
    }

    @Test("messages with a bad signature do not move the latest ratchet", arguments: MegolmVectors.libraries)
    func forgedSignatureLeavesLatest(library: String) throws {
        let vectors = try MegolmVectors.library(library)
        var session = try MegolmInboundSession(sessionKey: vectors.sessionKey)
        _ = try session.decrypt(try vectors.message(2).ciphertext)
        let before = session.latest
        for forged in [vectors.flippedMAC, vectors.wrongSignature] {
            #expect(throws: CryptoError.badSignature) { try session.decrypt(forged) }
        }
        #expect(session.latest.sameState(as: before))
    }
}
