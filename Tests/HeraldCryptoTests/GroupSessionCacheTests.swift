import Testing
@testable import HeraldCrypto

@Suite struct GroupSessionCacheTests {
    static func record(sender: String = "@bob:example.org") throws -> GroupSessionRecord {
        GroupSessionRecord(session: try MegolmInboundSession(sessionKey: try MegolmVectors.spec().sessionKey),
                           replayGuard: MegolmReplayGuard(), sender: sender, senderKey: "curve")
    }

    static func key(_ n: Int) -> GroupSessionCache.Key { .init(roomID: "!room\(n):example.org", sessionID: "s\(n)") }

    @Test("it keeps at most its capacity, dropping the least recently put")
    func bounded() throws {
        var cache = GroupSessionCache(capacity: 3)
        let r = try Self.record()
        for n in 0..<5 { cache.put(Self.key(n), r) }
        #expect(cache.count == 3)
        #expect(!cache.contains(Self.key(0)) && !cache.contains(Self.key(1)))
        #expect((2..<5).allSatisfy { cache.contains(Self.key($0)) })
    }

    @Test("a session read is kept over one put earlier and not read since")
    func readKeepsASession() throws {
        var cache = GroupSessionCache(capacity: 2)
        let r = try Self.record()
        cache.put(Self.key(0), r)
        cache.put(Self.key(1), r)
        #expect(cache.get(Self.key(0)) != nil)
        cache.put(Self.key(2), r)
        #expect(cache.contains(Self.key(0)))
        #expect(!cache.contains(Self.key(1)))
        #expect(cache.contains(Self.key(2)))
    }

    @Test("putting a session again replaces it without growing, and sessions of other rooms stay apart")
    func replaces() throws {
        var cache = GroupSessionCache(capacity: 2)
        cache.put(Self.key(0), try Self.record(sender: "@bob:example.org"))
        cache.put(Self.key(0), try Self.record(sender: "@carol:example.org"))
        #expect(cache.count == 1)
        #expect(cache.get(Self.key(0))?.sender == "@carol:example.org")
        #expect(cache.get(.init(roomID: "!other:example.org", sessionID: "s0")) == nil)
    }

    @Test("the default holds 32 sessions")
    func defaultCapacity() throws {
        var cache = GroupSessionCache()
        let r = try Self.record()
        for n in 0..<40 { cache.put(Self.key(n), r) }
        #expect(cache.count == GroupSessionCache.defaultCapacity && cache.capacity == 32)
    }
}
