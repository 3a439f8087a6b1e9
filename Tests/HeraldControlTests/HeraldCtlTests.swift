import Foundation
import HeraldControl
import Testing

/// The heraldctl binary against a live server: output, --json documents and exit codes.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct HeraldCtlTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// heraldctl sits beside the test bundle in the build directory.
    static let executable: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("heraldctl").path
    }()

    func heraldctl(_ arguments: [String], socket: String, input: String? = nil) async throws -> Outcome {
        try await blocking {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["HERALD_SOCKET"] = socket
            process.environment = environment
            let stdout = Pipe()
            let stderr = Pipe()
            let stdin = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            process.standardInput = stdin
            try process.run()
            if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
            try stdin.fileHandleForWriting.close()
            let out = stdout.fileHandleForReading.readDataToEndOfFile()
            let err = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Outcome(
                status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                stderr: String(decoding: err, as: UTF8.self))
        }
    }

    func object(_ text: String) throws -> [String: JSONValue] {
        try #require(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)).objectValue)
    }

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable), "build heraldctl first: \(Self.executable)")
    }

    @Test func statusInTextAndJSON() async throws {
        let live = try LiveServer()
        let text = try await heraldctl(["status"], socket: live.socketPath)
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("heraldd 9.9.9 (pid 4242)\n"))
        #expect(text.stdout.contains("Notification server:  none running"))
        #expect(text.stdout.contains("Secrets:              key-file"))
        #expect(text.stdout.contains("@alice:example.org  syncing for "))
        let json = try await heraldctl(["status", "--json"], socket: live.socketPath)
        #expect(json.status == 0)
        let status = try JSONDecoder().decode(StatusReply.self, from: Data(json.stdout.utf8))
        #expect(status.accounts == [FakeHandler.alice])
        #expect(json.stdout.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 1)
        try await live.stop()
    }

    @Test func accountListAndAdd() async throws {
        let live = try LiveServer()
        let list = try await heraldctl(["account", "list", "--json"], socket: live.socketPath)
        #expect(list.status == 0)
        #expect(try object(list.stdout)["accounts"]
            == .array([try JSONValue(encoding: FakeHandler.alice), try JSONValue(encoding: FakeHandler.bob)]))

        let added = try await heraldctl(
            ["account", "add", "https://hs.example.org", "--user", "alice", "--password-stdin", "--pin-stdin"],
            socket: live.socketPath, input: "correct horse\n4826\nnext line\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout == "Signed in as @alice:example.org on https://hs.example.org (device ABCDEF)\n")

        let addedJSON = try await heraldctl(
            ["account", "add", "https://hs.example.org", "--user", "alice", "--password-stdin", "--pin-stdin", "--json"],
            socket: live.socketPath, input: "correct horse\r\n7391")
        #expect(addedJSON.status == 0)
        #expect(try object(addedJSON.stdout)["account"]?.objectValue?["deviceId"] == .string("ABCDEF"))
        #expect(!addedJSON.stdout.contains("7391") && !added.stdout.contains("4826"))
        // The password line, then the PIN line; a CRLF line end is not part of either.
        #expect(await live.handler.addCalls == [
            FakeHandler.AddCall(homeserver: "https://hs.example.org", user: "alice", password: "correct horse", pin: "4826"),
            FakeHandler.AddCall(homeserver: "https://hs.example.org", user: "alice", password: "correct horse", pin: "7391"),
        ])
        try await live.stop()
    }

    @Test func refusalExitsOneWithTheDaemonsMessage() async throws {
        let live = try LiveServer()
        let password = "wrong-\(UInt32.random(in: 0...UInt32.max))"
        let refused = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--password-stdin", "--pin-stdin"], socket: live.socketPath,
            input: password + "\n4826\n")
        #expect(refused.status == 1)
        #expect(refused.stderr == "heraldctl: wrong user name or password for @alice:example.org\n")
        #expect(!refused.stdout.contains(password) && !refused.stderr.contains(password))

        let json = try await heraldctl(["account", "remove", "bob", "--json"], socket: live.socketPath)
        #expect(json.status == 1)
        let document = try object(json.stdout)
        #expect(document["error"] == .string("org.herald.Control.AccountNotFound"))
        #expect(document["account"] == .string("bob"))
        #expect(document["message"] == .string("no account matches bob"))
        try await live.stop()
    }

    @Test func notificationsAndRemove() async throws {
        let live = try LiveServer()
        let off = try await heraldctl(["notifications", "off", "--json"], socket: live.socketPath)
        #expect(off.status == 0)
        #expect(off.stdout == "{}\n")
        let on = try await heraldctl(["notifications", "on", "alice"], socket: live.socketPath)
        #expect(on.status == 0)
        #expect(on.stdout == "Notifications for alice are now on.\n")
        let calls = await live.handler.notificationCalls
        #expect(calls.map(\.enabled) == [false, true])
        #expect(calls.map(\.account) == [nil, "alice"])
        let removed = try await heraldctl(["account", "remove", "alice"], socket: live.socketPath)
        #expect(removed.status == 0)
        #expect(await live.handler.removed == ["alice"])
        try await live.stop()
    }

    @Test func unreachableDaemonExitsThree() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.path + "/none.sock"
        let outcome = try await heraldctl(["account", "list"], socket: socket)
        #expect(outcome.status == 3)
        #expect(outcome.stderr.hasPrefix("heraldctl: cannot reach heraldd at \(socket): No such file or directory\n"))
        #expect(outcome.stderr.contains("systemctl --user start herald"))
        let json = try await heraldctl(["status", "--json", "--socket", socket], socket: "/elsewhere")
        #expect(json.status == 3)
        #expect(try object(json.stdout)["socket"] == .string(socket))
    }

    @Test(arguments: [
        ["account", "add"],
        ["account", "add", "https://hs"],
        ["notifications", "maybe"],
        ["frobnicate"],
        [],
        ["account"],
        ["status", "--bogus"],
        ["lock", "alice", "--all"],
        ["unlock"],
        ["pin"],
        ["pin", "set"],
        ["logout"],
        ["logout", "alice", "--all"],
        ["preview", "sometimes", "alice"],
        ["preview", "never"],
        ["preview"],
    ])
    func usageErrorsExitTwo(arguments: [String]) async throws {
        let outcome = try await heraldctl(arguments, socket: "/nonexistent/control.sock")
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(!outcome.stderr.isEmpty)
    }

    @Test func passwordWithoutTerminalOrFlagIsAUsageError() async throws {
        let outcome = try await heraldctl(
            ["account", "add", "https://hs", "--user", "alice", "--json"], socket: "/nonexistent/control.sock", input: "pw\n")
        #expect(outcome.status == 2)
        #expect(try object(outcome.stdout)["error"] == .string("org.herald.ctl.Usage"))
        #expect(outcome.stderr.contains("--password-stdin"))
    }

    @Test func helpExitsZeroWithExamples() async throws {
        for command in [
            ["--help"], ["account", "add", "--help"], ["notifications", "--help"], ["status", "--help"], ["lock", "--help"],
            ["unlock", "--help"], ["pin", "--help"], ["pin", "set", "--help"], ["logout", "--help"], ["preview", "--help"],
            ["account", "list", "--help"],
        ] {
            let outcome = try await heraldctl(command, socket: "/nonexistent/control.sock")
            #expect(outcome.status == 0)
            #expect(outcome.stdout.contains("Examples:"), "\(command)")
        }
    }
}
