import Glibc
import HeraldDBus
import Logging
import ServiceLifecycle

/// Locks every account when the desktop session locks: `org.freedesktop.ScreenSaver`
/// `ActiveChanged(true)` on the session bus, or logind's `Lock` on one of the user's sessions
/// (system bus). A user service is not itself in a logind session, so the session's owner is
/// asked of logind; another user's lock (fast user switching on a shared workstation) is let
/// be, and a session logind cannot tell about locks anyway: locking is the safe direction.
struct ScreenLockWatcher: Service {
    let session: BusConnection?
    let daemon: Daemon
    let logger: Logger

    private enum Event: Sendable {
        case screenSaver
        case logind(session: String)
    }

    func run() async throws {
        let (events, cont) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(8))
        if let session {
            try? await session.onSignal(path: nil, interface: "org.freedesktop.ScreenSaver", member: "ActiveChanged") { r in
                if (try? r.bool()) == true { cont.yield(.screenSaver) }
            }
        }
        var system: BusConnection?
        do {
            let bus = try BusConnection.system(logger: logger)
            try await bus.onSignal(path: nil, interface: "org.freedesktop.login1.Session", member: "Lock") { r in
                cont.yield(.logind(session: r.path ?? ""))
            }
            system = bus
        } catch {
            logger.info("no system bus: logind session locks are not followed (\(error))")
        }
        for await event in events.cancelOnGracefulShutdown() {
            switch event {
            case .screenSaver:
                await daemon.lockAll(because: "the screen saver started")
            case .logind(let path):
                if let system, let owner = await Self.owner(of: path, on: system), owner != getuid() {
                    logger.info("another user's session was locked; Herald's accounts stay as they are",
                                metadata: ["session": "\(path)", "uid": "\(owner)"])
                    continue
                }
                await daemon.lockAll(because: "the session was locked")
            }
        }
        system?.close()
    }

    /// The uid of the user a logind session belongs to (its `User` property), or nil when logind
    /// does not answer.
    static func owner(of sessionPath: String, on bus: BusConnection) async -> UInt32? {
        guard sessionPath.hasPrefix("/org/freedesktop/login1/session/") else { return nil }
        return try? await bus.call(
            destination: "org.freedesktop.login1", path: sessionPath, interface: "org.freedesktop.DBus.Properties",
            member: "Get", timeoutMicroseconds: 2_000_000,  // a lock must not wait long on a slow logind
            build: {
                try $0.string("org.freedesktop.login1.Session")
                try $0.string("User")
            },
            decode: { r in
                try r.variant { signature in
                    guard signature == "(uo)" else {
                        throw BusError(name: "org.freedesktop.DBus.Error.InvalidSignature", message: "User is \(signature)")
                    }
                    return try r.container("r", "uo") { () throws -> UInt32 in
                        let uid = try r.uint32()
                        _ = try r.objectPath()  // a struct is read whole before it is left
                        return uid
                    }
                }
            })
    }
}
