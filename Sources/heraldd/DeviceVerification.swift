import Foundation
import HeraldCore
import HeraldCrypto
import HeraldMatrix

/// Verifying Herald's device with the user's cross-signing (E2EE notes §6–§7): the published
/// master and self-signing keys are read first (no cross-signing, nothing to open), then secret
/// storage is opened with the recovery key or passphrase, the self-signing key decrypted and
/// checked against the published one, and Herald's device keys signed and the signature uploaded.
/// The secret and the private key live only in this call and are wiped (Wipe.swift).
struct DeviceVerification {
    enum Secret {
        case recoveryKey
        case passphrase
    }

    let client: MatrixClient
    let userID: String
    let deviceID: String
    /// Herald's device keys as uploaded (from its Olm account).
    let deviceKeys: JSONValue

    /// Signs the device with the self-signing key that `secret` opens; returns the secret-storage
    /// key, still open, for reading the backup key next. `text` is wiped before this returns.
    func run(_ kind: Secret, text: inout [UInt8]) async throws -> SecretStorageKey {
        defer { Wipe.bytes(&text) }
        let published = try PublishedCrossSigningKeys(userID: userID, keysQuery: try await client.queryKeys(of: userID))
        let keyID = try SecretStorageKeyDescription.defaultKeyID(
            try await client.accountData(userID: userID, type: "m.secret_storage.default_key"))
        guard let content = try await client.accountData(userID: userID, type: "m.secret_storage.key.\(keyID)") else {
            throw SecretStorageError.notSetUp
        }
        let description = try SecretStorageKeyDescription(keyID: keyID, content: content)
        let key: SecretStorageKey
        switch kind {
        case .recoveryKey: key = try SecretStorageKey.open(recoveryKey: &text, description)
        case .passphrase: key = try SecretStorageKey.open(passphrase: &text, description)
        }
        let name = "m.cross_signing.self_signing"
        guard let stored = try await client.accountData(userID: userID, type: name) else {
            throw SecretStorageError.secretNotStored(name)
        }
        let selfSigning = try SelfSigningKey(try key.signingKey(name, from: stored), published: published)
        try await client.uploadSignatures(try selfSigning.signatureUpload(deviceKeys: deviceKeys, deviceID: deviceID))
        return key
    }
}
