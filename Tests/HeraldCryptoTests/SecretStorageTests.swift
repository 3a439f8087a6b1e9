import Crypto
import HeraldCore
import Testing
@testable import HeraldCrypto

/// Secret storage built from the spec by `ssss_reference.py` (no library implements it): the key
/// from the recovery key or the passphrase, its check, and the secrets it decrypts.
@Suite struct SecretStorageTests {
    private func description() throws -> SecretStorageKeyDescription {
        try SecretStorageVectors.description()
    }

    private func openWithRecoveryKey() throws -> SecretStorageKey {
        try SecretStorageVectors.openStorage()
    }

    private func secret(_ name: String) throws -> JSONValue {
        try SecretStorageVectors.value("storage", "secrets", name)
    }

    private func publicKey(_ key: Curve25519.Signing.PrivateKey) -> String {
        UnpaddedBase64.encode(key.publicKey.rawRepresentation)
    }

    @Test("the recovery key opens secret storage and the text it came in is zeroed")
    func recoveryKeyOpens() throws {
        var text = Array(try SecretStorageVectors.string("storage", "recovery_key").utf8)
        let count = text.count
        let key = try SecretStorageKey.open(recoveryKey: &text, try description())
        #expect(key.origin == .recoveryKey)
        #expect(text == [UInt8](repeating: 0, count: count))
    }

    @Test("another well-formed recovery key is refused with the user's message, and zeroed")
    func wrongRecoveryKey() throws {
        var text = Array(try SecretStorageVectors.string("storage", "wrong_recovery_key").utf8)
        #expect(throws: SecretStorageError.wrongKey(.recoveryKey)) { try SecretStorageKey.open(recoveryKey: &text, try description()) }
        #expect(text.allSatisfy { $0 == 0 })
        #expect(SecretStorageError.wrongKey(.recoveryKey).description == "that recovery key does not open this account's secret storage")
    }

    @Test("a typo is a RecoveryKeyError before any key is tried, and the text is zeroed")
    func typoThroughOpen() throws {
        var text = Array(try SecretStorageVectors.string("recovery", "typos", "bad_parity").utf8)
        #expect(throws: RecoveryKeyError.badParity) { try SecretStorageKey.open(recoveryKey: &text, try description()) }
        #expect(text.allSatisfy { $0 == 0 })
    }

    @Test("the key check: the right key matches, a flipped MAC bit or another key does not, no check matches any key")
    func keyCheck() throws {
        let key = try openWithRecoveryKey()
        let content = try SecretStorageVectors.value("storage", "description")
        #expect(key.matches(try description()))
        let macText = try #require(content["mac"]?.string)
        var mac = try #require(UnpaddedBase64.decode(macText))
        mac[31] ^= 0x80
        var members = try #require(content.object)
        members["mac"] = .string(UnpaddedBase64.encode(mac))
        #expect(!key.matches(try SecretStorageKeyDescription(keyID: key.keyID, content: .object(members))))
        let other = SecretStorageKey(key: SymmetricKey(size: .bits256), origin: .recoveryKey, keyID: key.keyID)
        #expect(!other.matches(try description()))
        members["mac"] = nil
        members["iv"] = nil
        #expect(other.matches(try SecretStorageKeyDescription(keyID: key.keyID, content: .object(members))))
    }

