import HeraldCore
import Testing

private typealias F = PushFixture

struct PushRuleParsingTests {
    private func ids(_ set: PushRuleSet, _ kind: PushRuleKind) -> [String] { set[kind].map(\.ruleID) }

    @Test(arguments: [
        "garbage", 5, .null, [], ["global": 5], ["global": []], ["global": ["override": "x", "underride": 3]],
        ["nope": ["override": [["rule_id": "a", "actions": []]]]],
    ] as [JSONValue])
    func garbageGivesNoRulesAndThenTheDefaults(_ content: JSONValue) {
        #expect(PushRuleSet(parsing: content) == PushRuleSet())
        #expect(PushRuleSet(accountData: content, userID: F.me) == PushRuleSet.defaults(for: F.me))
    }

    @Test func malformedRulesAreSkippedAndTheRestKeptInOrder() {
        let set = PushRuleSet(parsing: ["global": ["override": [
            5, "rule", [:],
            ["rule_id": 5, "actions": []],
            ["rule_id": "", "actions": []],
            ["rule_id": "no-actions"],
            ["rule_id": "actions-not-array", "actions": "notify"],
            ["rule_id": "enabled-not-bool", "actions": [], "enabled": "yes"],
            ["rule_id": "conditions-not-array", "actions": [], "conditions": ["kind": "event_match"]],
            ["rule_id": "a", "actions": ["notify"], "unknown_field": ["x": 1], "default": "weird"],
            ["rule_id": .string(String(repeating: "x", count: 1025)), "actions": []],
            ["rule_id": "b", "actions": [], "enabled": false],
        ]]])
        #expect(ids(set, .override) == ["a", "b"])
        #expect(set.override[0].enabled && !set.override[1].enabled, "enabled defaults to true")
    }

    @Test func contentRulesNeedAPatternOfBoundedSize() {
        let set = PushRuleSet(parsing: ["global": ["content": [
            ["rule_id": "none", "actions": ["notify"]],
            ["rule_id": "number", "actions": ["notify"], "pattern": 5],
            ["rule_id": "long", "actions": ["notify"], "pattern": .string(String(repeating: "a", count: 1025))],
            ["rule_id": "max", "actions": ["notify"], "pattern": .string(String(repeating: "é", count: 512))],
        ]]])
        #expect(ids(set, .content) == ["max"])
    }

    @Test func tooManyConditionsSkipTheRuleRatherThanWidenIt() {
        let many = JSONValue.array(Array(repeating: ["kind": "event_match", "key": "type", "pattern": "x"], count: 65))
        let set = PushRuleSet(parsing: ["global": ["override": [["rule_id": "many", "actions": ["notify"], "conditions": many]]]])
        #expect(set.override.isEmpty)
    }

    @Test func atMostAThousandRulesPerKind() {
        let rules = (0..<1500).map { JSONValue.object(["rule_id": .string("!r\($0):x"), "actions": []]) }
        let set = PushRuleSet(parsing: ["global": ["room": .array(rules), "sender": .array(rules)]])
        #expect(set.room.count == 1000)
        #expect(set.room.last?.ruleID == "!r999:x")
        #expect(set.sender.count == 1000)
    }

