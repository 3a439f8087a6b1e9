import Crypto
import HeraldCore
import HeraldCrypto
import Testing

struct CanonicalJSONTests {
    private func text(_ value: JSONValue) throws -> String {
        String(decoding: try CanonicalJSON.encode(value), as: UTF8.self)
    }

    @Test func keysAreSortedByCodePointAtEveryLevel() throws {
        // "é" (U+00E9) sorts after "z"; "😀" (U+1F600) after "ｚ" (U+FF5A), though UTF-16 would put it first.
        let value: JSONValue = .object(["z": .number(1), "é": .number(2), "a": .object(["b": .null, "A": .bool(true)]),
                                        "ｚ": .number(3), "😀": .number(4), "": .number(0)])
        #expect(try text(value) == #"{"":0,"a":{"A":true,"b":null},"z":1,"é":2,"ｚ":3,"😀":4}"#)
    }

    @Test func escapesOnlyWhatTheSpecSaysAndLeavesSlashAndUnicodeRaw() throws {
        let value: JSONValue = .string("a/b \"q\" \\ \u{08}\u{09}\u{0A}\u{0C}\u{0D} \u{00}\u{1F}\u{7F} é 😀 \u{2028}")
        #expect(try text(value) == "\"a/b \\\"q\\\" \\\\ \\b\\t\\n\\f\\r \\u0000\\u001f\u{7F} é 😀 \u{2028}\"")
    }

    @Test func integersOnlyWithinTwoToTheFiftyThree() throws {
        #expect(try text(.array([.number(0), .number(-1), .number(9_007_199_254_740_991), .number(-9_007_199_254_740_991)]))
                == "[0,-1,9007199254740991,-9007199254740991]")
        for bad in [1.5, 9_007_199_254_740_992, -9_007_199_254_740_992, .infinity, .nan, 1e300] {
            #expect(throws: CryptoError.self) { try CanonicalJSON.encode(.object(["n": .number(bad)])) }
        }
    }

    /// Spec appendices, Cryptographic Test Vectors: canonical JSON plus Ed25519 with the given seed.
    @Test func appendixSigningVectors() throws {
        let seed = try #require(UnpaddedBase64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"))
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        let vectors: [(JSONValue, String)] = [
            (.object([:]), "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"),
            (.object(["one": .number(1), "two": .string("Two")]),
             "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"),
        ]
        for (value, expected) in vectors {
            let signed = try SignedJSON.sign(value, user: "domain", keyID: "1", with: key)
            #expect(signed["signatures"]?["domain"]?["ed25519:1"]?.string == expected)
            #expect(SignedJSON.verify(signed, user: "domain", keyID: "1", publicKey: key.publicKey))
        }
    }

    @Test func signingMergesSignaturesAndKeepsUnsigned() throws {
        let first = Curve25519.Signing.PrivateKey(), second = Curve25519.Signing.PrivateKey()
        let value: JSONValue = .object(["a": .number(1), "unsigned": .object(["x": .number(2)])])
        let once = try SignedJSON.sign(value, user: "@u:x", keyID: "DEV", with: first)
        let twice = try SignedJSON.sign(once, user: "@u:x", keyID: "SSK", with: second)
        #expect(twice["unsigned"] == value["unsigned"])
        #expect(SignedJSON.verify(twice, user: "@u:x", keyID: "DEV", publicKey: first.publicKey))
        #expect(SignedJSON.verify(twice, user: "@u:x", keyID: "SSK", publicKey: second.publicKey))
        #expect(!SignedJSON.verify(twice, user: "@u:x", keyID: "DEV", publicKey: second.publicKey))
        // `unsigned` is outside the signature; any other change breaks it.
        guard case .object(var changed) = twice else { Issue.record("not an object"); return }
        changed["unsigned"] = .string("anything")
        #expect(SignedJSON.verify(.object(changed), user: "@u:x", keyID: "DEV", publicKey: first.publicKey))
        changed["a"] = .number(2)
        #expect(!SignedJSON.verify(.object(changed), user: "@u:x", keyID: "DEV", publicKey: first.publicKey))
    }

    @Test func matchesCanonicaljsonByteForByte() throws {
        var values: [JSONValue] = [
            .object(["b": .string("/"), "a": .array([.string("\u{00}\u{1F}\u{7F}\u{80}"), .string("\"\\")])]),
            .object(["日本": .number(1), "aé": .number(2), "a": .number(3), "Z": .number(4), "😀": .object(["ｚ": .null])]),
            .object(["n": .array([.number(-9_007_199_254_740_991), .number(0), .bool(false)]), "\u{2028}": .string("\u{2029}")]),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<60 { values.append(RandomJSON.value(depth: 0, using: &generator)) }
        let texts = try values.map { JSONValue.string(try text($0)) }
        let reply = try PythonReference.run("canonical_reference.py", input: .object(["texts": .array(texts)]))
        let canonical = try #require(reply["canonical"]?.array)
        #expect(canonical.count == values.count)
        for (value, expected) in zip(values, canonical) {
            let bytes = try #require(expected.string.flatMap { UnpaddedBase64.decode($0) })
            #expect(try CanonicalJSON.encode(value) == bytes, "\(value)")
        }
    }
}

/// Random JSON with the characters canonical encoders get wrong: controls, quotes, backslashes,
/// `/`, non-ASCII from every UTF-8 length, and keys that sort differently by code unit.
enum RandomJSON {
    static let alphabet: [Unicode.Scalar] = ["a", "B", "z", "/", "\"", "\\", "\u{00}", "\u{08}", "\u{0A}", "\u{1F}", "\u{7F}",
                                             "é", "ÿ", "\u{2028}", "€", "ｚ", "\u{FFFD}", "😀", "\u{10FFFF}", " "]

    static func string(using g: inout SystemRandomNumberGenerator) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...6, using: &g) { s.append(alphabet.randomElement(using: &g)!) }
        return String(s)
    }

    static func value(depth: Int, using g: inout SystemRandomNumberGenerator) -> JSONValue {
        switch Int.random(in: depth >= 3 ? 0...3 : 0...5, using: &g) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &g))
        case 2: return .number(Double(Int64.random(in: -9_007_199_254_740_991...9_007_199_254_740_991, using: &g)))
        case 3: return .string(string(using: &g))
        case 4: return .array((0..<Int.random(in: 0...4, using: &g)).map { _ in value(depth: depth + 1, using: &g) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &g) { members[string(using: &g)] = value(depth: depth + 1, using: &g) }
            return .object(members)
        }
    }
}
