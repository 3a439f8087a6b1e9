/// What the daemon does for each method of `org.herald.Control`. `heraldd` implements it;
/// `ControlServer` decodes calls, awaits these methods and sends their results back.
///
/// Throw a `ControlError` to refuse a call with a named error. Any other error becomes
/// `org.herald.Control.InternalError` carrying the error's description.
public protocol ControlHandler: Sendable {
    func status() async throws -> StatusReply
    func listAccounts() async throws -> [AccountInfo]
    /// Password sign-in. The password is used once and must never be stored or logged.
    func addAccount(homeserver: String, user: String, password: String) async throws -> AccountInfo
    /// `account` is as the user typed it: a full Matrix ID or an unambiguous prefix.
    func removeAccount(_ account: String) async throws
    /// Per account when `account` is given (full ID or prefix), else the global switch.
    func setNotifications(enabled: Bool, account: String?) async throws
}
