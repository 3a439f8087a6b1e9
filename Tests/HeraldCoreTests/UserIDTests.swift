import HeraldCore
import Testing

struct UserIDTests {
    @Test func parsesAWellFormedID() throws {
        let id = try #require(UserID("@alice:example.org"))
        #expect(id.localpart == "alice")
        #expect(id.serverName == "example.org")
    }

    @Test(arguments: ["alice", "@alice", "@:example.org", "@alice:", "@al ice:example.org", "", String(repeating: "@a:b", count: 80)])
    func rejectsMalformedIDs(_ raw: String) {
        #expect(UserID(raw) == nil)
    }

    @Test func resolvesPrefixesAndFullIDs() {
        let ids = [UserID("@alice:a.org")!, UserID("@alicia:b.org")!, UserID("@bob:a.org")!]
        #expect(AccountMatch.resolve("@bob:a.org", among: ids) == .found(ids[2]))
        #expect(AccountMatch.resolve("bob", among: ids) == .found(ids[2]))
        #expect(AccountMatch.resolve("@bo", among: ids) == .found(ids[2]))
        #expect(AccountMatch.resolve("alice", among: ids) == .found(ids[0]))
        #expect(AccountMatch.resolve("ali", among: ids) == .ambiguous([ids[0], ids[1]]))
        #expect(AccountMatch.resolve("carol", among: ids) == .none)
    }
}

struct BackoffTests {
    @Test func growsExponentiallyUpToTheCapAndResets() {
        var b = Backoff(initialMilliseconds: 1_000, capMilliseconds: 60_000)
        let waits = (0..<10).map { _ in b.next(unit: 1) }
        #expect(waits.prefix(4) == [1_000, 2_000, 4_000, 8_000])
        #expect(waits.last == 60_000)
        #expect(waits.allSatisfy { $0 <= 60_000 })
        b.reset()
        #expect(b.next(unit: 0) == 500)
    }

    @Test func jitterStaysWithinHalfToFullBase() {
        var low = Backoff(), high = Backoff()
        for _ in 0..<5 { _ = low.next(unit: 0); _ = high.next(unit: 0.999) }
        #expect(low.next(unit: 0) == 16_000)
        #expect((31_000...32_000).contains(high.next(unit: 0.999)))
    }
}
