import HeraldCore
import Testing

struct ConfigTests {
    @Test func readsTheShippedSettings() throws {
        let (c, warnings) = try Config.parse("""
            # comment
            [network]
            ca_file = "/etc/ssl/ca.pem"  # trailing comment
            [sync]
            poll_seconds = 45
            """)
        #expect(c.caFile == "/etc/ssl/ca.pem")
        #expect(c.pollSeconds == 45)
        #expect(warnings.isEmpty)
    }

    @Test func anEmptyFileMeansDefaults() throws {
        #expect(try Config.parse("").0 == Config())
    }

    @Test func unknownKeysWarnButDoNotFail() throws {
        let (_, warnings) = try Config.parse("[sync]\nfuture = true\n")
        #expect(warnings == ["line 2: unknown setting sync.future (ignored)"])
    }

    @Test func badValuesNameTheLine() {
        #expect(throws: Config.ParseError.value(line: 2, key: "sync.poll_seconds", message: "expected a whole number of seconds from 5 to 120")) {
            try Config.parse("[sync]\npoll_seconds = 1\n")
        }
        #expect(throws: Config.ParseError.self) { try Config.parse("[network]\nca_file = relative\n") }
        #expect(throws: Config.ParseError.self) { try Config.parse("[network\n") }
        #expect(throws: Config.ParseError.tooLarge) { try Config.parse(String(repeating: "#", count: 70_000)) }
    }

    @Test func hashInsideAStringIsNotAComment() throws {
        #expect(try Config.parse("[network]\nca_file = \"/a#b\"\n").0.caFile == "/a#b")
    }
}

struct LockAndSecretsConfigTests {
    @Test func readsLockAndSecretsSettings() throws {
        let (c, _) = try Config.parse("[lock]\nidle_minutes = 0\n[secrets]\nrequire_secret_service = true\n")
        #expect(c.idleLockMinutes == 0)
        #expect(c.requireSecretService)
        #expect(throws: Config.ParseError.self) { try Config.parse("[secrets]\nrequire_secret_service = 1\n") }
        #expect(throws: Config.ParseError.self) { try Config.parse("[lock]\nidle_minutes = -1\n") }
    }

    @Test func keyStoreChoosesTheKeyFileOrTheSecretServiceExplicitly() throws {
        #expect(try Config.parse("").0.keyStore == .auto)
        #expect(try Config.parse("[secrets]\nkey_store = \"key-file\"\n").0.keyStore == .keyFile)
        #expect(try Config.parse("[secrets]\nkey_store = \"secret-service\"\n").0.keyStore == .secretService)
        #expect(try Config.parse("[secrets]\nrequire_secret_service = true\nkey_store = \"secret-service\"\n").0.keyStore == .secretService)
        #expect(throws: Config.ParseError.self) { try Config.parse("[secrets]\nkey_store = \"file\"\n") }
        #expect(throws: Config.ParseError.self) {
            try Config.parse("[secrets]\nrequire_secret_service = true\nkey_store = \"key-file\"\n")
        }
    }
}

struct QuietHoursTests {
    @Test func aWindowPastMidnightWraps() {
        let q = QuietHours(start: 20 * 60, end: 8 * 60)
        #expect(q.contains(minute: 22 * 60))
        #expect(q.contains(minute: 7 * 60 + 59))
        #expect(!q.contains(minute: 8 * 60))
        #expect(!q.contains(minute: 12 * 60))
    }

    @Test func highlightsComeThroughOnlyWhenAllowed() {
        let open = QuietHours(start: 0, end: 600, allowHighlights: true)
        let closed = QuietHours(start: 0, end: 600, allowHighlights: false)
        #expect(open.allows(highlight: true, minute: 60))
        #expect(!open.allows(highlight: false, minute: 60))
        #expect(!closed.allows(highlight: true, minute: 60))
        #expect(closed.allows(highlight: false, minute: 700))
    }

    @Test func readFromTheConfig() throws {
        let (c, _) = try Config.parse("[quiet_hours]\nstart = \"20:00\"\nend = \"08:00\"\nallow_highlights = false\n")
        #expect(c.quietHours == QuietHours(start: 1200, end: 480, allowHighlights: false))
        #expect(throws: Config.ParseError.self) { try Config.parse("[quiet_hours]\nstart = \"25:00\"\n") }
    }
}
