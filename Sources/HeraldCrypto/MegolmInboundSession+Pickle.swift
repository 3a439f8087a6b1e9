/// The stored form of an inbound Megolm session, 166 bytes, which the daemon seals before writing:
/// `format (1) ‖ authenticity (0 signed, 1 unsigned) ‖ first known index (u32 BE) ‖ ratchet (128) ‖
/// Ed25519 public key (32)`. Loading checks every field.
extension MegolmInboundSession {
    static let pickleFormat: UInt8 = 1
    public static let pickleBytes = 2 + 4 + MegolmLimits.ratchetBytes + MegolmLimits.publicKeyBytes

    public func pickled() -> [UInt8] {
        var bytes: [UInt8] = [Self.pickleFormat, authenticity.rawValue]
        bytes.reserveCapacity(Self.pickleBytes)
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: ratchet.index >> (24 - 8 * UInt32($0))) }
        bytes += ratchet.bytes
        bytes += signingKey
        return bytes
    }

    public init(pickle bytes: [UInt8]) throws {
        guard bytes.count == Self.pickleBytes else { throw CryptoError.malformed("Megolm session pickle (length)") }
        guard bytes[0] == Self.pickleFormat else { throw CryptoError.unsupported("Megolm session pickle format \(bytes[0])") }
        guard let authenticity = MegolmKeyAuthenticity(rawValue: bytes[1]) else {
            throw CryptoError.malformed("Megolm session pickle (authenticity)")
        }
        let index = bytes[2..<6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let ratchetEnd = 6 + MegolmLimits.ratchetBytes
        try self.init(
            ratchet: try MegolmRatchet(bytes: bytes[6..<ratchetEnd], index: index),
            signingKey: Array(bytes[ratchetEnd...]),
            authenticity: authenticity)
    }
}
