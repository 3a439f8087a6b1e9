import CCurl
import Glibc
import HeraldExecutor
import Logging
import Synchronization

/// Runs every HTTP transfer of the process on one thread through libcurl's multi interface.
///
/// Callers `await perform(_:)`; the request is handed to the driver thread, which sleeps in
/// `curl_multi_poll` until a socket is ready, a curl timer is due, or `curl_multi_wakeup` says
/// there is new work. Idle means asleep: no timer of Herald's own wakes the thread. Several
/// accounts on one homeserver share its connection (HTTP/2 multiplexing when offered).
public final class CurlDriver: HTTPTransport, @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let options: HTTPClientOptions
    private let logger: Logger
    /// Work handed from any thread to the driver thread.
    private let inbox = Mutex(Inbox())
    private var thread: pthread_t?
    /// Owned by the driver thread only.
    private var active: [Int: Transfer] = [:]

    private struct Inbox {
        var adds: [Transfer] = []
        var cancels: [Int] = []
        var nextID = 1
        var stopping = false
    }

    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(options: HTTPClientOptions = .init(), logger: Logger = Logger(label: "herald.http")) {
        _ = CurlDriver.globalInit
        guard let m = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        multi = m
        self.options = options
        self.logger = logger
        _ = herald_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        // No cap per host: over HTTP/1.1 every account's long poll holds a connection of its
        // own, and a cap would starve the accounts beyond it. Over HTTP/2 they share one.
        start()
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    private func start() {
        var tid = pthread_t()
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(&tid, nil, { raw in
            let driver = Unmanaged<CurlDriver>.fromOpaque(raw!).takeRetainedValue()
            herald_name_thread("herald-http")
            driver.loop()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        thread = tid
    }

    /// Stops the driver: every transfer in flight fails with `HTTPError.shutDown`.
    public func shutdown() {
        let wasStopping = inbox.withLock { inbox -> Bool in
            defer { inbox.stopping = true }
            return inbox.stopping
        }
        guard !wasStopping else { return }
        curl_multi_wakeup(multi)
        // From a task going on on the driver thread: the loop ends once that task suspends.
        if let thread, !onDriverThread { pthread_join(thread, nil) }
    }

    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try Transfer(request: request, options: options)
        let id = inbox.withLock { inbox -> Int in
            defer { inbox.nextID += 1 }
            return inbox.nextID
        }
        transfer.id = id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.continuation = cont
                let accepted = inbox.withLock { inbox -> Bool in
                    guard !inbox.stopping else { return false }
                    inbox.adds.append(transfer)
                    return true
                }
                if accepted {
                    // On the driver thread (a task going on after its answer) the loop takes
                    // the work before it sleeps again.
                    if !onDriverThread { curl_multi_wakeup(multi) }
                } else {
                    transfer.finish(.failure(HTTPError.shutDown))
                }
            }
        } onCancel: {
            inbox.withLock { $0.cancels.append(id) }
            curl_multi_wakeup(multi)
        }
    }

    // MARK: driver thread

    private func loop() {
        var running: Int32 = 0
        while true {
            let (adds, cancels, stopping) = inbox.withLock { inbox in
                defer { inbox.adds = []; inbox.cancels = [] }
                return (inbox.adds, inbox.cancels, inbox.stopping)
            }
            if stopping {
                for t in adds { t.finish(.failure(HTTPError.shutDown)) }
                for (id, _) in active { remove(id, result: .failure(HTTPError.shutDown)) }
                return
            }
            for t in adds {
                // A cancel can overtake its own add when both land between two turns.
                if cancels.contains(t.id) {
                    t.finish(.failure(CancellationError()))
                    continue
                }
                active[t.id] = t
                let rc = curl_multi_add_handle(multi, t.easy)
                if rc != CURLM_OK {
                    active[t.id] = nil
                    t.finish(.failure(HTTPError.transport(code: Int(rc.rawValue), message: String(cString: curl_multi_strerror(rc)))))
                }
            }
            for id in cancels where active[id] != nil {
                remove(id, result: .failure(CancellationError()))
            }

            _ = curl_multi_perform(multi, &running)
            var done: [(Int, Result<HTTPResponse, any Error>)] = []
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = msg.pointee.data.result
                var raw: UnsafeMutableRawPointer?
                _ = herald_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &raw)
                guard let raw else { continue }
                let t = Unmanaged<Transfer>.fromOpaque(raw).takeUnretainedValue()
                done.append((t.id, t.result(for: code)))
            }
            if finish(done) > 0 { continue }  // the tasks that went on may have handed in work
            // Sleeps until a socket is ready, curl's next timer, or curl_multi_wakeup.
            _ = curl_multi_poll(multi, nil, 0, 3_600_000, nil)
        }
    }

    /// Hands finished transfers back. A task whose answer is small goes on on this thread,
    /// which was about to sleep anyway: an idle long poll's empty answer then wakes one thread,
    /// not two. A big answer's task goes to the pool, so that reading it does not hold up the
    /// other transfers. Returns how many tasks went on here.
    private func finish(_ done: [(Int, Result<HTTPResponse, any Error>)]) -> UInt32 {
        func big(_ result: Result<HTTPResponse, any Error>) -> Bool { ((try? result.get())?.body.count ?? 0) > Self.continueHereLimit }
        for (id, result) in done where big(result) { remove(id, result: result) }
        herald_executor_hold()
        for (id, result) in done where !big(result) { remove(id, result: result) }
        return herald_executor_run_held()
    }

    /// The largest answer whose task goes on on the driver thread (an idle or one-message
    /// answer is well under 1 KiB).
    static let continueHereLimit = 64 << 10

    private var onDriverThread: Bool {
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    private func remove(_ id: Int, result: Result<HTTPResponse, any Error>) {
        guard let t = active.removeValue(forKey: id) else { return }
        curl_multi_remove_handle(multi, t.easy)
        t.finish(result)
    }
}

