/// What makes an acceptable new PIN: exactly 4 ASCII digits, and not one of the PINs people
/// choose most often. Shared by `heraldctl` (which refuses before anything is sent) and `heraldd`
/// (which refuses with `PinRejected`), so both say the same thing.
///
/// The messages never repeat the PIN: it may be close to one the user really uses.
public enum PinRules {
    public static let length = 4

    /// The most common 4-digit PINs that are neither one digit repeated nor a straight run
    /// (those are refused by rule): the rest of the top 20 of the DataGenetics study of 3.4
    /// million PINs (Nick Berry, 2012), and the keypad's middle column read down and up.
    public static let commonPins: Set<String> = [
        "1212", "1004", "2000", "6969", "1122", "1313", "2001", "1010",  // DataGenetics top 20
        "2580", "0852",  // straight down / up the middle column of a phone keypad
    ]

    public static let malformed = "a PIN is exactly 4 digits (0-9)"
    public static let repeatedDigit = "a PIN of one repeated digit (like 0000) is too easy to guess: choose another"
    public static let straightRun = "a PIN of consecutive digits (like 1234 or 9876) is too easy to guess: choose another"
    public static let tooCommon = "this PIN is one of the most common ones and too easy to guess: choose another"

    /// Why `pin` cannot be a new PIN, as one sentence fit to follow "heraldctl: ", or nil when it is fine.
    public static func problem(with pin: String) -> String? {
        guard isWellFormed(pin) else { return malformed }
        let digits = pin.utf8.map { Int($0) - Int(UInt8(ascii: "0")) }
        if Set(digits).count == 1 { return repeatedDigit }
        let steps = Set(zip(digits, digits.dropFirst()).map { $1 - $0 })
        if steps == [1] || steps == [-1] { return straightRun }
        if commonPins.contains(pin) { return tooCommon }
        return nil
    }

    /// Exactly 4 ASCII digits: what an existing PIN must look like to be worth checking.
    public static func isWellFormed(_ pin: String) -> Bool {
        pin.utf8.count == length && pin.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
