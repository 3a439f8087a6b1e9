/// An inbound Megolm session as the daemon keeps it: the session, its replay guard, and who sent
/// the key. `bytes()` is the record the daemon seals: format `2` ‖ the session's pickle ‖ the
/// replay guard's bytes (message indices and event IDs: no key material of its own).
public struct GroupSessionRecord: Sendable {
    public var session: MegolmInboundSession
    public var replayGuard: MegolmReplayGuard
    /// The Matrix user and the Curve25519 key of the device that sent the key.
    public let sender: String
    public let senderKey: String

    static let format: UInt8 = 2

    public init(session: MegolmInboundSession, replayGuard: MegolmReplayGuard, sender: String, senderKey: String) {
        self.session = session
        self.replayGuard = replayGuard
        self.sender = sender
        self.senderKey = senderKey
    }

    public func bytes() throws -> [UInt8] {
        [Self.format] + session.pickled() + replayGuard.bytes()
    }

    public init(bytes: [UInt8], sender: String, senderKey: String) throws {
        let pickleEnd = 1 + MegolmInboundSession.pickleBytes
        guard bytes.count >= pickleEnd, bytes.count <= pickleEnd + MegolmReplayGuard.maxBytes else {
            throw CryptoError.malformed("group session record (length)")
        }
        guard bytes[0] == Self.format else { throw CryptoError.unsupported("group session record format \(bytes[0])") }
        let session = try MegolmInboundSession(pickle: Array(bytes[1..<pickleEnd]))
        let replayGuard = try MegolmReplayGuard(bytes: bytes[pickleEnd...])
        self.init(session: session, replayGuard: replayGuard, sender: sender, senderKey: senderKey)
    }
}
