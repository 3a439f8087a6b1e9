/// The group sessions an account used last, unsealed, so that the next message of a busy room
/// does not read, open and decode its session again. It holds what the store holds: a record is
/// put once the answer that changed it is written. At most `capacity` sessions, the least
/// recently used dropped first; it lives as long as the account's sync loop (a sign-out ends it).
///
/// A record is about 0.5 KB plus its replay guard (up to 256 event IDs, ~25 KB when full; a
/// session rotated every 100 messages holds ~10 KB), so 32 sessions stay well under a megabyte.
public struct GroupSessionCache: Sendable {
    public struct Key: Hashable, Sendable {
        public let roomID: String
        public let sessionID: String

        public init(roomID: String, sessionID: String) {
            self.roomID = roomID
            self.sessionID = sessionID
        }
    }

    public static let defaultCapacity = 32

    public let capacity: Int
    private var entries: [Key: (record: GroupSessionRecord, used: UInt64)] = [:]
    /// Counts uses: the entry with the lowest `used` is the least recently used.
    private var clock: UInt64 = 0

    public init(capacity: Int = GroupSessionCache.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { entries.count }

    /// The record, marked as just used.
    public mutating func get(_ key: Key) -> GroupSessionRecord? {
        guard let record = entries[key]?.record else { return nil }
        clock += 1
        entries[key]?.used = clock
        return record
    }

    /// Keeps `record` as the most recently used, dropping the least recently used beyond `capacity`.
    public mutating func put(_ key: Key, _ record: GroupSessionRecord) {
        clock += 1
        entries[key] = (record, clock)
        guard entries.count > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key else { return }
        entries[oldest] = nil
    }

    public func contains(_ key: Key) -> Bool { entries[key] != nil }
}
