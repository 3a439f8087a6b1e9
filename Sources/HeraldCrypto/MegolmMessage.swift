/// A parsed Megolm message (the `ciphertext` of an `m.room.encrypted` event):
/// `0x03 ‖ payload ‖ MAC(8) ‖ Ed25519 signature(64)`, where the payload holds the message index
/// (field 1, varint) and the AES-CBC ciphertext (field 2, bytes). Parsing checks only the shape;
/// `MegolmInboundSession.decrypt` checks the signature and the MAC.
struct MegolmMessage {
    static let version: UInt8 = 3

    let index: UInt32
    let ciphertext: ArraySlice<UInt8>
    /// Version and payload: what the MAC covers.
    let authenticated: ArraySlice<UInt8>
    let mac: ArraySlice<UInt8>
    /// Version, payload and MAC: what the signature covers.
    let signed: ArraySlice<UInt8>
    let signature: ArraySlice<UInt8>

    init(base64 text: String) throws {
        guard text.utf8.count <= (MegolmLimits.maxMessageBytes / 3 + 1) * 4 else {
            throw CryptoError.tooLarge("Megolm message")
        }
        guard let bytes = UnpaddedBase64.decode(text, maxBytes: MegolmLimits.maxMessageBytes) else {
            throw CryptoError.malformed("Megolm message (not base64)")
        }
        try self.init(bytes: bytes)
    }

    init(bytes: [UInt8]) throws {
        guard bytes.count <= MegolmLimits.maxMessageBytes else { throw CryptoError.tooLarge("Megolm message") }
        guard let version = bytes.first else { throw CryptoError.malformed("Megolm message (empty)") }
        guard version == Self.version else { throw CryptoError.unsupported("Megolm message version \(version)") }
        guard bytes.count >= MegolmLimits.minMessageBytes else { throw CryptoError.malformed("Megolm message (too short)") }
        let signatureStart = bytes.count - MegolmLimits.signatureBytes
        let macStart = signatureStart - MegolmLimits.macBytes
        authenticated = bytes[..<macStart]
        mac = bytes[macStart..<signatureStart]
        signed = bytes[..<signatureStart]
        signature = bytes[signatureStart...]

        var reader = ProtobufReader(bytes[1..<macStart])
        var index: UInt32?
        var ciphertext: ArraySlice<UInt8>?
        while !reader.isAtEnd {
            switch try reader.next("Megolm message") {
            case (1, .varint(let value)):
                guard index == nil, let value = UInt32(exactly: value) else { throw CryptoError.malformed("Megolm message index") }
                index = value
            case (2, .bytes(let value)):
                guard ciphertext == nil else { throw CryptoError.malformed("Megolm message (two ciphertexts)") }
                ciphertext = value
            case (1, _), (2, _):
                throw CryptoError.malformed("Megolm message (field of the wrong type)")
            default:
                continue  // an unknown field: skipped, as libolm and vodozemac do
            }
        }
        guard let index, let ciphertext else { throw CryptoError.malformed("Megolm message (missing field)") }
        guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else { throw CryptoError.malformed("Megolm ciphertext length") }
        self.index = index
        self.ciphertext = ciphertext
    }
}
