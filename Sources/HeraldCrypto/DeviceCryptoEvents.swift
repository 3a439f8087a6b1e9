import HeraldCore

/// The shapes of encrypted events Herald reads from /sync (E2EE notes §3.1, §4.4, §5), and the
/// decrypted room event that replaces an `m.room.encrypted` one. Pure functions of JSON.
public enum DeviceCryptoEvents {
    public static let olmAlgorithm = "m.olm.v1.curve25519-aes-sha2"
    public static let megolmAlgorithm = "m.megolm.v1.aes-sha2"
    /// Room, session and user IDs longer than this are refused (the spec caps IDs at 255 bytes).
    static let maxIDBytes = 255

    /// The part of an Olm to-device event meant for Herald's device.
    public struct OlmEnvelope: Sendable, Equatable {
        public let sender: String
        public let senderKey: String
        public let type: Int
        public let body: String
    }

    /// The Olm envelope of a to-device `m.room.encrypted` event, for Herald's Curve25519 key; nil
    /// when it is something else or holds nothing for this device.
    public static func olmEnvelope(_ event: JSONValue, ownCurve25519: String) -> OlmEnvelope? {
        guard event["type"]?.string == "m.room.encrypted", let content = event["content"],
              content["algorithm"]?.string == olmAlgorithm,
              let sender = event["sender"]?.string, isID(sender),
              let senderKey = content["sender_key"]?.string, senderKey.utf8.count <= 64,
              let entry = content["ciphertext"]?[ownCurve25519],
              let type = entry["type"]?.int, let body = entry["body"]?.string
        else { return nil }
        return OlmEnvelope(sender: sender, senderKey: senderKey, type: type, body: body)
    }

    /// The Megolm fields of a room `m.room.encrypted` event.
    public struct MegolmFields: Sendable, Equatable {
        public let eventID: String
        public let sender: String
        public let sessionID: String
        public let ciphertext: String
    }

    public static func megolmFields(_ event: JSONValue) -> MegolmFields? {
        guard event["type"]?.string == "m.room.encrypted", event["state_key"] == nil, let content = event["content"],
              content["algorithm"]?.string == megolmAlgorithm,
              let eventID = event["event_id"]?.string, isID(eventID),
              let sender = event["sender"]?.string, isID(sender),
              let sessionID = content["session_id"]?.string, sessionID.utf8.count <= 64,
              let ciphertext = content["ciphertext"]?.string
        else { return nil }
        return MegolmFields(eventID: eventID, sender: sender, sessionID: sessionID, ciphertext: ciphertext)
    }

    /// A room key from a decrypted Olm payload (`m.room_key`, or `m.forwarded_room_key`).
    public struct RoomKey: Sendable, Equatable {
        public let roomID: String
        public let sessionID: String
        public let sessionKey: String
        public let forwarded: Bool
        /// For a forwarded key: the Curve25519 key of the device that made the session.
        public let originalSenderKey: String?
    }

    public static func roomKey(_ payload: JSONValue) -> RoomKey? {
        let type = payload["type"]?.string
        guard type == "m.room_key" || type == "m.forwarded_room_key", let content = payload["content"],
              content["algorithm"]?.string == megolmAlgorithm,
              let roomID = content["room_id"]?.string, isID(roomID),
              let sessionID = content["session_id"]?.string, sessionID.utf8.count <= 64,
              let sessionKey = content["session_key"]?.string, sessionKey.utf8.count <= 512
        else { return nil }
        let forwarded = type == "m.forwarded_room_key"
        let original = content["sender_key"]?.string
        if forwarded && !(original.map { $0.utf8.count <= 64 } ?? false) { return nil }
        return RoomKey(roomID: roomID, sessionID: sessionID, sessionKey: sessionKey, forwarded: forwarded,
                       originalSenderKey: forwarded ? original : nil)
    }

    /// A plain (not Olm-encrypted) `m.room_key.withheld` to-device event.
    public struct Withheld: Sendable, Equatable {
        public let sender: String
        public let roomID: String
        public let sessionID: String
        public let code: String
    }

    public static func withheld(_ event: JSONValue) -> Withheld? {
        guard event["type"]?.string == "m.room_key.withheld", let content = event["content"],
              let sender = event["sender"]?.string, isID(sender),
              let code = content["code"]?.string, code.utf8.count <= 64,
              let roomID = content["room_id"]?.string, isID(roomID),
              let sessionID = content["session_id"]?.string, sessionID.utf8.count <= 64
        else { return nil }
        return Withheld(sender: sender, roomID: roomID, sessionID: sessionID, code: code)
    }

    /// Whether a to-device event in the clear claims to carry a room key: such keys are refused.
    public static func isCleartextRoomKey(_ event: JSONValue) -> Bool {
        ["m.room_key", "m.forwarded_room_key"].contains(event["type"]?.string ?? "")
    }

    /// The event a Megolm plaintext (`{type, content, room_id}`) stands for: its `type` and
    /// `content`, with the outer event's `event_id`, `sender`, `origin_server_ts` and `unsigned`,
    /// so that it is read exactly like a cleartext event. The plaintext's `room_id` must be the
    /// room the event arrived in, or the server moved it.
    public static func decryptedEvent(outer: JSONValue, plaintext: JSONValue, roomID: String) throws -> JSONValue {
        guard plaintext["room_id"]?.string == roomID else { throw CryptoError.payloadMismatch("room_id") }
        guard let type = plaintext["type"]?.string, !type.isEmpty, type.utf8.count <= 255 else {
            throw CryptoError.payloadMismatch("type")
        }
        guard let content = plaintext["content"], content.object != nil else { throw CryptoError.payloadMismatch("content") }
        var event: [String: JSONValue] = ["type": .string(type), "content": content]
        for key in ["event_id", "sender", "origin_server_ts", "unsigned"] { event[key] = outer[key] }
        return .object(event)
    }

    /// `sync` with each joined room's timeline events passed through `transform(roomID, event)`.
    public static func mapTimelines(_ sync: JSONValue, _ transform: (String, JSONValue) -> JSONValue) -> JSONValue {
        guard case .object(var top) = sync, case .object(var rooms)? = top["rooms"], case .object(var joined)? = rooms["join"] else {
            return sync
        }
        for (roomID, room) in joined {
            guard case .object(var r) = room, case .object(var timeline)? = r["timeline"],
                  case .array(let events)? = timeline["events"] else { continue }
            timeline["events"] = .array(events.map { transform(roomID, $0) })
            r["timeline"] = .object(timeline)
            joined[roomID] = .object(r)
        }
        rooms["join"] = .object(joined)
        top["rooms"] = .object(rooms)
        return .object(top)
    }

    static func isID(_ s: String) -> Bool { !s.isEmpty && s.utf8.count <= maxIDBytes }
}
