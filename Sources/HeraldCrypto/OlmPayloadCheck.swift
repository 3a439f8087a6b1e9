import HeraldCore

/// The checks on a decrypted Olm payload (E2EE notes §3.7, spec e2e.md §Validation of incoming
/// decrypted events): it must name the to-device sender, Herald as recipient, Herald's device key,
/// and the sending device's Ed25519 key. A failure names the field only, never a key.
public enum OlmPayloadCheck {
    public struct Expected: Sendable {
        /// The to-device event's `sender`.
        public var sender: String
        /// Herald's user ID and device Ed25519 key (base64).
        public var recipient: String
        public var recipientEd25519: String
        /// The sending device's Ed25519 key, from `/keys/query`; nil to take it from a valid
        /// `sender_device_keys` in the payload.
        public var senderEd25519: String?
        /// The envelope's `sender_key` (base64).
        public var senderCurve25519: String

        public init(sender: String, recipient: String, recipientEd25519: String, senderEd25519: String?, senderCurve25519: String) {
            self.sender = sender
            self.recipient = recipient
            self.recipientEd25519 = recipientEd25519
            self.senderEd25519 = senderEd25519
            self.senderCurve25519 = senderCurve25519
        }
    }

    /// The sender's Ed25519 key the payload was checked against. Throws `payloadMismatch(field)`.
    @discardableResult
    public static func check(_ payload: JSONValue, _ expected: Expected) throws -> String {
        guard payload["type"]?.string != nil else { throw CryptoError.payloadMismatch("type") }
        guard payload["content"]?.object != nil else { throw CryptoError.payloadMismatch("content") }
        guard payload["sender"]?.string == expected.sender else { throw CryptoError.payloadMismatch("sender") }
        guard payload["recipient"]?.string == expected.recipient else { throw CryptoError.payloadMismatch("recipient") }
        guard payload["recipient_keys"]?["ed25519"]?.string == expected.recipientEd25519 else {
            throw CryptoError.payloadMismatch("recipient_keys.ed25519")
        }
        guard let claimed = payload["keys"]?["ed25519"]?.string else { throw CryptoError.payloadMismatch("keys.ed25519") }
        if let deviceKeys = payload["sender_device_keys"] {
            try checkSenderDeviceKeys(deviceKeys, claimedEd25519: claimed, expected)
        } else if expected.senderEd25519 == nil {
            throw CryptoError.payloadMismatch("sender_device_keys")
        }
        if let known = expected.senderEd25519, known != claimed { throw CryptoError.payloadMismatch("keys.ed25519") }
        return claimed
    }

    /// `sender_device_keys` (spec v1.15): the sender's own signed DeviceKeys, which must agree with
    /// the envelope and the payload and carry a valid self-signature.
    private static func checkSenderDeviceKeys(_ keys: JSONValue, claimedEd25519: String, _ expected: Expected) throws {
        let field = "sender_device_keys"
        guard keys["user_id"]?.string == expected.sender, let device = keys["device_id"]?.string else {
            throw CryptoError.payloadMismatch(field)
        }
        guard keys["keys"]?["curve25519:\(device)"]?.string == expected.senderCurve25519,
              keys["keys"]?["ed25519:\(device)"]?.string == claimedEd25519,
              SignedJSON.verify(keys, user: expected.sender, keyID: device, publicKey: claimedEd25519)
        else { throw CryptoError.payloadMismatch(field) }
    }
}
