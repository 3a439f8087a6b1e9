/// Why Herald's device cannot be cross-signed. The descriptions are for the user.
public enum CrossSigningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `/keys/query` has no master or no self-signing key for the user.
    case notSetUp
    /// The published self-signing key carries no valid signature by the published master key.
    case selfSigningKeyNotSignedByMaster
    /// The self-signing key in secret storage is not the published one.
    case selfSigningKeyMismatch
    case malformed(String)

    public var description: String {
        switch self {
        case .notSetUp:
            return "this account has no cross-signing: set it up in your chat client first (in Element: Settings, Encryption)"
        case .selfSigningKeyNotSignedByMaster:
            return "this account's published self-signing key is not signed by its master key: reset cross-signing in your chat client"
        case .selfSigningKeyMismatch:
            return "the self-signing key in secret storage is not the one this account publishes: "
                + "cross-signing was probably reset; verify again in your chat client"
        case .malformed(let what): return "the server's cross-signing keys are malformed: \(what)"
        }
    }
}
