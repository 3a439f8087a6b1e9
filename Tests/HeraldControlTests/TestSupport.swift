import Dispatch
import HeraldControl
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A handler with canned answers, recording what it was asked.
///
/// PINs: alice's is 4826. Unlocking with 0001 answers a wrong PIN with a wait, 0002 a
/// lockout, 0003 a signed-out account; any other wrong PIN is a wrong PIN without a wait.
actor FakeHandler: ControlHandler {
    static let alice = AccountInfo(
        id: "@alice:example.org", homeserver: "https://matrix.example.org", deviceId: "ABCDEF",
        state: "syncing", since: "2026-01-02T03:04:05Z", notifications: true, verification: "verified")
    /// A second account, locked, previews never shown, offline with libcurl's long message.
    static let bob = AccountInfo(
        id: "@bob:example.org", homeserver: "https://matrix.example.org", deviceId: "GHIJKL",
        state: "offline", since: "2026-01-02T03:04:05Z", reason: offlineReason, notifications: false,
        locked: true, preview: "never")
    static let offlineReason = "Couldn't connect to server: Failed to connect to matrix.example.org port 443 after 3 ms: Could not connect to server (curl error 7)"
    static let pin = "4826"

    struct Boom: Error, CustomStringConvertible {
        var description: String { "database is locked" }
    }

    struct AddCall: Sendable, Equatable {
        var homeserver, user, password, pin: String
    }

    private(set) var notificationCalls: [(enabled: Bool, account: String?)] = []
    private(set) var removed: [String] = []
    private(set) var addCalls: [AddCall] = []
    private(set) var lockCalls: [String?] = []
    private(set) var unlockCalls: [(account: String, pin: String)] = []
    private(set) var pinChanges: [(account: String, currentPin: String, newPin: String)] = []
    private(set) var logoutCalls: [String?] = []
    private(set) var previewCalls: [(account: String, preview: String)] = []
    private(set) var passwordSignIns: [(user: String, password: String)] = []
    private(set) var completedSignIns: [(session: String, pin: String)] = []
    private(set) var pinChecks: [(account: String, pin: String)] = []
    /// What VerifyDevice handed over: the recovery key or the passphrase.
    private(set) var verifyCalls: [(account: String, secret: String)] = []

    func status() async throws -> StatusReply {
        StatusReply(
            version: "9.9.9", pid: 4242, bus: "connected", notificationServer: nil, secrets: "key-file",
            notifications: true, accounts: [Self.alice])
    }

    func listAccounts() async throws -> [AccountInfo] { [Self.alice, Self.bob] }

    func addAccount(homeserver: String, user: String, password: String, pin: String) async throws -> AccountInfo {
        addCalls.append(AddCall(homeserver: homeserver, user: user, password: password, pin: pin))
        switch user {
        case "slow":
            try await Task.sleep(for: .milliseconds(300))
            return Self.alice
        case "hang":
            try await Task.sleep(for: .seconds(30))
            return Self.alice
        case "boom":
            throw Boom()
        case "strict":
            throw ControlError.pinRejected(reason: "heraldd wants another PIN")
        default:
            guard password == "correct horse" else {
                throw ControlError.authFailed(reason: "wrong user name or password for @\(user):example.org")
            }
            if let problem = PinRules.problem(with: pin) { throw ControlError.pinRejected(reason: problem) }
            var account = Self.alice
            account.homeserver = homeserver
            return account
        }
    }

    /// "alice" and "bob" and their prefixes; "a" is ambiguous.
    private func resolve(_ account: String) throws -> AccountInfo {
        if account == "a" {
            throw ControlError.accountAmbiguous(account: "a", matches: ["@alice:example.org", "@anna:example.org"])
        }
        for known in [Self.alice, Self.bob] where known.id.hasPrefix(account) || known.id.dropFirst().hasPrefix(account) {
            return known
        }
        throw ControlError.accountNotFound(account: account)
    }

    func removeAccount(_ account: String) async throws {
        guard try resolve(account) == Self.alice else { throw ControlError.accountNotFound(account: account) }
        removed.append(account)
    }

    func setNotifications(enabled: Bool, account: String?) async throws {
        notificationCalls.append((enabled, account))
    }

    func lock(_ account: String?) async throws -> [String] {
        lockCalls.append(account)
        guard let account else { return [Self.alice.id, Self.bob.id] }
        return [try resolve(account).id]
    }

    func unlock(_ account: String, pin: String) async throws -> AccountInfo {
        unlockCalls.append((account, pin))
        var found = try resolve(account)
        switch pin {
        case Self.pin:
            found.locked = false
            return found
        case "0001": throw ControlError.pinIncorrect(account: found.id, attemptsLeft: 5, waitSeconds: 60)
        case "0002": throw ControlError.pinLockedOut(account: found.id, seconds: 840)
        case "0003": throw ControlError.accountSignedOut(account: found.id, reason: "too many wrong PINs")
        default: throw ControlError.pinIncorrect(account: found.id, attemptsLeft: 7, waitSeconds: 0)
        }
    }

    func setPin(_ account: String, currentPin: String, newPin: String) async throws {
        let found = try resolve(account)
        guard currentPin == Self.pin else {
            throw ControlError.pinIncorrect(account: found.id, attemptsLeft: 9, waitSeconds: 0)
        }
        if let problem = PinRules.problem(with: newPin) { throw ControlError.pinRejected(reason: problem) }
        pinChanges.append((account, currentPin, newPin))
    }

    func logout(_ account: String?) async throws -> LogoutReply {
        logoutCalls.append(account)
        guard let account else { return LogoutReply(signedOut: [Self.alice.id, Self.bob.id], serverLogoutPending: [Self.bob.id]) }
        return LogoutReply(signedOut: [try resolve(account).id], serverLogoutPending: [])
    }

    func setPreview(_ account: String, preview: String) async throws {
        _ = try resolve(account)
        previewCalls.append((account, preview))
    }

    /// Sign-in sessions: passwords only; the session names the homeserver.
    func beginSignIn(homeserver: String) async throws -> BeginSignInReply {
        BeginSignInReply(session: "session " + homeserver, homeserver: homeserver, password: true, sso: false, providers: [],
                         flows: ["m.login.password"])
    }

    func passwordSignIn(session: String, user: String, password: String) async throws -> String {
        passwordSignIns.append((user, password))
        guard password == "correct horse" else {
            throw ControlError.authFailed(reason: "wrong user name or password for @\(user):example.org")
        }
        return "@\(user):example.org"
    }

    func completeSignIn(session: String, pin: String) async throws -> AccountInfo {
        if let problem = PinRules.problem(with: pin) { throw ControlError.pinRejected(reason: problem) }
        completedSignIns.append((session, pin))
        var account = Self.alice
        account.homeserver = String(session.dropFirst("session ".count))
        return account
    }

    /// The recovery key "good key" (or the passphrase "good passphrase") verifies; anything else
    /// is refused as the daemon refuses a wrong key.
    func verifyDevice(_ account: String, recoveryKey: inout [UInt8]?, passphrase: inout [UInt8]?) async throws -> VerifyDeviceReply {
        _ = try resolve(account)
        let secret = String(decoding: recoveryKey ?? passphrase ?? [], as: UTF8.self)
        verifyCalls.append((account, secret))
        guard secret.hasPrefix("good ") else {
            throw ControlError.verificationFailed(reason: "that recovery key does not open this account's secret storage")
        }
        return VerifyDeviceReply(backupVersion: recoveryKey == nil ? nil : "7")
    }

    func checkPin(_ account: String, pin: String) async throws {
        pinChecks.append((account, pin))
        let found = try resolve(account)
        guard pin == Self.pin else { throw ControlError.pinIncorrect(account: found.id, attemptsLeft: 9, waitSeconds: 0) }
    }
}

