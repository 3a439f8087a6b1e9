import HeraldCore
import HeraldHTTP

/// The calls that verify Herald's device with the user's cross-signing keys and read the
/// server-side key backup (E2EE notes §6–§8). Herald reads account data and the backup; the
/// only thing it writes is its own device's signature.
extension MatrixClient {
    /// `GET /user/{userId}/account_data/{type}`: the content, or nil when the account has none
    /// of that type (M_NOT_FOUND).
    public func accountData(userID: String, type: String) async throws -> JSONValue? {
        do {
            return try await request(.get, "/_matrix/client/v3/user/\(Self.escape(userID))/account_data/\(Self.escape(type))",
                                     timeoutMilliseconds: 15_000, maxResponseBytes: 64 << 10)
        } catch MatrixError.server(404, _, _, _, _) {
            return nil
        }
    }

    /// `POST /keys/query` for one user: the whole answer (device keys and cross-signing keys).
    public func queryKeys(of userID: String) async throws -> JSONValue {
        let body: JSONValue = ["device_keys": .object([userID: .array([])]), "timeout": 10_000]
        return try await request(.post, "/_matrix/client/v3/keys/query", body: body, timeoutMilliseconds: 20_000)
    }

    /// `POST /keys/signatures/upload`. Throws when the server lists a failure for any key.
    public func uploadSignatures(_ body: JSONValue) async throws {
        let v = try await request(.post, "/_matrix/client/v3/keys/signatures/upload", body: body, timeoutMilliseconds: 20_000)
        if let failures = v["failures"]?.object, !failures.isEmpty {
            let first = failures.values.first?.object?.values.first
            let why = first?["error"]?.string ?? first?["errcode"]?.string ?? "refused"
            throw MatrixError.badResponse("the server refused the signature: \(why.prefix(200))")
        }
    }

    /// `GET /room_keys/version`: the current key backup, or nil when the account has none.
    public func keyBackupVersion() async throws -> JSONValue? {
        do {
            return try await request(.get, "/_matrix/client/v3/room_keys/version", timeoutMilliseconds: 15_000, maxResponseBytes: 64 << 10)
        } catch MatrixError.server(404, _, _, _, _) {
            return nil
        }
    }

    /// `GET /room_keys/keys/{roomId}/{sessionId}?version=V`: one backed-up room key (KeyBackupData),
    /// or nil when the backup does not hold it.
    public func backedUpRoomKey(roomID: String, sessionID: String, version: String) async throws -> JSONValue? {
        do {
            return try await request(
                .get, "/_matrix/client/v3/room_keys/keys/\(Self.escape(roomID))/\(Self.escape(sessionID))?version=\(Self.escape(version))",
                timeoutMilliseconds: 15_000, maxResponseBytes: 64 << 10)
        } catch MatrixError.server(404, _, _, _, _) {
            return nil
        }
    }
}
