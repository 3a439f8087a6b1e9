import Foundation
import HeraldCore
import HeraldCrypto
import HeraldMatrix
import HeraldStore
import Logging

/// The decryption of one /sync answer: sessions are taken from the account's cache or read from
/// the store as needed and changed here, and `commit()` gathers what changed. Failures are
/// logged with their reason (a `CryptoError` names the rule, never a key) and leave the event as
/// it came.
struct DecryptionPass {
    typealias GroupKey = GroupSessionCache.Key

    let me: UserID
    let store: AppDatabase
    let sealer: Sealer
    let logger: Logger
    let now: Double
    private(set) var account: OlmAccount
    private var olmSessions: [String: [OlmSession]] = [:]
    /// The sessions as the store holds them, most recently used kept (AccountCrypto's).
    private(set) var cache: GroupSessionCache
    /// Whether events may wait for a key, as the account knows it (AccountCrypto's).
    var awaited: AwaitedKeys
    /// The key backup as last checked (AccountCrypto's).
    var backupCheck: KeyBackupCheck
    private var groups: [GroupKey: GroupSessionRecord] = [:]
    private var changedGroups: Set<GroupKey> = []
    /// Sessions that got a key (new or better) in this answer, for the events waiting for it.
    private var keyed: [GroupKey] = []
    private var awaiting: [AwaitingEvent] = []
    private var resolved: [String] = []
    private var withheld: [WithheldKey] = []

    init(crypto: AccountCrypto, now: Double) {
        me = crypto.me
        store = crypto.store
        sealer = crypto.sealer
        logger = crypto.logger
        self.now = now
        account = crypto.account
        cache = crypto.groupCache
        awaited = crypto.awaited
        backupCheck = crypto.backupCheck
    }

    // MARK: to-device

    mutating func toDevice(_ event: JSONValue, client: MatrixClient, deviceKeys: inout [String: String]) async throws {
        if let w = DeviceCryptoEvents.withheld(event) {
            withheld.append(WithheldKey(roomID: w.roomID, sessionID: w.sessionID, code: w.code, sender: w.sender))
            logger.notice("room key withheld by its sender", metadata: ["sender": "\(w.sender)", "code": "\(w.code)"])
            return
        }
        if DeviceCryptoEvents.isCleartextRoomKey(event) {
            logger.warning("refused a room key sent without encryption", metadata: ["sender": "\(event["sender"]?.string ?? "?")"])
            return
        }
        guard let envelope = DeviceCryptoEvents.olmEnvelope(event, ownCurve25519: account.curve25519Key) else { return }
        let meta: Logger.Metadata = ["sender": "\(envelope.sender)"]
        let decrypted: OlmReceiver.Decrypted
        let payload: JSONValue
        do {
            let sessions = try olmSessions[envelope.senderKey] ?? loadOlmSessions(envelope.senderKey)
            decrypted = try OlmReceiver.decrypt(type: envelope.type, body: envelope.body, senderKey: envelope.senderKey,
                                                account: account, sessions: sessions, now: UInt64(now))
            guard let json = try? JSONValue.decode(decrypted.plaintext) else { throw CryptoError.malformed("Olm plaintext (not JSON)") }
            payload = json
        } catch {
            logger.warning("to-device message not decrypted: \(error)", metadata: meta)
            return
        }
        // The message is consumed either way: the session moved on, a one-time key was used.
        account = decrypted.account
        olmSessions[envelope.senderKey] = decrypted.sessions
        let known = payload["sender_device_keys"] == nil
            ? try await senderEd25519(envelope, deviceKeys: &deviceKeys, client: client) : nil
        do {
            try OlmPayloadCheck.check(payload, .init(sender: envelope.sender, recipient: me.rawValue,
                                                     recipientEd25519: account.ed25519Key, senderEd25519: known,
                                                     senderCurve25519: envelope.senderKey))
        } catch {
            logger.warning("to-device message refused: \(error)", metadata: meta)
            return
        }
        guard let key = DeviceCryptoEvents.roomKey(payload) else { return }
        guard !key.forwarded else {
            // Only the user's own verified devices may forward keys, and Herald cannot verify them yet.
            logger.notice("forwarded room key ignored: Herald does not verify its own devices yet", metadata: meta)
            return
        }
        addRoomKey(key, sender: envelope.sender, senderKey: envelope.senderKey)
    }

    private func loadOlmSessions(_ senderKey: String) throws -> [OlmSession] {
        try store.olmSessions(of: me, senderKey: senderKey).map {
            try OlmSession(pickle: sealer.open(bytes: $0, for: me, purpose: "olm-session"))
        }
    }

