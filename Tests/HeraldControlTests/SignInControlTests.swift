import Dispatch
import HeraldControl
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The browser sign-in additions to `org.herald.Control`: declared, routed, errors on the wire,
/// and a client that hangs up cancels the call it was waiting for.
struct SignInControlTests {
    static let errors: [ControlError] = [
        .signInTimedOut(seconds: 300),
        .sessionNotFound,
        .ssoNotOffered(offered: ["m.login.password", "m.login.application_service"]),
    ]

    @Test(arguments: errors)
    func errorSurvivesTheWire(error: ControlError) throws {
        let bytes = VarlinkCodec.encode(VarlinkReply(error: error))
        let reply = try VarlinkCodec.decodeReply(Array(bytes.dropLast()))
        #expect(reply.error == error.varlinkName)
        #expect(ControlError(varlinkName: reply.error!, parameters: reply.parameters) == error)
        #expect(heraldControlInterfaceDescription.contains("\nerror \(error.varlinkName.split(separator: ".").last!) ("))
    }

    @Test func messagesNameWhatTheServerOffers() {
        #expect(ControlError.ssoNotOffered(offered: ["m.login.password"]).message.contains("it offers: m.login.password"))
        #expect(ControlError.signInTimedOut(seconds: 3).message.contains("within 3 s"))
    }

    @Test func methodsAreDeclaredAndRouted() async throws {
        let live = try LiveServer()
        let methods = ["BeginSignIn", "StartSso", "FinishSso", "CompleteSignIn"]
        for method in methods {
            #expect(heraldControlInterfaceDescription.contains("\nmethod \(method)("), "\(method) missing from Interface.swift")
        }
        #expect(heraldControlInterfaceDescription.contains("\ntype IdentityProvider ("))
        let path = live.socketPath
        let replies = try await blocking { () -> [VarlinkReply?] in
            let raw = try RawConnection(path: path)
            return try methods.map { method in
                raw.send(#"{"method":"org.herald.Control.\#(method)","parameters":{"no such parameter":0}}"#)
                return try raw.receive()
            }
        }
        for (method, reply) in zip(methods, replies) {
            #expect(reply?.error == "org.varlink.service.InvalidParameter", "\(method): \(String(describing: reply))")
        }
        try await live.stop()
    }

    @Test func hangingUpCancelsTheWait() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/control.sock"
        let handler = WaitingHandler()
        let server = try ControlServer(path: path, handler: handler, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                       configuration: ControlServer.Configuration())
        let run = Task { try await server.run() }
        // Connect, call and hang up without blocking: nothing here waits.
        let raw = try RawConnection(path: path)
        raw.send(#"{"method":"org.herald.Control.FinishSso","parameters":{"session":"s","timeoutSeconds":300}}"#)
        try await Task.sleep(for: .milliseconds(200))
        // Tests running alongside fork children that may inherit this descriptor: hang up
        // explicitly rather than count on the close being the last one.
        shutdown(raw.fd, Int32(SHUT_RDWR))
        var cancelled = false
        for _ in 0..<200 where !cancelled {
            try await Task.sleep(for: .milliseconds(100))
            cancelled = await handler.flag.cancelled
        }
        #expect(cancelled, "the handler's wait was not cancelled when the client hung up")
        server.shutdown()
        try await run.value
    }
}

actor Flag {
    var cancelled = false
    func set() { cancelled = true }
}

struct WaitingHandler: ControlHandler {
    let flag = Flag()
    func status() async throws -> StatusReply { throw ControlError.internal(message: "unused") }
    func listAccounts() async throws -> [AccountInfo] { [] }
    func addAccount(homeserver: String, user: String, password: String, pin: String) async throws -> AccountInfo {
        throw ControlError.internal(message: "unused")
    }
    func removeAccount(_ account: String) async throws {}
    func setNotifications(enabled: Bool, account: String?) async throws {}
    func lock(_ account: String?) async throws -> [String] { [] }
    func unlock(_ account: String, pin: String) async throws -> AccountInfo { throw ControlError.internal(message: "unused") }
    func setPin(_ account: String, currentPin: String, newPin: String) async throws {}
    func logout(_ account: String?) async throws -> LogoutReply { LogoutReply(signedOut: [], serverLogoutPending: []) }
    func setPreview(_ account: String, preview: String) async throws {}
    func finishSso(session: String, timeoutSeconds: Int) async throws -> String {
        do {
            try await Task.sleep(for: .seconds(timeoutSeconds))
        } catch {
            await flag.set()
            throw error
        }
        return "@never:x"
    }
}
