/// The byte layout of Herald's pickles: fixed-width big-endian integers and raw byte strings, no
/// framing beyond a leading version byte chosen by each pickled type.
struct PickleWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    mutating func key(_ v: [UInt8]) {
        precondition(v.count == 32, "pickled keys are 32 bytes")
        bytes += v
    }
    /// Bytes whose length the reader knows from an earlier field.
    mutating func raw(_ v: some Sequence<UInt8>) { bytes += v }
}

/// Reads what `PickleWriter` wrote. Every read checks the remaining length; a short or
/// inconsistent pickle is `CryptoError.malformed`, never a crash.
struct PickleReader {
    private let bytes: [UInt8]
    private var position = 0
    private let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }

    mutating func bool() throws -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw malformed("flag")
        }
    }

    mutating func u16() throws -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    mutating func u32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func key() throws -> [UInt8] { try take(32) }
    mutating func raw(_ count: Int) throws -> [UInt8] { try take(count) }

    /// Call once everything is read: trailing bytes mean the pickle is not what it claims.
    func finish() throws {
        guard position == bytes.count else { throw malformed("trailing bytes") }
    }

    func malformed(_ detail: String) -> CryptoError { .malformed("\(what) pickle (\(detail))") }

    private mutating func take(_ count: Int) throws -> [UInt8] {
        guard bytes.count - position >= count else { throw malformed("truncated") }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }
}
