import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

/// Reads passwords and PINs without ever echoing or printing them: from standard input, one
/// per line (`--password-stdin`, `--pin-stdin`), or asked on the terminal with echo off.
enum SecretInput {
    /// "A terminal" in heraldctl's sense: standard input is one. Secrets are then asked on the
    /// controlling terminal; otherwise they must come through the `--…-stdin` flags.
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The next line of standard input, without its line end. `flag` and `what` name it in
    /// the usage error when it is missing or empty.
    static func nextLine(flag: String, what: String) throws -> String {
        guard let line = Swift.readLine(strippingNewline: true) else {
            throw UsageError("\(flag): standard input ends before \(what)")
        }
        guard !line.isEmpty else { throw UsageError("\(flag): \(what) on standard input is an empty line") }
        return line
    }

    /// The password for `user`: standard input's next line, or asked on the terminal.
    static func password(for user: String, fromStandardInput: Bool) throws -> String {
        if fromStandardInput { return try nextLine(flag: "--password-stdin", what: "the password (first line)") }
        let terminal = try Terminal.open(orExplain: "pass the password with --password-stdin")
        guard let password = terminal.ask("Password for \(user): "), !password.isEmpty else {
            throw UsageError("no password given")
        }
        return password
    }

    /// A PIN that is already set (to unlock, or to change it): standard input's next line, or
    /// asked on the terminal. Only its form is checked here: whether it is right is heraldd's business.
    static func existingPin(prompt: String, fromStandardInput: Bool, what: String) throws -> String {
        let pin: String
        if fromStandardInput {
            pin = try nextLine(flag: "--pin-stdin", what: what)
        } else {
            let terminal = try Terminal.open(orExplain: "pass the PIN with --pin-stdin")
            guard let typed = terminal.ask(prompt), !typed.isEmpty else { throw UsageError("no PIN given") }
            pin = typed
        }
        guard PinRules.isWellFormed(pin) else { throw UsageError(PinRules.malformed) }
        return pin
    }

    /// A new PIN: standard input's next line, or chosen on the terminal and typed twice (three
    /// tries). Refused here, with the reason, when `PinRules` refuses it.
    static func newPin(
        prompt: String, repeatPrompt: String, fromStandardInput: Bool, what: String
    ) throws -> String {
        if fromStandardInput {
            let pin = try nextLine(flag: "--pin-stdin", what: what)
            if let problem = PinRules.problem(with: pin) { throw UsageError(problem) }
            return pin
        }
        let terminal = try Terminal.open(orExplain: "pass the PIN with --pin-stdin")
        var lastProblem = "the two PINs typed were different"
        for _ in 1...3 {
            guard let pin = terminal.ask(prompt), !pin.isEmpty else { throw UsageError("no PIN given") }
            if let problem = PinRules.problem(with: pin) {
                terminal.say("\(problem.prefix(1).uppercased())\(problem.dropFirst()).\n")
                lastProblem = problem
                continue
            }
            guard let again = terminal.ask(repeatPrompt) else { throw UsageError("no PIN given") }
            if again == pin { return pin }
            terminal.say("The two PINs are different. Try again.\n")
            lastProblem = "the two PINs typed were different"
        }
        throw UsageError("no PIN chosen after 3 tries (\(lastProblem))")
    }
}

/// The user's terminal, for prompts: `/dev/tty` when it can be opened, else standard input for
/// answers and standard error for prompts. Echo is off while an answer is typed.
final class Terminal {
    private let descriptor: Int32
    private let input: Int32
    private let output: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        input = descriptor >= 0 ? descriptor : STDIN_FILENO
        output = descriptor >= 0 ? descriptor : STDERR_FILENO
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// The terminal, or a usage error that ends with `advice` when standard input is not one.
    static func open(orExplain advice: String) throws -> Terminal {
        guard SecretInput.standardInputIsTerminal else {
            throw UsageError("standard input is not a terminal: \(advice)")
        }
        return Terminal(descriptor: Glibc.open("/dev/tty", O_RDWR | O_CLOEXEC))
    }

    /// Writes `text` to the terminal.
    func say(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(output, &bytes, bytes.count)
    }

    /// Shows `prompt` and reads one line with echo off; nil at end of input.
    func ask(_ prompt: String) -> String? {
        // Echo goes off before the prompt shows, so nothing typed after the prompt is ever echoed.
        var saved = termios()
        let canHideEcho = tcgetattr(input, &saved) == 0
        if canHideEcho {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            EchoGuard.arm(descriptor: input, saved: saved)
            tcsetattr(input, TCSAFLUSH, &silent)
        }
        say(prompt)
        let line = readLine()
        if canHideEcho {
            tcsetattr(input, TCSAFLUSH, &saved)
            EchoGuard.disarm()
        }
        return line
    }

    /// Shows `prompt` and reads one line with echo on (a question, not a secret); nil at end of input.
    func answer(_ prompt: String) -> String? {
        say(prompt)
        return readLine()
    }

    /// Reads up to a newline, byte by byte, so nothing past the line is consumed.
    private func readLine() -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(input, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Puts the terminal's echo back if the user presses Ctrl-C at a prompt.
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
