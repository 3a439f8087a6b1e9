import Crypto

extension OlmAccount {
    /// What a first pre-key message gives: the new session, the first plaintext, and the account
    /// without the one-time key the session used. Store the account and the session in one write;
    /// until then nothing is consumed.
    public struct InboundSession: Sendable {
        public let session: OlmSession
        public let plaintext: [UInt8]
        public let account: OlmAccount
    }

    /// Sets up the session a pre-key message starts (Herald is "Bob", E2EE notes §3.3) and decrypts
    /// its message. `senderKey` is the envelope's `sender_key`, raw; it must be the message's identity key.
    /// `now` (seconds since the epoch) dates the first use of a fallback key.
    public func createInboundSession(from message: OlmPreKeyMessage, senderKey: [UInt8], now: UInt64) throws -> InboundSession {
        guard message.identityKey == senderKey else { throw CryptoError.malformed("Olm pre-key message (identity key is not the sender key)") }
        var account = self
        let oneTimeKey: Curve25519.KeyAgreement.PrivateKey
        if let key = oneTimeKeys.first(where: { $0.publicKey == message.oneTimeKey }) {
            oneTimeKey = key.privateKey
            account.removeOneTimeKey(message.oneTimeKey)
        } else if let key = fallbackKey, key.publicKey == message.oneTimeKey {
            oneTimeKey = key.privateKey
            if key.firstUsed == nil { account.fallbackKey?.firstUsed = now }
        } else if let key = previousFallbackKey, key.publicKey == message.oneTimeKey {
            oneTimeKey = key.privateKey
        } else {
            throw CryptoError.unknownOneTimeKey
        }
        // S = ECDH(E_B, I_A) ‖ ECDH(I_B, E_A) ‖ ECDH(E_B, E_A): the sender's 3DH seen from Bob's side.
        let secret = try OlmCipher.agree(oneTimeKey, message.identityKey)
            + OlmCipher.agree(identityKey, message.baseKey)
            + OlmCipher.agree(oneTimeKey, message.baseKey)
        let rootAndChain = MessageCipher.hkdf(secret, info: "OLM_ROOT", count: 64)
        let fresh = OlmSession(senderIdentityKey: message.identityKey, baseKey: message.baseKey,
                               oneTimeKey: message.oneTimeKey, ratchetKey: message.message.ratchetKey,
                               chainKey: Array(rootAndChain[32..<64]))
        let (plaintext, session) = try fresh.decrypt(message.message)
        return InboundSession(session: session, plaintext: plaintext, account: account)
    }
}
