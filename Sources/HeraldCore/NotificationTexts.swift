/// Every user-visible notification text, per language.
public struct NotificationTexts: Sendable {
    public var senderInRoom: @Sendable (String, String) -> String
    public var newMessages: @Sendable (Int) -> String
    /// The whole text of a locked account's notification: who it is for and how many.
    public var discreet: @Sendable (String, Int) -> String
    public var signedOut: @Sendable (String, String) -> String
    public var newMessagesTitle: String
    public var image, file, audio, video, location, sticker, encrypted: String

    public func describe(_ content: IncomingMessage.Content, sender: String) -> String {
        switch content {
        case .text(let s): return s
        case .emote(let s): return "* \(sender) \(s)"
        case .image: return image
        case .file: return file
        case .audio: return audio
        case .video: return video
        case .location: return location
        case .sticker: return sticker
        case .encrypted: return encrypted
        }
    }

    public static let english = NotificationTexts(
        senderInRoom: { "\($0) (\($1))" },
        newMessages: { $0 == 1 ? "1 new message" : "\($0) new messages" },
        discreet: { $1 <= 1 ? "New message for \($0)" : "\($1) new messages for \($0)" },
        signedOut: { "You were signed out of \($0): \($1). Sign in again with heraldctl account add." },
        newMessagesTitle: "New messages",
        image: "Sent an image", file: "Sent a file", audio: "Sent an audio message", video: "Sent a video",
        location: "Shared a location", sticker: "Sent a sticker", encrypted: "Encrypted message")
}
