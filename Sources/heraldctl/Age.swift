#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// "5 min", "3 h", "2 days": how long ago an RFC 3339 time was, for the accounts table.
enum Age {
    static func since(_ timestamp: String, now: Date = Date()) -> String? {
        guard let date = parse(timestamp) else { return nil }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<60: return "\(seconds) s"
        case ..<3600: return "\(seconds / 60) min"
        case ..<86400: return "\(seconds / 3600) h"
        case ..<172_800: return "1 day"
        default: return "\(seconds / 86400) days"
        }
    }

    private static func parse(_ timestamp: String) -> Date? {
        if let date = try? Date(timestamp, strategy: .iso8601) { return date }
        return try? Date(timestamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
