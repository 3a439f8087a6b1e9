import GRDB
import HeraldCore
import HeraldStore
import Synchronization
import Testing

struct CryptoStoreTests {
    let alice = UserID("@alice:x")!

    /// Alice's account in a fresh in-memory database; `queue` when the test needs the connection.
    func database(_ queue: DatabaseQueue? = nil) throws -> AppDatabase {
        let db = try queue.map(AppDatabase.init) ?? AppDatabase.inMemory()
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: Array("sealed".utf8), stateSince: 1), now: 1)
        return db
    }

    func group(_ session: String, room: String = "!r:x") -> StoredGroupSession {
        StoredGroupSession(roomID: room, sessionID: session, senderKey: "K", sender: "@bob:x", sealed: Array(session.utf8))
    }

    func everything() -> CryptoCommit {
        CryptoCommit(account: [1, 2, 3], olmSessions: ["K": [(sessionID: "s1", sealed: [4]), (sessionID: "s2", sealed: [5])]],
                     groupSessions: [group("g1")], awaiting: [AwaitingEvent(eventID: "$w", roomID: "!r:x", sessionID: "g2")],
                     withheld: [WithheldKey(roomID: "!r:x", sessionID: "g3", code: "m.unverified", sender: "@bob:x")])
    }

    @Test func theCryptoPartIsWrittenWithTheCursor() throws {
        let db = try database()
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", crypto: everything()), now: 2)
        #expect(try db.account(alice)?.since == "s1")
        #expect(try db.olmAccount(of: alice) == [1, 2, 3])
        #expect(try db.olmSessions(of: alice, senderKey: "K") == [[4], [5]])
        #expect(try db.groupSession(of: alice, roomID: "!r:x", sessionID: "g1") == group("g1"))
        #expect(try db.awaitingEvents(of: alice, roomID: "!r:x", sessionID: "g2", since: 0) == [AwaitingEvent(eventID: "$w", roomID: "!r:x", sessionID: "g2")])
        #expect(try db.latestWithheld(of: alice)?.code == "m.unverified")
        #expect(try db.cryptoRowCount(of: alice) == 6)

        // A sender key's sessions are replaced as a whole, in their new order.
        try db.commitCrypto(CryptoCommit(olmSessions: ["K": [(sessionID: "s2", sealed: [6]), (sessionID: "s3", sealed: [7])]],
                                         resolved: ["$w"]), for: alice, now: 3)
        #expect(try db.olmSessions(of: alice, senderKey: "K") == [[6], [7]])
        #expect(try db.awaitingEvents(of: alice, roomID: "!r:x", sessionID: "g2", since: 0).isEmpty)
    }

    @Test func aFailedCommitKeepsNeitherTheCryptoStateNorTheCursor() throws {
        let db = try database()
        let unknown = UserID("@nobody:x")!
        #expect(throws: (any Error).self) {
            _ = try db.commit(SyncCommit(userID: unknown, nextBatch: "s1", crypto: everything()), now: 2)
        }
        #expect(try db.cryptoRowCount(of: unknown) == 0)
    }

    @Test func removingTheAccountOrSigningItOutWipesItsCryptoState() throws {
        let db = try database()
        try db.commitCrypto(everything(), for: alice, now: 2)
        try db.wipeKeepingTombstone(alice, reason: "gone", now: 3)
        #expect(try db.account(alice)?.state == "signed_out")
        #expect(try db.cryptoRowCount(of: alice) == 0)

        let again = try database()
        try again.commitCrypto(everything(), for: alice, now: 2)
        try again.deleteAccount(alice)
        #expect(try again.cryptoRowCount(of: alice) == 0)
    }

    @Test func olmSessionsAreCappedPerAccountDroppingTheLeastRecentlyUsed() throws {
        let db = try database()
        let cap = AppDatabase.CryptoLimits.olmSessionsPerAccount
        var all: [String: [(sessionID: String, sealed: [UInt8])]] = [:]
        for i in 0..<(cap + 3) { all["K\(i)"] = [(sessionID: "s", sealed: [UInt8(i % 256)])] }
        try db.commitCrypto(CryptoCommit(olmSessions: all), for: alice, now: 2)
        #expect(try db.cryptoRowCount(of: alice) == cap)
        // Using one of the kept sessions makes it the newest: the next ones over the cap go before it.
        let kept = try (0..<(cap + 3)).first { try !db.olmSessions(of: alice, senderKey: "K\($0)").isEmpty }!
        try db.commitCrypto(CryptoCommit(olmSessions: ["K\(kept)": [(sessionID: "s", sealed: [9])]]), for: alice, now: 3)
        try db.commitCrypto(CryptoCommit(olmSessions: ["NEW1": [(sessionID: "s", sealed: [1])], "NEW2": [(sessionID: "s", sealed: [2])]]),
                            for: alice, now: 4)
        #expect(try db.cryptoRowCount(of: alice) == cap)
        #expect(try db.olmSessions(of: alice, senderKey: "K\(kept)") == [[9]])
        #expect(try db.olmSessions(of: alice, senderKey: "NEW2") == [[2]])
    }

    @Test func waitingEventsAreCappedAndExpire() throws {
        let db = try database()
        let cap = AppDatabase.CryptoLimits.awaitingPerAccount
        for i in 0..<(cap + 5) {
            try db.commitCrypto(CryptoCommit(awaiting: [AwaitingEvent(eventID: "$\(i)", roomID: "!r:x", sessionID: "g")]),
                                for: alice, now: 1000 + Double(i))
        }
        let kept = try db.awaitingEvents(of: alice, roomID: "!r:x", sessionID: "g", since: 0)
        #expect(kept.count == cap)
        #expect(kept.first?.eventID == "$5", "the oldest went first")
        let later = 1000 + Double(cap) + AppDatabase.CryptoLimits.awaitingSeconds + 10
        try db.commitCrypto(CryptoCommit(awaiting: [AwaitingEvent(eventID: "$new", roomID: "!r:x", sessionID: "g")]), for: alice, now: later)
        #expect(try db.awaitingEvents(of: alice, roomID: "!r:x", sessionID: "g", since: 0).map(\.eventID) == ["$new"])
    }

    @Test func groupSessionsAreCappedPerAccountDroppingTheOldest() throws {
        let db = try database()
        let cap = AppDatabase.CryptoLimits.groupSessionsPerAccount
        try db.commitCrypto(CryptoCommit(groupSessions: (0..<cap).map { group("old\($0)") }), for: alice, now: 2)
        try db.commitCrypto(CryptoCommit(groupSessions: [group("new1"), group("new2")]), for: alice, now: 3)
        #expect(try db.cryptoRowCount(of: alice) == cap)
        #expect(try db.groupSession(of: alice, roomID: "!r:x", sessionID: "new2") == group("new2"))
        // Ties in age go by row: two of the first batch made room.
        #expect(try (0..<cap).filter { try db.groupSession(of: alice, roomID: "!r:x", sessionID: "old\($0)") == nil }.count == 2)
    }

    /// Every decrypted message writes its session's record again (the replay guard moved on).
    /// That write must not cost a pass over all of the account's sessions: the cap is enforced
    /// when a session is added, never when one is updated.
    @Test func updatingAStoredGroupSessionDoesNotSweepTheTable() throws {
        let queue = try DatabaseQueue()
        let db = try database(queue)
        try db.commitCrypto(CryptoCommit(groupSessions: [group("g1"), group("g2")]), for: alice, now: 2)
        let statements = Mutex<[String]>([])
        queue.inDatabase { $0.trace { event in statements.withLock { $0.append("\(event)") } } }
        let updated = StoredGroupSession(roomID: "!r:x", sessionID: "g1", senderKey: "K", sender: "@bob:x", sealed: [9, 9])
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", crypto: CryptoCommit(groupSessions: [updated])), now: 5)
        queue.inDatabase { $0.trace(options: [], nil) }
        #expect(try db.groupSession(of: alice, roomID: "!r:x", sessionID: "g1") == updated)
        #expect(try db.cryptoRowCount(of: alice) == 2)
        let sweeps = statements.withLock { $0.filter { $0.contains("DELETE FROM groupSession") } }
        #expect(sweeps.isEmpty, "\(sweeps)")
    }
}
