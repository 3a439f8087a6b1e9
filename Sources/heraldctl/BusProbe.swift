import HeraldAutostart

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Asks the session bus questions through `busctl --user` (DBUS_SESSION_BUS_ADDRESS, else
/// $XDG_RUNTIME_DIR/bus), so that heraldctl stays free of sd-bus. busctl ships with systemd,
/// which a systemd user service needs anyway.
struct BusProbe {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let available: Bool

    init(environment: [String: String]) {
        available = ChildProcess.isAvailable("busctl", environment: environment)
    }

    /// The bus's id: proof that the bus answers.
    func busID() throws -> String {
        try strings(call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId")).first ?? ""
    }

    /// name, vendor, version, spec version.
    func notificationServer() throws -> [String] {
        try strings(call(Self.notifications, Self.notificationsPath, Self.notifications, "GetServerInformation"))
    }

    func notificationCapabilities() throws -> [String] {
        try strings(call(Self.notifications, Self.notificationsPath, Self.notifications, "GetCapabilities"))
    }

    /// Whether `name` is owned now, or can be started on demand by the bus.
    func nameIsAvailable(_ name: String) throws -> (running: Bool, activatable: Bool) {
        let owned = try call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", name)
        let activatable = try strings(call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListActivatableNames"))
        return (owned.data.first?.bool ?? false, activatable.contains(name))
    }

    static let notifications = "org.freedesktop.Notifications"
    static let notificationsPath = "/org/freedesktop/Notifications"

    // MARK: busctl

    /// busctl --json=short prints {"type":"as","data":[[…]]}: the reply's arguments in `data`.
    struct Reply: Decodable {
        var type: String
        var data: [Value]
    }

    enum Value: Decodable {
        case string(String), bool(Bool), number(Double), list([Value]), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .string(s) }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let l = try? c.decode([Value].self) { self = .list(l) }
            else { self = .other }
        }

        var string: String? { if case .string(let s) = self { s } else { nil } }
        var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    }

    /// busctl's last line without the hint sd-bus appends for other situations, e.g. "(consider
    /// using --machine=<user>@.host --user to connect to bus of other user)".
    static func plain(_ stderr: String) -> String? {
        guard var line = stderr.split(separator: "\n").last.map(String.init) else { return nil }
        if line.hasSuffix(")"), let open = line.lastIndex(of: "("), line[open...].hasPrefix("(consider ") {
            line = String(line[..<open]).trimmingTrailingSpaces
        }
        return line
    }

    /// The reply's string arguments, or the strings of its one array argument.
    private func strings(_ reply: Reply) -> [String] {
        if reply.data.count == 1, case .list(let items) = reply.data[0] { return items.compactMap(\.string) }
        return reply.data.compactMap(\.string)
    }

    private func call(_ destination: String, _ path: String, _ interface: String, _ member: String,
                      _ signatureAndArguments: String...) throws -> Reply {
        guard available else { throw Failure(description: "busctl is not installed (it comes with systemd)") }
        let argv = ["busctl", "--user", "--json=short", "--timeout=5", "call", destination, path, interface, member]
            + signatureAndArguments
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess(argv, timeoutSeconds: 10).run()
        } catch {
            throw Failure(description: "\(error)")
        }
        guard outcome.succeeded else {
            throw Failure(description: Self.plain(outcome.stderr) ?? "exit status \(outcome.status)")
        }
        do {
            return try JSONDecoder().decode(Reply.self, from: Data(outcome.stdout.utf8))
        } catch {
            throw Failure(description: "busctl printed something unexpected: \(outcome.stdout.prefix(200))")
        }
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}
