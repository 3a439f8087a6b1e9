import Dispatch
import HeraldControl
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real server on a real socket, driven by `ControlClient` and by raw bytes.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ControlServerTests {
    @Test func statusRoundTripAndPrivateSocket() async throws {
        let live = try LiveServer()
        #expect(fileMode(live.socketPath) == 0o600)
        #expect(fileMode(live.directory.path + "/run/herald") == 0o700)
        #expect(fileMode(live.directory.path + "/run") == 0o700)
        let status = try await live.client { try $0.status() }
        #expect(status.version == "9.9.9")
        #expect(status.pid == 4242)
        #expect(status.notificationServer == nil)
        #expect(status.accounts == [FakeHandler.alice])
        let accounts = try await live.client { try $0.listAccounts() }
        #expect(accounts == [FakeHandler.alice, FakeHandler.bob])
        try await live.stop()
    }

    @Test func addAccountAndNamedErrors() async throws {
        let live = try LiveServer()
        let account = try await live.client {
            try $0.addAccount(homeserver: "https://hs.example.org", user: "alice", password: "correct horse", pin: "4826")
        }
        #expect(account.homeserver == "https://hs.example.org")
        #expect(account.deviceId == "ABCDEF")

        await #expect(throws: ControlError.authFailed(reason: "wrong user name or password for @alice:example.org")) {
            try await live.client { try $0.addAccount(homeserver: "https://hs", user: "alice", password: "nope", pin: "4826") }
        }
        await #expect(throws: ControlError.accountNotFound(account: "bob")) {
            try await live.client { try $0.removeAccount("bob") }
        }
        await #expect(throws: ControlError.accountAmbiguous(account: "a", matches: ["@alice:example.org", "@anna:example.org"])) {
            try await live.client { try $0.removeAccount("a") }
        }
        await #expect(throws: ControlError.internal(message: "database is locked")) {
            try await live.client { try $0.addAccount(homeserver: "https://hs", user: "boom", password: "x", pin: "4826") }
        }
        try await live.client { try $0.removeAccount("ali") }
        try await live.client { try $0.setNotifications(enabled: false, account: nil) }
        try await live.client { try $0.setNotifications(enabled: true, account: "alice") }
        #expect(await live.handler.removed == ["ali"])
        let calls = await live.handler.notificationCalls
        #expect(calls.map(\.enabled) == [false, true])
        #expect(calls.map(\.account) == [nil, "alice"])
        try await live.stop()
    }

    @Test func malformedMessagesGetErrorsAndTheConnectionGoesOn() async throws {
        let live = try LiveServer()
        let path = live.socketPath
        let replies = try await blocking { () -> [VarlinkReply?] in
            let raw = try RawConnection(path: path)
            var replies: [VarlinkReply?] = []
            for text in [
                "this is not json",
                #"{"parameters":{}}"#,
                #"{"method":"org.herald.Control.AddAccount","parameters":{"homeserver":"h","user":7,"password":"p"}}"#,
                #"{"method":"org.herald.Control.AddAccount","parameters":{"homeserver":"h","password":"p"}}"#,
                #"{"method":"org.herald.Control.Frobnicate"}"#,
                #"{"method":"com.example.Other.Method"}"#,
                #"{"method":"org.herald.Control.Status"}"#,
            ] {
                raw.send(text)
                replies.append(try raw.receive())
            }
            return replies
        }
        #expect(replies.count == 7)
        #expect(replies[0]?.error == "org.varlink.service.InvalidParameter")
        #expect(replies[1]?.parameters == ["parameter": .string("method")])
        #expect(replies[2]?.parameters == ["parameter": .string("user")])
        #expect(replies[3]?.parameters == ["parameter": .string("user")])
        #expect(replies[4]?.error == "org.varlink.service.MethodNotFound")
        #expect(replies[4]?.parameters == ["method": .string("org.herald.Control.Frobnicate")])
        #expect(replies[5]?.error == "org.varlink.service.InterfaceNotFound")
        #expect(replies[6]?.error == nil)
        #expect(replies[6]?.parameters["version"] == .string("9.9.9"))
        try await live.stop()
    }

    @Test func varlinkServiceIsAnswered() async throws {
        var configuration = ControlServer.Configuration()
        configuration.version = "1.2.3"
        let live = try LiveServer(configuration: configuration)
        let info = try await live.client { try $0.info() }
        #expect(info.vendor == "Herald")
        #expect(info.product == "heraldd")
        #expect(info.version == "1.2.3")
        #expect(info.interfaces == ["org.varlink.service", "org.herald.Control"])
        let description = try await live.client { try $0.interfaceDescription("org.herald.Control") }
        #expect(description == heraldControlInterfaceDescription)
        let service = try await live.client { try $0.interfaceDescription("org.varlink.service") }
        #expect(service.contains("method GetInfo()"))
        await #expect(throws: ControlError.interfaceNotFound(interface: "com.example.Nope")) {
            try await live.client { try $0.interfaceDescription("com.example.Nope") }
        }
        try await live.stop()
    }

    @Test func pipelinedRepliesKeepCallOrder() async throws {
        let live = try LiveServer()
        let path = live.socketPath
        let replies = try await blocking { () -> [VarlinkReply?] in
            let raw = try RawConnection(path: path)
            // The first call takes 300 ms, the second none: the second reply must still come second.
            raw.sendBytes(
                VarlinkCodec.encode(VarlinkCall(method: "org.herald.Control.AddAccount", parameters: [
                    "homeserver": .string("https://slow.example.org"), "user": .string("slow"), "password": .string("x"),
                    "pin": .string("4826"),
                ])) + VarlinkCodec.encode(VarlinkCall(method: "org.varlink.service.GetInfo"))
                    + VarlinkCodec.encode(VarlinkCall(method: "org.varlink.service.GetInfo", oneway: true))
                    + VarlinkCodec.encode(VarlinkCall(method: "org.herald.Control.ListAccounts")))
            return [try raw.receive(), try raw.receive(), try raw.receive()]
        }
        #expect(replies[0]?.parameters["account"] != nil)
        #expect(replies[1]?.parameters["vendor"] == .string("Herald"))
        #expect(replies[2]?.parameters["accounts"] != nil)  // the oneway call got no reply
        try await live.stop()
    }

    @Test func oversizeMessageClosesTheConnection() async throws {
        var configuration = ControlServer.Configuration()
        configuration.maximumMessageSize = 1024
        let live = try LiveServer(configuration: configuration)
        let path = live.socketPath
        let closed = try await blocking {
            let raw = try RawConnection(path: path)
            raw.send(String(repeating: " ", count: 2048), terminated: false)
            return raw.isClosedByServer()
        }
        #expect(closed)
        // The server itself is unharmed.
        #expect(try await live.client { try $0.status() }.pid == 4242)
        try await live.stop()
    }

    @Test func idleClientIsDroppedButAWaitingOneIsNot() async throws {
        var configuration = ControlServer.Configuration()
        configuration.idleTimeout = .milliseconds(200)
        let live = try LiveServer(configuration: configuration)
        let path = live.socketPath
        let closed = try await blocking {
            let raw = try RawConnection(path: path)
            raw.send(#"{"method":"org.herald"#, terminated: false)  // never finished
            return raw.isClosedByServer()
        }
        #expect(closed)
        // A call that takes longer than the idle timeout is still answered.
        let account = try await live.client {
            try $0.addAccount(homeserver: "https://slow", user: "slow", password: "x", pin: "4826")
        }
        #expect(account.id == "@alice:example.org")
        try await live.stop()
    }

    @Test func clientsBeyondTheLimitWaitWhileEveryOneIsBusy() async throws {
        var configuration = ControlServer.Configuration()
        configuration.maximumClients = 2
        configuration.crowdedIdleTimeout = .milliseconds(100)
        let live = try LiveServer(configuration: configuration)
        let path = live.socketPath
        let hang = #"{"method":"org.herald.Control.AddAccount","parameters":{"homeserver":"h","user":"hang","password":"x","pin":"4826"}}"#
        let results = try await blocking { () -> [Bool] in
            var first: RawConnection? = try RawConnection(path: path)
            let second = try RawConnection(path: path)
            first?.send(#"{"method":"org.varlink.service.GetInfo"}"#)
            let firstServed = try first?.receive() != nil
            first?.send(hang)  // both wait for heraldd: neither is idle
            second.send(hang)
            let third = try RawConnection(path: path, receiveTimeout: .milliseconds(500))
            third.send(#"{"method":"org.varlink.service.GetInfo"}"#)
            let thirdWaited = try third.receive() == nil  // not accepted while two are busy
            first = nil  // closing one frees a slot
            third.receiveTimeout = .seconds(30)
            let thirdServed = try third.receive()?.parameters["vendor"] == .string("Herald")
            return [firstServed, thirdWaited, thirdServed]
        }
        #expect(results == [true, true, true])
        try await live.stop()
    }

    /// Idle clients holding every slot must not keep `status` waiting for the full idle timeout.
    @Test func idleClientsMakeRoomForANewOne() async throws {
        var configuration = ControlServer.Configuration()
        configuration.maximumClients = 2
        configuration.idleTimeout = .seconds(30)
        configuration.crowdedIdleTimeout = .milliseconds(200)
        let live = try LiveServer(configuration: configuration)
        let path = live.socketPath
        let results = try await blocking { () -> [Bool] in
            let first = try RawConnection(path: path)
            let second = try RawConnection(path: path)
            // One after the other, so that the first is certainly the one idle longest.
            first.send(#"{"method":"org.varlink.service.GetInfo"}"#)
            let firstServed = try first.receive() != nil
            second.send(#"{"method":"org.varlink.service.GetInfo"}"#)
            let bothServed = try firstServed && second.receive() != nil
            let third = try RawConnection(path: path, receiveTimeout: .seconds(25))
            let asked = ContinuousClock.now
            third.send(#"{"method":"org.varlink.service.GetInfo"}"#)
            let thirdServed = try third.receive()?.parameters["vendor"] == .string("Herald")
            let quickly = ContinuousClock.now - asked < .seconds(25)  // the idle timeout is 30 s
            // The one idle longest made room; the other one is still served.
            let firstClosed = first.isClosedByServer()
            second.send(#"{"method":"org.varlink.service.GetInfo"}"#)
            let secondServed = try second.receive() != nil
            return [bothServed, thirdServed, quickly, firstClosed, secondServed]
        }
        #expect(results == [true, true, true, true, true])
        try await live.stop()
    }

    @Test func clientTimesOutOnAHangingCall() async throws {
        let live = try LiveServer()
        await #expect(throws: ControlClientError.timedOut(path: live.socketPath, after: .milliseconds(300))) {
            try await live.client(timeout: .milliseconds(300)) {
                try $0.addAccount(homeserver: "https://hang", user: "hang", password: "x", pin: "4826")
            }
        }
        try await live.stop()
    }

    @Test func clientReportsAMissingDaemon() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/control.sock"
        #expect(throws: ControlClientError.unreachable(path: path, reason: "No such file or directory")) {
            try ControlClient(path: path)
        }
    }

    @Test func shutdownRemovesTheSocketAndARestartReplacesAStaleOne() async throws {
        let live = try LiveServer()
        let path = live.socketPath
        // A second daemon on the same path must not steal the socket from a live one.
        #expect(throws: ControlServerError.self) {
            _ = try ControlServer(path: path, handler: FakeHandler(), logger: Logger(label: "test"))
        }
        live.server.shutdown()
        live.server.shutdown()  // idempotent
        // run() returns once the server is down.
        try await live.stop()
        #expect(!fileExists(path))

        // A stale socket file (bound, never listened) is replaced.
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let stale = directory.path + "/control.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(stale.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        #expect(bound == 0 && fileExists(stale))
        let server = try ControlServer(path: stale, handler: FakeHandler(), logger: Logger(label: "test"))
        let run = Task { try await server.run() }
        let status = try await blocking { try ControlClient(path: stale).status() }
        #expect(status.pid == 4242)
        server.shutdown()
        try await run.value
        #expect(!fileExists(stale))
    }

    @Test func refusesToReplaceAFileThatIsNotASocket() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/control.sock"
        close(open(path, O_CREAT | O_WRONLY, 0o600))
        #expect(throws: ControlServerError.self) {
            _ = try ControlServer(path: path, handler: FakeHandler(), logger: Logger(label: "test"))
        }
        #expect(fileExists(path))
    }

    @Test func tooOpenDirectoryIsMadePrivate() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        chmod(directory.path, 0o755)
        let server = try ControlServer(path: directory.path + "/c.sock", handler: FakeHandler(), logger: Logger(label: "test"))
        #expect(fileMode(directory.path) == 0o700)
        server.shutdown()
        try await server.run()  // returns at once: already shut down
        #expect(!fileExists(directory.path + "/c.sock"))
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to make a directory of another user"))
    func directoryOfAnotherUserIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        chown(directory.path, 65534, 65534)
        #expect(throws: ControlServerError.self) {
            _ = try ControlServer(path: directory.path + "/c.sock", handler: FakeHandler(), logger: Logger(label: "test"))
        }
    }

    @Test(.enabled(if: geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0 && access("/usr/bin/python3", X_OK) == 0,
        "needs root, setpriv and python3 to connect as another user"))
    func peerOfAnotherUserIsClosed() async throws {
        // An inherited listening socket in a world-reachable place, as only another uid's
        // connection can show the SO_PEERCRED check at work.
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        chmod(directory.path, 0o755)
        let path = directory.path + "/open.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        chmod(path, 0o777)
        listen(fd, 8)
        let capture = LogCapture()
        let server = try ControlServer(listeningDescriptor: fd, handler: FakeHandler(), logger: capture.logger)
        let run = Task { try await server.run() }

        let script = """
            import socket
            s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect('\(path)')
            try:
                s.sendall(b'{"method":"org.herald.Control.Status"}\\0')
                print('closed' if s.recv(65536) == b'' else 'answered')
            except (BrokenPipeError, ConnectionResetError):
                print('closed')
            """
        let output = try await blocking { () -> String in
            let scriptPath = directory.path + "/peer.py"
            let file = fopen(scriptPath, "w")!
            fputs(script, file)
            fclose(file)
            chmod(scriptPath, 0o644)
            let pipe = popen("/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 \(scriptPath) 2>&1", "r")!
            var result: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 256)
            while true {
                let count = fread(&buffer, 1, buffer.count, pipe)
                if count <= 0 { break }
                result += buffer[..<count]
            }
            pclose(pipe)
            return String(decoding: result, as: UTF8.self)
        }
        #expect(output.contains("closed"), "\(output)")
        #expect(capture.all.contains { $0.contains("another user refused") && $0.contains("65534") })
        // Our own uid is still served on the same socket.
        #expect(try await blocking { try ControlClient(path: path).status() }.pid == 4242)
        server.shutdown()
        try await run.value
        #expect(fileExists(path))  // an inherited socket file is not ours to remove
    }

    @Test func passwordsPinsAndRequestBodiesNeverReachTheLog() async throws {
        let capture = LogCapture()
        let live = try LiveServer(logger: capture.logger)
        // Not 4 digits, so that no number in a log line can match it by chance; the transport
        // passes any string on, and the fake handler refuses these with named errors.
        let secret = "hunter2-\(UInt32.random(in: 0...UInt32.max))"
        _ = try? await live.client { try $0.addAccount(homeserver: "https://hs", user: "alice", password: secret, pin: "4826") }
        _ = try? await live.client { try $0.addAccount(homeserver: "https://hs", user: "boom", password: secret, pin: secret) }
        _ = try? await live.client { try $0.addAccount(homeserver: "https://hs", user: "alice", password: "correct horse", pin: secret) }
        _ = try? await live.client { try $0.unlock("alice", pin: secret) }
        _ = try? await live.client { try $0.unlock("nobody", pin: secret) }
        _ = try? await live.client { try $0.setPin("alice", currentPin: secret, newPin: secret) }
        _ = try? await live.client { try $0.setPin("alice", currentPin: FakeHandler.pin, newPin: secret) }
        let path = live.socketPath
        _ = try await blocking { () -> VarlinkReply? in
            let raw = try RawConnection(path: path)
            raw.send(#"{"method":"org.herald.Control.AddAccount","parameters":{"password":"\#(secret)","user":1}}"#)
            raw.send(#"{"method":"org.herald.Control.AddAccount" "password":"\#(secret)"}"#)
            raw.send(#"{"method":"org.herald.Control.Unlock","parameters":{"pin":"\#(secret)","account":2}}"#)
            raw.send(#"{"method":"org.herald.Control.SetPin","parameters":{"account":"alice","currentPin":"\#(secret)"}}"#)
            raw.send(#"{"method":"org.herald.Control.Unlock","parameters":{"pin":"\#(secret)","account":"alice","x":1}}"#)
            return try raw.receive()
        }
        try await live.stop()
        #expect(capture.all.count >= 10, "the server logged next to nothing, so this test proves nothing")
        #expect(capture.all.allSatisfy { !$0.contains(secret) })
    }
}

extension ControlServerTests {
    @Test func aBusyConnectionIsReadAgainOnceItsCallsFinish() async throws {
        // With room for one call at a time, the server stops reading after each call and must
        // pick up the calls already buffered once the reply is out — including after end of input.
        var configuration = ControlServer.Configuration()
        configuration.maximumPendingCalls = 1
        let live = try LiveServer(configuration: configuration)
        let path = live.socketPath
        let slow = VarlinkCall(method: "org.herald.Control.AddAccount", parameters: [
            "homeserver": .string("https://slow"), "user": .string("slow"), "password": .string("x"),
            "pin": .string("4826"),
        ])
        let replies = try await blocking { () -> [VarlinkReply?] in
            let raw = try RawConnection(path: path)
            raw.sendBytes(
                VarlinkCodec.encode(VarlinkCall(method: "org.varlink.service.GetInfo", oneway: true))
                    + VarlinkCodec.encode(slow)
                    + VarlinkCodec.encode(VarlinkCall(method: "org.herald.Control.Status"))
                    + VarlinkCodec.encode(VarlinkCall(method: "org.varlink.service.GetInfo")))
            shutdown(raw.fd, Int32(SHUT_WR))  // done sending: the server must still answer everything
            return [try raw.receive(), try raw.receive(), try raw.receive(), try raw.receive()]
        }
        #expect(replies[0]?.parameters["account"] != nil)
        #expect(replies[1]?.parameters["pid"] == .int(4242))
        #expect(replies[2]?.parameters["vendor"] == .string("Herald"))
        #expect(replies[3] == nil)  // then the server closes the connection
        try await live.stop()
    }
}

extension ControlServerTests {
    @Test func lockUnlockPinLogoutAndPreviewRoundTrip() async throws {
        let live = try LiveServer()
        let alice = FakeHandler.alice.id, bob = FakeHandler.bob.id
        #expect(try await live.client { try $0.lock(nil) } == [alice, bob])
        #expect(try await live.client { try $0.lock("bob") } == [bob])
        await #expect(throws: ControlError.accountNotFound(account: "carol")) {
            try await live.client { try $0.lock("carol") }
        }
        #expect(await live.handler.lockCalls == [nil, "bob", "carol"])

        let unlocked = try await live.client { try $0.unlock("bob", pin: FakeHandler.pin) }
        #expect(unlocked.id == bob && !unlocked.locked && unlocked.preview == "never")
        await #expect(throws: ControlError.pinIncorrect(account: alice, attemptsLeft: 7, waitSeconds: 0)) {
            try await live.client { try $0.unlock("alice", pin: "9731") }
        }
        await #expect(throws: ControlError.pinIncorrect(account: alice, attemptsLeft: 5, waitSeconds: 60)) {
            try await live.client { try $0.unlock("alice", pin: "0001") }
        }
        await #expect(throws: ControlError.pinLockedOut(account: alice, seconds: 840)) {
            try await live.client { try $0.unlock("alice", pin: "0002") }
        }
        await #expect(throws: ControlError.accountSignedOut(account: alice, reason: "too many wrong PINs")) {
            try await live.client { try $0.unlock("alice", pin: "0003") }
        }
        #expect(await live.handler.unlockCalls.map(\.pin) == [FakeHandler.pin, "9731", "0001", "0002", "0003"])

        try await live.client { try $0.setPin("alice", currentPin: FakeHandler.pin, newPin: "7391") }
        await #expect(throws: ControlError.pinRejected(reason: PinRules.tooCommon)) {
            try await live.client { try $0.setPin("alice", currentPin: FakeHandler.pin, newPin: "1212") }
        }
        await #expect(throws: ControlError.pinIncorrect(account: alice, attemptsLeft: 9, waitSeconds: 0)) {
            try await live.client { try $0.setPin("alice", currentPin: "1357", newPin: "7391") }
        }
        let changes = await live.handler.pinChanges
        #expect(changes.map(\.account) == ["alice"] && changes.map(\.newPin) == ["7391"])

        #expect(try await live.client { try $0.logout(nil) } == LogoutReply(signedOut: [alice, bob], serverLogoutPending: [bob]))
        #expect(try await live.client { try $0.logout("ali") } == LogoutReply(signedOut: [alice], serverLogoutPending: []))
        #expect(await live.handler.logoutCalls == [nil, "ali"])

        try await live.client { try $0.setPreview("alice", preview: "always") }
        await #expect(throws: ControlError.invalidParameter(parameter: "preview")) {
            try await live.client { try $0.setPreview("alice", preview: "sometimes") }
        }
        #expect(await live.handler.previewCalls.map(\.preview) == ["always"])
        try await live.stop()
    }

    @Test func newMethodsDecodeTheirParametersStrictly() async throws {
        let live = try LiveServer()
        let path = live.socketPath
        let calls: [String] = [
            #"{"method":"org.herald.Control.Lock"}"#,
            #"{"method":"org.herald.Control.Lock","parameters":{"account":null}}"#,
            #"{"method":"org.herald.Control.Lock","parameters":{"account":1}}"#,
            #"{"method":"org.herald.Control.Lock","parameters":{"all":true}}"#,
            #"{"method":"org.herald.Control.Unlock","parameters":{"account":"alice"}}"#,
            #"{"method":"org.herald.Control.Unlock","parameters":{"account":"alice","pin":4826}}"#,
            #"{"method":"org.herald.Control.SetPin","parameters":{"account":"alice","currentPin":"4826"}}"#,
            #"{"method":"org.herald.Control.Logout","parameters":{"account":"alice","force":true}}"#,
            #"{"method":"org.herald.Control.SetPreview","parameters":{"account":"alice","preview":"sometimes"}}"#,
            #"{"method":"org.herald.Control.SetPreview","parameters":{"preview":"never"}}"#,
            #"{"method":"org.herald.Control.AddAccount","parameters":{"homeserver":"h","user":"u","password":"p"}}"#,
            #"{"method":"org.herald.Control.Logout","parameters":{}}"#,
        ]
        let replies = try await blocking { () -> [VarlinkReply?] in
            let raw = try RawConnection(path: path)
            return try calls.map { call in
                raw.send(call)
                return try raw.receive()
            }
        }
        let both: JSONValue = .array([.string(FakeHandler.alice.id), .string(FakeHandler.bob.id)])
        #expect(replies[0] == VarlinkReply(parameters: ["locked": both]))
        #expect(replies[1] == VarlinkReply(parameters: ["locked": both]))
        let invalid = replies[2...10].map { $0?.error == "org.varlink.service.InvalidParameter" ? $0?.parameters["parameter"]?.stringValue : $0?.error }
        #expect(invalid == ["account", "all", "pin", "pin", "newPin", "force", "preview", "account", "pin"])
        #expect(replies[11]?.parameters == ["signedOut": both, "serverLogoutPending": .array([.string(FakeHandler.bob.id)])])
        #expect(await live.handler.unlockCalls.isEmpty)
        #expect(await live.handler.previewCalls.isEmpty)
        #expect(await live.handler.addCalls.isEmpty)
        try await live.stop()
    }

    @Test func everyMethodIsDeclaredAndServed() async throws {
        let live = try LiveServer()
        let path = live.socketPath
        let methods = [
            "Status", "ListAccounts", "AddAccount", "RemoveAccount", "SetNotifications", "Lock", "Unlock", "SetPin",
            "Logout", "SetPreview", "CheckPin", "PasswordSignIn", "VerifyDevice", "CheckVerification",
        ]
        for method in methods {
            #expect(heraldControlInterfaceDescription.contains("\nmethod \(method)("), "\(method) missing from Interface.swift")
        }
        let replies = try await blocking { () -> [VarlinkReply?] in
            let raw = try RawConnection(path: path)
            return try methods.map { method in
                raw.send(#"{"method":"org.herald.Control.\#(method)","parameters":{"no such parameter":0}}"#)
                return try raw.receive()
            }
        }
        // Each method is known: its parameters are checked, not refused as MethodNotFound.
        for (method, reply) in zip(methods, replies) {
            #expect(reply?.error == "org.varlink.service.InvalidParameter", "\(method): \(String(describing: reply))")
        }
        try await live.stop()
    }

    @Test func accountsFromAnOlderDaemonGetDefaults() throws {
        let old: JSONValue = .object([
            "id": .string("@alice:example.org"), "homeserver": .string("https://hs"), "deviceId": .string("D"),
            "state": .string("syncing"), "since": .string("2026-01-02T03:04:05Z"), "notifications": .bool(true),
        ])
        let account = try old.decode(as: AccountInfo.self)
        #expect(!account.locked && account.preview == "unlocked" && account.reason == nil)
        let reply = VarlinkReply(parameters: ["accounts": .array([old])])
        #expect(try reply.decodeParameters(as: [String: [AccountInfo]].self)["accounts"] == [account])

        // The new members travel when present, and a nil reason is left out.
        let encoded = try JSONValue(encoding: FakeHandler.bob).objectValue
        #expect(encoded?["locked"] == .bool(true) && encoded?["preview"] == .string("never"))
        #expect(try JSONValue(encoding: FakeHandler.alice).objectValue?["reason"] == nil)
        #expect(try JSONValue(encoding: FakeHandler.bob).decode(as: AccountInfo.self) == FakeHandler.bob)
        // A mistyped new member is still an error, not a default.
        var wrong = old.objectValue!
        wrong["locked"] = .string("yes")
        #expect(throws: DecodingError.self) { try JSONValue.object(wrong).decode(as: AccountInfo.self) }
    }
}

