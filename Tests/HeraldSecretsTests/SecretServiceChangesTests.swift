import HeraldDBus
@testable import HeraldSecrets
import Testing

/// What wakes heraldd while it waits for the keyring: the service starting, and the service's
/// own signals about its collections.
@Suite(.timeLimit(.minutes(1)))
struct SecretServiceChangesTests {
    /// The first change within `seconds`, or nil.
    private func next(_ changes: AsyncStream<Void>, within seconds: Int) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in changes { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func aSecretServiceStartingIsAChange() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        let changes = try await SecretServiceChanges.stream(on: try bus.connect())
        try await FakeSecretService.start(on: bus, scenario: "fresh")
        #expect(await next(changes, within: 10))
    }

    @Test func aCollectionCreatedIsAChange() async throws {
        let bus = try PrivateBus()
        defer { bus.stop() }
        let changes = try await SecretServiceChanges.stream(on: try bus.connect())
        let busctl = try ChildProcess(
            try PrivateBus.find("busctl", package: "systemd"),
            ["--address=\(bus.address)", "emit", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service",
             "CollectionCreated", "o", "/org/freedesktop/secrets/collection/login"],
            environment: ["PATH": "/usr/bin:/bin"])
        _ = busctl.wait(seconds: 5)
        #expect(await next(changes, within: 10))
    }
}
