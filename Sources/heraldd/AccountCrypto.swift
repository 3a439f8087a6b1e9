import Foundation
import HeraldCore
import HeraldCrypto
import HeraldMatrix
import HeraldStore
import Logging

/// One account's end-to-end encryption, receiving side: its Olm device (created and uploaded on
/// first use), and the decryption of each /sync answer before it is read. State changes of an
/// answer come back as a `CryptoCommit` that the loop writes with the answer's cursor; the Olm
/// account in memory moves on only once that write is done (`committed`).
struct AccountCrypto: Sendable {
    let me: UserID
    let deviceID: String
    let store: AppDatabase
    let sealer: Sealer
    let logger: Logger
    private(set) var account: OlmAccount
    /// Sender devices' Ed25519 keys by their Curve25519 key, from `/keys/query` (self-signature checked).
    private var deviceKeys: [String: String] = [:]
    /// The group sessions used last, as stored: moves on with `committed`, like the account.
    private(set) var groupCache = GroupSessionCache()
    /// Whether encrypted events may wait for their key: the store is asked only then.
    private(set) var awaited = AwaitedKeys.unknown
    /// The key backup as last checked: answers while events wait do not each ask its version.
    private(set) var backupCheck = KeyBackupCheck()

    /// One-time keys Herald keeps on the server; it tops up below half of this.
    static let oneTimeKeyTarget = OlmLimits.maxPublishedOneTimeKeys

    /// The account's Olm device: loaded, or made and published when it has none yet. Keys are
    /// stored before they are uploaded, and marked published only after the server took them.
    static func load(me: UserID, deviceID: String, store: AppDatabase, sealer: Sealer, client: MatrixClient,
                     logger: Logger) async throws -> AccountCrypto {
        // Tagged once here: every answer's decryption pass logs with it.
        var logger = logger
        logger[metadataKey: "account"] = "\(me)"
        var crypto: AccountCrypto
        if let sealed = try store.olmAccount(of: me) {
            let account = try OlmAccount(pickle: sealer.open(bytes: sealed, for: me, purpose: "olm-account"))
            crypto = AccountCrypto(me: me, deviceID: deviceID, store: store, sealer: sealer, logger: logger, account: account)
        } else {
            var account = OlmAccount()
            account.generateOneTimeKeys(oneTimeKeyTarget)
            account.generateFallbackKey()
            crypto = AccountCrypto(me: me, deviceID: deviceID, store: store, sealer: sealer, logger: logger, account: account)
            try crypto.save(account)
            logger.notice("encryption device keys made", metadata: ["account": "\(me)", "device": "\(deviceID)"])
        }
        try await crypto.publishPending(client)
        return crypto
    }

    /// Uploads whatever is not published yet (with the device keys, which the server keeps as they are).
    mutating func publishPending(_ client: MatrixClient) async throws {
        let oneTime = try account.unpublishedOneTimeKeys(userID: me.rawValue, deviceID: deviceID)
        let fallback = try account.unpublishedFallbackKey(userID: me.rawValue, deviceID: deviceID)
        guard !oneTime.isEmpty || !fallback.isEmpty else { return }
        try await client.uploadKeys(deviceKeys: account.deviceKeys(userID: me.rawValue, deviceID: deviceID),
                                    oneTimeKeys: oneTime, fallbackKeys: fallback)
        var published = account
        published.markKeysAsPublished()
        try save(published)
        account = published
        logger.info("uploaded \(oneTime.count) one-time keys\(fallback.isEmpty ? "" : " and a fallback key")",
                    metadata: ["account": "\(me)"])
    }

    /// After an answer: more one-time keys when the server holds fewer than half the target, and
    /// a new fallback key once the server says the current one was used.
    mutating func replenish(after sync: JSONValue, client: MatrixClient) async throws {
        let held = sync["device_one_time_keys_count"]?["signed_curve25519"]?.int ?? 0
        let fallbackUnused = sync["device_unused_fallback_key_types"]?.array.map { $0.contains(.string("signed_curve25519")) }
        var next = account
        if held < Self.oneTimeKeyTarget / 2 { next.generateOneTimeKeys(Self.oneTimeKeyTarget - max(0, held)) }
        if fallbackUnused == false, next.hasPublishedFallbackKey { next.generateFallbackKey() }
        next.forgetOldFallbackKey(now: UInt64(Date().timeIntervalSince1970))
        if next.pickle() != account.pickle() {
            try save(next)
            account = next
        }
        // Also what an earlier upload left unpublished (the server was unreachable then).
        try await publishPending(client)
    }

    private func save(_ account: OlmAccount) throws {
        let sealed = try sealer.seal(bytes: account.pickle(), for: me, purpose: "olm-account")
        try store.commitCrypto(CryptoCommit(account: sealed), for: me, now: Date().timeIntervalSince1970)
    }

    /// The answer, with every encrypted event Herald can read replaced by what it says, and the
    /// state to write with its cursor.
    struct Outcome: Sendable {
        var sync: JSONValue
        var commit = CryptoCommit()
        var account: OlmAccount?
        /// The group session cache once the commit is written.
        var groupCache: GroupSessionCache?
        var awaited = AwaitedKeys.unknown
        var backupCheck: KeyBackupCheck?
        /// Notifications of late-keyed events to show with their text.
        var changes: [MessageChange] = []
    }

