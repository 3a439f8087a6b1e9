/// One signed-in account as the daemon reports it (`org.herald.Control.Account`).
public struct AccountInfo: Codable, Sendable, Hashable {
    /// Full Matrix user ID, e.g. `@alice:example.org`.
    public var id: String
    /// Base URL of the homeserver's client API.
    public var homeserver: String
    public var deviceId: String
    /// `syncing`, `starting`, `offline` or `signed_out`.
    public var state: String
    /// When the account entered its state (RFC 3339, UTC).
    public var since: String
    /// Why the account is offline or signed out.
    public var reason: String?
    /// Whether this account's notifications are shown.
    public var notifications: Bool

    public init(
        id: String, homeserver: String, deviceId: String, state: String, since: String,
        reason: String? = nil, notifications: Bool
    ) {
        self.id = id
        self.homeserver = homeserver
        self.deviceId = deviceId
        self.state = state
        self.since = since
        self.reason = reason
        self.notifications = notifications
    }
}

/// The reply of `org.herald.Control.Status`.
public struct StatusReply: Codable, Sendable, Hashable {
    public var version: String
    public var pid: Int
    /// `connected` or `unavailable`.
    public var bus: String
    /// Name and version of the notification server, when one runs.
    public var notificationServer: String?
    /// Where token encryption keys are kept: `secret-service`, `key-file` or `none`.
    public var secrets: String
    /// The global notifications switch.
    public var notifications: Bool
    public var accounts: [AccountInfo]

    public init(
        version: String, pid: Int, bus: String, notificationServer: String?, secrets: String,
        notifications: Bool, accounts: [AccountInfo]
    ) {
        self.version = version
        self.pid = pid
        self.bus = bus
        self.notificationServer = notificationServer
        self.secrets = secrets
        self.notifications = notifications
        self.accounts = accounts
    }
}

/// The reply of `org.varlink.service.GetInfo`.
public struct VarlinkServiceInfo: Codable, Sendable, Hashable {
    public var vendor: String
    public var product: String
    public var version: String
    public var url: String
    public var interfaces: [String]

    public init(vendor: String, product: String, version: String, url: String, interfaces: [String]) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
        self.interfaces = interfaces
    }
}

// Parameters of the calls, as they travel. Optional members are omitted when nil.

struct AddAccountParameters: Codable, Sendable {
    var homeserver: String
    var user: String
    var password: String
}

extension AddAccountParameters: CustomStringConvertible {
    // Never let a password reach a log line through string interpolation.
    var description: String { "AddAccountParameters(homeserver: \(homeserver), user: \(user), password: <redacted>)" }
}

struct AccountParameter: Codable, Sendable {
    var account: String
}

struct SetNotificationsParameters: Codable, Sendable {
    var enabled: Bool
    var account: String?
}

struct InterfaceParameter: Codable, Sendable {
    var interface: String
}

struct DescriptionReply: Codable, Sendable {
    var description: String
}

struct AccountsReply: Codable, Sendable {
    var accounts: [AccountInfo]
}

struct AccountReply: Codable, Sendable {
    var account: AccountInfo
}

struct EmptyParameters: Codable, Sendable {}
