import Foundation
import GRDB
import HeraldCore

/// End-to-end encryption state of the accounts: the Olm account, inbound Olm sessions, inbound
/// Megolm sessions, encrypted events waiting for their key, and withheld keys. Every pickle is
/// stored sealed (AES-GCM with the token key, HeraldSecrets); this file never sees a key.
/// Each table references `account`, so deleting an account deletes all of it, and a trigger
/// deletes it when the account becomes a signed-out tombstone.
extension AppDatabase {
    /// Bounds on what a server or sender can make Herald store.
    public enum CryptoLimits {
        /// Inbound group sessions kept per account, oldest dropped first.
        public static let groupSessionsPerAccount = 10_000
        /// Olm sessions kept per account, whatever their sender key, least recently used dropped
        /// first: a sender can make new identity keys at will and reuse the fallback key.
        public static let olmSessionsPerAccount = 2_000
        /// Encrypted events remembered for a late key, per account, oldest dropped first.
        public static let awaitingPerAccount = 200
        /// How long an event waits for its key (seconds).
        public static let awaitingSeconds: Double = 15 * 60
        /// Withheld notices kept per account, oldest dropped first.
        public static let withheldPerAccount = 100
    }

    static func createCryptoTables(_ db: Database) throws {
        try db.create(table: "olmAccount") { t in
            t.primaryKey("userID", .text).references("account", onDelete: .cascade)
            t.column("pickle", .blob).notNull()
        }
        try db.create(table: "olmSession") { t in
            t.column("userID", .text).notNull().references("account", onDelete: .cascade)
            t.column("senderKey", .text).notNull()
            t.column("sessionID", .text).notNull()
            t.column("pickle", .blob).notNull()
            // Rank among the sender key's sessions: 0 is the most recently used.
            t.column("rank", .integer).notNull()
            t.primaryKey(["userID", "senderKey", "sessionID"])
        }
        try db.create(table: "groupSession") { t in
            t.column("userID", .text).notNull().references("account", onDelete: .cascade)
            t.column("roomID", .text).notNull()
            t.column("sessionID", .text).notNull()
            t.column("senderKey", .text).notNull()
            // The Matrix user whose device sent the room key: the only sender its events may have.
            t.column("sender", .text).notNull()
            t.column("pickle", .blob).notNull()
            t.column("createdAt", .double).notNull()
            t.primaryKey(["userID", "roomID", "sessionID"])
        }
        try db.create(index: "groupSession_by_age", on: "groupSession", columns: ["userID", "createdAt"])
        try db.create(table: "awaitingKey") { t in
            t.column("userID", .text).notNull().references("account", onDelete: .cascade)
            t.column("eventID", .text).notNull()
            t.column("roomID", .text).notNull()
            t.column("sessionID", .text).notNull()
            t.column("receivedAt", .double).notNull()
            t.primaryKey(["userID", "eventID"])
        }
        try db.create(table: "keyWithheld") { t in
            t.column("userID", .text).notNull().references("account", onDelete: .cascade)
            t.column("roomID", .text).notNull()
            t.column("sessionID", .text).notNull()
            t.column("code", .text).notNull()
            t.column("sender", .text).notNull()
            t.column("receivedAt", .double).notNull()
            t.primaryKey(["userID", "roomID", "sessionID"])
        }
        try db.execute(sql: """
            CREATE TRIGGER crypto_ends_with_sign_out AFTER UPDATE OF state ON account
            WHEN NEW.state = 'signed_out'
            BEGIN
                DELETE FROM olmAccount WHERE userID = NEW.userID;
                DELETE FROM olmSession WHERE userID = NEW.userID;
                DELETE FROM groupSession WHERE userID = NEW.userID;
                DELETE FROM awaitingKey WHERE userID = NEW.userID;
                DELETE FROM keyWithheld WHERE userID = NEW.userID;
            END
            """)
    }
}

/// A sealed inbound Megolm session as stored.
public struct StoredGroupSession: Sendable, Equatable {
    public var roomID: String
    public var sessionID: String
    public var senderKey: String
    public var sender: String
    public var sealed: [UInt8]

    public init(roomID: String, sessionID: String, senderKey: String, sender: String, sealed: [UInt8]) {
        self.roomID = roomID
        self.sessionID = sessionID
        self.senderKey = senderKey
        self.sender = sender
        self.sealed = sealed
    }
}

/// An encrypted event whose room key has not arrived.
public struct AwaitingEvent: Sendable, Equatable {
    public var eventID: String
    public var roomID: String
    public var sessionID: String

