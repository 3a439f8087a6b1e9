import Foundation
// Re-exported because `JSONValue` moved to HeraldCore (push rules read event content there) and
// heraldd's Homeserver.swift imports HeraldMatrix without HeraldCore. Once that file imports
// HeraldCore itself, this can become a plain `import HeraldCore`.
@_exported import HeraldCore

/// The bytes of a JSON value on the wire. The type itself lives in HeraldCore.
extension JSONValue {
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    public func encoded() -> [UInt8] {
        (try? Array(JSONEncoder().encode(self))) ?? []
    }
}
