/// A Matrix user ID, `@localpart:server.name`, checked for shape and length (255 bytes at most).
public struct UserID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public init?(_ raw: String) {
        guard raw.utf8.count <= 255, raw.hasPrefix("@"), let colon = raw.firstIndex(of: ":") else { return nil }
        let local = raw[raw.index(after: raw.startIndex)..<colon]
        let server = raw[raw.index(after: colon)...]
        guard !local.isEmpty, !server.isEmpty,
              raw.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        rawValue = raw
    }

    public var localpart: String { String(rawValue.dropFirst().prefix { $0 != ":" }) }
    public var serverName: String { String(rawValue[rawValue.index(after: rawValue.firstIndex(of: ":")!)...]) }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Finds the one account a user means: the full ID, or a prefix with or without the `@`.
public enum AccountMatch: Equatable, Sendable {
    case found(UserID)
    case none
    case ambiguous([UserID])

    public static func resolve(_ query: String, among ids: [UserID]) -> AccountMatch {
        if let exact = ids.first(where: { $0.rawValue == query }) { return .found(exact) }
        let q = query.hasPrefix("@") ? query : "@" + query
        let hits = ids.filter { $0.rawValue.hasPrefix(q) }.sorted()
        switch hits.count {
        case 0: return .none
        case 1: return .found(hits[0])
        default:
            // "alice" is not ambiguous between @alice:a and @alicia:b once it names a whole localpart.
            let whole = hits.filter { $0.localpart == q.dropFirst() || $0.rawValue == q }
            return whole.count == 1 ? .found(whole[0]) : .ambiguous(hits)
        }
    }
}
