/// The stored form of a replay guard: `format (1) ‖ floor flag (0 none, 1 set) ‖ floor (u32 BE) ‖
/// count (u16 BE) ‖ count × (index (u32 BE) ‖ event ID length (1) ‖ event ID (UTF-8))`, indices in
/// ascending order. Loading refuses anything else: a wrong format or flag, more than 256 entries,
/// an empty or non-UTF-8 event ID, indices out of order or at or below the floor, bytes left over.
extension MegolmReplayGuard {
    static let bytesFormat: UInt8 = 1
    /// The largest encoding: the header and 256 entries with 255-byte event IDs.
    static let maxBytes = 8 + MegolmLimits.replayIndicesPerSession * (5 + MegolmLimits.maxEventIDBytes)

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + eventIDs.reduce(0) { $0 + 5 + $1.value.utf8.count })
        out.append(Self.bytesFormat)
        out.append(floor == nil ? 0 : 1)
        Self.append(floor ?? 0, to: &out)
        out.append(UInt8(eventIDs.count >> 8))
        out.append(UInt8(truncatingIfNeeded: eventIDs.count))
        for (index, id) in eventIDs.sorted(by: { $0.key < $1.key }) {
            Self.append(index, to: &out)
            out.append(UInt8(id.utf8.count))
            out.append(contentsOf: id.utf8)
        }
        return out
    }

    init(bytes: ArraySlice<UInt8>) throws {
        var r = Reader(bytes: bytes)
        guard try r.byte() == Self.bytesFormat else { throw CryptoError.unsupported("Megolm replay guard format") }
        let flag = try r.byte()
        let floorValue = try r.u32()
        guard flag <= 1, flag == 1 || floorValue == 0 else { throw Self.damaged }
        let count = Int(try r.byte()) << 8 | Int(try r.byte())
        guard count <= MegolmLimits.replayIndicesPerSession else { throw Self.damaged }
        var eventIDs: [UInt32: String] = [:]
        var previous: UInt32?
        for _ in 0..<count {
            let index = try r.u32()
            guard previous.map({ index > $0 }) ?? true else { throw Self.damaged }
            previous = index
            let length = Int(try r.byte())
            let raw = try r.take(length)
            let id = String(decoding: raw, as: UTF8.self)
            guard id.utf8.elementsEqual(raw) else { throw Self.damaged }
            eventIDs[index] = id
        }
        guard r.atEnd else { throw Self.damaged }
        try self.init(eventIDs: eventIDs, floor: flag == 1 ? floorValue : nil)
    }

    private static let damaged = CryptoError.malformed("Megolm replay guard")

    private static func append(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>
        var atEnd: Bool { bytes.isEmpty }
        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard bytes.count >= n else { throw MegolmReplayGuard.damaged }
            defer { bytes = bytes.dropFirst(n) }
            return bytes.prefix(n)
        }
        mutating func byte() throws -> UInt8 { try take(1).first! }
        mutating func u32() throws -> UInt32 { try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
    }
}
