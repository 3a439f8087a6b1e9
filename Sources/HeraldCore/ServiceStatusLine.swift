/// The one-line summary systemd shows as the service's status (`STATUS=`, in
/// `systemctl --user status herald`): "2 accounts, 1 locked, 1 offline, syncing".
public enum ServiceStatusLine {
    /// States other than syncing, in the order they are listed; unknown states follow, sorted.
    static let order = ["starting", "offline", "signed_out"]

    /// `states` holds one entry per account (`syncing`, `starting`, `offline`, `signed_out`, …);
    /// `locked` counts the accounts whose previews are hidden until a PIN unlocks them.
    public static func summary(states: [String], locked: Int = 0) -> String {
        guard !states.isEmpty else { return "no accounts" }
        var counts: [String: Int] = [:]
        for s in states { counts[s, default: 0] += 1 }
        var parts = [states.count == 1 ? "1 account" : "\(states.count) accounts"]
        if locked > 0 { parts.append("\(locked) locked") }
        let others = counts.keys.filter { $0 != "syncing" }.sorted { a, b in
            let (i, j) = (order.firstIndex(of: a) ?? order.count, order.firstIndex(of: b) ?? order.count)
            return i != j ? i < j : a < b
        }
        for state in others {
            let words = String(state.map { $0 == "_" ? " " : $0 })
            parts.append(counts[state] == states.count ? words : "\(counts[state]!) \(words)")
        }
        if counts["syncing"] != nil { parts.append("syncing") }
        return parts.joined(separator: ", ")
    }
}
