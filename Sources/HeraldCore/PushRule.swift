/// The five kinds of push rules, in the order they are evaluated (MATRIX.md §6).
public enum PushRuleKind: String, Sendable, CaseIterable {
    case override, content, room, sender, underride
}

/// One push rule as the server sent it, or one of the defaults.
public struct PushRule: Sendable, Equatable {
    public var ruleID: String
    public var enabled: Bool
    /// Override and underride rules: all must hold. An empty list always matches.
    public var conditions: [PushCondition]
    /// Content rules: a glob matched word by word against `content.body`.
    public var pattern: String?
    /// What the rule does when it matches; `dont_notify`, `coalesce` and unknown actions are dropped.
    public var actions: [PushAction]

    public init(ruleID: String, enabled: Bool = true, conditions: [PushCondition] = [], pattern: String? = nil,
                actions: [PushAction]) {
        self.ruleID = ruleID
        self.enabled = enabled
        self.conditions = conditions
        self.pattern = pattern
        self.actions = actions
    }
}

/// A condition of an override or underride rule.
public enum PushCondition: Sendable, Equatable {
    /// A string property matched against a glob: whole value, or word by word for `content.body`.
    case eventMatch(key: String, pattern: String)
    /// A property exactly equal to a string, integer, boolean or null.
    case eventPropertyIs(key: String, value: JSONValue)
    /// An array property holding exactly that value.
    case eventPropertyContains(key: String, value: JSONValue)
    /// The user's display name in the room, as a word of `content.body`.
    case containsDisplayName
    /// `[==|<|>|<=|>=]N` against the joined member count.
    case roomMemberCount(is: String)
    /// The sender's power level reaches `notifications[key]` (default 50).
    case senderNotificationPermission(key: String)
    /// A kind this evaluator does not know, or a known kind with missing or bad fields: never matches.
    case unknown(kind: String)
}

/// One entry of a rule's `actions`.
public enum PushAction: Sendable, Equatable {
    case notify
    /// `{"set_tweak":"highlight"}`; no `value` means true.
    case highlight(Bool)
    /// `{"set_tweak":"sound","value":…}`.
    case sound(String)
}

/// What an event should do, once the rules have been run.
public struct PushActions: Sendable, Equatable, CustomStringConvertible {
    public var notify: Bool
    /// Only ever true together with `notify`.
    public var highlight: Bool
    /// Only ever set together with `notify`.
    public var sound: String?
    /// The rule that decided, even when it decided not to notify; nil when none matched.
    public var ruleID: String?

    public init(notify: Bool, highlight: Bool = false, sound: String? = nil, ruleID: String? = nil) {
        self.notify = notify
        self.highlight = notify && highlight
        self.sound = notify ? sound : nil
        self.ruleID = ruleID
    }

    /// No rule matched, or the event is the user's own.
    public static let none = PushActions(notify: false)

    public var description: String {
        var parts = [notify ? "notify" : "silent"]
        if highlight { parts.append("highlight") }
        if let sound { parts.append("sound=\(sound)") }
        parts.append("rule=\(ruleID ?? "none")")
        return parts.joined(separator: " ")
    }
}
