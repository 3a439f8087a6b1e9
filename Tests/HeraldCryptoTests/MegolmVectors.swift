import HeraldCore

/// The vectors `tests/crypto/megolm_reference.py` makes with vodozemac and libolm, read once per
/// test run (the script encrypts 100,000 messages with each library, a few seconds).
enum MegolmVectors {
    static let libraries = ["vodozemac", "libolm"]

    struct Failure: Error, CustomStringConvertible, Sendable {
        let description: String
    }

    struct Message: Sendable {
        let index: UInt32
        let ciphertext: String
        let plaintext: String
    }

    /// One library's outbound session, as the receiving side sees it.
    struct Library: Sendable {
        let sessionID: String
        /// `m.room_key` session key (version 2) at index 0.
        let sessionKey: String
        /// Session key taken later, at `laterIndex`.
        let laterIndex: UInt32
        let laterKey: String
        let messages: [Message]
        /// Exported keys (version 1) by first index.
        let exports: [UInt32: String]
        /// Message 1 with one MAC bit flipped (the signature, over the MAC, no longer matches).
        let flippedMAC: String
        /// Message 1 signed by another Ed25519 key: the MAC is right, the signature is not the session's.
        let wrongSignature: String

        func message(_ index: UInt32) throws -> Message {
            guard let m = messages.first(where: { $0.index == index }) else { throw Failure(description: "no message \(index)") }
            return m
        }

        func export(_ index: UInt32) throws -> String {
            guard let e = exports[index] else { throw Failure(description: "no export at \(index)") }
            return e
        }
    }

    /// A session built from the specification by the script, checked there against both libraries.
    struct Spec: Sendable {
        let sessionKey: String
        let message: Message
        /// Index 1, validly signed, with a wrong MAC; both libraries refuse it.
        let signedBadMAC: String
    }

    private static let all: Result<JSONValue, Failure> = Result {
        try PythonReference.run("megolm_reference.py")
    }.mapError { Failure(description: "\($0)") }

    static func library(_ name: String) throws -> Library {
        let json = try all.get()[name]
        let later = json?["session_key_at"]
        guard let sessionID = json?["session_id"]?.string, let sessionKey = json?["session_key"]?.string,
              let laterIndex = later?["index"]?.int, let laterKey = later?["key"]?.string,
              let exports = json?["exports"]?.object, let tampered = json?["tampered"],
              let flipped = tampered["flipped_mac"]?.string, let wrongSignature = tampered["wrong_signature"]?.string
        else { throw Failure(description: "\(name) vectors are incomplete") }
        return Library(
            sessionID: sessionID, sessionKey: sessionKey, laterIndex: UInt32(laterIndex), laterKey: laterKey,
            messages: try (json?["messages"]?.array ?? []).map(message),
            exports: Dictionary(uniqueKeysWithValues: try exports.map { key, value in
                guard let index = UInt32(key), let text = value.string else { throw Failure(description: "bad export \(key)") }
                return (index, text)
            }),
            flippedMAC: flipped, wrongSignature: wrongSignature)
    }

    static func spec() throws -> Spec {
        let json = try all.get()["spec"]
        guard let sessionKey = json?["session_key"]?.string, let message = json?["message"],
              let bad = json?["signed_bad_mac"]?["ciphertext"]?.string
        else { throw Failure(description: "spec vectors are incomplete") }
        return Spec(sessionKey: sessionKey, message: try Self.message(message), signedBadMAC: bad)
    }

    private static func message(_ json: JSONValue) throws -> Message {
        guard let index = json["index"]?.int, let ciphertext = json["ciphertext"]?.string, let plaintext = json["plaintext"]?.string
        else { throw Failure(description: "bad message vector") }
        return Message(index: UInt32(index), ciphertext: ciphertext, plaintext: plaintext)
    }
}
