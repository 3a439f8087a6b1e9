import HeraldCore

/// Matrix's canonical JSON (spec appendices, Canonical JSON): the bytes that signatures cover.
/// No whitespace, object keys sorted by Unicode code point at every level, raw UTF-8, only the
/// short escapes and `\u00xx` for other control characters, `/` left alone, integers only.
public enum CanonicalJSON {
    /// The largest magnitude a canonical JSON number may have: 2^53 − 1.
    public static let maxInteger: Double = 9_007_199_254_740_991

    /// Throws `CryptoError.malformed` for a number that is not an integer within ±(2^53 − 1).
    public static func encode(_ value: JSONValue) throws -> [UInt8] {
        var out: [UInt8] = []
        try write(value, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8]) throws {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let n):
            guard n.isFinite, n.rounded(.towardZero) == n, abs(n) <= maxInteger else {
                throw CryptoError.malformed("canonical JSON number (integers within ±(2^53−1) only)")
            }
            out += Array(String(Int64(n)).utf8)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Sorting by UTF-8 bytes is sorting by code point; String's own `<` is not.
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
