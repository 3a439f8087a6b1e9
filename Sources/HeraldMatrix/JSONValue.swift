import Foundation
import HeraldCore

/// The bytes of a JSON value on the wire. The type itself lives in HeraldCore.
extension JSONValue {
    /// Reads a whole document strictly: LenientJSON's reader (several times faster than
    /// Foundation's decoder, which matters for every decrypted message), with any damage it
    /// would tolerate in a sync answer (bytes that are not UTF-8, raw control characters, an
    /// unknown escape, nesting deeper than `LenientJSON.maxDepth`) refused.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        let read = try LenientJSON.parse(bytes)
        guard read.damagedValues == 0 else { throw LenientJSON.SyntaxError(offset: 0, what: "a damaged value") }
        return read.value
    }

    public func encoded() -> [UInt8] {
        (try? Array(JSONEncoder().encode(self))) ?? []
    }
}
