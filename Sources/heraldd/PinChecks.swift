import Dispatch
import Foundation
import HeraldSecrets

/// Runs PIN checks one at a time, at most one a second across every account, and their slow
/// derivation off Swift's cooperative pool.
actor PinChecks {
    private var tail: Task<Void, Never>?
    private var lastStart: ContinuousClock.Instant?
    private static let queue = DispatchQueue(label: "herald.pin-derivation")
    private let timers: Timers

    init(timers: Timers) { self.timers = timers }

    /// Runs `body` after every earlier check has finished and a second has passed since the last one began.
    func serially<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tail
        let task = Task<T, any Error> {
            _ = await previous?.value
            await self.pace()
            return try await body()
        }
        tail = Task { _ = try? await task.value }
        return try await task.value
    }

    private func pace() async {
        await timers.pace(after: lastStart)
        lastStart = .now
    }

    /// scrypt on a serial dispatch queue: a CPU-heavy call must not hold a cooperative thread.
    static func derive(pin: String, salt: [UInt8]) async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { cont in
            queue.async { cont.resume(with: Result { try PinHasher.derive(pin: pin, salt: salt) }) }
        }
    }
}
