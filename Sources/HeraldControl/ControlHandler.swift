/// What the daemon does for each method of `org.herald.Control`. `heraldd` implements it;
/// `ControlServer` decodes calls, awaits these methods and sends their results back.
///
/// Throw a `ControlError` to refuse a call with a named error. Any other error becomes
/// `org.herald.Control.InternalError` carrying the error's description.
public protocol ControlHandler: Sendable {
    func status() async throws -> StatusReply
    func listAccounts() async throws -> [AccountInfo]
    /// Password sign-in. The password is used once and must never be stored or logged.
    /// The PIN is checked (4 digits, not a common one) before signing in.
    func addAccount(homeserver: String, user: String, password: String, pin: String) async throws -> AccountInfo
    /// `account` is as the user typed it: a full Matrix ID or an unambiguous prefix.
    func removeAccount(_ account: String) async throws
    /// Per account when `account` is given (full ID or prefix), else the global switch.
    func setNotifications(enabled: Bool, account: String?) async throws
    /// Locks one account, or every account when `account` is nil; returns the IDs locked.
    func lock(_ account: String?) async throws -> [String]
    func unlock(_ account: String, pin: String) async throws -> AccountInfo
    func setPin(_ account: String, currentPin: String, newPin: String) async throws
    /// Signs out at the homeserver and wipes every local trace; every account when nil.
    func logout(_ account: String?) async throws -> LogoutReply
    /// `always`, `unlocked` or `never`.
    func setPreview(_ account: String, preview: String) async throws
    /// Browser sign-in (SSO), in four steps; see `org.herald.Control.BeginSignIn`.
    func beginSignIn(homeserver: String) async throws -> BeginSignInReply
    /// Returns the address to open in the browser. The URL's state must never be logged.
    func startSso(session: String, idp: String?) async throws -> String
    /// Waits for the browser; cancellation (the client left) must close the listener.
    func finishSso(session: String, timeoutSeconds: Int) async throws -> String
    func completeSignIn(session: String, pin: String) async throws -> AccountInfo
    /// Password sign-in in a `beginSignIn` session, before the PIN is chosen; returns the user
    /// ID. The password is used once and must never be stored or logged.
    func passwordSignIn(session: String, user: String, password: String) async throws -> String
    /// Checks an account's PIN under the attempt policy, changing nothing else (no unlock).
    func checkPin(_ account: String, pin: String) async throws
    /// Verifies the account's device with exactly one of the recovery key (as typed, UTF-8) and
    /// the passphrase (UTF-8); neither may be stored or logged, and the callee wipes the bytes.
    func verifyDevice(_ account: String, recoveryKey: inout [UInt8]?, passphrase: inout [UInt8]?) async throws -> VerifyDeviceReply
    /// Whether the account has cross-signing and Herald's device is signed by it (the homeserver asked).
    func checkVerification(_ account: String) async throws -> CheckVerificationReply
}

extension ControlHandler {
    public func beginSignIn(homeserver: String) async throws -> BeginSignInReply {
        throw ControlError.methodNotFound(method: "org.herald.Control.BeginSignIn")
    }
    public func startSso(session: String, idp: String?) async throws -> String {
        throw ControlError.methodNotFound(method: "org.herald.Control.StartSso")
    }
    public func finishSso(session: String, timeoutSeconds: Int) async throws -> String {
        throw ControlError.methodNotFound(method: "org.herald.Control.FinishSso")
    }
    public func completeSignIn(session: String, pin: String) async throws -> AccountInfo {
        throw ControlError.methodNotFound(method: "org.herald.Control.CompleteSignIn")
    }
    public func passwordSignIn(session: String, user: String, password: String) async throws -> String {
        throw ControlError.methodNotFound(method: "org.herald.Control.PasswordSignIn")
    }
    public func checkPin(_ account: String, pin: String) async throws {
        throw ControlError.methodNotFound(method: "org.herald.Control.CheckPin")
    }
    public func verifyDevice(_ account: String, recoveryKey: inout [UInt8]?, passphrase: inout [UInt8]?) async throws -> VerifyDeviceReply {
        throw ControlError.methodNotFound(method: "org.herald.Control.VerifyDevice")
    }
    public func checkVerification(_ account: String) async throws -> CheckVerificationReply {
        throw ControlError.methodNotFound(method: "org.herald.Control.CheckVerification")
    }
}
