import HeraldCore
import Testing

struct NotificationPlannerTests {
    func message(_ id: String, room: String = "!r:x", from name: String = "Bob", _ text: String) -> IncomingMessage {
        IncomingMessage(eventID: id, roomID: room, sender: "@bob:x", senderName: name, content: .text(text), timestamp: 0)
    }

    @Test func directChatIsTitledByThePersonAlone() {
        let plans = NotificationPlanner.plan(messages: [message("$1", "hello")], states: [:],
                                             rooms: ["!r:x": RoomInfo(name: nil, joinedMembers: 2)], markup: false)
        #expect(plans == [PlannedNotification(roomID: "!r:x", replacesID: 0, summary: "Bob", body: "hello", count: 1, lastEventID: "$1")])
    }

    @Test func namedRoomAddsTheRoomNameAndOneNotificationPerRoom() {
        let plans = NotificationPlanner.plan(
            messages: [message("$1", "a"), message("$2", room: "!s:x", from: "Eve", "b"), message("$3", "c")],
            states: [:], rooms: ["!r:x": RoomInfo(name: "Ward 3", joinedMembers: 5)], markup: false)
        #expect(plans.map(\.roomID) == ["!r:x", "!s:x"])
        #expect(plans[0].summary == "Bob (Ward 3)")
        #expect(plans[0].body == "c\n2 new messages")
        #expect(plans[0].count == 2)
        #expect(plans[1].summary == "Eve")
    }

    @Test func replacesTheRoomsNotificationAndCountsOn() {
        let plans = NotificationPlanner.plan(messages: [message("$9", "again")],
                                             states: ["!r:x": RoomNotificationState(notificationID: 42, count: 2)],
                                             rooms: [:], markup: false)
        #expect(plans.first?.replacesID == 42)
        #expect(plans.first?.count == 3)
        #expect(plans.first?.body == "again\n3 new messages")
    }

    @Test func escapesMarkupOnlyWhenTheServerRendersIt() {
        let m = [message("$1", "<b>5 & 6</b>")]
        #expect(NotificationPlanner.plan(messages: m, states: [:], rooms: [:], markup: true).first?.body == "&lt;b&gt;5 &amp; 6&lt;/b&gt;")
        #expect(NotificationPlanner.plan(messages: m, states: [:], rooms: [:], markup: false).first?.body == "<b>5 & 6</b>")
    }

    @Test func aTimelineGapCountsWhatTheServerSaysIsNew() {
        let plans = NotificationPlanner.plan(messages: [message("$1", "latest")], states: [:], rooms: [:],
                                             unreadHints: ["!r:x": 37], markup: false)
        #expect(plans.first?.count == 37)
        #expect(plans.first?.body.hasSuffix("37 new messages") == true)
    }

    @Test func aGapAddsToWhatTheNotificationAlreadyStandsForWithoutCountingItTwice() {
        let shown = ["!r:x": RoomNotificationState(notificationID: 4, count: 1)]
        let gap = NotificationPlanner.plan(messages: [message("$2", "latest")], states: shown, rooms: [:],
                                           unreadHints: ["!r:x": 30], markup: false)
        #expect(gap.first?.count == 31)
        // A hint below what the timeline itself shows (a receipt moved meanwhile) counts the timeline.
        let small = NotificationPlanner.plan(messages: [message("$2", "a"), message("$3", "b")], states: shown, rooms: [:],
                                             unreadHints: ["!r:x": 1], markup: false)
        #expect(small.first?.count == 3)
    }

    @Test func aMentionStaysUrgentWhenAPlainMessageReplacesIt() {
        var mention = message("$1", "@alice can you check?")
        mention.highlight = true
        let first = NotificationPlanner.plan(messages: [mention], states: [:], rooms: [:], markup: false)
        #expect(first.first?.highlight == true)
        let after = NotificationPlanner.plan(messages: [message("$2", "thanks")],
                                             states: ["!r:x": RoomNotificationState(notificationID: 5, count: 1, highlight: true)],
                                             rooms: [:], markup: false)
        #expect(after.first?.highlight == true)
        let plain = NotificationPlanner.plan(messages: [message("$3", "ok")],
                                             states: ["!r:x": RoomNotificationState(notificationID: 5, count: 1)],
                                             rooms: [:], markup: false)
        #expect(plain.first?.highlight == false)
    }
}
