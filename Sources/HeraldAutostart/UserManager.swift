#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The systemd user manager, reached through `systemctl --user`, which calls its D-Bus API
/// (EnableUnitFiles / DisableUnitFiles, then Reload; GetUnitFileState) over the manager's
/// private socket. Going through systemctl keeps heraldctl free of sd-bus, and gives the user
/// systemd's own error messages.
public struct UserManager: Sendable {
    public let paths: AutostartPaths

    public init(paths: AutostartPaths) {
        self.paths = paths
    }

    /// Whether a user manager listens on `$XDG_RUNTIME_DIR/systemd/private` (what systemctl
    /// itself connects to): a connect, no message.
    public var isRunning: Bool {
        guard let socketPath = paths.managerSocket else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }

    /// EnableUnitFiles (herald.service, and herald.socket through its Also=), then Reload.
    public func enable() throws {
        try systemctl(["enable", AutostartPaths.serviceName])
    }

    /// DisableUnitFiles, then Reload.
    public func disable() throws {
        try systemctl(["disable", AutostartPaths.serviceName])
    }

    /// GetUnitFileState: "enabled", "disabled", "static", "masked", "linked", "not-found"…
    public func unitFileState() throws -> String {
        let outcome = try run(["is-enabled", AutostartPaths.serviceName])
        let state = outcome.stdout.trimmingSpaces.split(separator: "\n").first.map(String.init) ?? ""
        // is-enabled exits 1 for disabled units: only an empty answer is a failure.
        guard !state.isEmpty else { throw AutostartError.manager(command: "systemctl --user is-enabled", message: Self.message(outcome)) }
        return state
    }

    private func systemctl(_ arguments: [String]) throws {
        let outcome = try run(arguments)
        guard outcome.succeeded else {
            throw AutostartError.manager(command: "systemctl --user " + arguments.joined(separator: " "), message: Self.message(outcome))
        }
    }

    private func run(_ arguments: [String]) throws -> ChildProcess.Outcome {
        do {
            return try ChildProcess(["systemctl", "--user", "--no-pager"] + arguments).run()
        } catch {
            throw AutostartError.manager(command: "systemctl --user " + arguments.joined(separator: " "), message: error.description)
        }
    }

    private static func message(_ o: ChildProcess.Outcome) -> String {
        let text = (o.stderr + o.stdout).trimmingSpaces
        return text.isEmpty ? "exit status \(o.status)" : text
    }
}
