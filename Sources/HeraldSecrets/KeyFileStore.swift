import Glibc
import Logging

/// The token key in a file: exactly 32 bytes, mode 0600, owned by this user, in a 0700 directory.
/// Used when no Secret Service runs; `heraldctl status` says so.
///
/// A file that others could read, or that is not ours or not 32 bytes, is refused rather than
/// repaired: the key may have leaked, or it is not the key the tokens were sealed with.
public struct KeyFileStore: TokenKeyStore {
    public var backend: String { "key-file" }
    public let path: String
    private let logger: Logger

    public init(path: String, logger: Logger = Logger(label: "herald.secrets")) {
        self.path = path
        self.logger = logger
    }

    /// A file never prompts: `prompting` makes no difference.
    public func loadOrCreateKey(prompting: Bool) async throws -> [UInt8] {
        try PrivateDirectory.prepare(Self.parentDirectory(of: path), logger: logger)
        if let key = try readKey() { return key }
        return try createKey()
    }

    public func deleteKey() async throws {
        if unlink(path) != 0 && errno != ENOENT { throw KeyFileError.system(path: path, call: "unlink", errno: errno) }
    }

    /// The key, nil when there is no file.
    private func readKey() throws(KeyFileError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw .notARegularFile(path: path)
            case let e: throw .system(path: path, call: "open", errno: e)
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(path: path, call: "fstat", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path: path) }
        guard info.st_uid == geteuid() else { throw .wrongOwner(path: path, owner: info.st_uid) }
        guard info.st_mode & 0o077 == 0 else { throw .notPrivate(path: path, mode: info.st_mode & 0o7777) }
        guard info.st_size == TokenCipher.keyByteCount else { throw .wrongSize(path: path, size: Int(info.st_size)) }
        var key = [UInt8](repeating: 0, count: TokenCipher.keyByteCount)
        let got = key.withUnsafeMutableBytes { Self.readFully(fd, $0) }
        guard got >= 0 else { throw .system(path: path, call: "read", errno: -Int32(got)) }
        guard got == TokenCipher.keyByteCount else { throw .wrongSize(path: path, size: got) }
        return key
    }

    /// Writes a new key to a private temporary file, syncs it, then links it into place: `link`
    /// (unlike `rename`) never replaces a key that another process created meanwhile — that one
    /// is read instead.
    private func createKey() throws(KeyFileError) -> [UInt8] {
        let key = randomBytes(TokenCipher.keyByteCount)
        let temp = path + ".new-" + randomBytes(6).map { String($0, radix: 16) }.joined()
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path: temp, call: "open", errno: errno) }
        defer { unlink(temp) }
        do {
            defer { close(fd) }
            let failure = key.withUnsafeBytes { buffer -> Int32 in
                var done = 0
                while done < buffer.count {
                    let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return n < 0 ? errno : EIO }
                    done += n
                }
                return 0
            }
            guard failure == 0 else { throw .system(path: temp, call: "write", errno: failure) }
            guard fsync(fd) == 0 else { throw .system(path: temp, call: "fsync", errno: errno) }
        }
        if link(temp, path) != 0 {
            guard errno == EEXIST else { throw .system(path: path, call: "link", errno: errno) }
            guard let existing = try readKey() else { throw .system(path: path, call: "open", errno: ENOENT) }
            return existing
        }
        let dir = open(Self.parentDirectory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
        logger.notice("created token key file", metadata: ["path": "\(path)"])
        return key
    }

    /// Bytes read until `buffer` is full or the file ends, or a negative errno.
    private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return -Int(errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}

public enum KeyFileError: Error, Equatable, CustomStringConvertible {
    case notPrivate(path: String, mode: mode_t)
    case wrongSize(path: String, size: Int)
    case wrongOwner(path: String, owner: uid_t)
    case notARegularFile(path: String)
    case notADirectory(path: String)
    case directoryNotOurs(path: String, owner: uid_t)
    case system(path: String, call: String, errno: Int32)

    public var description: String {
        switch self {
        case .notPrivate(let path, let mode):
            "token key file \(path) has mode \(String(mode, radix: 8)): others may have read it. Refusing to use it; "
                + "if you trust it, run `chmod 600 \(path)`"
        case .wrongSize(let path, let size):
            "token key file \(path) holds \(size) bytes, not \(TokenCipher.keyByteCount): it is not a Herald token key"
        case .wrongOwner(let path, let owner):
            "token key file \(path) belongs to uid \(owner), not to you (uid \(geteuid()))"
        case .notARegularFile(let path):
            "token key file \(path) is not a regular file (a symbolic link or a directory?)"
        case .notADirectory(let path):
            "\(path), meant to hold the token key file, is not a directory"
        case .directoryNotOurs(let path, let owner):
            "directory \(path) of the token key file belongs to uid \(owner), not to you (uid \(geteuid()))"
        case .system(let path, let call, let code):
            "token key file \(path): \(call): \(String(cString: strerror(code)))"
        }
    }
}

/// A directory only this user can enter: created 0700 (with its parents) when missing, made
/// 0700 when it is ours but more open, refused when it belongs to someone else.
enum PrivateDirectory {
    static func prepare(_ directory: String, logger: Logger) throws(KeyFileError) {
        try make(directory)
        var info = stat()
        guard stat(directory, &info) == 0 else { throw .system(path: directory, call: "stat", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(path: directory) }
        guard info.st_uid == geteuid() else { throw .directoryNotOurs(path: directory, owner: info.st_uid) }
        if info.st_mode & 0o777 != 0o700 {
            logger.warning(
                "token key directory made private",
                metadata: ["path": "\(directory)", "mode": "\(String(info.st_mode & 0o777, radix: 8))"])
            guard chmod(directory, 0o700) == 0 else { throw .system(path: directory, call: "chmod", errno: errno) }
        }
    }

    private static func make(_ directory: String) throws(KeyFileError) {
        if mkdir(directory, 0o700) == 0 { return }
        switch errno {
        case EEXIST:
            return
        case ENOENT:
            let parent = KeyFileStore.parentDirectory(of: directory)
            guard parent != directory else { break }
            try make(parent)
            if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        default:
            break
        }
        throw .system(path: directory, call: "mkdir", errno: errno)
    }
}
