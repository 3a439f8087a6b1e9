/// Reads the protobuf-style fields of Olm messages: varint tags, varint values and length-prefixed
/// byte strings. Every read is bounded by the input; nothing is read past its end.
struct ProtobufReader {
    enum Field {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { position == bytes.endIndex }

    /// The next field as (field number, value). Only wire types 0 and 2 exist in Olm and Megolm.
    mutating func next(_ what: String) throws -> (number: UInt64, field: Field) {
        let tag = try varint(what)
        let number = tag >> 3
        switch tag & 7 {
        case 0: return (number, .varint(try varint(what)))
        case 2:
            let length = try varint(what)
            guard length <= UInt64(bytes.endIndex - position) else { throw CryptoError.malformed("\(what) (field past the end)") }
            let start = position
            position += Int(length)
            return (number, .bytes(bytes[start..<position]))
        default: throw CryptoError.malformed("\(what) (unknown wire type)")
        }
    }

    private mutating func varint(_ what: String) throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard position < bytes.endIndex else { throw CryptoError.malformed("\(what) (truncated varint)") }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { break }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw CryptoError.malformed("\(what) (varint too long)")
    }
}
