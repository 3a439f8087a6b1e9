import HeraldDBus

public enum SecretServiceChanges {
    /// Signals after which a key that could not be had may be had now: a collection created,
    /// changed (unlocked, locked, relabelled) or deleted, a property of the service (its
    /// collections) changed, or `org.freedesktop.secrets` getting a new owner.
    ///
    /// Not every keeper says everything: gnome-keyring stays silent when
    /// `gnome-keyring-daemon --unlock` creates the login keyring, so a caller also retries
    /// now and then.
    public static func stream(on bus: BusConnection) async throws -> AsyncStream<Void> {
        let (stream, sink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        for member in ["CollectionCreated", "CollectionChanged", "CollectionDeleted"] {
            try await bus.onSignal(path: SecretService.path, interface: SecretService.serviceInterface, member: member) { _ in sink.yield() }
        }
        try await bus.onSignal(path: nil, interface: "org.freedesktop.DBus.Properties", member: "PropertiesChanged") { r in
            if (try? r.string()) == SecretService.collectionInterface || r.path == SecretService.path { sink.yield() }
        }
        try await bus.onSignal(path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged") { r in
            if (try? r.string()) == SecretService.name { sink.yield() }
        }
        return stream
    }
}
