import HeraldCore

/// One signed-in account as stored.
public struct StoredAccount: Sendable, Equatable {
    public var userID: UserID
    public var homeserver: String
    public var deviceID: String
    public var accessToken: String
    public var filterID: String?
    public var since: String?
    public var notificationsEnabled: Bool
    public var state: String
    public var stateSince: Double
    public var stateReason: String?

    public init(userID: UserID, homeserver: String, deviceID: String, accessToken: String, filterID: String? = nil,
                since: String? = nil, notificationsEnabled: Bool = true, state: String = "starting",
                stateSince: Double, stateReason: String? = nil) {
        self.userID = userID
        self.homeserver = homeserver
        self.deviceID = deviceID
        self.accessToken = accessToken
        self.filterID = filterID
        self.since = since
        self.notificationsEnabled = notificationsEnabled
        self.state = state
        self.stateSince = stateSince
        self.stateReason = stateReason
    }
}

/// Everything one /sync response changes, written in one transaction with the new cursor.
public struct SyncCommit: Sendable {
    public var userID: UserID
    public var nextBatch: String
    public var rooms: [String: RoomInfo]
    /// (roomID, memberID, displayName)
    public var members: [(String, String, String)]
    /// Messages that should notify; the ones already in the ledger are dropped.
    public var messages: [IncomingMessage]
    /// Rooms left or forgotten: their rows go.
    public var leftRooms: [String]

    public init(userID: UserID, nextBatch: String, rooms: [String: RoomInfo] = [:], members: [(String, String, String)] = [],
                messages: [IncomingMessage] = [], leftRooms: [String] = []) {
        self.userID = userID
        self.nextBatch = nextBatch
        self.rooms = rooms
        self.members = members
        self.messages = messages
        self.leftRooms = leftRooms
    }
}
