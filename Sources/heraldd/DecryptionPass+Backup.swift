import HeraldCore
import HeraldCrypto
import HeraldMatrix
import Logging

extension DecryptionPass {
    /// Before the room events of an answer are decrypted: the sessions they need and Herald
    /// lacks are read from the key backup, when a key for it is kept (KeyBackupReader).
    mutating func keysFromBackup(_ sync: JSONValue, client: MatrixClient) async {
        var missing: [KeyBackupReader.Missing] = []
        for m in KeyBackupReader.missing(sync) where !hasSession(roomID: m.roomID, sessionID: m.sessionID) {
            missing.append(m)
        }
        guard !missing.isEmpty else { return }
        let key: KeyBackupKey?
        do {
            key = try await KeyBackupReader.key(of: me, store: store, sealer: sealer, client: client, logger: logger)
        } catch {
            logger.info("key backup not read: \(error)")
            return
        }
        guard let key else { return }
        for (m, roomKey) in await KeyBackupReader.lookUp(missing, key: key, client: client, logger: logger) {
            addBackedUpKey(roomKey, roomID: m.roomID, sender: m.sender)
        }
    }
}
