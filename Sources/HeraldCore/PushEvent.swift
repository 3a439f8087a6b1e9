/// The parts of a room event push rules look at.
public struct PushEvent: Sendable, Equatable {
    public var type: String
    public var sender: String
    public var roomID: String
    public var stateKey: String?
    public var content: JSONValue

    public init(type: String, sender: String, roomID: String, stateKey: String? = nil, content: JSONValue = .object([:])) {
        self.type = type
        self.sender = sender
        self.roomID = roomID
        self.stateKey = stateKey
        self.content = content
    }

    /// A room event as `/sync` gives it (which leaves out `room_id`); nil without a string
    /// `type` and `sender`. Missing content (a redacted event) reads as `{}`.
    public init?(json: JSONValue, roomID: String) {
        guard let type = json["type"]?.string, let sender = json["sender"]?.string else { return nil }
        self.init(type: type, sender: sender, roomID: roomID, stateKey: json["state_key"]?.string,
                  content: json["content"] ?? .object([:]))
    }

    /// The value at a dot-separated property path (`content.m\.relates_to.rel_type`), through
    /// objects only; nil when absent.
    public func value(at key: String) -> JSONValue? {
        let path = Self.components(of: key)
        guard let first = path.first else { return nil }
        var value: JSONValue
        switch first {
        case "type": value = .string(type)
        case "sender": value = .string(sender)
        case "room_id": value = .string(roomID)
        case "state_key":
            guard let stateKey else { return nil }
            value = .string(stateKey)
        case "content": value = content
        default: return nil
        }
        for name in path.dropFirst() {
            guard let next = value[name] else { return nil }
            value = next
        }
        return value
    }

    /// Splits a property path on unescaped dots. `\.` is a literal dot and `\\` a backslash; any
    /// other backslash stays as it is (appendix §Dot-separated property paths).
    static func components(of key: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var scalars = key.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            switch c {
            case ".":
                parts.append(current)
                current = ""
            case "\\":
                guard let n = scalars.next() else { current.unicodeScalars.append(c); break }
                if n != "." && n != "\\" { current.unicodeScalars.append(c) }
                current.unicodeScalars.append(n)
            default:
                current.unicodeScalars.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}
