/// A request for the libcurl driver. Bodies are bytes; JSON encoding happens above this layer.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", put = "PUT", delete = "DELETE" }

    public var method: Method
    public var url: String
    /// Header lines as (name, value); names are sent as given.
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Whole-transfer limit, connection included: one curl timer, so it wakes nothing while
    /// all is well. Dead connections are also found by TCP keepalive and TCP_USER_TIMEOUT (60 s
    /// at most, set on every socket); a frozen homeserver, whose kernel still acknowledges
    /// every byte, only by this limit. Connecting may take 15 s of it, except in a request of
    /// more than 30 s (a long poll), which keeps to this one timer (`Transfer.connectLimit`).
    public var timeoutMilliseconds: Int
    /// The transfer is aborted (not buffered) once the body grows past this.
    public var maxResponseBytes: Int

    public init(
        method: Method = .get, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutMilliseconds: Int = 30_000, maxResponseBytes: Int = 8 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

public enum HTTPError: Error, Equatable, CustomStringConvertible {
    /// Could not resolve, connect, or the connection broke; worth retrying later.
    case transport(code: Int, message: String)
    case timedOut
    case responseTooLarge(limit: Int)
    case invalidRequest(String)
    case shutDown

    public var description: String {
        switch self {
        case .transport(_, let message): return message
        case .timedOut: return "the request timed out"
        case .responseTooLarge(let limit): return "the response was larger than \(limit) bytes"
        case .invalidRequest(let why): return "invalid request: \(why)"
        case .shutDown: return "the HTTP driver is shut down"
        }
    }
}

/// The one seam between Matrix logic and the network, so that sync logic is tested without sockets.
public protocol HTTPTransport: Sendable {
    func perform(_ request: HTTPRequest) async throws -> HTTPResponse
}

public struct HTTPClientOptions: Sendable {
    /// Extra CA bundle for a private homeserver; verification is never turned off.
    public var caFile: String?
    public var userAgent: String

    public init(caFile: String? = nil, userAgent: String = "Herald") {
        self.caFile = caFile
        self.userAgent = userAgent
    }
}
