/// Reads a homeserver's JSON so that one bad value cannot sink a whole answer.
///
/// - A lone surrogate escape (`"\ud800"`) is valid JSON grammar with no character behind it:
///   it becomes U+FFFD, as RFC 8259 §8.2 leaves to the reader.
/// - What JSON does not allow inside a string (bytes that are not UTF-8, raw control
///   characters, an unknown escape), and nesting deeper than `maxDepth` (RFC 8259 §9 lets a
///   reader set that limit), damage the value. Inside an `events` array, the event holding the
///   damage is dropped and counted; elsewhere the damaged value becomes `null` and an object
///   member with a damaged key is dropped.
/// - Anything else (broken structure, a truncated answer, trailing bytes) cannot be read, and
///   throws.
public struct LenientJSON {
    public struct Result: Sendable {
        public var value: JSONValue
        /// Events left out because they held damage.
        public var skippedEvents = 0
        /// Damaged values, those inside skipped events included.
        public var damagedValues = 0
    }

    public struct SyntaxError: Error, CustomStringConvertible {
        public let offset: Int
        public let what: String
        public var description: String { "\(what) at byte \(offset)" }
    }

    /// Deeper containers are damage; Matrix events nest far less (push rules, the deepest, ~10).
    public static let maxDepth = 100

    public static func parse(_ bytes: [UInt8]) throws -> Result {
        try bytes.withUnsafeBufferPointer { buffer in
            var p = Parser(b: buffer)
            p.skipSpace()
            let value = try p.value(depth: 1)
            p.skipSpace()
            guard p.i == buffer.count else { throw SyntaxError(offset: p.i, what: "unexpected bytes after the value") }
            return Result(value: value, skippedEvents: p.skipped, damagedValues: p.damages)
        }
    }

    private struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        /// Set once damage is read; an `events` array clears it for each event and drops the
        /// events that set it. A damaged value itself is read as null.
        var damaged = false
        var damages = 0
        var skipped = 0

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        func fail(_ what: String) -> SyntaxError { SyntaxError(offset: i, what: what) }

        mutating func damage() {
            damaged = true
            damages += 1
        }

        mutating func value(depth: Int, events: Bool = false) throws -> JSONValue {
            guard i < b.count else { throw fail("the answer ends early") }
            switch b[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth > LenientJSON.maxDepth {
                    try skipContainer()
                    damage()
                    return .null
                }
                return b[i] == UInt8(ascii: "{") ? try object(depth: depth) : try array(depth: depth, events: events)
            case UInt8(ascii: "\""):
                return try string().map(JSONValue.string) ?? .null
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .number(try number())
            default:
                throw fail("unexpected byte 0x\(String(b[i], radix: 16))")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { throw fail("unexpected word") }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("unexpected word") }
            i += n
        }

        mutating func number() throws -> Double {
            let start = i
            while i < b.count, Self.isNumberByte(b[i]) { i += 1 }
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            guard let n = Double(text), n.isFinite else { throw SyntaxError(offset: start, what: "malformed number") }
            return n
        }

        static func isNumberByte(_ c: UInt8) -> Bool {
            (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        }

        mutating func object(depth: Int) throws -> JSONValue {
            i += 1
            var out: [String: JSONValue] = [:]
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                let v = try value(depth: depth + 1, events: key == "events")
                if let key { out[key] = v }  // a member whose name is damaged goes
                skipSpace()
                guard i < b.count else { throw fail("the answer ends early") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int, events: Bool) throws -> JSONValue {
            i += 1
            var out: [JSONValue] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            let outer = damaged
            while true {
                skipSpace()
                if events { damaged = false }
                let v = try value(depth: depth + 1)
                if events, damaged {
                    skipped += 1  // the bad event goes; the rest of the answer stays
                } else {
                    out.append(v)
                }
                skipSpace()
                guard i < b.count else { throw fail("the answer ends early") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") {
                    i += 1
                    if events { damaged = outer }
                    return .array(out)
                }
                throw fail("expected ',' or ']'")
            }
        }

        /// Reads a string; `i` is on the opening quote. nil when it is damaged.
        mutating func string() throws -> String? {
            i += 1
            let start = i
            // Fast path: no escape, no control byte, valid UTF-8.
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
            guard i < b.count else { throw fail("unterminated string") }
            if b[i] == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: b[start..<i])
                i += 1
                if let s = String(validating: slice, as: UTF8.self) { return s }
                damage()
                return nil
            }
            var bytes = Array(UnsafeBufferPointer(rebasing: b[start..<i]))
            var bad = false
            while true {
                guard i < b.count else { throw fail("unterminated string") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { bad = true; i += 1; continue }
                guard c == UInt8(ascii: "\\") else { bytes.append(c); i += 1; continue }
                guard i + 1 < b.count else { throw fail("unterminated string") }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"): appendScalar(try unicodeEscape(), to: &bytes)
                default: bad = true
                }
            }
            guard !bad, let s = String(validating: bytes, as: UTF8.self) else {
                damage()
                return nil
            }
            return s
        }

        /// After `\u`: four hex digits, and a low surrogate's escape after a high one.
        /// A lone surrogate is U+FFFD.
        mutating func unicodeEscape() throws -> Unicode.Scalar {
            let first = try hex4()
            switch first {
            case 0xD800...0xDBFF:
                if i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let second = try hex4()
                    if (0xDC00...0xDFFF).contains(second) {
                        return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
                    }
                    i = save  // not a pair: that escape is read on its own
                }
                return "\u{FFFD}"
            case 0xDC00...0xDFFF:
                return "\u{FFFD}"
            default:
                return Unicode.Scalar(first)!
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= b.count else { throw fail("unterminated string") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: throw fail("malformed \\u escape")
                }
                v = v << 4 | UInt32(d)
                i += 1
            }
            return v
        }

        func appendScalar(_ u: Unicode.Scalar, to bytes: inout [UInt8]) {
            bytes.append(contentsOf: UTF8.encode(u)!)
        }

        /// Steps over a container too deep to read, without recursion: brackets are counted
        /// outside strings. `i` is on its opening bracket.
        mutating func skipContainer() throws {
            var level = 0
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    while i < b.count, b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
                } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    level += 1
                } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    level -= 1
                    if level == 0 { i += 1; return }
                }
                i += 1
            }
            throw fail("the answer ends early")
        }
    }
}
