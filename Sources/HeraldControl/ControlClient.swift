#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A blocking client of the control socket, for `heraldctl` and tests: one connection, one
/// call at a time. Methods throw `ControlError` when the daemon refuses a call and
/// `ControlClientError` when it cannot be reached or answers nonsense.
public final class ControlClient {
    public let path: String
    /// How long one call may wait for its reply. `AddAccount` can take a minute: the daemon
    /// discovers the homeserver, signs in and does a first sync.
    public var timeout: Duration
    private var fd: Int32
    private var decoder = VarlinkFrameDecoder(maximumMessageSize: 16 * 1024 * 1024)

    /// Connects to the daemon's socket.
    public init(path: String, timeout: Duration = .seconds(90)) throws(ControlClientError) {
        self.path = path
        self.timeout = timeout
        do {
            fd = try UnixSocket.makeStreamSocket()
        } catch {
            throw .unreachable(path: path, reason: error.reason)
        }
        let connected: Void?
        do {
            connected = try UnixSocket.withAddress(path) { address, length throws(SystemCallError) in
                try UnixSocket.check("connect") { connect(fd, address, length) }
                try UnixSocket.setNonBlocking(fd)
            }
        } catch {
            UnixSocket.closeDescriptor(fd)
            throw .unreachable(path: path, reason: error.reason)
        }
        guard connected != nil else {
            UnixSocket.closeDescriptor(fd)
            throw .unreachable(path: path, reason: "the socket path is too long")
        }
    }

    deinit {
        UnixSocket.closeDescriptor(fd)
    }

    // MARK: org.herald.Control

    public func status() throws -> StatusReply {
        try call("org.herald.Control.Status", EmptyParameters(), as: StatusReply.self)
    }

    public func listAccounts() throws -> [AccountInfo] {
        try call("org.herald.Control.ListAccounts", EmptyParameters(), as: AccountsReply.self).accounts
    }

    /// Signs in with a password and gives the account its PIN; the account starts unlocked.
    public func addAccount(homeserver: String, user: String, password: String, pin: String) throws -> AccountInfo {
        let parameters = AddAccountParameters(homeserver: homeserver, user: user, password: password, pin: pin)
        return try call("org.herald.Control.AddAccount", parameters, as: AccountReply.self).account
    }

    public func removeAccount(_ account: String) throws {
        _ = try call("org.herald.Control.RemoveAccount", AccountParameter(account: account), as: EmptyParameters.self)
    }

    public func setNotifications(enabled: Bool, account: String?) throws {
        let parameters = SetNotificationsParameters(enabled: enabled, account: account)
        _ = try call("org.herald.Control.SetNotifications", parameters, as: EmptyParameters.self)
    }

    /// Locks one account, or every account when `account` is nil; returns the IDs locked.
    public func lock(_ account: String?) throws -> [String] {
        try call("org.herald.Control.Lock", OptionalAccountParameter(account: account), as: LockReply.self).locked
    }

    public func unlock(_ account: String, pin: String) throws -> AccountInfo {
        try call("org.herald.Control.Unlock", UnlockParameters(account: account, pin: pin), as: AccountReply.self).account
    }

    public func setPin(_ account: String, currentPin: String, newPin: String) throws {
        let parameters = SetPinParameters(account: account, currentPin: currentPin, newPin: newPin)
        _ = try call("org.herald.Control.SetPin", parameters, as: EmptyParameters.self)
    }

    /// Checks the PIN (it counts as an attempt), changing nothing: before asking for a new one.
    public func checkPin(_ account: String, pin: String) throws {
        _ = try call("org.herald.Control.CheckPin", CheckPinParameters(account: account, pin: pin), as: EmptyParameters.self)
    }

    /// Signs one account, or every account when `account` is nil, out and wipes it here.
    public func logout(_ account: String?) throws -> LogoutReply {
        try call("org.herald.Control.Logout", OptionalAccountParameter(account: account), as: LogoutReply.self)
    }

    /// `preview` is `always`, `unlocked` or `never`.
    public func setPreview(_ account: String, preview: String) throws {
        let parameters = SetPreviewParameters(account: account, preview: preview)
        _ = try call("org.herald.Control.SetPreview", parameters, as: EmptyParameters.self)
    }

    /// Browser sign-in, step 1: what the homeserver offers.
    public func beginSignIn(homeserver: String) throws -> BeginSignInReply {
        try call("org.herald.Control.BeginSignIn", BeginSignInParameters(homeserver: homeserver), as: BeginSignInReply.self)
    }

    /// Step 2: the address to open in the browser.
    public func startSso(session: String, idp: String?) throws -> String {
        try call("org.herald.Control.StartSso", StartSsoParameters(session: session, idp: idp), as: StartSsoReply.self).url
    }

    /// Step 3: waits for the browser to come back; returns the user ID. Set `timeout` above
    /// `timeoutSeconds`.
    public func finishSso(session: String, timeoutSeconds: Int) throws -> String {
        try call("org.herald.Control.FinishSso", FinishSsoParameters(session: session, timeoutSeconds: timeoutSeconds),
                 as: FinishSsoReply.self).user
    }