    public init(eventID: String, roomID: String, sessionID: String) {
        self.eventID = eventID
        self.roomID = roomID
        self.sessionID = sessionID
    }
}

/// A sender's notice that it will not share a room key (`m.room_key.withheld`).
public struct WithheldKey: Sendable, Equatable {
    public var roomID: String
    public var sessionID: String
    public var code: String
    public var sender: String

    public init(roomID: String, sessionID: String, code: String, sender: String) {
        self.roomID = roomID
        self.sessionID = sessionID
        self.code = code
        self.sender = sender
    }
}

/// What one /sync answer changed in the encryption state, written with its cursor (SyncCommit):
/// a used one-time key and the session it made are stored together or not at all.
public struct CryptoCommit: Sendable {
    /// The sealed Olm account, when it changed.
    public var account: [UInt8]?
    /// Per sender key, the sealed sessions most recently used first; they replace the stored ones.
    public var olmSessions: [String: [(sessionID: String, sealed: [UInt8])]]
    public var groupSessions: [StoredGroupSession]
    public var awaiting: [AwaitingEvent]
    /// Events that decrypted at last: no longer waiting.
    public var resolved: [String]
    public var withheld: [WithheldKey]

    public init(account: [UInt8]? = nil, olmSessions: [String: [(sessionID: String, sealed: [UInt8])]] = [:],
                groupSessions: [StoredGroupSession] = [], awaiting: [AwaitingEvent] = [], resolved: [String] = [],
                withheld: [WithheldKey] = []) {
        self.account = account
        self.olmSessions = olmSessions
        self.groupSessions = groupSessions
        self.awaiting = awaiting
        self.resolved = resolved
        self.withheld = withheld
    }

    public var isEmpty: Bool {
        account == nil && olmSessions.isEmpty && groupSessions.isEmpty && awaiting.isEmpty && resolved.isEmpty && withheld.isEmpty
    }

