import Glibc
import HeraldDBus
@testable import HeraldSecrets
import Logging
import Testing

/// Against a real Secret Service: gnome-keyring-daemon on a private session bus. Fails (does
/// not skip) when gnome-keyring-daemon is not installed.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SecretServiceTests {
    @Test func createsTheKeyThenEveryStoreReadsTheSameOne() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await bus.startGnomeKeyring()
        let logs = LogCapture()
        let keyFile = bus.directory.path + "/state/token.key"

        let store = try await TokenKeyStores.choose(
            bus: try bus.connect(), keyFilePath: keyFile, requireSecretService: true, logger: logs.logger)
        #expect(store.backend == "secret-service")
        let key = try await store.loadOrCreateKey()
        #expect(key.count == 32)
        #expect(try await store.loadOrCreateKey() == key)

        // Another connection, as a restarted daemon would have.
        let second = SecretServiceStore(bus: try bus.connect(), logger: logs.logger)
        #expect(try await second.loadOrCreateKey() == key)

        // One item, unlocked, with Herald's attributes and label, in the login keyring.
        let service = SecretService(bus: try bus.connect())
        let found = try await service.searchItems([("application", "herald"), ("xdg:schema", "org.herald.TokenKey")])
        #expect(found.unlocked.count == 1)
        #expect(found.locked.isEmpty)
        #expect(found.unlocked.first?.hasPrefix("/org/freedesktop/secrets/collection/login/") == true)

        #expect(fileMode(keyFile) == nil, "no key file when the Secret Service keeps the key")
        let hexKey = hex(key)
        #expect(!logs.all.isEmpty)
        #expect(logs.all.allSatisfy { !$0.contains(hexKey) && !$0.contains(String(decoding: key, as: UTF8.self)) })
    }

    @Test func deleteKeyRemovesTheItemAndTheNextKeyIsNew() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await bus.startGnomeKeyring()
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"))
        let first = try await store.loadOrCreateKey()
        try await store.deleteKey()
        let found = try await SecretService(bus: try bus.connect()).searchItems(SecretServiceStore.attributes)
        #expect(found.unlocked.isEmpty && found.locked.isEmpty)
        #expect(try await store.loadOrCreateKey() != first)
    }

    /// gnome-keyring asks for the password through a system prompter (gcr), which a headless
    /// bus does not have: it dismisses the prompt at once, and that must be a clear error.
    @Test func aLockedKeyringWhosePromptCannotBeShownFailsClearly() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await bus.startGnomeKeyring()
        let connection = try bus.connect()
        let store = SecretServiceStore(bus: connection, logger: Logger(label: "test"), promptTimeout: .seconds(20))
        _ = try await store.loadOrCreateKey()
        let service = SecretService(bus: connection)
        let login = try await service.readAlias("default")
        let locked = try await service.lock([login])
        #expect(locked.locked == [login] && locked.prompt == "/")
        #expect(try await service.searchItems(SecretServiceStore.attributes).locked.count == 1)

        let start = ContinuousClock.now
        await #expect(throws: SecretServiceError.promptDismissed(purpose: "unlocking the keyring that holds Herald's token key")) {
            try await store.loadOrCreateKey()
        }
        #expect(ContinuousClock.now - start < .seconds(19))  // not the 20 s prompt limit
    }
}

struct TokenKeyStoresTests {
    @Test func withoutABusTheKeyFileIsUsed() async throws {
        let store = try await TokenKeyStores.choose(
            bus: nil, keyFilePath: "/nonexistent/token.key", requireSecretService: false, logger: Logger(label: "test"))
        #expect(store.backend == "key-file")
        #expect((store as? KeyFileStore)?.path == "/nonexistent/token.key")
        await #expect(throws: SecretServiceError.self) {
            try await TokenKeyStores.choose(bus: nil, keyFilePath: "/x", requireSecretService: true, logger: Logger(label: "test"))
        }
    }

    @Test func aBusWithoutSecretServiceMeansTheKeyFileOrAnError() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        let logs = LogCapture()
        let store = try await TokenKeyStores.choose(
            bus: try bus.connect(), keyFilePath: bus.directory.path + "/token.key", requireSecretService: false, logger: logs.logger)
        #expect(store.backend == "key-file")
        #expect(logs.all.contains { $0.contains("key-file") && $0.contains("neither running nor activatable") })

        await #expect {
            try await TokenKeyStores.choose(
                bus: try bus.connect(), keyFilePath: bus.directory.path + "/token.key", requireSecretService: true, logger: logs.logger)
        } throws: { error in
            guard case SecretServiceError.unavailable(let reason) = error else { return false }
            return reason.contains("org.freedesktop.secrets") && "\(error)".contains("refuses to keep the token key in a file")
        }
    }

    @Test func anActivatableSecretServiceIsChosen() async throws {
        let bus = try PrivateBus(activatable: ["org.freedesktop.secrets"])
        defer { bus.stop() }
        let store = try await TokenKeyStores.choose(
            bus: try bus.connect(), keyFilePath: bus.directory.path + "/token.key", requireSecretService: true,
            logger: Logger(label: "test"))
        #expect(store.backend == "secret-service")
    }
}
