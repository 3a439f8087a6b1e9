import HeraldSecrets
import Testing

struct PinHasherTests {
    @Test func sameSaltAndPINGiveTheSameDerivation() throws {
        let salt = PinHasher.newSalt()
        let a = try PinHasher.derive(pin: "4821", salt: salt)
        let b = try PinHasher.derive(pin: "4821", salt: salt)
        #expect(a.count == 32)
        #expect(PinHasher.matches(a, b))
    }

    @Test func theDerivationDependsOnSaltAndPIN() throws {
        let salt = PinHasher.newSalt()
        let base = try PinHasher.derive(pin: "4821", salt: salt)
        #expect(!PinHasher.matches(base, try PinHasher.derive(pin: "4822", salt: salt)))
        #expect(!PinHasher.matches(base, try PinHasher.derive(pin: "4821", salt: PinHasher.newSalt())))
    }

    /// A known answer, so a change of parameters (which would lock everyone out) cannot go unnoticed.
    @Test func knownAnswer() throws {
        let derived = try PinHasher.derive(pin: "4821", salt: Array("herald-pin-salt!".utf8))
        // Python: hashlib.scrypt(b"4821", salt=b"herald-pin-salt!", n=32768, r=8, p=1, dklen=32)
        #expect(hex(derived) == "6dc87fbbf63c8f3b4024de4e640a4f81b7d7a115c46a1f93c25eda289c843540")
    }

    @Test func saltsAreRandom() {
        let salts = (0..<8).map { _ in PinHasher.newSalt() }
        #expect(salts.allSatisfy { $0.count == 16 })
        #expect(Set(salts).count == 8)
    }

    @Test func matchesComparesWholeArrays() {
        #expect(PinHasher.matches([1, 2, 3], [1, 2, 3]))
        #expect(!PinHasher.matches([1, 2, 3], [1, 2, 4]))
        #expect(!PinHasher.matches([1, 2, 3], [1, 2]))
        #expect(PinHasher.matches([], []))
    }

    @Test func refusesAnEmptyPINOrABadSalt() {
        #expect(throws: PinHasherError.emptyPIN) { try PinHasher.derive(pin: "", salt: PinHasher.newSalt()) }
        #expect(throws: PinHasherError.badSaltLength(8)) { try PinHasher.derive(pin: "4821", salt: [UInt8](repeating: 0, count: 8)) }
    }
}
