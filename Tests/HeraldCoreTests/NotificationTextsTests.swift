import HeraldCore
import Testing

struct NotificationTextsTests {
    @Test(arguments: [
        (["LANG": "fr_FR.UTF-8"], "2 nouveaux messages"),
        (["LANG": "en_GB.UTF-8"], "2 new messages"),
        (["LANG": "en_US.UTF-8", "LC_ALL": "fr_CA.UTF-8"], "2 nouveaux messages"),
        (["LANG": "en_US.UTF-8", "LANGUAGE": "fr:en"], "2 nouveaux messages"),
        (["LANG": "C", "LANGUAGE": "fr"], "2 new messages"),
        (["LC_MESSAGES": "fr_BE"], "2 nouveaux messages"),
        ([String: String](), "2 new messages"),
    ])
    func chosenFromTheLocale(_ env: [String: String], _ expected: String) {
        #expect(NotificationTexts.forLocale(env).newMessages(2) == expected)
    }

    @Test func theConfigOverrideWins() {
        #expect(NotificationTexts.forLocale(["LANG": "fr_FR.UTF-8"], override: "en").newMessages(1) == "1 new message")
        #expect(NotificationTexts.forLocale(["LANG": "en_US"], override: "fr").discreet("alice", 1) == "Nouveau message pour alice")
    }

    @Test func callsTombstonesAndRoomChangesHaveWordsInEachLanguage() {
        #expect(NotificationTexts.english.describe(.call, sender: "Bob") == "Incoming call")
        #expect(NotificationTexts.french.describe(.call, sender: "Bob") == "Appel entrant")
        #expect(NotificationTexts.english.describe(.roomReplaced, sender: "Bob") == "This room has been replaced")
        #expect(NotificationTexts.french.describe(.roomReplaced, sender: "Bob") == "Ce salon a été remplacé")
        #expect(NotificationTexts.english.describe(.roomChanged, sender: "Bob") == "Changed the room's details")
        #expect(NotificationTexts.french.describe(.roomChanged, sender: "Bob") == "A modifié les informations du salon")
    }
}
