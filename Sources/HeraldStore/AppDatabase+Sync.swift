import Foundation
import GRDB
import HeraldCore

extension AppDatabase {
    /// Applies one sync response: room titles, members, new ledger rows and the new cursor, all
    /// or nothing. Returns the messages that were not in the ledger yet — the ones to show — and,
    /// when there are any, what showing them needs, read in the same transaction: the next step
    /// is the Notify call, and a read of its own would take the database's locks once more.
    public func commit(_ c: SyncCommit, now: Double) throws -> Committed {
        try writer.write { db in
            let uid = c.userID.rawValue
            for (roomID, info) in c.rooms {
                try db.cachedStatement(sql: """
                    INSERT INTO room (userID, roomID, name, joinedMembers, isDirect, powerLevels, creators, roomVersion, serverUnread)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(userID, roomID) DO UPDATE SET name = excluded.name,
                        joinedMembers = excluded.joinedMembers, isDirect = excluded.isDirect, powerLevels = excluded.powerLevels,
                        creators = excluded.creators, roomVersion = excluded.roomVersion, serverUnread = excluded.serverUnread
                    """).execute(arguments: [uid, roomID, info.name, info.joinedMembers, info.isDirect, info.powerLevels.map { Self.text($0.stored) },
                                     Self.text(.array(info.creators.map { .string($0) })), info.roomVersion, info.serverUnread])
            }
            for (roomID, memberID, name) in c.members {
                try db.cachedStatement(sql: """
                    INSERT INTO member (userID, roomID, memberID, displayName) VALUES (?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET displayName = excluded.displayName
                    """).execute(arguments: [uid, roomID, memberID, name])
            }
            for roomID in c.leftRooms {
                try db.cachedStatement(sql: "DELETE FROM room WHERE userID = ? AND roomID = ?").execute(arguments: [uid, roomID])
                try db.cachedStatement(sql: "DELETE FROM member WHERE userID = ? AND roomID = ?").execute(arguments: [uid, roomID])
            }
            var fresh: [IncomingMessage] = []
            for m in c.messages {
                try db.cachedStatement(sql: """
                    INSERT INTO ledger (userID, eventID, roomID, recordedAt) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """).execute(arguments: [uid, m.eventID, m.roomID, now])
                if db.changesCount > 0 { fresh.append(m) }
            }
            try c.crypto?.write(db, userID: uid, now: now)
            try db.cachedStatement(sql: "UPDATE account SET since = ? WHERE userID = ?").execute(arguments: [c.nextBatch, uid])
            return Committed(fresh: fresh, showing: fresh.isEmpty ? nil : try Self.showing(db, c.userID, now: now))
        }
    }

