/// What the evaluator knows of the user and the room an event arrived in.
public struct PushContext: Sendable, Equatable {
    public var me: UserID
    /// The user's display name in this room; nil or empty never matches `contains_display_name`.
    public var displayName: String?
    /// Joined members, as `m.joined_member_count` counts them (Synapse counts joined only).
    public var joinedMemberCount: Int
    /// The room's power levels; nil when the room has no `m.room.power_levels` event.
    public var powerLevels: RoomPowerLevels?
    /// The room's creators: the `m.room.create` sender (and `content.creator` before v11), plus
    /// `content.additional_creators` from version 12.
    public var creators: Set<String>
    /// `m.room.create` `content.room_version`; "1" when absent.
    public var roomVersion: String

    public init(me: UserID, displayName: String? = nil, joinedMemberCount: Int, powerLevels: RoomPowerLevels? = nil,
                creators: Set<String> = [], roomVersion: String = "1") {
        self.me = me
        self.displayName = displayName
        self.joinedMemberCount = joinedMemberCount
        self.powerLevels = powerLevels
        self.creators = creators
        self.roomVersion = roomVersion
    }

    /// From room version 12 (and its forerunner `org.matrix.hydra.11`) creators outrank everyone.
    public var creatorsHaveUnlimitedPower: Bool {
        if let v = Int(roomVersion) { return v >= 12 }
        return roomVersion == "org.matrix.hydra.11"
    }

    /// A user's power level: unlimited for a creator from v12, else `users[user]` or
    /// `users_default`; with no power-levels event, 100 for a creator and 0 for anyone else.
    public func powerLevel(of user: String) -> Int {
        if creatorsHaveUnlimitedPower && creators.contains(user) { return .max }
        guard let pl = powerLevels else { return creators.contains(user) ? 100 : 0 }
        return pl.users[user] ?? pl.usersDefault
    }
}

/// Runs a user's push rules over room events (MATRIX.md §6). Pure: no I/O. The rules' globs are
/// compiled here, once: keep the evaluator for as long as the rules hold, not one per event.
public struct PushRuleEvaluator: Sendable {
    public let rules: PushRuleSet
    /// Every pattern of the rules (content rules' and `event_match` conditions'), compiled.
    private let globs: [String: PushGlob]

    public init(rules: PushRuleSet) {
        self.rules = rules
        var globs: [String: PushGlob] = [:]
        for kind in PushRuleKind.allCases {
            for rule in rules[kind] {
                if let p = rule.pattern { globs[p] = globs[p] ?? PushGlob(p) }
                for case .eventMatch(_, let p) in rule.conditions { globs[p] = globs[p] ?? PushGlob(p) }
            }
        }
        self.globs = globs
    }

    /// The legacy mention rules Synapse skips when the event has `m.mentions`.
    static func isLegacyMention(_ kind: PushRuleKind, _ ruleID: String) -> Bool {
        switch kind {
        case .override: ruleID == ".m.rule.contains_display_name" || ruleID == ".m.rule.roomnotif"
        case .content: ruleID == ".m.rule.contains_user_name"
        case .room, .sender, .underride: false
        }
    }

    /// What `event` should do: never anything for the user's own events; otherwise the actions
    /// of the first enabled rule that matches, kinds in order override → content → room →
    /// sender → underride; nothing when no rule matches.
    public func evaluate(event: PushEvent, context: PushContext) -> PushActions {
        guard event.sender != context.me.rawValue else { return .none }
        let match = EventMatcher(event: event, context: context, globs: globs)
        let hasMentions = event.content["m.mentions"] != nil
        for kind in PushRuleKind.allCases {
            for rule in rules[kind] where rule.enabled {
                if hasMentions && Self.isLegacyMention(kind, rule.ruleID) { continue }
                let matches: Bool
                switch kind {
                case .override, .underride: matches = rule.conditions.allSatisfy(match.holds)
                case .content: matches = rule.pattern.map(match.bodyContains) ?? false
                case .room: matches = rule.ruleID == event.roomID
                case .sender: matches = rule.ruleID == event.sender
                }
                if matches { return Self.actions(of: rule) }
            }
        }
        return .none
    }

    static func actions(of rule: PushRule) -> PushActions {
        var highlight: Bool?
        var sound: String?
        for action in rule.actions {
            switch action {
            case .notify: break
            case .highlight(let h): if highlight == nil { highlight = h }
            case .sound(let s): if sound == nil { sound = s }
            }
        }
        return PushActions(notify: rule.actions.contains(.notify), highlight: highlight ?? false, sound: sound,
                           ruleID: rule.ruleID)
    }
}

/// One event under evaluation, with its lowercased body computed once.
private struct EventMatcher {
    let event: PushEvent
    let context: PushContext
    let globs: [String: PushGlob]
    /// `content.body` folded for matching, when it is a string.
    let body: [Unicode.Scalar]?

    init(event: PushEvent, context: PushContext, globs: [String: PushGlob]) {
        self.event = event
        self.context = context
        self.globs = globs
        body = event.content["body"]?.string.map(PushGlob.fold)
    }

    func glob(_ pattern: String) -> PushGlob { globs[pattern] ?? PushGlob(pattern) }

    func holds(_ condition: PushCondition) -> Bool {
        switch condition {
        case .eventMatch(let key, let pattern):
            // Only strings match, even for `*`.
            guard let value = event.value(at: key)?.string else { return false }
            let glob = glob(pattern)
            if key == "content.body", let body { return glob.matchesWords(in: body) }
            return glob.matchesWhole(value)
        case .eventPropertyIs(let key, let expected):
            return event.value(at: key).map { $0 == expected } ?? false
        case .eventPropertyContains(let key, let expected):
            return event.value(at: key)?.array?.contains(expected) ?? false
        case .containsDisplayName:
            guard let name = context.displayName, !name.isEmpty, let body else { return false }
            return PushGlob(literal: name).matchesWords(in: body)
        case .roomMemberCount(let test):
            return Self.memberCount(context.joinedMemberCount, satisfies: test)
        case .senderNotificationPermission(let key):
            return context.powerLevel(of: event.sender) >= (context.powerLevels?.notifications[key] ?? 50)
        case .unknown:
            return false
        }
    }

    func bodyContains(_ pattern: String) -> Bool {
        guard let body else { return false }
        return glob(pattern).matchesWords(in: body)
    }

    /// `is`: `==N`, `<N`, `>N`, `<=N`, `>=N` or a bare `N` (==). Anything else never matches.
    static func memberCount(_ count: Int, satisfies test: String) -> Bool {
        let op = String(test.prefix { "=<>".contains($0) })
        let digits = test.dropFirst(op.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return false }
        switch op {
        case "", "==": return count == n
        case "<": return count < n
        case ">": return count > n
        case "<=": return count <= n
        case ">=": return count >= n
        default: return false
        }
    }
}
