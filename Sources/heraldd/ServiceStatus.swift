import HeraldControl
import HeraldCore
import HeraldStore
import ServiceLifecycle
import Synchronization

/// The service's `STATUS=` line (`systemctl --user status herald`): the accounts' summary, plus
/// the loops the watchdog found wedged. `StatusService` recomputes the line when the accounts
/// change and sends it when it differs from the last one sent.
/// One shared instance: the line belongs to the process, like sd_notify itself.
final class ServiceStatus: Sendable {
    static let shared = ServiceStatus()

    private struct State {
        var accounts = "starting"
        var wedged: [String] = []
        /// The database's trouble (StorageHealth.summary).
        var storage: String?
        var sent: String?
    }
    private let state = Mutex(State())
    let requests: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    private init() {
        // Requests coalesce: one pending refresh covers every change made before it runs.
        (requests, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for the accounts' summary to be recomputed; cheap, never blocks.
    func refresh() { continuation.yield() }

    func setAccounts(_ summary: String) { update { $0.accounts = summary } }

    /// The loops the watchdog found silent for too long (empty again once they recover).
    func setWedged(_ names: [String]) { update { $0.wedged = names } }

    func setStorage(_ summary: String?) { update { $0.storage = summary } }

    /// The current line, e.g. "2 accounts, 1 locked, syncing".
    var line: String { state.withLock { Self.compose($0) } }

    /// READY=1 with the first status line, in one message.
    func ready(accounts summary: String) {
        let line = state.withLock { s in
            s.accounts = summary
            s.sent = Self.compose(s)
            return s.sent!
        }
        SystemdNotify.send("READY=1\nSTATUS=\(line)")
    }

    private func update(_ change: (inout State) -> Void) {
        let toSend: String? = state.withLock { s in
            change(&s)
            let line = Self.compose(s)
            guard line != s.sent else { return nil }
            s.sent = line
            return line
        }
        if let toSend { SystemdNotify.send("STATUS=\(toSend)") }
    }

    private static func compose(_ s: State) -> String {
        var line = s.wedged.isEmpty ? s.accounts : "\(s.accounts); wedged: \(s.wedged.joined(separator: ", "))"
        if let storage = s.storage { line += "; \(storage)" }
        return line
    }
}

/// Recomputes the status line whenever an account is added, removed or changes state in the
/// database, and whenever `ServiceStatus.refresh()` is called (locks live in memory only).
struct StatusService: Service {
    let daemon: Daemon

    func run() async throws {
        let observation = daemon.store.observeAccountStates { ServiceStatus.shared.refresh() }
        defer { observation.cancel() }
        for await _ in ServiceStatus.shared.requests.cancelOnGracefulShutdown() {
            ServiceStatus.shared.setAccounts(await daemon.statusSummary())
        }
    }
}

extension Daemon {
    /// "2 accounts, 1 locked, syncing", from the accounts as `heraldctl status` shows them; while
    /// the token key cannot be had, it says so even when no account waits for it.
    func statusSummary() -> String {
        guard let accounts = try? listAccounts() else { return "cannot read the accounts" }
        let summary = ServiceStatusLine.summary(states: accounts.map(\.state), locked: accounts.filter(\.locked).count)
        let shown = accounts.contains { $0.state == Self.waitingForKeyState }
        return sealer.isReady || shown ? summary : summary + ", waiting for \(sealer.awaited)"
    }
}
