import HeraldCore
import Testing
@testable import HeraldCrypto

@Suite struct DeviceCryptoEventsTests {
    let room = "!r:x"
    let outer: JSONValue = [
        "type": "m.room.encrypted", "event_id": "$e", "sender": "@bob:x", "origin_server_ts": 1234,
        "unsigned": ["age": 5],
        "content": ["algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA", "session_id": "S", "sender_key": "K"],
    ]

    @Test("the decrypted event takes type and content from the plaintext and the rest from the outer event")
    func decryptedEvent() throws {
        let plaintext: JSONValue = ["type": "m.room.message", "room_id": "!r:x",
                                    "content": ["msgtype": "m.text", "body": "hello", "m.mentions": ["user_ids": ["@alice:x"]]]]
        let event = try DeviceCryptoEvents.decryptedEvent(outer: outer, plaintext: plaintext, roomID: room)
        #expect(event == [
            "type": "m.room.message", "event_id": "$e", "sender": "@bob:x", "origin_server_ts": 1234, "unsigned": ["age": 5],
            "content": ["msgtype": "m.text", "body": "hello", "m.mentions": ["user_ids": ["@alice:x"]]],
        ])
    }

    @Test("a plaintext for another room, or without a type or content, is refused")
    func decryptedEventChecks() {
        let content: JSONValue = ["body": "x"]
        #expect(throws: CryptoError.payloadMismatch("room_id")) {
            try DeviceCryptoEvents.decryptedEvent(outer: outer, plaintext: ["type": "m.room.message", "room_id": "!other:x", "content": content], roomID: room)
        }
        #expect(throws: CryptoError.payloadMismatch("room_id")) {
            try DeviceCryptoEvents.decryptedEvent(outer: outer, plaintext: ["type": "m.room.message", "content": content], roomID: room)
        }
        #expect(throws: CryptoError.payloadMismatch("type")) {
            try DeviceCryptoEvents.decryptedEvent(outer: outer, plaintext: ["room_id": "!r:x", "content": content], roomID: room)
        }
        #expect(throws: CryptoError.payloadMismatch("content")) {
            try DeviceCryptoEvents.decryptedEvent(outer: outer, plaintext: ["type": "m.room.message", "room_id": "!r:x", "content": "x"], roomID: room)
        }
    }

    @Test("only joined rooms' timeline events are passed through the transform")
    func mapTimelines() {
        let sync: JSONValue = [
            "next_batch": "s",
            "rooms": [
                "join": ["!a:x": ["timeline": ["events": [["type": "one"], ["type": "two"]], "limited": false],
                                  "state": ["events": [["type": "state"]]]]],
                "invite": ["!b:x": ["invite_state": ["events": [["type": "invite"]]]]],
            ],
        ]
        var seen: [String] = []
        let mapped = DeviceCryptoEvents.mapTimelines(sync) { roomID, event in
            seen.append(roomID)
            return ["type": .string("new " + (event["type"]?.string ?? ""))]
        }
        #expect(seen == ["!a:x", "!a:x"])
        #expect(mapped["rooms"]?["join"]?["!a:x"]?["timeline"]?["events"] == [["type": "new one"], ["type": "new two"]])
        #expect(mapped["rooms"]?["join"]?["!a:x"]?["timeline"]?["limited"] == false)
        #expect(mapped["rooms"]?["join"]?["!a:x"]?["state"] == sync["rooms"]?["join"]?["!a:x"]?["state"])
        #expect(mapped["rooms"]?["invite"] == sync["rooms"]?["invite"])
        #expect(DeviceCryptoEvents.mapTimelines(["next_batch": "s"]) { _, e in e } == ["next_batch": "s"])
    }

    @Test("the Olm envelope is the entry for Herald's own key, and nothing else")
    func olmEnvelope() {
        let event: JSONValue = [
            "type": "m.room.encrypted", "sender": "@bob:x",
            "content": ["algorithm": "m.olm.v1.curve25519-aes-sha2", "sender_key": "BOBKEY",
                        "ciphertext": ["MINE": ["type": 0, "body": "AAAA"], "OTHER": ["type": 1, "body": "BBBB"]]],
        ]
        #expect(DeviceCryptoEvents.olmEnvelope(event, ownCurve25519: "MINE")
                == .init(sender: "@bob:x", senderKey: "BOBKEY", type: 0, body: "AAAA"))
        #expect(DeviceCryptoEvents.olmEnvelope(event, ownCurve25519: "NOT-MINE") == nil)
        #expect(DeviceCryptoEvents.olmEnvelope(outer, ownCurve25519: "MINE") == nil, "Megolm is not an Olm envelope")
    }

    @Test("Megolm fields come from room events only, not from state events or other algorithms")
    func megolmFields() {
        #expect(DeviceCryptoEvents.megolmFields(outer) == .init(eventID: "$e", sender: "@bob:x", sessionID: "S", ciphertext: "AwgA"))
        guard case .object(var state) = outer else { return }
        state["state_key"] = ""
        #expect(DeviceCryptoEvents.megolmFields(.object(state)) == nil)
        let olm: JSONValue = ["type": "m.room.encrypted", "event_id": "$e", "sender": "@bob:x",
                              "content": ["algorithm": "m.olm.v1.curve25519-aes-sha2", "session_id": "S", "ciphertext": "x"]]
        #expect(DeviceCryptoEvents.megolmFields(olm) == nil)
        let longID: JSONValue = ["type": "m.room.encrypted", "event_id": .string(String(repeating: "e", count: 300)), "sender": "@bob:x",
                                 "content": ["algorithm": "m.megolm.v1.aes-sha2", "session_id": "S", "ciphertext": "x"]]
        #expect(DeviceCryptoEvents.megolmFields(longID) == nil)
    }

    @Test("room keys, forwarded keys, withheld notices and keys sent in the clear are told apart")
    func toDeviceKinds() {
        let key: JSONValue = ["type": "m.room_key", "content": ["algorithm": "m.megolm.v1.aes-sha2", "room_id": "!r:x",
                                                                "session_id": "S", "session_key": "KEY"]]
        #expect(DeviceCryptoEvents.roomKey(key) == .init(roomID: "!r:x", sessionID: "S", sessionKey: "KEY", forwarded: false, originalSenderKey: nil))
        let forwardedWithoutSender: JSONValue = ["type": "m.forwarded_room_key", "content": key["content"]!]
        #expect(DeviceCryptoEvents.roomKey(forwardedWithoutSender) == nil)
        let otherAlgorithm: JSONValue = ["type": "m.room_key", "content": ["algorithm": "m.other", "room_id": "!r:x",
                                                                           "session_id": "S", "session_key": "KEY"]]
        #expect(DeviceCryptoEvents.roomKey(otherAlgorithm) == nil)

        let withheld: JSONValue = ["type": "m.room_key.withheld", "sender": "@bob:x",
                                   "content": ["algorithm": "m.megolm.v1.aes-sha2", "room_id": "!r:x", "session_id": "S",
                                               "sender_key": "K", "code": "m.unverified"]]
        #expect(DeviceCryptoEvents.withheld(withheld) == .init(sender: "@bob:x", roomID: "!r:x", sessionID: "S", code: "m.unverified"))
        #expect(DeviceCryptoEvents.isCleartextRoomKey(["type": "m.room_key", "sender": "@mallory:x", "content": key["content"]!]))
        #expect(!DeviceCryptoEvents.isCleartextRoomKey(withheld))
    }

    @Test("a group session record comes back with its replay guard, and a damaged one is refused")
    func groupSessionRecord() throws {
        let vectors = try MegolmVectors.library("libolm")
        var guardian = MegolmReplayGuard()
        try guardian.record(index: 3, eventID: "$three")
        let record = GroupSessionRecord(session: try MegolmInboundSession(sessionKey: vectors.sessionKey), replayGuard: guardian,
                                        sender: "@bob:x", senderKey: "K")
        let bytes = try record.bytes()
        var back = try GroupSessionRecord(bytes: bytes, sender: "@bob:x", senderKey: "K")
        #expect(back.session.pickled() == record.session.pickled())
        #expect(back.replayGuard == guardian)
        #expect(throws: CryptoError.replayedIndex(3)) { try back.replayGuard.record(index: 3, eventID: "$other") }
        var wrongFormat = bytes
        wrongFormat[0] = 9
        #expect(throws: CryptoError.self) { try GroupSessionRecord(bytes: wrongFormat, sender: "@bob:x", senderKey: "K") }
        #expect(throws: CryptoError.self) { try GroupSessionRecord(bytes: Array(bytes.prefix(100)), sender: "@bob:x", senderKey: "K") }
        let pickleEnd = 1 + MegolmInboundSession.pickleBytes
        #expect(throws: CryptoError.self) { try GroupSessionRecord(bytes: Array(bytes.prefix(pickleEnd)) + Array("{".utf8), sender: "@bob:x", senderKey: "K") }
        #expect(throws: CryptoError.self) { try GroupSessionRecord(bytes: Array(bytes.dropLast()), sender: "@bob:x", senderKey: "K") }
    }
}

