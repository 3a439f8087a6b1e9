import Foundation
import GRDB
import HeraldCore

extension AppDatabase {
    public func insertAccount(_ a: StoredAccount, now: Double) throws {
        try writer.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO account (userID, homeserver, deviceID, accessToken, refreshToken, tokenExpiresAt, preview,
                                     filterID, since, notificationsEnabled, state, stateSince, stateReason, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
                    .execute(arguments: [a.userID.rawValue, a.homeserver, a.deviceID, Data(a.accessToken), a.refreshToken.map { Data($0) },
                                 a.tokenExpiresAt, a.preview, a.filterID, a.since, a.notificationsEnabled, a.state,
                                 a.stateSince, a.stateReason, now])
        }
    }

    public func accounts() throws -> [StoredAccount] {
        try query { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM account ORDER BY userID")).compactMap(Self.account(from:))
        }
    }

    public func account(_ id: UserID) throws -> StoredAccount? {
        try query { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM account WHERE userID = ?"),
                arguments: [id.rawValue]).flatMap(Self.account(from:))
        }
    }

    static func account(from row: Row) -> StoredAccount? {
        guard let id = UserID(row["userID"]) else { return nil }
        let token: Data = row["accessToken"]
        let refresh: Data? = row["refreshToken"]
        return StoredAccount(userID: id, homeserver: row["homeserver"], deviceID: row["deviceID"],
                             accessToken: [UInt8](token), refreshToken: refresh.map { [UInt8]($0) },
                             tokenExpiresAt: row["tokenExpiresAt"], preview: row["preview"],
                             discreetNotificationID: UInt32(row["discreetNotificationID"] as Int64),
                             filterID: row["filterID"], since: row["since"], notificationsEnabled: row["notificationsEnabled"],
                             state: row["state"], stateSince: row["stateSince"], stateReason: row["stateReason"])
    }

    /// Removes the account and, by cascade, its rooms, members and ledger.
    public func deleteAccount(_ id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM account WHERE userID = ?").execute(arguments: [id.rawValue])
        }
        // Freed pages are zeroed (secure_delete); checkpoint so the WAL keeps no copy either.
        _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    public func setFilterID(_ filterID: String, for id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE account SET filterID = ? WHERE userID = ?").execute(arguments: [filterID, id.rawValue])
        }
    }

    public func setState(_ state: String, reason: String?, since: Double, for id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE account SET state = ?, stateReason = ?, stateSince = ? WHERE userID = ?")
                .execute(arguments: [state, reason, since, id.rawValue])
        }
    }

    public func setNotifications(_ enabled: Bool, for id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE account SET notificationsEnabled = ? WHERE userID = ?")
                .execute(arguments: [enabled, id.rawValue])
        }
    }

    public func setting(_ key: String) throws -> String? {
        try query { db in try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM setting WHERE key = ?"),
            arguments: [key]) }
    }

    /// Whether the account's messages pop up: notifications on globally and for the account.
    public func notificationsEnabled(for id: UserID) throws -> Bool {
        try query { db in try Self.notificationsEnabled(db, id) }
    }

    static func notificationsEnabled(_ db: Database, _ id: UserID) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT COALESCE((SELECT value FROM setting WHERE key = 'notifications'), 'on') != 'off'
               AND COALESCE((SELECT notificationsEnabled FROM account WHERE userID = ?), 1)
            """), arguments: [id.rawValue]) ?? true
    }

    public func setSetting(_ key: String, _ value: String) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .execute(arguments: [key, value])
        }
    }

    /// Replaces the token pair in one statement, before the new access token is used.
    public func setTokens(_ id: UserID, access: [UInt8], refresh: [UInt8]?, expiresAt: Double?) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE account SET accessToken = ?, refreshToken = ?, tokenExpiresAt = ? WHERE userID = ?")
                .execute(arguments: [Data(access), refresh.map { Data($0) }, expiresAt, id.rawValue])
        }
    }

    public func setPreview(_ preview: String, for id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE account SET preview = ? WHERE userID = ?").execute(arguments: [preview, id.rawValue])
        }
    }

    public func account(withDiscreetNotification notificationID: UInt32) throws -> UserID? {
        guard notificationID != 0 else { return nil }
        return try query { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT userID FROM account WHERE discreetNotificationID = ?"),
                arguments: [Int64(notificationID)])
                .flatMap(UserID.init)
        }
    }

    public func setDiscreetNotification(_ notificationID: UInt32, for id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE account SET discreetNotificationID = ? WHERE userID = ?")
                .execute(arguments: [Int64(notificationID), id.rawValue])
        }
    }

    // MARK: PIN

    public func pinRecord(_ id: UserID) throws -> PinRecord? {
        try query { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT pinSalt, pinHash, pinFailures, pinLockedUntil, pinLastWrong, pinLastWrongAt FROM account WHERE userID = ?
                """), arguments: [id.rawValue]) else { return nil }
            guard let salt = row["pinSalt"] as Data?, let hash = row["pinHash"] as Data? else { return nil }
            let lastWrong: Data? = row["pinLastWrong"]
            return PinRecord(salt: [UInt8](salt), hash: [UInt8](hash), attempts: PinAttempts(
                failures: row["pinFailures"], lockedUntil: row["pinLockedUntil"],
                lastWrong: lastWrong.map { [UInt8]($0) }, lastWrongAt: row["pinLastWrongAt"]))
        }
    }

    public func setPin(_ id: UserID, salt: [UInt8], hash: [UInt8]) throws {
        try writer.write { db in
            try db.cachedStatement(sql: """
                UPDATE account SET pinSalt = ?, pinHash = ?, pinFailures = 0, pinLockedUntil = NULL,
                    pinLastWrong = NULL, pinLastWrongAt = NULL WHERE userID = ?
                """).execute(arguments: [Data(salt), Data(hash), id.rawValue])
        }
    }

    /// Stored durably before the derivation runs, and again after it.
    public func setPinAttempts(_ id: UserID, _ a: PinAttempts) throws {
        try writer.write { db in
            try db.cachedStatement(sql: """
                UPDATE account SET pinFailures = ?, pinLockedUntil = ?, pinLastWrong = ?, pinLastWrongAt = ? WHERE userID = ?
                """).execute(arguments: [a.failures, a.lockedUntil, a.lastWrong.map { Data($0) }, a.lastWrongAt, id.rawValue])
        }
    }

    // MARK: sign-out

    /// Signed out remotely or after too many wrong PINs: every secret, room, member and ledger row
    /// goes; the account row stays only to say why, until the user removes it or signs in again.
    public func wipeKeepingTombstone(_ id: UserID, reason: String, now: Double) throws {
        try writer.write { db in
            for table in ["room", "member", "ledger"] {
                try db.cachedStatement(sql: "DELETE FROM \(table) WHERE userID = ?").execute(arguments: [id.rawValue])
            }
            try db.cachedStatement(sql: """
                UPDATE account SET accessToken = x'', refreshToken = NULL, tokenExpiresAt = NULL, filterID = NULL, since = NULL,
                    pinSalt = NULL, pinHash = NULL, pinFailures = 0, pinLockedUntil = NULL, pinLastWrong = NULL,
                    pinLastWrongAt = NULL, discreetNotificationID = 0, state = 'signed_out', stateReason = ?, stateSince = ?
                WHERE userID = ?
                """).execute(arguments: [reason, now, id.rawValue])
        }
        _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    public func addPendingLogout(userID: String, homeserver: String, accessToken: [UInt8], now: Double) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "INSERT INTO pendingLogout (userID, homeserver, accessToken, createdAt) VALUES (?, ?, ?, ?)")
                .execute(arguments: [userID, homeserver, Data(accessToken), now])
        }
    }

    public func pendingLogouts() throws -> [PendingLogout] {
        try query { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM pendingLogout ORDER BY id")).map { row in
                let token: Data = row["accessToken"]
                return PendingLogout(id: row["id"], userID: row["userID"], homeserver: row["homeserver"],
                                     accessToken: [UInt8](token), attempts: row["attempts"])
            }
        }
    }

    public func finishPendingLogout(_ id: Int64) throws {
        try writer.write { db in try db.cachedStatement(sql: "DELETE FROM pendingLogout WHERE id = ?").execute(arguments: [id]) }
    }

    public func countPendingLogoutAttempt(_ id: Int64) throws {
        try writer.write { db in try db.cachedStatement(sql: "UPDATE pendingLogout SET attempts = attempts + 1 WHERE id = ?")
            .execute(arguments: [id]) }
    }
}
