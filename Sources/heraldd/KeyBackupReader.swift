import Foundation
import HeraldCore
import HeraldCrypto
import HeraldMatrix
import HeraldStore
import Logging

/// Reading room keys from the account's key backup (read-only, E2EE notes §8): for the
/// encrypted events of an answer whose session Herald does not have, the backup is asked for it
/// (`GET /room_keys/keys/{roomId}/{sessionId}?version=V`) before the events are decrypted.
/// Only with a key kept by `heraldctl account verify`; the backup is never written.
enum KeyBackupReader {
    /// What the sealed key is sealed for.
    static let purpose = "key-backup"
    /// Sessions asked for per answer: a flood of undecryptable events costs a bounded number of requests.
    static let maxLookups = 20

    struct Missing: Hashable {
        let roomID: String
        let sessionID: String
        let sender: String
    }

    /// The Megolm sessions of this answer's timelines, each once.
    static func missing(_ sync: JSONValue) -> [Missing] {
        var out: [Missing] = []
        var seen: Set<String> = []
        for (roomID, room) in sync["rooms"]?["join"]?.object ?? [:] {
            for event in room["timeline"]?["events"]?.array ?? [] {
                guard let f = DeviceCryptoEvents.megolmFields(event),
                      seen.insert(roomID + "\u{0}" + f.sessionID).inserted else { continue }
                out.append(Missing(roomID: roomID, sessionID: f.sessionID, sender: f.sender))
            }
        }
        return out
    }

    /// The kept key, checked against the server's current backup (asked again only when `check`
    /// has no recent answer for the kept version); nil when none is kept or the server has none.
    /// A key that no longer opens the current backup is dropped.
    static func key(of id: UserID, store: AppDatabase, sealer: Sealer, client: MatrixClient, logger: Logger,
                    check: inout KeyBackupCheck, now: Double) async throws -> KeyBackupKey? {
        guard let kept = try store.keyBackup(of: id) else {
            check.forget()
            return nil
        }
        let recent = check.current(keptVersion: kept.version, now: now)
        var answer: JSONValue?
        if recent == nil {
            guard let fresh = try await client.keyBackupVersion() else { return nil }
            answer = fresh
        }
        var raw = try sealer.open(bytes: kept.sealedKey, for: id, purpose: purpose)
        defer { Wipe.bytes(&raw) }
        do {
            let current = try answer.map { try KeyBackupVersion($0) } ?? recent
            guard let current, current.version == kept.version else { throw CryptoError.payloadMismatch("backup version") }
            let key = try KeyBackupKey(sealedBytes: raw, for: current)
            // Only a fresh answer starts the wait for the next one.
            if answer != nil { check.checked(current, now: now) }
            return key
        } catch {
            check.forget()
            logger.notice("the key backup was replaced: its kept key is dropped (verify again to read the new one): \(error)")
            try store.dropKeyBackup(id)
            return nil
        }
    }

    /// The room keys of `missing` found in the backup, decrypted. Transient failures end the
    /// lookups of this answer; the events then wait for their key as usual.
    static func lookUp(_ missing: [Missing], key: KeyBackupKey, client: MatrixClient, logger: Logger) async -> [(Missing, BackedUpRoomKey)] {
        var found: [(Missing, BackedUpRoomKey)] = []
        for m in missing.prefix(maxLookups) {
            do {
                guard let data = try await client.backedUpRoomKey(roomID: m.roomID, sessionID: m.sessionID, version: key.version) else { continue }
                let roomKey = try key.roomKey(data)
                guard roomKey.session.sessionID == m.sessionID else { throw CryptoError.payloadMismatch("backed-up session ID") }
                found.append((m, roomKey))
            } catch let e as MatrixError where e.isTransient {
                logger.info("key backup not reachable: \(e)")
                break
            } catch {
                logger.warning("backed-up room key refused: \(error)", metadata: ["room": "\(m.roomID)"])
            }
        }
        return found
    }
}
