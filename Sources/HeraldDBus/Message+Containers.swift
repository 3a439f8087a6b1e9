import CSystemd

// Object paths, byte arrays, variants, structs and dictionaries, for services richer than
// Notifications (the Secret Service). All through non-variadic sd-bus calls.

extension MessageWriter {
    public func objectPath(_ path: String) throws {
        _ = try path.withCString { try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "o")), $0), "append o") }
    }

    public func objectPaths(_ list: [String]) throws {
        try container("a", "o") { for p in list { try objectPath(p) } }
    }

    /// An `ay`, copied into the message in one call.
    public func bytes(_ bytes: [UInt8]) throws {
        _ = try bytes.withUnsafeBytes { buffer in
            try check(sd_bus_message_append_array(m, CChar(UInt8(ascii: "y")), buffer.baseAddress, buffer.count), "append ay")
        }
    }

    /// An `a{ss}` dictionary, in the given order.
    public func stringDictionary(_ dict: [(String, String)]) throws {
        try container("a", "{ss}") {
            for (key, value) in dict {
                try container("e", "ss") {
                    try string(key)
                    try string(value)
                }
            }
        }
    }

    /// A variant holding one value of signature `contents`, appended by `body`.
    public func variant(_ contents: String, _ body: () throws -> Void) throws {
        try container("v", contents, body)
    }
}

extension MessageReader {
    public func objectPath() throws -> String {
        var p: UnsafePointer<CChar>?
        let rc = try check(sd_bus_message_read_basic(m, CChar(UInt8(ascii: "o")), &p), "read o")
        guard rc > 0, let p else { throw BusError(name: "signature", message: "expected an object path") }
        return String(cString: p)
    }

    public func objectPaths() throws -> [String] {
        var out: [String] = []
        try array("o") { out.append(try objectPath()) }
        return out
    }

    /// Reads an `ay`.
    public func bytes() throws -> [UInt8] {
        try withBytes { Array($0) }
    }

    /// Reads an `ay` holding a secret: returns a copy and overwrites the bytes inside the received
    /// message, so the copy returned is the only one left in this process's memory.
    public func secretBytes() throws -> [UInt8] {
        var ptr: UnsafeRawPointer?
        var size = 0
        let rc = try check(sd_bus_message_read_array(m, CChar(UInt8(ascii: "y")), &ptr, &size), "read ay")
        guard rc > 0 else { throw BusError(name: "signature", message: "expected a byte array") }
        guard let ptr, size > 0 else { return [] }
        let copy = Array(UnsafeRawBufferPointer(start: ptr, count: size))
        // A received message's body is a private heap buffer of this connection (sd-bus reads the
        // socket into it); nothing reads it again after this call.
        UnsafeMutableRawPointer(mutating: ptr).initializeMemory(as: UInt8.self, repeating: 0, count: size)
        return copy
    }

    /// Reads an `ay` and lends it to `body` without copying; the bytes are valid only inside `body`.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        var ptr: UnsafeRawPointer?
        var size = 0
        let rc = try check(sd_bus_message_read_array(m, CChar(UInt8(ascii: "y")), &ptr, &size), "read ay")
        guard rc > 0 else { throw BusError(name: "signature", message: "expected a byte array") }
        return try body(UnsafeRawBufferPointer(start: size > 0 ? ptr : nil, count: size))
    }

    /// Enters a container of `type` ("a", "r", "e", "v") with signature `contents`, runs `body`
    /// inside it, and leaves it.
    public func container<T>(_ type: Character, _ contents: String, _ body: () throws -> T) throws -> T {
        let rc = try check(sd_bus_message_enter_container(m, CChar(type.asciiValue!), contents), "enter \(type)\(contents)")
        guard rc > 0 else { throw BusError(name: "signature", message: "expected \(type)\(contents)") }
        let value = try body()
        try check(sd_bus_message_exit_container(m), "exit \(type)\(contents)")
        return value
    }

    /// Runs `body` once per element of an array whose elements have signature `element`
    /// (for a dictionary `a{kv}`, pass "{kv}": `body` then runs inside each entry).
    public func array(_ element: String, _ body: () throws -> Void) throws {
        try container("a", element) {
            if element.hasPrefix("{") {
                let entry = String(element.dropFirst().dropLast())
                while try check(sd_bus_message_enter_container(m, CChar(UInt8(ascii: "e")), entry), "enter e\(entry)") > 0 {
                    try body()
                    try check(sd_bus_message_exit_container(m), "exit e\(entry)")
                }
            } else {
                while try check(sd_bus_message_at_end(m, 0), "at end") == 0 {
                    try body()
                }
            }
        }
    }

    /// Enters the variant at the read position; `body` gets the variant's signature and reads (or
    /// skips) its value.
    public func variant<T>(_ body: (String) throws -> T) throws -> T {
        var type: CChar = 0
        var contents: UnsafePointer<CChar>?
        let rc = try check(sd_bus_message_peek_type(m, &type, &contents), "peek")
        guard rc > 0, type == CChar(UInt8(ascii: "v")), let contents else {
            throw BusError(name: "signature", message: "expected a variant")
        }
        let signature = String(cString: contents)
        return try container("v", signature) { try body(signature) }
    }

    /// Skips values of the given signature, e.g. "v" or "sa{sv}".
    public func skip(_ types: String) throws {
        try check(sd_bus_message_skip(m, types), "skip \(types)")
    }
}
