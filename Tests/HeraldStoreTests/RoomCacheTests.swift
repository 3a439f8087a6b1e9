import GRDB
import HeraldCore
import HeraldStore
import Synchronization
import Testing

struct RoomCacheTests {
    let alice = UserID("@alice:x")!

    func database(_ queue: DatabaseQueue) throws -> AppDatabase {
        let db = try AppDatabase(queue)
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: Array("sealed".utf8), stateSince: 1), now: 1)
        return db
    }

    /// Commits through the cache, as the sync loop does.
    func commit(_ db: AppDatabase, _ cache: inout RoomCache, _ c: SyncCommit) throws {
        _ = try db.commit(c, now: 2)
        cache.committed(c)
    }

    /// The SQL `body` runs against the connection.
    func statements(_ queue: DatabaseQueue, _ body: () throws -> Void) rethrows -> [String] {
        let seen = Mutex<[String]>([])
        queue.inDatabase { $0.trace { event in seen.withLock { $0.append("\(event)") } } }
        defer { queue.inDatabase { $0.trace(options: [], nil) } }
        try body()
        return seen.withLock { $0 }
    }

    @Test func aRoomAndASenderOnceKnownAreNotReadAgain() throws {
        let queue = try DatabaseQueue()
        let db = try database(queue)
        var cache = RoomCache()
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": RoomInfo(name: "Ward", joinedMembers: 3)],
                                          members: [("!r:x", "@bob:x", "Bob")]))
        var rooms: [String: RoomInfo] = [:]
        var name: String?
        let sql = try statements(queue) {
            rooms = try cache.rooms(among: ["!r:x"], of: alice, in: db)
            name = cache.displayName(of: "@bob:x", in: "!r:x", for: alice, in: db)
        }
        #expect(sql.isEmpty, "\(sql)")
        #expect(rooms == ["!r:x": RoomInfo(name: "Ward", joinedMembers: 3)])
        #expect(name == "Bob")

        // A room or member it has not seen is read, once.
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", rooms: ["!q:x": RoomInfo(name: "Desk")],
                                     members: [("!q:x", "@carol:x", "Carol")]), now: 3)
        let first = try statements(queue) {
            rooms = try cache.rooms(among: ["!r:x", "!q:x"], of: alice, in: db)
            name = cache.displayName(of: "@carol:x", in: "!q:x", for: alice, in: db)
        }
        #expect(first.count == 2, "\(first)")
        #expect(rooms == ["!r:x": RoomInfo(name: "Ward", joinedMembers: 3), "!q:x": RoomInfo(name: "Desk")])
        #expect(name == "Carol")
        let again = try statements(queue) {
            _ = try cache.rooms(among: ["!q:x"], of: alice, in: db)
            _ = cache.displayName(of: "@carol:x", in: "!q:x", for: alice, in: db)
        }
        #expect(again.isEmpty, "\(again)")
    }

    @Test func afterEachCommitTheCacheAgreesWithTheDatabase() throws {
        let db = try database(DatabaseQueue())
        var cache = RoomCache()
        let ids: Set<String> = ["!a:x", "!b:x", "!c:x"]
        func agrees(_ step: String) throws {
            #expect(try cache.rooms(among: ids, of: alice, in: db) == db.rooms(of: alice, among: ids), "\(step)")
            for room in ids {
                for member in ["@bob:x", "@carol:x"] {
                    #expect(cache.displayName(of: member, in: room, for: alice, in: db) == (try db.displayName(of: member, in: room, for: alice)),
                            "\(step): \(member) in \(room)")
                }
            }
        }
        let levels = RoomPowerLevels(users: ["@bob:x": 50], usersDefault: 0, notifications: ["room": 50])
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s1",
                                          rooms: ["!a:x": RoomInfo(name: "A", joinedMembers: 2, powerLevels: levels, creators: ["@bob:x"], roomVersion: "12"),
                                                  "!b:x": RoomInfo(name: "B", isDirect: true)],
                                          members: [("!a:x", "@bob:x", "Bob"), ("!b:x", "@carol:x", "Carol")]))
        try agrees("first answer")
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s2", rooms: ["!a:x": RoomInfo(name: "A2", joinedMembers: 3, serverUnread: 4)],
                                          members: [("!a:x", "@bob:x", "Robert"), ("!a:x", "@carol:x", "Carol")], leftRooms: ["!b:x"]))
        try agrees("a room renamed, a member renamed, a room left")
        // Showing a notification may add a room's row, without a title, outside the commit.
        try db.markShown(alice, roomID: "!c:x", notificationID: 9, count: 1, eventIDs: [])
        try agrees("a row added by markShown")
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s3", rooms: ["!c:x": RoomInfo(name: "C")], leftRooms: ["!a:x"]))
        try agrees("that room titled, the other left")
    }

    @Test func aRoomWithBigPowerLevelsIsReadEachTime() throws {
        let queue = try DatabaseQueue()
        let db = try database(queue)
        var cache = RoomCache()
        var users: [String: Int] = [:]
        for i in 0...RoomCache.powerUsersLimit { users["@u\(i):x"] = 50 }
        let big = RoomInfo(name: "Hall", powerLevels: RoomPowerLevels(users: users))
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!big:x": big]))
        var rooms: [String: RoomInfo] = [:]
        for _ in 0..<2 {
            let sql = try statements(queue) { rooms = try cache.rooms(among: ["!big:x"], of: alice, in: db) }
            #expect(sql.count == 1, "\(sql)")
            #expect(rooms == ["!big:x": big])
        }
        // Renamed: still read right.
        var renamed = big
        renamed.name = "Great Hall"
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s2", rooms: ["!big:x": renamed]))
        #expect(try cache.rooms(among: ["!big:x"], of: alice, in: db) == ["!big:x": renamed])
    }

    @Test func moreRoomsThanItKeepsAreStillReadRight() throws {
        let db = try database(DatabaseQueue())
        var cache = RoomCache()
        let n = RoomCache.roomLimit + 40
        var rooms: [String: RoomInfo] = [:]
        var members: [(String, String, String)] = []
        for i in 0..<n {
            rooms["!r\(i):x"] = RoomInfo(name: "Room \(i)", joinedMembers: i)
            for j in 0..<10 { members.append(("!r\(i):x", "@m\(j):x", "Member \(i).\(j)")) }
        }
        try commit(db, &cache, SyncCommit(userID: alice, nextBatch: "s1", rooms: rooms, members: members))
        let ids = Set(rooms.keys)
        #expect(try cache.rooms(among: ids, of: alice, in: db) == rooms)
        #expect(try cache.allRooms(of: alice, in: db) == rooms)
        for i in stride(from: 0, to: n, by: 37) {
            #expect(cache.displayName(of: "@m3:x", in: "!r\(i):x", for: alice, in: db) == "Member \(i).3")
        }
        #expect(try cache.rooms(among: ["!r5:x", "!nowhere:x"], of: alice, in: db) == ["!r5:x": rooms["!r5:x"]!])
    }
}
