import Foundation
import HeraldCore
import HeraldHTTP
import HeraldMatrix
import HeraldSecrets
import HeraldStore

/// One account's tokens: hands out a client with the current access token and refreshes the
/// pair before it expires or when the server says it has (MATRIX.md §3). A new pair is stored
/// before it is used.
actor TokenSession {
    let id: UserID
    let homeserver: String
    private let transport: any HTTPTransport
    private let store: AppDatabase
    let sealer: Sealer
    private var access: String
    private var refresh: String?
    private var expiresAt: Double?

    init(account: StoredAccount, transport: any HTTPTransport, store: AppDatabase, sealer: Sealer) throws {
        id = account.userID
        homeserver = account.homeserver
        self.transport = transport
        self.store = store
        self.sealer = sealer
        access = try sealer.open(account.accessToken, for: account.userID)
        refresh = try account.refreshToken.map { try sealer.open($0, for: account.userID) }
        expiresAt = account.tokenExpiresAt
    }

    /// A client whose token is good for a while yet: refreshed first once 80 % of its life is gone.
    func client(now: Double = Date().timeIntervalSince1970) async throws -> MatrixClient {
        if let expiresAt, refresh != nil, now >= expiresAt { try await renew() }
        return MatrixClient(baseURL: homeserver, accessToken: access, transport: transport)
    }

    /// Trades the refresh token for a new pair. Throws the server's error when the session is over.
    func renew() async throws {
        guard let refresh else {
            throw MatrixError.server(status: 401, errcode: "M_UNKNOWN_TOKEN", message: "the access token expired and there is no refresh token",
                                     retryAfterMilliseconds: nil, softLogout: false)
        }
        let r: RefreshResponse
        do {
            r = try await MatrixClient(baseURL: homeserver, transport: transport).refresh(refreshToken: refresh)
        } catch let MatrixError.server(status, code, message, _, _) where status == 401 || status == 403 {
            // Synapse answers 403 for a replaced or expired refresh token: the session is gone.
            throw MatrixError.server(status: 401, errcode: "M_UNKNOWN_TOKEN", message: "refresh refused: \(code) \(message)",
                                     retryAfterMilliseconds: nil, softLogout: false)
        }
        let newRefresh = r.refreshToken ?? refresh
        let expiry = Self.renewalTime(lifetimeMilliseconds: r.expiresInMilliseconds)
        try store.setTokens(id, access: sealer.seal(r.accessToken, for: id), refresh: sealer.seal(newRefresh, for: id), expiresAt: expiry)
        access = r.accessToken
        self.refresh = newRefresh
        expiresAt = expiry
    }

    /// When to renew: at 80 % of the token's lifetime.
    static func renewalTime(lifetimeMilliseconds: Int?, now: Double = Date().timeIntervalSince1970) -> Double? {
        lifetimeMilliseconds.map { now + Double($0) / 1000 * 0.8 }
    }

    /// For the long poll: no longer than the token lives.
    func pollLimitMilliseconds(now: Double = Date().timeIntervalSince1970) -> Int? {
        expiresAt.map { max(0, Int(($0 - now) * 1000)) }
    }

    func logout() async throws {
        try await MatrixClient(baseURL: homeserver, accessToken: access, transport: transport).logout()
    }

    /// The sealed access token, for a server-side logout retried later.
    func sealedAccessToken() throws -> [UInt8] { try sealer.seal(access, for: id) }
}
