import HeraldCore

extension SyncDigest {
    /// How many events of a timeline gap (paged back with `/messages`) would have notified,
    /// by the same rules as a sync answer's timeline: the user's push rules, never the user's
    /// own events, and only events Herald has words for (`message(from:)`).
    public static func notifyingCount(
        _ events: [JSONValue], roomID: String, room: RoomInfo, me: UserID, myName: String?, rules: PushRuleEvaluator?
    ) -> Int {
        let evaluator = rules ?? PushRuleEvaluator(rules: PushRuleSet.defaults(for: me))
        let context = PushContext(me: me, displayName: myName, joinedMemberCount: room.joinedMembers,
                                  powerLevels: room.powerLevels, creators: Set(room.creators), roomVersion: room.roomVersion)
        return events.filter { e in
            guard let event = PushEvent(json: e, roomID: roomID),
                  evaluator.evaluate(event: event, context: context).notify else { return false }
            return message(from: e, roomID: roomID, me: me, name: { _ in nil }) != nil
        }.count
    }
}
