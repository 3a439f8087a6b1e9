/// What a room event means for a notification, once the Matrix layer has read it.
public struct IncomingMessage: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case text(String)
        case emote(String)
        case image, file, audio, video, location, sticker
        case encrypted
        /// An invitation to a room, by name when the invite carries one.
        case invite(room: String?)
        /// `m.call.invite`: someone is calling.
        case call
        /// `m.room.tombstone`: the room was upgraded to another.
        case roomReplaced
        /// Any other state event (name, topic, settings) the push rules want shown.
        case roomChanged
    }

    public var eventID: String
    public var roomID: String
    public var sender: String
    /// The sender's display name in the room, or their user ID.
    public var senderName: String
    public var content: Content
    /// Server timestamp in milliseconds.
    public var timestamp: Int64
    /// The user's push rules asked for a highlight (a mention): shown as urgent.
    public var highlight = false
    /// The push rules' sound tweak, e.g. "default".
    public var sound: String?

    public init(eventID: String, roomID: String, sender: String, senderName: String, content: Content, timestamp: Int64,
                highlight: Bool = false, sound: String? = nil) {
        self.highlight = highlight
        self.sound = sound
        self.eventID = eventID
        self.roomID = roomID
        self.sender = sender
        self.senderName = senderName
        self.content = content
        self.timestamp = timestamp
    }
}

/// A message changed after it was notified: edited (new text) or redacted (nil).
public struct MessageChange: Sendable, Equatable {
    public var roomID: String
    /// The event whose notification may need updating.
    public var targetEventID: String
    public var newText: String?
    public var senderName: String

    public init(roomID: String, targetEventID: String, newText: String?, senderName: String = "") {
        self.senderName = senderName
        self.roomID = roomID
        self.targetEventID = targetEventID
        self.newText = newText
    }
}

/// What Herald knows of a room to title its notification.
public struct RoomInfo: Sendable, Equatable {
    public var name: String?
    public var joinedMembers: Int
    public var isDirect: Bool
    /// For `sender_notification_permission`; nil when the room has no power-levels event.
    public var powerLevels: RoomPowerLevels?
    /// The room's creators (from `m.room.create`) and version, for creator power.
    public var creators: [String]
    public var roomVersion: String
    /// The server's unread count (`unread_notifications`) in the last answer that carried it.
    /// It counts from the user's last read receipt, so it may hold messages Herald announced
    /// already or that came before it signed in: only its growth is news.
    public var serverUnread: Int

    public init(name: String? = nil, joinedMembers: Int = 0, isDirect: Bool = false, powerLevels: RoomPowerLevels? = nil,
                creators: [String] = [], roomVersion: String = "1", serverUnread: Int = 0) {
        self.serverUnread = serverUnread
        self.name = name
        self.joinedMembers = joinedMembers
        self.isDirect = isDirect
        self.powerLevels = powerLevels
        self.creators = creators
        self.roomVersion = roomVersion
    }

    /// A direct chat is titled by the person alone: a room marked direct, or an unnamed room of two.
    public var titledByPerson: Bool { isDirect || (name == nil && joinedMembers <= 2) }
}
