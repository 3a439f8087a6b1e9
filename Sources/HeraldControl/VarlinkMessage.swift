#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A method call: `{"method": …, "parameters": {…}, "more": …, "oneway": …}`.
public struct VarlinkCall: Sendable, Hashable {
    /// Fully qualified, e.g. `org.herald.Control.Status`.
    public var method: String
    public var parameters: [String: JSONValue]
    /// The client accepts several replies (`continues: true` on all but the last).
    public var more: Bool
    /// The client wants no reply at all.
    public var oneway: Bool

    public init(method: String, parameters: [String: JSONValue] = [:], more: Bool = false, oneway: Bool = false) {
        self.method = method
        self.parameters = parameters
        self.more = more
        self.oneway = oneway
    }

    /// The interface part of `method` (`org.herald.Control`), and the member (`Status`).
    public var interfaceAndMember: (interface: String, member: String) {
        guard let dot = method.lastIndex(of: ".") else { return ("", method) }
        return (String(method[..<dot]), String(method[method.index(after: dot)...]))
    }

    /// Decodes the parameters strictly: a missing or mistyped member, or one `T` does not declare
    /// (when `allowed` is given), is `ControlError.invalidParameter` naming it.
    public func decodeParameters<T: Decodable>(as type: T.Type, allowed: Set<String>? = nil) throws(ControlError) -> T {
        if let allowed, let unknown = parameters.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalidParameter(parameter: unknown)
        }
        do {
            return try JSONValue.object(parameters).decode(as: T.self)
        } catch let error as DecodingError {
            throw .invalidParameter(parameter: error.parameterName ?? "parameters")
        } catch {
            throw .invalidParameter(parameter: "parameters")
        }
    }
}

/// A reply: `{"parameters": {…}}`, `{"error": name, "parameters": {…}}`, maybe with `"continues": true`.
public struct VarlinkReply: Sendable, Hashable {
    public var parameters: [String: JSONValue]
    public var error: String?
    public var continues: Bool

    public init(parameters: [String: JSONValue] = [:], error: String? = nil, continues: Bool = false) {
        self.parameters = parameters
        self.error = error
        self.continues = continues
    }

    public init(error: ControlError) {
        self.init(parameters: error.parameters, error: error.varlinkName)
    }

    /// A reply whose parameters are the members of an encodable struct.
    public init(encoding parameters: some Encodable, continues: Bool = false) throws {
        guard case .object(let members) = try JSONValue(encoding: parameters) else {
            throw ControlError.internal(message: "reply parameters are not an object")
        }
        self.init(parameters: members, continues: continues)
    }

    /// Decodes the parameters as `T`, or throws the named error if this is an error reply.
    public func decodeParameters<T: Decodable>(as type: T.Type) throws -> T {
        if let error { throw ControlError(varlinkName: error, parameters: parameters) }
        do {
            return try JSONValue.object(parameters).decode(as: T.self)
        } catch {
            throw VarlinkMessageError.invalidReply("parameters do not match \(T.self): \(error)")
        }
    }
}

public enum VarlinkMessageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A reply the client cannot understand.
    case invalidReply(String)

    public var description: String {
        switch self {
        case .invalidReply(let why): "invalid reply: \(why)"
        }
    }
}

/// Turns calls and replies into NUL-terminated JSON and back.
public enum VarlinkCodec {
    private static let terminator: UInt8 = 0

    public static func encode(_ call: VarlinkCall) -> [UInt8] {
        var members: [String: JSONValue] = ["method": .string(call.method), "parameters": .object(call.parameters)]
        if call.more { members["more"] = .bool(true) }
        if call.oneway { members["oneway"] = .bool(true) }
        return frame(.object(members))
    }

    public static func encode(_ reply: VarlinkReply) -> [UInt8] {
        var members: [String: JSONValue] = ["parameters": .object(reply.parameters)]
        if let error = reply.error { members["error"] = .string(error) }
        if reply.continues { members["continues"] = .bool(true) }
        return frame(.object(members))
    }

    /// Decodes one call (without its NUL). Any defect is an `invalidParameter` naming the member
    /// at fault (`method`, `parameters`, `more`, `oneway`), or `message` when it is not a JSON object.
    public static func decodeCall(_ bytes: [UInt8]) throws(ControlError) -> VarlinkCall {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
            case .object(let members) = value
        else { throw .invalidParameter(parameter: "message") }
        guard case .string(let method)? = members["method"], !method.isEmpty else {
            throw .invalidParameter(parameter: "method")
        }
        let parameters: [String: JSONValue]
        switch members["parameters"] {
        case nil, .null?: parameters = [:]
        case .object(let object)?: parameters = object
        default: throw .invalidParameter(parameter: "parameters")
        }
        func flag(_ name: String) throws(ControlError) -> Bool {
            switch members[name] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw .invalidParameter(parameter: name)
            }
        }
        return VarlinkCall(method: method, parameters: parameters, more: try flag("more"), oneway: try flag("oneway"))
    }

    public static func decodeReply(_ bytes: [UInt8]) throws(VarlinkMessageError) -> VarlinkReply {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
            case .object(let members) = value
        else { throw .invalidReply("not a JSON object") }
        let parameters: [String: JSONValue]
        switch members["parameters"] {
        case nil, .null?: parameters = [:]
        case .object(let object)?: parameters = object
        default: throw .invalidReply("parameters is not an object")
        }
        var error: String?
        switch members["error"] {
        case nil, .null?: error = nil
        case .string(let name)?: error = name
        default: throw .invalidReply("error is not a string")
        }
        let continues = members["continues"] == .bool(true)
        return VarlinkReply(parameters: parameters, error: error, continues: continues)
    }

    private static func frame(_ value: JSONValue) -> [UInt8] {
        // Encoding a JSONValue cannot fail: it holds no non-finite doubles from our own code,
        // and a failure here would be a bug, reported as an empty object rather than a crash.
        var bytes = (try? Array(JSONEncoder().encode(value))) ?? Array("{}".utf8)
        bytes.append(terminator)
        return bytes
    }
}

extension DecodingError {
    /// The top-level parameter a decoding failure is about.
    var parameterName: String? {
        switch self {
        case .keyNotFound(let key, let context):
            return (context.codingPath.first ?? key).stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.first?.stringValue
        @unknown default:
            return nil
        }
    }
}
