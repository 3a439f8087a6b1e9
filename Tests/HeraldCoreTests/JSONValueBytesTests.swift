import HeraldCore
import Testing

struct JSONValueBytesTests {
    func text(_ v: JSONValue) -> String { String(decoding: v.encoded(), as: UTF8.self) }

    @Test func writesCompactJSON() {
        #expect(text(["a": [1, true, .null, "x"]]) == #"{"a":[1,true,null,"x"]}"#)
        #expect(text(.number(-0.5)) == "-0.5")
        #expect(text(.number(9_007_199_254_740_992)) == "9007199254740992")
        #expect(text(.number(.infinity)) == "null")
        #expect(text(.number(.nan)) == "null")
    }

    @Test func escapesOnlyWhatJSONRequires() {
        #expect(text("say \"hi\" \\ back") == #""say \"hi\" \\ back""#)
        #expect(text("a\nb\tc\rd\u{8}\u{C}\u{1}e\u{1F}") == #""a\nb\tc\rd\b\f\u0001e\u001f""#)
        #expect(text("Zoë / 🩺 </script>") == "\"Zoë / 🩺 </script>\"")
    }

    @Test func whatItWritesReadsBackTheSame() throws {
        let values: [JSONValue] = [
            ["users": ["@a:x": 100, "@b:x": 50], "usersDefault": 0, "notifications": ["room": 50]],
            [.number(0.1), .number(1e300), .number(-5e-324), .number(-42), "\u{7F}\u{0}", [:], []],
            ["nested": ["deeper": ["deepest": ["\"quoted\" key": "é\\"]]]],
        ]
        for v in values {
            #expect(try JSONValue.decode(v.encoded()) == v)
        }
    }
}
