/// The stored form of an inbound Megolm session, 298 bytes, which the daemon seals before writing:
/// `format (2) ‖ authenticity (0 signed, 1 unsigned) ‖ first known index (u32 BE) ‖ ratchet (128) ‖
/// latest index (u32 BE) ‖ latest ratchet (128) ‖ Ed25519 public key (32)`. Loading checks every
/// field; the latest index may not be below the first.
extension MegolmInboundSession {
    static let pickleFormat: UInt8 = 2
    public static let pickleBytes = 2 + 2 * (4 + MegolmLimits.ratchetBytes) + MegolmLimits.publicKeyBytes

    public func pickled() -> [UInt8] {
        var bytes: [UInt8] = [Self.pickleFormat, authenticity.rawValue]
        bytes.reserveCapacity(Self.pickleBytes)
        for r in [ratchet, latest] {
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: r.index >> (24 - 8 * UInt32($0))) }
            bytes += r.bytes
        }
        bytes += signingKey
        return bytes
    }

    public init(pickle bytes: [UInt8]) throws {
        guard bytes.count == Self.pickleBytes else { throw CryptoError.malformed("Megolm session pickle (length)") }
        guard bytes[0] == Self.pickleFormat else { throw CryptoError.unsupported("Megolm session pickle format \(bytes[0])") }
        guard let authenticity = MegolmKeyAuthenticity(rawValue: bytes[1]) else {
            throw CryptoError.malformed("Megolm session pickle (authenticity)")
        }
        func ratchet(at start: Int) throws -> MegolmRatchet {
            let index = bytes[start..<(start + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return try MegolmRatchet(bytes: bytes[(start + 4)..<(start + 4 + MegolmLimits.ratchetBytes)], index: index)
        }
        let second = 2 + 4 + MegolmLimits.ratchetBytes
        try self.init(
            ratchet: try ratchet(at: 2), latest: try ratchet(at: second),
            signingKey: Array(bytes[(second + 4 + MegolmLimits.ratchetBytes)...]),
            authenticity: authenticity)
    }
}
