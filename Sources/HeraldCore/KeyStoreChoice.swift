/// Where heraldd keeps the key that encrypts the stored tokens (`secrets.key_store`).
public enum KeyStoreChoice: String, Sendable, Equatable {
    /// The Secret Service when the session bus reaches one, otherwise the key file.
    case auto
    /// The Secret Service only: without one, accounts wait for it.
    case secretService = "secret-service"
    /// The 0600 key file next to the database, even when a Secret Service runs.
    case keyFile = "key-file"

    /// This choice, made on `line`, after `earlier` from a line above: `require_secret_service`
    /// and `key_store` may both be written, but must not contradict each other.
    func merged(with earlier: KeyStoreChoice, line: Int, key: String) throws -> KeyStoreChoice {
        guard earlier == .auto || earlier == self else {
            throw Config.ParseError.value(
                line: line, key: key, message: "contradicts the secrets setting above (\(earlier.rawValue))")
        }
        return self
    }
}
