import CSystemd
import Glibc
import HeraldExecutor
import Logging
import Synchronization

/// A D-Bus failure: a negative errno from sd-bus, or an error reply from the peer.
public struct BusError: Error, CustomStringConvertible, Sendable {
    public var name: String
    public var message: String
    public var description: String { "\(name): \(message)" }

    init(errno code: Int32, _ what: String) {
        name = "errno"
        message = "\(what): \(String(cString: strerror(-code)))"
    }

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }
}

/// Turns a negative-errno return into a thrown `BusError`.
@discardableResult
func check(_ rc: Int32, _ what: @autoclosure () -> String) throws -> Int32 {
    if rc < 0 { throw BusError(errno: rc, what()) }
    return rc
}

/// One sd-bus connection driven by its own sd-event loop on one thread.
///
/// sd-bus is not thread-safe, so every touch of the bus is serialised by one lock: the bus
/// thread holds it while it dispatches, and lets go only while it sleeps on the event loop's
/// descriptor until the bus socket, a timer or the job eventfd is ready. A method call is
/// written by the calling thread itself, under the lock, so that a notification leaves without
/// waiting for the bus thread to be scheduled; its reply comes back through the bus thread,
/// which resumes the caller's continuation. Other work is handed to the bus thread (`perform`).
///
/// A call's reply time limit is armed by the bus thread when it next prepares its loop. A call
/// written while that thread sleeps does not wake it for this: the caller sets the limit timerfd
/// instead, which wakes the bus thread only if the reply is not in by then. Waking it right after
/// each call would put a second thread of Herald's on the cores just when the bus daemon and the
/// notification server need them.
public final class BusConnection: @unchecked Sendable {
    private let bus: OpaquePointer
    private let event: OpaquePointer
    private let jobFD: Int32
    /// A CLOCK_MONOTONIC timerfd on the loop: the earliest reply time limit of the calls written
    /// since the bus thread last prepared its loop.
    private let limitFD: Int32
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    /// Held by whoever touches `bus` or `event`; holds the limit timerfd's deadline (µs of
    /// CLOCK_MONOTONIC, 0 while disarmed).
    private let exclusive = Mutex<UInt64>(0)
    private var thread: pthread_t?
    private let busThreadID = Mutex<pid_t>(0)
    private let logger: Logger
    private let stopped = Mutex(false)
    /// Signal subscriptions, kept alive for the connection's life. Bus thread only.
    private var matches: [SignalMatch] = []
    private var watches: [FDWatch] = []

    /// Connects to the user's session bus (`DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`).
    public static func session(logger: Logger) throws -> BusConnection {
        var b: OpaquePointer?
        try check(sd_bus_open_user(&b), "cannot connect to the session bus")
        return try BusConnection(bus: b!, logger: logger)
    }

    /// Connects to the system bus (logind's session signals).
    public static func system(logger: Logger) throws -> BusConnection {
        var b: OpaquePointer?
        try check(sd_bus_open_system(&b), "cannot connect to the system bus")
        return try BusConnection(bus: b!, logger: logger)
    }

    private init(bus: OpaquePointer, logger: Logger) throws {
        self.bus = bus
        self.logger = logger
        _ = sd_bus_set_description(bus, "herald")
        var e: OpaquePointer?
        try check(sd_event_new(&e), "sd_event_new")
        event = e!
        jobFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard jobFD >= 0 else { throw BusError(errno: -errno, "eventfd") }
        limitFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard limitFD >= 0 else { throw BusError(errno: -errno, "timerfd_create") }
        try check(sd_bus_attach_event(bus, event, 0), "sd_bus_attach_event")
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(sd_event_add_io(event, nil, jobFD, UInt32(EPOLLIN.rawValue), { _, fd, _, user in
            var counter: UInt64 = 0
            _ = read(fd, &counter, 8)
            Unmanaged<BusConnection>.fromOpaque(user!).takeUnretainedValue().runJobs()
            return 0
        }, me), "sd_event_add_io")
        // Its expiry only needs to wake the loop, whose next prepare arms sd-bus's own limit.
        try check(sd_event_add_io(event, nil, limitFD, UInt32(EPOLLIN.rawValue), { _, fd, _, _ in
            var expirations: UInt64 = 0
            _ = read(fd, &expirations, 8)
            return 0
        }, nil), "sd_event_add_io")
        var tid = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<BusConnection>.fromOpaque(raw!).takeRetainedValue().loop()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed")
        thread = tid
    }

    /// The kernel's id of the bus thread, "herald-bus" in /proc and debuggers; 0 until it runs.
    public var threadID: pid_t { busThreadID.withLock { $0 } }