/// One transfer: the easy handle and everything it points at stay alive together.
final class Transfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    var id = 0
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private let limit: Int
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var headerBytes = 0
    var overflowed = false

    static let receiveBufferBytes = 4096

    init(request: HTTPRequest, options: HTTPClientOptions) throws {
        guard request.url.hasPrefix("https://") || request.url.hasPrefix("http://") else {
            throw HTTPError.invalidRequest("only http and https URLs are allowed")
        }
        guard let e = curl_easy_init() else { throw HTTPError.invalidRequest("curl_easy_init failed") }
        easy = e
        limit = request.maxResponseBytes
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let me = Unmanaged.passUnretained(self).toOpaque()

        _ = herald_easy_setopt_string(easy, CURLOPT_URL, request.url)
        _ = herald_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = herald_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = herald_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = herald_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        _ = herald_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.connectLimit(timeoutMilliseconds: request.timeoutMilliseconds))
        // Each transfer's receive buffer is held for its whole life, and most of heraldd's are
        // long polls that end with a few hundred bytes: curl's 16 KB default was 0.8 MB of the
        // memory of fifty idle accounts. A big answer is read in more, smaller pieces.
        _ = herald_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, Self.receiveBufferBytes)
        _ = herald_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = herald_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 30)
        _ = herald_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 10)
        _ = herald_easy_setopt_sockopt(easy)
        _ = herald_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        _ = herald_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        _ = herald_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        if let ca = options.caFile { _ = herald_easy_setopt_string(easy, CURLOPT_CAINFO, ca) }
        _ = herald_easy_setopt_string(easy, CURLOPT_USERAGENT, options.userAgent)
        _ = herald_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = herald_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes))
        _ = herald_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = herald_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me)
        _ = herald_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = herald_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        _ = herald_easy_setopt_write(easy) { ptr, size, count, user in
            let t = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            if t.body.count + n > t.limit {
                t.overflowed = true
                return 0  // aborts the transfer with CURLE_WRITE_ERROR
            }
            ptr!.withMemoryRebound(to: UInt8.self, capacity: n) { t.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        _ = herald_easy_setopt_header(easy) { ptr, size, count, user in
            let t = Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            t.headerBytes += n
            if t.headerBytes > 64 << 10 { t.overflowed = true; return 0 }
            let line = ptr!.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
            if line.hasPrefix("HTTP/") { t.headers = [:]; return n }  // a new response (after 100-continue)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
                t.headers[name] = value
            }
            return n
        }

        switch request.method {
        case .get: break
        case .post, .put, .delete:
            _ = herald_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        if let body = request.body {
            _ = herald_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBufferPointer { buf in
                // COPYPOSTFIELDS: curl keeps its own copy, so the array may go away.
                _ = herald_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!))
            }
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        if request.body != nil, !request.headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            list = curl_slist_append(list, "Content-Type: application/json")
        }
        list = curl_slist_append(list, "Expect:")
        headerList = list
        _ = herald_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
    }

    /// How long connecting may take: 15 s, or the whole request's limit when that is longer
    /// than 30 s (a long poll). libcurl keeps a transfer's connect timer running when it reuses
    /// a connection, and the timer's expiry would wake the driver in the middle of every long
    /// poll; the long poll's own limit (the poll plus 15 s) ends a connect that hangs.
    static func connectLimit(timeoutMilliseconds: Int) -> Int {
        timeoutMilliseconds > 30_000 ? timeoutMilliseconds : min(timeoutMilliseconds, 15_000)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func result(for code: CURLcode) -> Result<HTTPResponse, any Error> {
        if code == CURLE_OK {
            var status = 0
            _ = herald_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .success(HTTPResponse(status: status, headers: headers, body: body))
        }
        if overflowed || code == CURLE_FILESIZE_EXCEEDED { return .failure(HTTPError.responseTooLarge(limit: limit)) }
        if code == CURLE_OPERATION_TIMEDOUT { return .failure(HTTPError.timedOut) }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return .failure(HTTPError.transport(code: Int(code.rawValue), message: message))
    }

    func finish(_ result: Result<HTTPResponse, any Error>) {
        guard let c = continuation else { return }
        continuation = nil
        c.resume(with: result)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
