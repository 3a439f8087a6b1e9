import Testing
@testable import HeraldCrypto

@Suite struct MegolmRatchetTests {
    private func ratchet(at index: UInt32 = 0) throws -> MegolmRatchet {
        try MegolmRatchet(bytes: (0..<128).map { UInt8($0) }, index: index)
    }

    @Test("advancing by 100,000 costs a few hundred HMACs, not 100,000")
    func hundredThousandIsLogarithmic() throws {
        var r = try ratchet()
        // 100,000 = 0x01_86_A0: R1 once (3 hashes), R2 0x86 times (133 + 2), R3 0xA0 times (159 + 1).
        #expect(r.advance(to: 100_000) == 298)
        #expect(r.index == 100_000)
    }

    @Test("the worst jump, 0 to 2^32 - 1, stays within the documented bound")
    func worstJump() throws {
        var r = try ratchet()
        #expect(r.advance(to: .max) == MegolmLimits.maxHashesPerAdvance)
        #expect(MegolmLimits.maxHashesPerAdvance == 1026)
    }

    @Test("one step at a time reaches the same state as one jump, across the 256 and 512 reseeds")
    func stepsEqualJump() throws {
        var stepped = try ratchet(), jumped = try ratchet()
        for i in 1...600 { stepped.advance(to: UInt32(i)) }
        jumped.advance(to: 600)
        #expect(stepped.sameState(as: jumped))
        var partial = try ratchet()
        partial.advance(to: 255)
        partial.advance(to: 600)
        #expect(partial.sameState(as: jumped))
    }

    @Test("never moves backwards")
    func neverBackwards() throws {
        var r = try ratchet()
        r.advance(to: 10)
        let at10 = r
        #expect(r.advance(to: 5) == 0)
        #expect(r.advance(to: 10) == 0)
        #expect(r.sameState(as: at10))
    }

    @Test("refuses a ratchet that is not 128 bytes")
    func wrongLength() {
        #expect(throws: CryptoError.self) { try MegolmRatchet(bytes: [UInt8](repeating: 0, count: 127), index: 0) }
        #expect(throws: CryptoError.self) { try MegolmRatchet(bytes: [UInt8](repeating: 0, count: 129), index: 0) }
    }
}
