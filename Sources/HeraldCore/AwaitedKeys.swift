/// What an account's sync loop knows, in memory, of its encrypted events still waiting for a
/// key, so that an ordinary answer does not ask the store. Only the loop's own answers add such
/// events, so once the store showed none, none wait until an answer adds one.
public enum AwaitedKeys: Sendable, Equatable {
    /// Not asked yet: the store may hold some from before a restart.
    case unknown
    /// The store held none at the last look, and no answer added any since.
    case none
    /// Some may wait (they expire after a while, which the next look sees).
    case some

    /// Whether the store is worth asking.
    public var mayWait: Bool { self != .none }

    /// The store was asked and held `count` waiting events.
    public mutating func looked(found count: Int) { self = count == 0 ? .none : .some }

    /// An answer that made `added` events wait is written.
    public mutating func committed(added: Int) { if added > 0 { self = .some } }
}
