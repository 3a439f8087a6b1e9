import HeraldCore

extension SyncDigest {
    /// The notification content of one timeline event the push rules want shown, or nil when
    /// Herald cannot show it: own events, events of a type it has no words for, redacted content.
    /// An edit shows its new text (it notifies when it adds a mention); a state event shows that
    /// the room changed, a tombstone that the room was replaced.
    public static func message(from e: JSONValue, roomID: String, me: UserID, name: (String) -> String?) -> IncomingMessage? {
        guard let type = e["type"]?.string, let eventID = e["event_id"]?.string, eventID.utf8.count <= 255,
              let sender = e["sender"]?.string, sender != me.rawValue, let c = e["content"]
        else { return nil }
        let content: IncomingMessage.Content
        if let stateKey = e["state_key"] {
            // Memberships are not room changes to announce: an invitation was announced from the
            // invite's stripped state, and the same invite in the joined room's timeline would
            // count it a second time.
            guard stateKey.string != nil, c.object != nil, type != "m.room.member" else { return nil }
            content = type == "m.room.tombstone" ? .roomReplaced : .roomChanged
        } else {
            switch type {
            case "m.room.message":
                let isEdit = c["m.relates_to"]?["rel_type"]?.string == "m.replace"
                guard let text = messageContent(isEdit ? c["m.new_content"] ?? c : c) else { return nil }
                content = text
            case "m.room.encrypted": content = .encrypted
            case "m.sticker": content = .sticker
            case "m.call.invite": content = .call
            default: return nil
            }
        }
        return IncomingMessage(eventID: eventID, roomID: roomID, sender: sender, senderName: name(sender) ?? sender,
                               content: content, timestamp: Int64(e["origin_server_ts"]?.int ?? 0))
    }

    /// An `m.room.message` content by its `msgtype`; a notice or an unknown type reads as text.
    static func messageContent(_ c: JSONValue) -> IncomingMessage.Content? {
        guard let msgtype = c["msgtype"]?.string, let body = c["body"]?.string else { return nil }
        let text = String(body.prefix(2000))
        switch msgtype {
        case "m.emote": return .emote(text)
        case "m.image": return .image
        case "m.file": return .file
        case "m.audio": return .audio
        case "m.video": return .video
        case "m.location": return .location
        default: return .text(text)
        }
    }
}
