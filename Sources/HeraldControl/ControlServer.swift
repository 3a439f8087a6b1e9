import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Serves `org.herald.Control` (and `org.varlink.service`) on a Unix stream socket.
///
/// All socket work happens on one serial Dispatch queue, driven by Dispatch sources: no thread
/// per client and nothing blocking on Swift's cooperative pool. Each call is answered by a
/// `Task` that awaits the `ControlHandler`; replies go back in call order per connection.
///
/// Only processes of the daemon's own uid are served (SO_PEERCRED). A client that sends more
/// than `maximumMessageSize` bytes without a message end, or stays idle for `idleTimeout`, is
/// dropped; a malformed message gets an error reply and the connection goes on. While every
/// slot is taken and a new client waits, the connection idle longest makes room once it has been
/// idle for `crowdedIdleTimeout`, so idle clients cannot keep `status` waiting.
public final class ControlServer: @unchecked Sendable {
    // @unchecked: every mutable member below is touched only on `queue`.

    public struct Configuration: Sendable {
        public var maximumClients = 32
        /// How long a connection may go without a complete message while no call of it is in flight.
        public var idleTimeout: Duration = .seconds(30)
        /// How long a connection may stay idle while all `maximumClients` slots are taken and
        /// another client waits; also how often that is checked.
        public var crowdedIdleTimeout: Duration = .seconds(1)
        public var maximumMessageSize = VarlinkFrameDecoder.defaultMaximumMessageSize
        /// Calls of one connection in flight at once; past it the server stops reading from it.
        public var maximumPendingCalls = 16
        /// Answered by `org.varlink.service.GetInfo`.
        public var version = heraldVersion
        public var url = ""

        public init() {}
    }

    /// The socket file this server created and will unlink, or nil for an inherited socket.
    public let path: String?
    private let listener: Int32
    private let socketFile: FileIdentity?
    private let dispatcher: ControlDispatcher
    private let configuration: Configuration
    private let logger: Logger
    private let queue = DispatchQueue(label: "org.herald.control")

    private enum State {
        case idle
        case running(CheckedContinuation<Void, Never>)
        case shutDown
    }

    private var state = State.idle
    private var acceptSource: (any DispatchSourceRead)?
    /// Accepting pauses while `maximumClients` are connected (new ones wait in the listen
    /// backlog), and for a moment when the process runs out of descriptors.
    private var isAcceptSuspended = false
    /// At most one warning a minute about the client limit.
    private var lastLimitWarning: ContinuousClock.Instant?
    /// A check for an idle connection to drop is due while every slot is taken.
    private var isRoomCheckScheduled = false
    private var listenerClosed = false
    private var connections: [Int: ControlConnection] = [:]
    private var nextConnectionID = 1

    /// Creates the socket's directory (0700) if needed, replaces a stale socket file, binds and
    /// listens, the socket file made 0600. Throws `ControlServerError` if another process
    /// already listens there or the directory belongs to another user.
    public convenience init(
        path: String, handler: any ControlHandler, logger: Logger, configuration: Configuration = Configuration()
    ) throws {
        guard Array(path.utf8).count <= UnixSocket.maximumPathLength else { throw ControlServerError.pathTooLong(path) }
        try SocketFile.prepareDirectory(for: path, logger: logger)
        try SocketFile.removeStale(at: path, logger: logger)
        let fd = try UnixSocket.makeStreamSocket()
        let identity: FileIdentity
        do {
            _ = try UnixSocket.withAddress(path) { address, length throws(SystemCallError) in
                try UnixSocket.check("bind") { bind(fd, address, length) }
            }
            try UnixSocket.check("chmod") { chmod(path, 0o600) }
            try UnixSocket.check("listen") { listen(fd, SOMAXCONN) }
            try UnixSocket.setNonBlocking(fd)
            identity = try FileIdentity(path: path)
        } catch {
            UnixSocket.closeDescriptor(fd)
            throw ControlServerError.socket(path: path, error)
        }
        self.init(listener: fd, path: path, socketFile: identity, handler: handler, logger: logger, configuration: configuration)
    }

