import CSystemd
import Foundation
import Glibc
import HeraldDBus
import Logging
import Synchronization
import Testing

/// A private session bus for one test: a dbus-daemon with a configuration of its own, so that
/// nothing is activatable on it except the `.service` files the test asks for, and optionally
/// gnome-keyring-daemon on it as the Secret Service, with a fresh HOME, XDG_DATA_HOME and
/// XDG_RUNTIME_DIR. `stop()` ends both and removes the directory.
final class PrivateBus {
    let directory: TemporaryDirectory
    let address: String
    private let daemon: ChildProcess
    private var keyring: ChildProcess?
    private var others: [ChildProcess] = []
    private var connections: [BusConnection] = []

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// `activatable`: bus names with a `.service` file (their Exec is /bin/false).
    init(activatable: [String] = []) throws {
        directory = try TemporaryDirectory()
        let root = directory.path
        for sub in ["services", "home", "data", "config", "run"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        for name in activatable {
            try "[D-BUS Service]\nName=\(name)\nExec=/bin/false\n"
                .write(toFile: "\(root)/services/\(name).service", atomically: true, encoding: .utf8)
        }
        let socket = "\(root)/run/bus"
        try """
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path=\(socket)</listen>
              <auth>EXTERNAL</auth>
              <servicedir>\(root)/services</servicedir>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """.write(toFile: "\(root)/bus.conf", atomically: true, encoding: .utf8)
        address = "unix:path=\(socket)"
        daemon = try ChildProcess(
            try Self.find("dbus-daemon", package: "dbus-daemon"),
            ["--config-file=\(root)/bus.conf", "--nofork", "--nopidfile", "--print-address"],
            environment: ["PATH": "/usr/bin:/bin"], logPath: "\(root)/dbus-daemon.log")
        // Not the socket file, which exists from bind() while connections are still refused: the
        // address, which dbus-daemon prints once it listens.
        let log = "\(root)/dbus-daemon.log"
        try Self.wait("dbus-daemon to listen on \(socket)", seconds: 10) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("unix:")
        }
    }

    /// Starts gnome-keyring-daemon's Secret Service on this bus, its login keyring created and
    /// unlocked with a password given on standard input, and waits until the "default" alias
    /// names it.
    func startGnomeKeyring(password: String = "herald-test-password") async throws {
        let root = directory.path
        // --unlock reads the login keyring's password from standard input until it closes (and
        // creates the keyring with it); it cannot be combined with --start.
        let process = try ChildProcess(
            try Self.find("gnome-keyring-daemon", package: "gnome-keyring"),
            ["--foreground", "--unlock", "--components=secrets"],
            environment: [
                "PATH": "/usr/bin:/bin", "HOME": "\(root)/home", "XDG_DATA_HOME": "\(root)/data",
                "XDG_CONFIG_HOME": "\(root)/config", "XDG_RUNTIME_DIR": "\(root)/run",
                "DBUS_SESSION_BUS_ADDRESS": address,
            ],
            input: Array(password.utf8), logPath: "\(root)/gnome-keyring.log")
        keyring = process

        let bus = try connect()
        let start = ContinuousClock.now
        while true {
            if try await BusDaemon(bus: bus).nameHasOwner("org.freedesktop.secrets") {
                let alias: String = try await bus.call(
                    destination: "org.freedesktop.secrets", path: "/org/freedesktop/secrets",
                    interface: "org.freedesktop.Secret.Service", member: "ReadAlias",
                    build: { try $0.string("default") }, decode: { try $0.objectPath() })
                if alias != "/" { return }
            }
            guard process.isRunning else {
                throw SetupError(description: "gnome-keyring-daemon exited (\(process.exitCode.map { "\($0)" } ?? "signal")): \(keyringLog)")
            }
            guard ContinuousClock.now - start < .seconds(15) else {
                throw SetupError(description: "gnome-keyring-daemon did not offer an unlocked login keyring within 15 s: \(keyringLog)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Ends `process` with the bus.
    func adopt(_ process: ChildProcess) {
        others.append(process)
    }

    var keyringLog: String {
        (try? String(contentsOfFile: "\(directory.path)/gnome-keyring.log", encoding: .utf8)) ?? ""
    }

    /// A new connection to this bus, closed by `stop()`.
    func connect(logger: Logger = Logger(label: "test")) throws -> BusConnection {
        let connection = try onThisBus { try BusConnection.session(logger: logger) }
        connections.append(connection)
        return connection
    }

    /// A bare sd-bus connection to this bus, with no thread or loop: nothing reads what it is
    /// sent unless the caller does. The caller closes it.
    func rawConnection() throws -> OpaquePointer {
        try onThisBus {
            var raw: OpaquePointer?
            let rc = sd_bus_open_user(&raw)
            guard rc >= 0, let raw else { throw SetupError(description: "sd_bus_open_user: \(String(cString: strerror(-rc)))") }
            return raw
        }
    }

    /// Opens a session-bus connection with this bus as the session bus: sd-bus finds the
    /// session bus in the environment.
    private func onThisBus<T>(_ open: () throws -> T) throws -> T {
        try Self.environmentLock.withLock { _ in
            let saved = getenv("DBUS_SESSION_BUS_ADDRESS").map { String(cString: $0) }
            setenv("DBUS_SESSION_BUS_ADDRESS", address, 1)
            defer {
                if let saved { setenv("DBUS_SESSION_BUS_ADDRESS", saved, 1) } else { unsetenv("DBUS_SESSION_BUS_ADDRESS") }
            }
            return try open()
        }
    }

    func stop() {
        for connection in connections { connection.close() }
        for process in others + [keyring, daemon].compactMap({ $0 }) { process.stop() }
        // HERALD_KEEP_TEST_BUS=1 keeps the directory (logs of dbus-daemon, gnome-keyring, the fake).
        if getenv("HERALD_KEEP_TEST_BUS") == nil { directory.remove() } else { print("kept \(directory.path)") }
    }

    private static let environmentLock = Mutex(())

    /// The program's path, or a failure that says which package to install.
    static func find(_ program: String, package: String) throws -> String {
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/usr/local/bin"] where access("\(dir)/\(program)", X_OK) == 0 {
            return "\(dir)/\(program)"
        }
        throw SetupError(description: "\(program) not found: install the Debian package \(package) (scripts/install-deps.sh does)")
    }

    private static func wait(_ what: String, seconds: Int, until ready: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !ready() {
            guard ContinuousClock.now < deadline else { throw SetupError(description: "timed out waiting for \(what)") }
            usleep(20_000)
        }
    }
}
