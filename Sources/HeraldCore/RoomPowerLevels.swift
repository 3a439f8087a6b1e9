/// What push rules need from a room's `m.room.power_levels`.
public struct RoomPowerLevels: Sendable, Equatable {
    public var users: [String: Int]
    public var usersDefault: Int
    /// `notifications`: the level a sender needs for each kind of notification (`room` → @room).
    public var notifications: [String: Int]

    public init(users: [String: Int] = [:], usersDefault: Int = 0, notifications: [String: Int] = [:]) {
        self.users = users
        self.usersDefault = usersDefault
        self.notifications = notifications
    }

    /// The form the store keeps: `{"users": {…}, "usersDefault": n, "notifications": {…}}`.
    public var stored: JSONValue {
        func levels(_ l: [String: Int]) -> JSONValue { .object(l.mapValues { .number(Double($0)) }) }
        return ["users": levels(users), "usersDefault": .number(Double(usersDefault)), "notifications": levels(notifications)]
    }

    /// From the store's form (`stored`).
    public init(stored: JSONValue) {
        self.init(users: (stored["users"]?.object ?? [:]).compactMapValues(\.int), usersDefault: stored["usersDefault"]?.int ?? 0,
                  notifications: (stored["notifications"]?.object ?? [:]).compactMapValues(\.int))
    }

    /// From the event's content. Levels are integers; rooms before version 10 may also hold them
    /// as numeric strings, which Synapse accepts, so they are read too. Anything else is left out.
    public init(content: JSONValue) {
        func level(_ v: JSONValue) -> Int? {
            if let i = v.int { return i }
            if let s = v.string, s.utf8.count <= 20 { return Int(s) }
            return nil
        }
        func levels(_ v: JSONValue?) -> [String: Int] {
            (v?.object ?? [:]).compactMapValues(level)
        }
        self.init(users: levels(content["users"]), usersDefault: content["users_default"].flatMap(level) ?? 0,
                  notifications: levels(content["notifications"]))
    }
}
