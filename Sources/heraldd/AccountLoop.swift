import Foundation
import HeraldCore
import HeraldHTTP
import HeraldMatrix
import HeraldStore
import Logging

/// How an account's notifications look right now.
enum Presentation: Sendable, Equatable {
    case full
    /// No sender, room or text: only "New message for <label>".
    case discreet(label: String)
}

/// Keeps one account in sync: one long poll at a time, each answer committed with its cursor
/// before anything is shown. Runs until cancelled or the account is signed out remotely.
struct AccountLoop: Sendable {
    let account: StoredAccount
    let session: TokenSession
    let store: AppDatabase
    let notifier: Notifier
    let logger: Logger
    let heartbeats: Heartbeats
    let timers: Timers
    let presentation: @Sendable () async -> Presentation
    var pollMilliseconds = 30_000

    enum Outcome: Sendable { case cancelled, signedOut(String) }

    func run() async -> Outcome {
        let me = account.userID
        var log = logger
        log[metadataKey: "account"] = "\(me)"
        var filterID = account.filterID
        var since = account.since
        var backoff = Backoff()
        var state = ""
        // Push rules: fetched once (a restarted daemon's incremental sync does not repeat them),
        // then replaced whenever m.push_rules account data arrives.
        var rules: PushRuleSet?

        func enter(_ new: String, reason: String? = nil) {
            guard new != state || reason != nil else { return }
            state = new
            try? store.setState(new, reason: reason, since: Date().timeIntervalSince1970, for: me)
        }

        let beat = "sync \(me)"
        defer { heartbeats.remove(beat) }
        await notifier.showUnshown(me, enabled: notificationsEnabled(), presentation: await presentation())
        while !Task.isCancelled {
            heartbeats.beat(beat)
            await SyncTestHooks.wedgeIfAsked()
            do {
                let client = try await session.client()
                if rules == nil, since != nil, let json = try? await client.pushRules() {
                    rules = PushRuleSet(accountData: json, userID: me)
                }
                if filterID == nil {
                    let id = try await client.uploadFilter(userID: me.rawValue, filter: SyncDigest.filter)
                    try store.setFilterID(id, for: me)
                    filterID = id
                }
                let first = since == nil
                // The first sync only learns the rooms: one event each, nothing notified.
                let filter = first ? String(decoding: SyncDigest.firstSyncFilter.encoded(), as: UTF8.self) : filterID!
                var poll = first ? 0 : pollMilliseconds
                if let limit = await session.pollLimitMilliseconds() { poll = min(poll, limit) }
                let json = try await client.sync(since: since, filter: filter, timeoutMilliseconds: poll)
                let known = (try? store.rooms(of: me)) ?? [:]
                let digest = try SyncDigest.read(json, me: me, known: known, displayName: { room, member in
                    try? store.displayName(of: member, in: room, for: me)
                }, notify: !first, rules: rules)
                if let fresh = digest.pushRules { rules = PushRuleSet(accountData: fresh, userID: me) }
                let fresh = try store.commit(
                    SyncCommit(userID: me, nextBatch: digest.nextBatch, rooms: digest.rooms, members: digest.members,
                               messages: digest.messages, leftRooms: digest.leftRooms),
                    now: Date().timeIntervalSince1970)
                since = digest.nextBatch
                backoff.reset()
                enter("syncing")
                if !fresh.isEmpty {
                    await notifier.show(me, messages: fresh, unreadHints: digest.unreadHints, enabled: notificationsEnabled(),
                                        presentation: await presentation())
                }
                await notifier.withdraw(me, rooms: digest.readRooms.subtracting(fresh.map(\.roomID)))
                if !digest.changes.isEmpty { await notifier.apply(me, changes: digest.changes, presentation: await presentation()) }
            } catch is CancellationError {
                break
            } catch let e as MatrixError where e.isSoftLogout {
                // The access token expired: trade the refresh token and go on at once.
                do {
                    try await session.renew()
                    log.info("access token refreshed")
                } catch let e as MatrixError where e.isLoggedOut {
                    return .signedOut(Self.signedOutReason)
                } catch {
                    log.warning("token refresh failed: \(error)")
                    enter("offline", reason: "token refresh failed: \(error)")
                    if !(await pause(backoff.next(unit: Double.random(in: 0..<1)), beat)) { break }
                }
            } catch let e as MatrixError where e.isLoggedOut {
                log.notice("signed out by the homeserver: \(e)")
                return .signedOut(Self.signedOutReason)
            } catch {
                if Task.isCancelled { break }
                var wait = backoff.next(unit: Double.random(in: 0..<1))
                if case MatrixError.server(_, _, _, let retry?, _) = error { wait = max(wait, min(retry, 120_000)) }
                // A refused filter (e.g. the server forgot it) is uploaded again.
                if case MatrixError.server(400, _, _, _, _) = error { filterID = nil }
                log.warning("sync failed, retrying in \(wait) ms: \(error)")
                enter("offline", reason: "\(error)")
                if !(await pause(wait, beat)) { break }
            }
        }
        return .cancelled
    }

    /// Sleeps between retries; false when cancelled.
    private func pause(_ milliseconds: Int, _ beat: String) async -> Bool {
        heartbeats.beat(beat)
        do { try await timers.sleep(for: .milliseconds(milliseconds)); return true } catch { return false }
    }

    static let signedOutReason = "the homeserver ended the session (device removed, password changed or account deactivated)"

    private func notificationsEnabled() -> Bool { (try? store.notificationsEnabled(for: account.userID)) ?? true }
}

/// `HERALD_TEST_WEDGE_SYNC=1` makes every sync loop hang before its next request, so the
/// watchdog test can see the pings stop. Read once; costs nothing otherwise.
enum SyncTestHooks {
    static let wedge = ProcessInfo.processInfo.environment["HERALD_TEST_WEDGE_SYNC"] == "1"

    static func wedgeIfAsked() async {
        guard wedge else { return }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}
