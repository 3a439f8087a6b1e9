import HeraldCore
import Testing

/// One line of the conformance table: an event, the rules (nil: the server sent none), the room
/// as the evaluator sees it, and the actions expected.
struct PushRow: Sendable, CustomTestStringConvertible {
    var name: String
    var event: PushEvent
    var rules: JSONValue? = nil
    var members = 5
    var powerLevels: RoomPowerLevels? = nil
    var displayName: String? = "Ally"
    var creators: Set<String> = []
    var roomVersion = "10"
    var expected: PushActions

    var testDescription: String { name }

    func run() -> PushActions {
        let context = PushContext(me: PushFixture.me, displayName: displayName, joinedMemberCount: members,
                                  powerLevels: powerLevels, creators: creators, roomVersion: roomVersion)
        let rules = PushRuleSet(accountData: rules, userID: PushFixture.me)
        return PushRuleEvaluator(rules: rules).evaluate(event: event, context: context)
    }
}

private typealias F = PushFixture

/// A user override rule named "test" with one condition, over a plain group message unless told.
private func when(_ name: String, _ condition: JSONValue, _ event: PushEvent = F.message("hello"),
                  matches: Bool, members: Int = 5, powerLevels: RoomPowerLevels? = nil,
                  displayName: String? = "Ally", creators: Set<String> = [], roomVersion: String = "10") -> PushRow {
    PushRow(name: name, event: event, rules: F.own(override: [F.rule("test", [condition])]), members: members,
            powerLevels: powerLevels, displayName: displayName, creators: creators, roomVersion: roomVersion,
            expected: matches ? .marked() : .plain)
}

private func match(_ key: String, _ pattern: String) -> JSONValue {
    ["kind": "event_match", "key": .string(key), "pattern": .string(pattern)]
}

private func propertyIs(_ key: String, _ value: JSONValue) -> JSONValue {
    ["kind": "event_property_is", "key": .string(key), "value": value]
}

private func propertyContains(_ key: String, _ value: JSONValue) -> JSONValue {
    ["kind": "event_property_contains", "key": .string(key), "value": value]
}

private func memberCount(_ test: String) -> JSONValue { ["kind": "room_member_count", "is": .string(test)] }
private let roomPermission: JSONValue = ["kind": "sender_notification_permission", "key": "room"]
private func mentions(_ users: [JSONValue] = [], room: Bool? = nil) -> [String: JSONValue] {
    var m: [String: JSONValue] = ["user_ids": .array(users)]
    if let room { m["room"] = .bool(room) }
    return ["m.mentions": .object(m)]
}

/// 80 positions: patterns this long span two words of the matcher's bit set.
private let long = String(repeating: "ab", count: 20) + "*" + String(repeating: "c", count: 39)
private let longText = String(repeating: "ab", count: 20) + " and then " + String(repeating: "c", count: 39)

private let edit: [String: JSONValue] = ["m.relates_to": ["rel_type": "m.replace", "event_id": "$orig"]]

