/// A user's push rules, kind by kind, in evaluation order.
public struct PushRuleSet: Sendable, Equatable {
    public var override: [PushRule]
    public var content: [PushRule]
    public var room: [PushRule]
    public var sender: [PushRule]
    public var underride: [PushRule]

    public init(override: [PushRule] = [], content: [PushRule] = [], room: [PushRule] = [],
                sender: [PushRule] = [], underride: [PushRule] = []) {
        self.override = override
        self.content = content
        self.room = room
        self.sender = sender
        self.underride = underride
    }

    public subscript(kind: PushRuleKind) -> [PushRule] {
        get {
            switch kind {
            case .override: override
            case .content: content
            case .room: room
            case .sender: sender
            case .underride: underride
            }
        }
        set {
            switch kind {
            case .override: override = newValue
            case .content: content = newValue
            case .room: room = newValue
            case .sender: sender = newValue
            case .underride: underride = newValue
            }
        }
    }

    /// The rules exactly as `{global:{override,content,room,sender,underride}}` holds them:
    /// unknown fields ignored, malformed rules skipped, at most `PushRule.maxRulesPerKind` per kind.
    /// Anything that is not that shape gives an empty set.
    public init(parsing content: JSONValue) {
        self.init()
        guard let global = content["global"], global.object != nil else { return }
        for kind in PushRuleKind.allCases {
            var rules: [PushRule] = []
            for entry in global[kind.rawValue]?.array ?? [] {
                guard rules.count < PushRule.maxRulesPerKind else { break }
                if let rule = PushRule(json: entry, kind: kind) { rules.append(rule) }
            }
            self[kind] = rules
        }
    }

    /// The rules to evaluate for `userID`, from the content of its `m.push_rules` account data
    /// (nil before the server sent any).
    ///
    /// A server sends the whole ruleset, defaults included (Synapse does, in evaluation order), so
    /// one that carries `.m.rule.master` is used exactly as sent: Herald never re-adds a default
    /// the server dropped. Otherwise the server sent none, or only the user's own rules: those go
    /// in front of the defaults of their kind (after `.m.rule.master`), and a rule whose ID is a
    /// default's replaces that default in place.
    public init(accountData content: JSONValue?, userID: UserID) {
        let sent = content.map(PushRuleSet.init(parsing:)) ?? PushRuleSet()
        if sent.override.contains(where: { $0.ruleID == ".m.rule.master" }) {
            self = sent
            return
        }
        var merged = PushRuleSet.defaults(for: userID)
        for kind in PushRuleKind.allCases {
            let defaults = merged[kind]
            let defaultIDs = Set(defaults.map(\.ruleID))
            let replaced = defaults.map { d in sent[kind].first { $0.ruleID == d.ruleID } ?? d }
            let own = sent[kind].filter { !defaultIDs.contains($0.ruleID) }
            let pinned = kind == .override ? replaced.prefix { $0.ruleID == ".m.rule.master" } : []
            merged[kind] = Array(pinned) + own + replaced.dropFirst(pinned.count)
        }
        self = merged
    }
}
