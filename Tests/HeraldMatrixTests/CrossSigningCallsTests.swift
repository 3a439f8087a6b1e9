import HeraldCore
import HeraldHTTP
import Testing
@testable import HeraldMatrix

/// The calls of device verification and key backup, against canned answers: what a missing
/// item, a refusal and a success look like to the caller.
@Suite struct CrossSigningCallsTests {
    /// Answers each request with the canned status and body for its path (without the query),
    /// and remembers the requests.
    final class CannedTransport: HTTPTransport, @unchecked Sendable {
        let answers: [String: (Int, String)]
        private(set) var urls: [String] = []
        private(set) var methods: [HTTPRequest.Method] = []

        init(_ answers: [String: (Int, String)]) { self.answers = answers }

        func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
            urls.append(request.url)
            methods.append(request.method)
            let path = String(request.url.dropFirst("https://hs".count).prefix { $0 != "?" })
            let (status, body) = answers[path] ?? (404, #"{"errcode":"M_UNRECOGNIZED"}"#)
            return HTTPResponse(status: status, body: Array(body.utf8))
        }
    }

    let notFound = (404, #"{"errcode":"M_NOT_FOUND","error":"Account data not found"}"#)

    @Test func missingAccountDataAndBackupAreNil() async throws {
        let transport = CannedTransport([
            "/_matrix/client/v3/user/%40alice%3Ax/account_data/m.secret_storage.default_key": (200, #"{"key":"K"}"#),
            "/_matrix/client/v3/user/%40alice%3Ax/account_data/m.cross_signing.self_signing": notFound,
            "/_matrix/client/v3/room_keys/version": notFound,
            "/_matrix/client/v3/room_keys/keys/%21r%3Ax/S%2F1": notFound,
        ])
        let client = MatrixClient(baseURL: "https://hs", accessToken: "t", transport: transport)
        #expect(try await client.accountData(userID: "@alice:x", type: "m.secret_storage.default_key")?["key"]?.string == "K")
        #expect(try await client.accountData(userID: "@alice:x", type: "m.cross_signing.self_signing") == nil)
        #expect(try await client.keyBackupVersion() == nil)
        #expect(try await client.backedUpRoomKey(roomID: "!r:x", sessionID: "S/1", version: "1 2") == nil)
        #expect(transport.urls.last == "https://hs/_matrix/client/v3/room_keys/keys/%21r%3Ax/S%2F1?version=1%202")
        #expect(transport.methods.allSatisfy { $0 == .get }, "Herald only reads the backup and account data")
    }

    @Test func aRefusedSignatureThrowsAndOtherErrorsPassThrough() async throws {
        let transport = CannedTransport([
            "/_matrix/client/v3/keys/signatures/upload":
                (200, #"{"failures":{"@alice:x":{"DEV":{"errcode":"M_INVALID_SIGNATURE","error":"Invalid signature"}}}}"#),
            "/_matrix/client/v3/room_keys/version": (403, #"{"errcode":"M_FORBIDDEN"}"#),
        ])
        let client = MatrixClient(baseURL: "https://hs", accessToken: "t", transport: transport)
        await #expect(throws: MatrixError.badResponse("the server refused the signature: Invalid signature")) {
            try await client.uploadSignatures(["@alice:x": ["DEV": [:]]])
        }
        await #expect(throws: MatrixError.self) { try await client.keyBackupVersion() }

        let accepting = CannedTransport(["/_matrix/client/v3/keys/signatures/upload": (200, #"{"failures":{}}"#)])
        try await MatrixClient(baseURL: "https://hs", accessToken: "t", transport: accepting).uploadSignatures(["@alice:x": [:]])
        #expect(accepting.methods == [.post])
    }
}
