import HeraldCore

/// One signed-in account as stored.
public struct StoredAccount: Sendable, Equatable {
    public var userID: UserID
    public var homeserver: String
    public var deviceID: String
    /// Sealed access token (see HeraldSecrets.TokenCipher); empty once signed out.
    public var accessToken: [UInt8]
    public var refreshToken: [UInt8]?
    public var tokenExpiresAt: Double?
    public var preview: String
    public var discreetNotificationID: UInt32
    public var filterID: String?
    public var since: String?
    public var notificationsEnabled: Bool
    public var state: String
    public var stateSince: Double
    public var stateReason: String?

    public init(userID: UserID, homeserver: String, deviceID: String, accessToken: [UInt8], refreshToken: [UInt8]? = nil,
                tokenExpiresAt: Double? = nil, preview: String = "unlocked", discreetNotificationID: UInt32 = 0,
                filterID: String? = nil,
                since: String? = nil, notificationsEnabled: Bool = true, state: String = "starting",
                stateSince: Double, stateReason: String? = nil) {
        self.userID = userID
        self.homeserver = homeserver
        self.deviceID = deviceID
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenExpiresAt = tokenExpiresAt
        self.preview = preview
        self.discreetNotificationID = discreetNotificationID
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
    /// Encryption state the answer changed: stored before the cursor moves past its to-device events.
    public var crypto: CryptoCommit?

    public init(userID: UserID, nextBatch: String, rooms: [String: RoomInfo] = [:], members: [(String, String, String)] = [],
                messages: [IncomingMessage] = [], leftRooms: [String] = [], crypto: CryptoCommit? = nil) {
        self.userID = userID
        self.nextBatch = nextBatch
        self.rooms = rooms
        self.members = members
        self.messages = messages
        self.leftRooms = leftRooms
        self.crypto = crypto
    }

    /// Nothing but the cursor: an idle long poll's answer.
    public var changesNothingButTheCursor: Bool {
        rooms.isEmpty && members.isEmpty && messages.isEmpty && leftRooms.isEmpty && (crypto?.isEmpty ?? true)
    }
}

/// The PIN's derivation and the attempt counters of one account.
public struct PinRecord: Sendable, Equatable {
    public var salt: [UInt8]
    public var hash: [UInt8]
    public var attempts: PinAttempts

    public init(salt: [UInt8], hash: [UInt8], attempts: PinAttempts = PinAttempts()) {
        self.salt = salt
        self.hash = hash
        self.attempts = attempts
    }
}

public struct PendingLogout: Sendable, Equatable {
    public var id: Int64
    public var userID: String
    public var homeserver: String
    public var accessToken: [UInt8]
    public var attempts: Int
}
