import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One accepted client of `ControlServer`. Lives on the server's queue, and only there.
///
/// Calls are numbered as they arrive; each reply waits in `completed` until every earlier one
/// has been sent, so a client that pipelines calls reads the replies in order.
final class ControlConnection: @unchecked Sendable {
    // @unchecked: all mutable state is confined to `queue`; tasks hop back to it to deliver.

    private let fd: Int32
    private let queue: DispatchQueue
    private let dispatcher: ControlDispatcher
    private let configuration: ControlServer.Configuration
    private let logger: Logger
    private let onClose: @Sendable () -> Void

    private let readSource: any DispatchSourceRead
    private let writeSource: any DispatchSourceWrite
    private let idleTimer: any DispatchSourceTimer
    private var isReadSuspended = false
    private var isReadCancelled = false
    private var isWriteArmed = false
    /// Both fd sources must have run their cancel handlers before the fd may be closed.
    private var sourcesAlive = 2

    private var decoder: VarlinkFrameDecoder
    private var output: [UInt8] = []
    private var outputStart = 0
    /// Sequence number of the next call that expects a reply, and of the next reply to send.
    private var nextSequence = 0
    private var nextToSend = 0
    private var completed: [Int: VarlinkReply] = [:]
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var nextTaskKey = 0
    private var peerFinishedSending = false
    private var isClosed = false
    /// Since when nothing has been in flight, or nil while the client waits for a reply.
    private(set) var idleSince: ContinuousClock.Instant?

    /// Past this much unsent output the connection takes no new calls until the client reads.
    private static let pauseReadingOutput = 256 * 1024
    /// A client that does not read its replies is dropped past this much unsent output.
    private static let maximumOutput = 4 * 1024 * 1024

