/// Reading rules from `m.push_rules` account data: a malformed entry is skipped, never fatal.
extension PushRule {
    /// Bounds on what a server (or a corrupt account-data blob) can make Herald hold and scan.
    public static let maxRulesPerKind = 1000
    public static let maxPatternBytes = 1024
    public static let maxConditions = 64

    /// One rule of `kind`, or nil when the entry is malformed: no string `rule_id`, `actions` not
    /// an array, `enabled` not a boolean, `conditions` not an array (or too many), a content rule
    /// without a usable `pattern`, or a rule ID or pattern over `maxPatternBytes`.
    public init?(json: JSONValue, kind: PushRuleKind) {
        guard let id = json["rule_id"]?.string, !id.isEmpty, id.utf8.count <= Self.maxPatternBytes,
              let rawActions = json["actions"]?.array
        else { return nil }
        var enabled = true
        if let e = json["enabled"] {
            guard let b = e.bool else { return nil }
            enabled = b
        }
        var conditions: [PushCondition] = []
        var pattern: String?
        switch kind {
        case .override, .underride:
            // The spec: a rule with no conditions always matches.
            if let c = json["conditions"] {
                guard let list = c.array, list.count <= Self.maxConditions else { return nil }
                conditions = list.map(PushCondition.init(json:))
            }
        case .content:
            guard let p = json["pattern"]?.string, p.utf8.count <= Self.maxPatternBytes else { return nil }
            pattern = p
        case .room, .sender:
            break
        }
        self.init(ruleID: id, enabled: enabled, conditions: conditions, pattern: pattern,
                  actions: rawActions.compactMap(PushAction.init(json:)))
    }
}

extension PushCondition {
    /// A condition from its JSON. Anything unusable becomes `.unknown`, which never matches —
    /// as Synapse does when a known kind fails to deserialise.
    public init(json: JSONValue) {
        let kind = json["kind"]?.string ?? ""
        let key = json["key"]?.string.flatMap { $0.utf8.count <= PushRule.maxPatternBytes ? $0 : nil }
        switch kind {
        case "event_match":
            if let key, let p = json["pattern"]?.string, p.utf8.count <= PushRule.maxPatternBytes {
                self = .eventMatch(key: key, pattern: p)
                return
            }
        case "event_property_is", "event_property_contains":
            if let key, let v = json["value"], v.isPushScalar {
                self = kind == "event_property_is" ? .eventPropertyIs(key: key, value: v)
                                                   : .eventPropertyContains(key: key, value: v)
                return
            }
        case "contains_display_name":
            self = .containsDisplayName
            return
        case "room_member_count":
            if let test = json["is"]?.string, test.utf8.count <= 32 {
                self = .roomMemberCount(is: test)
                return
            }
        case "sender_notification_permission":
            if let key {
                self = .senderNotificationPermission(key: key)
                return
            }
        default:
            break
        }
        self = .unknown(kind: String(kind.prefix(100)))
    }
}

extension PushAction {
    /// `"notify"` or a `set_tweak` object; nil for `dont_notify`, `coalesce` (ignored since
    /// v1.12) and anything unknown.
    init?(json: JSONValue) {
        if json.string == "notify" { self = .notify; return }
        switch json["set_tweak"]?.string {
        case "highlight":
            // No value means true; a value that is not a boolean is not a highlight.
            guard let v = json["value"] else { self = .highlight(true); return }
            self = .highlight(v.bool ?? false)
        case "sound":
            guard let s = json["value"]?.string, !s.isEmpty, s.utf8.count <= 255 else { return nil }
            self = .sound(s)
        default:
            return nil
        }
    }
}

extension JSONValue {
    /// The values `event_property_is` and `_contains` compare: string, integer, boolean, null.
    var isPushScalar: Bool {
        switch self {
        case .string, .bool, .null: return true
        case .number(let n): return n.isFinite && n.rounded() == n && abs(n) < 9_007_199_254_740_992
        case .array, .object: return false
        }
    }
}
