import HeraldCore
import HeraldCrypto
import Testing

/// Parsing of Olm messages from hand-built bytes: every field is checked and nothing is read past the end.
struct OlmMessageTests {
    static let key = [UInt8](repeating: 7, count: 32)

    static func normal(ratchetKey: [UInt8] = key, index: [UInt8] = [0x05], ciphertext: [UInt8] = .init(repeating: 1, count: 16),
                       extra: [UInt8] = [], mac: [UInt8] = .init(repeating: 9, count: 8)) -> [UInt8] {
        [3, 0x0A, UInt8(ratchetKey.count)] + ratchetKey + [0x10] + index + extra + [0x22, UInt8(ciphertext.count)] + ciphertext + mac
    }

    static func preKey(fields: [(UInt8, [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = [3]
        for (tag, value) in fields { bytes += [tag, UInt8(value.count)] + value }
        return bytes
    }

    @Test func normalMessageFieldsAreRead() throws {
        let message = try OlmMessage(bytes: Self.normal(index: [0x96, 0x01]))
        #expect(message.ratchetKey == Self.key && message.chainIndex == 150 && message.ciphertext.count == 16)
        #expect(message.mac == [UInt8](repeating: 9, count: 8))
    }

    @Test func unknownFieldsAreSkipped() throws {
        let message = try OlmMessage(bytes: Self.normal(extra: [0x28, 0x01, 0x3A, 0x02, 0xAA, 0xBB]))
        #expect(message.chainIndex == 5)
    }

    @Test func malformedNormalMessagesAreRefused() {
        var wrongVersion = Self.normal(); wrongVersion[0] = 4
        let cases: [[UInt8]] = [
            wrongVersion,
            Array(Self.normal().prefix(9)),                                  // shorter than MAC + 2
            Self.normal(ratchetKey: .init(repeating: 7, count: 31)),         // a 31-byte key
            Self.normal(ciphertext: .init(repeating: 1, count: 15)),         // not whole AES blocks
            Self.normal(ciphertext: []),
            Self.normal(index: [0x80, 0x80, 0x80, 0x80, 0x10]),              // over UInt32
            Self.normal(index: .init(repeating: 0xFF, count: 10) + [0x01]),  // varint over 64 bits
            Self.normal(extra: [0x10, 0x01]),                                // chain index twice
            Self.normal(extra: [0x0A, 0x05]),                                // key field of wrong type
            Self.normal(extra: [0x0B]),                                      // wire type 3
            Self.normal(extra: [0x3A, 0x7F]),                                // length past the end
            [3, 0x10, 0x01, 0x22, 0x10] + .init(repeating: 1, count: 16) + .init(repeating: 9, count: 8), // no ratchet key
        ]
        for bytes in cases {
            #expect(throws: CryptoError.self, "\(bytes.prefix(8))") { try OlmMessage(bytes: bytes) }
        }
        #expect(throws: CryptoError.tooLarge("Olm message")) {
            try OlmMessage(bytes: Self.normal(ciphertext: []) + .init(repeating: 0, count: OlmLimits.maxMessageBytes))
        }
    }

    @Test func preKeyMessageNeedsAllFourFields() throws {
        let inner = Self.normal()
        let full = Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x1A, Self.key), (0x22, inner)])
        let message = try OlmPreKeyMessage(bytes: full)
        #expect(message.message.chainIndex == 5)
        #expect(message.sessionID.count == 43)
        let broken: [[UInt8]] = [
            Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x22, inner)]),                           // no identity key
            Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x1A, Self.key)]),                        // no message
            Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x1A, [1, 2]), (0x22, inner)]),           // short key
            Self.preKey(fields: [(0x0A, Self.key), (0x0A, Self.key), (0x12, Self.key), (0x1A, Self.key), (0x22, inner)]),
            Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x1A, Self.key), (0x22, Array(inner.prefix(20)))]),
            Array(full.dropLast(1)),
            [],
        ]
        for bytes in broken {
            #expect(throws: CryptoError.self) { try OlmPreKeyMessage(bytes: bytes) }
        }
    }

    @Test func receiverRefusesBadEnvelopes() {
        let account = OlmAccount()
        let sender = UnpaddedBase64.encode(Self.key)
        #expect(throws: CryptoError.unsupported("Olm message type")) {
            try OlmReceiver.decrypt(type: 2, body: UnpaddedBase64.encode(Self.normal()), senderKey: sender, account: account, sessions: [], now: 0)
        }
        #expect(throws: CryptoError.self) {
            try OlmReceiver.decrypt(type: 0, body: "not base64!", senderKey: sender, account: account, sessions: [], now: 0)
        }
        #expect(throws: CryptoError.self) {
            try OlmReceiver.decrypt(type: 1, body: UnpaddedBase64.encode(Self.normal()), senderKey: "short", account: account, sessions: [], now: 0)
        }
        #expect(throws: CryptoError.unknownSession) {
            try OlmReceiver.decrypt(type: 1, body: UnpaddedBase64.encode(Self.normal()), senderKey: sender, account: account, sessions: [], now: 0)
        }
        // A pre-key message whose identity key is not the envelope's sender key.
        let other = Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x1A, .init(repeating: 8, count: 32)), (0x22, Self.normal())])
        #expect(throws: CryptoError.self) {
            try OlmReceiver.decrypt(type: 0, body: UnpaddedBase64.encode(other), senderKey: sender, account: account, sessions: [], now: 0)
        }
        // An unknown one-time key.
        let unknown = Self.preKey(fields: [(0x0A, Self.key), (0x12, Self.key), (0x1A, Self.key), (0x22, Self.normal())])
        #expect(throws: CryptoError.unknownOneTimeKey) {
            try OlmReceiver.decrypt(type: 0, body: UnpaddedBase64.encode(unknown), senderKey: sender, account: account, sessions: [], now: 0)
        }
    }

    @Test func sessionPickleLoadRefusesDamage() throws {
        let (account, sender) = try OlmReference.get(.vodozemac)
        var inbox = OlmInbox(account, sender)
        let messages = try sender.messages("skipping")
        try inbox.receive(messages[0])
        try inbox.receive(messages[3])
        let bytes = inbox.sessions[0].pickle()
        #expect(try OlmSession(pickle: bytes) == inbox.sessions[0])
        var wrongVersion = bytes; wrongVersion[0] = 9
        #expect(throws: CryptoError.self) { try OlmSession(pickle: wrongVersion) }
        #expect(throws: CryptoError.self) { try OlmSession(pickle: Array(bytes.dropLast())) }
        #expect(throws: CryptoError.self) { try OlmSession(pickle: bytes + [0]) }
        // A skipped key at or past the chain index (index field of the first skipped key := 4).
        var future = bytes; future.replaceSubrange((1 + 160 + 4 + 1)..<(1 + 160 + 4 + 5), with: [0, 0, 0, 4])
        #expect(throws: CryptoError.self) { try OlmSession(pickle: future) }
        var tooMany = bytes; tooMany[1 + 160 + 4] = 41
        #expect(throws: CryptoError.self) { try OlmSession(pickle: tooMany) }
    }
}
