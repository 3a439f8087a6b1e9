extension OlmAccount {
    /// Layout version 1: version, identity key, Ed25519 seed, next key ID, one-time keys
    /// (count, then ID ‖ key ‖ published), current and previous fallback keys (present flag,
    /// then ID ‖ key ‖ published ‖ used flag ‖ first use).
    static let pickleVersion: UInt8 = 1

    /// The account's private state as plain bytes. The caller seals them before they touch disk.
    public func pickle() -> [UInt8] {
        var w = PickleWriter()
        w.u8(Self.pickleVersion)
        w.key(identitySecret)
        w.key(signingSeed)
        w.u32(nextKeyID)
        w.u32(UInt32(oneTimeKeys.count))
        for key in oneTimeKeys {
            w.u32(key.id)
            w.key(key.secret)
            w.bool(key.published)
        }
        for fallback in [fallbackKey, previousFallbackKey] {
            w.bool(fallback != nil)
            guard let fallback else { continue }
            w.u32(fallback.id)
            w.key(fallback.secret)
            w.bool(fallback.published)
            w.bool(fallback.firstUsed != nil)
            w.u64(fallback.firstUsed ?? 0)
        }
        return w.bytes
    }

    /// Loads what `pickle()` wrote, checking every count, flag and key ID.
    public init(pickle bytes: [UInt8]) throws {
        var r = PickleReader(bytes, what: "Olm account")
        guard try r.u8() == Self.pickleVersion else { throw CryptoError.unsupported("Olm account pickle version") }
        let identitySecret = try r.key()
        let signingSeed = try r.key()
        let nextKeyID = try r.u32()
        let count = try r.u32()
        guard count <= OlmLimits.maxStoredOneTimeKeys else { throw r.malformed("too many one-time keys") }
        var oneTimeKeys: [OneTimeKey] = []
        for _ in 0..<count {
            let id = try r.u32()
            let increasing = oneTimeKeys.last.map { $0.id < id } ?? true
            guard increasing, id < nextKeyID else { throw r.malformed("key ID") }
            oneTimeKeys.append(try OneTimeKey(id: id, secret: try r.key(), published: try r.bool()))
        }
        var fallbacks: [OneTimeKey?] = []
        for _ in 0..<2 {
            guard try r.bool() else { fallbacks.append(nil); continue }
            let id = try r.u32()
            guard id < nextKeyID else { throw r.malformed("key ID") }
            let secret = try r.key(), published = try r.bool(), used = try r.bool(), firstUsed = try r.u64()
            guard used || firstUsed == 0 else { throw r.malformed("fallback use") }
            fallbacks.append(try OneTimeKey(id: id, secret: secret, published: published, firstUsed: used ? firstUsed : nil))
        }
        try r.finish()
        self.init(identitySecret: identitySecret, signingSeed: signingSeed, nextKeyID: nextKeyID,
                  oneTimeKeys: oneTimeKeys, fallbackKey: fallbacks[0], previousFallbackKey: fallbacks[1])
    }
}