/// Collects every log line, to check what never appears in them.
final class LogCapture: @unchecked Sendable {
    private let lock = DispatchQueue(label: "log-capture")
    private var lines: [String] = []

    func append(_ line: String) { lock.sync { lines.append(line) } }
    var all: [String] { lock.sync { lines } }

    var logger: Logger {
        Logger(label: "test") { _ in CapturingLogHandler(capture: self) }
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(merged)")
    }
}

/// A fresh private directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/herald-control-test-XXXXXX".utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(result != nil, "mkdtemp failed")
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func remove() {
        _ = system("rm -rf '\(path)'")
    }
}

/// A running server on a socket in a temporary directory, for one test.
struct LiveServer {
    let directory: TemporaryDirectory
    let socketPath: String
    let server: ControlServer
    let handler: FakeHandler
    private let runTask: Task<Void, any Error>

    init(
        configuration: ControlServer.Configuration = ControlServer.Configuration(),
        logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    ) throws {
        directory = TemporaryDirectory()
        socketPath = directory.path + "/run/herald/control.sock"
        handler = FakeHandler()
        server = try ControlServer(path: socketPath, handler: handler, logger: logger, configuration: configuration)
        runTask = Task { [server] in try await server.run() }
    }

    func stop() async throws {
        server.shutdown()
        try await runTask.value
        directory.remove()
    }

    /// Runs blocking client code off Swift's cooperative pool, so it cannot starve the server's tasks.
    func client<T: Sendable>(
        timeout: Duration = .seconds(10), _ body: @escaping @Sendable (ControlClient) throws -> T
    ) async throws -> T {
        let path = socketPath
        return try await blocking {
            let client = try ControlClient(path: path, timeout: timeout)
            return try body(client)
        }
    }
}

/// Runs blocking code on a Dispatch thread, off Swift's cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// A bare socket connection that sends arbitrary bytes, for what ControlClient cannot send.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// How long `receive` waits before giving up: an upper bound for a loaded machine, not a
    /// latency claim.
    var receiveTimeout: Duration = .seconds(30) {
        didSet { applyReceiveTimeout() }
    }

    private func applyReceiveTimeout() {
        let (seconds, attoseconds) = receiveTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    init(path: String, receiveTimeout: Duration = .seconds(30)) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw SystemCallError(call: "connect", errno: errno) }
        self.receiveTimeout = receiveTimeout
        applyReceiveTimeout()  // didSet does not run inside init
    }

    deinit { close(fd) }

    func send(_ text: String, terminated: Bool = true) {
        var bytes = Array(text.utf8)
        if terminated { bytes.append(0) }
        sendBytes(bytes)
    }

    func sendBytes(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private var decoder = VarlinkFrameDecoder(maximumMessageSize: 1 << 20)

    /// The next reply, or nil when the server closed the connection or `receiveTimeout` passed.
    func receive() throws -> VarlinkReply? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let message = try decoder.nextMessage() { return try VarlinkCodec.decodeReply(message) }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            // A signal (a test's child process ending) interrupts the read: that is no answer.
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            decoder.append(buffer[..<count])
        }
    }

    /// Whether the server has closed this connection (read returns end of file).
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            return count == 0
        }
    }
}

func fileMode(_ path: String) -> mode_t {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o7777
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}