    /// Serves on a socket that is already listening, e.g. passed by systemd socket activation
    /// (`LISTEN_FDS`, first descriptor 3). The server owns the descriptor from now on, and
    /// leaves the socket file, which systemd owns, in place.
    public convenience init(
        listeningDescriptor: Int32, handler: any ControlHandler, logger: Logger,
        configuration: Configuration = Configuration()
    ) throws {
        try UnixSocket.setNonBlocking(listeningDescriptor)
        try UnixSocket.setCloseOnExec(listeningDescriptor)
        self.init(
            listener: listeningDescriptor, path: nil, socketFile: nil, handler: handler, logger: logger,
            configuration: configuration)
    }

    private init(
        listener: Int32, path: String?, socketFile: FileIdentity?, handler: any ControlHandler, logger: Logger,
        configuration: Configuration
    ) {
        self.listener = listener
        self.path = path
        self.socketFile = socketFile
        self.logger = logger
        self.configuration = configuration
        let info = VarlinkServiceInfo(
            vendor: "Herald", product: "heraldd", version: configuration.version, url: configuration.url,
            interfaces: [ControlDispatcher.serviceInterface, heraldControlInterfaceName])
        self.dispatcher = ControlDispatcher(handler: handler, info: info, logger: logger)
    }

    deinit {
        // Reached only if `run()` never started (a running accept source retains the server).
        if !listenerClosed && acceptSource == nil {
            UnixSocket.closeDescriptor(listener)
            removeSocketFile()
        }
    }

