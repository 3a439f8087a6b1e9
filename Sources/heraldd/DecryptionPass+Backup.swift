import HeraldCore
import HeraldCrypto
import HeraldMatrix
import HeraldStore
import Logging

extension DecryptionPass {
    /// Before the room events of an answer are decrypted: the sessions they need and Herald
    /// lacks are read from the key backup, when a key for it is kept (KeyBackupReader). So are
    /// the sessions of earlier events still waiting for their key (the user's other device may
    /// have backed it up since): found, they go the late-key way and their notification shows
    /// the text. The store is asked for those only while some may wait (`AwaitedKeys`).
    mutating func keysFromBackup(_ sync: JSONValue, client: MatrixClient) async {
        var missing: [KeyBackupReader.Missing] = []
        for m in KeyBackupReader.missing(sync) where !hasSession(roomID: m.roomID, sessionID: m.sessionID) {
            missing.append(m)
        }
        var waiting: [AwaitingEvent] = []
        if awaited.mayWait, let found = try? store.awaitedSessions(of: me, since: now - AppDatabase.CryptoLimits.awaitingSeconds,
                                                                  limit: KeyBackupReader.maxLookups) {
            waiting = found
            awaited.looked(found: found.count)
        }
        var earlier: [String: AwaitingEvent] = [:]
        for w in waiting where !hasSession(roomID: w.roomID, sessionID: w.sessionID)
            && !missing.contains(where: { $0.roomID == w.roomID && $0.sessionID == w.sessionID }) {
            // The sender is read from the event once the backup has its key.
            missing.append(KeyBackupReader.Missing(roomID: w.roomID, sessionID: w.sessionID, sender: ""))
            earlier[w.roomID + "\u{0}" + w.sessionID] = w
        }
        guard !missing.isEmpty else { return }
        let key: KeyBackupKey?
        do {
            key = try await KeyBackupReader.key(of: me, store: store, sealer: sealer, client: client, logger: logger,
                                                check: &backupCheck, now: now)
        } catch {
            logger.info("key backup not read: \(error)")
            return
        }
        guard let key else { return }
        for (m, roomKey) in await KeyBackupReader.lookUp(missing, key: key, client: client, logger: logger) {
            var sender = m.sender
            if let w = earlier[m.roomID + "\u{0}" + m.sessionID] {
                guard let event = try? await client.event(roomID: w.roomID, eventID: w.eventID),
                      let fields = DeviceCryptoEvents.megolmFields(event), fields.sessionID == w.sessionID else { continue }
                sender = fields.sender
            }
            addBackedUpKey(roomKey, roomID: m.roomID, sender: sender)
        }
    }
}
