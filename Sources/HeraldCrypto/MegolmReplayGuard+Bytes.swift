/// The stored form of a replay guard: `format (1) ‖ floor flag (0 none, 1 set) ‖ floor (u32 BE) ‖
/// count (u16 BE) ‖ count × (index (u32 BE) ‖ event ID length (1) ‖ event ID (UTF-8))`, indices in
/// ascending order. Loading refuses anything else: a wrong format or flag, more than 256 entries,
/// an empty or non-UTF-8 event ID, indices out of order or at or below the floor, bytes left over.
extension MegolmReplayGuard {
    static let bytesFormat: UInt8 = 1
    /// The largest encoding: the header and 256 entries with 255-byte event IDs.
    static let maxBytes = 8 + MegolmLimits.replayIndicesPerSession * (5 + MegolmLimits.maxEventIDBytes)

    func bytes() -> [UInt8] {
        var w = PickleWriter(capacity: 8 + eventIDs.reduce(0) { $0 + 5 + $1.value.utf8.count })
        w.u8(Self.bytesFormat)
        w.bool(floor != nil)
        w.u32(floor ?? 0)
        w.u16(UInt16(eventIDs.count))
        for (index, id) in eventIDs.sorted(by: { $0.key < $1.key }) {
            w.u32(index)
            w.u8(UInt8(id.utf8.count))
            w.raw(id.utf8)
        }
        return w.bytes
    }

    init(bytes: ArraySlice<UInt8>) throws {
        var r = PickleReader(Array(bytes), what: "Megolm replay guard")
        guard try r.u8() == Self.bytesFormat else { throw CryptoError.unsupported("Megolm replay guard format") }
        let hasFloor = try r.bool()
        let floorValue = try r.u32()
        guard hasFloor || floorValue == 0 else { throw r.malformed("floor") }
        let count = Int(try r.u16())
        guard count <= MegolmLimits.replayIndicesPerSession else { throw r.malformed("count") }
        var eventIDs: [UInt32: String] = [:]
        var previous: UInt32?
        for _ in 0..<count {
            let index = try r.u32()
            guard previous.map({ index > $0 }) ?? true else { throw r.malformed("order") }
            previous = index
            let raw = try r.raw(Int(try r.u8()))
            let id = String(decoding: raw, as: UTF8.self)
            guard id.utf8.elementsEqual(raw) else { throw r.malformed("event ID") }
            eventIDs[index] = id
        }
        try r.finish()
        try self.init(eventIDs: eventIDs, floor: hasFloor ? floorValue : nil)
    }
}
