import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Device and inode of a file: tells whether the socket file is still the one we bound.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64

    init(path: String) throws(SystemCallError) {
        var info = stat()
        try UnixSocket.check("lstat") { lstat(path, &info) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Filesystem steps around the control socket: a private directory and no stale file.
enum SocketFile {
    /// Creates the socket's directory (and missing parents) 0700; an existing one must belong
    /// to this user and is made 0700 if it is more open than that.
    static func prepareDirectory(for socketPath: String, logger: Logger) throws {
        let directory = parentDirectory(of: socketPath)
        try makeDirectories(directory)
        var info = stat()
        do {
            try UnixSocket.check("stat") { stat(directory, &info) }
        } catch {
            throw ControlServerError.socket(path: socketPath, error)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw ControlServerError.notADirectory(directory) }
        guard info.st_uid == geteuid() else {
            throw ControlServerError.directoryOwnedByOtherUser(path: directory, owner: info.st_uid)
        }
        if info.st_mode & 0o777 != 0o700 {
            logger.warning(
                "control socket directory made private",
                metadata: ["path": "\(directory)", "mode": "\(String(info.st_mode & 0o777, radix: 8))"])
            do {
                try UnixSocket.check("chmod") { chmod(directory, 0o700) }
            } catch {
                throw ControlServerError.socket(path: socketPath, error)
            }
        }
    }

    /// Removes a socket file nobody listens on any more (a daemon that was killed).
    static func removeStale(at path: String, logger: Logger) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw ControlServerError.notASocket(path) }
        let probe = try UnixSocket.makeStreamSocket()
        defer { UnixSocket.closeDescriptor(probe) }
        let connected = try UnixSocket.withAddress(path) { address, length in
            connect(probe, address, length) == 0 ? true : false
        }
        if connected == true { throw ControlServerError.alreadyListening(path) }
        logger.info("removing stale control socket", metadata: ["path": "\(path)"])
        do {
            try UnixSocket.check("unlink") { unlink(path) }
        } catch {
            throw ControlServerError.socket(path: path, error)
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    private static func makeDirectories(_ directory: String) throws {
        if mkdir(directory, 0o700) == 0 { return }
        switch errno {
        case EEXIST:
            return
        case ENOENT:
            let parent = parentDirectory(of: directory)
            guard parent != directory else { break }
            try makeDirectories(parent)
            if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        default:
            break
        }
        throw ControlServerError.socket(path: directory, SystemCallError(call: "mkdir", errno: errno))
    }
}
