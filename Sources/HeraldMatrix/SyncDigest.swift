import HeraldCore

/// Reads one /sync response into what Herald stores and shows. Pure: no I/O.
public struct SyncDigest: Sendable {
    public var nextBatch: String
    public var rooms: [String: RoomInfo] = [:]
    public var members: [(String, String, String)] = []
    public var messages: [IncomingMessage] = []
    public var leftRooms: [String] = []
    /// Rooms whose timeline skipped events (`limited`), with how much the server's unread count
    /// grew since the previous answer: the messages new to Herald, gap included.
    public var unreadHints: [String: Int] = [:]
    /// Rooms whose timeline skipped events, with the token to page back through the gap from
    /// (`prev_batch`); only when the answer notifies.
    public var gaps: [String: String] = [:]
    /// Rooms read elsewhere: the server counts nothing unread there any more, or the user's
    /// own read receipt arrived. Their notifications are withdrawn.
    public var readRooms: Set<String> = []
    /// Edits and redactions of messages that may be on screen.
    public var changes: [MessageChange] = []
    /// New `m.push_rules` account data, when the server sent some.
    public var pushRules: JSONValue?

    /// The rooms as they are stored once this answer is: `known` (read before it) with the
    /// answer's rooms written over and its left rooms gone. Saves reading them again to show it.
    public func rooms(after known: [String: RoomInfo]) -> [String: RoomInfo] {
        var out = known.merging(rooms) { $1 }
        for roomID in leftRooms { out[roomID] = nil }
        return out
    }

    /// The answer's rooms that differ from what is stored: the only ones the commit writes.
    public func changedRooms(from known: [String: RoomInfo]) -> [String: RoomInfo] {
        rooms.filter { known[$0.key] != $0.value }
    }

    /// The stored rooms reading an answer needs.
    public enum StoredRooms: Sendable, Equatable {
        case none
        /// The answer's joined rooms.
        case only(Set<String>)
        /// Every room: a new `m.direct` may change any of them, and arrives in an answer of its
        /// own when it is changed in another client.
        case all
    }

    public static func storedRooms(for sync: JSONValue) -> StoredRooms {
        if sync["account_data"]?["events"]?.array?.contains(where: { $0["type"]?.string == "m.direct" }) == true {
            return .all
        }
        guard let joined = sync["rooms"]?["join"]?.object, !joined.isEmpty else { return .none }
        return .only(Set(joined.keys))
    }

    /// The filter a notifier needs: small answers, members lazily, no presence (MATRIX.md §5).
    public static let filter: JSONValue = [
        "presence": ["types": []],
        "account_data": ["types": ["m.push_rules", "m.direct"]],
        "room": [
            "state": [
                "lazy_load_members": true,
                "types": ["m.room.member", "m.room.name", "m.room.canonical_alias", "m.room.power_levels",
                          "m.room.encryption", "m.room.create"],
            ],
            "timeline": ["limit": 20, "lazy_load_members": true],
            "ephemeral": ["types": ["m.receipt"]],
            "account_data": ["types": ["m.fully_read"]],
        ],
    ]

    /// The first sync of an account: rooms and their state, one timeline event each.
    public static let firstSyncFilter: JSONValue = {
        guard case .object(var top) = filter, case .object(var room)? = top["room"] else { return filter }
        room["timeline"] = ["limit": 1, "lazy_load_members": true]
        top["room"] = .object(room)
        return .object(top)
    }()

