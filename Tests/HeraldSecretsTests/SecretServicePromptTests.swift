import HeraldDBus
@testable import HeraldSecrets
import Logging
import Testing

/// Prompts, against the scripted Secret Service (gnome-keyring cannot show one headless).
@Suite(.timeLimit(.minutes(1)))
struct SecretServicePromptTests {
    @Test func withoutADefaultCollectionOneIsCreatedThenTheItemEachThroughAPrompt() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "fresh")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(10))

        let key = try await store.loadOrCreateKey()
        #expect(key.count == 32)
        #expect(try await store.loadOrCreateKey() == key)
        let calls = FakeSecretService.log(bus).split(separator: "\n").map { $0.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
        #expect(calls == [
            "OpenSession", "SearchItems", "ReadAlias", "CreateCollection", "Prompt", "Unlock", "SearchItems", "CreateItem", "Prompt",
            "Close",
            "OpenSession", "SearchItems", "GetSecrets", "Close",
        ], "\(FakeSecretService.log(bus))")
    }

    @Test func aLockedItemIsUnlockedThroughThePromptThenRead() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "locked")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(10))

        #expect(try await store.loadOrCreateKey() == Array(0..<32))
        #expect(FakeSecretService.log(bus).contains("call Prompt /org/freedesktop/secrets/prompt/p1"))
    }

    /// The key made on the first start must survive a keyring that hides it while locked: once
    /// unlocked, it is read, never replaced by a new key (which would leave the tokens unreadable).
    @Test func aKeyHiddenByALockedKeyringIsReadOnceUnlockedNotReplaced() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "hidden")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(10))

        #expect(try await store.loadOrCreateKey() == Array(0..<32))
        #expect(!FakeSecretService.log(bus).contains("call CreateItem"), "\(FakeSecretService.log(bus))")
    }

    @Test func aDismissedPromptIsAClearError() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "dismiss")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(10))

        let error = await #expect(throws: SecretServiceError.self) { try await store.loadOrCreateKey() }
        #expect(error == .promptDismissed(purpose: "unlocking the keyring that holds Herald's token key"))
        #expect(error?.description == "the keyring prompt for unlocking the keyring that holds Herald's token key was dismissed")
    }

    @Test func anUnansweredPromptTimesOutAndIsDismissed() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "silent")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(1))

        // The silent prompt never answers: only the 1 s limit ends the wait (no wall-clock bound
        // here, which a loaded machine would break).
        let error = await #expect(throws: SecretServiceError.self) { try await store.loadOrCreateKey() }
        #expect(error == .promptTimedOut(purpose: "unlocking the keyring that holds Herald's token key", seconds: 1))
        #expect(FakeSecretService.log(bus).contains("call Dismiss /org/freedesktop/secrets/prompt/p1"))
    }
}
