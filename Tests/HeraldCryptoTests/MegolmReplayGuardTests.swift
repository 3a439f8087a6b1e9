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

    @Test("a stored guard still refuses replays after a round trip through its bytes")
    func storedBytes() throws {
        var guardian = MegolmReplayGuard()
        for index in 0..<260 as Range<UInt32> { try guardian.record(index: index, eventID: "$e\(index)") }
        let bytes = guardian.bytes()
        #expect(bytes.count == 8 + 256 * 5 + (4..<260).reduce(0) { $0 + "$e\($1)".utf8.count })
        var restored = try MegolmReplayGuard(bytes: bytes[...])
        #expect(restored == guardian)
        #expect(throws: CryptoError.replayedIndex(200)) { try restored.record(index: 200, eventID: "$x") }
        #expect(throws: CryptoError.replayWindowPassed(1)) { try restored.record(index: 1, eventID: "$e1") }
        #expect(try MegolmReplayGuard(bytes: MegolmReplayGuard().bytes()[...]) == MegolmReplayGuard())
    }

    @Test("damaged guard bytes are refused")
    func damagedBytes() throws {
        var guardian = MegolmReplayGuard()
        try guardian.record(index: 5, eventID: "$five")
        try guardian.record(index: 9, eventID: "$nine")
        let good = guardian.bytes()
        // format 1, no floor, floor 0, count 2, then (5, 5, "$five") and (9, 5, "$nine").
        #expect(good == [1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 5, 5] + Array("$five".utf8) + [0, 0, 0, 9, 5] + Array("$nine".utf8))
        func refused(_ bytes: [UInt8]) -> Bool { (try? MegolmReplayGuard(bytes: bytes[...])) == nil }
        #expect(refused([]))
        #expect(refused(Array(good.dropLast())))
        #expect(refused(good + [0]))
        var edits: [(Int, UInt8)] = [
            (0, 2),     // unknown format
            (1, 2),     // floor flag neither 0 nor 1
            (5, 1),     // a floor value without the flag
            (7, 3),     // count larger than the entries
            (12, 0),    // empty event ID (and the rest no longer lines up)
            (12, 200),  // event ID longer than the bytes left
            (21, 5),    // second index equal to the first: out of order
            (14, 0xFF), // not UTF-8
        ]
        var floorAbove = good
        floorAbove[1] = 1
        floorAbove[5] = 5 // floor 5: index 5 is not above it
        #expect(refused(floorAbove))
        var tooMany: [UInt8] = [1, 0, 0, 0, 0, 0, 1, 1] // 257 entries
        for index in 0..<257 as Range<UInt32> { tooMany += [0, 0, UInt8(index >> 8), UInt8(index & 0xFF), 2, 36, 120] }
        #expect(refused(tooMany))
        edits.append((6, 0)) // the count's high byte cleared: 1 entry announced, 257 present
        for (at, value) in edits {
            var bytes = at == 6 ? tooMany : good
            bytes[at] = value
            #expect(refused(bytes), "byte \(at) set to \(value)")
        }
    }
}
