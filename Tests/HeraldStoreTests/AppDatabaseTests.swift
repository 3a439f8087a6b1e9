import GRDB
import HeraldCore
import HeraldStore
import Testing

struct AppDatabaseTests {
    let alice = UserID("@alice:x")!

    func database() throws -> AppDatabase {
        let db = try AppDatabase.inMemory()
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: Array("sealed".utf8), stateSince: 1), now: 1)
        return db
    }

    func msg(_ id: String) -> IncomingMessage {
        IncomingMessage(eventID: id, roomID: "!r:x", sender: "@bob:x", senderName: "Bob", content: .text("t"), timestamp: 0)
    }

    @Test func aReplayedBatchYieldsNothingNewAndTheCursorMoves() throws {
        let db = try database()
        let first = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", messages: [msg("$1"), msg("$2")]), now: 2)
        #expect(first.fresh.map(\.eventID) == ["$1", "$2"])
        let again = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", messages: [msg("$2"), msg("$3")]), now: 3)
        #expect(again.fresh.map(\.eventID) == ["$3"])
        #expect(try db.account(alice)?.since == "s2")
        #expect(try db.commit(SyncCommit(userID: alice, nextBatch: "s3", messages: [msg("$3")]), now: 4).showing == nil)
    }

    @Test func aCommitWithNewMessagesReadsWhatShowingThemNeeds() throws {
        let db = try database()
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": RoomInfo(name: "Ward"), "!q:x": RoomInfo(name: "Desk")]), now: 2)
        try db.markShown(alice, roomID: "!r:x", notificationID: 7, count: 2, eventIDs: [], highlight: true)
        try db.mute(alice, roomID: "!q:x", until: 100)
        try db.setPreview("never", for: alice)
        let committed = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", messages: [msg("$1")]), now: 50)
        #expect(committed.showing == ShowingState(preview: "never", notificationsEnabled: true, mutedRooms: ["!q:x"],
                                                  notifications: ["!r:x": RoomNotificationState(notificationID: 7, count: 2, highlight: true)]))
        #expect(try committed.showing == db.showing(alice, now: 50))
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

    @Test func aMentionIsKeptUntilTheRoomsNotificationEnds() throws {
        let db = try database()
        try db.markShown(alice, roomID: "!r:x", notificationID: 7, count: 1, eventIDs: [], highlight: true)
        // Counted on beneath a discreet notification (locked): still a mention.
        _ = try db.addRoomCounts(alice, ["!r:x": 1])
        #expect(try db.notificationStates(of: alice)["!r:x"] == RoomNotificationState(notificationID: 7, count: 2, highlight: true))
        // Closed on screen: the count starts again, and the mention is over.
        try db.clearNotification(id: 7)
        _ = try db.addRoomCounts(alice, ["!r:x": 1])
        #expect(try db.notificationStates(of: alice)["!r:x"] == RoomNotificationState(notificationID: 0, count: 1, highlight: false))
        // Read elsewhere: the same.
        try db.markShown(alice, roomID: "!r:x", notificationID: 8, count: 2, eventIDs: [], highlight: true)
        #expect(try db.resetRooms(alice, ["!r:x"]) == 0)
        _ = try db.addRoomCounts(alice, ["!r:x": 1])
        #expect(try db.notificationStates(of: alice)["!r:x"]?.highlight == false)
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
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", rooms: ["!r:x": RoomInfo(name: "Ward", serverUnread: 31)]), now: 3)
        #expect(try db.rooms(of: alice)["!r:x"]?.serverUnread == 31)
    }

    @Test func whatShowingNeedsIsReadAtOnceAndAgreesWithTheSingleReads() throws {
        let db = try database()
        let bob = UserID("@bob:x")!
        #expect(try db.showing(bob, now: 1) == ShowingState(preview: "unlocked", notificationsEnabled: true, mutedRooms: [], notifications: [:]))
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": RoomInfo(name: "Ward"), "!q:x": RoomInfo(name: "Desk")]), now: 2)
        try db.markShown(alice, roomID: "!r:x", notificationID: 7, count: 2, eventIDs: [], highlight: true)
        try db.mute(alice, roomID: "!q:x", until: 100)
        try db.setPreview("never", for: alice)
        var s = try db.showing(alice, now: 50)
        #expect(s == ShowingState(preview: "never", notificationsEnabled: true, mutedRooms: ["!q:x"],
                                  notifications: ["!r:x": RoomNotificationState(notificationID: 7, count: 2, highlight: true)]))
        #expect(try s.mutedRooms == db.mutedRooms(alice, now: 50))
        #expect(try s.notifications == db.notificationStates(of: alice))
        #expect(try db.showing(alice, now: 100).mutedRooms.isEmpty)
        try db.setSetting("notifications", "off")
        s = try db.showing(alice, now: 50)
        #expect(!s.notificationsEnabled)
        #expect(try !db.notificationsEnabled(for: alice))
        try db.setSetting("notifications", "on")
        try db.setNotifications(false, for: alice)
        #expect(try !db.showing(alice, now: 50).notificationsEnabled)
    }

    @Test func powerLevelsAndCreatorsRoundTrip() throws {
        let db = try database()
        let info = RoomInfo(name: "Ward", joinedMembers: 3,
                            powerLevels: RoomPowerLevels(users: ["@a:x": 100, "@b:x": 50], usersDefault: 10, notifications: ["room": 75]),
                            creators: ["@a:x", "@c:x"], roomVersion: "12")
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": info]), now: 2)
        #expect(try db.rooms(of: alice)["!r:x"] == info)
        #expect(try db.rooms(of: alice, among: ["!r:x"])["!r:x"] == info)
    }

    @Test func readsPowerLevelsAsEarlierVersionsStoredThem() throws {
        let queue = try DatabaseQueue()
        let db = try AppDatabase(queue)
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: Array("sealed".utf8), stateSince: 1), now: 1)
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: ["!r:x": RoomInfo(name: "Ward")]), now: 2)
        try queue.write { db in
            try db.execute(sql: """
                UPDATE room SET powerLevels = '{"users":{"@a:x":100},"usersDefault":0,"notifications":{"room":50}}',
                creators = '["@a:x"]'
                """)
        }
        let read = try db.rooms(of: alice)["!r:x"]
        #expect(read?.powerLevels == RoomPowerLevels(users: ["@a:x": 100], usersDefault: 0, notifications: ["room": 50]))
        #expect(read?.creators == ["@a:x"])
    }

    @Test func readsOnlyTheRoomsAsked() throws {
        let db = try database()
        let rooms = ["!a:x": RoomInfo(name: "A"), "!b:x": RoomInfo(name: "B", joinedMembers: 3), "!c:x": RoomInfo(name: "C")]
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", rooms: rooms), now: 2)
        let some = try db.rooms(of: alice, among: ["!b:x", "!c:x", "!unknown:x"])
        #expect(some == ["!b:x": rooms["!b:x"]!, "!c:x": rooms["!c:x"]!])
        #expect(try db.rooms(of: UserID("@bob:x")!, among: ["!a:x"]).isEmpty)
        #expect(try db.rooms(of: alice, among: []).isEmpty)
    }
}

