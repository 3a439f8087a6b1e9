import HeraldCore
import HeraldStore
import Testing

struct VerificationStoreTests {
    let alice = UserID("@alice:x")!

    func database() throws -> AppDatabase {
        let db = try AppDatabase.inMemory()
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: Array("sealed".utf8), stateSince: 1), now: 1)
        return db
    }

    @Test func theBackupKeyIsKeptReplacedAndDropped() throws {
        let db = try database()
        #expect(try db.keyBackup(of: alice) == nil)
        #expect(try db.dropKeyBackup(alice) == false)
        try db.setKeyBackup(alice, version: "1", sealedKey: [1, 2])
        try db.setKeyBackup(alice, version: "2", sealedKey: [3, 4])
        #expect(try db.keyBackup(of: alice)?.version == "2")
        #expect(try db.keyBackup(of: alice)?.sealedKey == [3, 4])
        #expect(try db.dropKeyBackup(alice) == true)
        #expect(try db.keyBackup(of: alice) == nil)
        #expect(try db.dropKeyBackup(alice) == false)
    }

    @Test func theUnverifiedNoticeIsClaimedOncePerPeriod() throws {
        let db = try database()
        #expect(try db.claimUnverifiedNotice(alice, now: 1000, since: 1000 - 86_400))
        #expect(try !db.claimUnverifiedNotice(alice, now: 2000, since: 2000 - 86_400))
        #expect(try db.claimUnverifiedNotice(alice, now: 1000 + 86_401, since: 1001))
        // Claiming keeps the backup key.
        try db.setKeyBackup(alice, version: "1", sealedKey: [1])
        #expect(try !db.claimUnverifiedNotice(alice, now: 1000 + 86_402, since: 1002))
        #expect(try db.keyBackup(of: alice)?.version == "1")
    }

    @Test func theAwaitedSessionsAreListedOnceEachNewestFirst() throws {
        let db = try database()
        try db.commitCrypto(CryptoCommit(awaiting: [AwaitingEvent(eventID: "$old", roomID: "!r:x", sessionID: "s0")]), for: alice, now: 10)
        try db.commitCrypto(CryptoCommit(awaiting: [AwaitingEvent(eventID: "$a", roomID: "!r:x", sessionID: "s1"),
                                                    AwaitingEvent(eventID: "$b", roomID: "!r:x", sessionID: "s1")]), for: alice, now: 20)
        try db.commitCrypto(CryptoCommit(awaiting: [AwaitingEvent(eventID: "$c", roomID: "!q:x", sessionID: "s2")]), for: alice, now: 30)
        let sessions = try db.awaitedSessions(of: alice, since: 15, limit: 10)
        #expect(sessions.map(\.sessionID) == ["s2", "s1"])
        #expect(["$a", "$b"].contains(sessions[1].eventID))
        #expect(try db.awaitedSessions(of: alice, since: 0, limit: 1).map(\.sessionID) == ["s2"])
    }

    @Test func signingOutOrRemovingTheAccountDropsTheBackupKey() throws {
        let db = try database()
        try db.setKeyBackup(alice, version: "1", sealedKey: [1])
        try db.wipeKeepingTombstone(alice, reason: "gone", now: 3)
        #expect(try db.keyBackup(of: alice) == nil)

        let again = try database()
        try again.setKeyBackup(alice, version: "1", sealedKey: [1])
        try again.deleteAccount(alice)
        #expect(try again.keyBackup(of: alice) == nil)
    }
}