    /// Step 3 with a password instead of the browser: signs in; returns the user ID.
    public func passwordSignIn(session: String, user: String, password: String) throws -> String {
        try call("org.herald.Control.PasswordSignIn", PasswordSignInParameters(session: session, user: user, password: password),
                 as: FinishSsoReply.self).user
    }

    /// Step 4: the PIN; the account is added and starts unlocked.
    public func completeSignIn(session: String, pin: String) throws -> AccountInfo {
        try call("org.herald.Control.CompleteSignIn", CompleteSignInParameters(session: session, pin: pin),
                 as: AccountReply.self).account
    }

    /// Verifies the account's device with its recovery key (as typed) or its passphrase.
    public func verifyDevice(_ account: String, recoveryKey: String?, passphrase: String?) throws -> VerifyDeviceReply {
        let parameters = VerifyDeviceParameters(account: account, recoveryKey: recoveryKey, passphrase: passphrase)
        return try call("org.herald.Control.VerifyDevice", parameters, as: VerifyDeviceReply.self)
    }

    /// Whether the account has cross-signing, and whether Herald's device is verified by it.
    public func checkVerification(_ account: String) throws -> CheckVerificationReply {
        try call("org.herald.Control.CheckVerification", AccountParameter(account: account), as: CheckVerificationReply.self)
    }

    // MARK: org.varlink.service

    public func info() throws -> VarlinkServiceInfo {
        try call("org.varlink.service.GetInfo", EmptyParameters(), as: VarlinkServiceInfo.self)
    }

    public func interfaceDescription(_ interface: String) throws -> String {
        try call("org.varlink.service.GetInterfaceDescription", InterfaceParameter(interface: interface),
            as: DescriptionReply.self).description
    }

    // MARK: Calls

    /// Calls `method` with `parameters` encoded as an object and decodes the reply as `R`.
    public func call<R: Decodable>(_ method: String, _ parameters: some Encodable, as type: R.Type) throws -> R {
        guard case .object(let members) = try JSONValue(encoding: parameters) else {
            throw ControlClientError.invalidReply("parameters must encode as an object")
        }
        let reply = try call(VarlinkCall(method: method, parameters: members))
        do {
            return try reply.decodeParameters(as: R.self)
        } catch let error as VarlinkMessageError {
            throw ControlClientError.invalidReply("\(error)")
        }
    }

    /// Sends one call and returns its reply, error replies included (not thrown).
    public func call(_ call: VarlinkCall) throws(ControlClientError) -> VarlinkReply {
        let deadline = ContinuousClock.now + timeout
        try send(VarlinkCodec.encode(call), before: deadline)
        let message = try receive(before: deadline)
        do {
            return try VarlinkCodec.decodeReply(message)
        } catch {
            throw .invalidReply("\(error)")
        }
    }

    private func send(_ bytes: [UInt8], before deadline: ContinuousClock.Instant) throws(ControlClientError) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Result { () throws(SystemCallError) -> Int in
                    try UnixSocket.sendSome(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                }
            }
            let sent: Int
            switch result {
            case .success(let count):
                sent = count
            case .failure(let error):
                throw error.errno == EPIPE || error.errno == ECONNRESET
                    ? .disconnected(path: path) : .unreachable(path: path, reason: error.reason)
            }
            if sent == 0 { try wait(for: Int16(POLLOUT), before: deadline) }
            offset += sent
        }
    }

    private func receive(before deadline: ContinuousClock.Instant) throws(ControlClientError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                if let message = try decoder.nextMessage() { return message }
            } catch {
                throw .invalidReply("\(error)")
            }
            try wait(for: Int16(POLLIN), before: deadline)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                decoder.append(buffer[..<count])
            } else if count == 0 {
                throw .disconnected(path: path)
            } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                throw errno == ECONNRESET
                    ? .disconnected(path: path)
                    : .unreachable(path: path, reason: SystemCallError(call: "read", errno: errno).reason)
            }
        }
    }

    private func wait(for events: Int16, before deadline: ContinuousClock.Instant) throws(ControlClientError) {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timedOut(path: path, after: timeout) }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var poller = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }  // readable, writable, or hung up: the next read or send tells
            if ready < 0 && errno != EINTR {
                throw .unreachable(path: path, reason: SystemCallError(call: "poll", errno: errno).reason)
            }
        }
    }
}

/// Why a call did not get an answer from the daemon.
public enum ControlClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing listens at `path` (no such file, connection refused, no permission).
    case unreachable(path: String, reason: String)
    /// The daemon closed the connection before replying (it stopped, crashed, or refused this user).
    case disconnected(path: String)
    case timedOut(path: String, after: Duration)
    /// The daemon answered something that is not a valid reply.
    case invalidReply(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach heraldd at \(path): \(reason)"
        case .disconnected(let path): "cannot reach heraldd at \(path): the connection was closed"
        case .timedOut(let path, let timeout): "cannot reach heraldd at \(path): no reply within \(timeout.components.seconds) s"
        case .invalidReply(let why): "heraldd sent an invalid reply: \(why)"
        }
    }
}
