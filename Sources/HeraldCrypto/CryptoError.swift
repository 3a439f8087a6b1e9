/// Why a key, message or payload was refused. The descriptions name the rule that failed and never
/// carry key material, so they are safe to log.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case tooLarge(String)
    case badMAC
    case badSignature
    case unknownSession
    case unknownOneTimeKey
    case replayedIndex(UInt32)
    case replayWindowPassed(UInt32)
    case indexTooLow(UInt32)
    case tooManySkipped
    case payloadMismatch(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .malformed(let what): return "malformed \(what)"
        case .tooLarge(let what): return "\(what) is over the size limit"
        case .badMAC: return "the MAC does not match"
        case .badSignature: return "the signature does not verify"
        case .unknownSession: return "no session for this message"
        case .unknownOneTimeKey: return "the one-time key is unknown or already used"
        case .replayedIndex(let i): return "message index \(i) was already seen with another event"
        case .replayWindowPassed(let i): return "message index \(i) is older than the indices kept for replay checks"
        case .indexTooLow(let i): return "message index \(i) is before the session's first known index"
        case .tooManySkipped: return "too many skipped messages"
        case .payloadMismatch(let field): return "the decrypted payload's \(field) does not match"
        case .unsupported(let what): return "unsupported \(what)"
        }
    }
}
