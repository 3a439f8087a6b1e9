import HeraldCore
import HeraldMatrix
import HeraldStore

/// After sleep or a restart, a busy room's sync answer carries only its latest events: the
/// rest is a gap. The gap is paged back to the previous cursor and its events counted by the
/// push rules, so each message counts once. The server's unread count cannot say it: it runs
/// from the last read receipt and holds messages already shown or from before sign-in. Where
/// the gap cannot be had (network, or longer than a thousand events), the growth of the
/// server's count stands in.
enum GapCount {
    static let pageSize = 100
    static let maxPages = 10
    static let maxRooms = 50

    /// For each room with a gap: the messages new to Herald, in the gap and in the timeline.
    static func hints(_ digest: SyncDigest, since: String?, client: MatrixClient, me: UserID, rules: PushRuleEvaluator?,
                      store: AppDatabase) async -> [String: Int] {
        guard let since, !digest.gaps.isEmpty else { return digest.unreadHints }
        let gaps = digest.gaps.prefix(maxRooms).map { roomID, prev in
            (roomID, prev, digest.rooms[roomID] ?? RoomInfo(), (try? store.displayName(of: me.rawValue, in: roomID, for: me)) ?? nil)
        }
        var hints = digest.unreadHints
        await withTaskGroup(of: (String, Int?).self) { group in
            for (roomID, prev, room, myName) in gaps {
                group.addTask {
                    (roomID, await count(roomID: roomID, from: prev, to: since, room: room, myName: myName,
                                         client: client, me: me, rules: rules))
                }
            }
            for await (roomID, gap) in group {
                guard let gap else { continue }
                hints[roomID] = gap + digest.messages.filter { $0.roomID == roomID }.count
            }
        }
        return hints
    }

    /// The gap's notifying events, or nil when it cannot be paged through.
    private static func count(roomID: String, from: String, to: String, room: RoomInfo, myName: String?,
                              client: MatrixClient, me: UserID, rules: PushRuleEvaluator?) async -> Int? {
        var total = 0
        var token: String? = from
        for _ in 0..<maxPages {
            guard let page = token else { return total }
            guard let back = try? await client.messagesBack(roomID: roomID, from: page, to: to, limit: pageSize) else { return nil }
            total += SyncDigest.notifyingCount(back.events, roomID: roomID, room: room, me: me, myName: myName, rules: rules)
            token = back.next
        }
        return token == nil ? total : nil
    }
}