    public func rooms(of id: UserID) throws -> [String: RoomInfo] {
        try query { db in
            var out: [String: RoomInfo] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: Self.roomsSQL), arguments: [id.rawValue]) {
                out[row["roomID"]] = Self.roomInfo(row)
            }
            return out
        }
    }

    /// The stored ones of these rooms: what one /sync answer needs, without reading the others.
    public func rooms(of id: UserID, among roomIDs: Set<String>) throws -> [String: RoomInfo] {
        try query { db in
            let statement = try db.cachedStatement(sql: Self.roomSQL)
            var out: [String: RoomInfo] = [:]
            for roomID in roomIDs {
                if let row = try Row.fetchOne(statement, arguments: [id.rawValue, roomID]) { out[roomID] = Self.roomInfo(row) }
            }
            return out
        }
    }

    private static let roomsSQL = """
        SELECT roomID, name, joinedMembers, isDirect, powerLevels, creators, roomVersion, serverUnread FROM room WHERE userID = ?
        """
    private static let roomSQL = roomsSQL + " AND roomID = ?"

    private static func roomInfo(_ row: Row) -> RoomInfo {
        RoomInfo(name: row["name"], joinedMembers: row["joinedMembers"], isDirect: row["isDirect"],
                 powerLevels: json(row["powerLevels"]).map(RoomPowerLevels.init(stored:)),
                 creators: json(row["creators"])?.array?.compactMap(\.string) ?? [],
                 roomVersion: row["roomVersion"], serverUnread: row["serverUnread"])
    }

    public func displayName(of member: String, in roomID: String, for id: UserID) throws -> String? {
        try query { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT displayName FROM member WHERE userID = ? AND roomID = ? AND memberID = ?"),
                                arguments: [id.rawValue, roomID, member])
        }
    }

    /// The newest recorded event of each of these rooms (real events only, not invitations).
    public func latestEvents(_ id: UserID, in rooms: [String]) throws -> [String: String] {
        try query { db in
            var out: [String: String] = [:]
            for roomID in rooms {
                out[roomID] = try String.fetchOne(db.cachedStatement(sql: """
                    SELECT eventID FROM ledger WHERE userID = ? AND roomID = ? AND eventID LIKE '$%'
                    ORDER BY recordedAt DESC, rowid DESC LIMIT 1
                    """), arguments: [id.rawValue, roomID])
            }
            return out
        }
    }

    public func notificationStates(of id: UserID) throws -> [String: RoomNotificationState] {
        try query { db in try Self.notificationStates(db, id) }
    }

    private static func notificationStates(_ db: Database, _ id: UserID) throws -> [String: RoomNotificationState] {
        var out: [String: RoomNotificationState] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT roomID, notificationID, notificationCount, notificationHighlight FROM room
            WHERE userID = ? AND notificationCount > 0
            """), arguments: [id.rawValue]) {
            out[row["roomID"]] = RoomNotificationState(notificationID: UInt32(row["notificationID"] as Int64), count: row["notificationCount"],
                                                        highlight: row["notificationHighlight"])
        }
        return out
    }

    /// Records that a room's notification is on screen with this id, standing for these events.
    /// `highlight`: a mention among them, so the notification stays urgent as later messages replace it.
    public func markShown(_ id: UserID, roomID: String, notificationID: UInt32, count: Int, eventIDs: [String],
                          lastEventID: String? = nil, highlight: Bool = false) throws {
        try writer.write { db in
            try db.cachedStatement(sql: """
                INSERT INTO room (userID, roomID, notificationID, notificationCount, lastEventID, notificationHighlight)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(userID, roomID) DO UPDATE SET notificationID = excluded.notificationID,
                    notificationCount = excluded.notificationCount, lastEventID = COALESCE(excluded.lastEventID, lastEventID),
                    notificationHighlight = excluded.notificationHighlight
                """).execute(arguments: [id.rawValue, roomID, Int64(notificationID), count, lastEventID, highlight])
            for e in eventIDs {
                try db.cachedStatement(sql: "UPDATE ledger SET shown = 1 WHERE userID = ? AND eventID = ?")
                    .execute(arguments: [id.rawValue, e])
            }
        }
    }

    /// The notification with this id went away (closed by the user, expired): the room's count
    /// starts again — or, for a locked account's discreet notification, every room's count.
    @discardableResult
    public func clearNotification(id notificationID: UInt32) throws -> Int {
        guard notificationID != 0 else { return 0 }
        return try writer.write { db in
            let n = Int64(notificationID)
            try db.cachedStatement(sql: "UPDATE room SET notificationID = 0, notificationCount = 0 WHERE notificationID = ?")
                .execute(arguments: [n])
            var changed = db.changesCount
            try db.cachedStatement(sql: """
                UPDATE room SET notificationCount = 0 WHERE userID IN (SELECT userID FROM account WHERE discreetNotificationID = ?)
                """).execute(arguments: [n])
            try db.cachedStatement(sql: "UPDATE account SET discreetNotificationID = 0 WHERE discreetNotificationID = ?")
                .execute(arguments: [n])
            changed += db.changesCount
            return changed
        }
    }

    /// The rooms' notifications are gone: ids and counts back to zero. Returns the account's remaining total.
    public func resetRooms(_ id: UserID, _ rooms: [String]) throws -> Int {
        try writer.write { db in
            for roomID in rooms {
                try db.cachedStatement(sql: "UPDATE room SET notificationID = 0, notificationCount = 0 WHERE userID = ? AND roomID = ?")
                    .execute(arguments: [id.rawValue, roomID])
            }
            return try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(SUM(notificationCount), 0) FROM room WHERE userID = ?"),
                                    arguments: [id.rawValue]) ?? 0
        }
    }

    /// Forgets which notification each room shows, keeping the counts (the notifications are being withdrawn).
    public func detachRoomNotifications(_ id: UserID) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE room SET notificationID = 0 WHERE userID = ?").execute(arguments: [id.rawValue])
        }
    }

    /// Adds to rooms' counts (creating rows as needed) and returns the account's total messages
    /// and the number of rooms they are in.
    public func addRoomCounts(_ id: UserID, _ counts: [String: Int]) throws -> (total: Int, rooms: Int) {
        try writer.write { db in
            for (roomID, n) in counts {
                try db.cachedStatement(sql: """
                    INSERT INTO room (userID, roomID, notificationCount) VALUES (?, ?, ?)
                    ON CONFLICT(userID, roomID) DO UPDATE SET notificationCount = notificationCount + excluded.notificationCount
                    """).execute(arguments: [id.rawValue, roomID, n])
            }
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT COALESCE(SUM(notificationCount), 0) AS total, COUNT(*) AS rooms FROM room
                WHERE userID = ? AND notificationCount > 0
                """), arguments: [id.rawValue])
            let total: Int = row?["total"] ?? 0
            let rooms: Int = row?["rooms"] ?? 0
            return (total, rooms)
        }
    }

    /// Ledger rows recorded but never shown (the daemon died in between), grouped by room.
    public func unshown(_ id: UserID) throws -> [String: [String]] {
        try query { db in
            var out: [String: [String]] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT roomID, eventID FROM ledger WHERE userID = ? AND shown = 0 ORDER BY recordedAt"),
                                        arguments: [id.rawValue]) {
                out[row["roomID"], default: []].append(row["eventID"])
            }
            return out
        }
    }

    /// Keeps the ledger bounded: rows older than `olderThan` go (the cursor is long past them).
    public func pruneLedger(olderThan cutoff: Double) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM ledger WHERE recordedAt < ? AND shown = 1").execute(arguments: [cutoff])
        }
    }
}

