import HeraldDBus
@testable import HeraldSecrets
import Logging
import Testing

/// A retry while heraldd waits for the keyring never shows a prompt: what would need one is an
/// error, and the user is asked only once.
@Suite(.timeLimit(.minutes(1)))
struct QuietKeyAttemptTests {
    private func calls(_ bus: PrivateBus) -> [String] {
        FakeSecretService.log(bus).split(separator: "\n").map { $0.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    }

    @Test func withoutADefaultCollectionNoneIsCreatedAndNothingPrompts() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "fresh")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(10))

        let error = await #expect(throws: SecretServiceError.self) { try await store.loadOrCreateKey(prompting: false) }
        #expect(error == .noDefaultCollection)
        #expect(calls(bus) == ["OpenSession", "SearchItems", "ReadAlias", "Close"], "\(FakeSecretService.log(bus))")
    }

    @Test func aLockedItemStaysLockedWithoutAPrompt() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        try await FakeSecretService.start(on: bus, scenario: "locked")
        let store = SecretServiceStore(bus: try bus.connect(), logger: Logger(label: "test"), promptTimeout: .seconds(10))

        let error = await #expect(throws: SecretServiceError.self) { try await store.loadOrCreateKey(prompting: false) }
        guard case .stillLocked = error else { Issue.record("expected stillLocked, got \(String(describing: error))"); return }
        #expect(!calls(bus).contains("Prompt"), "\(FakeSecretService.log(bus))")
        // Asked with prompting, the same keyring opens: the quiet try changed nothing.
        #expect(try await store.loadOrCreateKey(prompting: true) == Array(0..<32))
    }
}
