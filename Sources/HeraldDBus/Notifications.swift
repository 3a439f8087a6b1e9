import HeraldCore

/// `org.freedesktop.Notifications` (Desktop Notifications Specification 1.2), client side.
public struct NotificationRequest: Sendable, Equatable {
    public var replacesID: UInt32
    public var summary: String
    public var body: String
    public var actions: [String]
    public var hints: [(String, BusValue)]
    /// -1 lets the server decide; 0 never expires.
    public var expireTimeout: Int32

    public init(replacesID: UInt32 = 0, summary: String, body: String, actions: [String] = [],
                hints: [(String, BusValue)] = [], expireTimeout: Int32 = -1) {
        self.replacesID = replacesID
        self.summary = summary.withoutControlCharacters
        self.body = body.withoutControlCharacters
        self.actions = actions
        self.hints = hints
        self.expireTimeout = expireTimeout
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.replacesID == b.replacesID && a.summary == b.summary && a.body == b.body && a.actions == b.actions
            && a.expireTimeout == b.expireTimeout && a.hints.map(\.0) == b.hints.map(\.0) && a.hints.map(\.1) == b.hints.map(\.1)
    }
}

public enum NotificationSignal: Sendable, Equatable {
    /// reason: 1 expired, 2 dismissed by the user, 3 closed by CloseNotification, 4 other.
    case closed(id: UInt32, reason: UInt32)
    case actionInvoked(id: UInt32, action: String)
    case activationToken(id: UInt32, token: String)
    /// The owner of org.freedesktop.Notifications changed: a server started, stopped or was replaced.
    case serverChanged(present: Bool)
}

/// What the daemon needs from a notification server; the seam that lets the delivery logic be
/// tested without a bus.
public protocol NotificationSink: Sendable {
    func notify(_ request: NotificationRequest) async throws -> UInt32
    func close(_ id: UInt32) async throws
    func capabilities() async throws -> [String]
    func serverInformation() async throws -> String
}

public struct DesktopNotifications: NotificationSink {
    static let name = "org.freedesktop.Notifications"
    static let path = "/org/freedesktop/Notifications"
    let bus: BusConnection
    let appName: String
    /// An icon theme name: herald.svg, installed under hicolor/scalable/apps by `make install`.
    let appIcon: String

    public init(bus: BusConnection, appName: String = "Herald", appIcon: String = "herald") {
        self.bus = bus
        self.appName = appName
        self.appIcon = appIcon
    }

    public func notify(_ r: NotificationRequest) async throws -> UInt32 {
        let (appName, appIcon) = (self.appName, self.appIcon)
        return try await bus.call(destination: Self.name, path: Self.path, interface: Self.name, member: "Notify", build: { w in
            try w.string(appName)
            try w.uint32(r.replacesID)
            try w.string(appIcon)  // for servers that ignore the desktop-entry hint
            try w.string(r.summary)
            try w.string(r.body)
            try w.strings(r.actions)
            try w.hints(r.hints)
            try w.int32(r.expireTimeout)
        }, decode: { try $0.uint32() })
    }

    public func close(_ id: UInt32) async throws {
        try await bus.call(destination: Self.name, path: Self.path, interface: Self.name, member: "CloseNotification",
                           build: { try $0.uint32(id) }, decode: { _ in () })
    }

    public func capabilities() async throws -> [String] {
        try await bus.call(destination: Self.name, path: Self.path, interface: Self.name, member: "GetCapabilities",
                           decode: { try $0.strings() })
    }

    /// "name version" of the running server.
    public func serverInformation() async throws -> String {
        try await bus.call(destination: Self.name, path: Self.path, interface: Self.name, member: "GetServerInformation",
                           decode: { r in
                               let name = try r.string(), _ = try r.string(), version = try r.string()
                               return "\(name) \(version)"
                           })
    }

    /// Delivers NotificationClosed, ActionInvoked and ActivationToken as they arrive.
    public func signals() async throws -> AsyncStream<NotificationSignal> {
        let (stream, cont) = AsyncStream.makeStream(of: NotificationSignal.self, bufferingPolicy: .bufferingNewest(256))
        try await bus.onSignal(path: Self.path, interface: Self.name, member: "NotificationClosed") { r in
            if let id = try? r.uint32(), let reason = try? r.uint32() { cont.yield(.closed(id: id, reason: reason)) }
        }
        try await bus.onSignal(path: Self.path, interface: Self.name, member: "ActionInvoked") { r in
            if let id = try? r.uint32(), let key = try? r.string() { cont.yield(.actionInvoked(id: id, action: key)) }
        }
        try await bus.onSignal(path: Self.path, interface: Self.name, member: "ActivationToken") { r in
            if let id = try? r.uint32(), let token = try? r.string() { cont.yield(.activationToken(id: id, token: token)) }
        }
        try await bus.onSignal(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged") { r in
            guard let name = try? r.string(), name == Self.name, (try? r.string()) != nil, let new = try? r.string() else { return }
            cont.yield(.serverChanged(present: !new.isEmpty))
        }
        return stream
    }
}
