import HeraldCore

/// The account data `m.secret_storage.key.<key ID>` (spec: Secret storage, Key storage): the
/// algorithm, the optional check values and the optional passphrase parameters.
public struct SecretStorageKeyDescription: Sendable, Equatable {
    public static let algorithm = "m.secret_storage.v1.aes-hmac-sha2"
    /// PBKDF2 iterations accepted from the server; more would let it make Herald spin for minutes.
    public static let maxIterations = 10_000_000
    static let maxSaltBytes = 1024

    /// `iv` and `mac` of 32 zero bytes encrypted with the key and an empty name.
    public struct Check: Sendable, Equatable {
        public let iv: [UInt8]
        public let mac: [UInt8]
    }

    /// `passphrase` with `algorithm` `m.pbkdf2`: PBKDF2-HMAC-SHA-512 over the salt's UTF-8 bytes.
    public struct Passphrase: Sendable, Equatable {
        public let salt: String
        public let iterations: Int
    }

    public let keyID: String
    /// Nil when the description has no `iv` and `mac`: then any key is taken as right (spec).
    public let check: Check?
    public let passphrase: Passphrase?

    /// Key IDs are 32 characters in practice; a longer one is refused rather than put in a URL.
    static let maxKeyIDBytes = 255

    /// The key ID in `m.secret_storage.default_key` (`{"key": "<key ID>"}`); nil content means the
    /// account has no such account data.
    public static func defaultKeyID(_ content: JSONValue?) throws(SecretStorageError) -> String {
        guard let content else { throw .notSetUp }
        guard let keyID = content["key"]?.string, !keyID.isEmpty, keyID.utf8.count <= maxKeyIDBytes,
              keyID.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "/" })
        else { throw .malformed("the default key ID") }
        return keyID
    }

    public init(keyID: String, content: JSONValue) throws(SecretStorageError) {
        guard content["algorithm"]?.string == Self.algorithm else {
            throw .unsupported("the key algorithm \(content["algorithm"]?.string.map { "\"\($0.prefix(64))\"" } ?? "(none)")")
        }
        self.keyID = keyID
        switch (content["iv"]?.string, content["mac"]?.string) {
        case (nil, nil): check = nil
        case (let iv?, let mac?):
            guard let ivBytes = UnpaddedBase64.decode(iv, maxBytes: 16), ivBytes.count == 16,
                  let macBytes = UnpaddedBase64.decode(mac, maxBytes: 32), macBytes.count == 32
            else { throw .malformed("the key's iv or mac") }
            check = Check(iv: ivBytes, mac: macBytes)
        default: throw .malformed("the key has one of iv and mac without the other")
        }
        guard let info = content["passphrase"] else { passphrase = nil; return }
        guard info["algorithm"]?.string == "m.pbkdf2" else { throw .unsupported("a passphrase algorithm other than m.pbkdf2") }
        guard let salt = info["salt"]?.string, !salt.isEmpty, salt.utf8.count <= Self.maxSaltBytes else {
            throw .malformed("the passphrase salt")
        }
        guard case .number(let n)? = info["iterations"], n.rounded(.towardZero) == n, n.isFinite else {
            throw .malformed("the passphrase iterations")
        }
        guard n >= 1, n <= Double(Self.maxIterations) else { throw .iterationsOutOfRange(n.magnitude < 1e15 ? Int(n) : Int.max) }
        if let bits = info["bits"], bits.int != 256 { throw .unsupported("a passphrase key length other than 256 bits") }
        passphrase = Passphrase(salt: salt, iterations: Int(n))
    }
}
