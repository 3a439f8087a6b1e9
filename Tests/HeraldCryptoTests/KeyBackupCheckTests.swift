import HeraldCore
import Testing
@testable import HeraldCrypto

@Suite struct KeyBackupCheckTests {
    static func backup(_ version: String) throws -> KeyBackupVersion {
        try KeyBackupVersion(.object([
            "algorithm": .string(KeyBackupVersion.algorithm), "version": .string(version),
            "auth_data": .object(["public_key": .string(UnpaddedBase64.encode([UInt8](repeating: 7, count: 32)))]),
        ]))
    }

    @Test("a checked backup is remembered for the kept version until maxAge has passed")
    func remembers() throws {
        var check = KeyBackupCheck()
        #expect(check.current(keptVersion: "1", now: 1000) == nil)
        check.checked(try Self.backup("1"), now: 1000)
        #expect(check.current(keptVersion: "1", now: 1000 + KeyBackupCheck.maxAge - 1)?.version == "1")
        #expect(check.current(keptVersion: "1", now: 1000 + KeyBackupCheck.maxAge) == nil)
        // A clock set back does not stretch it.
        #expect(check.current(keptVersion: "1", now: 999) == nil)
    }

    @Test("a key kept for another version, or a forgotten check, asks again")
    func asksAgain() throws {
        var check = KeyBackupCheck()
        check.checked(try Self.backup("1"), now: 1000)
        #expect(check.current(keptVersion: "2", now: 1001) == nil)
        check.forget()
        #expect(check.current(keptVersion: "1", now: 1001) == nil)
    }
}
