#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A moment in ISO 8601, UTC, to the second ("2026-11-30T16:57:37Z"), as status and the control
/// protocol show it. The C library's calendar does the arithmetic: Foundation's formatter loads
/// ICU's calendar and time zone data (megabytes that then stay resident) for a string that needs
/// none of it.
public enum UTCTimestamp {
    /// The latest moment shown as itself: 9999-12-31T23:59:59Z. Anything later (or not a
    /// number) is shown as that; anything before 1970 as the epoch.
    static let latest: Double = 253_402_300_799

    public static func iso8601(_ secondsSince1970: Double) -> String {
        let clamped = secondsSince1970.isNaN ? 0 : min(max(secondsSince1970, 0), latest)
        var time = time_t(clamped.rounded(.down))
        var t = tm()
        guard gmtime_r(&time, &t) != nil else { return "1970-01-01T00:00:00Z" }
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(t.tm_year + 1900)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year
            + "-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
    }
}
