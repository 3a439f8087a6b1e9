/// An error with a Varlink name: what a `ControlHandler` throws to refuse a call, and what
/// `ControlClient` throws when the daemon refuses one.
public enum ControlError: Error, Sendable, Hashable {
    case accountNotFound(account: String)
    case accountAmbiguous(account: String, matches: [String])
    case accountExists(account: String)
    case authFailed(reason: String)
    case serverUnreachable(homeserver: String, reason: String)
    case invalidHomeserver(homeserver: String, reason: String)
    /// A wrong PIN; `waitSeconds` > 0 when the next attempt must wait.
    case pinIncorrect(account: String, attemptsLeft: Int, waitSeconds: Int)
    /// Too many wrong PINs: no attempt is checked for `seconds`.
    case pinLockedOut(account: String, seconds: Int)
    /// A new PIN that is not exactly 4 digits, or too easy to guess.
    case pinRejected(reason: String)
    /// The account was signed out (remotely, or after too many wrong PINs) and needs a new sign-in.
    case accountSignedOut(account: String, reason: String)
    /// Browser sign-in: nobody came back through the browser in time.
    case signInTimedOut(seconds: Int)
    /// Browser sign-in: no such sign-in session (never begun, finished, or older than 10 minutes).
    case sessionNotFound
    /// Browser sign-in: the homeserver offers no SSO; `offered` lists the login flows it does offer.
    case ssoNotOffered(offered: [String])
    /// `VerifyDevice` could not verify the device; `reason` says why, for the user.
    case verificationFailed(reason: String)
    /// `org.varlink.service.InvalidParameter`: a parameter is missing, of the wrong type or unknown.
    case invalidParameter(parameter: String)
    /// `org.varlink.service.MethodNotFound`.
    case methodNotFound(method: String)
    /// `org.varlink.service.InterfaceNotFound`.
    case interfaceNotFound(interface: String)
    /// `org.herald.Control.InternalError`: the daemon failed for a reason of its own.
    case `internal`(message: String)
    /// An error name this build does not know (a newer daemon); kept whole so that it can be shown.
    case unknown(name: String, parameters: [String: JSONValue])

    /// The Varlink error name, e.g. `org.herald.Control.AccountNotFound`.
    public var varlinkName: String {
        switch self {
        case .accountNotFound: "org.herald.Control.AccountNotFound"
        case .accountAmbiguous: "org.herald.Control.AccountAmbiguous"
        case .accountExists: "org.herald.Control.AccountExists"
        case .authFailed: "org.herald.Control.AuthFailed"
        case .serverUnreachable: "org.herald.Control.ServerUnreachable"
        case .invalidHomeserver: "org.herald.Control.InvalidHomeserver"
        case .pinIncorrect: "org.herald.Control.PinIncorrect"
        case .pinLockedOut: "org.herald.Control.PinLockedOut"
        case .pinRejected: "org.herald.Control.PinRejected"
        case .accountSignedOut: "org.herald.Control.AccountSignedOut"
        case .signInTimedOut: "org.herald.Control.SignInTimedOut"
        case .sessionNotFound: "org.herald.Control.SessionNotFound"
        case .ssoNotOffered: "org.herald.Control.SsoNotOffered"
        case .verificationFailed: "org.herald.Control.VerificationFailed"
        case .invalidParameter: "org.varlink.service.InvalidParameter"
        case .methodNotFound: "org.varlink.service.MethodNotFound"
        case .interfaceNotFound: "org.varlink.service.InterfaceNotFound"
        case .internal: "org.herald.Control.InternalError"
        case .unknown(let name, _): name
        }
    }

    /// The error's parameters as the Varlink interface declares them.
    public var parameters: [String: JSONValue] {
        switch self {
        case .accountNotFound(let account), .accountExists(let account):
            ["account": .string(account)]
        case .accountAmbiguous(let account, let matches):
            ["account": .string(account), "matches": .array(matches.map(JSONValue.string))]
        case .authFailed(let reason), .verificationFailed(let reason):
            ["reason": .string(reason)]
        case .serverUnreachable(let homeserver, let reason), .invalidHomeserver(let homeserver, let reason):
            ["homeserver": .string(homeserver), "reason": .string(reason)]
        case .pinIncorrect(let account, let left, let wait):
            ["account": .string(account), "attemptsLeft": .int(left), "waitSeconds": .int(wait)]
        case .pinLockedOut(let account, let seconds):
            ["account": .string(account), "seconds": .int(seconds)]
        case .pinRejected(let reason):
            ["reason": .string(reason)]
        case .accountSignedOut(let account, let reason):
            ["account": .string(account), "reason": .string(reason)]
        case .signInTimedOut(let seconds):
            ["seconds": .int(seconds)]
        case .sessionNotFound:
            [:]
        case .ssoNotOffered(let offered):
            ["offered": .array(offered.map(JSONValue.string))]
        case .invalidParameter(let parameter):
            ["parameter": .string(parameter)]
        case .methodNotFound(let method):
            ["method": .string(method)]
        case .interfaceNotFound(let interface):
            ["interface": .string(interface)]
        case .internal(let message):
            ["message": .string(message)]
        case .unknown(_, let parameters):
            parameters
        }
    }

