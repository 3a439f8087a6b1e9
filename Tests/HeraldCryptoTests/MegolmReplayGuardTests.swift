import Foundation
import Testing
@testable import HeraldCrypto

@Suite struct MegolmReplayGuardTests {
    @Test("the same event at the same index is accepted again, as after a repeated /sync")
    func sameEventAgain() throws {
        var guardian = MegolmReplayGuard()
        try guardian.record(index: 5, eventID: "$a")
        try guardian.record(index: 5, eventID: "$a")
        #expect(guardian.count == 1)
    }

    @Test("another event at a seen index is refused as a replay")
    func otherEventRefused() throws {
        var guardian = MegolmReplayGuard()
        try guardian.record(index: 5, eventID: "$a")
        #expect(throws: CryptoError.replayedIndex(5)) { try guardian.record(index: 5, eventID: "$b") }
    }

    @Test("indices may arrive in any order")
    func anyOrder() throws {
        var guardian = MegolmReplayGuard()
        for index in [9, 2, 7, 0, 100] as [UInt32] { try guardian.record(index: index, eventID: "$e\(index)") }
        #expect(guardian.count == 5)
    }

    @Test("it keeps the 256 highest indices and refuses unseen indices below them")
    func bounded() throws {
        var guardian = MegolmReplayGuard()
        for index in 0..<300 as Range<UInt32> { try guardian.record(index: index, eventID: "$e\(index)") }
        #expect(guardian.count == MegolmLimits.replayIndicesPerSession)
        // 0...43 were forgotten: they can no longer be told apart from a replay.
        #expect(throws: CryptoError.replayWindowPassed(43)) { try guardian.record(index: 43, eventID: "$e43") }
        #expect(throws: CryptoError.replayWindowPassed(10)) { try guardian.record(index: 10, eventID: "$other") }
        try guardian.record(index: 44, eventID: "$e44")
        #expect(throws: CryptoError.replayedIndex(44)) { try guardian.record(index: 44, eventID: "$other") }
        try guardian.record(index: 1000, eventID: "$e1000")
        #expect(guardian.count == MegolmLimits.replayIndicesPerSession)
    }

    @Test("empty and overlong event IDs are refused")
    func eventIDBounds() {
        var guardian = MegolmReplayGuard()
        #expect(throws: CryptoError.self) { try guardian.record(index: 1, eventID: "") }
        #expect(throws: CryptoError.self) { try guardian.record(index: 1, eventID: "$" + String(repeating: "x", count: 255)) }
        #expect(guardian.count == 0)
    }

    @Test("a stored guard still refuses replays after a round trip through JSON")
    func codable() throws {
        var guardian = MegolmReplayGuard()
        for index in 0..<260 as Range<UInt32> { try guardian.record(index: index, eventID: "$e\(index)") }
        var restored = try JSONDecoder().decode(MegolmReplayGuard.self, from: JSONEncoder().encode(guardian))
        #expect(restored == guardian)
        #expect(throws: CryptoError.replayedIndex(200)) { try restored.record(index: 200, eventID: "$x") }
        #expect(throws: CryptoError.replayWindowPassed(1)) { try restored.record(index: 1, eventID: "$e1") }
    }
}
