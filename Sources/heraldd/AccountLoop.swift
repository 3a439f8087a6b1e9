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
    /// The account's state in memory: status reads it even when the database cannot be written.
    let health: AccountHealth
    let storage: StorageHealth
    /// How the account's notifications look now; `preview` is its setting when the caller has just read it.
    let presentation: @Sendable (_ preview: String?) async -> Presentation
    let trust: DeviceTrustBoard
    var pollMilliseconds = Config.defaultPollSeconds * 1000

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
        var rules: PushRuleEvaluator?

        func enter(_ new: String, reason: String? = nil) {
            guard new != state || reason != nil else { return }
            state = new
            health.set(me, state: new, reason: reason)
            do {
                try store.setState(new, reason: reason, since: Date().timeIntervalSince1970, for: me)
            } catch {
                storage.failed(error)
            }
        }

        let beat = "sync \(me)"
        defer { heartbeats.remove(beat) }
        // Set after a big answer; the trim waits for the next turn, once the answer is freed.
        var trimMemory = false
        // The first request after a start does not wait for news: the device's trust and the
        // rest of a first answer's work are done at once, not when a long poll with nothing new ends.
        var answered = false
        // The rooms and senders' names answers need, as stored: read once, then kept up to date by each commit.
        var roomCache = RoomCache()
        var crypto = CryptoStep(me: me, deviceID: account.deviceID, store: store, sealer: session.sealer, logger: log)
        var trustWatch = TrustWatch(me: me, deviceID: account.deviceID, store: store, board: trust, logger: log)
        await notifier.showUnshown(me, enabled: notificationsEnabled(), presentation: await presentation(nil))
        while !Task.isCancelled {
            heartbeats.beat(beat)
            if trimMemory {
                Memory.trim()
                trimMemory = false
            }
            await SyncTestHooks.wedgeIfAsked()
            do {
                let client = try await session.client()
                if rules == nil, since != nil, let json = try? await client.pushRules() {
                    rules = PushRuleEvaluator(rules: PushRuleSet(accountData: json, userID: me))
                }
                if filterID == nil {
                    let id = try await client.uploadFilter(userID: me.rawValue, filter: SyncDigest.filter)
                    try store.setFilterID(id, for: me)
                    filterID = id
                }
                let first = since == nil
                // The first sync only learns the rooms: one event each, nothing notified.
                let filter = first ? String(decoding: SyncDigest.firstSyncFilter.encoded(), as: UTF8.self) : filterID!
                var poll = answered ? pollMilliseconds : 0
                if let limit = await session.pollLimitMilliseconds() { poll = min(poll, limit) }
                // The watchdog gives this request its own time limit (a first sync's is 120 s).
                heartbeats.beat(beat, allowing: .milliseconds(MatrixClient.syncLimitMilliseconds(poll: poll)))
                let answer = try await client.sync(since: since, filter: filter, timeoutMilliseconds: poll)
                trimMemory = answer.bytes >= Memory.bigAnswer
                if answer.skippedEvents > 0 {
                    log.warning("left out \(answer.skippedEvents) unreadable events of a sync answer (bad UTF-8 or nesting)")
                }
                let decrypted = try await crypto.decrypt(answer.json, client: client)
                let json = decrypted.sync
                // Only the rooms the answer speaks of are read, unless a new m.direct may change any of them.
                let known: [String: RoomInfo]
                switch SyncDigest.storedRooms(for: json) {
                case .none: known = [:]
                case .only(let ids): known = (try? roomCache.rooms(among: ids, of: me, in: store)) ?? [:]
                case .all: known = (try? roomCache.allRooms(of: me, in: store)) ?? [:]
                }
                let digest = try SyncDigest.read(json, me: me, known: known, displayName: { room, member in
                    roomCache.displayName(of: member, in: room, for: me, in: store)
                }, notify: !first, rules: rules)
                if let fresh = digest.pushRules { rules = PushRuleEvaluator(rules: PushRuleSet(accountData: fresh, userID: me)) }
                let unreadHints = await GapCount.hints(digest, since: since, client: client, me: me, rules: rules, store: store)
                let commit = SyncCommit(userID: me, nextBatch: digest.nextBatch, rooms: digest.changedRooms(from: known), members: digest.members,
                                        messages: digest.messages, leftRooms: digest.leftRooms, crypto: decrypted.commit)
                // A room left, or an invitation declined, elsewhere: its notification closes
                // while the store still holds it (the commit forgets the room).
                if !digest.leftRooms.isEmpty { await notifier.withdraw(me, rooms: Set(digest.leftRooms)) }
                var fresh: [IncomingMessage] = []
                var showing: ShowingState?
                var wrote = false
                // An idle answer that keeps the cursor where it was has nothing to write.
                if !(commit.changesNothingButTheCursor && commit.nextBatch == since) {
                    let committed = try store.commit(commit, now: Date().timeIntervalSince1970)
                    roomCache.committed(commit)
                    (fresh, showing) = (committed.fresh, committed.showing)
                    wrote = true
                }
                since = digest.nextBatch
                answered = true
                backoff.reset()
                enter("syncing")
                // The account's settings come with the commit, and only when there is something to show.
                var look: Presentation?
                if let showing {
                    let now = await presentation(showing.preview)
                    look = now
                    await notifier.show(me, messages: fresh, rooms: digest.rooms(after: known), unreadHints: unreadHints,
                                        showing: showing, presentation: now)
                }
                // The database file's check (one stat) waits until the news is on screen.
                if wrote { storage.wrote() }
                await notifier.withdraw(me, rooms: digest.readRooms.subtracting(fresh.map(\.roomID)))
                let changes = digest.changes + decrypted.changes
                if !changes.isEmpty {
                    let now: Presentation
                    if let look { now = look } else { now = await presentation(nil) }
                    await notifier.apply(me, changes: changes, presentation: now)
                }
                // Keys topped up and trust checked once what the answer brought is on screen.
                await crypto.committed(decrypted, sync: json, client: client)
                await trustWatch.check(after: json, client: client)
                await UnverifiedNotice.showIfDue(me, withheld: decrypted.commit.withheld, trust: trust.trust(me), store: store,
                                                 notifier: notifier)
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
                if case MatrixError.network(.responseTooLarge) = error { trimMemory = true }
                let reason = storage.failed(error) ?? Self.reason(for: error)
                log.warning("sync failed, retrying in \(wait) ms: \(reason)")
                enter("offline", reason: reason)
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

    /// What status says while the account is offline because of `error`.
    static func reason(for error: any Error) -> String {
        if case MatrixError.network(.timedOut) = error {
            return "the homeserver did not answer in time: it is frozen or the connection is dead"
        }
        return "\(error)"
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
