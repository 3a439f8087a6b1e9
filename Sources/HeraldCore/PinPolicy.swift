/// What the database keeps about an account's PIN attempts. Nothing here is the PIN.
public struct PinAttempts: Sendable, Equatable {
    /// Consecutive failures, counted before each check so a crash never loses one.
    public var failures = 0
    /// No attempt is checked before this time (seconds since 1970).
    public var lockedUntil: Double?
    /// Derivation of the last wrong PIN, so that the same wrong PIN typed again right away counts once.
    public var lastWrong: [UInt8]?
    public var lastWrongAt: Double?

    public init(failures: Int = 0, lockedUntil: Double? = nil, lastWrong: [UInt8]? = nil, lastWrongAt: Double? = nil) {
        self.failures = failures
        self.lockedUntil = lockedUntil
        self.lastWrong = lastWrong
        self.lastWrongAt = lastWrongAt
    }
}

/// The PIN attempt policy: no wait for the first 4 failures, then about 1, 5, 15, 15 and 60
/// minutes; the 10th consecutive failure signs the account out.
public enum PinPolicy {
    public static let maximumFailures = 10
    /// An identical wrong PIN within this many seconds of the last one is a typing repeat, not a guess.
    public static let repeatWindow = 60.0

    /// Seconds to wait after `failures` consecutive failures.
    public static func wait(afterFailures failures: Int) -> Double {
        switch failures {
        case ..<5: return 0
        case 5: return 60
        case 6: return 300
        case 7, 8: return 900
        default: return 3600
        }
    }

    public enum Gate: Equatable, Sendable {
        case check
        /// Refused at once, without deriving anything.
        case wait(seconds: Int)
    }

    public static func gate(_ a: PinAttempts, now: Double) -> Gate {
        if let until = a.lockedUntil, until > now { return .wait(seconds: Int((until - now).rounded(.up))) }
        return .check
    }

    /// The state to store before the derivation runs: this attempt counted as failed.
    public static func begin(_ a: PinAttempts) -> PinAttempts {
        var b = a
        b.failures += 1
        return b
    }

    public enum Outcome: Equatable, Sendable {
        case accepted
        case rejected(attemptsLeft: Int, waitSeconds: Int)
        case signOut
    }

    /// The state to store after the check, and what to answer.
    /// - Parameter waitScale: multiplies every wait (tests only; 1 in use).
    public static func finish(_ begun: PinAttempts, matched: Bool, digest: [UInt8], now: Double,
                              waitScale: Double = 1) -> (PinAttempts, Outcome) {
        if matched { return (PinAttempts(), .accepted) }
        var a = begun
        if let last = a.lastWrong, let at = a.lastWrongAt, last == digest, now - at < repeatWindow {
            a.failures -= 1  // the same wrong PIN again: already counted
        }
        a.lastWrong = digest
        a.lastWrongAt = now
        if a.failures >= maximumFailures { return (a, .signOut) }
        let w = wait(afterFailures: a.failures) * waitScale
        a.lockedUntil = w > 0 ? now + w : nil
        return (a, .rejected(attemptsLeft: maximumFailures - a.failures, waitSeconds: Int(w.rounded(.up))))
    }
}
