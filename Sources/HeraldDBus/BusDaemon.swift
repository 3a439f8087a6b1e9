/// `org.freedesktop.DBus`, the bus itself: who owns a name, which names it can start.
public struct BusDaemon: Sendable {
    static let name = "org.freedesktop.DBus"
    static let path = "/org/freedesktop/DBus"
    let bus: BusConnection

    public init(bus: BusConnection) {
        self.bus = bus
    }

    public func nameHasOwner(_ name: String) async throws -> Bool {
        try await bus.call(destination: Self.name, path: Self.path, interface: Self.name, member: "NameHasOwner",
                           build: { try $0.string(name) }, decode: { try $0.bool() })
    }

    /// Names the bus would start on demand (from its `.service` files).
    public func listActivatableNames() async throws -> [String] {
        try await bus.call(destination: Self.name, path: Self.path, interface: Self.name, member: "ListActivatableNames",
                           decode: { try $0.strings() })
    }

    /// Whether a call to `name` would reach someone: it has an owner now, or the bus can start one.
    public func canReach(_ name: String) async throws -> Bool {
        if try await nameHasOwner(name) { return true }
        return try await listActivatableNames().contains(name)
    }
}
