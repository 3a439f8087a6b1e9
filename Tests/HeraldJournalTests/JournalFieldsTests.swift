import HeraldJournal
import Logging
import Testing

@Suite struct JournalFieldsTests {
    func fields(_ metadata: Logger.Metadata, level: Logger.Level = .notice, message: String = "account added") -> [String: String] {
        let list = JournalFields.make(level: level, message: message, metadata: metadata, label: "herald",
                                      file: "heraldd/Daemon.swift", function: "addAccount", line: 42)
        #expect(Set(list.map(\.name)).count == list.count, "a field appears twice")
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.value) })
    }

    @Test func standardFieldsComeFirst() {
        let list = JournalFields.make(level: .info, message: "hello", metadata: [:], label: "herald",
                                      file: "f.swift", function: "f()", line: 7)
        #expect(list.first?.name == "MESSAGE")
        #expect(list.first?.value == "hello")
        let f = Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0.value) })
        #expect(f["PRIORITY"] == "6")
        #expect(f["SYSLOG_IDENTIFIER"] == "heraldd")
        #expect(f["CODE_FILE"] == "f.swift")
        #expect(f["CODE_LINE"] == "7")
        #expect(f["CODE_FUNC"] == "f()")
    }

    @Test func accountAndRoomHaveTheirOwnFields() {
        let f = fields(["account": "@alice:example.org", "room": "!abc:example.org", "count": "3"])
        #expect(f["HERALD_ACCOUNT"] == "@alice:example.org")
        #expect(f["HERALD_ROOM"] == "!abc:example.org")
        #expect(f["HERALD_COUNT"] == "3")
        #expect(f["ACCOUNT"] == nil && f["ROOM"] == nil)
    }

    @Test(arguments: [
        ("device", "HERALD_DEVICE"), ("retry-after", "HERALD_RETRY_AFTER"), ("notificationID", "HERALD_NOTIFICATIONID"),
        ("a.b..c", "HERALD_A_B_C"), ("trailing_", "HERALD_TRAILING"), ("été", "HERALD_T"), ("x2", "HERALD_X2"),
    ])
    func metadataKeysBecomeValidFieldNames(key: String, name: String) {
        #expect(JournalFields.fieldName(forMetadataKey: key) == name)
    }

    @Test func keysWithoutLettersGiveNoField() {
        #expect(JournalFields.fieldName(forMetadataKey: "") == nil)
        #expect(JournalFields.fieldName(forMetadataKey: "--") == nil)
        #expect(fields(["-": "x"]).keys.allSatisfy { !$0.hasPrefix("HERALD_") || $0 == "HERALD_LOGGER" })
    }

    @Test func fieldNamesStayWithinJournalLimits() {
        let name = JournalFields.fieldName(forMetadataKey: String(repeating: "k", count: 200))!
        #expect(name.utf8.count == 64)
        #expect(name.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" })
    }

    @Test func priorities() {
        #expect([Logger.Level.trace, .debug, .info, .notice, .warning, .error, .critical].map(JournalFields.priority)
                == [7, 7, 6, 5, 4, 3, 2])
    }

    @Test func secretLookingKeysAreRedacted() {
        let f = fields(["password": "hunter2", "accessToken": "syt_x", "pin": "1234", "account": "@a:b"])
        #expect(f["HERALD_PASSWORD"] == "<redacted>")
        #expect(f["HERALD_ACCESSTOKEN"] == "<redacted>")
        #expect(f["HERALD_PIN"] == "<redacted>")
        #expect(!f.values.contains { $0.contains("hunter2") || $0.contains("syt_") || $0.contains("1234") })
    }

    @Test func nestedValuesAreRendered() {
        let f = fields(["ids": .array(["1", "2"]), "x": .dictionary(["b": "2", "a": "1"])])
        #expect(f["HERALD_IDS"] == "[1, 2]")
        #expect(f["HERALD_X"] == "[a: 1, b: 2]")
    }

    @Test func journalStreamMatchesOnlyTheSameDeviceAndInode() {
        #expect(JournalStream.matches("8:1234", device: 8, inode: 1234))
        #expect(!JournalStream.matches("8:1235", device: 8, inode: 1234))
        #expect(!JournalStream.matches(nil, device: 8, inode: 1234))
        #expect(!JournalStream.matches("", device: 0, inode: 0))
        #expect(!JournalStream.matches("8:1234:5", device: 8, inode: 1234))
        #expect(!JournalStream.matches("x:1234", device: 8, inode: 1234))
    }
}
