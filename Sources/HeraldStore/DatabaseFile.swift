import GRDB
import Glibc

/// Which file a path names (device and inode), to notice the database deleted or replaced
/// under a running daemon: SQLite keeps writing to the open file, which is then lost at exit.
public struct FileIdentity: Sendable, Equatable {
    let device: UInt64
    let inode: UInt64

    /// The file at `path` now; nil when there is none.
    public static func of(_ path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

extension AppDatabase {
    /// The database file's path ("" or ":memory:" for an in-memory database).
    public var path: String { writer.path }
}