struct AccountSecurityTests {
    let alice = UserID("@alice:x")!

    func database() throws -> AppDatabase {
        let db = try AppDatabase.inMemory()
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: [1, 2, 3], stateSince: 1), now: 1)
        return db
    }

    @Test func pinAttemptsPersist() throws {
        let db = try database()
        #expect(try db.pinRecord(alice) == nil)
        try db.setPin(alice, salt: [1], hash: [2])
        try db.setPinAttempts(alice, PinAttempts(failures: 3, lockedUntil: 99, lastWrong: [9], lastWrongAt: 50))
        #expect(try db.pinRecord(alice) == PinRecord(salt: [1], hash: [2], attempts: PinAttempts(failures: 3, lockedUntil: 99, lastWrong: [9], lastWrongAt: 50)))
        try db.setPin(alice, salt: [3], hash: [4])
        #expect(try db.pinRecord(alice)?.attempts == PinAttempts())
    }

    @Test func aTombstoneKeepsOnlyWhyTheAccountWasSignedOut() throws {
        let db = try database()
        try db.setPin(alice, salt: [1], hash: [2])
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s", rooms: ["!r:x": RoomInfo(name: "R")],
                                     messages: [IncomingMessage(eventID: "$1", roomID: "!r:x", sender: "@b:x", senderName: "B", content: .text("t"), timestamp: 0)]), now: 2)
        try db.wipeKeepingTombstone(alice, reason: "device deleted", now: 3)
        let a = try #require(try db.account(alice))
        #expect(a.state == "signed_out")
        #expect(a.stateReason == "device deleted")
        #expect(a.accessToken.isEmpty && a.refreshToken == nil && a.since == nil)
        #expect(try db.pinRecord(alice) == nil)
        #expect(try db.rooms(of: alice).isEmpty)
        #expect(try db.unshown(alice).isEmpty)
    }

    @Test func tokensAreReplacedTogether() throws {
        let db = try database()
        try db.setTokens(alice, access: [7], refresh: [8], expiresAt: 123)
        let a = try #require(try db.account(alice))
        #expect(a.accessToken == [7] && a.refreshToken == [8] && a.tokenExpiresAt == 123)
    }

    @Test func pendingLogoutsQueueAndFinish() throws {
        let db = try database()
        try db.addPendingLogout(userID: "@alice:x", homeserver: "https://x", accessToken: [5], now: 1)
        let p = try #require(try db.pendingLogouts().first)
        try db.countPendingLogoutAttempt(p.id)
        #expect(try db.pendingLogouts().first?.attempts == 1)
        try db.finishPendingLogout(p.id)
        #expect(try db.pendingLogouts().isEmpty)
    }
}

struct LedgerPruningTests {
    @Test func pruningDropsOnlyOldShownEvents() throws {
        let alice = UserID("@alice:x")!
        let db = try AppDatabase.inMemory()
        try db.insertAccount(StoredAccount(userID: alice, homeserver: "https://x", deviceID: "D", accessToken: [1], stateSince: 1), now: 1)
        func msg(_ id: String) -> IncomingMessage {
            IncomingMessage(eventID: id, roomID: "!r:x", sender: "@b:x", senderName: "B", content: .text("t"), timestamp: 0)
        }
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s1", messages: [msg("$old"), msg("$unshown")]), now: 100)
        try db.markShown(alice, roomID: "!r:x", notificationID: 1, count: 1, eventIDs: ["$old"])
        _ = try db.commit(SyncCommit(userID: alice, nextBatch: "s2", messages: [msg("$new")]), now: 10_000)
        try db.markShown(alice, roomID: "!r:x", notificationID: 1, count: 2, eventIDs: ["$new"])
        try db.pruneLedger(olderThan: 5_000)
        // The old shown event is gone (a replay would show it again, but no replay reaches back a month);
        // the unshown one stays until it is shown.
        let again = try db.commit(SyncCommit(userID: alice, nextBatch: "s3", messages: [msg("$old"), msg("$new"), msg("$unshown")]), now: 10_001)
        #expect(again.fresh.map(\.eventID) == ["$old"])
        #expect(try db.unshown(alice)["!r:x"]?.contains("$unshown") == true)
    }
}
