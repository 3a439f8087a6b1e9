/// Why secret storage could not be opened or read. The descriptions are for the user and carry
/// no key material.
public enum SecretStorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The account has no default secret-storage key.
    case notSetUp
    /// The key's check (or a secret's MAC) does not match: the wrong recovery key or passphrase.
    case wrongKey(SecretStorageKey.Origin)
    /// The key description has no passphrase: only the recovery key opens it.
    case noPassphrase
    /// The stored PBKDF2 iteration count is outside what Herald accepts.
    case iterationsOutOfRange(Int)
    /// The secret is not encrypted with this key.
    case secretNotStored(String)
    case unsupported(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .notSetUp:
            return "this account has no secret storage: set up recovery in your chat client first (in Element: Settings, Encryption)"
        case .wrongKey(.recoveryKey): return "that recovery key does not open this account's secret storage"
        case .wrongKey(.passphrase): return "that passphrase does not open this account's secret storage"
        case .noPassphrase:
            return "this account's secret storage has no passphrase: use the recovery key instead"
        case .iterationsOutOfRange(let n):
            return "this account's secret storage asks for \(n) passphrase iterations, outside 1 to "
                + "\(SecretStorageKeyDescription.maxIterations): use the recovery key instead"
        case .secretNotStored(let name): return "\(name) is not in this account's secret storage under its default key"
        case .unsupported(let what): return "this account's secret storage uses \(what), which Herald does not support"
        case .malformed(let what): return "this account's secret storage is malformed: \(what)"
        }
    }
}
