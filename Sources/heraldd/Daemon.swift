import Foundation
import HeraldControl
import HeraldCore
import HeraldHTTP
import HeraldMatrix
import HeraldSecrets
import HeraldStore
import Logging

/// The daemon's state: every account's sync loop and lock, and the answers to `org.herald.Control`.
actor Daemon: ControlHandler {
    let store: AppDatabase
    let transport: any HTTPTransport
    let notifier: Notifier
    let sealer: Sealer
    let logger: Logger
    let busState: String
    let deviceName: String
    let heartbeats = Heartbeats()
    /// Each account's sync state and the database's trouble, in memory (AccountHealth.swift).
    let health = AccountHealth()
    /// Whether each account's device is verified, as its sync loop last checked (DeviceTrust.swift).
    let trust = DeviceTrustBoard()
    let storage: StorageHealth
    let timers: Timers
    var pollMilliseconds = Config.defaultPollSeconds * 1000
    var idleLockMinutes = 15
    /// What "Open" on a notification starts: `{room}` is the percent-encoded room ID.
    var openURL = "matrix:roomid/{room_raw}"
    /// Tests only: shortens every PIN wait (HERALD_TEST_PIN_WAIT_SCALE).
    let pinWaitScale: Double
    private var loops: [UserID: Task<Void, Never>] = [:]
    private var sessions: [UserID: TokenSession] = [:]
    /// Accounts not started because the token key cannot be had yet (KeyringWait), in this state.
    static let waitingForKeyState = "waiting_for_the_keyring"
    private var waitingForKey: Set<UserID> = [] { didSet { ServiceStatus.shared.refresh() } }
    /// Accounts whose previews may show. Empty at start: every account starts locked.
    private var unlocked: Set<UserID> = [] { didSet { ServiceStatus.shared.refresh() } }  // STATUS= counts locks
    private var idleLocks: [UserID: Task<Void, Never>] = [:]
    private let pins: PinChecks
    private var logoutRetry: Task<Void, Never>?
    /// Browser sign-ins under way (SignIn.swift).
    let signIns = SignInSessions()

    init(store: AppDatabase, transport: any HTTPTransport, notifier: Notifier, sealer: Sealer, busState: String,
         timers: Timers, logger: Logger) {
        self.store = store
        self.timers = timers
        pins = PinChecks(timers: timers)
        self.transport = transport
        self.notifier = notifier
        self.sealer = sealer
        self.busState = busState
        self.logger = logger
        storage = StorageHealth(path: store.path, logger: logger)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        deviceName = "Herald on \(String(cString: host))"
        pinWaitScale = Double(ProcessInfo.processInfo.environment["HERALD_TEST_PIN_WAIT_SCALE"] ?? "") ?? 1
    }

    func configure(openURL: String) { self.openURL = openURL }

    func configure(pollMilliseconds: Int, idleLockMinutes: Int) {
        self.pollMilliseconds = pollMilliseconds
        self.idleLockMinutes = idleLockMinutes
    }

    func startAll() throws {
        // The ledger only has to outlive replays of recent answers: a month of shown events is plenty.
        try? store.pruneLedger(olderThan: Date().timeIntervalSince1970 - 30 * 86_400)
        for account in try store.accounts() where account.state != "signed_out" {
            start(account)
        }
        scheduleLogoutRetry(after: .zero)
    }

    func stopAll() async {
        let running = loops
        loops = [:]
        logoutRetry?.cancel()
        for (_, t) in idleLocks { t.cancel() }
        for (_, task) in running { task.cancel() }
        for (_, task) in running { await task.value }
    }

    private func start(_ account: StoredAccount) {
        let id = account.userID
        guard sealer.isReady else {
            waitingForKey.insert(id)  // never wiped for a key that cannot be had right now
            return
        }
        let session: TokenSession
        do {
            session = try TokenSession(account: account, transport: transport, store: store, sealer: sealer)
        } catch {
            // The key changed or the row is damaged: the tokens cannot be used, ask for a new sign-in.
            logger.error("cannot open the stored tokens: \(error)", metadata: ["account": "\(id)"])
            try? store.wipeKeepingTombstone(id, reason: "its stored tokens could not be decrypted", now: Date().timeIntervalSince1970)
            return
        }
        sessions[id] = session
        var loop = AccountLoop(account: account, session: session, store: store, notifier: notifier, logger: logger,
                               heartbeats: heartbeats, timers: timers, health: health, storage: storage, presentation: { [weak self] preview in
                                   await self?.presentation(id, preview: preview) ?? .discreet(label: id.localpart)
                               }, trust: trust)
        loop.pollMilliseconds = pollMilliseconds
        loops[id] = Task {
            if case .signedOut(let why) = await loop.run() {
                await self.signOut(id, reason: why, atServer: false)
            }
        }
    }

    func session(for id: UserID) -> TokenSession? { sessions[id] }

    /// The token key can be had at last: start the accounts that waited for it.
    func keyArrived() {
        let waiting = waitingForKey
        waitingForKey = []
        for id in waiting {
            if let account = try? store.account(id), account.state != "signed_out", loops[id] == nil { start(account) }
        }
        scheduleLogoutRetry(after: .zero)
    }

    /// A notification server (re)appeared: show what could not be shown while there was none.
    func replayUnshown() async {
        for account in (try? store.accounts()) ?? [] where account.state != "signed_out" {
            let enabled = (try? store.notificationsEnabled(for: account.userID)) ?? true
            await notifier.showUnshown(account.userID, enabled: enabled, presentation: presentation(account.userID))
        }
    }

    /// `preview`: the account's setting, when the caller has just read it.
    func presentation(_ id: UserID, preview known: String? = nil) -> Presentation {
        let preview = known ?? (try? store.account(id))??.preview ?? "unlocked"
        switch preview {
        case "always": return .full
        case "never": return .discreet(label: id.localpart)
        default: return unlocked.contains(id) ? .full : .discreet(label: id.localpart)
        }
    }

    // MARK: signing out

    /// Ends an account here: loop stopped, notifications withdrawn, every secret and message
    /// trace wiped. A tombstone row says why until the user removes it or signs in again.
    private func signOut(_ id: UserID, reason: String, atServer: Bool) async {
        if atServer { _ = await serverLogout(id) }
        await stop(id, signedOutReason: reason)
        try? store.wipeKeepingTombstone(id, reason: reason, now: Date().timeIntervalSince1970)
        logger.notice("account signed out: \(reason)", metadata: ["account": "\(id)"])
    }

    /// Stops the account's sync loop, drops its session, locks it and withdraws what it shows;
    /// with a reason, the user is told it was signed out.
    private func stop(_ id: UserID, signedOutReason: String?) async {
        loops.removeValue(forKey: id)?.cancel()
        sessions[id] = nil
        health.remove(id)
        trust.remove(id)
        relock(id)
        await notifier.withdrawAll(id, signedOutReason: signedOutReason)
    }

    /// Revokes the session at the homeserver; when it cannot be reached, queues a retry.
    /// Returns false when the logout is left pending.
    private func serverLogout(_ id: UserID) async -> Bool {
        guard let session = sessions[id] else { return true }
        do {
            try await session.logout()
            return true
        } catch let e as MatrixError where !e.isTransient {
            return true  // the token is already dead (401) or refused for good: nothing to revoke
        } catch {
            logger.warning("server-side logout failed, will retry: \(error)", metadata: ["account": "\(id)"])
            if let sealed = try? await session.sealedAccessToken() {
                try? store.addPendingLogout(userID: id.rawValue, homeserver: session.homeserver, accessToken: sealed,
                                            now: Date().timeIntervalSince1970)
                scheduleLogoutRetry(after: .seconds(60))
            }
            return false
        }
    }

    /// Retries queued server-side logouts: at start, then with a growing pause while any remain.
    private func scheduleLogoutRetry(after delay: Duration) {
        guard logoutRetry == nil else { return }
        logoutRetry = Task {
            try? await self.timers.sleep(for: delay)
            await self.retryLogouts()
        }
    }

    private func retryLogouts() async {
        logoutRetry = nil
        guard sealer.isReady else { return }  // keyArrived() asks again
        guard let pending = try? store.pendingLogouts(), !pending.isEmpty else { return }
        var remaining = 0
        var mostAttempts = 1
        for p in pending {
            guard let id = UserID(p.userID), let token = try? sealer.open(p.accessToken, for: id) else {
                try? store.finishPendingLogout(p.id)
                continue
            }
            do {
                try await MatrixClient(baseURL: p.homeserver, accessToken: token, transport: transport).logout()
                try? store.finishPendingLogout(p.id)
                logger.notice("queued server-side logout done", metadata: ["account": "\(p.userID)"])
            } catch let e as MatrixError where !e.isTransient {
                try? store.finishPendingLogout(p.id)
            } catch {
                try? store.countPendingLogoutAttempt(p.id)
                remaining += 1
                mostAttempts = max(mostAttempts, p.attempts + 1)
            }
        }
        if remaining > 0 {
            scheduleLogoutRetry(after: .seconds(min(3600, 60 << min(mostAttempts, 6))))
        }
    }

    // MARK: locking

    private var presentationChanges = 0

    /// Numbers each lock and unlock as it is decided, for the Notifier to keep them in order.
    private func nextPresentationChange() -> Int {
        presentationChanges += 1
        return presentationChanges
    }

    /// Previews come back in the background: the unlock answers at once, and the rooms' latest
    /// messages are fetched from the homeserver (their text was not kept while locked).
    private func revealSoon(_ id: UserID) {
        let change = nextPresentationChange()
        Task {
            let latest = await self.latestMessages(id)
            await self.notifier.reveal(id, latest: latest, change: change)
        }
    }

    /// The latest message of each room that has a notification waiting, at most a summary's
    /// worth of rooms, fetched together; a room whose event cannot be had shows a count.
    private func latestMessages(_ id: UserID) async -> [String: IncomingMessage] {
        guard let session = sessions[id],
              let states = try? store.notificationStates(of: id), !states.isEmpty,
              states.count <= Notifier.roomsBeforeSummary,
              let events = try? store.latestEvents(id, in: Array(states.keys)), !events.isEmpty,
              let client = try? await session.client() else { return [:] }
        let store = self.store, sealer = self.sealer
        return await withTaskGroup(of: (String, IncomingMessage?).self) { group in
            for (roomID, eventID) in events {
                group.addTask {
                    guard let fetched = try? await client.event(roomID: roomID, eventID: eventID) else { return (roomID, nil) }
                    let event = DecryptionPass.readable(fetched, roomID: roomID, me: id, store: store, sealer: sealer)
                    let message = SyncDigest.message(from: event, roomID: roomID, me: id) { sender in
                        (try? store.displayName(of: sender, in: roomID, for: id)) ?? nil
                    }
                    return (roomID, message)
                }
            }
            var out: [String: IncomingMessage] = [:]
            for await (roomID, message) in group { out[roomID] = message }
            return out
        }
    }

    private func relock(_ id: UserID) {
        unlocked.remove(id)
        idleLocks.removeValue(forKey: id)?.cancel()
    }

    /// Locks every account: the desktop session locked.
    func lockAll(because why: String) async {
        guard !unlocked.isEmpty else { return }
        logger.info("locking every account: \(why)")
        _ = try? await lock(nil)
    }

    private func scheduleIdleLock(_ id: UserID) {
        idleLocks.removeValue(forKey: id)?.cancel()
        guard idleLockMinutes > 0 else { return }
        let minutes = idleLockMinutes
        idleLocks[id] = Task {
            do { try await self.timers.sleep(for: .seconds(minutes * 60)) } catch { return }
            _ = try? await self.lock(id.rawValue)
        }
    }

    /// Checks a PIN under the attempt policy; returns normally only when it is right.
    private func checkPin(_ account: StoredAccount, _ pin: String) async throws {
        let id = account.userID
        guard pin.utf8.count <= 64 else { throw ControlError.invalidParameter(parameter: "pin") }
        guard account.state != "signed_out", let record = try store.pinRecord(id) else {
            throw ControlError.accountSignedOut(account: id.rawValue, reason: account.stateReason ?? "signed out")
        }
        let outcome: PinPolicy.Outcome = try await pins.serially {
            let now = Date().timeIntervalSince1970
            // Re-read under the lock: a concurrent attempt may have counted meanwhile.
            let attempts = (try self.store.pinRecord(id) ?? record).attempts
            if case .wait(let seconds) = PinPolicy.gate(attempts, now: now) {
                throw ControlError.pinLockedOut(account: id.rawValue, seconds: seconds)
            }
            let begun = PinPolicy.begin(attempts)
            try self.store.setPinAttempts(id, begun)  // counted before the check: a crash keeps it
            let digest = try await PinChecks.derive(pin: pin, salt: record.salt)
            let (next, outcome) = PinPolicy.finish(begun, matched: PinHasher.matches(digest, record.hash), digest: digest,
                                                   now: Date().timeIntervalSince1970, waitScale: self.pinWaitScale)
            try self.store.setPinAttempts(id, next)
            return outcome
        }
        switch outcome {
        case .accepted:
            return
        case .rejected(let left, let wait):
            logger.notice("wrong PIN", metadata: ["account": "\(id)", "attemptsLeft": "\(left)"])
            throw ControlError.pinIncorrect(account: id.rawValue, attemptsLeft: left, waitSeconds: wait)
        case .signOut:
            let reason = "too many wrong PINs"
            await signOut(id, reason: reason, atServer: true)
            throw ControlError.accountSignedOut(account: id.rawValue, reason: reason)
        }
    }

    // MARK: org.herald.Control

    func status() async throws -> StatusReply {
        let server = await notifier.serverInformation()
        return StatusReply(version: heraldVersion, pid: Int(getpid()), bus: busState, notificationServer: server,
                           secrets: sealer.summary, notifications: globalNotifications(), accounts: try listAccounts(),
                           storage: storage.problem)
    }

    func listAccounts() throws -> [AccountInfo] {
        try store.accounts().map { health.apply(to: info($0)) }
    }

    func addAccount(homeserver: String, user: String, password: String, pin: String) async throws -> AccountInfo {
        let name = user.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= 255 else { throw ControlError.invalidParameter(parameter: "user") }
        guard !password.isEmpty, password.utf8.count <= 1024 else { throw ControlError.invalidParameter(parameter: "password") }
        if let problem = PinRules.problem(with: pin) { throw ControlError.pinRejected(reason: problem) }
        if let why = sealer.waitingReason { throw TokenKeyUnavailable(reason: why, awaited: sealer.awaited).controlError }
        if let id = UserID(name), let known = try store.account(id), known.state != "signed_out" {
            throw ControlError.accountExists(account: id.rawValue)
        }
        let base = try await Homeserver.resolve(homeserver, transport: transport)
        let login: LoginResponse
        do {
            login = try await MatrixClient(baseURL: base, transport: transport)
                .loginWithPassword(user: name, password: password, deviceName: deviceName)
        } catch let e as MatrixError {
            throw Self.loginError(e, homeserver: base)
        }
        return try await adopt(login, homeserver: base, pin: pin)
    }

    /// Makes a fresh login an account of this daemon (password or SSO): tokens sealed, PIN
    /// derived, sync started, unlocked. A login for an account already signed in here is
    /// handed back to the server.
    func adopt(_ login: LoginResponse, homeserver base: String, pin: String) async throws -> AccountInfo {
        guard let id = UserID(login.userID) else {
            throw ControlError.authFailed(reason: "the homeserver answered with an invalid user ID")
        }
        if let why = sealer.waitingReason {
            // The tokens could not be kept: give the session back rather than leave it unused.
            try? await MatrixClient(baseURL: base, accessToken: login.accessToken, transport: transport).logout()
            throw TokenKeyUnavailable(reason: why, awaited: sealer.awaited).controlError
        }
        let previous = try store.account(id)
        if let previous, previous.state != "signed_out" {
            // Already signed in here: give back the session just made instead of keeping two.
            try? await MatrixClient(baseURL: base, accessToken: login.accessToken, transport: transport).logout()
            throw ControlError.accountExists(account: id.rawValue)
        }
        let now = Date().timeIntervalSince1970
        let salt = PinHasher.newSalt()
        let hash = try await PinChecks.derive(pin: pin, salt: salt)
        var account = StoredAccount(
            userID: id, homeserver: base, deviceID: login.deviceID, accessToken: try sealer.seal(login.accessToken, for: id),
            refreshToken: try login.refreshToken.map { try sealer.seal($0, for: id) },
            tokenExpiresAt: TokenSession.renewalTime(lifetimeMilliseconds: login.expiresInMilliseconds),
            stateSince: now)
        if let previous {
            // Signing in again after a sign-out keeps the account's settings.
            account.preview = previous.preview
            account.notificationsEnabled = previous.notificationsEnabled
            try store.deleteAccount(id)
        }
        try store.insertAccount(account, now: now)
        try store.setPin(id, salt: salt, hash: hash)
        logger.notice("account added", metadata: ["account": "\(id)", "device": "\(login.deviceID)"])
        unlocked.insert(id)  // a freshly added account starts unlocked
        scheduleIdleLock(id)
        start(account)
        return info(account)
    }

    func removeAccount(_ query: String) async throws {
        let account = try resolve(query)
        if account.state == "signed_out" {
            try store.deleteAccount(account.userID)
            return
        }
        _ = try await logout(account.userID.rawValue)
    }

    func setNotifications(enabled: Bool, account: String?) async throws {
        if let account {
            let a = try resolve(account)
            try store.setNotifications(enabled, for: a.userID)
        } else {
            try store.setSetting("notifications", enabled ? "on" : "off")
        }
    }

    func lock(_ query: String?) async throws -> [String] {
        let targets = try query.map { [try resolve($0)] } ?? store.accounts()
        var locked: [String] = []
        for a in targets where a.state != "signed_out" {
            let wasUnlocked = unlocked.contains(a.userID)
            relock(a.userID)
            if wasUnlocked, presentation(a.userID) != .full {
                await notifier.conceal(a.userID, change: nextPresentationChange())
            }
            locked.append(a.userID.rawValue)
        }
        if !locked.isEmpty { logger.info("locked", metadata: ["accounts": "\(locked.joined(separator: ","))"]) }
        return locked
    }

    func unlock(_ query: String, pin: String) async throws -> AccountInfo {
        let account = try resolve(query)
        try await checkPin(account, pin)
        let id = account.userID
        let wasLocked = !unlocked.contains(id)
        unlocked.insert(id)
        scheduleIdleLock(id)
        if wasLocked, presentation(id) == .full { revealSoon(id) }
        logger.info("unlocked", metadata: ["account": "\(id)"])
        return info(try store.account(id) ?? account)
    }

    func setPin(_ query: String, currentPin: String, newPin: String) async throws {
        let account = try resolve(query)
        if let problem = PinRules.problem(with: newPin) { throw ControlError.pinRejected(reason: problem) }
        try await checkPin(account, currentPin)
        let salt = PinHasher.newSalt()
        try store.setPin(account.userID, salt: salt, hash: try await PinChecks.derive(pin: newPin, salt: salt))
        logger.notice("PIN changed", metadata: ["account": "\(account.userID)"])
    }

    func checkPin(_ query: String, pin: String) async throws {
        try await checkPin(try resolve(query), pin)
    }

    func logout(_ query: String?) async throws -> LogoutReply {
        let targets = try query.map { [try resolve($0)] } ?? store.accounts()
        var out: [String] = []
        var pending: [String] = []
        for a in targets {
            let id = a.userID
            if a.state != "signed_out", !(await serverLogout(id)) { pending.append(id.rawValue) }
            await stop(id, signedOutReason: nil)
            try store.deleteAccount(id)
            out.append(id.rawValue)
            logger.notice("signed out and wiped", metadata: ["account": "\(id)"])
        }
        return LogoutReply(signedOut: out, serverLogoutPending: pending)
    }

    func setPreview(_ query: String, preview: String) async throws {
        guard ["always", "unlocked", "never"].contains(preview) else { throw ControlError.invalidParameter(parameter: "preview") }
        let a = try resolve(query)
        let before = presentation(a.userID)
        try store.setPreview(preview, for: a.userID)
        let after = presentation(a.userID)
        if before == .full, after != .full {
            await notifier.conceal(a.userID, change: nextPresentationChange())
        }
        if before != .full, after == .full { revealSoon(a.userID) }
    }

    // MARK: helpers

    private func globalNotifications() -> Bool { (try? store.setting("notifications")) != "off" }

    func resolve(_ query: String) throws -> StoredAccount {
        guard query.utf8.count <= 255 else { throw ControlError.invalidParameter(parameter: "account") }
        let accounts = try store.accounts()
        switch AccountMatch.resolve(query, among: accounts.map(\.userID)) {
        case .found(let id): return accounts.first { $0.userID == id }!
        case .none: throw ControlError.accountNotFound(account: query)
        case .ambiguous(let ids): throw ControlError.accountAmbiguous(account: query, matches: ids.map(\.rawValue))
        }
    }

    private func info(_ a: StoredAccount) -> AccountInfo {
        let waiting = waitingForKey.contains(a.userID) ? sealer.waitingReason.map { "waiting for \(sealer.awaited): \($0)" } : nil
        return AccountInfo(id: a.userID.rawValue, homeserver: a.homeserver, deviceId: a.deviceID,
                    state: waiting == nil ? a.state : Self.waitingForKeyState,
                    since: UTCTimestamp.iso8601(a.stateSince), reason: waiting ?? a.stateReason,
                    notifications: a.notificationsEnabled,
                    locked: a.state != "signed_out" && !unlocked.contains(a.userID), preview: a.preview,
                    encryption: Self.withheldNote(a.userID, store: store),
                    verification: a.state == "signed_out" ? nil : trust.trust(a.userID)?.rawValue)
    }

    static func loginError(_ e: MatrixError, homeserver: String) -> ControlError {
        switch e {
        case .server(_, "M_FORBIDDEN", _, _, _):
            return .authFailed(reason: "wrong user name or password")
        case .server(_, "M_USER_DEACTIVATED", _, _, _):
            return .authFailed(reason: "this account has been deactivated")
        case .server(429, _, _, let retry, _):
            let secs = ((retry ?? 5000) + 999) / 1000
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
