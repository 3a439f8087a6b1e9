#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call, with errno: the one place C return codes become Swift errors.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(reason)" }

    /// The errno text alone, e.g. "Connection refused".
    public var reason: String { String(cString: strerror(errno)) }
}

/// Small wrappers around the socket calls both ends use. Everything here works on raw
/// descriptors; ownership (who closes) stays with the caller.
enum UnixSocket {
    /// `sun_path` holds 108 bytes including the terminating NUL.
    static let maximumPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Retries on EINTR; throws on any other failure.
    @discardableResult
    static func check<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemCallError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw SystemCallError(call: call, errno: errno)
        }
    }

    static func makeStreamSocket() throws(SystemCallError) -> Int32 {
        try check("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    /// Calls `body` with the `sockaddr_un` for `path`; nil if the path does not fit.
    static func withAddress<R>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(SystemCallError) -> R
    ) throws(SystemCallError) -> R? {
        let bytes = Array(path.utf8)
        guard bytes.count <= maximumPathLength, !bytes.contains(0) else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count + 1)
        var copy = address
        return try withUnsafePointer(to: &copy) { pointer throws(SystemCallError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SystemCallError) in
                try body(address, length)
            }
        }
    }

    static func setNonBlocking(_ fd: Int32) throws(SystemCallError) {
        let flags = try check("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        try check("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    static func setCloseOnExec(_ fd: Int32) throws(SystemCallError) {
        try check("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    /// The process at the other end of a connected Unix socket (SO_PEERCRED).
    static func peerCredentials(_ fd: Int32) throws(SystemCallError) -> (pid: Int32, uid: UInt32) {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — not exported by Swift's Glibc module.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        try check("getsockopt(SO_PEERCRED)") { getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) }
        return (credentials.pid, credentials.uid)
    }

    /// Writes as much as the socket takes now; returns the count (0 when it would block).
    static func sendSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        while true {
            let written = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if written >= 0 { return written }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            default: throw SystemCallError(call: "send", errno: errno)
            }
        }
    }

    static func closeDescriptor(_ fd: Int32) {
        // Never retry close on Linux: the descriptor is gone even when it reports EINTR.
        _ = close(fd)
    }
}
