import HeraldCore

/// What `GET /login` says the server accepts (MATRIX.md §2a).
public struct LoginFlows: Sendable, Equatable {
    public struct IdentityProvider: Sendable, Equatable {
        public var id: String
        public var name: String
        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// Every flow type, in the server's order (e.g. `m.login.password`, `m.login.sso`).
    public var types: [String]
    public var identityProviders: [IdentityProvider]

    public init(types: [String], identityProviders: [IdentityProvider] = []) {
        self.types = types
        self.identityProviders = identityProviders
    }

    public var password: Bool { types.contains("m.login.password") }
    public var sso: Bool { types.contains("m.login.sso") || types.contains("m.login.cas") }

    /// Reads the body of `GET /login`; flows of unknown shape are skipped.
    public init(json: JSONValue) {
        var types: [String] = []
        var providers: [IdentityProvider] = []
        for flow in json["flows"]?.array ?? [] {
            guard let type = flow["type"]?.string, !type.isEmpty else { continue }
            if !types.contains(type) { types.append(type) }
            guard type == "m.login.sso" else { continue }
            for p in flow["identity_providers"]?.array ?? [] {
                guard let id = p["id"]?.string, !id.isEmpty, !providers.contains(where: { $0.id == id }) else { continue }
                let name = p["name"]?.string ?? id
                providers.append(IdentityProvider(id: id, name: name.isEmpty ? id : name))
            }
        }
        self.init(types: types, identityProviders: providers)
    }
}

/// The pure parts of the loopback SSO recipe (MATRIX.md §2a): the browser's URL, and what to
/// make of a request that arrives on the loopback listener. No I/O here.
public enum SsoLoopback {
    /// The only path the listener answers.
    public static let callbackPath = "/callback"

    /// Where the browser comes back: `http://127.0.0.1:PORT/callback?state=STATE`.
    public static func redirectURL(port: Int, state: String) -> String {
        "http://127.0.0.1:\(port)\(callbackPath)?state=\(MatrixClient.escape(state))"
    }

    /// `<base>/_matrix/client/v3/login/sso/redirect[/{idp}]?redirectUrl=<urlencoded redirect>`.
    public static func ssoURL(baseURL: String, idp: String?, port: Int, state: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var url = base + "/_matrix/client/v3/login/sso/redirect"
        if let idp { url += "/" + MatrixClient.escape(idp) }
        return url + "?redirectUrl=" + MatrixClient.escape(redirectURL(port: port, state: state))
    }

    /// A request line, as far as the listener cares.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var path: String
        /// Decoded query parameters; a name given twice keeps its first value.
        public var query: [String: String]
        /// True when a name was given more than once (a forged callback may try that).
        public var repeatedNames: Bool
    }

    /// Parses the head of an HTTP/1.x request (bytes up to the blank line, or more).
    /// nil: not a request line this listener understands.
    public static func parseRequest(_ head: [UInt8]) -> Request? {
        guard let lineEnd = head.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var line = head[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)), !parts[0].isEmpty, !parts[1].isEmpty
        else { return nil }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        guard target.hasPrefix("/") else { return nil }
        let path: Substring
        let rawQuery: Substring
        if let q = target.firstIndex(of: "?") {
            path = target[..<q]
            rawQuery = target[target.index(after: q)...]
        } else {
            path = Substring(target)
            rawQuery = ""
        }
        var query: [String: String] = [:]
        var repeated = false
        for pair in rawQuery.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(kv[0]) else { return nil }
            guard let value = kv.count > 1 ? percentDecode(kv[1]) : "" else { return nil }
            if query[name] != nil { repeated = true } else { query[name] = value }
        }
        guard let decodedPath = percentDecode(path) else { return nil }
        return Request(method: method, path: decodedPath, query: query, repeatedNames: repeated)
    }

    /// What the listener does with one request.
    public enum Verdict: Sendable, Equatable {
        /// The awaited callback: its login token.
        case token(String)
        /// 405: anything but GET or HEAD.
        case methodNotAllowed
        /// 404: another path.
        case notFound
        /// 400: the state is missing or wrong, or the token is missing.
        case badRequest(String)
    }

    /// Judges a parsed request against the state this sign-in expects. The state is compared
    /// in constant time.
    public static func verdict(for request: Request, expectedState: String) -> Verdict {
        guard request.method == "GET" || request.method == "HEAD" else { return .methodNotAllowed }
        guard request.path == callbackPath else { return .notFound }
        guard !request.repeatedNames else { return .badRequest("a parameter is repeated") }
        guard let state = request.query["state"], constantTimeEqual(state, expectedState) else {
            return .badRequest("this sign-in link is not the one Herald is waiting for")
        }
        guard let token = request.query["loginToken"], !token.isEmpty, token.utf8.count <= 2048 else {
            return .badRequest("the homeserver sent no login token")
        }
        return .token(token)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// `%XX` and `+` decoding; nil for a malformed escape or invalid UTF-8.
    static func percentDecode(_ s: Substring) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            switch b {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard bytes.count >= 2, let hi = hexValue(bytes.removeFirst()), let lo = hexValue(bytes.removeFirst()) else { return nil }
                out.append(hi << 4 | lo)
            default: out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A complete HTTP/1.1 response with a small HTML page; HEAD gets the head only.
    public static func response(status: Int, title: String, message: String, head: Bool = false) -> [UInt8] {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone"][status] ?? "Error"
        let body = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(html(title))</title></head>
            <body style="font-family: sans-serif; margin: 3em;"><h1>\(html(title))</h1><p>\(html(message))</p></body></html>

            """
        let bytes = Array(body.utf8)
        var out = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(bytes.count)\r\n"
        out += "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n"
        if status == 405 { out += "Allow: GET, HEAD\r\n" }
        out += "\r\n"
        return Array(out.utf8) + (head ? [] : bytes)
    }

    static func html(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
