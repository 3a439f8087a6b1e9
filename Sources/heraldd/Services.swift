import CSystemd
import HeraldControl
import HeraldDBus
import Logging
import ServiceLifecycle

/// Serves `org.herald.Control` on the control socket until shutdown.
struct ControlService: Service {
    let server: ControlServer

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.run()
        } onGracefulShutdown: {
            server.shutdown()
        }
    }
}

/// Runs every account's sync loop; on shutdown cancels them and waits until each has stopped.
struct SyncService: Service {
    let daemon: Daemon

    func run() async throws {
        try await daemon.startAll()
        try? await gracefulShutdown()
        await daemon.stopAll()
    }
}

/// Follows the notification server's signals: a closed notification ends its room's count.
struct NotificationSignalService: Service {
    let signals: AsyncStream<NotificationSignal>
    let notifier: Notifier

    func run() async throws {
        for await signal in signals.cancelOnGracefulShutdown() {
            if case .closed(let id, _) = signal { await notifier.closed(id: id) }
        }
    }
}

/// Tells systemd (when it supervises us) that shutdown has begun.
struct StoppingNotice: Service {
    func run() async throws {
        try? await gracefulShutdown()
        SystemdNotify.send("STOPPING=1")
    }
}

enum SystemdNotify {
    /// A no-op outside systemd (no NOTIFY_SOCKET).
    static func send(_ state: String) {
        _ = sd_notify(0, state)
    }
}
