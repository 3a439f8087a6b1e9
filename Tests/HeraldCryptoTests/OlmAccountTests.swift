import HeraldCore
import HeraldCrypto
import Testing

struct OlmAccountTests {
    private let user = "@herald:example.org", device = "HERALDDEV"

    @Test func deviceKeysCarryBothAlgorithmsAndBothKeys() throws {
        let account = OlmAccount()
        let keys = try account.deviceKeys(userID: user, deviceID: device)
        #expect(keys["user_id"]?.string == user && keys["device_id"]?.string == device)
        #expect(keys["algorithms"] == .array([.string("m.olm.v1.curve25519-aes-sha2"), .string("m.megolm.v1.aes-sha2")]))
        #expect(keys["keys"]?["curve25519:\(device)"]?.string == account.curve25519Key)
        #expect(keys["keys"]?["ed25519:\(device)"]?.string == account.ed25519Key)
        #expect(SignedJSON.verify(keys, user: user, keyID: device, publicKey: account.ed25519Key))
    }

    @Test func signaturesVerifyWithLibolmAndVodozemac() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(2)
        account.generateFallbackKey()
        var objects = [try account.deviceKeys(userID: user, deviceID: device)]
        objects += try account.unpublishedOneTimeKeys(userID: user, deviceID: device).values
        objects += try account.unpublishedFallbackKey(userID: user, deviceID: device).values
        // A tampered copy must fail with both verifiers, or the check proves nothing.
        guard case .object(var tampered) = objects[0] else { Issue.record("not an object"); return }
        tampered["device_id"] = .string("OTHER")
        objects.append(.object(tampered))
        let items = objects.map { JSONValue.object(["value": $0, "user": .string(user), "key_id": .string("ed25519:\(device)"),
                                                    "key": .string(account.ed25519Key)]) }
        let reply = try PythonReference.run("signature_reference.py", input: .object(["objects": .array(items)]))
        let results = try #require(reply["results"]?.array)
        #expect(results.count == 5)
        for result in results.prefix(4) {
            #expect(result["libolm"] == .bool(true))
            #expect(result["vodozemac"] == .bool(true))
        }
        #expect(results.last?["libolm"] == .bool(false))
        #expect(results.last?["vodozemac"] == .bool(false))
    }

    @Test func oneTimeKeysArePublishedOnceWithCounterIDs() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(3)
        let first = try account.unpublishedOneTimeKeys(userID: user, deviceID: device)
        #expect(Set(first.keys) == ["signed_curve25519:AAAAAA", "signed_curve25519:AAAAAQ", "signed_curve25519:AAAAAg"])
        for object in first.values {
            #expect(object["key"]?.string?.count == 43)
            #expect(object["fallback"] == nil)
            #expect(SignedJSON.verify(object, user: user, keyID: device, publicKey: account.ed25519Key))
        }
        account.markKeysAsPublished()
        #expect(try account.unpublishedOneTimeKeys(userID: user, deviceID: device).isEmpty)
        account.generateOneTimeKeys(1)
        #expect(try Array(account.unpublishedOneTimeKeys(userID: user, deviceID: device).keys) == ["signed_curve25519:AAAAAw"])
        #expect(account.oneTimeKeyCount == 4)
    }

    @Test func storedOneTimeKeysAreCappedOldestFirst() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(OlmLimits.maxStoredOneTimeKeys)
        account.markKeysAsPublished()
        account.generateOneTimeKeys(3)
        #expect(account.oneTimeKeyCount == OlmLimits.maxStoredOneTimeKeys)
        #expect(try account.unpublishedOneTimeKeys(userID: user, deviceID: device).count == 3)
        let restored = try OlmAccount(pickle: account.pickle())
        #expect(restored.oneTimeKeyCount == OlmLimits.maxStoredOneTimeKeys)
        #expect(restored.pickle() == account.pickle())
    }

    @Test func fallbackKeyIsSignedAsFallbackAndRotates() throws {
        var account = OlmAccount()
        account.generateFallbackKey()
        let first = try account.unpublishedFallbackKey(userID: user, deviceID: device)
        #expect(first.count == 1)
        let object = try #require(first.values.first)
        #expect(object["fallback"] == .bool(true))
        #expect(SignedJSON.verify(object, user: user, keyID: device, publicKey: account.ed25519Key))
        account.markKeysAsPublished()
        #expect(try account.unpublishedFallbackKey(userID: user, deviceID: device).isEmpty)
        account.generateFallbackKey()
        let second = try account.unpublishedFallbackKey(userID: user, deviceID: device)
        #expect(second.count == 1 && second.keys.first != first.keys.first)
    }

    @Test func pickleRoundTripKeepsEveryKey() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(4)
        account.generateFallbackKey()
        account.markKeysAsPublished()
        account.generateFallbackKey()
        account.generateOneTimeKeys(1)
        let bytes = account.pickle()
        #expect(bytes.first == 1)
        let restored = try OlmAccount(pickle: bytes)
        #expect(restored.pickle() == bytes)
        #expect(restored.curve25519Key == account.curve25519Key && restored.ed25519Key == account.ed25519Key)
        #expect(try restored.unpublishedOneTimeKeys(userID: user, deviceID: device).keys
                == account.unpublishedOneTimeKeys(userID: user, deviceID: device).keys)
    }

    @Test func pickleLoadRefusesDamage() throws {
        var account = OlmAccount()
        account.generateOneTimeKeys(2)
        account.generateFallbackKey()
        let bytes = account.pickle()
        var wrongVersion = bytes; wrongVersion[0] = 2
        #expect(throws: CryptoError.self) { try OlmAccount(pickle: wrongVersion) }
        #expect(throws: CryptoError.self) { try OlmAccount(pickle: Array(bytes.dropLast())) }
        #expect(throws: CryptoError.self) { try OlmAccount(pickle: bytes + [0]) }
        #expect(throws: CryptoError.self) { try OlmAccount(pickle: []) }
        // The published flag of the first one-time key (after version, 2 keys, next ID, count, ID, key).
        var badFlag = bytes; badFlag[1 + 64 + 4 + 4 + 4 + 32] = 7
        #expect(throws: CryptoError.self) { try OlmAccount(pickle: badFlag) }
        // A one-time key count over the cap.
        var tooMany = bytes; tooMany.replaceSubrange((1 + 64 + 4)..<(1 + 64 + 8), with: [0, 0, 0x13, 0x89])
        #expect(throws: CryptoError.self) { try OlmAccount(pickle: tooMany) }
    }
}
