import HeraldDBus

/// Herald's long waits (idle lock, retries, backoff, the watchdog), on the bus thread's
/// sd-event loop when there is a bus: a pending `Task.sleep` keeps libdispatch on Linux waking
/// every second, which an idle daemon must not do. Without a bus, `Task.sleep`.
struct Timers: Sendable {
    let bus: BusConnection?

    func sleep(for duration: Duration) async throws {
        if let bus {
            try await bus.sleep(for: duration)
        } else {
            try await Task.sleep(for: duration)
        }
    }

    /// Waits until a second has passed since `last` (at once when it has, or when there is none):
    /// the one-a-second pacing of notification updates and PIN checks.
    /// Whether it waited.
    @discardableResult
    func pace(after last: ContinuousClock.Instant?) async -> Bool {
        guard let last else { return false }
        let wait = last.advanced(by: .seconds(1)) - .now
        guard wait > .zero else { return false }
        try? await sleep(for: wait)
        return true
    }
}
