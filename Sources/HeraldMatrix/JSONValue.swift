import Foundation
import HeraldCore

/// The bytes of a JSON value on the wire. The type itself lives in HeraldCore.
extension JSONValue {
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    public func encoded() -> [UInt8] {
        (try? Array(JSONEncoder().encode(self))) ?? []
    }
}
