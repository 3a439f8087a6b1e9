import GRDB
import HeraldCore

/// Herald's SQLite database: accounts, sync cursors, the notified-event ledger, room titles and
/// the notification each room shows. Only the daemon opens it.
public struct AppDatabase: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating when needed) the database file, with owner-only permissions.
    ///
    /// One connection, in WAL mode, for reads and writes alike. Every access is short, so
    /// parallel readers would save no waiting; and a reader's page cache is emptied by each
    /// commit of another connection, so with a pool every /sync answer read its pages again,
    /// a dozen per message, and each reader connection kept a cache of its own.
    ///
    /// GRDB's WAL setup sets `synchronous = NORMAL`: a commit is not flushed to the disk, only
    /// the checkpoints are. A commit survives heraldd crashing or being killed; a power cut or
    /// a crash of the system itself may take back the last answers' commits, whole and in order.
    /// Their cursor goes back with them, so those answers are fetched again and their messages
    /// shown again, never lost.
    public static func open(path: String) throws -> AppDatabase {
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // 256 KiB of pages: what one answer touches, many times over. SQLite's default (2 MB)
            // grew heraldd's heap with the database, about 0.9 MB per 1,000 stored group sessions.
            try db.execute(sql: "PRAGMA cache_size = -256")
        }
        return try AppDatabase(DatabaseQueue(path: path, configuration: config))
    }

    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// A read outside any transaction. Every read Herald makes is one statement, atomic by itself,
    /// or statements that need not agree with each other (a count per table, a room at a time): a
    /// transaction would only add BEGIN and COMMIT, parsed and run again for every read, several
    /// times per /sync answer.
    func query<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.unsafeRead(body)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "account") { t in
                t.primaryKey("userID", .text)
                t.column("homeserver", .text).notNull()
                t.column("deviceID", .text).notNull()
                // Tokens are stored sealed (AES-GCM, HeraldSecrets); the key is never in this file.
                t.column("accessToken", .blob).notNull()
                t.column("refreshToken", .blob)
                t.column("tokenExpiresAt", .double)
                t.column("filterID", .text)
                t.column("since", .text)
                t.column("notificationsEnabled", .boolean).notNull().defaults(to: true)
                t.column("state", .text).notNull().defaults(to: "starting")
                t.column("stateSince", .double).notNull()
                t.column("stateReason", .text)
                t.column("createdAt", .double).notNull()
                t.column("preview", .text).notNull().defaults(to: "unlocked")
                // The single discreet notification shown while the account is locked.
                t.column("discreetNotificationID", .integer).notNull().defaults(to: 0)
                t.column("pinSalt", .blob)
                t.column("pinHash", .blob)
                t.column("pinFailures", .integer).notNull().defaults(to: 0)
                t.column("pinLockedUntil", .double)
                t.column("pinLastWrong", .blob)
                t.column("pinLastWrongAt", .double)
            }
            // Server-side logouts that could not reach the homeserver, retried later. The row
            // holds only what the retry needs; everything else of the account is gone.
            try db.create(table: "pendingLogout") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("userID", .text).notNull()
                t.column("homeserver", .text).notNull()
                t.column("accessToken", .blob).notNull()
                t.column("createdAt", .double).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
            }
            try db.create(table: "room") { t in
                t.column("userID", .text).notNull().references("account", onDelete: .cascade)
                t.column("roomID", .text).notNull()
                t.column("name", .text)
                t.column("joinedMembers", .integer).notNull().defaults(to: 0)
                t.column("isDirect", .boolean).notNull().defaults(to: false)
                t.column("powerLevels", .text)  // JSON of RoomPowerLevels
                t.column("creators", .text)  // JSON array
                t.column("roomVersion", .text).notNull().defaults(to: "1")
                t.column("notificationID", .integer).notNull().defaults(to: 0)
                t.column("notificationCount", .integer).notNull().defaults(to: 0)
                // The latest event the room's notification shows, for "Mark as read".
                t.column("lastEventID", .text)
                // Muted from a notification's action until this time (seconds since 1970).
                t.column("mutedUntil", .double)
                t.primaryKey(["userID", "roomID"])
            }
            try db.create(table: "member") { t in
                t.column("userID", .text).notNull().references("account", onDelete: .cascade)
                t.column("roomID", .text).notNull()
                t.column("memberID", .text).notNull()
                t.column("displayName", .text).notNull()
                t.primaryKey(["userID", "roomID", "memberID"])
            }
            // One row per event Herald decided to notify. `shown` is set once Notify returned;
            // rows left unshown by a crash are shown (as a count) at the next start.
            try db.create(table: "ledger") { t in
                t.column("userID", .text).notNull().references("account", onDelete: .cascade)
                t.column("eventID", .text).notNull()
                t.column("roomID", .text).notNull()
                t.column("recordedAt", .double).notNull()
                t.column("shown", .boolean).notNull().defaults(to: false)
                t.primaryKey(["userID", "eventID"])
            }
            try db.create(index: "ledger_by_time", on: "ledger", columns: ["userID", "recordedAt"])
            try db.create(table: "setting") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        }
        m.registerMigration("v2: a mention stays urgent until the room's notification goes") { db in
            try db.alter(table: "room") { t in
                t.add(column: "notificationHighlight", .boolean).notNull().defaults(to: false)
            }
            // Every path that ends a room's notification sets its count to 0; the mention ends with it.
            try db.execute(sql: """
                CREATE TRIGGER room_highlight_ends AFTER UPDATE OF notificationCount ON room
                WHEN NEW.notificationCount = 0 AND NEW.notificationHighlight
                BEGIN
                    UPDATE room SET notificationHighlight = 0 WHERE userID = NEW.userID AND roomID = NEW.roomID;
                END
                """)
        }
        m.registerMigration("v3: the server's unread count of each room, to count only its growth") { db in
            try db.alter(table: "room") { t in
                t.add(column: "serverUnread", .integer).notNull().defaults(to: 0)
            }
        }
        m.registerMigration("v4: end-to-end encryption state, sealed") { db in
            try createCryptoTables(db)
        }
        m.registerMigration("v5: device verification: the key backup's sealed key, the unverified notice") { db in
            try createVerificationTable(db)
        }
        return m
    }
}