    /// Decrypts the to-device events, then the room events (so that a key and its message in the
    /// same answer meet), then the events that waited for a key that came now. Throws only when a
    /// sender's device keys cannot be fetched for a transient reason: the answer is then retried.
    mutating func decrypt(_ sync: JSONValue, client: MatrixClient) async throws -> Outcome {
        var pass = DecryptionPass(crypto: self, now: Date().timeIntervalSince1970)
        let toDevice = sync["to_device"]?["events"]?.array ?? []
        if toDevice.count > Self.maxToDevice {
            logger.warning("left out \(toDevice.count - Self.maxToDevice) to-device events over the limit of an answer",
                           metadata: ["account": "\(me)"])
        }
        for event in toDevice.prefix(Self.maxToDevice) {
            try await pass.toDevice(event, client: client, deviceKeys: &deviceKeys)
        }
        await pass.keysFromBackup(sync, client: client)
        var out = Outcome(sync: DeviceCryptoEvents.mapTimelines(sync) { roomID, event in pass.roomEvent(event, roomID: roomID) })
        out.changes = await pass.lateKeys(client: client)
        out.commit = try pass.commit()
        out.groupCache = pass.cacheAfterCommit()
        out.awaited = pass.awaited
        out.backupCheck = pass.backupCheck
        // Only a to-device message moves the Olm account on.
        if !toDevice.isEmpty, pass.account.pickle() != account.pickle() {
            out.account = pass.account
            out.commit.account = try sealer.seal(bytes: pass.account.pickle(), for: me, purpose: "olm-account")
        }
        return out
    }

    /// The answer's state is stored: the account in memory is the stored one again.
    mutating func committed(_ outcome: Outcome) {
        if let next = outcome.account { account = next }
        if let next = outcome.groupCache { groupCache = next }
        awaited = outcome.awaited
        awaited.committed(added: outcome.commit.awaiting.count)
        if let next = outcome.backupCheck { backupCheck = next }
    }

    /// To-device events handled per answer (servers send about 100).
    static let maxToDevice = 200
}

/// The sync loop's hook into encryption: the device is loaded (or made) on the first answer,
/// each answer is decrypted before it is read, and keys are topped up once it is stored. When
/// the device cannot be set up for a lasting reason, answers pass as they came and it is tried
/// again at the next one; a transient failure holds the answer back, to be fetched again.
struct CryptoStep: Sendable {
    let me: UserID
    let deviceID: String
    let store: AppDatabase
    let sealer: Sealer
    let logger: Logger
    private var crypto: AccountCrypto?
    /// After a lasting failure to set the device up, when to try again.
    private var retryAt: Date?
    /// The device was set up after the current answer was fetched: its key counts predate the upload.
    private var answerPredatesDevice = false

    init(me: UserID, deviceID: String, store: AppDatabase, sealer: Sealer, logger: Logger) {
        self.me = me
        self.deviceID = deviceID
        self.store = store
        self.sealer = sealer
        self.logger = logger
    }

    mutating func decrypt(_ sync: JSONValue, client: MatrixClient) async throws -> AccountCrypto.Outcome {
        if crypto == nil, retryAt.map({ Date() >= $0 }) ?? true {
            do {
                crypto = try await AccountCrypto.load(me: me, deviceID: deviceID, store: store, sealer: sealer, client: client,
                                                      logger: logger)
                answerPredatesDevice = true
            } catch let e as MatrixError where e.isTransient || e.isSoftLogout || e.isLoggedOut {
                throw e
            } catch {
                retryAt = Date().addingTimeInterval(Self.retrySeconds)
                logger.warning("encryption not available, encrypted messages stay unread; trying again in an hour: \(error)")
                return AccountCrypto.Outcome(sync: sync)
            }
        }
        guard var crypto else { return AccountCrypto.Outcome(sync: sync) }
        let outcome = try await crypto.decrypt(sync, client: client)
        self.crypto = crypto
        if CryptoTestHooks.dieBeforeCommit, outcome.account != nil { CryptoTestHooks.die() }
        return outcome
    }

    static let retrySeconds: TimeInterval = 3600

    /// The answer and its state are stored.
    mutating func committed(_ outcome: AccountCrypto.Outcome, sync: JSONValue, client: MatrixClient) async {
        guard var crypto else { return }
        crypto.committed(outcome)
        defer { answerPredatesDevice = false }
        guard !answerPredatesDevice else {
            self.crypto = crypto
            return
        }
        do {
            try await crypto.replenish(after: sync, client: client)
        } catch {
            logger.warning("one-time keys not topped up: \(error)")
        }
        self.crypto = crypto
    }
}

/// `HERALD_TEST_DIE_BEFORE_CRYPTO_COMMIT=1` kills the daemon once an answer used a one-time key,
/// right before that answer is stored: the crash the kill test proves harmless.
enum CryptoTestHooks {
    static let dieBeforeCommit = ProcessInfo.processInfo.environment["HERALD_TEST_DIE_BEFORE_CRYPTO_COMMIT"] == "1"

    static func die() -> Never {
        kill(getpid(), SIGKILL)
        fatalError("unreachable")
    }
}

extension Daemon {
    /// What status says about keys a sender withheld in the last day.
    static func withheldNote(_ id: UserID, store: AppDatabase) -> String? {
        guard let w = try? store.latestWithheld(of: id, since: Date().timeIntervalSince1970 - 86_400) else { return nil }
        return WithheldReason.text(code: w.code, sender: w.sender)
    }
}
