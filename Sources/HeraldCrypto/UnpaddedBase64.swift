#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Matrix writes keys, signatures and ciphertexts in standard base64 without the `=` padding.
public enum UnpaddedBase64 {
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var s = Data(bytes).base64EncodedString()
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    /// Accepts padded and unpadded text; nil for anything else, or for text over `maxBytes` decoded.
    public static func decode(_ text: String, maxBytes: Int = 1 << 20) -> [UInt8]? {
        guard text.utf8.count <= (maxBytes / 3 + 1) * 4 else { return nil }
        var s = text
        if s.hasSuffix("=") { while s.hasSuffix("=") { s.removeLast() } }
        switch s.utf8.count % 4 {
        case 1: return nil
        case 2: s += "=="
        case 3: s += "="
        default: break
        }
        guard let data = Data(base64Encoded: s) else { return nil }
        return [UInt8](data)
    }
}