    /// The sending device's Ed25519 key, from `/keys/query`, when the device's self-signed keys
    /// list this Curve25519 key. nil when the device is not found; a transient failure throws.
    private func senderEd25519(_ envelope: DeviceCryptoEvents.OlmEnvelope, deviceKeys: inout [String: String],
                               client: MatrixClient) async throws -> String? {
        if let known = deviceKeys[envelope.senderKey] { return known }
        let devices: [String: JSONValue]
        do {
            devices = try await client.queryDevices(of: envelope.sender)
        } catch let e as MatrixError where e.isTransient {
            throw e
        } catch {
            logger.warning("device keys of the sender not available: \(error)", metadata: ["sender": "\(envelope.sender)"])
            return nil
        }
        if deviceKeys.count > 1000 { deviceKeys = [:] }
        deviceKeys.merge(DeviceKeyList.ed25519ByCurve25519(devices, user: envelope.sender)) { _, new in new }
        return deviceKeys[envelope.senderKey]
    }

    private mutating func addRoomKey(_ key: DeviceCryptoEvents.RoomKey, sender: String, senderKey: String) {
        let meta: Logger.Metadata = ["sender": "\(sender)", "room": "\(key.roomID)"]
        let fresh: MegolmInboundSession
        do {
            fresh = try MegolmInboundSession(sessionKey: key.sessionKey)
        } catch {
            logger.warning("room key refused: \(error)", metadata: meta)
            return
        }
        guard fresh.sessionID == key.sessionID else {
            logger.warning("room key refused: its session_id is not the key's", metadata: meta)
            return
        }
        let k = GroupKey(roomID: key.roomID, sessionID: key.sessionID)
        var record = GroupSessionRecord(session: fresh, replayGuard: MegolmReplayGuard(), sender: sender, senderKey: senderKey)
        if let existing = group(k) {
            guard existing.sender == sender, existing.senderKey == senderKey else {
                logger.warning("room key refused: the session belongs to another device", metadata: meta)
                return
            }
            guard let merged = fresh.merged(with: existing.session) else {
                logger.warning("room key refused: it does not continue the known session", metadata: meta)
                return
            }
            guard merged.firstKnownIndex < existing.session.firstKnownIndex
                    || merged.isAuthenticated != existing.session.isAuthenticated else { return }
            record = existing
            record.session = merged
        }
        groups[k] = record
        changedGroups.insert(k)
        keyed.append(k)
    }

    /// A room key read from the key backup (KeyBackupReader), for a session Herald lacks.
    /// Nothing authenticates it: it is kept like a forwarded key, and the event's sender owns it.
    mutating func addBackedUpKey(_ key: BackedUpRoomKey, roomID: String, sender: String) {
        let k = GroupKey(roomID: roomID, sessionID: key.session.sessionID)
        guard group(k) == nil else { return }
        groups[k] = GroupSessionRecord(session: key.session, replayGuard: MegolmReplayGuard(), sender: sender, senderKey: key.senderKey)
        changedGroups.insert(k)
        keyed.append(k)
        logger.info("room key read from the key backup", metadata: ["room": "\(roomID)", "sender": "\(sender)"])
    }

    mutating func hasSession(roomID: String, sessionID: String) -> Bool {
        group(GroupKey(roomID: roomID, sessionID: sessionID)) != nil
    }

    // MARK: room events

    /// The event as the push rules should see it: decrypted when possible, else as it came.
    mutating func roomEvent(_ event: JSONValue, roomID: String) -> JSONValue {
        guard let fields = DeviceCryptoEvents.megolmFields(event) else { return event }
        do {
            return try decrypt(fields, event, roomID: roomID)
        } catch CryptoError.unknownSession {
            awaiting.append(AwaitingEvent(eventID: fields.eventID, roomID: roomID, sessionID: fields.sessionID))
            logger.info("encrypted message waits for its key", metadata: ["room": "\(roomID)", "sender": "\(fields.sender)"])
        } catch {
            logger.warning("encrypted message not decrypted: \(error)", metadata: ["room": "\(roomID)", "sender": "\(fields.sender)"])
        }
        return event
    }

    private mutating func decrypt(_ f: DeviceCryptoEvents.MegolmFields, _ outer: JSONValue, roomID: String) throws -> JSONValue {
        let k = GroupKey(roomID: roomID, sessionID: f.sessionID)
        guard let record = group(k) else { throw CryptoError.unknownSession }
        let (event, next) = try Self.open(f, outer, roomID: roomID, with: record)
        groups[k] = next
        changedGroups.insert(k)
        return event
    }