    @Test func conditionsAndActionsAreReadAsTheSpecWritesThem() {
        let set = PushRuleSet(parsing: ["global": ["underride": [[
            "rule_id": "r",
            "conditions": [
                ["kind": "event_match", "key": "type", "pattern": "m.*", "extra": true],
                ["kind": "event_property_is", "key": "content.x", "value": .null],
                ["kind": "event_property_contains", "key": "content.y", "value": 7],
                ["kind": "event_property_is", "key": "content.x", "value": ["nested": 1]],
                ["kind": "contains_display_name"],
                ["kind": "room_member_count", "is": "<=3"],
                ["kind": "sender_notification_permission", "key": "room"],
                ["kind": "org.example"],
            ],
            "actions": ["notify", "coalesce", "dont_notify", ["set_tweak": "sound", "value": 3],
                        ["set_tweak": "sound", "value": "ping"], ["set_tweak": "highlight"], ["set_tweak": "org.example"]],
        ]]]])
        #expect(set.underride.first?.conditions == [
            .eventMatch(key: "type", pattern: "m.*"),
            .eventPropertyIs(key: "content.x", value: .null),
            .eventPropertyContains(key: "content.y", value: 7),
            .unknown(kind: "event_property_is"),
            .containsDisplayName,
            .roomMemberCount(is: "<=3"),
            .senderNotificationPermission(key: "room"),
            .unknown(kind: "org.example"),
        ])
        #expect(set.underride.first?.actions == [.notify, .sound("ping"), .highlight(true)])
    }

    @Test func defaultsAreInSpecOrderWithSynapsesLegacyRulesInPlace() {
        let d = PushRuleSet.defaults(for: F.me)
        #expect(ids(d, .override) == [
            ".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
            ".m.rule.is_user_mention", ".m.rule.contains_display_name", ".m.rule.is_room_mention", ".m.rule.roomnotif",
            ".m.rule.tombstone", ".m.rule.reaction", ".m.rule.room.server_acl", ".m.rule.suppress_edits",
        ])
        #expect(d.override[0].enabled == false && d.override[0].actions.isEmpty)
        #expect(d.content.map(\.pattern) == ["alice"])
        #expect(d.room.isEmpty && d.sender.isEmpty)
        #expect(ids(d, .underride) == [
            ".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted",
        ])
    }

    @Test func aFullServerRulesetRoundTripsUnchanged() {
        var expected = PushRuleSet.defaults(for: F.me)
        expected.override[0].enabled = true
        let content = F.server { $0.override[0].enabled = true }
        #expect(PushRuleSet(parsing: content) == expected)
        #expect(PushRuleSet(accountData: content, userID: F.me) == expected)
    }

    @Test func ownRulesGoBeforeTheDefaultsOfTheirKindAfterMaster() {
        let set = PushRuleSet(accountData: F.own(override: [F.rule("mine")], room: [F.rule(F.room, actions: [])]), userID: F.me)
        #expect(ids(set, .override).prefix(3) == [".m.rule.master", "mine", ".m.rule.suppress_notices"])
        #expect(ids(set, .room) == [F.room])
        #expect(set.underride == PushRuleSet.defaults(for: F.me).underride)
    }

    @Test func anEventFromSync() throws {
        let raw: JSONValue = ["type": "m.room.member", "sender": "@bob:x", "state_key": "@alice:x", "event_id": "$1",
                              "content": ["membership": "invite", "m.relates_to": ["a.b": ["c\\d": "deep"]]]]
        let e = try #require(PushEvent(json: raw, roomID: F.room))
        #expect(e == PushEvent(type: "m.room.member", sender: "@bob:x", roomID: F.room, stateKey: "@alice:x", content: raw["content"]!))
        #expect(e.value(at: "room_id") == .string(F.room))
        #expect(e.value(at: #"content.m\.relates_to.a\.b.c\\d"#) == "deep")
        #expect(e.value(at: "event_id") == nil, "only type, sender, room_id, state_key and content are visible")
        #expect(e.value(at: "content.membership.x") == nil)
        #expect(PushEvent(json: ["type": "m.room.message"], roomID: F.room) == nil)
        #expect(PushEvent(json: ["type": "m.room.message", "sender": "@bob:x"], roomID: F.room)?.content == [:],
                "a redacted event has empty content")
    }

    @Test func powerLevelsFromTheirEvent() {
        let pl = RoomPowerLevels(content: [
            "users": ["@bob:x": 50, "@old:x": "75", "@bad:x": "high", "@float:x": .number(20.0)],
            "users_default": "10",
            "notifications": ["room": 20, "odd": ["x": 1]],
            "ban": 50,
        ])
        #expect(pl == RoomPowerLevels(users: ["@bob:x": 50, "@old:x": 75, "@float:x": 20], usersDefault: 10,
                                      notifications: ["room": 20]))
        #expect(RoomPowerLevels(content: "garbage") == RoomPowerLevels())
    }

    @Test func powerOfCreatorsByRoomVersion() {
        func level(_ version: String, _ pl: RoomPowerLevels?) -> Int {
            PushContext(me: F.me, joinedMemberCount: 2, powerLevels: pl, creators: [F.bob], roomVersion: version).powerLevel(of: F.bob)
        }
        #expect(level("10", nil) == 100)
        #expect(level("10", RoomPowerLevels(users: [F.bob: 30])) == 30)
        #expect(level("12", RoomPowerLevels(users: [F.bob: 30])) == .max)
        #expect(level("org.matrix.hydra.11", RoomPowerLevels()) == .max)
        #expect(level("9", RoomPowerLevels(usersDefault: 5)) == 5)
    }

    @Test func aHostileBodyAgainstAHostilePatternStaysLinear() {
        // The largest pattern accepted against the largest event body (Matrix caps events at 64 KiB).
        let pattern = String(repeating: "*a", count: 511) + "b"
        let rules = PushRuleSet(accountData: F.own(content: [F.rule("kw", pattern: pattern)]), userID: F.me)
        let body = String(repeating: "a", count: 65_536)
        let actions = PushRuleEvaluator(rules: rules)
            .evaluate(event: F.message(body), context: PushContext(me: F.me, joinedMemberCount: 5))
        #expect(actions == .plain)
    }
}
