import Foundation
import GRDB
import HeraldCore

/// What device verification leaves behind for an account: the key backup Herald may read (its
/// version and its private key, sealed with the token key like the tokens), and when the user was
/// last told that the device is unverified. Deleted with the account, and at sign-out.
extension AppDatabase {
    static func createVerificationTable(_ db: Database) throws {
        try db.create(table: "deviceVerification") { t in
            t.primaryKey("userID", .text).references("account", onDelete: .cascade)
            t.column("backupVersion", .text)
            t.column("backupKey", .blob)
            t.column("unverifiedNoticeAt", .double)
        }
        try db.execute(sql: """
            CREATE TRIGGER verification_ends_with_sign_out AFTER UPDATE OF state ON account
            WHEN NEW.state = 'signed_out'
            BEGIN
                DELETE FROM deviceVerification WHERE userID = NEW.userID;
            END
            """)
    }

    /// The key backup Herald reads for the account: its version and the sealed private key.
    public func keyBackup(of id: UserID) throws -> (version: String, sealedKey: [UInt8])? {
        try query { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT backupVersion, backupKey FROM deviceVerification WHERE userID = ? AND backupKey IS NOT NULL
                """, arguments: [id.rawValue]),
                  let version: String = row["backupVersion"], let key: Data = row["backupKey"] else { return nil }
            return (version, [UInt8](key))
        }
    }

    public func setKeyBackup(_ id: UserID, version: String, sealedKey: [UInt8]) throws {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO deviceVerification (userID, backupVersion, backupKey) VALUES (?, ?, ?)
                ON CONFLICT(userID) DO UPDATE SET backupVersion = excluded.backupVersion, backupKey = excluded.backupKey
                """, arguments: [id.rawValue, version, Data(sealedKey)])
        }
    }

    /// Forgets the backup key (the device is no longer verified, or the backup changed). True when there was one.
    @discardableResult
    public func dropKeyBackup(_ id: UserID) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE deviceVerification SET backupVersion = NULL, backupKey = NULL WHERE userID = ? AND backupKey IS NOT NULL
                """, arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    /// The sessions that events received after `since` still wait for, newest first, each with
    /// one of its events: what the key backup may hold by now.
    public func awaitedSessions(of id: UserID, since: Double, limit: Int) throws -> [AwaitingEvent] {
        try query { db in
            try Row.fetchAll(db, sql: """
                SELECT roomID, sessionID, MAX(eventID) AS eventID FROM awaitingKey WHERE userID = ? AND receivedAt >= ?
                GROUP BY roomID, sessionID ORDER BY MAX(receivedAt) DESC LIMIT ?
                """, arguments: [id.rawValue, since, limit]).map {
                AwaitingEvent(eventID: $0["eventID"], roomID: $0["roomID"], sessionID: $0["sessionID"])
            }
        }
    }

    /// Records a notice that the device is unverified, unless one was recorded after `since`:
    /// true when the caller should show it (at most one per period).
    public func claimUnverifiedNotice(_ id: UserID, now: Double, since: Double) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO deviceVerification (userID) VALUES (?)", arguments: [id.rawValue])
            try db.execute(sql: """
                UPDATE deviceVerification SET unverifiedNoticeAt = ?
                WHERE userID = ? AND (unverifiedNoticeAt IS NULL OR unverifiedNoticeAt < ?)
                """, arguments: [now, id.rawValue, since])
            return db.changesCount > 0
        }
    }
}