    /// `sd_event_loop`, but with the lock released while the thread sleeps.
    private func loop() {
        herald_name_thread("herald-bus")
        busThreadID.withLock { $0 = herald_thread_id() }
        let fd = sd_event_get_fd(event)
        while true {
            // Prepared under the lock, the loop arms sd-bus's limits of every call written so
            // far; the limit timerfd, which stood in for them, is disarmed.
            var r = exclusive.withLock { deadline in
                if deadline != 0 {
                    deadline = 0
                    var off = itimerspec()
                    _ = timerfd_settime(limitFD, 0, &off, nil)
                }
                return sd_event_prepare(event)
            }
            if r == 0 {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&ready, 1, -1)
                r = serialized { sd_event_wait(event, 0) }
            }
            if r > 0 {
                r = serialized { sd_event_dispatch(event) < 0 || sd_event_get_state(event) == Int32(SD_EVENT_FINISHED) ? -1 : 0 }
            }
            if r < 0 { return }
        }
    }

    private func serialized<T: Sendable>(_ body: () throws -> T) rethrows -> T {
        try exclusive.withLock { _ in try body() }
    }

    /// After a call is written (lock held, `deadline` its value): makes sure the sleeping bus
    /// thread wakes by the call's time limit, and at once if output is left queued.
    private func armLimit(_ deadline: inout UInt64, timeoutMicroseconds: UInt64) {
        let events = sd_bus_get_events(bus)
        if events < 0 || events & Int32(POLLOUT) != 0 { wake() }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let limit = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000 + timeoutMicroseconds
        guard deadline == 0 || limit < deadline else { return }
        deadline = limit
        var at = itimerspec()
        at.it_value = timespec(tv_sec: Int(limit / 1_000_000), tv_nsec: Int(limit % 1_000_000) * 1_000)
        if timerfd_settime(limitFD, Int32(TFD_TIMER_ABSTIME), &at, nil) != 0 { wake() }
    }

    deinit {
        _ = sd_bus_flush_close_unref(bus)
        _ = sd_event_unref(event)
        Glibc.close(jobFD)
        Glibc.close(limitFD)
    }

    /// The unique name this connection has on the bus.
    public var uniqueName: String {
        get async throws {
            try await perform { conn in
                var name: UnsafePointer<CChar>?
                try check(sd_bus_get_unique_name(conn.bus, &name), "sd_bus_get_unique_name")
                return String(cString: name!)
            }
        }
    }

    /// Stops the loop and waits for the bus thread to end; pending calls fail.
    public func close() {
        let already = stopped.withLock { s -> Bool in defer { s = true }; return s }
        guard !already else { return }
        submit { _ = sd_event_exit(self.event, 0) }
        if let thread { pthread_join(thread, nil) }
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        wake()
    }

    /// Wakes the bus thread, which then runs the jobs handed in and re-arms its loop.
    private func wake() {
        var one: UInt64 = 1
        _ = write(jobFD, &one, 8)
    }

    private func runJobs() {
        let batch = jobs.withLock { j -> [@Sendable () -> Void] in defer { j = [] }; return j }
        for job in batch { job() }
    }

    /// Runs `body` on the bus thread and returns its result.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (BusConnection) throws -> T) async throws -> T {
        if stopped.withLock({ $0 }) { throw BusError(name: "closed", message: "the bus connection is closed") }
        return try await withCheckedThrowingContinuation { cont in
            submit { cont.resume(with: Result { try body(self) }) }
        }
    }

    /// Calls a method. `build` appends the arguments, on the calling thread, which writes the
    /// message; `decode` reads the reply on the bus thread.
    ///
    /// Never called on the bus thread itself (it holds the lock there): async code runs on the
    /// executor's threads.
    public func call<T: Sendable>(
        destination: String, path: String, interface: String, member: String,
        timeoutMicroseconds: UInt64 = 25_000_000,
        build: @escaping @Sendable (MessageWriter) throws -> Void = { _ in },
        decode: @escaping @Sendable (MessageReader) throws -> T
    ) async throws -> T {
        if stopped.withLock({ $0 }) { throw BusError(name: "closed", message: "the bus connection is closed") }
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            exclusive.withLock { deadline in
                let bus = self.bus
                do {
                    var m: OpaquePointer?
                    try check(sd_bus_message_new_method_call(bus, &m, destination, path, interface, member), "new method call \(member)")
                    defer { sd_bus_message_unref(m) }
                    try build(MessageWriter(m!))
                    let pending = PendingCall { reply in
                        cont.resume(with: Result {
                            if let err = sd_bus_message_get_error(reply), sd_bus_error_is_set(err) != 0 {
                                throw BusError(name: String(cString: err.pointee.name), message: err.pointee.message.map { String(cString: $0) } ?? "")
                            }
                            return try decode(MessageReader(reply))
                        })
                    }
                    let user = Unmanaged.passRetained(pending).toOpaque()
                    let rc = sd_bus_call_async(bus, nil, m, { reply, user, _ in
                        let p = Unmanaged<PendingCall>.fromOpaque(user!).takeRetainedValue()
                        p.complete(reply!)
                        return 1
                    }, user, timeoutMicroseconds)
                    if rc < 0 {
                        Unmanaged<PendingCall>.fromOpaque(user).release()
                        throw BusError(errno: rc, "call \(member)")
                    }
                    armLimit(&deadline, timeoutMicroseconds: timeoutMicroseconds)
                } catch {
                    cont.resume(throwing: error)
                }
            }
        }
    }

    /// Sleeps on the bus thread's sd-event loop (a timerfd, with leeway for coalescing). Swift's own
    /// `Task.sleep` on Linux keeps libdispatch waking every second while a long sleep is
    /// pending, even a cancelled one; Herald's long timers (idle lock, retries, watchdog) go here.
    public func sleep(for duration: Duration) async throws {
        let (seconds, attoseconds) = duration.components
        let usec = UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000_000)
        // Leeway lets wake-ups coalesce: a tenth of a long wait, a second at most. A short wait
        // (pacing a burst of notifications) is on time: it delays what the user sees.
        let accuracy = usec < 2_000_000 ? 1_000 : min(1_000_000, usec / 10)
        let timer = EventTimer()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
                timer.continuation = cont
                submit {
                    guard !timer.cancelled else { return timer.finish(CancellationError()) }
                    var source: OpaquePointer?
                    let user = Unmanaged.passUnretained(timer).toOpaque()
                    let rc = sd_event_add_time_relative(self.event, &source, CLOCK_MONOTONIC, usec, accuracy, { s, _, user in
                        let t = Unmanaged<EventTimer>.fromOpaque(user!).takeUnretainedValue()
                        t.source = nil
                        _ = sd_event_source_unref(s)
                        t.finish(nil)
                        return 0
                    }, user)
                    if rc < 0 { return timer.finish(BusError(errno: rc, "sd_event_add_time_relative")) }
                    timer.source = source
                }
            }
        } onCancel: {
            submit {
                timer.cancelled = true
                if let s = timer.source {
                    timer.source = nil
                    _ = sd_event_source_disable_unref(s)
                    timer.finish(CancellationError())
                }
            }
        }
    }

    /// Calls `handler` on the bus thread with whatever can be read from `fd` (non-blocking)
    /// each time it becomes readable, for the life of the connection.
    public func watch(fd: Int32, _ handler: @escaping @Sendable ([UInt8]) -> Void) async throws {
        try await perform { conn in
            let watch = FDWatch(handler)
            try check(sd_event_add_io(conn.event, nil, fd, UInt32(EPOLLIN.rawValue), { _, fd, _, user in
                var buffer = [UInt8](repeating: 0, count: 64)
                let n = read(fd, &buffer, 64)
                if n > 0 { Unmanaged<FDWatch>.fromOpaque(user!).takeUnretainedValue().handler(Array(buffer[..<n])) }
                return 0
            }, Unmanaged.passUnretained(watch).toOpaque()), "watch fd \(fd)")
            conn.watches.append(watch)
        }
    }

    /// Subscribes to a signal for the life of the connection; `handler` runs on the bus thread.
    public func onSignal(
        path: String?, interface: String, member: String,
        _ handler: @escaping @Sendable (MessageReader) -> Void
    ) async throws {
        try await perform { conn in
            let match = SignalMatch(handler)
            try check(sd_bus_match_signal(conn.bus, nil, nil, path, interface, member, { m, user, _ in
                Unmanaged<SignalMatch>.fromOpaque(user!).takeUnretainedValue().handler(MessageReader(m!))
                return 0
            }, Unmanaged.passUnretained(match).toOpaque()), "match \(interface).\(member)")
            conn.matches.append(match)
        }
    }
}

/// One pending `sleep`; touched only on the bus thread once submitted.
private final class EventTimer: @unchecked Sendable {
    var continuation: CheckedContinuation<Void, any Error>?
    var source: OpaquePointer?
    var cancelled = false

    func finish(_ error: (any Error)?) {
        guard let c = continuation else { return }
        continuation = nil
        if let error { c.resume(throwing: error) } else { c.resume() }
    }
}

private final class PendingCall {
    let complete: (OpaquePointer) -> Void
    init(_ complete: @escaping (OpaquePointer) -> Void) { self.complete = complete }
}

private final class FDWatch {
    let handler: @Sendable ([UInt8]) -> Void
    init(_ handler: @escaping @Sendable ([UInt8]) -> Void) { self.handler = handler }
}

private final class SignalMatch {
    let handler: @Sendable (MessageReader) -> Void
    init(_ handler: @escaping @Sendable (MessageReader) -> Void) { self.handler = handler }
}
