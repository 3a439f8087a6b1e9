import HeraldDBus
import Logging

/// The token key as an item in the Secret Service (GNOME Keyring, KeePassXC, KWallet…), in the
/// default collection, labelled "Herald token key".
///
/// A locked keyring is unlocked through the service's prompt — the desktop asks the user for
/// the keyring password — and the key is read then; nothing is cached here.
public struct SecretServiceStore: TokenKeyStore {
    public var backend: String { "secret-service" }
    static let attributes = [("application", "herald"), ("xdg:schema", "org.herald.TokenKey")]
    static let itemLabel = "Herald token key"
    static let defaultCollectionLabel = "Default keyring"

    let service: SecretService
    private let logger: Logger
    private let promptTimeout: Duration

    public init(bus: BusConnection, logger: Logger) {
        self.init(bus: bus, logger: logger, promptTimeout: .seconds(120))
    }

    init(bus: BusConnection, logger: Logger, promptTimeout: Duration) {
        self.service = SecretService(bus: bus)
        self.logger = logger
        self.promptTimeout = promptTimeout
    }

    public func loadOrCreateKey(prompting: Bool) async throws -> [UInt8] {
        let session = try await service.openPlainSession()
        do {
            let key = try await loadOrCreateKey(session: session, prompting: prompting)
            try? await service.closeSession(session)
            return key
        } catch {
            try? await service.closeSession(session)
            throw error
        }
    }

    public func deleteKey() async throws {
        let found = try await service.searchItems(Self.attributes)
        for item in found.unlocked + found.locked {
            let prompt = try await service.deleteItem(item)
            if prompt != SecretService.noObject {
                _ = try await service.complete(prompt: prompt, purpose: "deleting Herald's token key", timeout: promptTimeout)
            }
            logger.notice("deleted token key from the Secret Service", metadata: ["item": "\(item)"])
        }
    }

    private func loadOrCreateKey(session: String, prompting: Bool) async throws -> [UInt8] {
        if let key = try await existingKey(session: session, prompting: prompting) { return key }
        return try await createKey(session: session, prompting: prompting)
    }

    /// The key in the item Herald stored, nil when a search finds none.
    private func existingKey(session: String, prompting: Bool) async throws -> [UInt8]? {
        let found = try await service.searchItems(Self.attributes)
        // Sorted, so that the same item is chosen every time if there ever are several.
        let items = (found.unlocked + found.locked).sorted()
        guard let item = items.first else { return nil }
        if items.count > 1 {
            logger.warning("several Herald token keys in the Secret Service; using the first", metadata: ["items": "\(items)"])
        }
        if found.locked.contains(item) {
            try await unlock(item, purpose: "unlocking the keyring that holds Herald's token key", prompting: prompting)
        }
        guard let key = try await service.secret(of: item, session: session) else {
            throw SecretServiceError.secretMissing(item: item)
        }
        guard key.count == TokenCipher.keyByteCount else {
            throw SecretServiceError.badKeyLength(item: item, length: key.count)
        }
        logger.debug("token key read from the Secret Service", metadata: ["item": "\(item)"])
        return key
    }

    private func createKey(session: String, prompting: Bool) async throws -> [UInt8] {
        let collection = try await defaultCollection(prompting: prompting)
        try await unlock(collection, purpose: "unlocking the default keyring to store Herald's token key", prompting: prompting)
        // A locked keyring may hide its items from a search (gnome-keyring does): now that it is
        // open, the key may be found, and must not be replaced by a new one.
        if let key = try await existingKey(session: session, prompting: prompting) { return key }
        let key = randomBytes(TokenCipher.keyByteCount)
        let created = try await service.createItem(
            in: collection, label: Self.itemLabel, attributes: Self.attributes,
            secret: key, contentType: "application/octet-stream", session: session, replace: true)
        var item = created.item
        if item == SecretService.noObject {
            guard prompting else { throw SecretServiceError.itemNotCreated }
            item = try await service.complete(
                prompt: created.prompt, purpose: "storing Herald's token key", timeout: promptTimeout
            ).first ?? SecretService.noObject
            guard item != SecretService.noObject else { throw SecretServiceError.itemNotCreated }
        }
        logger.notice("created token key in the Secret Service", metadata: ["item": "\(item)", "collection": "\(collection)"])
        return key
    }

    /// The collection the "default" alias names, created when there is none.
    private func defaultCollection(prompting: Bool) async throws -> String {
        let existing = try await service.readAlias("default")
        if existing != SecretService.noObject { return existing }
        guard prompting else { throw SecretServiceError.noDefaultCollection }
        logger.notice("the Secret Service has no default keyring: creating one")
        let created = try await service.createCollection(label: Self.defaultCollectionLabel, alias: "default")
        if created.collection != SecretService.noObject { return created.collection }
        let collection = try await service.complete(
            prompt: created.prompt, purpose: "creating a default keyring", timeout: promptTimeout
        ).first ?? SecretService.noObject
        guard collection != SecretService.noObject else { throw SecretServiceError.noDefaultCollection }
        return collection
    }

    /// Unlocks an item or collection, through a prompt when the service needs one and `prompting`.
    private func unlock(_ object: String, purpose: String, prompting: Bool) async throws {
        let result = try await service.unlock([object])
        if result.unlocked.contains(object) { return }
        guard prompting, result.prompt != SecretService.noObject else { throw SecretServiceError.stillLocked(object: object) }
        logger.notice("waiting for the keyring to be unlocked", metadata: ["object": "\(object)"])
        let unlocked = try await service.complete(prompt: result.prompt, purpose: purpose, timeout: promptTimeout)
        guard unlocked.contains(object) else { throw SecretServiceError.stillLocked(object: object) }
    }
}

public enum SecretServiceError: Error, Equatable, CustomStringConvertible {
    /// No Secret Service, and the configuration refuses the key file.
    case unavailable(reason: String)
    case promptDismissed(purpose: String)
    case promptTimedOut(purpose: String, seconds: Int)
    case stillLocked(object: String)
    case noDefaultCollection
    case itemNotCreated
    case secretMissing(item: String)
    case badKeyLength(item: String, length: Int)

    public var description: String {
        switch self {
        case .unavailable(let reason):
            "no Secret Service (\(reason)), and the configuration refuses to keep the token key in a file"
        case .promptDismissed(let purpose):
            "the keyring prompt for \(purpose) was dismissed"
        case .promptTimedOut(let purpose, let seconds):
            "nobody answered the keyring prompt for \(purpose) within \(seconds) s"
        case .stillLocked(let object):
            "the Secret Service left \(object) locked"
        case .noDefaultCollection:
            "the Secret Service has no default keyring and did not create one"
        case .itemNotCreated:
            "the Secret Service did not store Herald's token key"
        case .secretMissing(let item):
            "the Secret Service returned no secret for \(item)"
        case .badKeyLength(let item, let length):
            "the Secret Service item \(item) holds \(length) bytes, not a \(TokenCipher.keyByteCount)-byte Herald token key"
        }
    }
}
