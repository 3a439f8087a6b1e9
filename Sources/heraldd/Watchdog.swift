import CSystemd
import Foundation
import ServiceLifecycle
import Synchronization

/// Heartbeats of the loops that must stay alive. A loop beats whenever it makes progress (an
/// answer, an error, a retry); the watchdog pings systemd only while every loop has beaten
/// recently, so a wedged sync loop gets the service restarted.
final class Heartbeats: Sendable {
    private let beats = Mutex<[String: ContinuousClock.Instant]>([:])

    func beat(_ name: String) { beats.withLock { $0[name] = .now } }
    func remove(_ name: String) { _ = beats.withLock { $0.removeValue(forKey: name) } }

    /// Names of loops silent for longer than `limit`.
    func stale(limit: Duration) -> [String] {
        let now = ContinuousClock.now
        return beats.withLock { $0.filter { now - $0.value > limit }.map(\.key).sorted() }
    }
}

/// Sends WATCHDOG=1 every half of WATCHDOG_USEC while the loops are alive. Absent when
/// systemd asked for no watchdog, so an idle daemon has no timer at all.
struct WatchdogService: Service {
    let interval: Duration
    let heartbeats: Heartbeats
    /// A sync loop that has not come back for this long is wedged: its long poll has a 30 s
    /// timeout, the stall limit 45 s and the whole-transfer limit 90 s.
    let wedgedAfter: Duration

    static func fromEnvironment(heartbeats: Heartbeats, wedgedAfter: Duration) -> WatchdogService? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return WatchdogService(interval: .microseconds(Int64(usec / 2)), heartbeats: heartbeats, wedgedAfter: wedgedAfter)
    }

    func run() async throws {
        var warned = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let stale = heartbeats.stale(limit: wedgedAfter)
            if stale.isEmpty {
                SystemdNotify.send("WATCHDOG=1")
                warned = false
            } else if !warned {
                SystemdNotify.send("STATUS=wedged: \(stale.joined(separator: ", "))")
                warned = true
            }
            let pause = interval
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }
}
