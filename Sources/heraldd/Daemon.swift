import Foundation
import HeraldControl
import HeraldCore
import HeraldHTTP
import HeraldMatrix
import HeraldStore
import Logging

/// The daemon's state: every account's sync loop, and the answers to `org.herald.Control`.
actor Daemon: ControlHandler {
    let store: AppDatabase
    let transport: any HTTPTransport
    let notifier: Notifier
    let logger: Logger
    let busState: String
    let deviceName: String
    let heartbeats = Heartbeats()
    var pollMilliseconds = 30_000
    private var loops: [UserID: Task<Void, Never>] = [:]

    init(store: AppDatabase, transport: any HTTPTransport, notifier: Notifier, busState: String, logger: Logger) {
        self.store = store
        self.transport = transport
        self.notifier = notifier
        self.busState = busState
        self.logger = logger
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        deviceName = "Herald on \(String(cString: host))"
    }

    func startAll() throws {
        for account in try store.accounts() where account.state != "signed_out" {
            start(account)
        }
    }

    func stopAll() async {
        let running = loops
        loops = [:]
        for (_, task) in running { task.cancel() }
        for (_, task) in running { await task.value }
    }

    private func start(_ account: StoredAccount) {
        var loop = AccountLoop(account: account, transport: transport, store: store, notifier: notifier, logger: logger,
                               heartbeats: heartbeats)
        loop.pollMilliseconds = pollMilliseconds
        let id = account.userID
        loops[id] = Task {
            if case .signedOut(let why) = await loop.run() {
                await self.signedOut(id, reason: why)
            }
        }
    }

    private func signedOut(_ id: UserID, reason: String) {
        loops[id] = nil
        try? store.setState("signed_out", reason: reason, since: Date().timeIntervalSince1970, for: id)
    }

    // MARK: org.herald.Control

    func status() async throws -> StatusReply {
        let server = await notifier.serverInformation()
        return StatusReply(version: heraldVersion, pid: Int(getpid()), bus: busState, notificationServer: server,
                           secrets: "none", notifications: globalNotifications(), accounts: try listAccounts())
    }

    func listAccounts() throws -> [AccountInfo] {
        try store.accounts().map(Self.info)
    }

    func addAccount(homeserver: String, user: String, password: String) async throws -> AccountInfo {
        let name = user.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= 255 else { throw ControlError.invalidParameter(parameter: "user") }
        guard !password.isEmpty, password.utf8.count <= 1024 else { throw ControlError.invalidParameter(parameter: "password") }
        if let id = UserID(name), try store.account(id) != nil { throw ControlError.accountExists(account: id.rawValue) }
        let base = try await Homeserver.resolve(homeserver, transport: transport)
        let login: LoginResponse
        do {
            login = try await MatrixClient(baseURL: base, transport: transport)
                .loginWithPassword(user: name, password: password, deviceName: deviceName)
        } catch let e as MatrixError {
            throw Self.loginError(e, homeserver: base)
        }
        guard let id = UserID(login.userID) else {
            throw ControlError.authFailed(reason: "the homeserver answered with an invalid user ID")
        }
        if try store.account(id) != nil {
            // Already signed in here: give back the session just made instead of keeping two.
            try? await MatrixClient(baseURL: base, accessToken: login.accessToken, transport: transport).logout()
            throw ControlError.accountExists(account: id.rawValue)
        }
        let now = Date().timeIntervalSince1970
        let account = StoredAccount(userID: id, homeserver: base, deviceID: login.deviceID, accessToken: login.accessToken,
                                    stateSince: now)
        try store.insertAccount(account, now: now)
        logger.notice("account added", metadata: ["account": "\(id)", "device": "\(login.deviceID)"])
        start(account)
        return Self.info(account)
    }

    func removeAccount(_ query: String) async throws {
        let account = try resolve(query)
        loops.removeValue(forKey: account.userID)?.cancel()
        do {
            try await MatrixClient(baseURL: account.homeserver, accessToken: account.accessToken, transport: transport).logout()
        } catch {
            logger.warning("server-side logout failed; the account is forgotten here anyway: \(error)",
                           metadata: ["account": "\(account.userID)"])
        }
        try store.deleteAccount(account.userID)
        logger.notice("account removed", metadata: ["account": "\(account.userID)"])
    }

    func setNotifications(enabled: Bool, account: String?) async throws {
        if let account {
            let a = try resolve(account)
            try store.setNotifications(enabled, for: a.userID)
        } else {
            try store.setSetting("notifications", enabled ? "on" : "off")
        }
    }

    // MARK: helpers

    private func globalNotifications() -> Bool { (try? store.setting("notifications")) != "off" }

    private func resolve(_ query: String) throws -> StoredAccount {
        let accounts = try store.accounts()
        switch AccountMatch.resolve(query, among: accounts.map(\.userID)) {
        case .found(let id): return accounts.first { $0.userID == id }!
        case .none: throw ControlError.accountNotFound(account: query)
        case .ambiguous(let ids): throw ControlError.accountAmbiguous(account: query, matches: ids.map(\.rawValue))
        }
    }

    static func info(_ a: StoredAccount) -> AccountInfo {
        AccountInfo(id: a.userID.rawValue, homeserver: a.homeserver, deviceId: a.deviceID, state: a.state,
                    since: Date(timeIntervalSince1970: a.stateSince).ISO8601Format(), reason: a.stateReason,
                    notifications: a.notificationsEnabled)
    }

    static func loginError(_ e: MatrixError, homeserver: String) -> ControlError {
        switch e {
        case .server(_, "M_FORBIDDEN", _, _, _):
            return .authFailed(reason: "wrong user name or password")
        case .server(_, "M_USER_DEACTIVATED", _, _, _):
            return .authFailed(reason: "this account has been deactivated")
        case .server(429, _, _, let retry, _):
            let secs = (retry ?? 5000 + 999) / 1000
            return .authFailed(reason: "too many sign-in attempts; try again in \(secs) s")
        case .server(_, _, let message, _, _):
            return .authFailed(reason: "the homeserver refused the sign-in: \(message)")
        case .network(let n):
            return .serverUnreachable(homeserver: homeserver, reason: n.description)
        case .badResponse(let why):
            return .authFailed(reason: why)
        }
    }
}
