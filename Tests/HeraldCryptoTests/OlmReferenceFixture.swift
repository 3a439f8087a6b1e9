import HeraldCore
import HeraldCrypto
import Testing

/// One Herald account and the messages `tests/crypto/olm_reference.py` made for it with vodozemac
/// and libolm, built once per test run. Every test starts from this account and no sessions;
/// accounts and sessions are values, so the tests cannot disturb one another.
struct OlmReference: Sendable {
    enum Library: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case vodozemac, libolm
        var testDescription: String { rawValue }
    }

    struct Message: Sendable {
        let type: Int
        let body: String
        let plaintext: String
    }

    struct Sender: Sendable {
        let curve25519: String
        let ed25519: String
        let sessions: [String: [Message]]
        /// The normal messages inside the "normal" session's pre-key messages 1…3, as type 1.
        let inner: [Message]
        /// The library itself decrypted such inner messages as type 1 on a session of its own.
        let innerChecked: Bool

        func messages(_ session: String) throws -> [Message] {
            try #require(sessions[session], "no \(session) session in the reference output")
        }
    }

    static let user = "@herald:example.org"
    static let now: UInt64 = 1_700_000_000

    let account: OlmAccount
    let senders: [Library: Sender]

    static let shared: Result<OlmReference, any Error> = Result { try OlmReference() }

    static func get(_ library: Library) throws -> (OlmAccount, Sender) {
        let reference = try shared.get()
        return (reference.account, try #require(reference.senders[library]))
    }

    private init() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(8)
        let oneTimeKeys = try account.unpublishedOneTimeKeys(userID: Self.user, deviceID: "HERALD")
            .sorted { $0.key < $1.key }.compactMap { $0.value["key"] }
        // Two fallback keys: the current one and the one it replaced, still held.
        account.generateFallbackKey()
        let previousFallback = try #require(account.unpublishedFallbackKey(userID: Self.user, deviceID: "HERALD").values.first?["key"])
        account.generateFallbackKey()
        let fallback = try #require(account.unpublishedFallbackKey(userID: Self.user, deviceID: "HERALD").values.first?["key"])
        account.markKeysAsPublished()
        let input: JSONValue = .object([
            "identity_key": .string(account.curve25519Key), "ed25519_key": .string(account.ed25519Key),
            "user_id": .string(Self.user), "fallback_key": fallback, "previous_fallback_key": previousFallback,
            "one_time_keys": .object(["vodozemac": .array(Array(oneTimeKeys[0..<4])), "libolm": .array(Array(oneTimeKeys[4..<8]))]),
        ])
        let reply = try PythonReference.run("olm_reference.py", input: input)
        var senders: [Library: Sender] = [:]
        for library in Library.allCases {
            let side = try #require(reply[library.rawValue])
            var sessions: [String: [Message]] = [:]
            for (name, list) in try #require(side["sessions"]?.object) {
                sessions[name] = try Self.messages(list)
            }
            senders[library] = Sender(curve25519: try #require(side["sender_key"]?.string),
                                      ed25519: try #require(side["ed25519_key"]?.string),
                                      sessions: sessions, inner: try Self.messages(try #require(side["inner"])),
                                      innerChecked: side["inner_checked"] == .bool(true))
        }
        self.account = account
        self.senders = senders
    }

    private static func messages(_ list: JSONValue) throws -> [Message] {
        try #require(list.array).map {
            Message(type: try #require($0["type"]?.int), body: try #require($0["body"]?.string),
                    plaintext: try #require($0["plaintext"]?.string))
        }
    }
}

/// Receiving with the state a caller would hold: the account and the sender's sessions, replaced
/// only by a successful decryption.
struct OlmInbox {
    var account: OlmAccount
    var sessions: [OlmSession] = []
    let sender: OlmReference.Sender

    init(_ account: OlmAccount, _ sender: OlmReference.Sender) {
        self.account = account
        self.sender = sender
    }

    @discardableResult
    mutating func receive(_ message: OlmReference.Message, body: String? = nil) throws -> OlmReceiver.Decrypted {
        let result = try OlmReceiver.decrypt(type: message.type, body: body ?? message.body, senderKey: sender.curve25519,
                                             account: account, sessions: sessions, now: OlmReference.now)
        account = result.account
        sessions = result.sessions
        return result
    }

    /// Decrypts and checks the plaintext is the one the reference sent.
    mutating func expectDecrypts(_ message: OlmReference.Message, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try receive(message)
        #expect(String(decoding: result.plaintext, as: UTF8.self) == message.plaintext, sourceLocation: sourceLocation)
    }

    /// As `expectDecrypts`, on a copy: for checking what an account can still do.
    func receiveAndExpect(_ message: OlmReference.Message, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var copy = self
        try copy.expectDecrypts(message, sourceLocation: sourceLocation)
    }
}
