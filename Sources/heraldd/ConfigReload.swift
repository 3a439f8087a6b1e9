import Foundation
import HeraldCore
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl --user reload herald`) reads the configuration file again. What can change
/// while running is applied; the rest is logged as waiting for a restart. A file that no longer
/// parses is reported and the running configuration is kept.
struct ConfigReloadService: Service {
    let hangups: AsyncStream<Void>
    let daemon: Daemon
    let logger: Logger
    /// Reads and parses the file as at start (the same path, the same defaults when it is absent).
    let load: @Sendable () throws -> Config
    let initial: Config
    /// `--poll-milliseconds` was given: it wins over sync.poll_seconds, at start and on reload.
    let pollFixed: Bool

    func run() async throws {
        var current = initial
        for await _ in hangups.cancelOnGracefulShutdown() {
            SystemdNotify.send("RELOADING=1")
            do {
                let new = try load()
                await apply(new, over: current)
                current = new
            } catch {
                logger.error("configuration not reloaded, keeping the running one: \(error)")
            }
            SystemdNotify.send("READY=1\nSTATUS=\(ServiceStatus.shared.line)")
        }
    }

    private func apply(_ new: Config, over old: Config) async {
        var changes = ConfigChange.between(old, new)
        if changes.isEmpty {
            logger.notice("configuration reloaded: nothing changed")
            return
        }
        let poll = pollFixed ? await daemon.pollMilliseconds : new.pollSeconds * 1000
        await daemon.configure(pollMilliseconds: poll, idleLockMinutes: new.idleLockMinutes)
        await daemon.configure(openURL: new.openURL)
        await daemon.notifier.setQuietHours(new.quietHours)
        for i in changes.indices where changes[i].key == "sync.poll_seconds" && pollFixed {
            changes[i].effect = "ignored: --poll-milliseconds overrides it"
        }
        for change in changes {
            logger.notice("configuration reloaded: \(change.key) \(change.old) → \(change.new) (\(change.effect))")
        }
    }
}

/// One setting that differs between two configurations, and when the change takes effect.
struct ConfigChange: Equatable {
    var key: String
    var old: String
    var new: String
    var effect: String

    static func between(_ a: Config, _ b: Config) -> [ConfigChange] {
        var out: [ConfigChange] = []
        func differs<T: Equatable>(_ key: String, _ x: T, _ y: T, _ show: (T) -> String, _ effect: String) {
            if x != y { out.append(ConfigChange(key: key, old: show(x), new: show(y), effect: effect)) }
        }
        // Each running sync loop holds its poll duration; loops started later take the new one.
        differs("sync.poll_seconds", a.pollSeconds, b.pollSeconds, { "\($0)" },
                "for accounts added from now on, and for every account once heraldd restarts")
        differs("lock.idle_minutes", a.idleLockMinutes, b.idleLockMinutes, { "\($0)" }, "from the next unlock on")
        differs("network.ca_file", a.caFile, b.caFile, { $0 ?? "none" },
                "once heraldd restarts: the HTTP client keeps its TLS settings")
        differs("notifications.open_url", a.openURL, b.openURL, { $0 }, "now")
        differs("quiet_hours", a.quietHours, b.quietHours, { q in
            q.map { String(format: "%02d:%02d–%02d:%02d%@", $0.start / 60, $0.start % 60, $0.end / 60, $0.end % 60,
                           $0.allowHighlights ? ", mentions through" : "") } ?? "none"
        }, "now")
        differs("notifications.language", a.language, b.language, { $0 }, "once heraldd restarts")
        differs("secrets.key_store", a.keyStore, b.keyStore, { $0.rawValue },
                "once heraldd restarts: the token key is chosen at start")
        return out
    }
}
