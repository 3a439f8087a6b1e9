import GRDB

extension AppDatabase {
    /// Calls `onChange` after each commit that adds or removes an account or changes its state,
    /// and not for the commits of every /sync answer. It runs on the database's writer queue:
    /// it must only hand the news on. Stops when the returned observation is cancelled.
    public func observeAccountStates(_ onChange: @escaping @Sendable () -> Void) -> StoreObservation {
        let region = Table("account").select(Column("userID"), Column("state"))
        let cancellable = DatabaseRegionObservation(tracking: region).start(
            in: writer, onError: { _ in }, onChange: { _ in onChange() })
        return StoreObservation(cancellable)
    }
}

/// A running database observation; `cancel()` (or release) ends it.
public final class StoreObservation: @unchecked Sendable {
    // @unchecked: AnyDatabaseCancellable is thread-safe; it is only held and cancelled.
    private let cancellable: AnyDatabaseCancellable

    init(_ cancellable: AnyDatabaseCancellable) {
        self.cancellable = cancellable
    }

    public func cancel() { cancellable.cancel() }
}
