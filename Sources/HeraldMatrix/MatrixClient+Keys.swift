import HeraldCore
import HeraldHTTP

/// The end-to-end encryption key calls (E2EE notes §2): Herald uploads its device and one-time
/// keys, and looks up the devices of senders.
extension MatrixClient {
    /// `POST /keys/upload`. Returns the server's count of `signed_curve25519` one-time keys.
    @discardableResult
    public func uploadKeys(deviceKeys: JSONValue?, oneTimeKeys: [String: JSONValue], fallbackKeys: [String: JSONValue]) async throws -> Int {
        var body: [String: JSONValue] = [:]
        if let deviceKeys { body["device_keys"] = deviceKeys }
        if !oneTimeKeys.isEmpty { body["one_time_keys"] = .object(oneTimeKeys) }
        if !fallbackKeys.isEmpty { body["fallback_keys"] = .object(fallbackKeys) }
        let v = try await request(.post, "/_matrix/client/v3/keys/upload", body: .object(body), timeoutMilliseconds: 30_000)
        return v["one_time_key_counts"]?["signed_curve25519"]?.int ?? 0
    }

    /// `POST /keys/query` for one user's devices: `device_keys[user]`, each entry the device's
    /// signed DeviceKeys as uploaded (not checked here). At most 1 MiB of answer.
    public func queryDevices(of userID: String) async throws -> [String: JSONValue] {
        let body: JSONValue = ["device_keys": .object([userID: .array([])]), "timeout": 10_000]
        let v = try await request(.post, "/_matrix/client/v3/keys/query", body: body, timeoutMilliseconds: 20_000)
        return v["device_keys"]?[userID]?.object ?? [:]
    }
}
