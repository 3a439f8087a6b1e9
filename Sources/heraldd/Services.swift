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
        await daemon.concealLeftoverNotifications()
        try await daemon.startAll()
        try? await gracefulShutdown()
        await daemon.stopAll()
    }
}

/// Follows the notification server: a closed notification ends its room's count, an action
/// runs, and a server that comes back gets what could not be shown meanwhile.
struct NotificationSignalService: Service {
    let signals: AsyncStream<NotificationSignal>
    let notifier: Notifier
    let daemon: Daemon

    func run() async throws {
        var tokens: [UInt32: String] = [:]
        for await signal in signals.cancelOnGracefulShutdown() {
            switch signal {
            case .closed(let id, _):
                tokens[id] = nil
                await notifier.closed(id: id)
            case .activationToken(let id, let token):
                tokens[id] = token  // sent just before the ActionInvoked it belongs to
            case .actionInvoked(let id, let key):
                await daemon.handleAction(id: id, key: key, activationToken: tokens.removeValue(forKey: id))
            case .serverChanged(let present):
                await notifier.serverChanged(present: present)
                if present { await daemon.replayUnshown() }
            }
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