extension AppDatabase {
    /// Marks events handled without a notification of their own (notifications off, or discreet).
    public func markHandled(_ id: UserID, eventIDs: [String]) throws {
        try writer.write { db in
            for e in eventIDs {
                try db.cachedStatement(sql: "UPDATE ledger SET shown = 1 WHERE userID = ? AND eventID = ?")
                    .execute(arguments: [id.rawValue, e])
            }
        }
    }
}

extension AppDatabase {
    static func text(_ value: JSONValue) -> String { String(decoding: value.encoded(), as: UTF8.self) }

    static func json(_ text: String?) -> JSONValue? { text.flatMap { try? JSONValue.decode(Array($0.utf8)) } }
}

/// The room a notification on screen stands for.
public struct NotifiedRoom: Sendable, Equatable {
    public var userID: UserID
    public var roomID: String
    public var lastEventID: String?
}

extension AppDatabase {
    public func room(showing notificationID: UInt32) throws -> NotifiedRoom? {
        guard notificationID != 0 else { return nil }
        return try query { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT userID, roomID, lastEventID FROM room WHERE notificationID = ?"),
                                             arguments: [Int64(notificationID)]),
                  let id = UserID(row["userID"]) else { return nil }
            return NotifiedRoom(userID: id, roomID: row["roomID"], lastEventID: row["lastEventID"])
        }
    }

    /// The notification server went away: nothing Herald showed is on screen any more.
    public func forgetAllNotifications() throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE room SET notificationID = 0, notificationCount = 0").execute()
            try db.cachedStatement(sql: "UPDATE account SET discreetNotificationID = 0").execute()
        }
    }

    public func mute(_ id: UserID, roomID: String, until: Double) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE room SET mutedUntil = ? WHERE userID = ? AND roomID = ?")
                .execute(arguments: [until, id.rawValue, roomID])
        }
    }

    /// Rooms muted from a notification's action, still muted at `now`.
    public func mutedRooms(_ id: UserID, now: Double) throws -> Set<String> {
        try query { db in try Self.mutedRooms(db, id, now: now) }
    }

    private static func mutedRooms(_ db: Database, _ id: UserID, now: Double) throws -> Set<String> {
        Set(try String.fetchAll(db.cachedStatement(sql: "SELECT roomID FROM room WHERE userID = ? AND mutedUntil > ?"),
                                arguments: [id.rawValue, now]))
    }

    /// Everything showing an answer's new messages reads (`commit` returns it).
    public func showing(_ id: UserID, now: Double) throws -> ShowingState {
        try query { db in try Self.showing(db, id, now: now) }
    }

    private static func showing(_ db: Database, _ id: UserID, now: Double) throws -> ShowingState {
        ShowingState(
            preview: try String.fetchOne(db.cachedStatement(sql: "SELECT preview FROM account WHERE userID = ?"),
                                         arguments: [id.rawValue]) ?? "unlocked",
            notificationsEnabled: try notificationsEnabled(db, id),
            mutedRooms: try mutedRooms(db, id, now: now),
            notifications: try notificationStates(db, id))
    }
}

/// What one sync commit brought.
public struct Committed: Sendable {
    /// The messages not in the ledger before: the ones to show.
    public var fresh: [IncomingMessage]
    /// The account's settings and notifications as the commit left them; nil when `fresh` is empty.
    public var showing: ShowingState?
}

/// An account's settings and notifications as showing its new messages needs them.
public struct ShowingState: Sendable, Equatable {
    /// `always`, `never` or `unlocked` (`heraldctl account preview`).
    public var preview: String
    /// Off when the account's notifications or all of them are switched off.
    public var notificationsEnabled: Bool
    public var mutedRooms: Set<String>
    /// Rooms whose notification stands for at least one message.
    public var notifications: [String: RoomNotificationState]

    public init(preview: String, notificationsEnabled: Bool, mutedRooms: Set<String>, notifications: [String: RoomNotificationState]) {
        self.preview = preview
        self.notificationsEnabled = notificationsEnabled
        self.mutedRooms = mutedRooms
        self.notifications = notifications
    }
}
