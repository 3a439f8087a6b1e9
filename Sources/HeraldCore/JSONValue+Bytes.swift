/// The bytes of a JSON value: read with LenientJSON's reader, written by hand. Both are several
/// times faster than Foundation's coders, which matters on every message: a decrypted event, a
/// room's stored power levels, each request body.
extension JSONValue {
    /// Reads a whole document strictly: any damage LenientJSON would tolerate in a sync answer
    /// (bytes that are not UTF-8, raw control characters, an unknown escape, nesting deeper than
    /// `LenientJSON.maxDepth`) is refused.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        let read = try LenientJSON.parse(bytes)
        guard read.damagedValues == 0 else { throw LenientJSON.SyntaxError(offset: 0, what: "a damaged value") }
        return read.value
    }

    /// Compact JSON (RFC 8259): strings as `writeString` writes them, whole numbers up to 2^53
    /// without a fraction. A number JSON cannot hold (infinite, NaN) is written
    /// as null; `decode` never yields one.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n):
            if !n.isFinite {
                out += "null".utf8
            } else if n.rounded(.towardZero) == n, abs(n) <= 9_007_199_254_740_992 {
                out += String(Int64(n)).utf8
            } else {
                out += n.description.utf8  // the shortest text that reads back as the same Double
            }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in members {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string as Matrix's canonical JSON writes it, which is also plain compact JSON:
    /// raw UTF-8, `"` and `\` escaped, the short escapes for control characters that have one
    /// and `\u00xx` for the others, `/` left alone.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0..<0x20: out += "\\u00".utf8 + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
