import Foundation
import HeraldCore
import HeraldCrypto
import HeraldMatrix
import HeraldStore
import Logging
import Synchronization

/// Whether Herald's device of an account is verified: signed by the user's current self-signing
/// key, itself signed by the master key, as `/keys/query` shows them. A reset of cross-signing
/// elsewhere publishes new keys that never signed Herald: the device is unverified again.
enum DeviceTrust: String, Sendable, Equatable {
    case verified
    case unverified

    static func of(device: String, user: String, keysQuery: JSONValue) -> DeviceTrust {
        guard let published = try? PublishedCrossSigningKeys(userID: user, keysQuery: keysQuery),
              let keys = keysQuery["device_keys"]?[user]?[device],
              keys["user_id"]?.string == user, keys["device_id"]?.string == device,
              SignedJSON.verify(keys, user: user, keyID: published.selfSigningKey, publicKey: published.selfSigningKey)
        else { return .unverified }
        return .verified
    }
}

/// Each account's device trust as last checked, in memory (status reads it).
final class DeviceTrustBoard: Sendable {
    private let entries = Mutex<[UserID: DeviceTrust]>([:])

    func set(_ id: UserID, _ trust: DeviceTrust) { entries.withLock { $0[id] = trust } }
    func trust(_ id: UserID) -> DeviceTrust? { entries.withLock { $0[id] } }
    func remove(_ id: UserID) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}

/// The sync loop's check of its device's trust: at the first answer, and whenever the answer
/// says the user's devices or keys changed (`device_lists.changed`). An unverified device
/// loses the key backup's key: revocation elsewhere takes away what verification gave.
struct TrustWatch: Sendable {
    let me: UserID
    let deviceID: String
    let store: AppDatabase
    let board: DeviceTrustBoard
    let logger: Logger
    /// Whether the trust was read once since the loop started.
    var checked = false

    mutating func check(after sync: JSONValue, client: MatrixClient) async {
        let changed = sync["device_lists"]?["changed"]?.array?.contains(.string(me.rawValue)) ?? false
        guard !checked || changed else { return }
        let query: JSONValue
        do {
            query = try await client.queryKeys(of: me.rawValue)
        } catch {
            // A server that cannot say is asked again only when it is unreachable now.
            if let e = error as? MatrixError, e.isTransient {} else { checked = true }
            logger.info("device trust not checked: \(error)")
            return
        }
        checked = true
        let trust = DeviceTrust.of(device: deviceID, user: me.rawValue, keysQuery: query)
        let before = board.trust(me)
        board.set(me, trust)
        if trust != before { logger.notice("this device is \(trust.rawValue)") }
        if trust == .unverified, (try? store.dropKeyBackup(me)) == true {
            logger.notice("the key backup's key is dropped: this device is no longer verified")
        }
    }
}