    /// Rebuilds the error from a Varlink error reply. A known name whose parameters do not
    /// have the declared shape is kept as `.unknown`, so nothing is lost.
    public init(varlinkName name: String, parameters: [String: JSONValue]) {
        func string(_ key: String) -> String? { parameters[key]?.stringValue }
        func int(_ key: String) -> Int? {
            switch parameters[key] {
            case .int(let i)?: i
            case .double(let d)? where d.isFinite && abs(d) < 1e15 && d.rounded() == d: Int(d)
            default: nil
            }
        }
        let known: ControlError? =
            switch name {
            case "org.herald.Control.AccountNotFound": string("account").map { .accountNotFound(account: $0) }
            case "org.herald.Control.AccountExists": string("account").map { .accountExists(account: $0) }
            case "org.herald.Control.AccountAmbiguous":
                string("account").map { account in
                    var matches: [String] = []
                    if case .array(let values)? = parameters["matches"] { matches = values.compactMap(\.stringValue) }
                    return .accountAmbiguous(account: account, matches: matches)
                }
            case "org.herald.Control.AuthFailed": string("reason").map { .authFailed(reason: $0) }
            case "org.herald.Control.ServerUnreachable":
                string("homeserver").map { .serverUnreachable(homeserver: $0, reason: string("reason") ?? "") }
            case "org.herald.Control.InvalidHomeserver":
                string("homeserver").map { .invalidHomeserver(homeserver: $0, reason: string("reason") ?? "") }
            case "org.herald.Control.PinIncorrect":
                // The numbers are what the user needs to know: without them the reply is kept whole.
                string("account").flatMap { account in
                    int("attemptsLeft").flatMap { left in
                        int("waitSeconds").map { .pinIncorrect(account: account, attemptsLeft: left, waitSeconds: $0) }
                    }
                }
            case "org.herald.Control.PinLockedOut":
                string("account").flatMap { account in int("seconds").map { .pinLockedOut(account: account, seconds: $0) } }
            case "org.herald.Control.PinRejected": string("reason").map { .pinRejected(reason: $0) }
            case "org.herald.Control.VerificationFailed": string("reason").map { .verificationFailed(reason: $0) }
            case "org.herald.Control.AccountSignedOut":
                string("account").map { .accountSignedOut(account: $0, reason: string("reason") ?? "") }
            case "org.herald.Control.InternalError": .internal(message: string("message") ?? "")
            case "org.herald.Control.SignInTimedOut": int("seconds").map { .signInTimedOut(seconds: $0) }
            case "org.herald.Control.SessionNotFound": .sessionNotFound
            case "org.herald.Control.SsoNotOffered":
                { () -> ControlError in
                    var offered: [String] = []
                    if case .array(let values)? = parameters["offered"] { offered = values.compactMap(\.stringValue) }
                    return .ssoNotOffered(offered: offered)
                }()
            case "org.varlink.service.InvalidParameter": string("parameter").map { .invalidParameter(parameter: $0) }
            case "org.varlink.service.MethodNotFound": string("method").map { .methodNotFound(method: $0) }
            case "org.varlink.service.InterfaceNotFound": string("interface").map { .interfaceNotFound(interface: $0) }
            default: nil
            }
        self = known ?? .unknown(name: name, parameters: parameters)
    }

    /// One human sentence, without a trailing period, fit to follow "heraldctl: ".
    public var message: String {
        switch self {
        case .accountNotFound(let account):
            "no account matches \(account)"
        case .accountAmbiguous(let account, let matches):
            "\(account) matches several accounts (\(matches.joined(separator: ", "))): type more of the ID"
        case .accountExists(let account):
            "\(account) is already signed in"
        case .authFailed(let reason):
            reason
        case .serverUnreachable(let homeserver, let reason):
            "cannot reach \(homeserver): \(reason)"
        case .invalidHomeserver(let homeserver, let reason):
            "\(homeserver) is not a usable Matrix homeserver: \(reason)"
        case .pinIncorrect(let account, let left, let wait):
            wait > 0
                ? "wrong PIN for \(account); \(Self.attempts(left)) left before it is signed out; wait \(Self.duration(wait)) before the next one"
                : "wrong PIN for \(account); \(Self.attempts(left)) left before it is signed out"
        case .pinLockedOut(let account, let seconds):
            "too many wrong PINs for \(account): wait \(Self.duration(seconds)) before trying again"
        case .pinRejected(let reason), .verificationFailed(let reason):
            reason
        case .accountSignedOut(let account, let reason):
            "\(account) is signed out (\(reason)); sign in again with heraldctl account add"
        case .signInTimedOut(let seconds):
            "nobody signed in through the browser within \(Self.duration(seconds)); the sign-in was cancelled"
        case .sessionNotFound:
            "this sign-in is over (finished, or begun more than 10 minutes ago); start again with heraldctl account add"
        case .ssoNotOffered(let offered):
            offered.isEmpty
                ? "the homeserver offers no sign-in through the browser (it lists no login flow)"
                : "the homeserver offers no sign-in through the browser; it offers: \(offered.joined(separator: ", "))"
        case .invalidParameter(let parameter):
            "missing or invalid parameter: \(parameter)"
        case .methodNotFound(let method):
            "heraldd does not know the method \(method) (is heraldd older than heraldctl?)"
        case .interfaceNotFound(let interface):
            "heraldd does not provide the interface \(interface)"
        case .internal(let message):
            "internal error in heraldd: \(message)"
        case .unknown(let name, _):
            "heraldd refused with \(name)"
        }
    }
}

extension ControlError {
    /// "1 attempt", "4 attempts".
    static func attempts(_ count: Int) -> String {
        count == 1 ? "1 attempt" : "\(count) attempts"
    }

    /// "45 s", "5 min", "1 h 2 min" (minutes rounded up: never say less than the real wait).
    public static func duration(_ seconds: Int) -> String {
        if seconds < 60 { return "\(max(seconds, 1)) s" }
        let minutes = (seconds + 59) / 60
        if minutes < 60 { return "\(minutes) min" }
        return minutes % 60 == 0 ? "\(minutes / 60) h" : "\(minutes / 60) h \(minutes % 60) min"
    }
}

extension ControlError: CustomStringConvertible {
    public var description: String { "\(varlinkName): \(message)" }
}
