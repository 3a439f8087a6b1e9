import HeraldControl
import HeraldCore
import HeraldSecrets
import Synchronization

/// Seals and opens tokens for the database with the key from the Secret Service or key file.
/// Until the key can be had (a keyring that is missing, locked or whose prompt was dismissed),
/// it waits: sealing and opening throw `TokenKeyUnavailable`, and nothing is wiped for it.
final class Sealer: Sendable {
    enum State: Sendable {
        case waiting(reason: String)
        case ready(TokenCipher)
    }

    /// "secret-service" or "key-file": where the key is, or will be, kept.
    let backend: String
    private let state: Mutex<State>

    init(backend: String, state: State) {
        self.backend = backend
        self.state = Mutex(state)
    }

    var isReady: Bool { state.withLock { if case .ready = $0 { true } else { false } } }

    /// Why the key cannot be had, while it cannot.
    var waitingReason: String? { state.withLock { if case .waiting(let why) = $0 { why } else { nil } } }

    /// What it waits for: "the keyring", or "the key file".
    var awaited: String { backend == "key-file" ? "the key file" : "the keyring" }

    /// What `heraldctl status` shows as "Secrets".
    var summary: String {
        waitingReason.map { "\(backend), waiting for \(awaited): \($0)" } ?? backend
    }

    func provide(_ cipher: TokenCipher) { state.withLock { $0 = .ready(cipher) } }

    func wait(because reason: String) { state.withLock { $0 = .waiting(reason: reason) } }

    func seal(_ token: String, for id: UserID) throws -> [UInt8] { try cipher().seal(token, context: id.rawValue) }
    func open(_ blob: [UInt8], for id: UserID) throws -> String { try cipher().open(blob, context: id.rawValue) }
    /// Bytes (an encryption pickle), bound to the account and to `purpose` ("olm-account", …).
    func seal(bytes: [UInt8], for id: UserID, purpose: String) throws -> [UInt8] {
        try cipher().seal(bytes: bytes, context: "\(id.rawValue) \(purpose)")
    }
    func open(bytes blob: [UInt8], for id: UserID, purpose: String) throws -> [UInt8] {
        try cipher().open(bytes: blob, context: "\(id.rawValue) \(purpose)")
    }

    private func cipher() throws(TokenKeyUnavailable) -> TokenCipher {
        let awaited = awaited
        return try state.withLock { s throws(TokenKeyUnavailable) in
            switch s {
            case .ready(let cipher): return cipher
            case .waiting(let reason): throw TokenKeyUnavailable(reason: reason, awaited: awaited)
            }
        }
    }
}

/// The token key cannot be had now; it may later (see KeyringWait).
struct TokenKeyUnavailable: Error, CustomStringConvertible {
    let reason: String
    var awaited = "the keyring"
    var description: String { "waiting for \(awaited): \(reason)" }

    /// What a control call that needs the key answers meanwhile.
    var controlError: ControlError {
        .internal(message: "Herald is waiting for \(awaited) (\(reason)); `heraldctl doctor` says how to fix it")
    }
}
