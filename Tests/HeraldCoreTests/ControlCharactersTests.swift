import HeraldCore
import Testing

struct ControlCharactersTests {
    @Test func removesC0ControlsButNewlineAndTab() {
        let all = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) }))
        #expect(("a" + all + "b").withoutControlCharacters == "a\t\nb")
    }

    @Test func removesDelete() {
        #expect("rm\u{7F}\u{7F}ok".withoutControlCharacters == "rmok")
    }

    @Test func removesTerminalEscapesAndCarriageReturns() {
        #expect("\u{1B}[2Jhi\r\nthere\0".withoutControlCharacters == "[2Jhi\nthere")
    }

    @Test func keepsOtherText() {
        let text = "Dr Bob Durand — ça va ? 👋\n\tÀ demain"
        #expect(text.withoutControlCharacters == text)
        #expect("\u{85}\u{A0}".withoutControlCharacters == "\u{85}\u{A0}")  // only C0 and DEL are removed
    }
}
