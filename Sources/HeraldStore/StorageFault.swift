import GRDB

/// Why the database could not be written, in words a user can act on; nil when the error is
/// not a storage fault (a constraint, a bug, a cancelled write).
public enum StorageFault {
    public static func describe(_ error: any Error) -> String? {
        guard let e = error as? DatabaseError else { return nil }
        switch e.resultCode {
        case .SQLITE_FULL: return "the disk is full"
        case .SQLITE_IOERR: return "input/output error"
        case .SQLITE_READONLY: return "the database cannot be written (read-only)"
        case .SQLITE_CANTOPEN: return "the database file cannot be opened"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "the database file is damaged"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is locked by another process"
        default: return nil
        }
    }
}
