/// How a session relates to another copy with the same session ID, as vodozemac's
/// `InboundGroupSession::compare` defines it.
public enum MegolmSessionOrdering: Sendable, Equatable {
    /// Same chain, same first known index.
    case equal
    /// Same chain; this one starts earlier, so it decrypts more.
    case better
    /// Same chain; the other one starts earlier.
    case worse
    /// Different keys, or ratchets that do not lead to each other: a bogus copy (or another session).
    case unconnected
}

extension MegolmInboundSession {
    /// Whether both are the same ratchet chain: the earlier ratchet, advanced to the later one's
    /// index, must equal it byte for byte.
    public func compare(_ other: MegolmInboundSession) -> MegolmSessionOrdering {
        guard ConstantTime.equal(signingKey, other.signingKey) else { return .unconnected }
        var earlier = ratchet.index <= other.ratchet.index ? ratchet : other.ratchet
        let later = ratchet.index <= other.ratchet.index ? other.ratchet : ratchet
        earlier.advance(to: later.index)
        guard earlier.sameState(as: later) else { return .unconnected }
        if ratchet.index == other.ratchet.index { return .equal }
        return ratchet.index < other.ratchet.index ? .better : .worse
    }

    /// The best of both: the earlier ratchet, signed if either was. Signing carries over because
    /// a connected ratchet is the same chain the signed key vouches for. `nil` when they are
    /// unconnected: the caller keeps the session it has.
    public func merged(with other: MegolmInboundSession) -> MegolmInboundSession? {
        let best: MegolmInboundSession
        switch compare(other) {
        case .equal, .better: best = self
        case .worse: best = other
        case .unconnected: return nil
        }
        var merged = best
        if isAuthenticated || other.isAuthenticated { merged.authenticity = .signed }
        return merged
    }
}
