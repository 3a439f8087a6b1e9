#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file operations autostart needs, as thin throwing wrappers over POSIX.
enum FileSystem {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ what: String, _ path: String, errno code: Int32 = errno) {
            description = "\(what) \(path): \(String(cString: strerror(code)))"
        }
    }

    static func isRegularFile(_ path: String, followingLinks: Bool) -> Bool {
        var st = stat()
        let rc = followingLinks ? stat(path, &st) : lstat(path, &st)
        return rc == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "re") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[..<n]
            if bytes.count > 1 << 20 { return nil }  // not a unit file
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Creates `path` and its missing parents (0755, as systemctl does for its link directories).
    static func makeDirectories(_ path: String) throws {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST { throw Failure("cannot create", partial) }
        }
    }

    static func symlink(_ target: String, at path: String) throws {
        if Glibc.symlink(target, path) != 0 { throw Failure("cannot link", path) }
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw Failure("cannot remove", path) }
    }

    /// Writes `text` to `path` through a temporary file and a rename, with `mode`.
    static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp-herald"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure("cannot write", temporary) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, mode)
        close(fd)
        guard written == bytes.count else { unlink(temporary); throw Failure("cannot write", temporary) }
        if rename(temporary, path) != 0 { unlink(temporary); throw Failure("cannot rename to", path) }
    }

    /// Names in a directory (nothing when it does not exist).
    static func list(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func removeDirectoryIfEmpty(_ path: String) {
        _ = rmdir(path)
    }
}
