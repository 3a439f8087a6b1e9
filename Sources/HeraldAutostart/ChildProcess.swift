#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs a program (looked up in PATH, with this process's environment) and collects what it
/// prints. Used for `systemctl --user` and `busctl --user`, so that heraldctl talks to systemd
/// and D-Bus without linking sd-bus.
public struct ChildProcess: Sendable {
    public struct Outcome: Sendable, Equatable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == 0 }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case cannotStart(program: String, reason: String)
        case timedOut(program: String, seconds: Int)

        public var description: String {
            switch self {
            case .cannotStart(let program, let reason): "cannot run \(program): \(reason)"
            case .timedOut(let program, let seconds): "\(program) did not finish within \(seconds) s"
            }
        }
    }

    public var arguments: [String]
    public var timeoutSeconds: Int

    public init(_ arguments: [String], timeoutSeconds: Int = 30) {
        precondition(!arguments.isEmpty)
        self.arguments = arguments
        self.timeoutSeconds = timeoutSeconds
    }

    public func run() throws(Failure) -> Outcome {
        let program = arguments[0]
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            throw .cannotStart(program: program, reason: String(cString: strerror(errno)))
        }
        // The child gets them as 1 and 2 (dup2 clears the flag); no other child inherits them.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, &actions, nil, &argv, environ)
        close(out[1])
        close(err[1])
        defer { close(out[0]); close(err[0]) }
        guard rc == 0 else { throw .cannotStart(program: program, reason: String(cString: strerror(rc))) }

        var stdout: [UInt8] = [], stderr: [UInt8] = []
        let deadline = monotonicSeconds() + Double(timeoutSeconds)
        var open = [out[0], err[0]]
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while !open.isEmpty {
            let left = deadline - monotonicSeconds()
            if left <= 0 {
                kill(pid, SIGKILL)
                var ignored: Int32 = 0
                waitpid(pid, &ignored, 0)
                throw .timedOut(program: program, seconds: timeoutSeconds)
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left * 1000 + 1, 60_000)))
            if ready < 0 && errno != EINTR { break }
            for p in fds where p.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if p.fd == out[0] { stdout += chunk[..<n] } else { stderr += chunk[..<n] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == p.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: code, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Whether `program` is an executable file in PATH.
    public static func isAvailable(_ program: String, environment: [String: String]) -> Bool {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(program)", X_OK) == 0 }
    }
}

private func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