    /// - Parameters:
    ///   - known: rooms as stored before this response: those `storedRooms(for:)` names.
    ///   - displayName: stored display name of a member, for senders the response carries no state for.
    ///   - notify: false on an account's first sync, which only learns the rooms.
    ///   - rules: the user's push rules; a rule set in this very response takes over from them.
    public static func read(
        _ sync: JSONValue, me: UserID, known: [String: RoomInfo],
        displayName: (String, String) -> String?, notify: Bool,
        rules: PushRuleEvaluator? = nil
    ) throws -> SyncDigest {
        guard let next = sync["next_batch"]?.string, !next.isEmpty, next.utf8.count < 4096 else {
            throw MatrixError.badResponse("no next_batch in the sync answer")
        }
        var d = SyncDigest(nextBatch: next)

        var direct: Set<String>?
        for e in sync["account_data"]?["events"]?.array ?? [] {
            switch e["type"]?.string {
            case "m.direct": direct = Set((e["content"]?.object ?? [:]).values.flatMap { $0.array?.compactMap(\.string) ?? [] })
            case "m.push_rules": d.pushRules = e["content"]
            default: break
            }
        }
        let evaluator = d.pushRules.map { PushRuleEvaluator(rules: PushRuleSet(accountData: $0, userID: me)) }
            ?? rules ?? PushRuleEvaluator(rules: PushRuleSet.defaults(for: me))
        if let direct {
            for (id, info) in known where info.isDirect != direct.contains(id) {
                var changed = info
                changed.isDirect = direct.contains(id)
                d.rooms[id] = changed
            }
        }

        for (roomID, room) in sync["rooms"]?["join"]?.object ?? [:] {
            var info = d.rooms[roomID] ?? known[roomID] ?? RoomInfo()
            if let direct { info.isDirect = direct.contains(roomID) }
            if let joined = room["summary"]?["m.joined_member_count"]?.int { info.joinedMembers = joined }
            var names: [String: String] = [:]
            let timeline = room["timeline"]?["events"]?.array ?? []
            let stateEvents = (room["state"]?["events"]?.array ?? []) + timeline.filter { $0["state_key"] != nil }
            for e in stateEvents {
                guard let type = e["type"]?.string, let content = e["content"] else { continue }
                switch type {
                case "m.room.name":
                    let n = content["name"]?.string ?? ""
                    info.name = n.isEmpty ? nil : String(n.prefix(255))
                case "m.room.canonical_alias" where info.name == nil:
                    if let alias = content["alias"]?.string { info.name = String(alias.prefix(255)) }
                case "m.room.member":
                    guard let who = e["state_key"]?.string, UserID(who) != nil else { continue }
                    if content["membership"]?.string == "join", let n = content["displayname"]?.string, !n.isEmpty {
                        let clean = String(n.prefix(100))
                        names[who] = clean
                        d.members.append((roomID, who, clean))
                    }
                case "m.room.power_levels":
                    info.powerLevels = RoomPowerLevels(content: content)
                case "m.room.create":
                    var creators = [e["sender"]?.string, content["creator"]?.string].compactMap { $0 }
                    creators += content["additional_creators"]?.array?.compactMap(\.string).prefix(100) ?? []
                    info.creators = Array(Set(creators)).sorted()
                    info.roomVersion = String((content["room_version"]?.string ?? "1").prefix(64))
                default: break
                }
            }
            let unread = room["unread_notifications"]?["notification_count"]?.int.flatMap { (0...1_000_000).contains($0) ? $0 : nil }
            if let unread {
                // The server counts from the last read receipt: what it counted at the previous
                // answer was in the timeline then (announced, or from before Herald signed in).
                if room["timeline"]?["limited"]?.bool == true, unread > info.serverUnread {
                    d.unreadHints[roomID] = unread - info.serverUnread
                }
                info.serverUnread = unread
            }
            d.rooms[roomID] = info
            var ownReceipt = false
            for e in room["ephemeral"]?["events"]?.array ?? [] where e["type"]?.string == "m.receipt" {
                for (_, receipt) in e["content"]?.object ?? [:] {
                    if receipt["m.read"]?[me.rawValue] != nil || receipt["m.read.private"]?[me.rawValue] != nil { ownReceipt = true }
                }
            }
            let ownMessage = timeline.contains { $0["sender"]?.string == me.rawValue }
            // The server's count is the authority; without one, the user's own receipt or message says it.
            if unread == 0 || (unread == nil && (ownReceipt || ownMessage)) { d.readRooms.insert(roomID) }
            guard notify else { continue }
            if room["timeline"]?["limited"]?.bool == true, let prev = room["timeline"]?["prev_batch"]?.string,
               !prev.isEmpty, prev.utf8.count < 4096 {
                d.gaps[roomID] = prev
            }
            let context = PushContext(me: me, displayName: names[me.rawValue] ?? displayName(roomID, me.rawValue),
                                      joinedMemberCount: info.joinedMembers, powerLevels: info.powerLevels,
                                      creators: Set(info.creators), roomVersion: info.roomVersion)
            for e in timeline {
                if var change = change(from: e, roomID: roomID) {
                    let sender = e["sender"]?.string ?? ""
                    change.senderName = names[sender] ?? displayName(roomID, sender) ?? sender
                    d.changes.append(change)
                }
                guard let event = PushEvent(json: e, roomID: roomID) else { continue }
                let actions = evaluator.evaluate(event: event, context: context)
                guard actions.notify, var m = message(from: e, roomID: roomID, me: me,
                                                      name: { names[$0] ?? displayName(roomID, $0) }) else { continue }
                m.highlight = actions.highlight
                m.sound = actions.sound
                d.messages.append(m)
            }
        }
        for (roomID, _) in sync["rooms"]?["leave"]?.object ?? [:] { d.leftRooms.append(roomID) }
        if notify {
            for (roomID, room) in sync["rooms"]?["invite"]?.object ?? [:] {
                if let m = invite(room["invite_state"]?["events"]?.array ?? [], roomID: roomID, me: me, evaluator: evaluator) {
                    d.messages.append(m)
                }
            }
        }
        return d
    }

