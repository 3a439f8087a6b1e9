import Crypto

/// An inbound Olm session, as Herald holds it: Herald never sends, so the sender stays on its first
/// chain (chain 0, ratchet key T0) and every message arrives there. A message on any other ratchet
/// key would need a ratchet step Herald cannot take and is refused (E2EE notes §3.6).
///
/// A value: decrypting returns the advanced session and leaves this one as it was, so the caller
/// stores the new state only once it has everything else from the same message.
public struct OlmSession: Sendable, Equatable {
    struct SkippedKey: Sendable, Equatable {
        let index: UInt32
        let messageKey: [UInt8]
    }

    /// The sender's device Curve25519 key (I_A), raw.
    public let senderIdentityKey: [UInt8]
    /// The sender's ephemeral key (E_A), raw.
    let baseKey: [UInt8]
    /// Herald's one-time or fallback key the session was made with (E_B), raw.
    let oneTimeKey: [UInt8]
    /// The sender's ratchet key on chain 0 (T0).
    let ratchetKey: [UInt8]
    /// C(0, chainIndex): the key of the next message not yet received in order.
    var chainKey: [UInt8]
    var chainIndex: UInt32
    /// Keys of messages skipped over, oldest first, at most `OlmLimits.maxSkippedMessageKeys`.
    var skippedKeys: [SkippedKey]

    public var sessionID: String { Self.sessionID(identityKey: senderIdentityKey, baseKey: baseKey, oneTimeKey: oneTimeKey) }

    /// b64(SHA-256(I_A ‖ E_A ‖ E_B)), as libolm and vodozemac compute it.
    static func sessionID(identityKey: [UInt8], baseKey: [UInt8], oneTimeKey: [UInt8]) -> String {
        UnpaddedBase64.encode(SHA256.hash(data: identityKey + baseKey + oneTimeKey))
    }

    init(senderIdentityKey: [UInt8], baseKey: [UInt8], oneTimeKey: [UInt8], ratchetKey: [UInt8],
         chainKey: [UInt8], chainIndex: UInt32 = 0, skippedKeys: [SkippedKey] = []) {
        self.senderIdentityKey = senderIdentityKey
        self.baseKey = baseKey
        self.oneTimeKey = oneTimeKey
        self.ratchetKey = ratchetKey
        self.chainKey = chainKey
        self.chainIndex = chainIndex
        self.skippedKeys = skippedKeys
    }

    /// Whether a pre-key message belongs to this session (same I_A, E_A and E_B).
    public func matches(_ message: OlmPreKeyMessage) -> Bool {
        message.identityKey == senderIdentityKey && message.baseKey == baseKey && message.oneTimeKey == oneTimeKey
    }

    /// The plaintext and the session after it. Refuses a message on a ratchet key other than T0, a
    /// message too far ahead (`OlmLimits.maxMessageGap`), one whose key was used or dropped, and a
    /// wrong MAC; on any refusal nothing changes.
    public func decrypt(_ message: OlmMessage) throws -> (plaintext: [UInt8], session: OlmSession) {
        guard message.ratchetKey == ratchetKey else { throw CryptoError.unsupported("Olm ratchet key (a ratchet step)") }
        var next = self
        if message.chainIndex < chainIndex {
            guard let at = skippedKeys.firstIndex(where: { $0.index == message.chainIndex }) else {
                throw CryptoError.indexTooLow(message.chainIndex)
            }
            let plaintext = try OlmCipher.decrypt(message, messageKey: skippedKeys[at].messageKey)
            next.skippedKeys.remove(at: at)
            return (plaintext, next)
        }
        guard message.chainIndex - chainIndex <= OlmLimits.maxMessageGap, message.chainIndex < UInt32.max else {
            throw CryptoError.tooManySkipped
        }
        while next.chainIndex < message.chainIndex {
            // Only the keys of the last skipped messages are worth computing: older ones would be dropped.
            if message.chainIndex - next.chainIndex <= UInt32(OlmLimits.maxSkippedMessageKeys) {
                next.skippedKeys.append(SkippedKey(index: next.chainIndex, messageKey: OlmCipher.messageKey(next.chainKey)))
            }
            next.chainKey = OlmCipher.advance(next.chainKey)
            next.chainIndex += 1
        }
        let plaintext = try OlmCipher.decrypt(message, messageKey: OlmCipher.messageKey(next.chainKey))
        next.chainKey = OlmCipher.advance(next.chainKey)
        next.chainIndex += 1
        if next.skippedKeys.count > OlmLimits.maxSkippedMessageKeys {
            next.skippedKeys.removeFirst(next.skippedKeys.count - OlmLimits.maxSkippedMessageKeys)
        }
        return (plaintext, next)
    }
}
