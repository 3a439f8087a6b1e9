import HeraldCore
import HeraldMatrix
import Testing

struct SyncDigestTests {
    let me = UserID("@alice:x")!

    func sync(timeline: [JSONValue], state: [JSONValue] = [], limited: Bool = false, unread: Int = 0) -> JSONValue {
        [
            "next_batch": "s2",
            "rooms": ["join": ["!r:x": [
                "summary": ["m.joined_member_count": 3],
                "state": ["events": .array(state)],
                "timeline": ["events": .array(timeline), "limited": .bool(limited)],
                "unread_notifications": ["notification_count": .number(Double(unread))],
            ]]],
        ]
    }

    func text(_ id: String, from sender: String = "@bob:x", _ body: String, msgtype: String = "m.text") -> JSONValue {
        ["type": "m.room.message", "event_id": .string(id), "sender": .string(sender), "origin_server_ts": 5,
         "content": ["msgtype": .string(msgtype), "body": .string(body)]]
    }

    @Test func keepsMessagesFromOthersAndSkipsOwnNoticesAndEdits() throws {
        let edit: JSONValue = ["type": "m.room.message", "event_id": "$e", "sender": "@bob:x",
                               "content": ["msgtype": "m.text", "body": "* fix", "m.relates_to": ["rel_type": "m.replace", "event_id": "$1"]]]
        let d = try SyncDigest.read(sync(timeline: [text("$1", "hi"), text("$2", from: "@alice:x", "mine"),
                                                    text("$3", "bot", msgtype: "m.notice"), edit]),
                                    me: me, known: [:], displayName: { _, _ in nil }, notify: true)
        #expect(d.nextBatch == "s2")
        #expect(d.messages.map(\.eventID) == ["$1"])
        #expect(d.messages.first?.content == .text("hi"))
        #expect(d.rooms["!r:x"]?.joinedMembers == 3)
    }

    @Test func theRoomsAfterAnAnswerAreTheKnownOnesWithItsChanges() throws {
        let known = ["!r:x": RoomInfo(name: "Old name"), "!other:x": RoomInfo(name: "Other"), "!gone:x": RoomInfo(name: "Gone")]
        let answer: JSONValue = [
            "next_batch": "s2",
            "rooms": [
                "join": ["!r:x": ["state": ["events": [["type": "m.room.name", "state_key": "", "content": ["name": "Pharmacy"]]]]]],
                "leave": ["!gone:x": [:]],
            ],
        ]
        let d = try SyncDigest.read(answer, me: me, known: known, displayName: { _, _ in nil }, notify: true)
        let after = d.rooms(after: known)
        #expect(after["!r:x"]?.name == "Pharmacy")
        #expect(after["!other:x"]?.name == "Other")
        #expect(after["!gone:x"] == nil)
        #expect(after.count == 2)
    }

    @Test func onlyRoomsThatChangedAreWrittenAgain() throws {
        let known = ["!r:x": RoomInfo(name: "Ward", joinedMembers: 3), "!q:x": RoomInfo(name: "Desk", joinedMembers: 3)]
        let answer: JSONValue = ["next_batch": "s2", "rooms": ["join": [
            "!r:x": ["summary": ["m.joined_member_count": 3], "timeline": ["events": [text("$1", "hi")]]],
            "!q:x": ["summary": ["m.joined_member_count": 4]],
            "!new:x": ["summary": ["m.joined_member_count": 2]],
        ]]]
        let d = try SyncDigest.read(answer, me: me, known: known, displayName: { _, _ in nil }, notify: true)
        let changed = d.changedRooms(from: known)
        #expect(Set(changed.keys) == ["!q:x", "!new:x"])
        #expect(changed["!q:x"]?.joinedMembers == 4)
        #expect(d.rooms(after: known)["!r:x"] == known["!r:x"])
    }

    @Test func anAnswerNeedsOnlyTheStoredRoomsItSpeaksOf() {
        #expect(SyncDigest.storedRooms(for: ["next_batch": "s2"]) == .none)
        #expect(SyncDigest.storedRooms(for: ["next_batch": "s2", "rooms": ["leave": ["!gone:x": [:]]]]) == .none)
        #expect(SyncDigest.storedRooms(for: sync(timeline: [text("$1", "hi")])) == .only(["!r:x"]))
        // A new m.direct may turn any stored room into a direct chat, or back, even alone in its answer.
        let direct: JSONValue = ["next_batch": "s2",
                                 "account_data": ["events": [["type": "m.direct", "content": ["@bob:x": ["!other:x"]]]]]]
        #expect(SyncDigest.storedRooms(for: direct) == .all)
    }