@Suite struct WithheldReasonTests {
    @Test("each withheld code says why, naming the sender and the code")
    func texts() {
        let unverified = WithheldReason.text(code: "m.unverified", sender: "@bob:x")
        #expect(unverified == "messages from @bob:x cannot be read: their client sends keys only to verified devices, and Herald's device is not verified (m.unverified)")
        #expect(WithheldReason.text(code: "m.blacklisted", sender: "@bob:x").contains("blocked"))
        #expect(WithheldReason.text(code: "m.no_olm", sender: "@bob:x").contains("encrypted channel"))
        #expect(WithheldReason.text(code: "org.example.custom", sender: "@bob:x").hasSuffix("refused to send the key (org.example.custom)"))
    }
}

@Suite struct DeviceKeyListTests {
    @Test("only self-signed devices under their own IDs give a sender's Ed25519 key")
    func selfSignedOnly() throws {
        let good = OlmAccount(), other = OlmAccount()
        let signed = try good.deviceKeys(userID: "@bob:x", deviceID: "GOOD")
        guard case .object(var forged) = try other.deviceKeys(userID: "@bob:x", deviceID: "FORGED"),
              case .object(var keys)? = forged["keys"] else { Issue.record("no keys"); return }
        keys["curve25519:FORGED"] = .string(good.curve25519Key)  // claims another device's Curve25519 key
        forged["keys"] = .object(keys)
        let devices: [String: JSONValue] = [
            "GOOD": signed,
            "MOVED": signed,  // a real object under another device ID
            "FORGED": .object(forged),
            "OTHERUSER": try other.deviceKeys(userID: "@mallory:x", deviceID: "OTHERUSER"),
        ]
        #expect(DeviceKeyList.ed25519ByCurve25519(devices, user: "@bob:x") == [good.curve25519Key: good.ed25519Key])
    }
}
