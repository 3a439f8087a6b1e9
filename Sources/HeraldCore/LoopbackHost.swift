#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whether a URL's host is this machine, the only place plain http may go.
///
/// Only literal forms count: `localhost`, a dotted-quad IPv4 address in 127.0.0.0/8 and the IPv6
/// loopback `::1` (with or without brackets). A host *name* never counts, however it starts:
/// `127.attacker.example` is resolved by DNS like any other name, and so are `localhost.` and
/// shorthand forms such as `127.1` or `2130706433`, which some resolvers read as 127.0.0.1.
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" { return true }
        if let quad = ipv4(host) { return quad.0 == 127 }
        var inner = Substring(host)
        if inner.hasPrefix("[") && inner.hasSuffix("]") { inner = inner.dropFirst().dropLast() }
        return isIPv6Loopback(String(inner))
    }

    /// A strict dotted quad: four decimal parts of 1–3 digits, no leading zeros, each at most 255.
    static func ipv4(_ host: String) -> (UInt8, UInt8, UInt8, UInt8)? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  part == "0" || !part.hasPrefix("0"), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return (bytes[0], bytes[1], bytes[2], bytes[3])
    }

    static func isIPv6Loopback(_ text: String) -> Bool {
        guard text.contains(":"), text.utf8.count <= 64 else { return false }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { Array($0) } == Array(repeating: 0, count: 15) + [1]
    }
}
