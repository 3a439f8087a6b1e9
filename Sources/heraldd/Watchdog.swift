import CSystemd
import Foundation
import HeraldMatrix
import ServiceLifecycle
import Synchronization

/// Heartbeats of the loops that must stay alive. A loop beats whenever it makes progress (an
/// answer, an error, a retry); the watchdog pings systemd only while every loop has beaten
/// recently, so a wedged sync loop gets the service restarted.
final class Heartbeats: Sendable {
    private struct Beat {
        var at: ContinuousClock.Instant
        /// How long the step after the beat may take, when it has a time limit of its own.
        var allowance: Duration
    }

    private let beats = Mutex<[String: Beat]>([:])

    /// `allowing`: the time limit of what the loop does next (a /sync), when it may take longer
    /// than the watchdog's own limit.
    func beat(_ name: String, allowing: Duration = .zero) { beats.withLock { $0[name] = Beat(at: .now, allowance: allowing) } }
    func remove(_ name: String) { _ = beats.withLock { $0.removeValue(forKey: name) } }

    /// Names of loops silent for longer than `limit` and than what their last beat allowed.
    func stale(limit: Duration) -> [String] {
        let now = ContinuousClock.now
        return beats.withLock { $0.filter { now - $0.value.at > max(limit, $0.value.allowance) }.map(\.key).sorted() }
    }
}

/// Sends WATCHDOG=1 every half of WATCHDOG_USEC while the loops are alive. Absent when
/// systemd asked for no watchdog, so an idle daemon has no timer at all.
struct WatchdogService: Service {
    let interval: Duration
    let heartbeats: Heartbeats
    /// A loop silent for longer than this is wedged; see `wedgedAfter(watchdog:pollMilliseconds:)`.
    let wedgedAfter: Duration
    var timers = Timers(bus: nil)

    static func fromEnvironment(heartbeats: Heartbeats, pollMilliseconds: Int, timers: Timers) -> WatchdogService? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        let watchdog = Duration.microseconds(Int64(clamping: usec))
        return WatchdogService(interval: watchdog / 2, heartbeats: heartbeats,
                               wedgedAfter: wedgedAfter(watchdog: watchdog, pollMilliseconds: pollMilliseconds), timers: timers)
    }

    /// Three watchdog periods (180 s with the unit's WatchdogSec=60: above a 45 s long poll
    /// that runs into its 60 s limit, and above the longest backoff sleep, 60 s, or a server's
    /// Retry-After, 120 s at most), and never less than a long poll plus 15 s. A /sync beats
    /// with its own time limit (a first sync's is 120 s), so a shorter WatchdogSec cannot make a
    /// slow but live request look wedged. systemd restarts the service one watchdog period
    /// after the pings stop.
    static func wedgedAfter(watchdog: Duration, pollMilliseconds: Int) -> Duration {
        max(watchdog * 3, .milliseconds(MatrixClient.syncLimitMilliseconds(poll: pollMilliseconds)))
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let stale = heartbeats.stale(limit: wedgedAfter)
            if stale.isEmpty {
                SystemdNotify.send("WATCHDOG=1")
            }
            ServiceStatus.shared.setWedged(stale)  // sent only when the line changes
            ServiceStatus.shared.refresh()  // catches account changes no hook reported
            let pause = interval
            let timers = self.timers
            _ = try? await cancelWhenGracefulShutdown { try await timers.sleep(for: pause) }
        }
    }
}
