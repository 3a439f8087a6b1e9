import HeraldCore
import HeraldMatrix
import Testing

struct SsoLoopbackTests {
    let state = "0123456789abcdef0123456789abcdef"

    func request(_ line: String) -> SsoLoopback.Request? {
        SsoLoopback.parseRequest(Array("\(line)\r\nHost: 127.0.0.1\r\n\r\n".utf8))
    }

    @Test func ssoURLEncodesTheRedirect() {
        #expect(SsoLoopback.ssoURL(baseURL: "https://m.example.org/", idp: nil, port: 23456, state: state)
            == "https://m.example.org/_matrix/client/v3/login/sso/redirect?redirectUrl=http%3A%2F%2F127.0.0.1%3A23456%2Fcallback%3Fstate%3D\(state)")
        #expect(SsoLoopback.ssoURL(baseURL: "https://m.example.org", idp: "oidc-psc", port: 20000, state: state)
            .hasPrefix("https://m.example.org/_matrix/client/v3/login/sso/redirect/oidc-psc?redirectUrl=http%3A%2F%2F127.0.0.1%3A20000%2F"))
        #expect(SsoLoopback.ssoURL(baseURL: "https://m", idp: "a/b", port: 20000, state: state)
            .hasPrefix("https://m/_matrix/client/v3/login/sso/redirect/a%2Fb?"))
    }

    @Test func theGoodCallbackGivesItsToken() throws {
        let r = try #require(request("GET /callback?state=\(state)&loginToken=syt_abc%2Bd HTTP/1.1"))
        #expect(r.method == "GET" && r.path == "/callback")
        #expect(SsoLoopback.verdict(for: r, expectedState: state) == .token("syt_abc+d"))
        let head = try #require(request("HEAD /callback?loginToken=t&state=\(state) HTTP/1.0"))
        #expect(SsoLoopback.verdict(for: head, expectedState: state) == .token("t"))
    }

    @Test func wrongOrMissingStateIsRefused() throws {
        for line in ["GET /callback?state=ffff&loginToken=t HTTP/1.1",
                     "GET /callback?loginToken=t HTTP/1.1",
                     "GET /callback?state=&loginToken=t HTTP/1.1",
                     "GET /callback?state=\(state)x&loginToken=t HTTP/1.1",
                     "GET /callback?state=\(state)&state=\(state)&loginToken=t HTTP/1.1"] {
            let r = try #require(request(line))
            guard case .badRequest = SsoLoopback.verdict(for: r, expectedState: state) else {
                Issue.record("accepted: \(line)")
                continue
            }
        }
        let noToken = try #require(request("GET /callback?state=\(state) HTTP/1.1"))
        #expect(SsoLoopback.verdict(for: noToken, expectedState: state) == .badRequest("the homeserver sent no login token"))
    }

    @Test func onlyGetAndHeadOnTheCallbackPath() throws {
        let post = try #require(request("POST /callback?state=\(state)&loginToken=t HTTP/1.1"))
        #expect(SsoLoopback.verdict(for: post, expectedState: state) == .methodNotAllowed)
        let other = try #require(request("GET /other?state=\(state)&loginToken=t HTTP/1.1"))
        #expect(SsoLoopback.verdict(for: other, expectedState: state) == .notFound)
        let favicon = try #require(request("GET /favicon.ico HTTP/1.1"))
        #expect(SsoLoopback.verdict(for: favicon, expectedState: state) == .notFound)
    }

    @Test func garbageIsNotARequest() {
        #expect(SsoLoopback.parseRequest(Array("hello".utf8)) == nil)
        #expect(request("GET /callback") == nil)
        #expect(request("GET callback HTTP/1.1") == nil)
        #expect(request("GET /callback?state=%zz HTTP/1.1") == nil)
        #expect(request("\u{16}\u{3}\u{1} x y") == nil)
    }

    @Test func responsesAreSmallHTMLPages() {
        let ok = String(decoding: SsoLoopback.response(status: 200, title: "Signed in to Herald — you can close this tab", message: "<b>"), as: UTF8.self)
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(ok.contains("Signed in to Herald — you can close this tab"))
        #expect(ok.contains("&lt;b&gt;") && !ok.contains("<b>"))
        let head = String(decoding: SsoLoopback.response(status: 400, title: "x", message: "y", head: true), as: UTF8.self)
        #expect(head.hasSuffix("\r\n\r\n"))
    }

    @Test func loginFlowsListProvidersByName() throws {
        let json = try JSONValue.decode(Array("""
            {"flows":[{"type":"m.login.password"},{"type":"m.login.token","get_login_token":true},
              {"type":"m.login.sso","identity_providers":[{"id":"oidc-psc","name":"Pro Santé Connect"},{"id":"oidc-b"}]}]}
            """.utf8))
        let flows = LoginFlows(json: json)
        #expect(flows.password && flows.sso)
        #expect(flows.types == ["m.login.password", "m.login.token", "m.login.sso"])
        #expect(flows.identityProviders == [.init(id: "oidc-psc", name: "Pro Santé Connect"), .init(id: "oidc-b", name: "oidc-b")])
        let passwordOnly = LoginFlows(json: try JSONValue.decode(Array(#"{"flows":[{"type":"m.login.password"}]}"#.utf8)))
        #expect(passwordOnly.password && !passwordOnly.sso && passwordOnly.identityProviders.isEmpty)
    }
}
