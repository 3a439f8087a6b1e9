import HeraldCore
import HeraldHTTP

extension MatrixClient {
    /// One page of a room's timeline going back from `from` and stopping at `to`
    /// (`GET /rooms/{roomId}/messages?dir=b`): its events, newest first, and the token of the
    /// next page, nil at the end.
    public func messagesBack(roomID: String, from: String, to: String, limit: Int) async throws -> (events: [JSONValue], next: String?) {
        let query = "dir=b&limit=\(limit)&from=\(Self.escape(from))&to=\(Self.escape(to))"
        let page = try await request(.get, "/_matrix/client/v3/rooms/\(Self.escape(roomID))/messages?\(query)",
                                     timeoutMilliseconds: 15_000, maxResponseBytes: 4 << 20)
        guard let events = page["chunk"]?.array else { throw MatrixError.badResponse("no chunk in a /messages answer") }
        let next = page["end"]?.string.flatMap { $0.isEmpty || $0.utf8.count >= 4096 || events.isEmpty ? nil : $0 }
        return (events, next)
    }
}