extension ControlServerTests {
    @Test func verifyDeviceTakesExactlyOneSecretAndNeverLogsIt() async throws {
        let capture = LogCapture()
        let live = try LiveServer(logger: capture.logger)
        let byKey = try await live.client { try $0.verifyDevice("alice", recoveryKey: "good key", passphrase: nil) }
        #expect(byKey.backupVersion == "7")
        let byPassphrase = try await live.client { try $0.verifyDevice("alice", recoveryKey: nil, passphrase: "good passphrase") }
        #expect(byPassphrase.backupVersion == nil)
        let secret = "EsTb-\(UInt32.random(in: 0...UInt32.max))"
        await #expect(throws: ControlError.verificationFailed(reason: "that recovery key does not open this account's secret storage")) {
            try await live.client { try $0.verifyDevice("alice", recoveryKey: secret, passphrase: nil) }
        }
        await #expect(throws: ControlError.invalidParameter(parameter: "recoveryKey")) {
            try await live.client { try $0.verifyDevice("alice", recoveryKey: secret, passphrase: secret) }
        }
        await #expect(throws: ControlError.invalidParameter(parameter: "passphrase")) {
            try await live.client { try $0.verifyDevice("alice", recoveryKey: nil, passphrase: nil) }
        }
        await #expect(throws: ControlError.invalidParameter(parameter: "recoveryKey")) {
            try await live.client { try $0.verifyDevice("alice", recoveryKey: String(repeating: "k", count: 257), passphrase: nil) }
        }
        await #expect(throws: ControlError.invalidParameter(parameter: "passphrase")) {
            try await live.client { try $0.verifyDevice("alice", recoveryKey: nil, passphrase: "") }
        }
        await #expect(throws: ControlError.accountNotFound(account: "nobody")) {
            try await live.client { try $0.verifyDevice("nobody", recoveryKey: secret, passphrase: nil) }
        }
        try await live.stop()
        #expect(await live.handler.verifyCalls.map(\.secret) == ["good key", "good passphrase", secret])
        #expect(capture.all.count >= 5, "the server logged next to nothing, so this test proves nothing")
        #expect(capture.all.allSatisfy { !$0.contains(secret) })
    }
}
