import Foundation
import GRDB
import HeraldCore

extension AppDatabase {
    public func insertAccount(_ a: StoredAccount, now: Double) throws {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO account (userID, homeserver, deviceID, accessToken, filterID, since, notificationsEnabled,
                                     state, stateSince, stateReason, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [a.userID.rawValue, a.homeserver, a.deviceID, Data(a.accessToken.utf8), a.filterID, a.since,
                                 a.notificationsEnabled, a.state, a.stateSince, a.stateReason, now])
        }
    }

    public func accounts() throws -> [StoredAccount] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY userID").compactMap(Self.account(from:))
        }
    }

    public func account(_ id: UserID) throws -> StoredAccount? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE userID = ?", arguments: [id.rawValue]).flatMap(Self.account(from:))
        }
    }

    static func account(from row: Row) -> StoredAccount? {
        guard let id = UserID(row["userID"]) else { return nil }
        let token: Data = row["accessToken"]
        return StoredAccount(userID: id, homeserver: row["homeserver"], deviceID: row["deviceID"],
                             accessToken: String(decoding: token, as: UTF8.self),
                             filterID: row["filterID"], since: row["since"], notificationsEnabled: row["notificationsEnabled"],
                             state: row["state"], stateSince: row["stateSince"], stateReason: row["stateReason"])
    }

    /// Removes the account and, by cascade, its rooms, members and ledger.
    public func deleteAccount(_ id: UserID) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM account WHERE userID = ?", arguments: [id.rawValue])
        }
        // Freed pages are zeroed (secure_delete); checkpoint so the WAL keeps no copy either.
        _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    public func setFilterID(_ filterID: String, for id: UserID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE account SET filterID = ? WHERE userID = ?", arguments: [filterID, id.rawValue])
        }
    }

    public func setState(_ state: String, reason: String?, since: Double, for id: UserID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE account SET state = ?, stateReason = ?, stateSince = ? WHERE userID = ?",
                           arguments: [state, reason, since, id.rawValue])
        }
    }

    public func setNotifications(_ enabled: Bool, for id: UserID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE account SET notificationsEnabled = ? WHERE userID = ?", arguments: [enabled, id.rawValue])
        }
    }

    public func setting(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }
}
