import HeraldControl
import Testing

struct PinRulesTests {
    @Test(arguments: ["4826", "7391", "0482", "1986", "2468", "1357", "9021", "0987", "7890"])
    func ordinaryPinsAreAccepted(pin: String) {
        #expect(PinRules.problem(with: pin) == nil)
        #expect(PinRules.isWellFormed(pin))
    }

    @Test(arguments: ["", "123", "12345", "12a4", " 482", "4826 ", "48\n6", "+482", "-482", "٤٨٢٦", "４８２６", "4.82"])
    func onlyExactlyFourAsciiDigitsAreWellFormed(pin: String) {
        #expect(PinRules.problem(with: pin) == PinRules.malformed)
        #expect(!PinRules.isWellFormed(pin))
    }

    @Test func oneRepeatedDigitIsRefused() {
        for digit in 0...9 {
            let pin = String(repeating: String(digit), count: 4)
            #expect(PinRules.problem(with: pin) == PinRules.repeatedDigit, "\(pin)")
        }
    }

    @Test func straightRunsAreRefused() {
        let ascending = ["0123", "1234", "2345", "3456", "4567", "5678", "6789"]
        for pin in ascending + ascending.map({ String($0.reversed()) }) {
            #expect(PinRules.problem(with: pin) == PinRules.straightRun, "\(pin)")
        }
    }

    @Test func theMostCommonPinsAreRefused() {
        // The DataGenetics top 20, every one refused by one rule or another.
        let top20 = ["1234", "1111", "0000", "1212", "7777", "1004", "2000", "4444", "2222", "6969",
                     "9999", "3333", "5555", "6666", "1122", "1313", "8888", "4321", "2001", "1010"]
        for pin in top20 + ["2580", "0852"] {
            #expect(PinRules.problem(with: pin) != nil, "\(pin)")
        }
        for pin in PinRules.commonPins {
            #expect(PinRules.problem(with: pin) == PinRules.tooCommon, "\(pin) is refused by a rule already")
        }
    }

    @Test func messagesNeverRepeatThePin() {
        for pin in ["2345", "7777", "1212", "12a4"] {
            #expect(!(PinRules.problem(with: pin) ?? "").contains(pin))
        }
    }
}
