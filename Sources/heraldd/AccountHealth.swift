import Foundation
import HeraldControl
import HeraldCore
import Synchronization

/// Each account's sync state as its loop last saw it, kept in memory: when the database cannot
/// be written, the state stored there is stale, and status must still tell the truth.
final class AccountHealth: Sendable {
    struct Entry: Sendable, Equatable {
        var state: String
        var reason: String?
        var since: Double
    }

    private let entries = Mutex<[UserID: Entry]>([:])

    func set(_ id: UserID, state: String, reason: String?, since: Double = Date().timeIntervalSince1970) {
        let changed = entries.withLock { e -> Bool in
            guard e[id]?.state != state || e[id]?.reason != reason else { return false }
            e[id] = Entry(state: state, reason: reason, since: since)
            return true
        }
        if changed { ServiceStatus.shared.refresh() }  // the STATUS= line reads it too
    }

    func entry(_ id: UserID) -> Entry? { entries.withLock { $0[id] } }

    func remove(_ id: UserID) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}

extension AccountHealth {
    /// `info` with the sync loop's own view of its state, which wins over the stored one that a
    /// failing database leaves stale.
    func apply(to info: AccountInfo) -> AccountInfo {
        guard info.state != "signed_out", let id = UserID(info.id), let live = entry(id) else { return info }
        var out = info
        out.state = live.state
        out.reason = live.reason
        out.since = UTCTimestamp.iso8601(live.since)
        return out
    }
}