    init(
        fd: Int32, queue: DispatchQueue, dispatcher: ControlDispatcher, configuration: ControlServer.Configuration,
        logger: Logger, onClose: @escaping @Sendable () -> Void
    ) {
        self.fd = fd
        self.queue = queue
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.logger = logger
        self.onClose = onClose
        self.decoder = VarlinkFrameDecoder(maximumMessageSize: configuration.maximumMessageSize)
        self.readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        self.writeSource = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        self.idleTimer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Calls whose reply has not been sent yet.
    private var pendingCalls: Int { nextSequence - nextToSend }
    /// Work this connection holds: calls in flight (one-way ones too) and replies waiting their turn.
    private var load: Int { tasks.count + completed.count }

    func start() {
        // The handlers retain the connection until `close` cancels the sources.
        readSource.setEventHandler { self.readAvailable() }
        readSource.setCancelHandler { self.sourceCancelled() }
        writeSource.setEventHandler {
            self.flush()
            self.processBufferedMessages()  // reading may have paused for the unsent output
        }
        writeSource.setCancelHandler { self.sourceCancelled() }
        idleTimer.setEventHandler {
            self.logger.info("idle control client dropped")
            self.close(reason: "idle")
        }
        refreshIdleTimer()
        idleTimer.resume()
        readSource.resume()
        // The write source stays suspended until a write would block.
    }

    func close(reason: String) {
        guard !isClosed else { return }
        isClosed = true
        logger.debug("control client disconnected", metadata: ["reason": "\(reason)"])
        for task in tasks.values { task.cancel() }
        tasks.removeAll()
        completed.removeAll()
        idleTimer.cancel()
        if !isReadCancelled {
            isReadCancelled = true
            readSource.cancel()
            if isReadSuspended { readSource.resume() }  // a suspended source never runs its cancel handler
        }
        writeSource.cancel()
        if !isWriteArmed { writeSource.resume() }
        onClose()
    }

    private func sourceCancelled() {
        sourcesAlive -= 1
        if sourcesAlive == 0 { UnixSocket.closeDescriptor(fd) }
    }

    // MARK: Reading

    /// Reads until the socket would block (or reading pauses). One read a wake-up was not enough:
    /// when a call and the client's hang-up arrived together, libdispatch's read source was seen
    /// not to fire again for the end of stream, and the call waited on for nobody.
    private func readAvailable() {
        while !isClosed && !isReadSuspended && !isReadCancelled {
            let count = withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 1) { buffer in
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count > 0 { decoder.append(UnsafeRawBufferPointer(rebasing: buffer[..<count])) }
                return count
            }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                close(reason: "read failed: \(SystemCallError(call: "read", errno: errno).reason)")
                return
            }
            if count == 0 {
                peerLeft()
                return
            }
            processBufferedMessages()
        }
    }

    /// End of stream from the client.
    private func peerLeft() {
        // A full hang-up (not a half-close after the last call): nobody will read the
        // replies, so cancel the calls in flight (e.g. a sign-in waiting for the browser).
        var probe = pollfd(fd: fd, events: 0, revents: 0)
        if pendingCalls > 0, poll(&probe, 1, 0) > 0, probe.revents & Int16(POLLHUP) != 0 {
            close(reason: "client hung up")
            return
        }
        peerFinishedSending = true
        if decoder.hasPartialMessage { logger.debug("control client left an unfinished message") }
        isReadCancelled = true
        readSource.cancel()
        closeIfDone()
    }

    /// Handles the complete messages in the decoder while this connection may take more calls,
    /// and reads only while it may.
    private func processBufferedMessages() {
        var sawMessage = false
        while !isClosed && load < configuration.maximumPendingCalls && output.count - outputStart < Self.pauseReadingOutput {
            let message: [UInt8]?
            do {
                message = try decoder.nextMessage()
            } catch {
                logger.warning("control client dropped", metadata: ["error": "\(error)"])
                close(reason: "\(error)")
                return
            }
            guard let message else { break }
            sawMessage = true
            handle(message)
        }
        guard !isClosed else { return }
        let shouldRead = load < configuration.maximumPendingCalls && output.count - outputStart < Self.pauseReadingOutput
        if !isReadCancelled && shouldRead == isReadSuspended {
            isReadSuspended = !shouldRead
            if shouldRead { readSource.resume() } else { readSource.suspend() }
        }
        if sawMessage { refreshIdleTimer() }
    }

    private func handle(_ message: [UInt8]) {
        let call: VarlinkCall
        do {
            call = try VarlinkCodec.decodeCall(message)
        } catch {
            // Never the message itself in the log: it may hold a password.
            logger.info("malformed control message", metadata: ["error": "\(error.varlinkName)", "bytes": "\(message.count)"])
            let sequence = nextSequence
            nextSequence += 1
            deliver(VarlinkReply(error: error), sequence: sequence)
            return
        }
        logger.debug("control call", metadata: ["method": "\(call.method)"])
        let taskKey = nextTaskKey
        nextTaskKey += 1
        let dispatcher = self.dispatcher
        if call.oneway {
            tasks[taskKey] = Task {
                _ = await dispatcher.reply(to: call)
                self.queue.async { self.completeOneway(taskKey: taskKey) }
            }
            return
        }
        let sequence = nextSequence
        nextSequence += 1
        tasks[taskKey] = Task {
            let reply = await dispatcher.reply(to: call)
            self.queue.async { self.complete(taskKey: taskKey, sequence: sequence, reply: reply) }
        }
    }

    private func completeOneway(taskKey: Int) {
        guard !isClosed else { return }
        tasks[taskKey] = nil
        processBufferedMessages()
        refreshIdleTimer()
        closeIfDone()
    }

    private func complete(taskKey: Int, sequence: Int, reply: VarlinkReply) {
        guard !isClosed else { return }
        tasks[taskKey] = nil
        deliver(reply, sequence: sequence)
        guard !isClosed else { return }
        processBufferedMessages()
        refreshIdleTimer()
        closeIfDone()
    }

    // MARK: Writing

    private func deliver(_ reply: VarlinkReply, sequence: Int) {
        completed[sequence] = reply
        while let next = completed.removeValue(forKey: nextToSend) {
            output.append(contentsOf: VarlinkCodec.encode(next))
            nextToSend += 1
        }
        guard output.count - outputStart <= Self.maximumOutput else {
            logger.warning("control client dropped: it does not read its replies")
            close(reason: "output overflow")
            return
        }
        flush()
    }

    private func flush() {
        guard !isClosed else { return }
        do {
            while outputStart < output.count {
                let sent = try output.withUnsafeBytes { bytes throws(SystemCallError) in
                    try UnixSocket.sendSome(fd, UnsafeRawBufferPointer(rebasing: bytes[outputStart...]))
                }
                if sent == 0 {
                    if !isWriteArmed {
                        isWriteArmed = true
                        writeSource.resume()
                    }
                    return
                }
                outputStart += sent
            }
        } catch {
            close(reason: "send failed: \(error)")
            return
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputStart = 0
        if isWriteArmed {
            isWriteArmed = false
            writeSource.suspend()
        }
        closeIfDone()
    }

    /// A client that has sent everything is closed once every reply is out. Complete messages
    /// still in the decoder imply calls in flight (they wait for the load to drop), so what is
    /// left once nothing is in flight can only be an unfinished message that will never end.
    private func closeIfDone() {
        if peerFinishedSending && pendingCalls == 0 && tasks.isEmpty && outputStart == output.count && !isClosed {
            close(reason: "client finished")
        }
    }

    // MARK: Idle

    /// Starts the idle countdown when nothing is in flight; stops it while the client waits for
    /// us. Unsent output does not stop it: then the client is the one not reading.
    private func refreshIdleTimer() {
        guard !isClosed else { return }
        if pendingCalls == 0 && tasks.isEmpty {
            idleSince = .now
            idleTimer.schedule(deadline: .now() + configuration.idleTimeout.dispatchInterval)
        } else {
            idleSince = nil
            idleTimer.schedule(deadline: .distantFuture)
        }
    }
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
