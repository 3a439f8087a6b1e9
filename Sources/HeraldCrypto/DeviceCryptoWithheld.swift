/// What `heraldctl status` says about a room key its sender withheld (`m.room_key.withheld`,
/// E2EE notes §4.4), by the notice's code.
public enum WithheldReason {
    public static func text(code: String, sender: String) -> String {
        let why: String
        switch code {
        case "m.unverified": why = "their client sends keys only to verified devices, and Herald's device is not verified"
        case "m.blacklisted": why = "their client has blocked Herald's device"
        case "m.unauthorised": why = "Herald's device is not allowed to read those messages"
        case "m.unavailable": why = "their client no longer has the key"
        case "m.no_olm": why = "their client could not set up an encrypted channel to Herald's device"
        default: why = "their client refused to send the key"
        }
        return "messages from \(sender) cannot be read: \(why) (\(code.prefix(64)))"
    }
}
