import Foundation
import HeraldControl
import HeraldCore
import HeraldHTTP
import HeraldMatrix

/// Turns what the user typed into a homeserver base URL: a URL is checked as given, a bare
/// server name is looked up through `/.well-known/matrix/client` (MATRIX.md §1).
enum Homeserver {
    static func resolve(_ input: String, transport: any HTTPTransport) async throws -> String {
        let typed = input.trimmingCharacters(in: .whitespaces)
        guard !typed.isEmpty, typed.utf8.count <= 2048 else {
            throw ControlError.invalidHomeserver(homeserver: String(typed.prefix(80)), reason: "give the homeserver's address, e.g. https://matrix.example.org")
        }
        var base: String
        if typed.firstRange(of: "://") != nil {  // not Foundation's contains, which loads ICU
            base = try checked(typed)
        } else {
            base = try checked("https://" + typed)
            if let found = try await wellKnown(base, transport: transport) { base = try checked(found) }
        }
        while base.hasSuffix("/") { base.removeLast() }
        do {
            _ = try await MatrixClient(baseURL: base, transport: transport).versions()
        } catch let e as MatrixError {
            if case .network(let n) = e { throw ControlError.serverUnreachable(homeserver: base, reason: n.description) }
            throw ControlError.invalidHomeserver(homeserver: base, reason: "it does not answer as a Matrix homeserver (\(e))")
        }
        return base
    }

    /// Plain http only to a literal loopback address (`LoopbackHost`); anything else must be https.
    static func checked(_ s: String) throws -> String {
        guard let url = URL(string: s), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw ControlError.invalidHomeserver(homeserver: s, reason: "not a valid URL")
        }
        guard url.user == nil, url.password == nil, url.query == nil, url.fragment == nil else {
            throw ControlError.invalidHomeserver(homeserver: s, reason: "the address must not carry a user, query or fragment")
        }
        switch scheme {
        case "https": return s
        case "http" where LoopbackHost.contains(host):
            return s
        case "http": throw ControlError.invalidHomeserver(homeserver: s, reason: "plain http is only allowed for this machine; use https")
        default: throw ControlError.invalidHomeserver(homeserver: s, reason: "the address must start with https://")
        }
    }

    static func wellKnown(_ base: String, transport: any HTTPTransport) async throws -> String? {
        let response: HTTPResponse
        do {
            response = try await transport.perform(HTTPRequest(url: base + "/.well-known/matrix/client", timeoutMilliseconds: 15_000,
                                                               maxResponseBytes: 64 << 10))
        } catch {
            return nil  // no well-known: the name itself is tried as the homeserver
        }
        guard response.status == 200 else { return nil }
        guard let json = try? JSONValue.decode(response.body), let url = json["m.homeserver"]?["base_url"]?.string else {
            throw ControlError.invalidHomeserver(homeserver: base, reason: "its /.well-known/matrix/client is malformed")
        }
        return url
    }
}
