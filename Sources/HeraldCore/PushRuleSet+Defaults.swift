/// The server-default rules, for when the server sent none (MATRIX.md §6, spec order).
///
/// Synapse's legacy mention rules, which spec v1.17 removed but Synapse still serves, sit where
/// Synapse puts them: `.m.rule.contains_display_name` after `.m.rule.is_user_mention`,
/// `.m.rule.roomnotif` after `.m.rule.is_room_mention`, `.m.rule.contains_user_name` as the one
/// content rule. The evaluator skips all three for events that carry `m.mentions`.
extension PushRuleSet {
    public static func defaults(for me: UserID) -> PushRuleSet {
        PushRuleSet(
            override: [
                PushRule(ruleID: ".m.rule.master", enabled: false, actions: []),
                PushRule(ruleID: ".m.rule.suppress_notices",
                         conditions: [.eventMatch(key: "content.msgtype", pattern: "m.notice")], actions: []),
                PushRule(ruleID: ".m.rule.invite_for_me",
                         conditions: [.eventMatch(key: "type", pattern: "m.room.member"),
                                      .eventMatch(key: "content.membership", pattern: "invite"),
                                      .eventMatch(key: "state_key", pattern: me.rawValue)],
                         actions: [.notify, .sound("default"), .highlight(false)]),
                PushRule(ruleID: ".m.rule.member_event",
                         conditions: [.eventMatch(key: "type", pattern: "m.room.member")], actions: []),
                PushRule(ruleID: ".m.rule.is_user_mention",
                         conditions: [.eventPropertyContains(key: #"content.m\.mentions.user_ids"#, value: .string(me.rawValue))],
                         actions: [.notify, .sound("default"), .highlight(true)]),
                PushRule(ruleID: ".m.rule.contains_display_name", conditions: [.containsDisplayName],
                         actions: [.notify, .sound("default"), .highlight(true)]),
                PushRule(ruleID: ".m.rule.is_room_mention",
                         conditions: [.eventPropertyIs(key: #"content.m\.mentions.room"#, value: .bool(true)),
                                      .senderNotificationPermission(key: "room")],
                         actions: [.notify, .highlight(true)]),
                PushRule(ruleID: ".m.rule.roomnotif",
                         conditions: [.senderNotificationPermission(key: "room"),
                                      .eventMatch(key: "content.body", pattern: "@room")],
                         actions: [.notify, .highlight(true)]),
                PushRule(ruleID: ".m.rule.tombstone",
                         conditions: [.eventMatch(key: "type", pattern: "m.room.tombstone"),
                                      .eventMatch(key: "state_key", pattern: "")],
                         actions: [.notify, .highlight(true)]),
                PushRule(ruleID: ".m.rule.reaction",
                         conditions: [.eventMatch(key: "type", pattern: "m.reaction")], actions: []),
                PushRule(ruleID: ".m.rule.room.server_acl",
                         conditions: [.eventMatch(key: "type", pattern: "m.room.server_acl"),
                                      .eventMatch(key: "state_key", pattern: "")], actions: []),
                PushRule(ruleID: ".m.rule.suppress_edits",
                         conditions: [.eventPropertyIs(key: #"content.m\.relates_to.rel_type"#, value: "m.replace")],
                         actions: []),
            ],
            content: [
                PushRule(ruleID: ".m.rule.contains_user_name", pattern: me.localpart,
                         actions: [.notify, .sound("default"), .highlight(true)]),
            ],
            underride: [
                PushRule(ruleID: ".m.rule.call", conditions: [.eventMatch(key: "type", pattern: "m.call.invite")],
                         actions: [.notify, .sound("ring"), .highlight(false)]),
                PushRule(ruleID: ".m.rule.encrypted_room_one_to_one",
                         conditions: [.roomMemberCount(is: "2"), .eventMatch(key: "type", pattern: "m.room.encrypted")],
                         actions: [.notify, .sound("default"), .highlight(false)]),
                PushRule(ruleID: ".m.rule.room_one_to_one",
                         conditions: [.roomMemberCount(is: "2"), .eventMatch(key: "type", pattern: "m.room.message")],
                         actions: [.notify, .sound("default"), .highlight(false)]),
                PushRule(ruleID: ".m.rule.message", conditions: [.eventMatch(key: "type", pattern: "m.room.message")],
                         actions: [.notify]),
                PushRule(ruleID: ".m.rule.encrypted", conditions: [.eventMatch(key: "type", pattern: "m.room.encrypted")],
                         actions: [.notify]),
            ])
    }
}
