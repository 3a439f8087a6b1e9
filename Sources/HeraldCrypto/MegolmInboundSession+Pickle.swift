/// The stored form of an inbound Megolm session, 298 bytes, which the daemon seals before writing:
/// `format (2) ‖ authenticity (0 signed, 1 unsigned) ‖ first known index (u32 BE) ‖ ratchet (128) ‖
/// latest index (u32 BE) ‖ latest ratchet (128) ‖ Ed25519 public key (32)`. Loading checks every
/// field; the latest index may not be below the first.
extension MegolmInboundSession {
    static let pickleFormat: UInt8 = 2
    public static let pickleBytes = 2 + 2 * (4 + MegolmLimits.ratchetBytes) + MegolmLimits.publicKeyBytes

    public func pickled() -> [UInt8] {
        var w = PickleWriter(capacity: Self.pickleBytes)
        w.u8(Self.pickleFormat)
        w.u8(authenticity.rawValue)
        for r in [ratchet, latest] {
            w.u32(r.index)
            w.raw(r.bytes)
        }
        w.key(signingKey)
        return w.bytes
    }

    public init(pickle bytes: [UInt8]) throws {
        guard bytes.count == Self.pickleBytes else { throw CryptoError.malformed("Megolm session pickle (length)") }
        var r = PickleReader(bytes, what: "Megolm session")
        let format = try r.u8()
        guard format == Self.pickleFormat else { throw CryptoError.unsupported("Megolm session pickle format \(format)") }
        guard let authenticity = MegolmKeyAuthenticity(rawValue: try r.u8()) else { throw r.malformed("authenticity") }
        func ratchet() throws -> MegolmRatchet {
            let index = try r.u32()
            return try MegolmRatchet(bytes: r.raw(MegolmLimits.ratchetBytes), index: index)
        }
        let first = try ratchet()
        let latest = try ratchet()
        let signingKey = try r.key()
        try r.finish()
        try self.init(ratchet: first, latest: latest, signingKey: signingKey, authenticity: authenticity)
    }
}
