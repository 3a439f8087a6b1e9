extension OlmSession {
    /// Layout version 1: version, I_A, E_A, E_B, T0, chain key, chain index, skipped keys
    /// (count, then index ‖ message key, oldest first).
    static let pickleVersion: UInt8 = 1

    /// The session's state as plain bytes. The caller seals them before they touch disk.
    public func pickle() -> [UInt8] {
        var w = PickleWriter()
        w.u8(Self.pickleVersion)
        for key in [senderIdentityKey, baseKey, oneTimeKey, ratchetKey, chainKey] { w.key(key) }
        w.u32(chainIndex)
        w.u8(UInt8(skippedKeys.count))
        for skipped in skippedKeys {
            w.u32(skipped.index)
            w.key(skipped.messageKey)
        }
        return w.bytes
    }

    /// Loads what `pickle()` wrote. Skipped keys must be at most the limit, in increasing order and
    /// below the chain index.
    public init(pickle bytes: [UInt8]) throws {
        var r = PickleReader(bytes, what: "Olm session")
        guard try r.u8() == Self.pickleVersion else { throw CryptoError.unsupported("Olm session pickle version") }
        let identity = try r.key(), base = try r.key(), oneTime = try r.key(), ratchet = try r.key(), chain = try r.key()
        let chainIndex = try r.u32()
        let count = Int(try r.u8())
        guard count <= OlmLimits.maxSkippedMessageKeys else { throw r.malformed("too many skipped keys") }
        var skipped: [SkippedKey] = []
        for _ in 0..<count {
            let index = try r.u32()
            guard index < chainIndex, skipped.last.map({ $0.index < index }) ?? true else { throw r.malformed("skipped key index") }
            skipped.append(SkippedKey(index: index, messageKey: try r.key()))
        }
        try r.finish()
        self.init(senderIdentityKey: identity, baseKey: base, oneTimeKey: oneTime, ratchetKey: ratchet,
                  chainKey: chain, chainIndex: chainIndex, skippedKeys: skipped)
    }
}
