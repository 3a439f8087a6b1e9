/// A daily window with no popups, e.g. 20:00–08:00; highlights (mentions) may still come through.
public struct QuietHours: Sendable, Equatable {
    /// Minutes since midnight, local time.
    public var start: Int
    public var end: Int
    public var allowHighlights: Bool

    public init(start: Int, end: Int, allowHighlights: Bool = true) {
        self.start = start
        self.end = end
        self.allowHighlights = allowHighlights
    }

    /// Whether `minute` (since local midnight) falls in the window; a window may wrap past midnight.
    public func contains(minute: Int) -> Bool {
        if start == end { return false }
        return start < end ? (start..<end).contains(minute) : (minute >= start || minute < end)
    }

    /// Whether a message may pop up at `minute`.
    public func allows(highlight: Bool, minute: Int) -> Bool {
        !contains(minute: minute) || (highlight && allowHighlights)
    }

    /// "HH:MM" → minutes since midnight.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return h * 60 + m
    }
}
