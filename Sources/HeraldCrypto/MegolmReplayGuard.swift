/// Replay protection for one Megolm session: which event each message index was seen in. A
/// server replaying an old message under a new event ID is refused; the same event decrypted
/// again (a /sync repeated after a crash) is not a replay.
///
/// It keeps the `MegolmLimits.replayIndicesPerSession` (256) highest indices. Past that the lowest
/// is forgotten and becomes the floor: an index at or below the floor that was never recorded is
/// refused (`replayWindowPassed`), since it can no longer be told apart from a replay. A notifier
/// loses nothing by that: such a message is hundreds of messages old in its session.
public struct MegolmReplayGuard: Sendable, Equatable {
    private(set) var eventIDs: [UInt32: String] = [:]
    /// The highest index forgotten so far.
    private(set) var floor: UInt32?

    public init() {}

    /// A stored guard, checked as `record` would have built it: at most 256 indices, all above the
    /// floor, each with a non-empty event ID of at most 255 bytes.
    init(eventIDs: [UInt32: String], floor: UInt32?) throws {
        guard eventIDs.count <= MegolmLimits.replayIndicesPerSession,
              eventIDs.allSatisfy({ index, id in
                  (floor.map { index > $0 } ?? true) && !id.isEmpty && id.utf8.count <= MegolmLimits.maxEventIDBytes
              })
        else { throw CryptoError.malformed("Megolm replay guard") }
        self.eventIDs = eventIDs
        self.floor = floor
    }

    /// Records that message `index` decrypted `eventID`, or throws if that would accept a replay.
    public mutating func record(index: UInt32, eventID: String) throws {
        guard !eventID.isEmpty, eventID.utf8.count <= MegolmLimits.maxEventIDBytes else {
            throw CryptoError.malformed("event ID")
        }
        if let seen = eventIDs[index] {
            guard seen == eventID else { throw CryptoError.replayedIndex(index) }
            return
        }
        if let floor, index <= floor { throw CryptoError.replayWindowPassed(index) }
        eventIDs[index] = eventID
        if eventIDs.count > MegolmLimits.replayIndicesPerSession, let lowest = eventIDs.keys.min() {
            eventIDs[lowest] = nil
            floor = lowest
        }
    }

    /// How many indices are remembered, at most `MegolmLimits.replayIndicesPerSession`.
    public var count: Int { eventIDs.count }
}
