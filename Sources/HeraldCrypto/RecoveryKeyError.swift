/// Why the text typed as a recovery key is not one. Each is found before anything is sent and
/// tells the user what to check; none repeats any of the text.
public enum RecoveryKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A character recovery keys never contain, at this position (1-based, not counting spaces).
    case badCharacter(position: Int)
    /// This many characters (not counting spaces) instead of `RecoveryKey.characterCount`.
    case wrongLength(characters: Int)
    /// The right length, but not the start every recovery key has: another kind of key or text.
    case wrongPrefix
    /// The check byte does not match: a character was mistyped.
    case badParity

    public var description: String {
        switch self {
        case .badCharacter(let position):
            return "character \(position) of the recovery key (not counting spaces) cannot be in a recovery key: "
                + "they use letters and digits except 0, O, I and l"
        case .wrongLength(0):
            return "no recovery key was given"
        case .wrongLength(let count):
            return "the recovery key has \(count) characters (not counting spaces) but should have "
                + "\(RecoveryKey.characterCount), in 12 groups of 4: a character is \(count < RecoveryKey.characterCount ? "missing" : "extra")"
        case .wrongPrefix:
            return "that is not a recovery key: its first characters are not those of a recovery key"
        case .badParity:
            return "the recovery key has a typo: its check digit does not match; check each character again"
        }
    }
}
