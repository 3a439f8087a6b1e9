import Crypto
import Foundation

/// Encrypts access and refresh tokens at rest: AES-256-GCM, bound to the account they belong to.
///
/// A blob is `1` (the format version) followed by nonce (12 bytes), ciphertext and tag (16 bytes).
/// The account's Matrix ID is authenticated data, so a blob copied to another account's row
/// does not open.
public struct TokenCipher: @unchecked Sendable {
    public static let keyByteCount = 32
    static let version: UInt8 = 1
    static let overhead = 1 + 12 + 16

    // Immutable, and kept in a buffer that is zeroed when freed; swift-crypto 3.12 only lacks
    // SymmetricKey's Sendable annotation (hence @unchecked above).
    private let key: SymmetricKey

    /// `key` must be 32 bytes (from a `TokenKeyStore`).
    public init(key: [UInt8]) throws(TokenCipherError) {
        guard key.count == Self.keyByteCount else { throw .badKeyLength(key.count) }
        self.key = SymmetricKey(data: key)
    }

    public func seal(_ plaintext: String, context: String) throws(TokenCipherError) -> [UInt8] {
        try seal(bytes: Array(plaintext.utf8), context: context)
    }

    public func open(_ blob: [UInt8], context: String) throws(TokenCipherError) -> String {
        var plain = try open(bytes: blob, context: context)
        defer { for i in plain.indices { plain[i] = 0 } }
        guard let text = String(validating: plain, as: UTF8.self) else { throw .notUTF8 }
        return text
    }

    /// Seals any bytes (an Olm or Megolm pickle) the same way; `context` names the owner and the
    /// purpose, so a blob moved to another account's row or another column does not open.
    public func seal(bytes: [UInt8], context: String) throws(TokenCipherError) -> [UInt8] {
        var plain = Data(bytes)
        defer { plain.resetBytes(in: 0..<plain.count) }
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(plain, using: key, authenticating: Data(context.utf8))
        } catch {
            throw .sealFailed
        }
        guard let combined = box.combined else { throw .sealFailed }  // only nil for non-12-byte nonces
        return [Self.version] + combined
    }

    public func open(bytes blob: [UInt8], context: String) throws(TokenCipherError) -> [UInt8] {
        guard let version = blob.first else { throw .truncated(0) }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard blob.count >= Self.overhead else { throw .truncated(blob.count) }
        var plain: Data
        do {
            let box = try AES.GCM.SealedBox(combined: blob.dropFirst())
            plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        } catch {
            throw .authenticationFailed
        }
        defer { plain.resetBytes(in: 0..<plain.count) }
        return [UInt8](plain)
    }
}

public enum TokenCipherError: Error, Equatable, CustomStringConvertible {
    case badKeyLength(Int)
    case sealFailed
    case truncated(Int)
    case unsupportedVersion(UInt8)
    /// Wrong key, wrong account, or a damaged blob: AES-GCM cannot tell which.
    case authenticationFailed
    case notUTF8

    public var description: String {
        switch self {
        case .badKeyLength(let n): "token key must be \(TokenCipher.keyByteCount) bytes, not \(n)"
        case .sealFailed: "token encryption failed"
        case .truncated(let n): "encrypted token too short (\(n) bytes)"
        case .unsupportedVersion(let v): "encrypted token has unknown format version \(v)"
        case .authenticationFailed: "encrypted token does not open with this key for this account (wrong key or damaged)"
        case .notUTF8: "decrypted token is not UTF-8"
        }
    }
}
