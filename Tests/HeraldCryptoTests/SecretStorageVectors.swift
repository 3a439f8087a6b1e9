import HeraldCore
@testable import HeraldCrypto

/// The vectors `tests/crypto/ssss_reference.py` makes, read once per test run: recovery keys and
/// typos, secret storage built from the spec, cross-signing keys signed by python-olm, and key
/// backup data encrypted by python-olm and vodozemac.
enum SecretStorageVectors {
    struct Failure: Error, CustomStringConvertible, Sendable {
        let description: String
    }

    private static let all: Result<JSONValue, Failure> = Result {
        try PythonReference.run("ssss_reference.py")
    }.mapError { Failure(description: "\($0)") }

    /// The value at `path` (object keys) in the vectors; a missing one is a failure.
    static func value(_ path: String...) throws -> JSONValue {
        try lookup(path)
    }

    static func string(_ path: String...) throws -> String {
        guard let s = try lookup(path).string else { throw Failure(description: "\(path.joined(separator: ".")) is not a string") }
        return s
    }

    private static func lookup(_ path: [String]) throws -> JSONValue {
        var value = try all.get()
        for key in path {
            guard let next = value[key] else { throw Failure(description: "no \(path.joined(separator: ".")) in the vectors") }
            value = next
        }
        return value
    }

    /// The key description of the vectors' secret storage.
    static func description() throws -> SecretStorageKeyDescription {
        try SecretStorageKeyDescription(keyID: try string("storage", "key_id"), content: try value("storage", "description"))
    }

    /// The vectors' secret storage, opened with its recovery key.
    static func openStorage() throws -> SecretStorageKey {
        var text = Array(try string("storage", "recovery_key").utf8)
        return try SecretStorageKey.open(recoveryKey: &text, try description())
    }
}