    @Test func anMDirectAloneMarksStoredRoomsDirect() throws {
        let known = ["!r:x": RoomInfo(name: "Ward"), "!dm:x": RoomInfo(isDirect: true)]
        let answer: JSONValue = ["next_batch": "s2",
                                 "account_data": ["events": [["type": "m.direct", "content": ["@bob:x": ["!r:x"]]]]]]
        let d = try SyncDigest.read(answer, me: me, known: known, displayName: { _, _ in nil }, notify: true)
        #expect(d.rooms["!r:x"]?.isDirect == true)
        #expect(d.rooms["!dm:x"]?.isDirect == false)
    }

    @Test func learnsRoomNamesAndDisplayNamesFromState() throws {
        let state: [JSONValue] = [
            ["type": "m.room.name", "state_key": "", "content": ["name": "Pharmacy"]],
            ["type": "m.room.member", "state_key": "@bob:x", "content": ["membership": "join", "displayname": "Dr Bob"]],
        ]
        let d = try SyncDigest.read(sync(timeline: [text("$1", "hi")], state: state), me: me, known: [:],
                                    displayName: { _, _ in nil }, notify: true)
        #expect(d.rooms["!r:x"]?.name == "Pharmacy")
        #expect(d.messages.first?.senderName == "Dr Bob")
        #expect(d.members.count == 1)
    }

    @Test func theFirstSyncNotifiesNothing() throws {
        let d = try SyncDigest.read(sync(timeline: [text("$1", "old")]), me: me, known: [:], displayName: { _, _ in nil }, notify: false)
        #expect(d.messages.isEmpty)
        #expect(d.rooms["!r:x"] != nil)
    }

    @Test func aLimitedTimelineReportsTheUnreadCount() throws {
        let d = try SyncDigest.read(sync(timeline: [text("$1", "x")], limited: true, unread: 40), me: me, known: [:],
                                    displayName: { _, _ in nil }, notify: true)
        #expect(d.unreadHints == ["!r:x": 40])
        #expect(d.rooms["!r:x"]?.serverUnread == 40)
    }

    @Test func aGapCountsOnlyWhatTheServerCountedSinceThePreviousAnswer() throws {
        // 1 unread before Herald's previous answer (from before it signed in, or announced then).
        let known = ["!r:x": RoomInfo(joinedMembers: 3, serverUnread: 1)]
        let d = try SyncDigest.read(sync(timeline: [text("$1", "x")], limited: true, unread: 31), me: me, known: known,
                                    displayName: { _, _ in nil }, notify: true)
        #expect(d.unreadHints == ["!r:x": 30])
        #expect(d.rooms["!r:x"]?.serverUnread == 31)
        // A count that went down (read elsewhere meanwhile) gives no hint: the timeline counts.
        let read = try SyncDigest.read(sync(timeline: [text("$2", "y")], limited: true, unread: 2), me: me,
                                       known: ["!r:x": RoomInfo(serverUnread: 9)], displayName: { _, _ in nil }, notify: true)
        #expect(read.unreadHints.isEmpty)
        #expect(read.rooms["!r:x"]?.serverUnread == 2)
    }

    @Test func aGapIsPagedBackFromItsPrevBatchOnlyWhenTheAnswerNotifies() throws {
        let answer: JSONValue = ["next_batch": "s2", "rooms": ["join": ["!r:x": [
            "timeline": ["events": [text("$9", "latest")], "limited": true, "prev_batch": "p8"],
            "unread_notifications": ["notification_count": 3],
        ]]]]
        let d = try SyncDigest.read(answer, me: me, known: [:], displayName: { _, _ in nil }, notify: true)
        #expect(d.gaps == ["!r:x": "p8"])
        let first = try SyncDigest.read(answer, me: me, known: [:], displayName: { _, _ in nil }, notify: false)
        #expect(first.gaps.isEmpty)
    }

    @Test func aGapCountsWhatWouldHaveNotified() {
        let events = [text("$1", "hello"), text("$2", from: "@alice:x", "mine"), text("$3", "bot", msgtype: "m.notice"),
                      text("$4", "again")]
        #expect(SyncDigest.notifyingCount(events, roomID: "!r:x", room: RoomInfo(joinedMembers: 2), me: me, myName: nil,
                                          rules: nil) == 2)
    }

    @Test func theFirstSyncRemembersTheServerCount() throws {
        let d = try SyncDigest.read(sync(timeline: [text("$1", "old")], unread: 4), me: me, known: [:],
                                    displayName: { _, _ in nil }, notify: false)
        #expect(d.rooms["!r:x"]?.serverUnread == 4)
        #expect(d.unreadHints.isEmpty)
    }

    @Test func anAnswerWithoutNextBatchIsRefused() {
        #expect(throws: MatrixError.self) {
            try SyncDigest.read(["rooms": [:]], me: me, known: [:], displayName: { _, _ in nil }, notify: true)
        }
    }

    @Test func serverErrorsAreClassified() {
        let gone = MatrixError.server(status: 401, errcode: "M_UNKNOWN_TOKEN", message: "", retryAfterMilliseconds: nil, softLogout: false)
        let soft = MatrixError.server(status: 401, errcode: "M_UNKNOWN_TOKEN", message: "", retryAfterMilliseconds: nil, softLogout: true)
        let busy = MatrixError.server(status: 429, errcode: "M_LIMIT_EXCEEDED", message: "", retryAfterMilliseconds: 2000, softLogout: false)
        #expect(gone.isLoggedOut && !gone.isTransient)
        #expect(!soft.isLoggedOut)
        #expect(busy.isTransient && !busy.isLoggedOut)
    }

    @Test func escapesPathSegments() {
        #expect(MatrixClient.escape("@alice:x.org") == "%40alice%3Ax.org")
        #expect(MatrixClient.escape("s72_1~a.b-c") == "s72_1~a.b-c")
        #expect(MatrixClient.escape("é") == "%C3%A9")
    }
}

