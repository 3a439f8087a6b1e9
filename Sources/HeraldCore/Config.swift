/// Herald's settings from `herald.toml`. Every key is optional; `config/herald.toml` documents them.
public struct Config: Sendable, Equatable {
    /// Extra CA bundle (PEM) for homeservers with a private certificate authority.
    public var caFile: String?
    /// How long one /sync long poll waits for news on the server, in seconds.
    public var pollSeconds = Config.defaultPollSeconds
    /// 45 s: an idle account's answers, one wake-up each, come 1.3 times a minute (2 at 30 s),
    /// and the poll with its answer still ends well before the idle limits of common reverse
    /// proxies and load balancers (50 s in HAProxy's example configuration, 60 s in nginx's
    /// proxy_read_timeout, Apache's ProxyTimeout and AWS's load balancers), which would cut a
    /// longer one and leave the account offline.
    public static let defaultPollSeconds = 45
    /// Minutes after an unlock when the account locks again by itself; 0 turns it off.
    public var idleLockMinutes = 15
    /// Language of notification texts: "auto" (from the locale), "en" or "fr".
    public var language = "auto"
    /// What a notification's "Open" starts through xdg-open: `{room}` is the percent-encoded room
    /// ID, `{room_raw}` the ID without its "!". The default hands a matrix: URI to the desktop's chat client.
    public var openURL = "matrix:roomid/{room_raw}"
    /// No popups in this daily window (local time), except mentions when allowed.
    public var quietHours: QuietHours?
    /// Where the token key is kept: chosen at start (`secrets.key_store`).
    public var keyStore = KeyStoreChoice.auto
    /// The older spelling of `keyStore == .secretService` (`secrets.require_secret_service`).
    public var requireSecretService: Bool { keyStore == .secretService }

    public init() {}

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case syntax(line: Int, message: String)
        case value(line: Int, key: String, message: String)
        case tooLarge

        public var description: String {
            switch self {
            case .syntax(let line, let m): return "line \(line): \(m)"
            case .value(let line, let key, let m): return "line \(line): \(key): \(m)"
            case .tooLarge: return "the file is larger than 64 KiB"
            }
        }
    }

    /// Parses the subset of TOML Herald uses: `[section]`, `key = "string" | integer | true | false`,
    /// `#` comments. Unknown keys are returned as warnings, not errors, so an older Herald
    /// still starts with a newer file.
    public static func parse(_ text: String) throws -> (Config, warnings: [String]) {
        guard text.utf8.count <= 64 << 10 else { throw ParseError.tooLarge }
        var config = Config()
        var warnings: [String] = []
        var section = ""
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = index + 1
            let line = stripComment(raw).trimmed
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw ParseError.syntax(line: n, message: "a section is written [name]") }
                section = String(line.dropFirst().dropLast()).trimmed
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { throw ParseError.syntax(line: n, message: "expected key = value") }
            let key = String(line[..<eq]).trimmed
            let value = try Value(parsing: String(line[line.index(after: eq)...]).trimmed, line: n)
            let full = section.isEmpty ? key : "\(section).\(key)"
            switch full {
            case "network.ca_file":
                guard case .string(let s) = value else { throw ParseError.value(line: n, key: full, message: "expected a quoted path") }
                guard s.isEmpty || s.hasPrefix("/") else { throw ParseError.value(line: n, key: full, message: "expected an absolute path") }
                config.caFile = s.isEmpty ? nil : s
            case "sync.poll_seconds":
                guard case .integer(let i) = value, (5...120).contains(i) else {
                    throw ParseError.value(line: n, key: full, message: "expected a whole number of seconds from 5 to 120")
                }
                config.pollSeconds = i
            case "lock.idle_minutes":
                guard case .integer(let i) = value, (0...1440).contains(i) else {
                    throw ParseError.value(line: n, key: full, message: "expected a whole number of minutes from 0 to 1440")
                }
                config.idleLockMinutes = i
            case "notifications.language":
                guard case .string(let l) = value, ["auto", "en", "fr"].contains(l) else {
                    throw ParseError.value(line: n, key: full, message: "expected \"auto\", \"en\" or \"fr\"")
                }
                config.language = l
            case "notifications.open_url":
                guard case .string(let u) = value, u.hasPrefix("matrix:") || u.hasPrefix("https://"), u.utf8.count <= 512 else {
                    throw ParseError.value(line: n, key: full, message: "expected a matrix: or https:// template, e.g. \"https://app.element.io/#/room/{room}\"")
                }
                config.openURL = u
            case "quiet_hours.start", "quiet_hours.end":
                guard case .string(let t) = value, let minutes = QuietHours.minutes(t) else {
                    throw ParseError.value(line: n, key: full, message: "expected a time as \"HH:MM\", e.g. \"20:00\"")
                }
                var q = config.quietHours ?? QuietHours(start: 0, end: 0)
                if key == "start" { q.start = minutes } else { q.end = minutes }
                config.quietHours = q
            case "quiet_hours.allow_highlights":
                guard case .bool(let b) = value else { throw ParseError.value(line: n, key: full, message: "expected true or false") }
                var q = config.quietHours ?? QuietHours(start: 0, end: 0)
                q.allowHighlights = b
                config.quietHours = q
            case "secrets.key_store":
                guard case .string(let v) = value, let choice = KeyStoreChoice(rawValue: v) else {
                    throw ParseError.value(line: n, key: full, message: "expected \"auto\", \"secret-service\" or \"key-file\"")
                }
                config.keyStore = try choice.merged(with: config.keyStore, line: n, key: full)
            case "secrets.require_secret_service":
                guard case .bool(let b) = value else { throw ParseError.value(line: n, key: full, message: "expected true or false") }
                if b { config.keyStore = try KeyStoreChoice.secretService.merged(with: config.keyStore, line: n, key: full) }
            default:
                warnings.append("line \(n): unknown setting \(full) (ignored)")
            }
        }
        return (config, warnings)
    }

    enum Value: Equatable {
        case string(String), integer(Int), bool(Bool)

        init(parsing s: String, line: Int) throws {
            if s == "true" { self = .bool(true); return }
            if s == "false" { self = .bool(false); return }
            if let i = Int(s) { self = .integer(i); return }
            guard s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") else {
                throw ParseError.syntax(line: line, message: "a value is a \"quoted string\", a number, true or false")
            }
            var out = ""
            var escaped = false
            for c in s.dropFirst().dropLast() {
                if escaped {
                    switch c {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\\", "\"": out.append(c)
                    default: throw ParseError.syntax(line: line, message: "unknown escape \\\(c)")
                    }
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    throw ParseError.syntax(line: line, message: "unescaped quote inside a string")
                } else {
                    out.append(c)
                }
            }
            if escaped { throw ParseError.syntax(line: line, message: "a string ends with a lone backslash") }
            self = .string(out)
        }
    }

    static func stripComment(_ line: Substring) -> Substring {
        var inString = false
        var escaped = false
        for i in line.indices {
            let c = line[i]
            if escaped { escaped = false; continue }
            if c == "\\" && inString { escaped = true; continue }
            if c == "\"" { inString.toggle() }
            if c == "#" && !inString { return line[..<i] }
        }
        return line
    }
}

extension StringProtocol {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
