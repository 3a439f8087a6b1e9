import HeraldCore

/// One account's stored rooms and member names, kept in memory between its /sync answers, so
/// that reading an answer with one message in a known room touches the database only in the
/// commit. Those reads came before every Notify, each in a read transaction of its own.
///
/// It holds what the database holds: only the sync commit writes room titles and member names,
/// and the cache learns each commit that went through (`committed`). `markShown` and
/// `addRoomCounts` may add a room's row, with no title, when there was none: the cache only
/// holds rooms it read or saw written, so such a row is read from the database like any other
/// it does not know. Signing out stops the account's sync loop, and the cache with it, before
/// the rows go.
public struct RoomCache: Sendable {
    /// Past these the cache starts again: the rooms a workstation account hears from and their
    /// senders fit, and a server naming thousands of rooms or members cannot grow it. A room
    /// whose power levels name more users than `powerUsersLimit` is not kept (it is read each
    /// time, as before the cache): so at most about half a megabyte, whatever the server sends.
    public static let roomLimit = 64
    public static let nameLimit = 1024
    public static let powerUsersLimit = 64

    private var rooms: [String: RoomInfo] = [:]
    /// roomID → memberID → display name
    private var names: [String: [String: String]] = [:]
    private var nameCount = 0

    public init() {}

    /// The stored ones of these rooms; only the ones the cache does not know are read.
    public mutating func rooms(among roomIDs: Set<String>, of id: UserID, in store: AppDatabase) throws -> [String: RoomInfo] {
        var out: [String: RoomInfo] = [:]
        var unknown: Set<String> = []
        for roomID in roomIDs {
            if let info = rooms[roomID] { out[roomID] = info } else { unknown.insert(roomID) }
        }
        guard !unknown.isEmpty else { return out }
        for (roomID, info) in try store.rooms(of: id, among: unknown) {
            out[roomID] = info
            remember(roomID, info)
        }
        return out
    }

    /// Every stored room (a new `m.direct` may change any of them); the cache starts again from them.
    public mutating func allRooms(of id: UserID, in store: AppDatabase) throws -> [String: RoomInfo] {
        let all = try store.rooms(of: id)
        rooms = [:]
        if all.count <= Self.roomLimit {
            for (roomID, info) in all { remember(roomID, info) }
        }
        return all
    }

    /// A member's stored display name; nil when there is none or it cannot be read.
    public mutating func displayName(of member: String, in roomID: String, for id: UserID, in store: AppDatabase) -> String? {
        if let name = names[roomID]?[member] { return name }
        guard let name = try? store.displayName(of: member, in: roomID, for: id) else { return nil }
        rememberName(roomID, member, name)
        return name
    }

    /// What a commit that went through wrote, in the order it wrote it.
    public mutating func committed(_ c: SyncCommit) {
        for (roomID, info) in c.rooms { remember(roomID, info) }
        for (roomID, member, name) in c.members { rememberName(roomID, member, name) }
        for roomID in c.leftRooms {
            rooms[roomID] = nil
            nameCount -= names.removeValue(forKey: roomID)?.count ?? 0
        }
    }

    private mutating func remember(_ roomID: String, _ info: RoomInfo) {
        guard (info.powerLevels?.users.count ?? 0) <= Self.powerUsersLimit else {
            rooms[roomID] = nil
            return
        }
        if rooms[roomID] == nil, rooms.count >= Self.roomLimit { rooms.removeAll() }
        rooms[roomID] = info
    }

    private mutating func rememberName(_ roomID: String, _ member: String, _ name: String) {
        if names[roomID]?[member] == nil {
            if nameCount >= Self.nameLimit {
                names.removeAll()
                nameCount = 0
            }
            nameCount += 1
        }
        names[roomID, default: [:]][member] = name
    }
}