struct ReadElsewhereTests {
    let me = UserID("@alice:x")!

    func room(unread: Int?, receiptFrom reader: String? = nil) -> JSONValue {
        var r: [String: JSONValue] = ["timeline": ["events": []]]
        if let unread { r["unread_notifications"] = ["notification_count": .number(Double(unread))] }
        if let reader {
            r["ephemeral"] = ["events": [["type": "m.receipt", "content": ["$e": ["m.read": [reader: ["ts": 1]]]]]]]
        }
        return ["next_batch": "s", "rooms": ["join": ["!r:x": .object(r)]]]
    }

    func read(_ sync: JSONValue) throws -> Set<String> {
        try SyncDigest.read(sync, me: me, known: [:], displayName: { _, _ in nil }, notify: true).readRooms
    }

    @Test func aZeroUnreadCountMeansReadElsewhere() throws {
        #expect(try read(room(unread: 0)) == ["!r:x"])
        #expect(try read(room(unread: 2)).isEmpty)
    }

    @Test func myOwnReceiptMeansReadWhenTheServerGivesNoCount() throws {
        #expect(try read(room(unread: nil, receiptFrom: "@alice:x")) == ["!r:x"])
        #expect(try read(room(unread: nil, receiptFrom: "@bob:x")).isEmpty)
        #expect(try read(room(unread: 1, receiptFrom: "@alice:x")).isEmpty)
    }
}

struct SyncDigestPushRuleTests {
    let me = UserID("@alice:x")!

    func sync(_ events: [JSONValue], accountData: [JSONValue] = []) -> JSONValue {
        ["next_batch": "s", "account_data": ["events": .array(accountData)],
         "rooms": ["join": ["!r:x": ["summary": ["m.joined_member_count": 3], "timeline": ["events": .array(events)]]]]]
    }

    let mention: JSONValue = ["type": "m.room.message", "event_id": "$m", "sender": "@bob:x",
                              "content": ["msgtype": "m.text", "body": "look", "m.mentions": ["user_ids": ["@alice:x"]]]]

    @Test func aMentionIsAHighlight() throws {
        let d = try SyncDigest.read(sync([mention]), me: me, known: [:], displayName: { _, _ in nil }, notify: true)
        #expect(d.messages.first?.highlight == true)
    }

    let plain: JSONValue = ["type": "m.room.message", "event_id": "$p", "sender": "@bob:x",
                            "content": ["msgtype": "m.text", "body": "hello"]]

    /// A room rule with no actions mutes ordinary messages; mentions are override rules and still come through.
    @Test func aRoomMutedByAPushRuleNotifiesNothingAndNewRulesTakeOverAtOnce() throws {
        let muted: JSONValue = ["global": ["override": [], "content": [], "sender": [], "underride": [],
                                           "room": [["rule_id": "!r:x", "default": false, "enabled": true, "actions": []]]]]
        let rules = PushRuleEvaluator(rules: PushRuleSet(accountData: muted, userID: me))
        let d = try SyncDigest.read(sync([plain, mention]), me: me, known: [:], displayName: { _, _ in nil }, notify: true, rules: rules)
        #expect(d.messages.map(\.eventID) == ["$m"])
        let fresh = try SyncDigest.read(sync([plain], accountData: [["type": "m.push_rules", "content": muted]]),
                                        me: me, known: [:], displayName: { _, _ in nil }, notify: true)
        #expect(fresh.messages.isEmpty)
        #expect(fresh.pushRules != nil)
    }

