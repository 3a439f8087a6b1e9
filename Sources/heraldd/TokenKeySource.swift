import Foundation
import HeraldCore
import HeraldDBus
import HeraldSecrets
import Logging

/// Where heraldd gets its token key, chosen once at start from `secrets.key_store`, the bus
/// and the key file already on disk. The choice is never changed while running: a second
/// keeper would hold a second key, which does not open the tokens sealed with the first.
struct TokenKeySource: Sendable {
    private enum Keeper: Sendable {
        case store(any TokenKeyStore)
        /// The Secret Service is required but was not on the bus at start: asked again each time.
        case secretServiceWhenItComes(BusConnection?)
        /// The configuration contradicts what is on disk: nothing works until it is changed.
        case refused(String)
    }

    private let keeper: Keeper
    let logger: Logger

    /// "secret-service" or "key-file".
    var backend: String {
        switch keeper {
        case .store(let store): store.backend
        case .secretServiceWhenItComes: "secret-service"
        case .refused: "key-file"
        }
    }

    /// Whether a keyring prompt may help (so it is worth showing once).
    var mayPrompt: Bool { backend == "secret-service" }

    static func choose(_ choice: KeyStoreChoice, keyFile: String, bus: BusConnection?, logger: Logger) async -> TokenKeySource {
        if FileManager.default.fileExists(atPath: keyFile) {
            // Tokens already sealed with the file's key: switching keepers would make them unreadable.
            guard choice != .secretService else {
                return TokenKeySource(keeper: .refused("""
                    secrets.key_store is "secret-service" but tokens are sealed with the key file \(keyFile): \
                    sign every account out (heraldctl logout --all), delete the file, then restart heraldd
                    """), logger: logger)
            }
            return TokenKeySource(keeper: .store(KeyFileStore(path: keyFile, logger: logger)), logger: logger)
        }
        if choice == .keyFile {
            logger.notice("token key kept in a key file, as secrets.key_store asks", metadata: ["path": "\(keyFile)"])
            return TokenKeySource(keeper: .store(KeyFileStore(path: keyFile, logger: logger)), logger: logger)
        }
        do {
            let store = try await TokenKeyStores.choose(bus: bus, keyFilePath: keyFile,
                                                        requireSecretService: choice == .secretService, logger: logger)
            return TokenKeySource(keeper: .store(store), logger: logger)
        } catch {
            return TokenKeySource(keeper: .secretServiceWhenItComes(bus), logger: logger)
        }
    }

    /// The key, as a cipher. Without `prompting`, nothing is shown to the user.
    func attempt(prompting: Bool) async throws -> TokenCipher {
        switch keeper {
        case .store(let store):
            return try TokenCipher(key: try await store.loadOrCreateKey(prompting: prompting))
        case .secretServiceWhenItComes(let bus):
            let store = try await TokenKeyStores.choose(bus: bus, keyFilePath: "", requireSecretService: true, logger: logger)
            return try TokenCipher(key: try await store.loadOrCreateKey(prompting: prompting))
        case .refused(let why):
            throw DaemonFailure(why)
        }
    }

    /// A sealer with the key when it can be had at once, without asking anything of the user;
    /// otherwise one that waits (KeyringWait then asks, and retries).
    func firstSealer() async -> Sealer {
        do {
            let cipher = try await attempt(prompting: false)
            logger.info("token key kept by \(backend)")
            return Sealer(backend: backend, state: .ready(cipher))
        } catch {
            logger.notice("the token key cannot be had yet: \(error)", metadata: ["backend": "\(backend)"])
            return Sealer(backend: backend, state: .waiting(reason: "\(error)"))
        }
    }
}
