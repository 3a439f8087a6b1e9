import HeraldCore
import HeraldStore
import Testing

struct SyncCommitTests {
    let alice = UserID("@alice:x")!

    @Test func anIdleAnswerChangesNothingButTheCursor() {
        #expect(SyncCommit(userID: alice, nextBatch: "s2").changesNothingButTheCursor)
        #expect(SyncCommit(userID: alice, nextBatch: "s2", crypto: CryptoCommit()).changesNothingButTheCursor)
    }

    @Test func anAnswerWithAnythingToStoreIsWritten() {
        let message = IncomingMessage(eventID: "$1", roomID: "!r:x", sender: "@b:x", senderName: "B", content: .text("t"), timestamp: 0)
        #expect(!SyncCommit(userID: alice, nextBatch: "s2", messages: [message]).changesNothingButTheCursor)
        #expect(!SyncCommit(userID: alice, nextBatch: "s2", rooms: ["!r:x": RoomInfo()]).changesNothingButTheCursor)
        #expect(!SyncCommit(userID: alice, nextBatch: "s2", members: [("!r:x", "@b:x", "B")]).changesNothingButTheCursor)
        #expect(!SyncCommit(userID: alice, nextBatch: "s2", leftRooms: ["!r:x"]).changesNothingButTheCursor)
        #expect(!SyncCommit(userID: alice, nextBatch: "s2", crypto: CryptoCommit(resolved: ["$e"])).changesNothingButTheCursor)
    }
}
