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
        guard account.state != "signed_out", let session = session(for: id) else {
            throw ControlError.accountSignedOut(account: id.rawValue, reason: account.stateReason ?? "signed out")
        }
        guard let sealed = try store.olmAccount(of: id) else {
            throw ControlError.verificationFailed(
                reason: "this device has no encryption keys yet: wait until \(id) has synced once (heraldctl status), then try again")
        }
        let olm = try OlmAccount(pickle: sealer.open(bytes: sealed, for: id, purpose: "olm-account"))
        let verification = DeviceVerification(client: try await session.client(), userID: id.rawValue, deviceID: account.deviceID,
                                              deviceKeys: try olm.deviceKeys(userID: id.rawValue, deviceID: account.deviceID))
        do {
            if recoveryKey != nil {
                _ = try await verification.run(.recoveryKey, text: &recoveryKey!)
            } else if passphrase != nil {
                _ = try await verification.run(.passphrase, text: &passphrase!)
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
        return VerifyDeviceReply(backupVersion: nil)
    }
}
