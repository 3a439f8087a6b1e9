import Foundation
import HeraldCore
import HeraldMatrix
import Testing

struct LenientJSONTests {
    let me = UserID("@alice:x")!

    /// A /sync answer whose room timeline holds `events`, spliced in as raw bytes.
    func answer(_ events: [String]) -> [UInt8] {
        Array(#"{"next_batch":"s9","rooms":{"join":{"!r:x":{"timeline":{"events":["#.utf8)
            + Array(events.joined(separator: ",").utf8) + Array("]}}}}}".utf8)
    }

    func event(_ id: String, body: String) -> String {
        #"{"type":"m.room.message","event_id":"\#(id)","sender":"@bob:x","origin_server_ts":5,"content":{"msgtype":"m.text","body":"\#(body)"}}"#
    }

    func digest(_ bytes: [UInt8]) throws -> (SyncDigest, LenientJSON.Result) {
        let read = try LenientJSON.parse(bytes)
        return (try SyncDigest.read(read.value, me: me, known: [:], displayName: { _, _ in nil }, notify: true), read)
    }

    @Test func anEventWithBytesThatAreNotUTF8IsLeftOutAndTheRestRead() throws {
        var bytes = answer([event("$1", body: "before"), event("$2", body: "BAD"), event("$3", body: "after")])
        let at = bytes.firstRange(of: Array("BAD".utf8))!
        bytes.replaceSubrange(at, with: [0x61, 0xFF, 0xC3])  // a stray byte, then a cut-off sequence
        let (d, read) = try digest(bytes)
        #expect(read.skippedEvents == 1)
        #expect(d.nextBatch == "s9")
        #expect(d.messages.map(\.eventID) == ["$1", "$3"])
    }

    @Test func aLoneSurrogateEscapeBecomesTheReplacementCharacter() throws {
        let (d, read) = try digest(answer([event("$1", body: #"a\ud800b"#), event("$2", body: #"\udc00"#)]))
        #expect(read.skippedEvents == 0)
        #expect(d.messages.map(\.content) == [.text("a\u{FFFD}b"), .text("\u{FFFD}")])
    }

    @Test func aSurrogatePairIsOneCharacter() throws {
        let (d, _) = try digest(answer([event("$1", body: #"\ud83d\ude00 \u00e9\n\"q\"\\\/"#)]))
        #expect(d.messages.first?.content == .text("😀 é\n\"q\"\\/"))
    }

    @Test func absurdNestingLeavesOutItsEventWithoutRecursing() throws {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let nested = #"{"type":"m.room.message","event_id":"$2","sender":"@bob:x","content":{"msgtype":"m.text","body":"x","deep":\#(deep)}}"#
        let (d, read) = try digest(answer([event("$1", body: "kept"), nested, event("$3", body: "also kept")]))
        #expect(read.skippedEvents == 1)
        #expect(d.messages.map(\.eventID) == ["$1", "$3"])
    }

    @Test func rawControlCharactersInAStringAreDamage() throws {
        var bytes = answer([event("$1", body: "TAB"), event("$2", body: "fine")])
        bytes.replaceSubrange(bytes.firstRange(of: Array("TAB".utf8))!, with: [0x61, 0x01])
        let (d, read) = try digest(bytes)
        #expect(read.skippedEvents == 1)
        #expect(d.messages.map(\.eventID) == ["$2"])
    }

    @Test func damageOutsideAnEventNullsOnlyThatValue() throws {
        let bytes = Array(#"{"next_batch":"s9","x":{"a":"#.utf8) + [0x22, 0xFF, 0x22] + Array(#","b":[1,"ok"]}}"#.utf8)
        let read = try LenientJSON.parse(bytes)
        #expect(read.value["next_batch"]?.string == "s9")
        #expect(read.value["x"]?["a"] == .null)
        #expect(read.value["x"]?["b"] == [1, "ok"])
        #expect(read.damagedValues == 1)
        #expect(read.skippedEvents == 0)
    }

    @Test func aBrokenAnswerCannotBeRead() {
        for broken in [#"{"next_batch":"s9""#, #"{"a":1,}"#, "[1 2]", #"{"a":tru}"#, "{} x", "", #""\u12"#] {
            #expect(throws: LenientJSON.SyntaxError.self, "\(broken)") { try LenientJSON.parse(Array(broken.utf8)) }
        }
    }

    @Test func readsWhatFoundationReads() throws {
        let text = #"{"a":[1,-2.5,3e2,0,true,false,null],"b":{"c":"d\u00e9\t","e":[]},"f":{},"g":"ü","n":1.7976931348623157e308}"#
        #expect(try LenientJSON.parse(Array(text.utf8)).value == JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)))
    }

    @Test func decodeRefusesWhatAnAnswerWouldTolerate() throws {
        #expect(try JSONValue.decode(Array(#"{"type":"m.room.message","content":{"body":"é"}}"#.utf8))["content"]?["body"] == "é")
        let notUTF8 = Array(#"{"content":{"body":"#.utf8) + [0x22, 0xFF, 0x22] + Array("}}".utf8)
        let controlCharacter = Array(#"{"body":"a"#.utf8) + [0x01] + Array(#""}"#.utf8)
        let tooDeep = Array((String(repeating: "[", count: 101) + String(repeating: "]", count: 101)).utf8)
        let damagedEvent = Array(#"{"events":[{"a":"#.utf8) + [0x22, 0xFF, 0x22] + Array("}]}".utf8)
        for bytes in [notUTF8, controlCharacter, tooDeep, damagedEvent, Array("{".utf8)] {
            #expect(throws: LenientJSON.SyntaxError.self) { try JSONValue.decode(bytes) }
        }
    }
}
