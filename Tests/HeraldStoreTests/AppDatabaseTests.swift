import HeraldCore
import HeraldStore
import Testing

struct AppDatabaseTests {
    let alice = UserID("@alice:x")!

    func database() throws -> AppDatabase {
        let db = try AppDatabase.inMemory()
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: "secret", stateSince: 1), now: 1)
        return db
    }

    func msg(_ id: String) -> IncomingMessage {
        IncomingMessage(eventID: id, roomID: "!r:x", sender: "@bob:x", senderName: "Bob", content: .text("t"), timestamp: 0)
    }

    @Test func aReplayedBatchYieldsNothingNewAndTheCursorMoves() throws {
        let db = try database()
        let first = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", messages: [msg("$1"), msg("$2")]), now: 2)
        #expect(first.map(\.eventID) == ["$1", "$2"])
        let again = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", messages: [msg("$2"), msg("$3")]), now: 3)
        #expect(again.map(\.eventID) == ["$3"])
        #expect(try db.account(alice)?.since == "s2")
    }

    @Test func unshownEventsSurviveUntilMarkedShown() throws {
        let db = try database()
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", messages: [msg("$1"), msg("$2")]), now: 2)
        #expect(try db.unshown(alice) == ["!r:x": ["$1", "$2"]])
        try db.markShown(alice, roomID: "!r:x", notificationID: 7, count: 2, eventIDs: ["$1", "$2"])
        #expect(try db.unshown(alice).isEmpty)
        #expect(try db.notificationStates(of: alice)["!r:x"] == RoomNotificationState(notificationID: 7, count: 2))
        #expect(try db.clearNotification(id: 7) == 1)
        #expect(try db.notificationStates(of: alice).isEmpty)
    }

    @Test func deletingAnAccountRemovesEveryRowOfIt() throws {
        let db = try database()
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": RoomInfo(name: "R", joinedMembers: 3)],
                                     members: [("!r:x", "@bob:x", "Bob")], messages: [msg("$1")]), now: 2)
        try db.deleteAccount(alice)
        #expect(try db.accounts().isEmpty)
        #expect(try db.rooms(of: alice).isEmpty)
        #expect(try db.unshown(alice).isEmpty)
        #expect(try db.displayName(of: "@bob:x", in: "!r:x", for: alice) == nil)
    }

    @Test func settingsAndRoomTitlesRoundTrip() throws {
        let db = try database()
        try db.setSetting("notifications", "off")
        #expect(try db.setting("notifications") == "off")
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": RoomInfo(name: "Ward", joinedMembers: 4, isDirect: false)]), now: 2)
        #expect(try db.rooms(of: alice)["!r:x"] == RoomInfo(name: "Ward", joinedMembers: 4, isDirect: false))
    }
}
