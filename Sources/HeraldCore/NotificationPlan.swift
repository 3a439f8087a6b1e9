/// The notification a room should show now: one per room, replaced as messages arrive.
public struct PlannedNotification: Sendable, Equatable {
    public var roomID: String
    /// The id of the room's notification on screen, to replace; 0 for a new one.
    public var replacesID: UInt32
    public var summary: String
    public var body: String
    /// Messages this notification stands for.
    public var count: Int
    public var lastEventID: String
    /// A mention among the messages: shown as urgent (critical).
    public var highlight = false
    public var sound: String?

    public init(roomID: String, replacesID: UInt32, summary: String, body: String, count: Int, lastEventID: String,
                highlight: Bool = false, sound: String? = nil) {
        self.highlight = highlight
        self.sound = sound
        self.roomID = roomID
        self.replacesID = replacesID
        self.summary = summary
        self.body = body
        self.count = count
        self.lastEventID = lastEventID
    }
}

/// Per-room count of what the notification on screen stands for.
public struct RoomNotificationState: Sendable, Equatable, Codable {
    public var notificationID: UInt32
    public var count: Int
    /// A mention among the messages it stands for: it stays urgent until the notification goes.
    public var highlight: Bool

    public init(notificationID: UInt32 = 0, count: Int = 0, highlight: Bool = false) {
        self.notificationID = notificationID
        self.count = count
        self.highlight = highlight
    }
}

/// Pure planning: messages in, one notification per room out.
public enum NotificationPlanner {
    /// - Parameters:
    ///   - messages: new, not yet notified messages, in timeline order.
    ///   - states: what each room's notification already shows.
    ///   - rooms: names and member counts for titles.
    ///   - unreadHints: rooms whose timeline had a gap, with how many messages are new in it and
    ///     after it, by the server's count.
    ///   - markup: whether the server renders body markup, so text must be escaped.
    public static func plan(
        messages: [IncomingMessage],
        states: [String: RoomNotificationState],
        rooms: [String: RoomInfo],
        unreadHints: [String: Int] = [:],
        markup: Bool,
        texts: NotificationTexts = .english
    ) -> [PlannedNotification] {
        var order: [String] = []
        var byRoom: [String: [IncomingMessage]] = [:]
        for m in messages {
            if byRoom[m.roomID] == nil { order.append(m.roomID) }
            byRoom[m.roomID, default: []].append(m)
        }
        return order.map { roomID in
            let batch = byRoom[roomID]!
            let last = batch.last!
            let state = states[roomID] ?? RoomNotificationState()
            // What the notification already stands for, plus what is new: the timeline's messages,
            // or more when the server counted a gap (never an event counted twice).
            let count = state.count + max(batch.count, unreadHints[roomID] ?? 0)
            let room = rooms[roomID] ?? RoomInfo()
            let summary = room.titledByPerson || room.name == nil
                ? last.senderName
                : texts.senderInRoom(last.senderName, room.name!)
            var body = texts.describe(last.content, sender: last.senderName)
            if markup { body = escapeMarkup(body) }
            if count > 1 { body += "\n" + texts.newMessages(count) }
            return PlannedNotification(roomID: roomID, replacesID: state.notificationID, summary: summary,
                                       body: body, count: count, lastEventID: last.eventID,
                                       highlight: state.highlight || batch.contains(where: \.highlight), sound: batch.compactMap(\.sound).last)
        }
    }

    /// Escapes the three characters the notification markup subset gives meaning to.
    public static func escapeMarkup(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }
}
