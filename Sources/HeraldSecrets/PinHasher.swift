import Crypto
import _CryptoExtras

/// The PIN's slow salted derivation: scrypt with N = 2^15, r = 8, p = 1 (32 MiB, tens of
/// milliseconds in a release build), 32 bytes out, 16-byte random salt. Only the salt and the
/// derivation are stored, never the PIN.
public enum PinHasher {
    public static let saltByteCount = 16
    public static let outputByteCount = 32
    static let rounds = 1 << 15
    static let blockSize = 8
    static let parallelism = 1

    public static func newSalt() -> [UInt8] {
        randomBytes(saltByteCount)
    }

    public static func derive(pin: String, salt: [UInt8]) throws(PinHasherError) -> [UInt8] {
        guard !pin.isEmpty else { throw .emptyPIN }
        guard salt.count == saltByteCount else { throw .badSaltLength(salt.count) }
        var pinBytes = Array(pin.utf8)
        defer { for i in pinBytes.indices { pinBytes[i] = 0 } }
        let key: SymmetricKey
        do {
            key = try KDF.Scrypt.deriveKey(
                from: pinBytes, salt: salt, outputByteCount: outputByteCount,
                rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        } catch {
            throw .derivationFailed
        }
        return key.withUnsafeBytes { Array($0) }
    }

    /// Compares two derivations in time that depends only on their lengths.
    public static func matches(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

public enum PinHasherError: Error, Equatable, CustomStringConvertible {
    case emptyPIN
    case badSaltLength(Int)
    /// scrypt refused (out of memory).
    case derivationFailed

    public var description: String {
        switch self {
        case .emptyPIN: "the PIN is empty"
        case .badSaltLength(let n): "PIN salt must be \(PinHasher.saltByteCount) bytes, not \(n)"
        case .derivationFailed: "PIN derivation (scrypt) failed"
        }
    }
}
