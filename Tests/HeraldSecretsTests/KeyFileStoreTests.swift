import Foundation
import Glibc
import HeraldSecrets
import Testing

struct KeyFileStoreTests {
    @Test func createsA0600FileInA0700DirectoryAndReloadsTheSameKey() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/state/herald/token.key"
        let store = KeyFileStore(path: path)
        #expect(store.backend == "key-file")

        let key = try await store.loadOrCreateKey()
        #expect(key.count == 32)
        #expect(fileMode(path) == 0o600)
        #expect(fileMode(tmp.path + "/state/herald") == 0o700)
        #expect(fileMode(tmp.path + "/state") == 0o700)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path + "/state/herald")
        #expect(leftovers == ["token.key"])

        #expect(try await store.loadOrCreateKey() == key)
        #expect(try await KeyFileStore(path: path).loadOrCreateKey() == key)
        #expect(try await KeyFileStore(path: tmp.path + "/other/token.key").loadOrCreateKey() != key)
    }

    @Test func refusesAFileOthersCanRead() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/token.key"
        _ = try await KeyFileStore(path: path).loadOrCreateKey()
        for mode: mode_t in [0o644, 0o640, 0o604, 0o660] {
            chmod(path, mode)
            await #expect(throws: KeyFileError.notPrivate(path: path, mode: mode)) {
                try await KeyFileStore(path: path).loadOrCreateKey()
            }
        }
        #expect(KeyFileError.notPrivate(path: path, mode: 0o644).description.contains("chmod 600"))
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func refusesAFileOfTheWrongSize(size: Int) async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/token.key"
        try write([UInt8](repeating: 0x41, count: size), to: path, mode: 0o600)
        await #expect(throws: KeyFileError.wrongSize(path: path, size: size)) {
            try await KeyFileStore(path: path).loadOrCreateKey()
        }
    }

    @Test func refusesASymbolicLink() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try write([UInt8](repeating: 1, count: 32), to: tmp.path + "/real.key", mode: 0o600)
        symlink(tmp.path + "/real.key", tmp.path + "/token.key")
        await #expect(throws: KeyFileError.notARegularFile(path: tmp.path + "/token.key")) {
            try await KeyFileStore(path: tmp.path + "/token.key").loadOrCreateKey()
        }
    }

    @Test(.enabled(if: geteuid() == 0, "only root can give a file to another user"))
    func refusesAFileOfAnotherOwner() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/token.key"
        try write([UInt8](repeating: 1, count: 32), to: path, mode: 0o600)
        chown(path, 65534, 65534)
        await #expect(throws: KeyFileError.wrongOwner(path: path, owner: 65534)) {
            try await KeyFileStore(path: path).loadOrCreateKey()
        }
    }

    @Test func makesItsOwnDirectoryPrivate() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        chmod(tmp.path, 0o755)
        _ = try await KeyFileStore(path: tmp.path + "/token.key").loadOrCreateKey()
        #expect(fileMode(tmp.path) == 0o700)
    }

    @Test func deleteKeyRemovesTheFile() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = KeyFileStore(path: tmp.path + "/token.key")
        let first = try await store.loadOrCreateKey()
        try await store.deleteKey()
        #expect(fileMode(tmp.path + "/token.key") == nil)
        try await store.deleteKey()  // nothing to delete is fine
        #expect(try await store.loadOrCreateKey() != first)
    }

    @Test func concurrentFirstUsesAgreeOnOneKey() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/token.key"
        let keys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 { group.addTask { try await KeyFileStore(path: path).loadOrCreateKey() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(keys).count == 1)
    }

    private func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
        fchmod(fd, mode)
    }
}
