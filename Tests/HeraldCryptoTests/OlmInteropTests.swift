import HeraldCore
import HeraldCrypto
import HeraldMatrix
import Testing

/// Herald receiving real Olm messages from vodozemac and from libolm (each test runs once per library).
struct OlmInteropTests {
    typealias Library = OlmReference.Library

    @Test(arguments: Library.allCases)
    func firstPreKeyMessageCreatesSessionAndConsumesOneTimeKey(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        let first = try sender.messages("payload")[0]
        #expect(first.type == 0)
        let result = try inbox.receive(first)
        #expect(String(decoding: result.plaintext, as: UTF8.self) == first.plaintext)
        #expect(result.createdSession)
        #expect(result.sessions.count == 1 && result.sessions[0].sessionID == result.sessionID)
        #expect(result.account.oneTimeKeyCount == account.oneTimeKeyCount - 1)
    }

    @Test(arguments: Library.allCases)
    func laterPreKeyMessagesDecryptWithTheExistingSession(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        let messages = try sender.messages("payload")
        let sessionID = try inbox.receive(messages[0]).sessionID
        for message in messages.dropFirst() {
            #expect(message.type == 0)
            let result = try inbox.receive(message)
            #expect(String(decoding: result.plaintext, as: UTF8.self) == message.plaintext)
            #expect(!result.createdSession && result.sessionID == sessionID && result.sessions.count == 1)
        }
        #expect(inbox.account.oneTimeKeyCount == account.oneTimeKeyCount - 1)
    }

    @Test(arguments: Library.allCases)
    func anotherSessionOnAConsumedOneTimeKeyIsRefused(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(try sender.messages("payload")[0])
        let reuse = try sender.messages("reuse")[0]
        #expect(throws: CryptoError.unknownOneTimeKey) { try inbox.receive(reuse) }
        // Before the first session consumed it, the same message sets up its own session.
        var fresh = OlmInbox(account, sender)
        try fresh.expectDecrypts(reuse)
    }

    @Test(arguments: Library.allCases)
    func fallbackKeySessionsDecryptAndTheKeyStays(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        for message in try sender.messages("fallback") { try inbox.expectDecrypts(message) }
        #expect(inbox.sessions.count == 1)
        #expect(inbox.account.oneTimeKeyCount == account.oneTimeKeyCount)
        // The fallback key was not consumed: another session could still use it.
        var again = OlmInbox(inbox.account, sender)
        try again.expectDecrypts(try sender.messages("fallback")[0])
    }

    @Test(arguments: Library.allCases)
    func previousFallbackKeyIsKeptUntilAnHourAfterItsReplacementIsUsed(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let previous = try sender.messages("previous_fallback")[0]
        var unused = account
        unused.forgetOldFallbackKey(now: OlmReference.now + 10 * OlmLimits.previousFallbackKeyGraceSeconds)
        try OlmInbox(unused, sender).receiveAndExpect(previous) // the replacement was never used: kept

        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(try sender.messages("fallback")[0]) // first use at OlmReference.now
        var early = inbox.account
        early.forgetOldFallbackKey(now: OlmReference.now + OlmLimits.previousFallbackKeyGraceSeconds - 1)
        try OlmInbox(early, sender).receiveAndExpect(previous)
        var late = inbox.account
        late.forgetOldFallbackKey(now: OlmReference.now + OlmLimits.previousFallbackKeyGraceSeconds)
        #expect(throws: CryptoError.unknownOneTimeKey) { try OlmInbox(late, sender).receiveAndExpect(previous) }
        // The current fallback key stays, and pickling keeps the date of its first use.
        var restored = try OlmAccount(pickle: inbox.account.pickle())
        restored.forgetOldFallbackKey(now: OlmReference.now + OlmLimits.previousFallbackKeyGraceSeconds)
        #expect(throws: CryptoError.unknownOneTimeKey) { try OlmInbox(restored, sender).receiveAndExpect(previous) }
        try OlmInbox(restored, sender).receiveAndExpect(try sender.messages("fallback")[0])
    }

    @Test(arguments: [Library.vodozemac])
    func fallbackFirstUseAtTheEndOfTimeNeitherTrapsNorDropsTheKey(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let used = try OlmReceiver.decrypt(type: 0, body: try sender.messages("fallback")[0].body, senderKey: sender.curve25519,
                                           account: account, sessions: [], now: UInt64.max - 10)
        var restored = try OlmAccount(pickle: used.account.pickle())
        restored.forgetOldFallbackKey(now: UInt64.max)
        restored.forgetOldFallbackKey(now: 0) // a clock set back
        try OlmInbox(restored, sender).receiveAndExpect(try sender.messages("previous_fallback")[0])
    }

    @Test(arguments: Library.allCases)
    func normalMessagesOnTheFirstChainDecrypt(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        #expect(sender.innerChecked, "the reference library refused its own inner messages as type 1")
        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(try sender.messages("normal")[0])
        #expect(sender.inner.count == 3)
        for message in sender.inner {
            #expect(message.type == 1)
            try inbox.expectDecrypts(message)
        }
        // Replayed, the same normal message is refused: its key is gone.
        #expect(throws: CryptoError.unknownSession) { try inbox.receive(sender.inner[0]) }
    }