    /// Accepts and serves clients until `shutdown()` is called or the task is cancelled.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                queue.async {
                    guard case .idle = self.state else {
                        continuation.resume()
                        return
                    }
                    self.state = .running(continuation)
                    self.startAccepting()
                }
            }
        } onCancel: {
            self.shutdown()
        }
    }

    /// Stops accepting, closes every client and the listener, and removes the socket file this
    /// server created. Idempotent; `run()` returns once it is done.
    public func shutdown() {
        queue.async { self.shutDownOnQueue() }
    }

    private func shutDownOnQueue() {
        let continuation: CheckedContinuation<Void, Never>?
        switch state {
        case .shutDown: return
        case .idle: continuation = nil
        case .running(let running): continuation = running
        }
        state = .shutDown
        if let acceptSource {
            acceptSource.cancel()  // its cancel handler closes the listener
            resumeAccepting()  // a suspended source never runs its cancel handler
        } else if !listenerClosed {
            listenerClosed = true
            UnixSocket.closeDescriptor(listener)
        }
        for connection in connections.values { connection.close(reason: "server shutting down") }
        connections.removeAll()
        removeSocketFile()
        logger.debug("control socket closed")
        continuation?.resume()
    }

    private func removeSocketFile() {
        // Unlink only the very file we bound: a newer daemon may have replaced it since.
        guard let path, let socketFile, (try? FileIdentity(path: path)) == socketFile else { return }
        _ = unlink(path)
    }

    // MARK: Accepting

    private func startAccepting() {
        let source = DispatchSource.makeReadSource(fileDescriptor: listener, queue: queue)
        source.setEventHandler { [unowned self] in self.acceptPending() }
        source.setCancelHandler { [self] in
            listenerClosed = true
            UnixSocket.closeDescriptor(listener)
        }
        acceptSource = source
        source.resume()
        logger.info("control socket listening", metadata: ["path": "\(path ?? "(inherited)")"])
    }

    private func acceptPending() {
        while case .running = state {
            guard connections.count < configuration.maximumClients else {
                let now = ContinuousClock.now
                if lastLimitWarning.map({ now - $0 > .seconds(60) }) ?? true {
                    lastLimitWarning = now
                    logger.warning(
                        "control clients at their limit: new ones wait",
                        metadata: ["limit": "\(configuration.maximumClients)"])
                }
                suspendAccepting()
                makeRoom()
                return
            }
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EAGAIN, EWOULDBLOCK: return
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: pause accepting for a moment instead of spinning.
                    logger.error("cannot accept control client", metadata: ["error": "\(SystemCallError(call: "accept", errno: errno))"])
                    suspendAccepting()
                    queue.asyncAfter(deadline: .now() + .seconds(1)) { self.resumeAccepting() }
                    return
                default:
                    logger.error("cannot accept control client", metadata: ["error": "\(SystemCallError(call: "accept", errno: errno))"])
                    return
                }
            }
            admit(fd)
        }
    }

    private func suspendAccepting() {
        guard !isAcceptSuspended, let acceptSource else { return }
        isAcceptSuspended = true
        acceptSource.suspend()
    }

    private func resumeAccepting() {
        guard isAcceptSuspended, let acceptSource else { return }
        isAcceptSuspended = false
        acceptSource.resume()
    }

    /// While every slot is taken: if a client waits to be accepted, drops the connection idle
    /// longest once it has been idle for `crowdedIdleTimeout`; checks again after that long.
    private func makeRoom() {
        guard !isRoomCheckScheduled, case .running = state, connections.count >= configuration.maximumClients else { return }
        let now = ContinuousClock.now
        let oldest = connections.compactMap { id, connection in connection.idleSince.map { (id: id, since: $0) } }
            .min { $0.since < $1.since }
        if let oldest, now - oldest.since >= configuration.crowdedIdleTimeout, clientWaits() {
            logger.info("idle control client dropped to make room for a waiting one")
            connections[oldest.id]?.close(reason: "idle while another client waits")  // frees the slot
            return
        }
        isRoomCheckScheduled = true
        queue.asyncAfter(deadline: .now() + configuration.crowdedIdleTimeout.dispatchInterval) {
            self.isRoomCheckScheduled = false
            self.makeRoom()
        }
    }

    /// Whether a connection waits in the listen backlog.
    private func clientWaits() -> Bool {
        var probe = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        return poll(&probe, 1, 0) > 0 && probe.revents & Int16(POLLIN) != 0
    }

    private func connectionClosed(_ id: Int) {
        connections[id] = nil
        if case .running = state { resumeAccepting() }
    }

    private func admit(_ fd: Int32) {
        let peer: (pid: Int32, uid: UInt32)
        do {
            try UnixSocket.setCloseOnExec(fd)
            try UnixSocket.setNonBlocking(fd)
            peer = try UnixSocket.peerCredentials(fd)
        } catch {
            logger.warning("control client dropped", metadata: ["error": "\(error)"])
            UnixSocket.closeDescriptor(fd)
            return
        }
        guard peer.uid == geteuid() else {
            logger.warning(
                "control client of another user refused",
                metadata: ["peer_pid": "\(peer.pid)", "peer_uid": "\(peer.uid)"])
            UnixSocket.closeDescriptor(fd)
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        var connectionLogger = logger
        connectionLogger[metadataKey: "client"] = "\(id)"
        connectionLogger[metadataKey: "peer_pid"] = "\(peer.pid)"
        let connection = ControlConnection(
            fd: fd, queue: queue, dispatcher: dispatcher, configuration: configuration, logger: connectionLogger
        ) { [weak self] in self?.connectionClosed(id) }
        connections[id] = connection
        connectionLogger.debug("control client connected")
        connection.start()
    }
}

/// Why a `ControlServer` could not start.
public enum ControlServerError: Error, Sendable, CustomStringConvertible {
    case pathTooLong(String)
    case notADirectory(String)
    case directoryOwnedByOtherUser(path: String, owner: UInt32)
    /// Another process accepts connections on the socket: a daemon is already running.
    case alreadyListening(String)
    /// Something other than a socket is in the way.
    case notASocket(String)
    case socket(path: String, any Error)

    public var description: String {
        switch self {
        case .pathTooLong(let path):
            "control socket path is longer than \(UnixSocket.maximumPathLength) bytes: \(path)"
        case .notADirectory(let path):
            "\(path) is not a directory"
        case .directoryOwnedByOtherUser(let path, let owner):
            "\(path) belongs to uid \(owner), not to this user"
        case .alreadyListening(let path):
            "another heraldd already listens on \(path)"
        case .notASocket(let path):
            "\(path) exists and is not a socket; refusing to replace it"
        case .socket(let path, let error):
            "cannot listen on \(path): \(error)"
        }
    }
}
