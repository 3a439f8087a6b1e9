extension String {
    /// The text without control characters: U+0000–U+001F except newline and tab, and U+007F.
    /// A sender's text could otherwise carry a NUL that cuts it short, a carriage return or an
    /// escape sequence into the notification server and whatever logs what it shows.
    public var withoutControlCharacters: String {
        func isControl(_ u: Unicode.Scalar) -> Bool { (u.value < 0x20 && u != "\n" && u != "\t") || u.value == 0x7F }
        guard unicodeScalars.contains(where: isControl) else { return self }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: unicodeScalars.lazy.filter { !isControl($0) })
        return String(out)
    }
}