    @Test(arguments: Library.allCases)
    func normalMessageOnAnUnseenRatchetKeyIsRefused(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(try sender.messages("normal")[0])
        var bytes = try #require(UnpaddedBase64.decode(sender.inner[0].body))
        bytes[3] ^= 0x01 // inside the Ratchet-Key field (version, tag, length, key…)
        #expect(throws: CryptoError.unsupported("Olm ratchet key (a ratchet step)")) {
            try inbox.sessions[0].decrypt(try OlmMessage(bytes: bytes))
        }
        #expect(throws: CryptoError.unknownSession) { try inbox.receive(sender.inner[0], body: UnpaddedBase64.encode(bytes)) }
    }

    @Test(arguments: Library.allCases)
    func sessionsPerSenderAreTriedMostRecentFirstAndCapped(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        let order = ["payload", "normal", "skipping", "gap", "fallback", "previous_fallback"]
        var ids: [String] = []
        for name in order { ids.append(try inbox.receive(try sender.messages(name)[0]).sessionID) }
        #expect(OlmLimits.maxSessionsPerSender == 5)
        #expect(inbox.sessions.map(\.sessionID) == ids.dropFirst().reversed())
        // A normal message finds its session further down the list, which then moves to the front.
        try inbox.expectDecrypts(sender.inner[0])
        #expect(inbox.sessions.map(\.sessionID) == [ids[1], ids[5], ids[4], ids[3], ids[2]])
        // The least recently used session was dropped; its one-time key is gone too.
        #expect(throws: CryptoError.unknownOneTimeKey) { try inbox.receive(try sender.messages("payload")[1]) }
    }

    @Test(arguments: Library.allCases)
    func outOfOrderMessagesWithinTheBoundDecryptOnce(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let messages = try sender.messages("skipping")
        var inbox = OlmInbox(account, sender)
        for i in [0, 40, 5, 39, 1, 2, 41] { try inbox.expectDecrypts(messages[i]) }
        #expect(throws: CryptoError.indexTooLow(5)) { try inbox.sessions[0].decrypt(try Self.inner(messages[5])) }
        #expect(throws: CryptoError.indexTooLow(40)) { try inbox.sessions[0].decrypt(try Self.inner(messages[40])) }
    }

    @Test(arguments: Library.allCases)
    func skippedMessagesBeyondTheKeptKeysAreRefused(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let messages = try sender.messages("skipping")
        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(messages[0])
        try inbox.expectDecrypts(messages[59]) // skips 1…58; only the last 40 (19…58) are kept
        #expect(throws: CryptoError.indexTooLow(18)) { try inbox.sessions[0].decrypt(try Self.inner(messages[18])) }
        try inbox.expectDecrypts(messages[19])
        try inbox.expectDecrypts(messages[58])
    }

    @Test(arguments: Library.allCases)
    func aMessageTooFarAheadIsRefused(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let messages = try sender.messages("gap") // indices 0, 2001, 2002
        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(messages[0])
        #expect(throws: CryptoError.tooManySkipped) { try inbox.receive(messages[2]) }
        try inbox.expectDecrypts(messages[1])
    }

    @Test(arguments: Library.allCases)
    func aFlippedMACByteIsRefusedAndNothingIsConsumed(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let messages = try sender.messages("payload")
        var inbox = OlmInbox(account, sender)
        #expect(throws: CryptoError.badMAC) { try inbox.receive(messages[0], body: try Self.flippingLastByte(messages[0].body)) }
        #expect(inbox.account.oneTimeKeyCount == account.oneTimeKeyCount && inbox.sessions.isEmpty)
        try inbox.expectDecrypts(messages[0])
        let before = inbox.sessions
        #expect(throws: CryptoError.badMAC) { try inbox.receive(messages[1], body: try Self.flippingLastByte(messages[1].body)) }
        #expect(inbox.sessions == before)
        try inbox.expectDecrypts(messages[1])
    }

    @Test(arguments: Library.allCases)
    func pickledAccountAndSessionCarryOn(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        let messages = try sender.messages("payload")
        var inbox = OlmInbox(account, sender)
        try inbox.expectDecrypts(messages[0])
        var restored = OlmInbox(try OlmAccount(pickle: inbox.account.pickle()), sender)
        restored.sessions = try inbox.sessions.map { try OlmSession(pickle: $0.pickle()) }
        #expect(restored.sessions == inbox.sessions)
        try restored.expectDecrypts(messages[2])
        try restored.expectDecrypts(messages[1]) // its skipped key survived the pickle
        #expect(throws: CryptoError.unknownOneTimeKey) { try restored.receive(try sender.messages("reuse")[0]) }
    }

    @Test(arguments: Library.allCases)
    func decryptedPayloadPassesTheChecks(_ library: Library) throws {
        let (account, sender) = try OlmReference.get(library)
        var inbox = OlmInbox(account, sender)
        let payload = try JSONValue.decode(try inbox.receive(try sender.messages("payload")[0]).plaintext)
        let expected = OlmPayloadCheck.Expected(sender: "@alice:x", recipient: OlmReference.user,
                                                recipientEd25519: account.ed25519Key, senderEd25519: sender.ed25519,
                                                senderCurve25519: sender.curve25519)
        #expect(try OlmPayloadCheck.check(payload, expected) == sender.ed25519)
        var otherSender = expected
        otherSender.sender = "@mallory:x"
        #expect(throws: CryptoError.payloadMismatch("sender")) { try OlmPayloadCheck.check(payload, otherSender) }
    }

    static func inner(_ message: OlmReference.Message) throws -> OlmMessage {
        try OlmPreKeyMessage(bytes: try #require(UnpaddedBase64.decode(message.body))).message
    }

    static func flippingLastByte(_ body: String) throws -> String {
        var bytes = try #require(UnpaddedBase64.decode(body))
        bytes[bytes.count - 1] ^= 0x01
        return UnpaddedBase64.encode(bytes)
    }
}
