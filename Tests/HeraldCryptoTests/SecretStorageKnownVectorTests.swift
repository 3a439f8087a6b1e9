import Crypto
import HeraldCore
import Testing
@testable import HeraldCrypto

/// Fixed vectors from matrix-rust-sdk's secret-storage tests (`crates/matrix-sdk-crypto/src/
/// secret_storage.rs`): keys and key descriptions made by another implementation than the
/// spec-built Python reference, so the two cannot share a misreading of the spec.
@Suite struct SecretStorageKnownVectorTests {
    private func open(recoveryKey text: String, keyID: String, _ content: JSONValue) throws -> SecretStorageKey {
        var bytes = Array(text.utf8)
        return try SecretStorageKey.open(recoveryKey: &bytes, try SecretStorageKeyDescription(keyID: keyID, content: content))
    }

    @Test("a recovery key opens its key description (padded base64 iv and mac)")
    func recoveryKey() throws {
        let content: JSONValue = [
            "algorithm": "m.secret_storage.v1.aes-hmac-sha2",
            "iv": "xv5b6/p3ExEw++wTyfSHEg==",
            "mac": "ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8=",
        ]
        let keyID = "bmur2d9ypPUH1msSwCxQOJkuKRmJI55e"
        let key = try open(recoveryKey: "EsTj 3yST y93F SLpB jJsz eAXc 2XzA ygD3 w69H fGaN TKBj jXEd", keyID: keyID, content)
        #expect(key.keyID == keyID)
        #expect(throws: SecretStorageError.wrongKey(.recoveryKey)) {
            try open(recoveryKey: "EsTH cN2d YHb1 i5AP edBo 8Wft o8Qq 9nFr vwY3 fQsz Fprd eSAn", keyID: keyID, content)
        }
    }

    @Test("a passphrase with 10 PBKDF2 iterations opens its key description")
    func passphrase() throws {
        let content: JSONValue = [
            "algorithm": "m.secret_storage.v1.aes-hmac-sha2",
            "iv": "gH2iNpiETFhApvW6/FFEJQ",
            "mac": "9Lw12m5SKDipNghdQXKjgpfdj1/K7HFI2brO+UWAGoM",
            "passphrase": ["algorithm": "m.pbkdf2", "salt": "IuLnH7S85YtZmkkBJKwNUKxWF42g9O1H", "iterations": 10],
        ]
        let description = try SecretStorageKeyDescription(keyID: "DZkbKc0RtKSq0z8V61w6KBmJCK6OCiIu", content: content)
        var passphrase = Array("It's a secret to everybody".utf8)
        #expect(try SecretStorageKey.open(passphrase: &passphrase, description).origin == .passphrase)
        var wrong = Array("It's a secret to nobody".utf8)
        #expect(throws: SecretStorageError.wrongKey(.passphrase)) { try SecretStorageKey.open(passphrase: &wrong, description) }
    }

    @Test("base58 parsing: irregular spaces, and a wrong parity byte or prefix")
    func base58() throws {
        let decoded: [UInt8] = [159, 189, 70, 187, 52, 81, 113, 198, 246, 2, 44, 154, 37, 213, 104, 27, 165, 78, 236,
                                106, 108, 73, 83, 243, 173, 192, 185, 110, 157, 145, 173, 163]
        let key = try RecoveryKey.decode(Array("EsT           pRvZTnjck8    YrhRAtw XLS84Nr2r9S9LGAWDaExVAPBvLRK   ".utf8))
        #expect(key.withUnsafeBytes { Array($0) } == decoded)
        #expect(throws: RecoveryKeyError.badParity) { try RecoveryKey.decode(Array("EsTpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk".utf8)) }
        #expect(throws: RecoveryKeyError.wrongPrefix) { try RecoveryKey.decode(Array("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9LGAWDaExVAPBvLRk".utf8)) }
        #expect(throws: RecoveryKeyError.wrongLength(characters: 32)) { try RecoveryKey.decode(Array("AATpRvZTnjck8YrhRAtwXLS84Nr2r9S9".utf8)) }
        #expect(throws: RecoveryKeyError.badCharacter(position: 28)) { try RecoveryKey.decode(Array("AATpRvZTnjck8YrhRAtwXLS84Nr0OIl".utf8)) }
    }
}
