import Foundation
import HeraldCore
import HeraldHTTP

/// A failed Matrix call, classified for the sync loop's decisions.
public enum MatrixError: Error, Equatable, CustomStringConvertible {
    /// The server answered with an error (`errcode`, `error`); `retryAfterMilliseconds` from a 429.
    case server(status: Int, errcode: String, message: String, retryAfterMilliseconds: Int?, softLogout: Bool)
    case network(HTTPError)
    case badResponse(String)

    public var description: String {
        switch self {
        case .server(let status, let code, let message, _, _): return "\(code) (\(status)): \(message)"
        case .network(let e): return e.description
        case .badResponse(let why): return "unexpected answer from the homeserver: \(why)"
        }
    }

    /// The access token expired but the session lives: refresh, then try again.
    public var isSoftLogout: Bool {
        if case .server(401, "M_UNKNOWN_TOKEN", _, _, true) = self { return true }
        return false
    }

    /// The access token is gone for good (deleted device, logout elsewhere, deactivation).
    public var isLoggedOut: Bool {
        if case .server(401, "M_UNKNOWN_TOKEN", _, _, false) = self { return true }
        if case .server(401, "M_MISSING_TOKEN", _, _, _) = self { return true }
        return false
    }

    /// Worth trying again later with the same request: network trouble, 5xx, 429.
    public var isTransient: Bool {
        switch self {
        case .network(let e): return e != .shutDown
        case .server(let status, _, _, _, _): return status == 429 || status >= 500
        case .badResponse: return true
        }
    }
}

public struct LoginResponse: Sendable, Equatable {
    public var userID: String
    public var accessToken: String
    public var deviceID: String
    public var refreshToken: String?
    /// Lifetime of the access token; nil when it does not expire.
    public var expiresInMilliseconds: Int?
}

public struct RefreshResponse: Sendable, Equatable {
    public var accessToken: String
    /// nil: keep using the old refresh token.
    public var refreshToken: String?
    public var expiresInMilliseconds: Int?
}

/// The few client-server API calls Herald makes, over any `HTTPTransport`.
public struct MatrixClient: Sendable {
    public let baseURL: String
    public var accessToken: String?
    let transport: any HTTPTransport

    public init(baseURL: String, accessToken: String? = nil, transport: any HTTPTransport) {
        var b = baseURL
        while b.hasSuffix("/") { b.removeLast() }
        self.baseURL = b
        self.accessToken = accessToken
        self.transport = transport
    }

    // MARK: calls

    public func versions() async throws -> [String] {
        let v = try await request(.get, "/_matrix/client/versions", authenticated: false, timeoutMilliseconds: 15_000)
        guard let list = v["versions"]?.array?.compactMap(\.string) else { throw MatrixError.badResponse("no versions list") }
        return list
    }

    public func loginWithPassword(user: String, password: String, deviceName: String) async throws -> LoginResponse {
        let body: JSONValue = [
            "type": "m.login.password",
            "identifier": ["type": "m.id.user", "user": .string(user)],
            "password": .string(password),
            "initial_device_display_name": .string(deviceName),
            "refresh_token": true,
        ]
        let v = try await request(.post, "/_matrix/client/v3/login", body: body, authenticated: false, timeoutMilliseconds: 30_000)
        guard let uid = v["user_id"]?.string, let token = v["access_token"]?.string, let device = v["device_id"]?.string else {
            throw MatrixError.badResponse("login answer without user_id, access_token or device_id")
        }
        return LoginResponse(userID: uid, accessToken: token, deviceID: device, refreshToken: v["refresh_token"]?.string,
                             expiresInMilliseconds: v["expires_in_ms"]?.int)
    }

    /// The login flows the server offers (`GET /login`, MATRIX.md §2a).
    public func loginFlows() async throws -> LoginFlows {
        LoginFlows(json: try await request(.get, "/_matrix/client/v3/login", authenticated: false, timeoutMilliseconds: 15_000))
    }

    /// Trades a login token from the SSO redirect for a session (`m.login.token`).
    public func loginWithToken(_ token: String, deviceName: String) async throws -> LoginResponse {
        let body: JSONValue = [
            "type": "m.login.token",
            "token": .string(token),
            "initial_device_display_name": .string(deviceName),
            "refresh_token": true,
        ]
        let v = try await request(.post, "/_matrix/client/v3/login", body: body, authenticated: false, timeoutMilliseconds: 30_000)
        return try Self.loginResponse(v)
    }

    static func loginResponse(_ v: JSONValue) throws -> LoginResponse {
        guard let uid = v["user_id"]?.string, let token = v["access_token"]?.string, let device = v["device_id"]?.string else {
            throw MatrixError.badResponse("login answer without user_id, access_token or device_id")
        }
        return LoginResponse(userID: uid, accessToken: token, deviceID: device, refreshToken: v["refresh_token"]?.string,
                             expiresInMilliseconds: v["expires_in_ms"]?.int)
    }

    /// Trades the refresh token for a new pair (MATRIX.md §3). Any 401 or 403 means the session is over.
    public func refresh(refreshToken: String) async throws -> RefreshResponse {
        let v = try await request(.post, "/_matrix/client/v3/refresh", body: ["refresh_token": .string(refreshToken)],
                                  authenticated: false, timeoutMilliseconds: 30_000)
        guard let token = v["access_token"]?.string else { throw MatrixError.badResponse("refresh answer without access_token") }
        return RefreshResponse(accessToken: token, refreshToken: v["refresh_token"]?.string,
                               expiresInMilliseconds: v["expires_in_ms"]?.int)
    }

