extension SecretServiceStore {
    /// Whether Herald's token key is in the Secret Service, locked or not. Asks nothing of the user.
    public func keyExists() async throws -> Bool {
        let found = try await service.searchItems(Self.attributes)
        return !(found.unlocked.isEmpty && found.locked.isEmpty)
    }
}
