#if canImport(Glibc)
import Glibc
#endif

/// Whether standard error is connected to the journal, as sd_journal_stream_fd(3) tells a
/// service to check: systemd sets `JOURNAL_STREAM=<device>:<inode>` of the stream it hands
/// over, and only a process whose stderr is still that very stream should switch to the native
/// protocol. A child whose stderr was redirected (a test, `heraldd 2>file`) keeps plain text.
public enum JournalStream {
    public static func standardErrorIsJournal(environment: [String: String]) -> Bool {
        var st = stat()
        guard fstat(STDERR_FILENO, &st) == 0 else { return false }
        return matches(environment["JOURNAL_STREAM"], device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// `value` is "device:inode" in decimal, as systemd writes it.
    public static func matches(_ value: String?, device: UInt64, inode: UInt64) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let d = UInt64(parts[0]), let i = UInt64(parts[1]) else { return false }
        return d == device && i == inode
    }
}
