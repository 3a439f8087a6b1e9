import Crypto

/// The Megolm ratchet: four 32-byte parts R0‖R1‖R2‖R3 and the message index they belong to.
///
/// Advancing by one re-seeds R3 from itself; every 2⁸ steps R2 re-seeds R2 and R3, every 2¹⁶ steps
/// R1 re-seeds R1..R3, every 2²⁴ steps R0 re-seeds everything (`R_k = HMAC(R_h, byte k)` for k from
/// 3 down to h, so R_h changes last). Jumping ahead therefore costs at most 255 hashes per part,
/// never one per skipped message. It only ever moves forward.
struct MegolmRatchet: Sendable {
    private(set) var index: UInt32
    /// R0‖R1‖R2‖R3.
    private(set) var bytes: [UInt8]

    init(bytes: some Collection<UInt8>, index: UInt32) throws {
        guard bytes.count == MegolmLimits.ratchetBytes else { throw CryptoError.malformed("Megolm ratchet") }
        self.bytes = Array(bytes)
        self.index = index
    }

    /// Moves to `target`, or does nothing if the ratchet is already there or past it. Returns the
    /// number of HMACs spent, at most `MegolmLimits.maxHashesPerAdvance`.
    @discardableResult
    mutating func advance(to target: UInt32) -> Int {
        guard target > index else { return 0 }
        var hashes = 0
        for part in 0..<4 {
            let shift = UInt32(3 - part) * 8
            // How far this part's byte of the index moves; the parts above are already aligned.
            var steps = ((target >> shift) &- (index >> shift)) & 0xFF
            if steps == 0 { continue }
            // All but the last step only move R_part; the last one also re-seeds the parts below.
            while steps > 1 {
                rehash(from: part, to: part)
                steps -= 1
                hashes += 1
            }
            for lower in (part..<4).reversed() {
                rehash(from: part, to: lower)
                hashes += 1
            }
            index = target & (UInt32.max << shift)
        }
        return hashes
    }

    private mutating func rehash(from: Int, to: Int) {
        let key = SymmetricKey(data: bytes[from * MegolmLimits.partBytes..<(from + 1) * MegolmLimits.partBytes])
        let digest = HMAC<SHA256>.authenticationCode(for: [UInt8(to)], using: key)
        bytes.replaceSubrange(to * MegolmLimits.partBytes..<(to + 1) * MegolmLimits.partBytes, with: Array(digest))
    }

    /// Whether both hold the same state, compared in constant time.
    func sameState(as other: MegolmRatchet) -> Bool {
        index == other.index && ConstantTime.equal(bytes, other.bytes)
    }
}