    @Test("the passphrase (PBKDF2-SHA-512, 1,000 iterations, below swift-crypto's checked floor) opens the same storage")
    func passphraseOpens() throws {
        var passphrase = Array(try SecretStorageVectors.string("storage", "passphrase").utf8)
        let count = passphrase.count
        let key = try SecretStorageKey.open(passphrase: &passphrase, try description())
        #expect(key.origin == .passphrase)
        #expect(passphrase == [UInt8](repeating: 0, count: count))
        #expect(publicKey(try key.signingKey("m.cross_signing.self_signing", from: try secret("m.cross_signing.self_signing")))
                == (try SecretStorageVectors.string("cross_signing", "self_signing_public")))
    }

    @Test("a wrong passphrase is refused with its own message")
    func wrongPassphrase() throws {
        var passphrase = Array("correct horse battery staple".utf8)
        #expect(throws: SecretStorageError.wrongKey(.passphrase)) { try SecretStorageKey.open(passphrase: &passphrase, try description()) }
        #expect(SecretStorageError.wrongKey(.passphrase).description == "that passphrase does not open this account's secret storage")
    }

    @Test("iterations are bounded: 0 and 10,000,001 are refused before any work, 10,000,000 is read")
    func iterationBound() throws {
        var members = try #require(try SecretStorageVectors.value("storage", "description").object)
        func parse(_ iterations: JSONValue) throws -> SecretStorageKeyDescription {
            var passphrase = try #require(members["passphrase"]?.object)
            passphrase["iterations"] = iterations
            members["passphrase"] = .object(passphrase)
            return try SecretStorageKeyDescription(keyID: "k", content: .object(members))
        }
        #expect(throws: SecretStorageError.iterationsOutOfRange(10_000_001)) { try parse(.number(10_000_001)) }
        #expect(throws: SecretStorageError.iterationsOutOfRange(0)) { try parse(.number(0)) }
        #expect(throws: SecretStorageError.iterationsOutOfRange(Int.max)) { try parse(.number(1e300)) }
        #expect(throws: SecretStorageError.malformed("the passphrase iterations")) { try parse(.number(1000.5)) }
        #expect(throws: SecretStorageError.malformed("the passphrase iterations")) { try parse(.string("1000")) }
        #expect(try parse(.number(10_000_000)).passphrase?.iterations == 10_000_000)
    }

    @Test("a key with no passphrase cannot be opened by one; bad descriptions are refused")
    func descriptions() throws {
        var members = try #require(try SecretStorageVectors.value("storage", "description").object)
        members["passphrase"] = nil
        var passphrase = Array("anything".utf8)
        #expect(throws: SecretStorageError.noPassphrase) {
            try SecretStorageKey.open(passphrase: &passphrase, try SecretStorageKeyDescription(keyID: "k", content: .object(members)))
        }
        #expect(passphrase.allSatisfy { $0 == 0 })
        var oneSided = members
        oneSided["mac"] = nil
        #expect(throws: SecretStorageError.malformed("the key has one of iv and mac without the other")) {
            try SecretStorageKeyDescription(keyID: "k", content: .object(oneSided))
        }
        var other = members
        other["algorithm"] = "m.secret_storage.v2"
        #expect(throws: SecretStorageError.unsupported("the key algorithm \"m.secret_storage.v2\"")) {
            try SecretStorageKeyDescription(keyID: "k", content: .object(other))
        }
    }

    @Test("decrypts the self-signing, master and backup private keys (padded and unpadded base64)")
    func decryptsSecrets() throws {
        let key = try openWithRecoveryKey()
        #expect(publicKey(try key.signingKey("m.cross_signing.self_signing", from: try secret("m.cross_signing.self_signing")))
                == (try SecretStorageVectors.string("cross_signing", "self_signing_public")))
        #expect(publicKey(try key.signingKey("m.cross_signing.master", from: try secret("m.cross_signing.master")))
                == (try SecretStorageVectors.string("cross_signing", "master_public")))
        let backup = try key.agreementKey("m.megolm_backup.v1", from: try secret("m.megolm_backup.v1"))
        #expect(UnpaddedBase64.encode(backup.publicKey.rawRepresentation)
                == (try SecretStorageVectors.string("backup", "version", "auth_data", "public_key")))
    }

    @Test("a flipped ciphertext bit, or a secret encrypted under another name, fails the MAC")
    func badSecretMAC() throws {
        let key = try openWithRecoveryKey()
        #expect(throws: SecretStorageError.wrongKey(.recoveryKey)) {
            try key.signingKey("m.cross_signing.self_signing", from: try SecretStorageVectors.value("storage", "tampered_self_signing"))
        }
        #expect(throws: SecretStorageError.wrongKey(.recoveryKey)) {
            try key.signingKey("m.cross_signing.self_signing", from: try SecretStorageVectors.value("storage", "misnamed_self_signing"))
        }
    }

    @Test("a secret not encrypted under this key ID, or with a short MAC, is named as such")
    func missingSecret() throws {
        let key = try openWithRecoveryKey()
        #expect(throws: SecretStorageError.secretNotStored("m.cross_signing.user_signing")) {
            try key.signingKey("m.cross_signing.user_signing", from: ["encrypted": ["otherkey": [:]]])
        }
        var entry = try #require(try secret("m.cross_signing.self_signing")["encrypted"]?[key.keyID]?.object)
        entry["mac"] = "AAAA"
        #expect(throws: SecretStorageError.malformed("the encrypted m.cross_signing.self_signing")) {
            try key.signingKey("m.cross_signing.self_signing", from: ["encrypted": .object([key.keyID: .object(entry)])])
        }
    }
}

/// `m.secret_storage.default_key`, read before anything else.
@Suite struct SecretStorageDefaultKeyTests {
    @Test("the default key ID is read; none means no secret storage; odd IDs are refused")
    func defaultKeyID() throws {
        #expect(try SecretStorageKeyDescription.defaultKeyID(["key": "Rk9lBmGxPZ2YHE1Yl4nA3vLsTi8wUq0e"]) == "Rk9lBmGxPZ2YHE1Yl4nA3vLsTi8wUq0e")
        #expect(throws: SecretStorageError.notSetUp) { try SecretStorageKeyDescription.defaultKeyID(nil) }
        for bad: JSONValue in [[:], ["key": ""], ["key": 5], ["key": "a/b"], ["key": "a b"], ["key": .string(String(repeating: "k", count: 256))]] {
            #expect(throws: SecretStorageError.malformed("the default key ID")) { try SecretStorageKeyDescription.defaultKeyID(bad) }
        }
        #expect(SecretStorageError.notSetUp.description.contains("set up recovery in your chat client"))
    }
}
