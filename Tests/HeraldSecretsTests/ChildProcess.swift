import Glibc

/// A helper program for a test, spawned with posix_spawn and a clean signal state.
///
/// Not Foundation's Process: on Linux its children inherit the spawning thread's blocked
/// signals (SIGTERM included, so they cannot be stopped politely), and its waitUntilExit spins
/// when called from a concurrency thread.
final class ChildProcess {
    let pid: pid_t
    private var status: Int32?

    /// `input` is written to the child's standard input, which is then closed; its output and
    /// errors go to `logPath` (or /dev/null).
    init(_ path: String, _ arguments: [String], environment: [String: String],
         input: [UInt8]? = nil, logPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [-1, -1]
        if input != nil {
            guard pipe(&fds) == 0 else { throw PrivateBus.SetupError(description: "pipe: \(errno)") }
            // Not inherited by children spawned meanwhile, which would keep the pipe from closing.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        if input != nil { close(fds[0]) }
        guard rc == 0 else {
            if input != nil { close(fds[1]) }
            throw PrivateBus.SetupError(description: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        pid = child
        if let input {
            _ = input.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            close(fds[1])
        }
    }

    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
        return status == nil
    }

    /// The exit status once it has ended on its own (nil while it runs or after a signal).
    var exitCode: Int32? {
        guard !isRunning, let status, status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// Waits for it to end on its own, for at most `seconds`.
    func wait(seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// SIGTERM, then SIGKILL if it has not ended within 5 s; reaps it.
    func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if wait(seconds: 5) { return }
        kill(pid, SIGKILL)
        var raw: Int32 = 0
        waitpid(pid, &raw, 0)
        status = raw
    }

    deinit { stop() }
}