    /// The decrypted event and the session record with the message's index recorded. Checks, in
    /// order: the sender owns the session, the Megolm message, the replay guard, the `room_id`.
    static func open(_ f: DeviceCryptoEvents.MegolmFields, _ outer: JSONValue, roomID: String,
                     with stored: GroupSessionRecord) throws -> (JSONValue, GroupSessionRecord) {
        var record = stored
        guard record.sender == f.sender else { throw CryptoError.payloadMismatch("sender (not the owner of the session)") }
        let message = try record.session.decrypt(f.ciphertext)
        try record.replayGuard.record(index: message.messageIndex, eventID: f.eventID)
        guard let plaintext = try? JSONValue.decode(message.plaintext) else { throw CryptoError.malformed("Megolm plaintext (not JSON)") }
        return (try DeviceCryptoEvents.decryptedEvent(outer: outer, plaintext: plaintext, roomID: roomID), record)
    }

    /// An event fetched on its own (an unlock preview), decrypted with the stored session when
    /// there is one; nothing is written. As it came when it cannot be read.
    static func readable(_ event: JSONValue, roomID: String, me: UserID, store: AppDatabase, sealer: Sealer) -> JSONValue {
        guard let f = DeviceCryptoEvents.megolmFields(event),
              let stored = try? store.groupSession(of: me, roomID: roomID, sessionID: f.sessionID),
              let bytes = try? sealer.open(bytes: stored.sealed, for: me, purpose: megolmPurpose(roomID)),
              let record = try? GroupSessionRecord(bytes: bytes, sender: stored.sender, senderKey: stored.senderKey),
              let (decrypted, _) = try? open(f, event, roomID: roomID, with: record)
        else { return event }
        return decrypted
    }

    private mutating func group(_ k: GroupKey) -> GroupSessionRecord? {
        if let inPass = groups[k] { return inPass }
        if let cached = cache.get(k) {
            groups[k] = cached
            return cached
        }
        do {
            guard let stored = try store.groupSession(of: me, roomID: k.roomID, sessionID: k.sessionID) else { return nil }
            let record = try GroupSessionRecord(
                bytes: sealer.open(bytes: stored.sealed, for: me, purpose: Self.megolmPurpose(k.roomID)),
                sender: stored.sender, senderKey: stored.senderKey)
            groups[k] = record
            return record
        } catch {
            logger.warning("stored room key not readable: \(error)", metadata: ["room": "\(k.roomID)"])
            return nil
        }
    }

    /// A sealed group session opens only in its own room's row.
    static func megolmPurpose(_ roomID: String) -> String { "megolm-session \(roomID)" }

    // MARK: late keys

    /// Events that waited for a key that came in this answer: fetched, decrypted, and turned
    /// into changes that put their text into the notification showing "Encrypted message".
    mutating func lateKeys(client: MatrixClient) async -> [MessageChange] {
        var changes: [MessageChange] = []
        var seen: Set<GroupKey> = []
        for k in keyed where seen.insert(k).inserted {
            let since = now - AppDatabase.CryptoLimits.awaitingSeconds
            for waiting in ((try? store.awaitingEvents(of: me, roomID: k.roomID, sessionID: k.sessionID, since: since)) ?? []).prefix(50) {
                resolved.append(waiting.eventID)
                guard let outer = try? await client.event(roomID: k.roomID, eventID: waiting.eventID),
                      let fields = DeviceCryptoEvents.megolmFields(outer), fields.eventID == waiting.eventID else { continue }
                do {
                    let event = try decrypt(fields, outer, roomID: k.roomID)
                    guard let body = event["content"]?["body"]?.string else { continue }
                    let name = (try? store.displayName(of: fields.sender, in: k.roomID, for: me)) ?? nil
                    changes.append(MessageChange(roomID: k.roomID, targetEventID: waiting.eventID,
                                                 newText: String(body.prefix(2000)), senderName: name ?? fields.sender))
                } catch {
                    logger.warning("late-keyed message not decrypted: \(error)", metadata: ["room": "\(k.roomID)"])
                }
            }
        }
        return changes
    }

    // MARK: the write

    func commit() throws -> CryptoCommit {
        var c = CryptoCommit(awaiting: awaiting, resolved: resolved, withheld: withheld)
        for (senderKey, sessions) in olmSessions {
            c.olmSessions[senderKey] = try sessions.map {
                (sessionID: $0.sessionID, sealed: try sealer.seal(bytes: $0.pickle(), for: me, purpose: "olm-session"))
            }
        }
        for k in changedGroups {
            guard let record = groups[k] else { continue }
            c.groupSessions.append(StoredGroupSession(
                roomID: k.roomID, sessionID: k.sessionID, senderKey: record.senderKey, sender: record.sender,
                sealed: try sealer.seal(bytes: record.bytes(), for: me, purpose: Self.megolmPurpose(k.roomID))))
        }
        return c
    }

    /// The cache once `commit()` is written: every session this answer used, as now stored.
    func cacheAfterCommit() -> GroupSessionCache {
        var next = cache
        for (k, record) in groups { next.put(k, record) }
        return next
    }
}
