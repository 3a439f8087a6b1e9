import HeraldCore
import Testing

struct PinPolicyTests {
    /// Runs one wrong attempt with a distinct digest through the policy.
    func fail(_ a: PinAttempts, digest: UInt8, at now: Double) -> (PinAttempts, PinPolicy.Outcome) {
        PinPolicy.finish(PinPolicy.begin(a), matched: false, digest: [digest], now: now)
    }

    @Test func fourFreeFailuresThenGrowingWaitsThenSignOut() {
        var a = PinAttempts()
        var now = 1000.0
        var outcomes: [PinPolicy.Outcome] = []
        for i in 0..<10 {
            #expect(PinPolicy.gate(a, now: now) == .check)
            let (next, outcome) = fail(a, digest: UInt8(i), at: now)
            a = next
            outcomes.append(outcome)
            now += 4000  // past any wait
        }
        #expect(outcomes.prefix(4) == [.rejected(attemptsLeft: 9, waitSeconds: 0), .rejected(attemptsLeft: 8, waitSeconds: 0),
                                       .rejected(attemptsLeft: 7, waitSeconds: 0), .rejected(attemptsLeft: 6, waitSeconds: 0)])
        #expect(outcomes[4...8].map { if case .rejected(_, let w) = $0 { return w } else { return -1 } } == [60, 300, 900, 900, 3600])
        #expect(outcomes[9] == .signOut)
    }

    @Test func duringAWaitAttemptsAreRefusedWithoutChecking() {
        var a = PinAttempts()
        for i in 0..<5 { a = fail(a, digest: UInt8(i), at: 100).0 }
        #expect(PinPolicy.gate(a, now: 130) == .wait(seconds: 30))
        #expect(PinPolicy.gate(a, now: 161) == .check)
    }

    @Test func theSameWrongPinRightAwayCountsOnce() {
        var a = fail(PinAttempts(), digest: 7, at: 10).0
        a = fail(a, digest: 7, at: 12).0
        #expect(a.failures == 1)
        a = fail(a, digest: 7, at: 200).0  // long after: a new guess
        #expect(a.failures == 2)
        a = fail(a, digest: 8, at: 201).0
        #expect(a.failures == 3)
    }

    @Test func aCrashBetweenBeginAndFinishKeepsTheAttemptCounted() {
        let stored = PinPolicy.begin(PinAttempts(failures: 3))
        #expect(stored.failures == 4)
    }

    @Test func theRightPinResetsEverything() {
        let a = PinAttempts(failures: 6, lockedUntil: nil, lastWrong: [1], lastWrongAt: 5)
        let (next, outcome) = PinPolicy.finish(PinPolicy.begin(a), matched: true, digest: [2], now: 9)
        #expect(outcome == .accepted)
        #expect(next == PinAttempts())
    }

    @Test func waitsScaleForTests() {
        var a = PinAttempts(failures: 4)
        let (next, outcome) = PinPolicy.finish(PinPolicy.begin(a), matched: false, digest: [1], now: 0, waitScale: 0.01)
        a = next
        #expect(outcome == .rejected(attemptsLeft: 5, waitSeconds: 1))
        #expect(a.lockedUntil == 0.6)
    }
}