struct PushRuleConformanceTests {
    /// Every default rule, with the server having sent no rules.
    static let defaultRules: [PushRow] = [
        PushRow(name: "group message → .m.rule.message, no sound (master off by default)",
                event: F.message("hello"), expected: .plain),
        PushRow(name: "master enabled mutes a mention", event: F.message("hi", extra: mentions([.string(F.me.rawValue)])),
                rules: F.server { $0.override[0].enabled = true }, expected: .silent(".m.rule.master")),
        PushRow(name: "master enabled mutes a 1:1 message", event: F.message("hi"),
                rules: F.server { $0.override[0].enabled = true }, members: 2, expected: .silent(".m.rule.master")),
        PushRow(name: "suppress_notices", event: F.message("bot says", msgtype: "m.notice"),
                expected: .silent(".m.rule.suppress_notices")),
        PushRow(name: "suppress_notices comes before is_user_mention",
                event: F.message("bot", msgtype: "m.notice", extra: mentions([.string(F.me.rawValue)])),
                expected: .silent(".m.rule.suppress_notices")),
        PushRow(name: "invite_for_me: sound, no highlight",
                event: F.event("m.room.member", stateKey: F.me.rawValue, content: ["membership": "invite"]),
                expected: .by(".m.rule.invite_for_me", sound: "default")),
        PushRow(name: "invite for someone else → member_event",
                event: F.event("m.room.member", stateKey: "@carol:x", content: ["membership": "invite"]),
                expected: .silent(".m.rule.member_event")),
        PushRow(name: "join → member_event", event: F.event("m.room.member", stateKey: F.bob, content: ["membership": "join"]),
                expected: .silent(".m.rule.member_event")),
        PushRow(name: "is_user_mention: highlight and sound",
                event: F.message("look", extra: mentions([.string(F.me.rawValue)])),
                expected: .by(".m.rule.is_user_mention", sound: "default", highlight: true)),
        PushRow(name: "m.mentions naming others: legacy display-name rule skipped",
                event: F.message("Ally and carol", extra: mentions(["@carol:x"])), expected: .plain),
        PushRow(name: "legacy contains_display_name without m.mentions",
                event: F.message("hi Ally!"), expected: .by(".m.rule.contains_display_name", sound: "default", highlight: true)),
        PushRow(name: "display name must be a whole word", event: F.message("Allyson is here"), expected: .plain),
        PushRow(name: "display name ignores case", event: F.message("ALLY?"),
                expected: .by(".m.rule.contains_display_name", sound: "default", highlight: true)),
        PushRow(name: "is_room_mention by a sender at the room level: highlight, no sound",
                event: F.message("everyone", extra: mentions(room: true)),
                powerLevels: RoomPowerLevels(users: [F.bob: 50]), expected: .by(".m.rule.is_room_mention", highlight: true)),
        PushRow(name: "is_room_mention by a sender below the room level",
                event: F.message("everyone", extra: mentions(room: true)), powerLevels: RoomPowerLevels(), expected: .plain),
        PushRow(name: "legacy roomnotif: @room by the creator, no power-levels event",
                event: F.message("@room standup"), creators: [F.bob], expected: .by(".m.rule.roomnotif", highlight: true)),
        PushRow(name: "legacy roomnotif skipped with m.mentions", event: F.message("@room standup", extra: mentions()),
                creators: [F.bob], expected: .plain),
        PushRow(name: "legacy roomnotif needs the room permission", event: F.message("@room standup"),
                powerLevels: RoomPowerLevels(users: [F.bob: 49]), expected: .plain),
        PushRow(name: "tombstone: highlight, no sound",
                event: F.event("m.room.tombstone", stateKey: "", content: ["replacement_room": "!new:x"]),
                expected: .by(".m.rule.tombstone", highlight: true)),
        PushRow(name: "tombstone with a state key is no tombstone", event: F.event("m.room.tombstone", stateKey: "x"),
                expected: .none),
        PushRow(name: "reaction", event: F.event("m.reaction", content: ["m.relates_to": ["rel_type": "m.annotation", "key": "👍"]]),
                expected: .silent(".m.rule.reaction")),
        PushRow(name: "server ACL", event: F.event("m.room.server_acl", stateKey: ""), expected: .silent(".m.rule.room.server_acl")),
        PushRow(name: "suppress_edits", event: F.message("* fixed", extra: edit), expected: .silent(".m.rule.suppress_edits")),
        PushRow(name: "an edit that mentions me still highlights",
                event: F.message("* fixed", extra: edit.merging(mentions([.string(F.me.rawValue)])) { $1 }),
                expected: .by(".m.rule.is_user_mention", sound: "default", highlight: true)),
        PushRow(name: "legacy contains_user_name (content rule)", event: F.message("ping alice."),
                expected: .by(".m.rule.contains_user_name", sound: "default", highlight: true)),
        PushRow(name: "legacy contains_user_name skipped with m.mentions", event: F.message("ping alice.", extra: mentions()),
                expected: .plain),
        PushRow(name: "call: ring, no highlight", event: F.event("m.call.invite", content: ["call_id": "c1"]),
                expected: .by(".m.rule.call", sound: "ring")),
        PushRow(name: "encrypted, 2 members: sound, never highlight",
                event: F.event("m.room.encrypted", content: ["algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AAA"]),
                members: 2, expected: .by(".m.rule.encrypted_room_one_to_one", sound: "default")),
        PushRow(name: "encrypted in a group", event: F.event("m.room.encrypted", content: ["ciphertext": "AAA"]),
                expected: .by(".m.rule.encrypted")),
        PushRow(name: "encrypted edit: cleartext m.relates_to still suppresses",
                event: F.event("m.room.encrypted", content: .object(edit.merging(["ciphertext": "AAA"]) { $1 })),
                members: 2, expected: .silent(".m.rule.suppress_edits")),
        PushRow(name: "message, 2 members: room_one_to_one with sound", event: F.message("hi"), members: 2,
                expected: .by(".m.rule.room_one_to_one", sound: "default")),
        PushRow(name: "my own event never notifies, even a mention",
                event: F.message("note to self", extra: mentions([.string(F.me.rawValue)]), from: F.me.rawValue),
                expected: .none),
        PushRow(name: "no rule for a topic change", event: F.event("m.room.topic", stateKey: "", content: ["topic": "t"]),
                expected: .none),
        PushRow(name: "no default rule for stickers", event: F.event("m.sticker", content: ["body": "cat"]), expected: .none),
    ]

