/// Every user-visible notification text, per language.
public struct NotificationTexts: Sendable {
    public var senderInRoom: @Sendable (String, String) -> String
    public var newMessages: @Sendable (Int) -> String
    /// The whole text of a locked account's notification: who it is for and how many.
    public var discreet: @Sendable (String, Int) -> String
    public var signedOut: @Sendable (String, String) -> String
    public var newMessagesTitle: String
    /// A catch-up summary: total messages, number of conversations.
    public var summary: @Sendable (Int, Int) -> String
    public var invited: @Sendable (String?) -> String = { $0.map { "Invited you to \($0)" } ?? "Invited you to a conversation" }
    /// Shown once while heraldd waits for a keyring to keep its token key in.
    public var waitingForKeyringTitle = "Herald is waiting for the keyring"
    public var waitingForKeyring = """
        Herald cannot keep its sign-in key: the keyring has no default collection, is locked, or its prompt was \
        dismissed. Create or unlock a default keyring (for example in Passwords and Keys), or set key_store = \
        "key-file" under [secrets] in herald.toml. Run heraldctl doctor for details.
        """
    /// Shown once while heraldd cannot read its key file (its mode, owner or size is wrong).
    public var waitingForKeyFileTitle = "Herald cannot read its key file"
    public var waitingForKeyFile = "Herald's accounts wait, signed in, until its key file can be read. Run heraldctl doctor for what to fix."
    /// Action labels.
    public var open = "Open", markRead = "Mark as read", muteHour = "Mute for 1 hour", unlock = "Unlock…"
    public var image, file, audio, video, location, sticker, encrypted: String
    public var call = "Incoming call", roomReplaced = "This room has been replaced", roomChanged = "Changed the room's details"

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
        case .invite(let room): return invited(room)
        case .call: return call
        case .roomReplaced: return roomReplaced
        case .roomChanged: return roomChanged
        }
    }

    public static let english = NotificationTexts(
        senderInRoom: { "\($0) (\($1))" },
        newMessages: { $0 == 1 ? "1 new message" : "\($0) new messages" },
        discreet: { $1 <= 1 ? "New message for \($0)" : "\($1) new messages for \($0)" },
        signedOut: { "You were signed out of \($0): \($1). Sign in again with heraldctl account add." },
        newMessagesTitle: "New messages",
        summary: { "\($0) new messages in \($1) conversations" },
        image: "Sent an image", file: "Sent a file", audio: "Sent an audio message", video: "Sent a video",
        location: "Shared a location", sticker: "Sent a sticker", encrypted: "Encrypted message")
}

extension NotificationTexts {
    public static let french = NotificationTexts(
        senderInRoom: { "\($0) (\($1))" },
        newMessages: { $0 == 1 ? "1 nouveau message" : "\($0) nouveaux messages" },
        discreet: { $1 <= 1 ? "Nouveau message pour \($0)" : "\($1) nouveaux messages pour \($0)" },
        signedOut: { "Vous avez été déconnecté de \($0) : \($1). Reconnectez-vous avec heraldctl account add." },
        newMessagesTitle: "Nouveaux messages",
        summary: { "\($0) nouveaux messages dans \($1) conversations" },
        invited: { $0.map { "Vous a invité dans \($0)" } ?? "Vous a invité dans une conversation" },
        waitingForKeyringTitle: "Herald attend le trousseau",
        waitingForKeyring: """
            Herald ne peut pas conserver sa clé de connexion : le trousseau n'a pas de collection par défaut, est \
            verrouillé, ou sa demande a été refusée. Créez ou déverrouillez un trousseau par défaut (par exemple dans \
            Mots de passe et clés), ou indiquez key_store = "key-file" dans la section [secrets] de herald.toml. \
            heraldctl doctor en dit plus.
            """,
        waitingForKeyFileTitle: "Herald ne peut pas lire son fichier de clé",
        waitingForKeyFile: "Les comptes de Herald attendent, toujours connectés, que son fichier de clé soit lisible. heraldctl doctor dit quoi corriger.",
        open: "Ouvrir", markRead: "Marquer comme lu", muteHour: "Silence pendant 1 heure", unlock: "Déverrouiller…",
        image: "A envoyé une image", file: "A envoyé un fichier", audio: "A envoyé un message audio", video: "A envoyé une vidéo",
        location: "A partagé une position", sticker: "A envoyé un autocollant", encrypted: "Message chiffré",
        call: "Appel entrant", roomReplaced: "Ce salon a été remplacé", roomChanged: "A modifié les informations du salon")

    /// The language from the environment as gettext reads it: LANGUAGE (a list), then LC_ALL,
    /// LC_MESSAGES, LANG. French for `fr…`, English otherwise; `override` ("fr", "en") wins.
    public static func forLocale(_ env: [String: String], override: String? = nil) -> NotificationTexts {
        if let o = override?.lowercased(), !o.isEmpty, o != "auto" { return o.hasPrefix("fr") ? .french : .english }
        var candidates: [String] = []
        if let lc = env["LC_ALL"], !lc.isEmpty {
            candidates = [lc]
        } else {
            // LANGUAGE is honoured only when a locale other than C is set, as gettext does.
            let base = [env["LC_MESSAGES"], env["LANG"]].compactMap { $0 }.first { !$0.isEmpty }
            if let base, base != "C", base != "POSIX", let list = env["LANGUAGE"], !list.isEmpty {
                candidates = list.split(separator: ":").map(String.init)
            }
            if let base { candidates.append(base) }
        }
        for c in candidates where !c.isEmpty && c != "C" && c != "POSIX" {
            return c.lowercased().hasPrefix("fr") ? .french : .english
        }
        return .english
    }
}
