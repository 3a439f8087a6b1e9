import Foundation
import HeraldControl
import HeraldCore
import HeraldCrypto
import HeraldMatrix
import HeraldStore
import Logging

/// `org.herald.Control.VerifyDevice`: cross-signs the account's device (DeviceVerification).
extension Daemon {
    func verifyDevice(_ query: String, recoveryKey: inout [UInt8]?, passphrase: inout [UInt8]?) async throws -> VerifyDeviceReply {
        defer {
            if recoveryKey != nil { Wipe.bytes(&recoveryKey!) }
            if passphrase != nil { Wipe.bytes(&passphrase!) }
        }
        let account = try resolve(query)
        let id = account.userID
        let session = try runningSession(account)
        guard let olm = try await publishedDevice(id, deviceID: account.deviceID) else {
            throw ControlError.verificationFailed(
                reason: "this device has no encryption keys on the server yet: wait until \(id) has synced once (heraldctl status), then try again")
        }
        let verification = DeviceVerification(client: try await session.client(), userID: id.rawValue, deviceID: account.deviceID,
                                              deviceKeys: try olm.deviceKeys(userID: id.rawValue, deviceID: account.deviceID))
        let storageKey: SecretStorageKey
        do {
            if recoveryKey != nil {
                storageKey = try await verification.run(.recoveryKey, text: &recoveryKey!)
            } else if passphrase != nil {
                storageKey = try await verification.run(.passphrase, text: &passphrase!)
            } else {
                throw ControlError.invalidParameter(parameter: "recoveryKey")
            }
        } catch let e as RecoveryKeyError {
            throw ControlError.verificationFailed(reason: e.description)
        } catch let e as SecretStorageError {
            throw ControlError.verificationFailed(reason: e.description)
        } catch let e as CrossSigningError {
            throw ControlError.verificationFailed(reason: e.description)
        } catch let e as MatrixError where e.isTransient {
            throw ControlError.serverUnreachable(homeserver: account.homeserver, reason: e.description)
        } catch let e as MatrixError {
            throw ControlError.verificationFailed(reason: "the homeserver refused: \(e.description)")
        }
        logger.notice("device verified with the account's cross-signing", metadata: ["account": "\(id)", "device": "\(account.deviceID)"])
        trust.set(id, .verified)
        return VerifyDeviceReply(backupVersion: await keepBackupKey(id, client: verification.client, storageKey: storageKey))
    }

    /// The session of a running account: a signed-out one needs a new sign-in, one that waits
    /// for the token key cannot talk to its homeserver yet.
    private func runningSession(_ account: StoredAccount) throws -> TokenSession {
        let id = account.userID
        guard account.state != "signed_out" else {
            throw ControlError.accountSignedOut(account: id.rawValue, reason: account.stateReason ?? "signed out")
        }
        guard let session = session(for: id) else {
            throw ControlError.verificationFailed(reason: "\(id) is not running yet (heraldctl status says why): try again once it syncs")
        }
        return session
    }

    /// The account's Olm device once its keys are on the server; a newly added account makes
    /// them at its first sync, so this waits for that a while (30 s), then gives up with nil.
    private func publishedDevice(_ id: UserID, deviceID: String) async throws -> OlmAccount? {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if let sealed = try store.olmAccount(of: id) {
                let olm = try OlmAccount(pickle: sealer.open(bytes: sealed, for: id, purpose: "olm-account"))
                if try olm.unpublishedOneTimeKeys(userID: id.rawValue, deviceID: deviceID).isEmpty { return olm }
            }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    func checkVerification(_ query: String) async throws -> CheckVerificationReply {
        let account = try resolve(query)
        let id = account.userID
        let session = try runningSession(account)
        let answer: HeraldCore.JSONValue
        do {
            answer = try await session.client().queryKeys(of: id.rawValue)
        } catch let e as MatrixError where e.isTransient {
            throw ControlError.serverUnreachable(homeserver: account.homeserver, reason: e.description)
        }
        let published = (try? PublishedCrossSigningKeys(userID: id.rawValue, keysQuery: answer)) != nil
        return CheckVerificationReply(crossSigning: published,
                                      verified: DeviceTrust.of(device: account.deviceID, user: id.rawValue, keysQuery: answer) == .verified)
    }

    /// The key backup's private key, from secret storage, checked against the backup's public
    /// key and kept sealed; the backup version, or nil when there is no backup Herald can read.
    /// The device is verified either way: a backup that cannot be read is only logged.
    private func keepBackupKey(_ id: UserID, client: MatrixClient, storageKey: SecretStorageKey) async -> String? {
        do {
            guard let answer = try await client.keyBackupVersion() else {
                try store.dropKeyBackup(id)
                return nil
            }
            let version = try KeyBackupVersion(answer)
            let name = "m.megolm_backup.v1"
            guard let stored = try await client.accountData(userID: id.rawValue, type: name) else {
                throw SecretStorageError.secretNotStored(name)
            }
            let key = try KeyBackupKey(try storageKey.agreementKey(name, from: stored), for: version)
            var raw = key.bytesToSeal()
            defer { Wipe.bytes(&raw) }
            try store.setKeyBackup(id, version: key.version, sealedKey: sealer.seal(bytes: raw, for: id, purpose: KeyBackupReader.purpose))
            logger.notice("the key backup's key is kept", metadata: ["account": "\(id)", "version": "\(key.version)"])
            return key.version
        } catch {
            logger.warning("the key backup cannot be read: \(error)", metadata: ["account": "\(id)"])
            return nil
        }
    }
}
