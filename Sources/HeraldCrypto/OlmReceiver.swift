/// Decrypts one to-device Olm message (`m.olm.v1.curve25519-aes-sha2`, E2EE notes §3.3) with the
/// sessions held for its sender key, or a new session for a pre-key message that matches none.
public enum OlmReceiver {
    /// The outcome of one message. `sessions` replaces the caller's list for that sender key and
    /// `account` replaces the account (it differs only when a new session used a one-time key):
    /// store both in one write, before the sync token that delivered the message.
    public struct Decrypted: Sendable {
        public let plaintext: [UInt8]
        public let sessionID: String
        public let createdSession: Bool
        public let account: OlmAccount
        /// Most recently used first, at most `OlmLimits.maxSessionsPerSender`.
        public let sessions: [OlmSession]
    }

    /// `type` and `body` are the ciphertext entry for Herald's own Curve25519 key; `senderKey` is the
    /// envelope's `sender_key` (base64); `sessions` are those held for that key, most recently used first.
    public static func decrypt(type: Int, body: String, senderKey: String, account: OlmAccount,
                               sessions: [OlmSession], now: UInt64) throws -> Decrypted {
        guard let sender = UnpaddedBase64.decode(senderKey, maxBytes: 32), sender.count == 32 else {
            throw CryptoError.malformed("Olm sender key")
        }
        guard let bytes = UnpaddedBase64.decode(body, maxBytes: OlmLimits.maxMessageBytes) else {
            throw CryptoError.malformed("Olm message base64 (or over the size limit)")
        }
        let sessions = sessions.filter { $0.senderIdentityKey == sender }
        switch type {
        case 0:
            let message = try OlmPreKeyMessage(bytes: bytes)
            if let at = sessions.firstIndex(where: { $0.matches(message) }) {
                let (plaintext, session) = try sessions[at].decrypt(message.message)
                return result(plaintext, session, at, sessions, account, created: false)
            }
            let new = try account.createInboundSession(from: message, senderKey: sender, now: now)
            return result(new.plaintext, new.session, nil, sessions, new.account, created: true)
        case 1:
            let message = try OlmMessage(bytes: bytes)
            for (at, session) in sessions.enumerated() {
                if let (plaintext, next) = try? session.decrypt(message) {
                    return result(plaintext, next, at, sessions, account, created: false)
                }
            }
            throw CryptoError.unknownSession
        default:
            throw CryptoError.unsupported("Olm message type")
        }
    }

    private static func result(_ plaintext: [UInt8], _ session: OlmSession, _ replacing: Int?, _ sessions: [OlmSession],
                               _ account: OlmAccount, created: Bool) -> Decrypted {
        var list = sessions
        if let replacing { list.remove(at: replacing) }
        list.insert(session, at: 0)
        if list.count > OlmLimits.maxSessionsPerSender { list.removeLast(list.count - OlmLimits.maxSessionsPerSender) }
        return Decrypted(plaintext: plaintext, sessionID: session.sessionID, createdSession: created,
                         account: account, sessions: list)
    }
}
