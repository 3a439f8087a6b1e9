import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

/// Reads a password without ever echoing or printing it.
enum PasswordInput {
    /// The first line of standard input, without its line end.
    static func firstLineOfStandardInput() throws -> String {
        guard let line = Swift.readLine(strippingNewline: true) else {
            throw UsageError("--password-stdin: standard input is empty")
        }
        guard !line.isEmpty else { throw UsageError("--password-stdin: the first line of standard input is empty") }
        return line
    }

    /// Asks on the terminal with echo off. Standard input must be a terminal.
    static func prompt(for user: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            throw UsageError("standard input is not a terminal: pass the password with --password-stdin")
        }
        let terminal = open("/dev/tty", O_RDWR | O_CLOEXEC)
        let input = terminal >= 0 ? terminal : STDIN_FILENO
        let output = terminal >= 0 ? terminal : STDERR_FILENO
        defer { if terminal >= 0 { close(terminal) } }

        write(output, "Password for \(user): ")
        var saved = termios()
        let canHideEcho = tcgetattr(input, &saved) == 0
        if canHideEcho {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            EchoGuard.arm(descriptor: input, saved: saved)
            tcsetattr(input, TCSAFLUSH, &silent)
        }
        let line = readLine(from: input)
        if canHideEcho {
            tcsetattr(input, TCSAFLUSH, &saved)
            EchoGuard.disarm()
        }
        guard let line, !line.isEmpty else { throw UsageError("no password given") }
        return line
    }

    private static func write(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(descriptor, &bytes, bytes.count)
    }

    /// Reads up to a newline, byte by byte, so nothing past the line is consumed.
    private static func readLine(from descriptor: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Puts the terminal's echo back if the user presses Ctrl-C at the password prompt.
private enum EchoGuard {
    // Read only by the signal handler, written before it is installed: plain globals are fine.
    nonisolated(unsafe) static var descriptor: Int32 = -1
    nonisolated(unsafe) static var saved = termios()

    static func arm(descriptor: Int32, saved: termios) {
        Self.descriptor = descriptor
        Self.saved = saved
        // Only async-signal-safe calls in the handlers.
        signal(SIGINT) { _ in EchoGuard.restoreAndExit(130) }
        signal(SIGTERM) { _ in EchoGuard.restoreAndExit(143) }
    }

    private static func restoreAndExit(_ status: Int32) -> Never {
        tcsetattr(descriptor, TCSANOW, &saved)
        var newline = UInt8(ascii: "\n")
        _ = Glibc.write(descriptor, &newline, 1)  // the line the user never finished
        _exit(status)
    }

    static func disarm() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