    /// An invitation for me in a room's stripped state, when the push rules want it shown.
    static func invite(_ state: [JSONValue], roomID: String, me: UserID, evaluator: PushRuleEvaluator) -> IncomingMessage? {
        guard let mine = state.first(where: {
            $0["type"]?.string == "m.room.member" && $0["state_key"]?.string == me.rawValue
                && $0["content"]?["membership"]?.string == "invite"
        }), let sender = mine["sender"]?.string, let event = PushEvent(json: mine, roomID: roomID) else { return nil }
        let actions = evaluator.evaluate(event: event, context: PushContext(me: me, joinedMemberCount: 0))
        guard actions.notify else { return nil }
        let roomName = state.first { $0["type"]?.string == "m.room.name" }?["content"]?["name"]?.string.flatMap { $0.isEmpty ? nil : String($0.prefix(255)) }
        let senderName = state.first { $0["type"]?.string == "m.room.member" && $0["state_key"]?.string == sender }?["content"]?["displayname"]?.string
        // Stripped state carries no event ID: one invitation per room is notified once.
        return IncomingMessage(eventID: "invite:\(roomID)", roomID: roomID, sender: sender,
                               senderName: senderName.map { String($0.prefix(100)) } ?? sender,
                               content: .invite(room: roomName), timestamp: 0, sound: actions.sound)
    }

    /// An edit (`m.replace`) or a redaction of an earlier message.
    static func change(from e: JSONValue, roomID: String) -> MessageChange? {
        if e["type"]?.string == "m.room.redaction",
           let target = e["redacts"]?.string ?? e["content"]?["redacts"]?.string {
            return MessageChange(roomID: roomID, targetEventID: target, newText: nil)
        }
        guard e["type"]?.string == "m.room.message", let relates = e["content"]?["m.relates_to"],
              relates["rel_type"]?.string == "m.replace", let target = relates["event_id"]?.string,
              let text = e["content"]?["m.new_content"]?["body"]?.string else { return nil }
        return MessageChange(roomID: roomID, targetEventID: target, newText: String(text.prefix(2000)))
    }
}