    public func uploadFilter(userID: String, filter: JSONValue) async throws -> String {
        let v = try await request(.post, "/_matrix/client/v3/user/\(Self.escape(userID))/filter", body: filter, timeoutMilliseconds: 30_000)
        guard let id = v["filter_id"]?.string else { throw MatrixError.badResponse("no filter_id") }
        return id
    }

    /// One long poll. `timeout` 0 returns at once (first sync).
    public func sync(since: String?, filter: String, timeoutMilliseconds: Int) async throws -> SyncAnswer {
        var query = "filter=\(Self.escape(filter))&timeout=\(timeoutMilliseconds)&set_presence=offline"
        if let since { query += "&since=\(Self.escape(since))" }
        let (read, bytes) = try await requestRead(.get, "/_matrix/client/v3/sync?\(query)",
                                                  timeoutMilliseconds: Self.syncLimitMilliseconds(poll: timeoutMilliseconds),
                                                  maxResponseBytes: 32 << 20)
        return SyncAnswer(json: read.value, skippedEvents: read.skippedEvents, bytes: bytes)
    }

    /// How long a /sync may take before the homeserver is taken for frozen or the connection
    /// for dead: the long poll plus 15 s (60 s with the default 45 s poll). One curl timer per
    /// request, so an idle account wakes no more often than its poll. A first sync (poll 0) is
    /// computed by the server from the whole account, and may take a big account a minute.
    public static func syncLimitMilliseconds(poll: Int) -> Int {
        poll == 0 ? 120_000 : poll + 15_000
    }

    /// The user's push rules, `{"global": {...}}` — the same shape as the `m.push_rules` account data.
    public func pushRules() async throws -> JSONValue {
        try await request(.get, "/_matrix/client/v3/pushrules/", timeoutMilliseconds: 15_000)
    }

    /// "Read up to here" for the user's other devices (MATRIX.md §9); the body must be `{}`.
    public func sendReadReceipt(roomID: String, eventID: String) async throws {
        _ = try await request(.post, "/_matrix/client/v3/rooms/\(Self.escape(roomID))/receipt/m.read/\(Self.escape(eventID))",
                              body: [:], timeoutMilliseconds: 15_000)
    }

    /// One event of a room (`GET /rooms/{roomId}/event/{eventId}`), as the client-server API serves it.
    public func event(roomID: String, eventID: String, timeoutMilliseconds: Int = 5_000) async throws -> JSONValue {
        try await request(.get, "/_matrix/client/v3/rooms/\(Self.escape(roomID))/event/\(Self.escape(eventID))",
                          timeoutMilliseconds: timeoutMilliseconds, maxResponseBytes: 256 << 10)
    }

    public func logout() async throws {
        _ = try await request(.post, "/_matrix/client/v3/logout", body: [:], timeoutMilliseconds: 15_000)
    }

    public func whoami() async throws -> String {
        let v = try await request(.get, "/_matrix/client/v3/account/whoami", timeoutMilliseconds: 15_000)
        guard let uid = v["user_id"]?.string else { throw MatrixError.badResponse("no user_id") }
        return uid
    }

    // MARK: plumbing

    func request(
        _ method: HTTPRequest.Method, _ path: String, body: JSONValue? = nil, authenticated: Bool = true,
        timeoutMilliseconds: Int, maxResponseBytes: Int = 1 << 20
    ) async throws -> JSONValue {
        try await requestRead(method, path, body: body, authenticated: authenticated, timeoutMilliseconds: timeoutMilliseconds,
                              maxResponseBytes: maxResponseBytes).read.value
    }

    /// The answer as `LenientJSON` read it, and its size in bytes.
    func requestRead(
        _ method: HTTPRequest.Method, _ path: String, body: JSONValue? = nil, authenticated: Bool = true,
        timeoutMilliseconds: Int, maxResponseBytes: Int = 1 << 20
    ) async throws -> (read: LenientJSON.Result, bytes: Int) {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if authenticated, let accessToken { headers.append(("Authorization", "Bearer \(accessToken)")) }
        let req = HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body?.encoded(),
                              timeoutMilliseconds: timeoutMilliseconds, maxResponseBytes: maxResponseBytes)
        let response: HTTPResponse
        do {
            response = try await transport.perform(req)
        } catch let e as HTTPError {
            throw MatrixError.network(e)
        }
        let read: LenientJSON.Result
        do {
            read = try LenientJSON.parse(response.body)
        } catch {
            guard (200..<300).contains(response.status) else {
                throw Self.error(status: response.status, json: nil, headers: response.headers)
            }
            throw MatrixError.badResponse("the answer cannot be read as JSON: \(error) (HTTP \(response.status))")
        }
        guard (200..<300).contains(response.status) else {
            throw Self.error(status: response.status, json: read.value, headers: response.headers)
        }
        return (read, response.body.count)
    }

    static func error(status: Int, json: JSONValue?, headers: [String: String]) -> MatrixError {
        let code = json?["errcode"]?.string ?? "M_UNKNOWN"
        let message = json?["error"]?.string ?? "HTTP \(status)"
        var retry: Int?
        if status == 429 {
            if let h = headers["retry-after"], let secs = Int(h.trimmingCharacters(in: .whitespaces)) {
                retry = secs * 1000
            } else if let ms = json?["retry_after_ms"]?.int {
                retry = ms
            }
        }
        return .server(status: status, errcode: code, message: String(message.prefix(300)),
                       retryAfterMilliseconds: retry, softLogout: json?["soft_logout"]?.bool ?? false)
    }

    /// Percent-encodes a path segment or query value.
    public static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out
    }
}
