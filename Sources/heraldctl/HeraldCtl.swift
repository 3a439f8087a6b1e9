import ArgumentParser
import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

struct HeraldCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldctl",
        abstract: "Control heraldd, the daemon that turns Matrix messages into desktop notifications.",
        discussion: """
            heraldctl talks to heraldd over its control socket; it never touches Herald's data itself. \
            Every command accepts --json (one JSON document on standard output) and --socket PATH. \
            ACCOUNT is a full Matrix ID (@alice:example.org) or any unambiguous prefix of it (alice).

            Exit status: 0 done, 1 heraldd refused (its message is printed), 2 usage error \
            (including a PIN refused before anything is sent), 3 heraldd cannot be reached.

            Examples:
              heraldctl status
              heraldctl account add https://matrix.example.org --user alice
              heraldctl lock
              heraldctl unlock alice
              heraldctl logout alice
              heraldctl notifications off alice
            """,
        version: heraldVersion,
        subcommands: [
            StatusCommand.self, AccountCommand.self, LockCommand.self, UnlockCommand.self, PinCommand.self,
            LogoutCommand.self, NotificationsCommand.self, PreviewCommand.self, AutostartCommand.self, DoctorCommand.self,
        ])

    func run() throws {
        throw UsageError("a command is required: status, account, lock, unlock, pin, logout, notifications, preview, autostart or doctor (see heraldctl --help)")
    }

    /// ArgumentParser's own `main` exits 64 for usage errors; the contract says 2, and errors
    /// from heraldd need their own codes and --json form. So parsing and running are done here.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let wantsJSON = arguments.prefix { $0 != "--" }.contains("--json")
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitAfterParsing(error, json: wantsJSON)
        }
        do {
            try command.run()
        } catch {
            let socketPath = (command as? any ControlCommand)?.options.socketPath ?? ControlPaths.defaultSocketPath()
            Report.failure(error, socketPath: socketPath, json: wantsJSON)
        }
        Glibc.exit(0)
    }

    private static func exitAfterParsing(_ error: any Error, json: Bool) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            // --help, --version: ArgumentParser's text on standard output.
            print(fullMessage(for: error))
            Glibc.exit(0)
        }
        if json {
            Report.json(["error": .string(Report.usageErrorName), "message": .string(message(for: error))] as [String: JSONValue])
        }
        // ArgumentParser says "Error: …" then the usage; heraldctl's messages all start "heraldctl: ".
        var text = fullMessage(for: error)
        if text.hasPrefix("Error: ") { text = "heraldctl: " + text.dropFirst("Error: ".count) }
        Report.standardError(text)
        Glibc.exit(ExitStatus.usage)
    }
}

/// Exit codes of the contract (DESIGN.md).
enum ExitStatus {
    static let refused: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
}

/// A usage error found after parsing (e.g. no password and no terminal): exit 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What every command that talks to heraldd shares.
protocol ControlCommand: ParsableCommand {
    var options: GlobalOptions { get }
}

struct GlobalOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on standard output instead of text.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "The control socket of heraldd.",
            discussion: "Default: $HERALD_SOCKET, else $XDG_RUNTIME_DIR/herald/control.sock.",
            valueName: "path"))
    var socket: String?

    var socketPath: String { socket ?? ControlPaths.defaultSocketPath() }

    /// Connects to heraldd. Calls that sign in or out talk to a homeserver and get longer.
    func connect(timeout: Duration = .seconds(30)) throws -> ControlClient {
        try ControlClient(path: socketPath, timeout: timeout)
    }
}
