/// The server's current key backup as last checked against the kept key, remembered in memory
/// so that the answers that come while events wait for a key do not each ask
/// `GET /room_keys/version`: it is asked again once `maxAge` has passed, or when the kept key
/// is for another version. A backup replaced meanwhile is noticed that much later; lookups
/// until then name the old version and find nothing.
public struct KeyBackupCheck: Sendable {
    public static let maxAge: Double = 600

    private var last: (backup: KeyBackupVersion, at: Double)?

    public init() {}

    /// The backup checked less than `maxAge` before `now`, when the kept key is for it.
    public func current(keptVersion: String, now: Double) -> KeyBackupVersion? {
        guard let last, last.backup.version == keptVersion, now >= last.at, now - last.at < Self.maxAge else { return nil }
        return last.backup
    }

    /// The kept key opened `backup`, the server's current one, at `now`.
    public mutating func checked(_ backup: KeyBackupVersion, now: Double) { last = (backup, now) }

    /// No key is kept, or it no longer opens the backup.
    public mutating func forget() { last = nil }
}