    /// Writes it inside the caller's transaction.
    func write(_ db: Database, userID uid: String, now: Double) throws {
        if let account {
            try db.cachedStatement(sql: """
                INSERT INTO olmAccount (userID, pickle) VALUES (?, ?) ON CONFLICT(userID) DO UPDATE SET pickle = excluded.pickle
                """).execute(arguments: [uid, Data(account)])
        }
        for (senderKey, sessions) in olmSessions {
            try db.cachedStatement(sql: "DELETE FROM olmSession WHERE userID = ? AND senderKey = ?")
                .execute(arguments: [uid, senderKey])
            for (rank, s) in sessions.enumerated() {
                try db.cachedStatement(sql: """
                    INSERT INTO olmSession (userID, senderKey, sessionID, pickle, rank) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET pickle = excluded.pickle, rank = excluded.rank
                    """).execute(arguments: [uid, senderKey, s.sessionID, Data(s.sealed), rank])
            }
        }
        if !olmSessions.isEmpty {
            // A sender key's rows are written anew when used, so the highest rowids are the most recent.
            try Self.keepNewest("olmSession", AppDatabase.CryptoLimits.olmSessionsPerAccount, order: "rowid", db, uid)
        }
        // Each decrypted message updates its session's row; only a new row can take the account
        // over its cap, and the sweep that enforces it reads all of the account's sessions.
        var added = false
        for g in groupSessions {
            try db.cachedStatement(sql: """
                UPDATE groupSession SET senderKey = ?, sender = ?, pickle = ? WHERE userID = ? AND roomID = ? AND sessionID = ?
                """).execute(arguments: [g.senderKey, g.sender, Data(g.sealed), uid, g.roomID, g.sessionID])
            if db.changesCount == 0 {
                try db.cachedStatement(sql: """
                    INSERT INTO groupSession (userID, roomID, sessionID, senderKey, sender, pickle, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [uid, g.roomID, g.sessionID, g.senderKey, g.sender, Data(g.sealed), now])
                added = true
            }
        }
        if added {
            try Self.keepNewest("groupSession", AppDatabase.CryptoLimits.groupSessionsPerAccount, order: "createdAt", db, uid)
        }
        for e in resolved {
            try db.cachedStatement(sql: "DELETE FROM awaitingKey WHERE userID = ? AND eventID = ?").execute(arguments: [uid, e])
        }
        for a in awaiting {
            try db.cachedStatement(sql: """
                INSERT INTO awaitingKey (userID, eventID, roomID, sessionID, receivedAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """).execute(arguments: [uid, a.eventID, a.roomID, a.sessionID, now])
        }
        if !awaiting.isEmpty {
            try db.cachedStatement(sql: "DELETE FROM awaitingKey WHERE userID = ? AND receivedAt < ?")
                .execute(arguments: [uid, now - AppDatabase.CryptoLimits.awaitingSeconds])
            try Self.keepNewest("awaitingKey", AppDatabase.CryptoLimits.awaitingPerAccount, order: "receivedAt", db, uid)
        }
        for w in withheld {
            try db.cachedStatement(sql: """
                INSERT INTO keyWithheld (userID, roomID, sessionID, code, sender, receivedAt) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT DO UPDATE SET code = excluded.code, sender = excluded.sender, receivedAt = excluded.receivedAt
                """).execute(arguments: [uid, w.roomID, w.sessionID, w.code, w.sender, now])
        }
        if !withheld.isEmpty {
            try Self.keepNewest("keyWithheld", AppDatabase.CryptoLimits.withheldPerAccount, order: "receivedAt", db, uid)
        }
    }

    /// Deletes the account's oldest rows over `limit`. It counts rather than sorts: at the
    /// group-session cap of 10,000 rows a sort of all of them took 6 ms, the count 0.4 ms.
    private static func keepNewest(_ table: String, _ limit: Int, order: String, _ db: Database, _ uid: String) throws {
        try db.cachedStatement(sql: """
            DELETE FROM \(table) WHERE rowid IN
                (SELECT rowid FROM \(table) WHERE userID = ? ORDER BY \(order), rowid
                 LIMIT max(0, (SELECT count(*) FROM \(table) WHERE userID = ?) - ?))
            """).execute(arguments: [uid, uid, limit])
    }
}

extension AppDatabase {
    /// Writes encryption state outside a sync answer (a new account, keys marked published).
    public func commitCrypto(_ c: CryptoCommit, for id: UserID, now: Double) throws {
        try writer.write { db in try c.write(db, userID: id.rawValue, now: now) }
    }

    public func olmAccount(of id: UserID) throws -> [UInt8]? {
        try query { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT pickle FROM olmAccount WHERE userID = ?"),
                arguments: [id.rawValue]).map { [UInt8]($0) }
        }
    }

    /// The sealed sessions held for a sender key, most recently used first.
    public func olmSessions(of id: UserID, senderKey: String) throws -> [[UInt8]] {
        try query { db in
            try Data.fetchAll(db.cachedStatement(sql: "SELECT pickle FROM olmSession WHERE userID = ? AND senderKey = ? ORDER BY rank"),
                              arguments: [id.rawValue, senderKey]).map { [UInt8]($0) }
        }
    }

    public func groupSession(of id: UserID, roomID: String, sessionID: String) throws -> StoredGroupSession? {
        try query { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT senderKey, sender, pickle FROM groupSession WHERE userID = ? AND roomID = ? AND sessionID = ?
                """), arguments: [id.rawValue, roomID, sessionID]) else { return nil }
            let pickle: Data = row["pickle"]
            return StoredGroupSession(roomID: roomID, sessionID: sessionID, senderKey: row["senderKey"], sender: row["sender"],
                                      sealed: [UInt8](pickle))
        }
    }

    /// Events of this session still waiting for its key, received after `since`.
    public func awaitingEvents(of id: UserID, roomID: String, sessionID: String, since: Double) throws -> [AwaitingEvent] {
        try query { db in
            try String.fetchAll(db.cachedStatement(sql: """
                SELECT eventID FROM awaitingKey WHERE userID = ? AND roomID = ? AND sessionID = ? AND receivedAt >= ?
                ORDER BY receivedAt, rowid
                """), arguments: [id.rawValue, roomID, sessionID, since]).map {
                AwaitingEvent(eventID: $0, roomID: roomID, sessionID: sessionID)
            }
        }
    }

    /// The newest withheld-key notice of the account received after `since`, if any.
    public func latestWithheld(of id: UserID, since: Double = 0) throws -> WithheldKey? {
        try query { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT roomID, sessionID, code, sender FROM keyWithheld WHERE userID = ? AND receivedAt >= ?
                ORDER BY receivedAt DESC, rowid DESC LIMIT 1
                """), arguments: [id.rawValue, since]) else { return nil }
            return WithheldKey(roomID: row["roomID"], sessionID: row["sessionID"], code: row["code"], sender: row["sender"])
        }
    }

    /// Rows of encryption state the account has, all tables together (for tests and `doctor`).
    public func cryptoRowCount(of id: UserID) throws -> Int {
        try query { db in
            var n = 0
            for table in ["olmAccount", "olmSession", "groupSession", "awaitingKey", "keyWithheld"] {
                n += try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM \(table) WHERE userID = ?"),
                    arguments: [id.rawValue]) ?? 0
            }
            return n
        }
    }
}
