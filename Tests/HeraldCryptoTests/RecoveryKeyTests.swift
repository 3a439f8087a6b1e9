import Crypto
import Foundation
import HeraldCore
import Testing
@testable import HeraldCrypto

/// Recovery keys encoded by a base58 written from the spec in Python, and the typos a user makes.
@Suite struct RecoveryKeyTests {
    private func decode(_ text: String) throws -> [UInt8] {
        try RecoveryKey.decode(Array(text.utf8)).withUnsafeBytes { Array($0) }
    }

    @Test("24 keys, the all-zero one among them, decode to their bytes: 48 characters in groups of 4")
    func roundTrip() throws {
        let keys = try #require(try SecretStorageVectors.value("recovery", "keys").array)
        #expect(keys.count == 24)
        for entry in keys {
            let text = try #require(entry["text"]?.string)
            #expect(text.split(separator: " ").map(\.count) == Array(repeating: 4, count: 12))
            #expect(try decode(text) == UnpaddedBase64.decode(try #require(entry["key"]?.string)))
        }
    }

    @Test("check accepts a well-formed key and throws the same typo as decode")
    func check() throws {
        try RecoveryKey.check(Array(try SecretStorageVectors.string("recovery", "good", "text").utf8))
        #expect(throws: RecoveryKeyError.badParity) {
            try RecoveryKey.check(Array(try SecretStorageVectors.string("recovery", "typos", "bad_parity").utf8))
        }
        #expect(throws: RecoveryKeyError.wrongLength(characters: 47)) {
            try RecoveryKey.check(Array(try SecretStorageVectors.string("recovery", "typos", "dropped").utf8))
        }
    }

    @Test("spaces, tabs and line breaks anywhere are ignored")
    func whitespace() throws {
        let text = try SecretStorageVectors.string("recovery", "good", "text")
        let raw = UnpaddedBase64.decode(try SecretStorageVectors.string("recovery", "good", "key"))
        #expect(try decode(text.replacingOccurrences(of: " ", with: "")) == raw)
        #expect(try decode("  " + text.replacingOccurrences(of: " ", with: "\t") + "\r\n") == raw)
    }

    @Test("a character outside base58 is named by its position, not counting spaces")
    func badCharacter() throws {
        let text = try SecretStorageVectors.string("recovery", "typos", "bad_character")
        #expect(throws: RecoveryKeyError.badCharacter(position: 14)) { try decode(text) }
        // The same key in its display form: spaces do not count.
        let grouped = stride(from: 0, to: text.count, by: 4).map { String(Array(text)[$0..<min($0 + 4, text.count)]) }.joined(separator: " ")
        #expect(throws: RecoveryKeyError.badCharacter(position: 14)) { try decode(grouped) }
        #expect(throws: RecoveryKeyError.badCharacter(position: 1)) { try decode("é" + text) }
    }

    @Test("a dropped or doubled character is a wrong length with the count")
    func wrongLength() throws {
        #expect(throws: RecoveryKeyError.wrongLength(characters: 47)) { try decode(try SecretStorageVectors.string("recovery", "typos", "dropped")) }
        #expect(throws: RecoveryKeyError.wrongLength(characters: 49)) { try decode(try SecretStorageVectors.string("recovery", "typos", "doubled")) }
        #expect(throws: RecoveryKeyError.wrongLength(characters: 0)) { try decode(" \n") }
        #expect(throws: RecoveryKeyError.wrongLength(characters: 1000)) { try decode(String(repeating: "E", count: 1000)) }
    }

    @Test("a wrong parity byte, and a mistyped character in the middle, are a bad parity")
    func badParity() throws {
        #expect(throws: RecoveryKeyError.badParity) { try decode(try SecretStorageVectors.string("recovery", "typos", "bad_parity")) }
        #expect(throws: RecoveryKeyError.badParity) { try decode(try SecretStorageVectors.string("recovery", "typos", "mistyped")) }
    }

    @Test("a key with another prefix, or 48 characters that decode to 36 bytes, is not a recovery key")
    func wrongPrefix() throws {
        #expect(throws: RecoveryKeyError.wrongPrefix) { try decode(try SecretStorageVectors.string("recovery", "typos", "wrong_prefix")) }
        #expect(throws: RecoveryKeyError.wrongPrefix) { try decode(String(repeating: "z", count: 48)) }
        #expect(throws: RecoveryKeyError.wrongPrefix) { try decode(String(repeating: "1", count: 48)) }
    }

    @Test("each error has its own message for the user, none repeating the text")
    func messages() throws {
        let errors: [RecoveryKeyError] = [.badCharacter(position: 14), .wrongLength(characters: 47), .wrongLength(characters: 49),
                                          .wrongLength(characters: 0), .wrongPrefix, .badParity]
        let texts = errors.map(\.description)
        #expect(Set(texts).count == errors.count)
        #expect(texts[0].contains("character 14"))
        #expect(texts[1].contains("47") && texts[1].contains("missing"))
        #expect(texts[2].contains("49") && texts[2].contains("extra"))
        #expect(texts[5].contains("typo"))
    }
}
