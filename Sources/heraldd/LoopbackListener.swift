import Dispatch
import HeraldMatrix
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The one-shot HTTP listener on 127.0.0.1 that the browser comes back to after SSO
/// (MATRIX.md §2a, loopback recipe). Dispatch sources only: no thread of its own and nothing
/// blocking on Swift's cooperative pool. Only GET and HEAD on `/callback`; a request is capped
/// at 8 KiB and 10 s; the state is checked; the first good callback hands its login token to
/// `waitForToken`, later ones get an error page until `close()`.
final class LoopbackListener: @unchecked Sendable {  // all mutable state is confined to `queue`
    static let portRange = 20000...29999
    static let maximumRequestBytes = 8 * 1024
    static let connectionSeconds = 10

    let port: Int
    private let fd: Int32
    private let queue = DispatchQueue(label: "herald.sso-loopback")
    private let logger: Logger
    private var acceptSource: (any DispatchSourceRead)?
    private var timer: (any DispatchSourceTimer)?
    private var connections: [Int32: Connection] = [:]
    private var expectedState = ""
    private var continuation: CheckedContinuation<String, any Error>?
    private var used = false
    private var closed = false

    /// Binds 127.0.0.1 at a random port of 20000–29999 (10 tries).
    init(logger: Logger) throws {
        self.logger = logger
        var lastErrno: Int32 = 0
        for _ in 1...10 {
            let port = Int.random(in: Self.portRange)
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard s >= 0 else { throw LoopbackError.system("socket", errno) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0, listen(s, 16) == 0 {
                self.fd = s
                self.port = port
                return
            }
            lastErrno = errno
            Glibc.close(s)
        }
        throw LoopbackError.system("bind 127.0.0.1 (10 ports tried)", lastErrno)
    }

    deinit {
        if !closed { Glibc.close(fd) }
    }

    /// Starts accepting, and returns the login token of the first callback whose state is
    /// `expectedState`. Throws `LoopbackError.timedOut` after `timeout`, and `CancellationError`
    /// when the task is cancelled; either way the listener is closed.
    func waitForToken(expectedState: String, timeout: Duration) async throws -> String {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<String, any Error>) in
                queue.async { self.start(expectedState: expectedState, timeout: timeout, continuation: c) }
            }
        } onCancel: {
            queue.async { self.finish(.failure(CancellationError()), closing: true) }
        }
    }

    /// Stops listening and drops every connection. Idempotent.
    func close() {
        queue.async { self.shutdown() }
    }

    // MARK: on the queue

    private func start(expectedState: String, timeout: Duration, continuation: CheckedContinuation<String, any Error>) {
        guard !closed, self.continuation == nil, !used else {
            continuation.resume(throwing: closed ? CancellationError() : LoopbackError.alreadyWaiting)
            return
        }
        self.expectedState = expectedState
        self.continuation = continuation
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { self.acceptAll() }
        source.setCancelHandler { [fd] in Glibc.close(fd) }
        acceptSource = source
        source.resume()
        let t = DispatchSource.makeTimerSource(queue: queue)
        let (seconds, attoseconds) = timeout.components
        t.schedule(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
        t.setEventHandler { self.finish(.failure(LoopbackError.timedOut), closing: true) }
        timer = t
        t.resume()
    }

    private func finish(_ result: Result<String, any Error>, closing: Bool) {
        timer?.cancel()
        timer = nil
        if let c = continuation {
            continuation = nil
            c.resume(with: result)
        }
        if closing { shutdown() }
    }

    private func shutdown() {
        guard !closed else { return }
        closed = true
        if let c = continuation {
            continuation = nil
            c.resume(throwing: CancellationError())
        }
        timer?.cancel()
        timer = nil
        if let source = acceptSource {
            source.cancel()  // its cancel handler closes the socket
            acceptSource = nil
        } else {
            Glibc.close(fd)
        }
        for (_, c) in connections { c.close() }
        connections.removeAll()
    }

    private func acceptAll() {
        while !closed {
            let c = accept(fd, nil, nil)
            if c < 0 { return }  // EAGAIN, or a connection that went away: wait for the next event
            _ = fcntl(c, F_SETFD, FD_CLOEXEC)
            _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK)
            guard connections.count < 16 else {
                Glibc.close(c)
                continue
            }
            let connection = Connection(fd: c, queue: queue) { [weak self] connection, head in
                self?.answer(connection, head: head)
            } onClose: { [weak self] fd in
                self?.connections[fd] = nil
            }
            connections[c] = connection
            connection.start()
        }
    }

    /// Answers one complete request head (or 8 KiB of something else).
    private func answer(_ connection: Connection, head: [UInt8]?) {
        guard let head, let request = SsoLoopback.parseRequest(head) else {
            connection.send(SsoLoopback.response(status: 400, title: "Bad request", message: "Herald did not understand this request."))
            return
        }
        let isHead = request.method == "HEAD"
        switch SsoLoopback.verdict(for: request, expectedState: expectedState) {
        case .methodNotAllowed:
            connection.send(SsoLoopback.response(status: 405, title: "Not allowed", message: "Only GET is answered here."))
        case .notFound:
            connection.send(SsoLoopback.response(status: 404, title: "Not found", message: "Nothing here.", head: isHead))
        case .badRequest(let why):
            logger.notice("sign-in callback refused", metadata: ["reason": "\(why)"])
            connection.send(SsoLoopback.response(status: 400, title: "Sign-in refused", message: "Herald refused this sign-in: \(why).", head: isHead))
        case .token(let token):
            if isHead {
                // A HEAD (a link checker) must not use up the one callback.
                connection.send(SsoLoopback.response(status: 200, title: "Herald", message: "", head: true))
            } else if used || continuation == nil {
                connection.send(SsoLoopback.response(status: 410, title: "Already used",
                                                     message: "This sign-in link was already used. Start again with heraldctl account add."))
            } else {
                used = true
                connection.send(SsoLoopback.response(status: 200, title: "Signed in to Herald — you can close this tab",
                                                     message: "Herald received your sign-in. You can close this tab and go back to the terminal."))
                finish(.success(token), closing: false)
            }
        }
    }

    /// One browser connection: reads the request head (8 KiB, 10 s at most), answers, closes.
    private final class Connection {
        let fd: Int32
        private let queue: DispatchQueue
        private let read: any DispatchSourceRead
        private let timer: any DispatchSourceTimer
        private var buffer: [UInt8] = []
        private var answered = false
        private var closed = false
        private let onHead: (Connection, [UInt8]?) -> Void
        private let onClose: (Int32) -> Void

        init(fd: Int32, queue: DispatchQueue, onHead: @escaping (Connection, [UInt8]?) -> Void, onClose: @escaping (Int32) -> Void) {
            self.fd = fd
            self.queue = queue
            self.onHead = onHead
            self.onClose = onClose
            read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            timer = DispatchSource.makeTimerSource(queue: queue)
        }

        func start() {
            read.setEventHandler { self.readAvailable() }
            read.setCancelHandler { [fd] in Glibc.close(fd) }
            timer.setEventHandler { self.close() }
            timer.schedule(deadline: .now() + .seconds(LoopbackListener.connectionSeconds))
            timer.resume()
            read.resume()
        }

        private func readAvailable() {
            guard !closed, !answered else { return }
            var chunk = [UInt8](repeating: 0, count: 2048)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                close()
                return
            }
            if n == 0 {
                close()
                return
            }
            buffer += chunk[..<n]
            if let end = Self.headEnd(buffer) {
                answered = true
                onHead(self, Array(buffer[..<end]))
            } else if buffer.count >= LoopbackListener.maximumRequestBytes {
                answered = true
                onHead(self, nil)
            }
        }

        static func headEnd(_ b: [UInt8]) -> Int? {
            guard b.count >= 2 else { return nil }
            for i in 1..<b.count where b[i] == UInt8(ascii: "\n") {
                if b[i - 1] == UInt8(ascii: "\n") { return i + 1 }
                if i >= 3, b[i - 1] == UInt8(ascii: "\r"), b[i - 2] == UInt8(ascii: "\n") { return i + 1 }
            }
            return nil
        }

        /// Writes the (small) answer and closes; a peer too slow to take 2 KiB loses it.
        func send(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    break
                }
                offset += n
            }
            Glibc.shutdown(fd, Int32(SHUT_WR))
            close()
        }

        func close() {
            guard !closed else { return }
            closed = true
            timer.cancel()
            read.cancel()
            onClose(fd)
        }
    }
}

enum LoopbackError: Error, CustomStringConvertible {
    case system(String, Int32)
    case timedOut
    case alreadyWaiting

    var description: String {
        switch self {
        case .system(let call, let e): "\(call) failed: \(String(cString: strerror(e)))"
        case .timedOut: "nobody came back from the browser in time"
        case .alreadyWaiting: "this sign-in is already waiting for the browser"
        }
    }
}
