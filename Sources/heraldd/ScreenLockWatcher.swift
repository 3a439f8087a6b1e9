import HeraldDBus
import Logging
import ServiceLifecycle

/// Locks every account when the desktop session locks: `org.freedesktop.ScreenSaver`
/// `ActiveChanged(true)` on the session bus, or logind's `Lock` on a session (system bus).
/// A Lock of any session locks Herald's accounts: locking is the safe direction, and a user
/// service is not itself in a logind session to match against.
struct ScreenLockWatcher: Service {
    let session: BusConnection?
    let daemon: Daemon
    let logger: Logger

    func run() async throws {
        let (events, cont) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(8))
        if let session {
            try? await session.onSignal(path: nil, interface: "org.freedesktop.ScreenSaver", member: "ActiveChanged") { r in
                if (try? r.bool()) == true { cont.yield("the screen saver started") }
            }
        }
        var system: BusConnection?
        do {
            let bus = try BusConnection.system(logger: logger)
            try await bus.onSignal(path: nil, interface: "org.freedesktop.login1.Session", member: "Lock") { _ in
                cont.yield("the session was locked")
            }
            system = bus
        } catch {
            logger.info("no system bus: logind session locks are not followed (\(error))")
        }
        for await why in events.cancelOnGracefulShutdown() {
            await daemon.lockAll(because: why)
        }
        system?.close()
    }
}
