import Foundation
import GRDB
import HeraldStore
import Testing

struct StorageFaultTests {
    @Test func storageFaultsAreNamedAndOtherErrorsAreNot() {
        #expect(StorageFault.describe(DatabaseError(resultCode: .SQLITE_FULL)) == "the disk is full")
        #expect(StorageFault.describe(DatabaseError(resultCode: .SQLITE_IOERR_WRITE)) == "input/output error")
        #expect(StorageFault.describe(DatabaseError(resultCode: .SQLITE_READONLY)) != nil)
        #expect(StorageFault.describe(DatabaseError(resultCode: .SQLITE_CONSTRAINT)) == nil)
        #expect(StorageFault.describe(CancellationError()) == nil)
    }

    @Test func aFileDeletedOrReplacedHasAnotherIdentity() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("herald-identity-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("herald.db").path
        let db = try AppDatabase.open(path: path)
        #expect(db.path == path)
        let opened = try #require(FileIdentity.of(path))
        #expect(FileIdentity.of(path) == opened)
        try FileManager.default.moveItem(atPath: path, toPath: path + ".old")
        #expect(FileIdentity.of(path) == nil)
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(FileIdentity.of(path) != nil && FileIdentity.of(path) != opened)
    }
}
