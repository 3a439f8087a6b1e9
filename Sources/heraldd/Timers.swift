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
}
