import CSystemd
import Glibc

/// Appends arguments to an outgoing message with the non-variadic sd-bus calls.
public struct MessageWriter {
    let m: OpaquePointer
    init(_ m: OpaquePointer) { self.m = m }

    public func string(_ s: String) throws {
        try s.withCString { try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "s")), $0), "append s") }
    }
    public func uint32(_ v: UInt32) throws {
        var v = v
        try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "u")), &v), "append u")
    }
    public func int32(_ v: Int32) throws {
        var v = v
        try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "i")), &v), "append i")
    }
    public func bool(_ v: Bool) throws {
        var v: Int32 = v ? 1 : 0
        try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "b")), &v), "append b")
    }
    public func byte(_ v: UInt8) throws {
        var v = v
        try check(sd_bus_message_append_basic(m, CChar(UInt8(ascii: "y")), &v), "append y")
    }
    public func strings(_ list: [String]) throws {
        try container("a", "s") { for s in list { try string(s) } }
    }
    public func container(_ type: Character, _ contents: String, _ body: () throws -> Void) throws {
        try check(sd_bus_message_open_container(m, CChar(type.asciiValue!), contents), "open \(type)\(contents)")
        try body()
        try check(sd_bus_message_close_container(m), "close \(type)\(contents)")
    }
    /// An `a{sv}` dictionary whose values are strings, booleans, bytes or int32s.
    public func hints(_ dict: [(String, BusValue)]) throws {
        try container("a", "{sv}") {
            for (key, value) in dict {
                try container("e", "sv") {
                    try string(key)
                    switch value {
                    case .string(let s): try container("v", "s") { try string(s) }
                    case .bool(let b): try container("v", "b") { try bool(b) }
                    case .byte(let y): try container("v", "y") { try byte(y) }
                    case .int32(let i): try container("v", "i") { try int32(i) }
                    }
                }
            }
        }
    }
}

public enum BusValue: Sendable, Equatable {
    case string(String), bool(Bool), byte(UInt8), int32(Int32)
}

/// Reads arguments of an incoming message; valid only inside the callback that received it.
public struct MessageReader {
    let m: OpaquePointer
    init(_ m: OpaquePointer) { self.m = m }

    public func string() throws -> String {
        var p: UnsafePointer<CChar>?
        let rc = try check(sd_bus_message_read_basic(m, CChar(UInt8(ascii: "s")), &p), "read s")
        guard rc > 0, let p else { throw BusError(name: "signature", message: "expected a string") }
        return String(cString: p)
    }
    public func uint32() throws -> UInt32 {
        var v: UInt32 = 0
        let rc = try check(sd_bus_message_read_basic(m, CChar(UInt8(ascii: "u")), &v), "read u")
        guard rc > 0 else { throw BusError(name: "signature", message: "expected a uint32") }
        return v
    }
    public func bool() throws -> Bool {
        var v: Int32 = 0
        let rc = try check(sd_bus_message_read_basic(m, CChar(UInt8(ascii: "b")), &v), "read b")
        guard rc > 0 else { throw BusError(name: "signature", message: "expected a boolean") }
        return v != 0
    }
    public func strings() throws -> [String] {
        try check(sd_bus_message_enter_container(m, CChar(UInt8(ascii: "a")), "s"), "enter as")
        var out: [String] = []
        while true {
            var p: UnsafePointer<CChar>?
            let rc = try check(sd_bus_message_read_basic(m, CChar(UInt8(ascii: "s")), &p), "read s")
            if rc == 0 { break }
            out.append(String(cString: p!))
        }
        try check(sd_bus_message_exit_container(m), "exit as")
        return out
    }
    public var path: String? { sd_bus_message_get_path(m).map { String(cString: $0) } }
    public var sender: String? { sd_bus_message_get_sender(m).map { String(cString: $0) } }
}