    /// event_match: paths and escapes, globs, case, whole values and word edges.
    static let eventMatch: [PushRow] = [
        when("body: a whole word", match("content.body", "cake"), F.message("I like cake!"), matches: true),
        when("body: not a prefix of a word", match("content.body", "cake"), F.message("cakes"), matches: false),
        when("body: _ is a word character", match("content.body", "cake"), F.message("cake_shop"), matches: false),
        when("body: digits are word characters", match("content.body", "cake"), F.message("cake2"), matches: false),
        when("body: case and punctuation", match("content.body", "CAKE"), F.message("(cake)"), matches: true),
        when("body: * inside a word", match("content.body", "ca*e"), F.message("a castle here"), matches: true),
        when("body: * across words", match("content.body", "foo*bar"), F.message("foo and bar"), matches: true),
        when("body: ** is * and may be empty", match("content.body", "c**t"), F.message("a ct"), matches: true),
        when("body: ? is exactly one character", match("content.body", "c?t"), F.message("the cot"), matches: true),
        when("body: ? is not two", match("content.body", "c?t"), F.message("the coat"), matches: false),
        when("body: a pattern edged by punctuation", match("content.body", ":)"), F.message("ok:)"), matches: true),
        when("body: * matches the empty body", match("content.body", "*"), F.message(""), matches: true),
        when("body: non-ASCII, case folded", match("content.body", "ÉTÉ"), F.message("bel été!"), matches: true),
        when("body: a non-ASCII letter after is a word character", match("content.body", "Zoë"), F.message("les Zoës"), matches: false),
        when("body: a non-ASCII letter before is a word character", match("content.body", "élodie"), F.message("Mélodie"), matches: false),
        when("body: a combining mark is a word character", match("content.body", "cafe"), F.message("cafe\u{301}"), matches: false),
        when("body: a non-ASCII word on its own", match("content.body", "Zoë"), F.message("merci, Zoë."), matches: true),
        when("body: a non-ASCII letter after, with a wildcard", match("content.body", "Zo?"), F.message("Zoës"), matches: false),
        when("body: Greek final sigma, capitals in the body", match("content.body", "Νίκος"), F.message("ΝΊΚΟΣ ήρθε"), matches: true),
        when("body: Greek final sigma, capitals in the pattern", match("content.body", "ΝΊΚΟΣ"), F.message("ο Νίκος ήρθε"), matches: true),
        when("body: final and medial sigma alike under a wildcard", match("content.body", "νίκοσ*"), F.message("ο Νίκος"), matches: true),
        when("body: without wildcards final sigma is not medial", match("content.body", "νίκοσ"), F.message("ο Νίκος"), matches: false),
        when("body: * does not cross a newline", match("content.body", "foo*bar"), F.message("foo\nbar"), matches: false),
        when("body: ? is not a newline", match("content.body", "foo?bar"), F.message("foo\nbar"), matches: false),
        when("body: a pattern longer than 64 positions", match("content.body", long + "?z*"),
             F.message("see " + longText + "xz-end"), matches: true),
        when("body: a long pattern that misses at its end", match("content.body", long + "?z*"),
             F.message("see " + longText + "xy-end"), matches: false),
        when("body: a * at the last position of the first bit word", match("content.body", String(repeating: "x", count: 63) + "*y"),
             F.message(String(repeating: "x", count: 63) + "y"), matches: true),
        when("other keys match the whole value", match("content.msgtype", "m.te*"), matches: true),
        when("other keys: a word is not enough", match("content.msgtype", "text"), matches: false),
        when("type, with a glob", match("type", "m.room.*"), matches: true),
        when("room_id", match("room_id", "!ROOM:x"), matches: true),
        when("sender, with a glob", match("sender", "@bob:?"), matches: true),
        when("escaped dot in a key", match(#"content.m\.relates_to.rel_type"#, "m.thread"),
             F.message("t", extra: ["m.relates_to": ["rel_type": "m.thread"]]), matches: true),
        when("an unescaped dot descends", match("content.m.relates_to.rel_type", "m.thread"),
             F.message("t", extra: ["m.relates_to": ["rel_type": "m.thread"]]), matches: false),
        when("escaped backslash in a key", match(#"content.a\\b"#, "x"), F.message("t", extra: [#"a\b"#: "x"]), matches: true),
        when("other escapes are literal", match(#"content.a\xb"#, "x"), F.message("t", extra: [#"a\xb"#: "x"]), matches: true),
        when("a number never matches, even *", match("content.count", "*"), F.message("t", extra: ["count": 5]), matches: false),
        when("an object never matches, even *", match("content", "*"), matches: false),
        when("an absent key never matches, even *", match("content.nope", "*"), matches: false),
        when("state_key of a non-state event is absent", match("state_key", "*"), matches: false),
    ]

    /// event_property_is / event_property_contains: exact, no coercion.
    static let properties: [PushRow] = [
        when("is: true", propertyIs("content.flag", true), F.message("t", extra: ["flag": true]), matches: true),
        when("is: true is not \"true\"", propertyIs("content.flag", true), F.message("t", extra: ["flag": "true"]), matches: false),
        when("is: integer", propertyIs("content.n", 3), F.message("t", extra: ["n": 3]), matches: true),
        when("is: 3 is not \"3\"", propertyIs("content.n", 3), F.message("t", extra: ["n": "3"]), matches: false),
        when("is: null", propertyIs("content.x", .null), F.message("t", extra: ["x": .null]), matches: true),
        when("is: null is not absent", propertyIs("content.x", .null), matches: false),
        when("is: strings are case-sensitive", propertyIs("content.msgtype", "M.TEXT"), matches: false),
        when("is: strings, exact", propertyIs("content.msgtype", "m.text"), matches: true),
        when("is: not a glob", propertyIs("content.msgtype", "m.*"), matches: false),
        when("contains: in an array", propertyContains("content.tags", "b"), F.message("t", extra: ["tags": ["a", "b"]]), matches: true),
        when("contains: a string is not an array", propertyContains("content.tags", "b"), F.message("t", extra: ["tags": "b"]), matches: false),
        when("contains: \"1\" is not 1", propertyContains("content.tags", "1"), F.message("t", extra: ["tags": [1, 2]]), matches: false),
        when("contains: integer", propertyContains("content.tags", 2), F.message("t", extra: ["tags": [1, 2]]), matches: true),
        when("contains: case-sensitive", propertyContains("content.tags", "B"), F.message("t", extra: ["tags": ["a", "b"]]), matches: false),
    ]

    /// contains_display_name, room_member_count, sender_notification_permission.
    static let roomConditions: [PushRow] = [
        when("display name: Greek final sigma", ["kind": "contains_display_name"], F.message("ΝΊΚΟΣ!"), matches: true,
             displayName: "Νίκος"),
        when("display name: not inside a non-ASCII word", ["kind": "contains_display_name"], F.message("Zoës"), matches: false,
             displayName: "Zoë"),
        when("display name: empty never matches", ["kind": "contains_display_name"], F.message(""), matches: false, displayName: ""),
        when("display name: unknown never matches", ["kind": "contains_display_name"], F.message("hello"), matches: false, displayName: nil),
        when("display name: * in it is literal", ["kind": "contains_display_name"], F.message("Abc"), matches: false, displayName: "A*"),
        when("display name: literal * found", ["kind": "contains_display_name"], F.message("hi A*!"), matches: true, displayName: "A*"),
        when("display name: several words", ["kind": "contains_display_name"], F.message("ask dr. who now"), matches: true,
             displayName: "Dr. Who"),
        when("member count: bare N is ==", memberCount("10"), matches: true, members: 10),
        when("member count: ==", memberCount("==10"), matches: false, members: 9),
        when("member count: >", memberCount(">2"), matches: true, members: 3),
        PushRow(name: "member count: > fails, room_one_to_one decides", event: F.message("hi"),
                rules: F.own(override: [F.rule("test", [memberCount(">2")])]), members: 2,
                expected: .by(".m.rule.room_one_to_one", sound: "default")),
        when("member count: <=", memberCount("<=3"), matches: true, members: 3),
        when("member count: <", memberCount("<3"), matches: false, members: 3),
        when("member count: >=", memberCount(">=10"), matches: false, members: 9),
        when("member count: words never match", memberCount("ten"), matches: false, members: 10),
        when("member count: = alone never matches", memberCount("=10"), matches: false, members: 10),
        when("member count: no `is` never matches", ["kind": "room_member_count"], matches: false, members: 5),
        when("permission: creator has 100 without power levels", roomPermission, matches: true, creators: [F.bob]),
        when("permission: others have 0 without power levels", roomPermission, matches: false, creators: ["@carol:x"]),
        when("permission: users_default against the room's level", roomPermission, matches: true,
             powerLevels: RoomPowerLevels(usersDefault: 25, notifications: ["room": 20])),
        when("permission: default level 50, sender below", roomPermission, matches: false,
             powerLevels: RoomPowerLevels(users: [F.bob: 10], usersDefault: 100)),
        when("permission: exactly 50 is enough", roomPermission, matches: true, powerLevels: RoomPowerLevels(users: [F.bob: 50])),
        when("permission: v12 creators are unlimited", roomPermission, matches: true,
             powerLevels: RoomPowerLevels(users: [F.bob: 0], notifications: ["room": 1000]), creators: [F.bob], roomVersion: "12"),
        when("permission: v11 creators go by power levels", roomPermission, matches: false,
             powerLevels: RoomPowerLevels(users: [F.bob: 0]), creators: [F.bob], roomVersion: "11"),
        when("permission: any notifications key", ["kind": "sender_notification_permission", "key": "ping"], matches: true,
             powerLevels: RoomPowerLevels(notifications: ["ping": 0])),
    ]

    /// Unknown and malformed conditions never match; a rule needs all its conditions.
    static let unknownConditions: [PushRow] = [
        when("unknown kind", ["kind": "org.example.always"], matches: false),
        when("no kind", ["key": "type", "pattern": "*"], matches: false),
        when("event_match without pattern", ["kind": "event_match", "key": "type"], matches: false),
        when("event_property_is with a float", propertyIs("content.n", .number(1.5)), F.message("t", extra: ["n": .number(1.5)]),
             matches: false),
        when("related_event_match (unstable) is unknown", ["kind": "related_event_match", "rel_type": "m.in_reply_to"], matches: false),
        PushRow(name: "one unknown condition fails the whole rule", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", [match("type", "m.room.message"), ["kind": "org.example.x"]])]),
                expected: .plain),
        PushRow(name: "no conditions always matches", event: F.message("bot", msgtype: "m.notice"),
                rules: F.own(override: [F.rule("test")]), expected: .marked()),
    ]

    /// Kinds, order, muting, disabled rules and actions.
    static let ruleSemantics: [PushRow] = [
        PushRow(name: "room rule with [] mutes the room", event: F.message("hello"),
                rules: F.own(room: [F.rule(F.room, actions: [])]), expected: .silent(F.room)),
        PushRow(name: "room rule with [dont_notify] mutes the room", event: F.message("hello"),
                rules: F.own(room: [F.rule(F.room, actions: ["dont_notify"])]), expected: .silent(F.room)),
        PushRow(name: "a muted room leaves others alone", event: F.message("hello"),
                rules: F.own(room: [F.rule("!other:x", actions: [])]), expected: .plain),
        PushRow(name: "a mention still highlights in a room muted by a room rule",
                event: F.message("look", extra: mentions([.string(F.me.rawValue)])),
                rules: F.own(room: [F.rule(F.room, actions: [])]),
                expected: .by(".m.rule.is_user_mention", sound: "default", highlight: true)),
        PushRow(name: "sender rule mutes a sender", event: F.message("hello"),
                rules: F.own(sender: [F.rule(F.bob, actions: [])]), expected: .silent(F.bob)),
        PushRow(name: "disabled rule skipped", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", enabled: false)]), expected: .plain),
        PushRow(name: "disabled server default skipped", event: F.message("hello"), rules: F.server {
                    $0.underride[$0.underride.firstIndex { $0.ruleID == ".m.rule.message" }!].enabled = false
                }, expected: .none),
        PushRow(name: "first match wins within a kind", event: F.message("hello"),
                rules: F.own(override: [F.rule("first", actions: ["notify", ["set_tweak": "sound", "value": "one"]]),
                                        F.rule("second", actions: [])]),
                expected: .by("first", sound: "one")),
        PushRow(name: "override before content", event: F.message("cake"),
                rules: F.own(override: [F.rule("test", [match("content.body", "cake")])],
                             content: [F.rule("kw", pattern: "cake", actions: [])]),
                expected: .marked()),
        PushRow(name: "content before room", event: F.message("cake!"),
                rules: F.own(content: [F.rule("kw", pattern: "cake")], room: [F.rule(F.room, actions: [])]),
                expected: .marked("kw")),
        PushRow(name: "content rule on words only", event: F.message("cakewalk"),
                rules: F.own(content: [F.rule("kw", pattern: "cake")]), expected: .plain),
        PushRow(name: "room before sender", event: F.message("hello"),
                rules: F.own(room: [F.rule(F.room)], sender: [F.rule(F.bob, actions: [])]), expected: .marked(F.room)),
        PushRow(name: "sender before underride", event: F.message("hello"),
                rules: F.own(sender: [F.rule(F.bob)]), expected: .marked(F.bob)),
        PushRow(name: "user underride before default underride", event: F.message("hello"),
                rules: F.own(underride: [F.rule("test", [match("type", "m.room.message")])]), members: 2, expected: .marked()),
        PushRow(name: "user override before the defaults (but after master)", event: F.message("bot", msgtype: "m.notice"),
                rules: F.own(override: [F.rule("test", [match("content.msgtype", "m.notice")])]), expected: .marked()),
        PushRow(name: "coalesce alone does not notify", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", actions: ["coalesce"])]), expected: .silent("test")),
        PushRow(name: "dont_notify beside notify is ignored", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", actions: ["notify", "dont_notify"])]), expected: .by("test")),
        PushRow(name: "highlight tweak false", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", actions: ["notify", ["set_tweak": "highlight", "value": false]])]),
                expected: .by("test")),
        PushRow(name: "highlight tweak without a value is true", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", actions: ["notify", ["set_tweak": "highlight"]])]),
                expected: .by("test", highlight: true)),
        PushRow(name: "highlight without notify is nothing", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", actions: [["set_tweak": "highlight"], ["set_tweak": "sound", "value": "x"]])]),
                expected: .silent("test")),
        PushRow(name: "a highlight value that is not a boolean is no highlight", event: F.message("hello"),
                rules: F.own(override: [F.rule("test", actions: ["notify", ["set_tweak": "highlight", "value": "yes"]])]),
                expected: .by("test")),
        PushRow(name: "encrypted 1:1 keeps its sound and no highlight whatever the keywords",
                event: F.event("m.room.encrypted", content: ["ciphertext": "cake Ally alice @room"]),
                rules: F.own(content: [F.rule("kw", pattern: "cake")]), members: 2, creators: [F.bob],
                expected: .by(".m.rule.encrypted_room_one_to_one", sound: "default")),
    ]

    /// What the server sent versus the defaults.
    static let serverRulesets: [PushRow] = [
        PushRow(name: "a full server ruleset is used as sent", event: F.message("ping alice"),
                rules: F.server { $0.content = [] }, expected: .plain),
        PushRow(name: "a server ruleset with master and nothing else notifies for nothing", event: F.message("hi"),
                rules: ["global": ["override": [.object(["rule_id": ".m.rule.master", "enabled": false, "actions": []])]]],
                members: 2, expected: .none),
        PushRow(name: "a default the server overrides keeps its place", event: F.message("hi"),
                rules: F.own(underride: [F.rule(".m.rule.message", [match("type", "m.room.message")])]), members: 2,
                expected: .by(".m.rule.room_one_to_one", sound: "default")),
        PushRow(name: "a default the server overrides takes effect", event: F.message("hi"),
                rules: F.own(underride: [F.rule(".m.rule.message", [match("type", "m.room.message")])]),
                expected: .marked(".m.rule.message")),
        PushRow(name: "garbage account data → defaults", event: F.message("hi"), rules: "garbage", members: 2,
                expected: .by(".m.rule.room_one_to_one", sound: "default")),
    ]

    static var allRows: [PushRow] {
        defaultRules + eventMatch + properties + roomConditions + unknownConditions + ruleSemantics + serverRulesets
    }

    @Test(arguments: allRows)
    func row(_ row: PushRow) {
        #expect(row.run() == row.expected)
    }

    @Test func theTableIsBigEnoughToMeanSomething() {
        #expect(Self.allRows.count >= 40)
        #expect(Set(Self.allRows.map(\.name)).count == Self.allRows.count, "row names are unique")
    }

    @Test func everyDefaultRuleDecidesSomeRow() {
        let decided = Set(Self.allRows.compactMap(\.expected.ruleID))
        for kind in PushRuleKind.allCases {
            for rule in PushRuleSet.defaults(for: F.me)[kind] {
                #expect(decided.contains(rule.ruleID), "no row where \(rule.ruleID) decides")
            }
        }
    }
}