    let encrypted: JSONValue = ["type": "m.room.encrypted", "event_id": "$e", "sender": "@bob:x",
                                "content": ["algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "xx"]]

    @Test func anEncryptedMessageIsNoHighlightByDefault() throws {
        let d = try SyncDigest.read(sync([encrypted]), me: me, known: [:], displayName: { _, _ in nil }, notify: true)
        #expect(d.messages.first?.content == .encrypted)
        #expect(d.messages.first?.highlight == false)
    }

    func read(_ events: [JSONValue], rules: JSONValue? = nil) throws -> [IncomingMessage] {
        let set = rules.map { PushRuleEvaluator(rules: PushRuleSet(accountData: $0, userID: me)) }
        return try SyncDigest.read(sync(events), me: me, known: [:], displayName: { _, _ in nil }, notify: true, rules: set).messages
    }

    func own(room: [JSONValue] = [], override: [JSONValue] = []) -> JSONValue {
        ["global": ["override": .array(override), "content": [], "sender": [], "underride": [], "room": .array(room)]]
    }

    let roomRule: JSONValue = ["rule_id": "!r:x", "default": false, "enabled": true,
                               "actions": ["notify", ["set_tweak": "highlight"]]]

    /// The highlight comes from a rule that reads no text, so it holds for a message Herald cannot read either.
    @Test func aRoomRulesHighlightAppliesToEncryptedMessagesToo() throws {
        let shown = try read([encrypted], rules: own(room: [roomRule]))
        #expect(shown.map(\.content) == [.encrypted])
        #expect(shown.first?.highlight == true)
    }

    @Test func aCallIsShownAsAnIncomingCall() throws {
        let call: JSONValue = ["type": "m.call.invite", "event_id": "$c", "sender": "@bob:x",
                               "content": ["call_id": "1", "version": "1", "lifetime": 60000, "offer": ["type": "offer", "sdp": "v=0"]]]
        let shown = try read([call])
        #expect(shown.map(\.content) == [.call])
        #expect(shown.first?.sound == "ring")
    }

    @Test func aTombstoneSaysTheRoomWasReplaced() throws {
        let tombstone: JSONValue = ["type": "m.room.tombstone", "state_key": "", "event_id": "$t", "sender": "@bob:x",
                                    "content": ["body": "moved", "replacement_room": "!new:x"]]
        let shown = try read([tombstone])
        #expect(shown.map(\.content) == [.roomReplaced])
        #expect(shown.first?.highlight == true)
    }

    /// The spec's rule for edits with mentions: the edit lists only the users it newly mentions.
    @Test func anEditThatAddsAMentionOfMeIsShownWithItsNewText() throws {
        let edit: JSONValue = ["type": "m.room.message", "event_id": "$e2", "sender": "@bob:x", "content": [
            "msgtype": "m.text", "body": "* hi Alice", "m.mentions": ["user_ids": ["@alice:x"]],
            "m.new_content": ["msgtype": "m.text", "body": "hi Alice", "m.mentions": ["user_ids": ["@alice:x"]]],
            "m.relates_to": ["rel_type": "m.replace", "event_id": "$1"],
        ]]
        let shown = try read([edit])
        #expect(shown.map(\.content) == [.text("hi Alice")])
        #expect(shown.first?.highlight == true)
    }

    @Test func aNoticeIsShownWhenTheUsersRulesMakeNoticesNotify() throws {
        let notice: JSONValue = ["type": "m.room.message", "event_id": "$n", "sender": "@bot:x",
                                 "content": ["msgtype": "m.notice", "body": "build passed"]]
        #expect(try read([notice]).isEmpty)
        let notices: JSONValue = ["rule_id": "notices", "default": false, "enabled": true, "actions": ["notify"],
                                  "conditions": [["kind": "event_match", "key": "content.msgtype", "pattern": "m.notice"]]]
        #expect(try read([notice], rules: own(override: [notices])).map(\.content) == [.text("build passed")])
    }

    /// The invitation was announced from the invite's stripped state; once the room is joined,
    /// the same invite in its timeline must not be announced a second time.
    @Test func anInviteInAJoinedRoomsTimelineIsNotAnnouncedAgain() throws {
        let invite: JSONValue = ["type": "m.room.member", "state_key": "@alice:x", "event_id": "$i", "sender": "@bob:x",
                                 "content": ["membership": "invite", "displayname": "Alice"]]
        let message: JSONValue = ["type": "m.room.message", "event_id": "$1", "sender": "@bob:x",
                                  "content": ["msgtype": "m.text", "body": "hi"]]
        #expect(try read([invite, message]).map(\.eventID) == ["$1"])
    }

    @Test func aStateEventIsShownInARoomWhoseRuleNotifies() throws {
        let topic: JSONValue = ["type": "m.room.topic", "state_key": "", "event_id": "$s", "sender": "@bob:x",
                                "content": ["topic": "Friday"]]
        #expect(try read([topic]).isEmpty)
        let shown = try read([topic], rules: own(room: [roomRule]))
        #expect(shown.map(\.content) == [.roomChanged])
        #expect(shown.first?.eventID == "$s")
    }
}
