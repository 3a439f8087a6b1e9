import Crypto
import HeraldCore
import HeraldCrypto
import Testing

struct OlmPayloadCheckTests {
    let herald = OlmAccount(), alice = OlmAccount()

    var expected: OlmPayloadCheck.Expected {
        .init(sender: "@alice:x", recipient: "@herald:y", recipientEd25519: herald.ed25519Key,
              senderEd25519: alice.ed25519Key, senderCurve25519: alice.curve25519Key)
    }

    func payload(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
        var members: [String: JSONValue] = [
            "type": .string("m.room_key"), "content": .object([:]), "sender": .string("@alice:x"),
            "recipient": .string("@herald:y"), "recipient_keys": .object(["ed25519": .string(herald.ed25519Key)]),
            "keys": .object(["ed25519": .string(alice.ed25519Key)]),
        ]
        change(&members)
        return .object(members)
    }

    @Test func matchingPayloadPasses() throws {
        #expect(try OlmPayloadCheck.check(payload(), expected) == alice.ed25519Key)
    }

    @Test func eachMismatchNamesItsFieldAndNoKey() {
        let cases: [(String, (inout [String: JSONValue]) -> Void)] = [
            ("sender", { $0["sender"] = .string("@mallory:x") }),
            ("recipient", { $0["recipient"] = .string("@other:y") }),
            ("recipient_keys.ed25519", { $0["recipient_keys"] = .object(["ed25519": .string(self.alice.ed25519Key)]) }),
            ("keys.ed25519", { $0["keys"] = .object(["ed25519": .string(self.herald.ed25519Key)]) }),
            ("keys.ed25519", { $0["keys"] = nil }),
            ("type", { $0["type"] = nil }),
            ("content", { $0["content"] = .string("x") }),
        ]
        for (field, change) in cases {
            #expect(throws: CryptoError.payloadMismatch(field)) { try OlmPayloadCheck.check(payload(change), expected) }
            let description = CryptoError.payloadMismatch(field).description
            #expect(!description.contains(alice.ed25519Key) && !description.contains(herald.ed25519Key))
        }
    }

    @Test func senderDeviceKeysMustBeSelfSignedAndAgree() throws {
        let deviceKeys = try alice.deviceKeys(userID: "@alice:x", deviceID: "ALICE")
        var unknownSender = expected
        unknownSender.senderEd25519 = nil
        #expect(try OlmPayloadCheck.check(payload { $0["sender_device_keys"] = deviceKeys }, unknownSender) == alice.ed25519Key)
        #expect(throws: CryptoError.payloadMismatch("sender_device_keys")) { try OlmPayloadCheck.check(payload(), unknownSender) }
        // Someone else's device keys, validly signed by that device, do not vouch for Alice's.
        let others = try OlmAccount().deviceKeys(userID: "@alice:x", deviceID: "ALICE")
        #expect(throws: CryptoError.payloadMismatch("sender_device_keys")) {
            try OlmPayloadCheck.check(payload { $0["sender_device_keys"] = others }, unknownSender)
        }
        guard case .object(var forged) = deviceKeys else { Issue.record("not an object"); return }
        forged["device_id"] = .string("ALICE2")
        forged["keys"] = .object(["curve25519:ALICE2": .string(alice.curve25519Key), "ed25519:ALICE2": .string(alice.ed25519Key)])
        #expect(throws: CryptoError.payloadMismatch("sender_device_keys")) {
            try OlmPayloadCheck.check(payload { $0["sender_device_keys"] = .object(forged) }, unknownSender)
        }
    }
}
