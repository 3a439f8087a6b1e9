import Crypto
import HeraldCore
import Testing
@testable import HeraldCrypto

/// Key backup data encrypted by python-olm's and vodozemac's `PkEncryption`, holding a Megolm
/// session exported by python-olm, whose messages the restored session must decrypt.
@Suite struct KeyBackupTests {
    static let encrypters = ["libolm", "vodozemac"]

    private func backupKey() throws -> KeyBackupKey {
        let storage = try SecretStorageVectors.openStorage()
        let key = try storage.agreementKey("m.megolm_backup.v1", from: try SecretStorageVectors.value("storage", "secrets", "m.megolm_backup.v1"))
        return try KeyBackupKey(key, for: try KeyBackupVersion(try SecretStorageVectors.value("backup", "version")))
    }

    @Test("the backup key from secret storage matches the backup version, not another one")
    func keyMatchesVersion() throws {
        #expect(try backupKey().version == "1")
        let key = try backupKey().key
        #expect(throws: CryptoError.payloadMismatch("backup public key")) {
            try KeyBackupKey(key, for: try KeyBackupVersion(try SecretStorageVectors.value("backup", "other_version")))
        }
        var version = try #require(try SecretStorageVectors.value("backup", "version").object)
        version["algorithm"] = "m.megolm_backup.v2"
        #expect(throws: CryptoError.unsupported("key backup algorithm")) { try KeyBackupVersion(.object(version)) }
    }

    @Test("the key as sealed (its raw bytes) opens the same backup again, and no other")
    func sealedBytesRoundTrip() throws {
        var raw = try backupKey().bytesToSeal()
        #expect(raw.count == 32)
        let again = try KeyBackupKey(sealedBytes: raw, for: try KeyBackupVersion(try SecretStorageVectors.value("backup", "version")))
        #expect(try again.roomKey(try SecretStorageVectors.value("backup", "libolm")).session.sessionID
                == (try SecretStorageVectors.string("backup", "session_id")))
        #expect(throws: CryptoError.payloadMismatch("backup public key")) {
            try KeyBackupKey(sealedBytes: raw, for: try KeyBackupVersion(try SecretStorageVectors.value("backup", "other_version")))
        }
        Wipe.bytes(&raw)
    }

    @Test("session data decrypts into an unauthenticated session that decrypts python-olm's messages", arguments: encrypters)
    func restoresSession(encrypter: String) throws {
        let roomKey = try backupKey().roomKey(try SecretStorageVectors.value("backup", encrypter))
        #expect(roomKey.session.sessionID == (try SecretStorageVectors.string("backup", "session_id")))
        #expect(roomKey.senderKey == (try SecretStorageVectors.string("backup", "sender_key")))
        #expect(roomKey.claimedEd25519Key == (try SecretStorageVectors.string("backup", "claimed_ed25519")))
        #expect(roomKey.forwardingChainLength == 0)
        #expect(!roomKey.session.isAuthenticated)
        let messages = try #require(try SecretStorageVectors.value("backup", "messages").array)
        #expect(messages.count == 3)
        var session = roomKey.session
        for message in messages {
            let decrypted = try session.decrypt(try #require(message["ciphertext"]?.string))
            #expect(Int(decrypted.messageIndex) == message["index"]?.int)
            #expect(String(decoding: decrypted.plaintext, as: UTF8.self) == message["plaintext"]?.string)
        }
    }

    @Test("a flipped MAC bit is refused before decrypting")
    func badMAC() throws {
        #expect(throws: CryptoError.badMAC) { try backupKey().roomKey(try SecretStorageVectors.value("backup", "bad_mac")) }
    }

    @Test("malformed or oversized session data is a rejection, not a crash")
    func malformed() throws {
        let key = try backupKey()
        let good = try #require(try SecretStorageVectors.value("backup", "libolm", "session_data").object)
        var noEphemeral = good
        noEphemeral["ephemeral"] = nil
        #expect(throws: CryptoError.malformed("key backup session data")) { try key.decrypt(sessionData: .object(noEphemeral)) }
        var zeroEphemeral = good
        zeroEphemeral["ephemeral"] = .string(UnpaddedBase64.encode([UInt8](repeating: 0, count: 32)))
        #expect(throws: CryptoError.malformed("Curve25519 key (non-contributory)")) { try key.decrypt(sessionData: .object(zeroEphemeral)) }
        var huge = good
        huge["ciphertext"] = .string(UnpaddedBase64.encode([UInt8](repeating: 7, count: 32 * 1024)))
        #expect(throws: CryptoError.tooLarge("key backup session data")) { try key.decrypt(sessionData: .object(huge)) }
        var ragged = good
        ragged["ciphertext"] = .string(UnpaddedBase64.encode([UInt8](repeating: 7, count: 17)))
        #expect(throws: CryptoError.malformed("key backup ciphertext (length)")) { try key.decrypt(sessionData: .object(ragged)) }
        #expect(throws: CryptoError.malformed("key backup data")) { try key.roomKey(["first_message_index": 0]) }
    }
}
