import HeraldCore

/// One /sync answer as read, before the digest.
public struct SyncAnswer: Sendable {
    public var json: JSONValue
    /// Events left out because they could not be read (LenientJSON).
    public var skippedEvents: Int
    /// The answer's size on the wire, body only.
    public var bytes: Int

    public init(json: JSONValue, skippedEvents: Int = 0, bytes: Int = 0) {
        self.json = json
        self.skippedEvents = skippedEvents
        self.bytes = bytes
    }
}
