import Foundation
import HeraldControl
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The shared-workstation commands (PINs, lock, unlock, logout, preview) of the heraldctl
/// binary against a live server with the fake handler: output, --json documents, exit codes.
extension HeraldCtlTests {
    // MARK: account add with a PIN

    @Test func accountAddRefusesAWeakPinBeforeSendingAnything() async throws {
        let live = try LiveServer()
        for (pin, problem) in [("1234", PinRules.straightRun), ("0000", PinRules.repeatedDigit), ("1212", PinRules.tooCommon),
                               ("12345", PinRules.malformed), ("48 6", PinRules.malformed)] {
            let outcome = try await heraldctl(
                ["account", "add", "https://hs", "--user", "alice", "--password-stdin", "--pin-stdin"],
                socket: live.socketPath, input: "correct horse\n\(pin)\n")
            #expect(outcome.status == 2, "\(pin): \(outcome.stderr)")
            #expect(outcome.stderr == "heraldctl: \(problem)\n")
            #expect(outcome.stdout.isEmpty)
        }
        let json = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--password-stdin", "--pin-stdin", "--json"],
            socket: live.socketPath, input: "correct horse\n9876\n")
        #expect(json.status == 2)
        #expect(try object(json.stdout) == ["error": .string("org.herald.ctl.Usage"), "message": .string(PinRules.straightRun)])
        #expect(await live.handler.addCalls.isEmpty, "a refused PIN must not reach heraldd")
        try await live.stop()
    }

    @Test func accountAddNeedsThePinLine() async throws {
        let live = try LiveServer()
        let missing = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--password-stdin", "--pin-stdin"],
            socket: live.socketPath, input: "correct horse\n")
        #expect(missing.status == 2)
        #expect(missing.stderr == "heraldctl: --pin-stdin: standard input ends before the PIN (second line, after the password)\n")
        let empty = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--password-stdin", "--pin-stdin"],
            socket: live.socketPath, input: "correct horse\n\n4826\n")
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("empty line"))
        let noPinFlag = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--password-stdin", "--json"],
            socket: live.socketPath, input: "correct horse\n4826\n")
        #expect(noPinFlag.status == 2)
        #expect(noPinFlag.stderr.contains("not a terminal") && noPinFlag.stderr.contains("--pin-stdin"))
        #expect(try object(noPinFlag.stdout)["error"] == .string("org.herald.ctl.Usage"))
        let noPasswordFlag = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--pin-stdin"], socket: live.socketPath, input: "4826\n")
        #expect(noPasswordFlag.status == 2)
        #expect(noPasswordFlag.stderr.contains("--password-stdin"))
        #expect(await live.handler.addCalls.isEmpty)
        try await live.stop()
    }

    @Test func accountAddShowsTheDaemonsPinRefusal() async throws {
        let live = try LiveServer()
        let outcome = try await heraldctl(
            ["account", "add", "https://hs", "--user", "strict", "--password-stdin", "--pin-stdin"],
            socket: live.socketPath, input: "correct horse\n4826\n")
        #expect(outcome.status == 1)
        #expect(outcome.stderr == "heraldctl: heraldd wants another PIN\n")
        let json = try await heraldctl(
            ["account", "add", "https://hs", "--user", "strict", "--password-stdin", "--pin-stdin", "--json"],
            socket: live.socketPath, input: "correct horse\n4826\n")
        #expect(json.status == 1)
        #expect(try object(json.stdout) == [
            "error": .string("org.herald.Control.PinRejected"), "reason": .string("heraldd wants another PIN"),
            "message": .string("heraldd wants another PIN"),
        ])
        try await live.stop()
    }

    // MARK: lock, unlock

    @Test func lockOneOrEveryAccount() async throws {
        let live = try LiveServer()
        let all = try await heraldctl(["lock"], socket: live.socketPath)
        #expect(all.status == 0)
        #expect(all.stdout == "Locked @alice:example.org, @bob:example.org\n")
        let flag = try await heraldctl(["lock", "--all", "--json"], socket: live.socketPath)
        #expect(flag.status == 0)
        #expect(flag.stdout == #"{"locked":["@alice:example.org","@bob:example.org"]}"# + "\n")
        let one = try await heraldctl(["lock", "ali"], socket: live.socketPath)
        #expect(one.stdout == "Locked @alice:example.org\n")
        let unknown = try await heraldctl(["lock", "carol", "--json"], socket: live.socketPath)
        #expect(unknown.status == 1)
        #expect(try object(unknown.stdout)["error"] == .string("org.herald.Control.AccountNotFound"))
        #expect(unknown.stderr == "heraldctl: no account matches carol\n")
        let both = try await heraldctl(["lock", "alice", "--all"], socket: live.socketPath)
        #expect(both.status == 2)
        #expect(both.stderr.hasPrefix("heraldctl: give an account or --all, not both\n"))
        #expect(await live.handler.lockCalls == [nil, nil, "ali", "carol"])
        try await live.stop()
    }

    @Test func unlockWithThePinFromStandardInput() async throws {
        let live = try LiveServer()
        let unlocked = try await heraldctl(["unlock", "bob", "--pin-stdin"], socket: live.socketPath, input: "4826\n")
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        #expect(unlocked.stdout == "Unlocked @bob:example.org\n")
        let json = try await heraldctl(["unlock", "bob", "--pin-stdin", "--json"], socket: live.socketPath, input: "4826")
        #expect(json.status == 0)
        var expected = FakeHandler.bob
        expected.locked = false
        #expect(try object(json.stdout)["account"] == (try JSONValue(encoding: expected)))
        #expect(await live.handler.unlockCalls.map(\.pin) == ["4826", "4826"])
        #expect(!unlocked.stdout.contains("4826") && !json.stdout.contains("4826"))
        try await live.stop()
    }

    @Test func unlockRefusalsSayWhatIsLeftAndHowLongToWait() async throws {
        let live = try LiveServer()
        let wrong = try await heraldctl(["unlock", "alice", "--pin-stdin"], socket: live.socketPath, input: "9731\n")
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "heraldctl: wrong PIN for @alice:example.org; 7 attempts left before it is signed out\n")
        #expect(wrong.stdout.isEmpty)

        let wait = try await heraldctl(["unlock", "alice", "--pin-stdin"], socket: live.socketPath, input: "0001\n")
        #expect(wait.status == 1)
        #expect(wait.stderr
            == "heraldctl: wrong PIN for @alice:example.org; 5 attempts left before it is signed out; wait 1 min before the next one\n")
        let waitJSON = try await heraldctl(["unlock", "alice", "--pin-stdin", "--json"], socket: live.socketPath, input: "0001\n")
        #expect(waitJSON.status == 1)
        let document = try object(waitJSON.stdout)
        #expect(document["error"] == .string("org.herald.Control.PinIncorrect"))
        #expect(document["account"] == .string("@alice:example.org"))
        #expect(document["attemptsLeft"] == .int(5))
        #expect(document["waitSeconds"] == .int(60))

        let lockedOut = try await heraldctl(["unlock", "alice", "--pin-stdin"], socket: live.socketPath, input: "0002\n")
        #expect(lockedOut.status == 1)
        #expect(lockedOut.stderr == "heraldctl: too many wrong PINs for @alice:example.org: wait 14 min before trying again\n")
        let lockedOutJSON = try await heraldctl(["unlock", "alice", "--pin-stdin", "--json"], socket: live.socketPath, input: "0002\n")
        #expect(try object(lockedOutJSON.stdout)["seconds"] == .int(840))

        let signedOut = try await heraldctl(["unlock", "alice", "--pin-stdin"], socket: live.socketPath, input: "0003\n")
        #expect(signedOut.status == 1)
        #expect(signedOut.stderr
            == "heraldctl: @alice:example.org is signed out (too many wrong PINs); sign in again with heraldctl account add\n")
        try await live.stop()
    }

    @Test func unlockRefusesSomethingThatIsNotAPinWithoutCountingIt() async throws {
        let live = try LiveServer()
        for input in ["482\n", "48261\n", "abcd\n", "\n", ""] {
            let outcome = try await heraldctl(["unlock", "alice", "--pin-stdin"], socket: live.socketPath, input: input)
            #expect(outcome.status == 2, "\(input.debugDescription): \(outcome.stderr)")
        }
        let noFlag = try await heraldctl(["unlock", "alice", "--json"], socket: live.socketPath, input: "4826\n")
        #expect(noFlag.status == 2)
        #expect(noFlag.stderr.contains("--pin-stdin"))
        #expect(try object(noFlag.stdout)["error"] == .string("org.herald.ctl.Usage"))
        #expect(await live.handler.unlockCalls.isEmpty)
        try await live.stop()
    }

    // MARK: pin set

    @Test func pinSetReadsTheCurrentThenTheNewPin() async throws {
        let live = try LiveServer()
        let changed = try await heraldctl(["pin", "set", "alice", "--pin-stdin"], socket: live.socketPath, input: "4826\n7391\n")
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stdout == "Changed the PIN of alice.\n")
        let json = try await heraldctl(["pin", "set", "alice", "--pin-stdin", "--json"], socket: live.socketPath, input: "4826\n2468")
        #expect(json.status == 0)
        #expect(json.stdout == "{}\n")
        let changes = await live.handler.pinChanges
        #expect(changes.map(\.currentPin) == ["4826", "4826"] && changes.map(\.newPin) == ["7391", "2468"])

        let wrong = try await heraldctl(["pin", "set", "alice", "--pin-stdin"], socket: live.socketPath, input: "1357\n7391\n")
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "heraldctl: wrong PIN for @alice:example.org; 9 attempts left before it is signed out\n")

        let weak = try await heraldctl(["pin", "set", "alice", "--pin-stdin"], socket: live.socketPath, input: "4826\n6969\n")
        #expect(weak.status == 2)
        #expect(weak.stderr == "heraldctl: \(PinRules.tooCommon)\n")
        let oneLine = try await heraldctl(["pin", "set", "alice", "--pin-stdin"], socket: live.socketPath, input: "4826\n")
        #expect(oneLine.status == 2)
        #expect(oneLine.stderr == "heraldctl: --pin-stdin: standard input ends before the new PIN (second line)\n")
        let noFlag = try await heraldctl(["pin", "set", "alice"], socket: live.socketPath, input: "4826\n7391\n")
        #expect(noFlag.status == 2)
        #expect(noFlag.stderr.contains("--pin-stdin"))
        #expect(await live.handler.pinChanges.count == 2)
        try await live.stop()
    }

    // MARK: logout

    @Test func logoutNeedsAnAccountOrAll() async throws {
        let outcome = try await heraldctl(["logout"], socket: "/nonexistent/control.sock")
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("heraldctl: say which account, or --all\n"))
        let json = try await heraldctl(["logout", "--json"], socket: "/nonexistent/control.sock")
        #expect(json.status == 2)
        #expect(try object(json.stdout) == ["error": .string("org.herald.ctl.Usage"), "message": .string("say which account, or --all")])
    }

    @Test func logoutSaysWhatWasSignedOutAndWhatIsPending() async throws {
        let live = try LiveServer()
        let all = try await heraldctl(["logout", "--all"], socket: live.socketPath)
        #expect(all.status == 0)
        #expect(all.stdout == """
            Signed out @alice:example.org
            Signed out @bob:example.org here; the homeserver could not be reached; Herald will retry the server-side sign-out

            """)
        let allJSON = try await heraldctl(["logout", "--all", "--json"], socket: live.socketPath)
        #expect(allJSON.stdout
            == #"{"serverLogoutPending":["@bob:example.org"],"signedOut":["@alice:example.org","@bob:example.org"]}"# + "\n")
        let one = try await heraldctl(["logout", "alice"], socket: live.socketPath)
        #expect(one.status == 0)
        #expect(one.stdout == "Signed out @alice:example.org\n")
        let unknown = try await heraldctl(["logout", "carol"], socket: live.socketPath)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "heraldctl: no account matches carol\n")
        #expect(await live.handler.logoutCalls == [nil, nil, "alice", "carol"])
        try await live.stop()
    }

    // MARK: preview, tables

    @Test func previewSetsOneAccount() async throws {
        let live = try LiveServer()
        let never = try await heraldctl(["preview", "never", "alice"], socket: live.socketPath)
        #expect(never.status == 0)
        #expect(never.stdout == "Notifications of alice now never show previews.\n")
        let always = try await heraldctl(["preview", "always", "alice", "--json"], socket: live.socketPath)
        #expect(always.stdout == "{}\n")
        let unlocked = try await heraldctl(["preview", "unlocked", "@alice:example.org"], socket: live.socketPath)
        #expect(unlocked.stdout == "Notifications of @alice:example.org now show previews only while it is unlocked.\n")
        let unknown = try await heraldctl(["preview", "never", "carol"], socket: live.socketPath)
        #expect(unknown.status == 1)
        let calls = await live.handler.previewCalls
        #expect(calls.map(\.preview) == ["never", "always", "unlocked"])
        #expect(calls.map(\.account) == ["alice", "alice", "@alice:example.org"])
        try await live.stop()
    }

    @Test func tablesShowLockedAndPreview() async throws {
        let live = try LiveServer()
        let list = try await heraldctl(["account", "list"], socket: live.socketPath)
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 6)  // header, two accounts, a blank line, why bob is offline, the final newline
        let header = lines[0].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(header == ["ACCOUNT", "STATE", "LOCKED", "PREVIEW", "NOTIFY", "DEVICE"])
        // Columns line up under their header.
        let lockedColumn = try #require(lines[0].range(of: "LOCKED")).lowerBound.utf16Offset(in: lines[0])
        let previewColumn = try #require(lines[0].range(of: "PREVIEW")).lowerBound.utf16Offset(in: lines[0])
        func cell(_ line: String, _ column: Int) -> String {
            String(line.dropFirst(column).prefix { $0 != " " })
        }
        #expect(lines[1].hasPrefix("@alice:example.org  syncing for "))
        #expect(cell(lines[1], lockedColumn) == "no" && cell(lines[1], previewColumn) == "unlocked")
        #expect(lines[1].hasSuffix("  on      verified"))
        #expect(lines[2].contains("offline for ") && !lines[2].contains("curl"))
        #expect(cell(lines[2], lockedColumn) == "yes" && cell(lines[2], previewColumn) == "never")
        #expect(lines[2].hasSuffix("  off     -"))
        // The reason, however long, has a line of its own: the table stays narrow.
        #expect(lines[..<3].allSatisfy { $0.count <= 80 }, "\(lines[..<3])")
        #expect(lines[3] == "" && lines[4] == "@bob:example.org is offline: \(FakeHandler.offlineReason)")

        let status = try await heraldctl(["status"], socket: live.socketPath)
        #expect(status.stdout.contains("LOCKED") && status.stdout.contains("PREVIEW"))
        let json = try await heraldctl(["status", "--json"], socket: live.socketPath)
        let reply = try JSONDecoder().decode(StatusReply.self, from: Data(json.stdout.utf8))
        #expect(reply.accounts.map(\.locked) == [false] && reply.accounts.map(\.preview) == ["unlocked"])
        #expect(json.stdout.contains(#""locked":false"#) && json.stdout.contains(#""preview":"unlocked""#))
        try await live.stop()
    }

    @Test func helpExplainsPinsAndExitStatus() async throws {
        let add = try await heraldctl(["account", "add", "--help"], socket: "/nonexistent/control.sock")
        #expect(add.stdout.contains("--pin-stdin") && add.stdout.contains("exit") && add.stdout.contains("status 2"))
        let unlock = try await heraldctl(["unlock", "--help"], socket: "/nonexistent/control.sock")
        #expect(unlock.stdout.contains("--pin-stdin") && unlock.stdout.contains("signs the") && unlock.stdout.contains("status 1"))
        let root = try await heraldctl(["--help"], socket: "/nonexistent/control.sock")
        for command in ["lock", "unlock", "pin", "logout", "preview"] {
            #expect(root.stdout.contains("\n  \(command) "), "\(command) missing from heraldctl --help")
        }
    }
}

// MARK: - On a terminal

/// heraldctl with a pseudo-terminal as standard input and controlling terminal (through
/// `setsid --ctty`), so its prompts can be answered and their echo checked.
final class TerminalSession {
    private let master: Int32
    private let process: Process
    private let stdout = Pipe()
    private let stderr = Pipe()
    /// Everything heraldctl wrote to the terminal.
    private(set) var screen = ""
    private var cursor: String.Index

    init(_ arguments: [String], socket: String) throws {
        // posix_openpt, unlockpt and ptsname by hand (Glibc's Swift module leaves them out):
        // TIOCSPTLCK unlocks the slave, TIOCGPTN gives its number.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw SystemCallError(call: "open /dev/ptmx", errno: errno)
        }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw SystemCallError(call: "open", errno: errno) }
        let slaveHandle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["--ctty", "--wait", HeraldCtlTests.executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HERALD_SOCKET"] = socket
        process.environment = environment
        process.standardInput = slaveHandle
        process.standardOutput = stdout
        process.standardError = stderr
        cursor = screen.startIndex
        try process.run()
        try slaveHandle.close()
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
    }

    /// Waits until the terminal shows `text` after what was already expected.
    func expect(_ text: String, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = screen.range(of: text, range: cursor..<screen.endIndex) {
                cursor = found.upperBound
                return
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw TerminalTimeout(expected: text, screen: screen)
            }
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining.components.seconds * 1000 + 50)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = read(master, &buffer, buffer.count)
            guard count > 0 else { throw TerminalTimeout(expected: text, screen: screen + " [terminal closed]") }
            let offset = screen.distance(from: screen.startIndex, to: cursor)
            screen += String(decoding: buffer[..<count], as: UTF8.self)
            cursor = screen.index(screen.startIndex, offsetBy: offset)
        }
    }

    /// Types a line, as the user would (the terminal turns "\r" into "\n").
    func type(_ line: String) {
        let bytes = Array((line + "\r").utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    func finish() -> HeraldCtlTests.Outcome {
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // Whatever the terminal still holds.
        var buffer = [UInt8](repeating: 0, count: 4096)
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, 0) > 0 {
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            screen += String(decoding: buffer[..<count], as: UTF8.self)
        }
        return HeraldCtlTests.Outcome(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    struct TerminalTimeout: Error, CustomStringConvertible {
        var expected: String
        var screen: String
        var description: String { "the terminal never showed \(expected.debugDescription); it shows \(screen.debugDescription)" }
    }
}

@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: access("/usr/bin/setsid", X_OK) == 0, "needs setsid (util-linux)"))
struct HeraldCtlTerminalTests {
    @Test func accountAddAsksThePasswordThenThePinTwiceWithoutEcho() async throws {
        let live = try LiveServer()
        let socket = live.socketPath
        let outcome = try await blocking { () -> (HeraldCtlTests.Outcome, String) in
            let terminal = try TerminalSession(["account", "add", "https://hs.example.org", "--user", "alice"], socket: socket)
            try terminal.expect("Password for alice: ")
            terminal.type("correct horse")
            try terminal.expect("Choose a 4-digit PIN for @alice:example.org: ")
            terminal.type("1234")
            try terminal.expect("A PIN of consecutive digits (like 1234 or 9876) is too easy to guess: choose another.")
            try terminal.expect("Choose a 4-digit PIN for @alice:example.org: ")
            terminal.type("4826")
            try terminal.expect("Repeat the PIN: ")
            terminal.type("4862")
            try terminal.expect("The two PINs are different. Try again.")
            try terminal.expect("Choose a 4-digit PIN for @alice:example.org: ")
            terminal.type("4826")
            try terminal.expect("Repeat the PIN: ")
            terminal.type("4826")
            let outcome = terminal.finish()
            return (outcome, terminal.screen)
        }
        let (result, screen) = outcome
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Signed in as @alice:example.org on https://hs.example.org (device ABCDEF)\n")
        #expect(result.stderr.hasPrefix("Signed in as @alice:example.org.\n"), "\(result.stderr)")
        for secret in ["correct horse", "4826", "4862"] {
            #expect(!screen.contains(secret), "\(secret) was echoed: \(screen.debugDescription)")
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
        #expect(await live.handler.completedSignIns.map(\.pin) == ["4826"])
        #expect(await live.handler.passwordSignIns.map(\.password) == ["correct horse"])
        try await live.stop()
    }

    /// A wrong password is said before any PIN is asked for.
    @Test func accountAddChecksThePasswordBeforeAskingForThePin() async throws {
        let live = try LiveServer()
        let socket = live.socketPath
        let (result, screen) = try await blocking { () -> (HeraldCtlTests.Outcome, String) in
            let terminal = try TerminalSession(["account", "add", "https://hs.example.org", "--user", "alice"], socket: socket)
            try terminal.expect("Password for alice: ")
            terminal.type("wrong horse")
            return (terminal.finish(), terminal.screen)
        }
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("wrong user name or password"), "\(result.stderr)")
        #expect(!screen.contains("PIN") && !result.stderr.contains("PIN"), "a PIN was asked for: \(screen.debugDescription)")
        #expect(await live.handler.passwordSignIns.map(\.password) == ["wrong horse"])
        #expect(await live.handler.completedSignIns.isEmpty)
        #expect(await live.handler.addCalls.isEmpty)
        try await live.stop()
    }

    /// A wrong current PIN is said before the new one is asked for.
    @Test func pinSetChecksTheCurrentPinBeforeAskingForTheNewOne() async throws {
        let live = try LiveServer()
        let socket = live.socketPath
        let (result, screen) = try await blocking { () -> (HeraldCtlTests.Outcome, String) in
            let terminal = try TerminalSession(["pin", "set", "alice"], socket: socket)
            try terminal.expect("Current PIN for alice: ")
            terminal.type("7391")
            return (terminal.finish(), terminal.screen)
        }
        #expect(result.status == 1, "\(result.stderr)")
        #expect(!screen.contains("New PIN"), "the new PIN was asked for: \(screen.debugDescription)")
        #expect(await live.handler.pinChecks.map(\.pin) == ["7391"])
        #expect(await live.handler.pinChanges.isEmpty)
        try await live.stop()
    }

    @Test func threeFailedTriesAreAUsageError() async throws {
        let live = try LiveServer()
        let socket = live.socketPath
        let result = try await blocking { () -> HeraldCtlTests.Outcome in
            let terminal = try TerminalSession(
                ["account", "add", "https://hs.example.org", "--user", "alice", "--password-stdin"], socket: socket)
            // With --password-stdin on a terminal, the password is the first line typed (echoed).
            terminal.type("correct horse")
            for (first, second) in [("4826", "4827"), ("2580", nil), ("7391", "7390")] {
                try terminal.expect("Choose a 4-digit PIN for @alice:example.org: ")
                terminal.type(first)
                if let second {
                    try terminal.expect("Repeat the PIN: ")
                    terminal.type(second)
                }
            }
            return terminal.finish()
        }
        #expect(result.status == 2)
        #expect(result.stderr.hasSuffix("heraldctl: no PIN chosen after 3 tries (the two PINs typed were different)\n"))
        #expect(await live.handler.addCalls.isEmpty)
        #expect(await live.handler.completedSignIns.isEmpty)
        try await live.stop()
    }

    @Test func unlockAndPinSetAskOnTheTerminal() async throws {
        let live = try LiveServer()
        let socket = live.socketPath
        let (unlock, unlockScreen) = try await blocking { () -> (HeraldCtlTests.Outcome, String) in
            let terminal = try TerminalSession(["unlock", "alice"], socket: socket)
            try terminal.expect("PIN for alice: ")
            terminal.type("4826")
            return (terminal.finish(), terminal.screen)
        }
        #expect(unlock.status == 0, "\(unlock.stderr)")
        #expect(unlock.stdout == "Unlocked @alice:example.org\n")
        #expect(!unlockScreen.contains("4826"))

        let (change, changeScreen) = try await blocking { () -> (HeraldCtlTests.Outcome, String) in
            let terminal = try TerminalSession(["pin", "set", "alice"], socket: socket)
            try terminal.expect("Current PIN for alice: ")
            terminal.type("4826")
            try terminal.expect("New PIN for alice: ")
            terminal.type("7391")
            try terminal.expect("Repeat the new PIN: ")
            terminal.type("7391")
            return (terminal.finish(), terminal.screen)
        }
        #expect(change.status == 0, "\(change.stderr)")
        #expect(change.stdout == "Changed the PIN of alice.\n")
        #expect(await live.handler.pinChecks.map(\.pin) == ["4826"], "the current PIN is checked before the new one is asked")
        #expect(!changeScreen.contains("4826") && !changeScreen.contains("7391"))
        #expect(await live.handler.pinChanges.map(\.newPin) == ["7391"])
        try await live.stop()
    }
}
