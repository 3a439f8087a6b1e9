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
    /// A locked account's notifications name no sender, room or text.
    public var locked: Bool
    /// When previews are shown: `always`, `unlocked` or `never`.
    public var preview: String
    /// Why some encrypted messages cannot be read (a sender withheld its keys), when that happened lately.
    public var encryption: String?
    /// `verified` or `unverified` (Herald's device and the user's cross-signing); nil until checked.
    public var verification: String?

    public init(
        id: String, homeserver: String, deviceId: String, state: String, since: String,
        reason: String? = nil, notifications: Bool, locked: Bool = false, preview: String = "unlocked",
        encryption: String? = nil, verification: String? = nil
    ) {
        self.encryption = encryption
        self.verification = verification
        self.locked = locked
        self.preview = preview
        self.id = id
        self.homeserver = homeserver
        self.deviceId = deviceId
        self.state = state
        self.since = since
        self.reason = reason
        self.notifications = notifications
    }

    private enum CodingKeys: String, CodingKey {
        case id, homeserver, deviceId, state, since, reason, notifications, locked, preview, encryption, verification
    }

    /// A daemon older than PINs sends no `locked` or `preview`: such an account is unlocked and
    /// shows previews when unlocked, the default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        homeserver = try container.decode(String.self, forKey: .homeserver)
        deviceId = try container.decode(String.self, forKey: .deviceId)
        state = try container.decode(String.self, forKey: .state)
        since = try container.decode(String.self, forKey: .since)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        notifications = try container.decode(Bool.self, forKey: .notifications)
        locked = try container.decodeIfPresent(Bool.self, forKey: .locked) ?? false
        preview = try container.decodeIfPresent(String.self, forKey: .preview) ?? PreviewSetting.unlocked.rawValue
        encryption = try container.decodeIfPresent(String.self, forKey: .encryption)
        verification = try container.decodeIfPresent(String.self, forKey: .verification)
    }
}

/// When an account's notifications show the sender, the room and the text (`SetPreview`).
public enum PreviewSetting: String, Sendable, Hashable, CaseIterable, Codable {
    /// Even while the account is locked.
    case always
    /// Only while the account is unlocked (the default).
    case unlocked
    /// Never: every notification is the discreet form.
    case never
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
    /// What is wrong with the database (cannot be written, deleted, accounts lost); absent when all is well.
    public var storage: String?

    public init(
        version: String, pid: Int, bus: String, notificationServer: String?, secrets: String,
        notifications: Bool, accounts: [AccountInfo], storage: String? = nil
    ) {
        self.version = version
        self.pid = pid
        self.bus = bus
        self.notificationServer = notificationServer
        self.secrets = secrets
        self.notifications = notifications
        self.accounts = accounts
        self.storage = storage
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
    var pin: String
}

// Never let a password or PIN reach a log line through string interpolation.
extension AddAccountParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String {
        "AddAccountParameters(homeserver: \(homeserver), user: \(user), password: <redacted>, pin: <redacted>)"
    }
    var debugDescription: String { description }
}

struct AccountParameter: Codable, Sendable {
    var account: String
}

/// `Lock` and `Logout`: one account, or every account when absent.
struct OptionalAccountParameter: Codable, Sendable {
    var account: String?
}

struct UnlockParameters: Codable, Sendable {
    var account: String
    var pin: String
}

extension UnlockParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "UnlockParameters(account: \(account), pin: <redacted>)" }
    var debugDescription: String { description }
}

struct SetPinParameters: Codable, Sendable {
    var account: String
    var currentPin: String
    var newPin: String
}

extension SetPinParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "SetPinParameters(account: \(account), currentPin: <redacted>, newPin: <redacted>)" }
    var debugDescription: String { description }
}

struct SetPreviewParameters: Codable, Sendable {
    var account: String
    var preview: String
}

struct LockReply: Codable, Sendable {
    var locked: [String]
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

/// The reply of `org.herald.Control.Logout`.
public struct LogoutReply: Codable, Sendable, Hashable {
    /// Accounts signed out and wiped here.
    public var signedOut: [String]
    /// Of those, the ones whose homeserver could not be reached: Herald retries the server-side
    /// logout later.
    public var serverLogoutPending: [String]

    public init(signedOut: [String], serverLogoutPending: [String]) {
        self.signedOut = signedOut
        self.serverLogoutPending = serverLogoutPending
    }
}

// MARK: browser sign-in (BeginSignIn, StartSso, FinishSso, CompleteSignIn)

/// An identity provider the homeserver offers for SSO (`org.herald.Control.IdentityProvider`).
public struct IdentityProvider: Codable, Sendable, Hashable {
    public var id: String
    /// What to show the user, e.g. "Pro Santé Connect".
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// The reply of `BeginSignIn`: what the homeserver offers.
public struct BeginSignInReply: Codable, Sendable, Hashable {
    /// Names this sign-in in the calls that follow; forgotten after 10 minutes.
    public var session: String
    /// The homeserver's base URL, as discovered.
    public var homeserver: String
    public var password: Bool
    public var sso: Bool
    public var providers: [IdentityProvider]
    /// Every login flow type the server lists (`m.login.password`, `m.login.sso`, …).
    public var flows: [String]

    public init(session: String, homeserver: String, password: Bool, sso: Bool, providers: [IdentityProvider], flows: [String]) {
        self.session = session
        self.homeserver = homeserver
        self.password = password
        self.sso = sso
        self.providers = providers
        self.flows = flows
    }
}

struct BeginSignInParameters: Codable, Sendable {
    var homeserver: String
}

struct StartSsoParameters: Codable, Sendable {
    var session: String
    var idp: String?
}

struct StartSsoReply: Codable, Sendable {
    var url: String
}

extension StartSsoReply: CustomStringConvertible, CustomDebugStringConvertible {
    // The URL carries the state: keep it out of logs.
    var description: String { "StartSsoReply(url: <redacted>)" }
    var debugDescription: String { description }
}

struct FinishSsoParameters: Codable, Sendable {
    var session: String
    var timeoutSeconds: Int?
}

struct FinishSsoReply: Codable, Sendable {
    var user: String
}

struct CompleteSignInParameters: Codable, Sendable {
    var session: String
    var pin: String
}

extension CompleteSignInParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "CompleteSignInParameters(session: <redacted>, pin: <redacted>)" }
    var debugDescription: String { description }
}

// MARK: device verification (VerifyDevice)

struct VerifyDeviceParameters: Codable, Sendable {
    var account: String
    /// The recovery key as the user writes it (48 base58 characters, spaces allowed).
    var recoveryKey: String?
    var passphrase: String?
}

extension VerifyDeviceParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "VerifyDeviceParameters(account: \(account), recoveryKey: <redacted>, passphrase: <redacted>)" }
    var debugDescription: String { description }
}

/// The reply of `VerifyDevice`.
public struct VerifyDeviceReply: Codable, Sendable, Hashable {
    /// The key backup version whose key Herald now keeps, when the account has one it can read.
    public var backupVersion: String?

    public init(backupVersion: String?) {
        self.backupVersion = backupVersion
    }
}

/// The reply of `CheckVerification`.
public struct CheckVerificationReply: Codable, Sendable, Hashable {
    /// The account publishes cross-signing keys: VerifyDevice can sign Herald's device.
    public var crossSigning: Bool
    /// Herald's device is signed by the account's current self-signing key.
    public var verified: Bool

    public init(crossSigning: Bool, verified: Bool) {
        self.crossSigning = crossSigning
        self.verified = verified
    }
}
