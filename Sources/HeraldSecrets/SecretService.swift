import HeraldDBus

/// `org.freedesktop.secrets` (freedesktop Secret Service API), client side: the calls Herald
/// makes. Prompts are in `SecretService+Prompt.swift`.
struct SecretService: Sendable {
    static let name = "org.freedesktop.secrets"
    static let path = "/org/freedesktop/secrets"
    static let serviceInterface = "org.freedesktop.Secret.Service"
    static let collectionInterface = "org.freedesktop.Secret.Collection"
    static let itemInterface = "org.freedesktop.Secret.Item"
    static let sessionInterface = "org.freedesktop.Secret.Session"
    static let promptInterface = "org.freedesktop.Secret.Prompt"
    /// The path that means "none": no prompt needed, no such collection.
    static let noObject = "/"

    let bus: BusConnection

    /// A session with the "plain" algorithm: the secret travels unencrypted over the session bus,
    /// which only this user's processes can reach.
    func openPlainSession() async throws -> String {
        try await callService("OpenSession", build: { w in
            try w.string("plain")
            try w.variant("s") { try w.string("") }
        }, decode: { r in
            try r.skip("v")
            return try r.objectPath()
        })
    }

    func closeSession(_ session: String) async throws {
        try await bus.call(destination: Self.name, path: session, interface: Self.sessionInterface, member: "Close",
                           decode: { _ in () })
    }

    func searchItems(_ attributes: [(String, String)]) async throws -> (unlocked: [String], locked: [String]) {
        try await callService("SearchItems", build: { try $0.stringDictionary(attributes) }, decode: { r in
            (try r.objectPaths(), try r.objectPaths())
        })
    }

    /// Unlocks what it can at once; the rest needs the returned prompt (`none` when there is none).
    func unlock(_ objects: [String]) async throws -> (unlocked: [String], prompt: String) {
        try await callService("Unlock", build: { try $0.objectPaths(objects) }, decode: { r in
            (try r.objectPaths(), try r.objectPath())
        })
    }

    func lock(_ objects: [String]) async throws -> (locked: [String], prompt: String) {
        try await callService("Lock", build: { try $0.objectPaths(objects) }, decode: { r in
            (try r.objectPaths(), try r.objectPath())
        })
    }

    /// The secret value of an unlocked item, read with GetSecrets; nil when the reply leaves it out.
    func secret(of item: String, session: String) async throws -> [UInt8]? {
        try await callService("GetSecrets", build: { w in
            try w.objectPaths([item])
            try w.objectPath(session)
        }, decode: { r in
            var found: [UInt8]?
            try r.array("{o(oayays)}") {
                let path = try r.objectPath()
                try r.container("r", "oayays") {
                    try r.skip("oay")  // session, parameters (empty for "plain")
                    let value = try r.secretBytes()
                    try r.skip("s")    // content type
                    if path == item { found = value }
                }
            }
            return found
        })
    }

    /// The collection an alias ("default") points to, or `none`.
    func readAlias(_ alias: String) async throws -> String {
        try await callService("ReadAlias", build: { try $0.string(alias) }, decode: { try $0.objectPath() })
    }

    func createCollection(label: String, alias: String) async throws -> (collection: String, prompt: String) {
        try await callService("CreateCollection", build: { w in
            try w.container("a", "{sv}") {
                try w.container("e", "sv") {
                    try w.string("org.freedesktop.Secret.Collection.Label")
                    try w.variant("s") { try w.string(label) }
                }
            }
            try w.string(alias)
        }, decode: { r in (try r.objectPath(), try r.objectPath()) })
    }

    func createItem(
        in collection: String, label: String, attributes: [(String, String)],
        secret: [UInt8], contentType: String, session: String, replace: Bool
    ) async throws -> (item: String, prompt: String) {
        try await bus.call(destination: Self.name, path: collection, interface: Self.collectionInterface, member: "CreateItem",
                           build: { w in
                               try w.container("a", "{sv}") {
                                   try w.container("e", "sv") {
                                       try w.string("org.freedesktop.Secret.Item.Label")
                                       try w.variant("s") { try w.string(label) }
                                   }
                                   try w.container("e", "sv") {
                                       try w.string("org.freedesktop.Secret.Item.Attributes")
                                       try w.variant("a{ss}") { try w.stringDictionary(attributes) }
                                   }
                               }
                               try w.container("r", "oayays") {
                                   try w.objectPath(session)
                                   try w.bytes([])
                                   try w.bytes(secret)
                                   try w.string(contentType)
                               }
                               try w.bool(replace)
                           }, decode: { r in (try r.objectPath(), try r.objectPath()) })
    }

    /// Deletes an item; returns a prompt path or `none`.
    func deleteItem(_ item: String) async throws -> String {
        try await bus.call(destination: Self.name, path: item, interface: Self.itemInterface, member: "Delete",
                           decode: { try $0.objectPath() })
    }

    private func callService<T: Sendable>(
        _ member: String,
        build: @escaping @Sendable (MessageWriter) throws -> Void = { _ in },
        decode: @escaping @Sendable (MessageReader) throws -> T
    ) async throws -> T {
        try await bus.call(destination: Self.name, path: Self.path, interface: Self.serviceInterface, member: member,
                           build: build, decode: decode)
    }
}
