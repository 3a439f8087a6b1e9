import HeraldStore
import Logging
import Synchronization

/// What is wrong with the database, kept in memory (a database that cannot be written cannot
/// record its own trouble) and reported by `status`, `doctor` and the STATUS= line.
final class StorageHealth: Sendable {
    enum FileChange: Sendable, Equatable { case deleted, replaced }

    private struct State {
        /// The last write's failure, cleared by the next write that succeeds.
        var writeFailure: String?
        /// The file at the database's path is gone or another one: what is written now is lost at exit.
        var fileChange: FileChange?
        /// At start: a token key but no database.
        var lostAccounts: (keeper: String, deviceName: String)?
    }

    let path: String
    private let opened: FileIdentity?
    private let state = Mutex(State())
    private let logger: Logger

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
        opened = FileIdentity.of(path)
    }

    /// A write succeeded: clears a write failure, and checks that the file is still the one
    /// opened (one stat, after each sync answer's commit: no timer of its own).
    func wrote() {
        let now = opened == nil ? nil : FileIdentity.of(path)
        let (recovered, change) = state.withLock { s -> (Bool, FileChange?) in
            let recovered = s.writeFailure != nil
            s.writeFailure = nil
            guard let opened, s.fileChange == nil, now != opened else { return (recovered, nil) }
            s.fileChange = now == nil ? .deleted : .replaced
            return (recovered, s.fileChange)
        }
        if recovered {
            logger.notice("the database can be written again", metadata: ["database": "\(path)"])
        }
        if let change {
            logger.error("\(Self.text(change, path: path))", metadata: ["database": "\(path)"])
        }
        if recovered || change != nil { ServiceStatus.shared.setStorage(summary) }
    }

    /// A write failed. Returns the reason to show when it is a storage fault (disk full, I/O
    /// error, read-only), nil for any other error.
    @discardableResult
    func failed(_ error: any Error) -> String? {
        guard let fault = StorageFault.describe(error) else { return nil }
        let first = state.withLock { s -> Bool in
            defer { s.writeFailure = fault }
            return s.writeFailure != fault
        }
        if first {
            logger.error("cannot write the database: \(fault)", metadata: ["database": "\(path)"])
            ServiceStatus.shared.setStorage(summary)
        }
        return "cannot write the database: \(fault)"
    }

    /// At start, no database but a token key: the accounts signed in before are gone.
    func accountsLost(keeper: String, deviceName: String) {
        state.withLock { $0.lostAccounts = (keeper, deviceName) }
        ServiceStatus.shared.setStorage(summary)
        logger.error("\(Self.lostText(keeper: keeper, deviceName: deviceName, path: path))")
    }

    /// Every problem, for status; nil when all is well.
    var problem: String? {
        let s = state.withLock { $0 }
        var parts: [String] = []
        if let w = s.writeFailure { parts.append("cannot write \(path): \(w)") }
        if let c = s.fileChange { parts.append(Self.text(c, path: path)) }
        if let l = s.lostAccounts { parts.append(Self.lostText(keeper: l.keeper, deviceName: l.deviceName, path: path)) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// A few words for the STATUS= line.
    var summary: String? {
        let s = state.withLock { $0 }
        if s.writeFailure != nil { return "database cannot be written" }
        if let c = s.fileChange { return c == .deleted ? "database file deleted" : "database file replaced" }
        if s.lostAccounts != nil { return "accounts lost with the database" }
        return nil
    }

    static func text(_ change: FileChange, path: String) -> String {
        let what = change == .deleted ? "was deleted" : "was replaced by another file"
        return "the database file \(path) \(what) while heraldd was running: the accounts are lost when it stops. "
            + "Sign them out now (heraldctl logout --all) so that their devices do not stay signed in at the "
            + "homeserver, then restart heraldd and sign in again"
    }

    static func lostText(keeper: String, deviceName: String, path: String) -> String {
        "no database at \(path), but a token key in the \(keeper): the accounts signed in here were lost. "
            + "Their devices, named \"\(deviceName)\", are still signed in at their homeservers: sign each one out "
            + "from another Matrix client (Settings, Sessions) or ask the homeserver's administrator, then sign in "
            + "again with heraldctl account add"
    }
}
