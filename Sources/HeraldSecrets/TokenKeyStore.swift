import HeraldDBus
import Logging

/// Keeps the 32-byte key that `TokenCipher` encrypts tokens with.
public protocol TokenKeyStore: Sendable {
    /// "secret-service" or "key-file", for `heraldctl status`.
    var backend: String { get }
    /// The 32-byte key, created and stored on first use. Without `prompting`, nothing is asked
    /// of the user: a keyring that would need a prompt (to be unlocked or created) is an error.
    func loadOrCreateKey(prompting: Bool) async throws -> [UInt8]
    /// Deletes the stored key, if there is one. Never called by the daemon on its own (tokens
    /// encrypted with the key would be lost): for tests and `doctor`.
    func deleteKey() async throws
}

extension TokenKeyStore {
    public func loadOrCreateKey() async throws -> [UInt8] { try await loadOrCreateKey(prompting: true) }
}

public enum TokenKeyStores {
    /// Picks where the token key lives: the Secret Service when `bus` reaches one (running or
    /// activatable), otherwise the key file — unless `requireSecretService`, which makes a
    /// missing Secret Service an error instead.
    ///
    /// Only the choice is made here: the key is read (and any unlock prompt shown) by
    /// `loadOrCreateKey()`. A Secret Service that then fails is not replaced by the file, since a
    /// second key would not open tokens sealed with the first.
    public static func choose(
        bus: BusConnection?, keyFilePath: String, requireSecretService: Bool, logger: Logger
    ) async throws -> any TokenKeyStore {
        var reason = "no session bus"
        if let bus {
            do {
                if try await BusDaemon(bus: bus).canReach(SecretService.name) {
                    logger.info("token key kept in the Secret Service", metadata: ["backend": "secret-service"])
                    return SecretServiceStore(bus: bus, logger: logger)
                }
                reason = "\(SecretService.name) is neither running nor activatable on the session bus"
            } catch {
                reason = "cannot ask the session bus for \(SecretService.name): \(error)"
            }
        }
        if requireSecretService {
            throw SecretServiceError.unavailable(reason: reason)
        }
        logger.notice(
            "token key kept in a key file: \(reason)",
            metadata: ["backend": "key-file", "path": "\(keyFilePath)"])
        return KeyFileStore(path: keyFilePath)
    }
}
