import HeraldCore

/// Shared cast of the push-rule tests: Alice (display name "Ally") reads, Bob sends, in !room:x.
enum PushFixture {
    static let me = UserID("@alice:x")!
    static let bob = "@bob:x"
    static let room = "!room:x"

    static func message(_ body: String, msgtype: String = "m.text", extra: [String: JSONValue] = [:],
                        from sender: String = bob, room: String = room) -> PushEvent {
        var content: [String: JSONValue] = ["msgtype": .string(msgtype), "body": .string(body)]
        content.merge(extra) { $1 }
        return PushEvent(type: "m.room.message", sender: sender, roomID: room, content: .object(content))
    }

    static func event(_ type: String, stateKey: String? = nil, content: JSONValue = [:], from sender: String = bob) -> PushEvent {
        PushEvent(type: type, sender: sender, roomID: room, stateKey: stateKey, content: content)
    }

    /// `m.push_rules` content holding only the user's own rules (no `.m.rule.master`): merged with the defaults.
    static func own(override: [JSONValue] = [], content: [JSONValue] = [], room: [JSONValue] = [],
                    sender: [JSONValue] = [], underride: [JSONValue] = []) -> JSONValue {
        ["global": ["override": .array(override), "content": .array(content), "room": .array(room),
                    "sender": .array(sender), "underride": .array(underride)]]
    }

    /// The marker a test rule notifies with, so a row shows which rule decided.
    static let marked: JSONValue = ["notify", ["set_tweak": "sound", "value": "marker"]]

    static func rule(_ id: String, _ conditions: [JSONValue]? = nil, pattern: String? = nil,
                     actions: JSONValue = marked, enabled: Bool = true) -> JSONValue {
        var r: [String: JSONValue] = ["rule_id": .string(id), "default": false, "enabled": .bool(enabled), "actions": actions]
        if let conditions { r["conditions"] = .array(conditions) }
        if let pattern { r["pattern"] = .string(pattern) }
        return .object(r)
    }

    /// The full ruleset a server like Synapse sends: the defaults, `change` applied, as JSON.
    static func server(_ change: (inout PushRuleSet) -> Void = { _ in }) -> JSONValue {
        var set = PushRuleSet.defaults(for: me)
        change(&set)
        var global: [String: JSONValue] = [:]
        for kind in PushRuleKind.allCases { global[kind.rawValue] = .array(set[kind].map(json)) }
        return ["global": .object(global)]
    }

    static func json(_ rule: PushRule) -> JSONValue {
        var r: [String: JSONValue] = ["rule_id": .string(rule.ruleID), "default": true, "enabled": .bool(rule.enabled)]
        r["actions"] = .array(rule.actions.map { action -> JSONValue in
            switch action {
            case .notify: "notify"
            case .highlight(let h): ["set_tweak": "highlight", "value": .bool(h)]
            case .sound(let s): ["set_tweak": "sound", "value": .string(s)]
            }
        })
        r["conditions"] = .array(rule.conditions.map { c -> JSONValue in
            switch c {
            case .eventMatch(let key, let pattern): ["kind": "event_match", "key": .string(key), "pattern": .string(pattern)]
            case .eventPropertyIs(let key, let value): ["kind": "event_property_is", "key": .string(key), "value": value]
            case .eventPropertyContains(let key, let value): ["kind": "event_property_contains", "key": .string(key), "value": value]
            case .containsDisplayName: ["kind": "contains_display_name"]
            case .roomMemberCount(let test): ["kind": "room_member_count", "is": .string(test)]
            case .senderNotificationPermission(let key): ["kind": "sender_notification_permission", "key": .string(key)]
            case .unknown(let kind): ["kind": .string(kind)]
            }
        })
        if let p = rule.pattern { r["pattern"] = .string(p) }
        return .object(r)
    }
}

extension PushActions {
    static func by(_ rule: String, sound: String? = nil, highlight: Bool = false) -> PushActions {
        PushActions(notify: true, highlight: highlight, sound: sound, ruleID: rule)
    }

    static func silent(_ rule: String) -> PushActions { PushActions(notify: false, ruleID: rule) }

    /// The plain group-chat notification: `.m.rule.message`, no sound, no highlight.
    static let plain = PushActions.by(".m.rule.message")
    /// A test rule (see `PushFixture.marked`) decided.
    static func marked(_ rule: String = "test") -> PushActions { .by(rule, sound: "marker") }
}
