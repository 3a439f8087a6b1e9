import Testing
import HeraldCore

@Suite struct AwaitedKeysTests {
    @Test("a restarted loop asks the store; once it held none, answers stop asking until one adds a waiting event")
    func lifecycle() {
        var awaited = AwaitedKeys.unknown
        #expect(awaited.mayWait)
        awaited.looked(found: 0)
        #expect(!awaited.mayWait)
        awaited.committed(added: 0)
        #expect(!awaited.mayWait)
        awaited.committed(added: 2)
        #expect(awaited == .some && awaited.mayWait)
        awaited.looked(found: 1)
        #expect(awaited.mayWait)
        // The waiting events expired or got their key.
        awaited.looked(found: 0)
        #expect(awaited == AwaitedKeys.none)
    }
}
