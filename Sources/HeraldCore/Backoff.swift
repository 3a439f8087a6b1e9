/// Exponential backoff with full jitter for sync retries: 1 s, 2 s, 4 s … capped at `cap`,
/// each wait drawn uniformly from [base/2, base]. A success resets it.
public struct Backoff: Sendable, Equatable {
    public var attempt = 0
    public let initialMilliseconds: Int
    public let capMilliseconds: Int

    public init(initialMilliseconds: Int = 1_000, capMilliseconds: Int = 60_000) {
        self.initialMilliseconds = initialMilliseconds
        self.capMilliseconds = capMilliseconds
    }

    /// The wait before the next try. `unit` is a random number in [0, 1).
    public mutating func next(unit: Double) -> Int {
        let shift = min(attempt, 20)
        attempt += 1
        let base = min(capMilliseconds, initialMilliseconds << shift)
        return base / 2 + Int(Double(base / 2) * max(0, min(unit, 1)))
    }

    public mutating func reset() { attempt = 0 }
}
