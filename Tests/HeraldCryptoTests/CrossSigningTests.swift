import Crypto
import HeraldCore
import Testing
@testable import HeraldCrypto

/// Cross-signing keys made and signed by python-olm (`PkSigning`) over `canonicaljson`; Herald's
/// signature over its device keys checked by libolm's and vodozemac's Ed25519.
@Suite struct CrossSigningTests {
    private let userID = "@alice:example.org"

    private func published(_ vector: String = "keys_query") throws -> PublishedCrossSigningKeys {
        try PublishedCrossSigningKeys(userID: userID, keysQuery: try SecretStorageVectors.value("cross_signing", vector))
    }

    private func selfSigningPrivateKey() throws -> Curve25519.Signing.PrivateKey {
        let key = try SecretStorageVectors.openStorage()
        return try key.signingKey("m.cross_signing.self_signing",
                                  from: try SecretStorageVectors.value("storage", "secrets", "m.cross_signing.self_signing"))
    }

    @Test("the published master and self-signing keys are read, and the master's signature checked")
    func readsPublishedKeys() throws {
        let keys = try published()
        #expect(keys.masterKey == (try SecretStorageVectors.string("cross_signing", "master_public")))
        #expect(keys.selfSigningKey == (try SecretStorageVectors.string("cross_signing", "self_signing_public")))
    }

    @Test("a self-signing key signed by another key under the master's key ID is refused")
    func notSignedByMaster() throws {
        #expect(throws: CrossSigningError.selfSigningKeyNotSignedByMaster) { try published("keys_query_not_signed_by_master") }
        // The same object without any signature.
        var query = try SecretStorageVectors.value("cross_signing", "keys_query").object ?? [:]
        var selfSigning = try #require(query["self_signing_keys"]?[userID]?.object)
        selfSigning["signatures"] = nil
        query["self_signing_keys"] = .object([userID: .object(selfSigning)])
        #expect(throws: CrossSigningError.selfSigningKeyNotSignedByMaster) {
            try PublishedCrossSigningKeys(userID: userID, keysQuery: .object(query))
        }
    }

    @Test("an account with no cross-signing says to set it up in the chat client")
    func notSetUp() throws {
        #expect(throws: CrossSigningError.notSetUp) { try published("keys_query_none") }
        #expect(throws: CrossSigningError.notSetUp) { try PublishedCrossSigningKeys(userID: userID, keysQuery: [:]) }
        #expect(CrossSigningError.notSetUp.description.contains("set it up in your chat client"))
    }

    @Test("keys of another user or usage, or with a key ID that is not the key, are malformed")
    func malformedKeys() throws {
        let query = try #require(try SecretStorageVectors.value("cross_signing", "keys_query").object)
        func with(_ change: (inout [String: JSONValue]) -> Void) throws -> JSONValue {
            var master = try #require(query["master_keys"]?[userID]?.object)
            change(&master)
            var out = query
            out["master_keys"] = .object([userID: .object(master)])
            return .object(out)
        }
        #expect(throws: CrossSigningError.malformed("the master key's user_id")) {
            try PublishedCrossSigningKeys(userID: userID, keysQuery: try with { $0["user_id"] = "@mallory:example.org" })
        }
        #expect(throws: CrossSigningError.malformed("the master key's usage")) {
            try PublishedCrossSigningKeys(userID: userID, keysQuery: try with { $0["usage"] = ["self_signing"] })
        }
        #expect(throws: CrossSigningError.malformed("the master key's keys")) {
            try PublishedCrossSigningKeys(userID: userID, keysQuery: try with { $0["keys"] = ["ed25519:AAAA": "BBBB"] })
        }
    }

    @Test("the self-signing key from secret storage must be the published one")
    func mismatch() throws {
        let key = try selfSigningPrivateKey()
        #expect(try SelfSigningKey(key, published: try published()).published.selfSigningKey == (try published()).selfSigningKey)
        #expect(throws: CrossSigningError.selfSigningKeyMismatch) {
            try SelfSigningKey(key, published: try published("keys_query_other_self_signing"))
        }
    }

    @Test("Herald's device keys signed by the self-signing key verify with libolm and vodozemac, and so does the master's signature")
    func signsDeviceKeys() throws {
        let deviceID = "HERALDDEV1"
        let deviceKeys = try OlmAccount().deviceKeys(userID: userID, deviceID: deviceID)
        let signer = try SelfSigningKey(try selfSigningPrivateKey(), published: try published())
        let body = try signer.signatureUpload(deviceKeys: deviceKeys, deviceID: deviceID)
        let signed = try #require(body[userID]?[deviceID])
        let ssk = signer.published.selfSigningKey

        // Only the new signature, on the object exactly as uploaded.
        #expect(body.object?.count == 1 && body[userID]?.object?.count == 1)
        #expect(signed["signatures"]?.object?.keys.sorted() == [userID])
        #expect(signed["signatures"]?[userID]?.object?.keys.sorted() == ["ed25519:\(ssk)"])
        var withoutSignatures = try #require(deviceKeys.object)
        withoutSignatures["signatures"] = nil
        var signedWithout = try #require(signed.object)
        signedWithout["signatures"] = nil
        #expect(signedWithout == withoutSignatures)

        var altered = try #require(signed.object)
        altered["device_id"] = "OTHERDEVICE"
        let selfSigningObject = try #require(try SecretStorageVectors.value("cross_signing", "keys_query", "self_signing_keys", userID))
        let master = signer.published.masterKey
        let items: [JSONValue] = [
            ["value": signed, "user": .string(userID), "key_id": .string("ed25519:\(ssk)"), "key": .string(ssk)],
            ["value": .object(altered), "user": .string(userID), "key_id": .string("ed25519:\(ssk)"), "key": .string(ssk)],
            ["value": selfSigningObject, "user": .string(userID), "key_id": .string("ed25519:\(master)"), "key": .string(master)],
        ]
        let reply = try PythonReference.run("signature_reference.py", input: ["objects": .array(items)])
        let results = try #require(reply["results"]?.array)
        #expect(results.count == 3)
        #expect(results[0] == ["libolm": true, "vodozemac": true])
        #expect(results[1] == ["libolm": false, "vodozemac": false])
        #expect(results[2] == ["libolm": true, "vodozemac": true])
    }

    @Test("another device's keys are not signed")
    func otherDevice() throws {
        let signer = try SelfSigningKey(try selfSigningPrivateKey(), published: try published())
        let keys = try OlmAccount().deviceKeys(userID: "@bob:example.org", deviceID: "BOBDEVICE")
        #expect(throws: CryptoError.malformed("device keys (not this user's device)")) {
            try signer.signatureUpload(deviceKeys: keys, deviceID: "BOBDEVICE")
        }
    }
}
