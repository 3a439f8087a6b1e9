import HeraldControl
import Testing

struct VarlinkMessageTests {
    private func call(_ text: String) throws(ControlError) -> VarlinkCall {
        try VarlinkCodec.decodeCall(Array(text.utf8))
    }

    @Test func decodesAFullCall() throws {
        let decoded = try call(
            #"{"method":"org.herald.Control.SetNotifications","parameters":{"enabled":false,"account":"al"},"more":true}"#)
        #expect(decoded.method == "org.herald.Control.SetNotifications")
        #expect(decoded.parameters == ["enabled": .bool(false), "account": .string("al")])
        #expect(decoded.more)
        #expect(!decoded.oneway)
        #expect(decoded.interfaceAndMember == ("org.herald.Control", "SetNotifications"))
    }

    @Test func parametersMayBeAbsentOrNull() throws {
        #expect(try call(#"{"method":"org.varlink.service.GetInfo"}"#).parameters.isEmpty)
        #expect(try call(#"{"method":"org.varlink.service.GetInfo","parameters":null}"#).parameters.isEmpty)
    }

    @Test(arguments: [
        ("not json", "message"),
        ("[1,2]", "message"),
        (#"{"parameters":{}}"#, "method"),
        (#"{"method":42}"#, "method"),
        (#"{"method":""}"#, "method"),
        (#"{"method":"a.B","parameters":[1]}"#, "parameters"),
        (#"{"method":"a.B","more":"yes"}"#, "more"),
        (#"{"method":"a.B","oneway":1}"#, "oneway"),
    ])
    func malformedCallNamesTheFault(text: String, parameter: String) {
        #expect(throws: ControlError.invalidParameter(parameter: parameter)) { try call(text) }
    }

    private struct Login: Decodable {
        var homeserver: String
        var user: String
        var password: String
    }

    @Test func strictParameterDecodingNamesTheParameter() throws {
        let allowed: Set<String> = ["homeserver", "user", "password"]
        let missing = VarlinkCall(method: "x.Y", parameters: ["homeserver": .string("h"), "user": .string("u")])
        #expect(throws: ControlError.invalidParameter(parameter: "password")) {
            try missing.decodeParameters(as: Login.self, allowed: allowed)
        }
        let mistyped = VarlinkCall(
            method: "x.Y", parameters: ["homeserver": .string("h"), "user": .int(3), "password": .string("p")])
        #expect(throws: ControlError.invalidParameter(parameter: "user")) {
            try mistyped.decodeParameters(as: Login.self, allowed: allowed)
        }
        let nulled = VarlinkCall(
            method: "x.Y", parameters: ["homeserver": .null, "user": .string("u"), "password": .string("p")])
        #expect(throws: ControlError.invalidParameter(parameter: "homeserver")) {
            try nulled.decodeParameters(as: Login.self, allowed: allowed)
        }
        var extra = VarlinkCall(
            method: "x.Y", parameters: ["homeserver": .string("h"), "user": .string("u"), "password": .string("p")])
        #expect(try extra.decodeParameters(as: Login.self, allowed: allowed).user == "u")
        extra.parameters["admin"] = .bool(true)
        #expect(throws: ControlError.invalidParameter(parameter: "admin")) {
            try extra.decodeParameters(as: Login.self, allowed: allowed)
        }
    }

    @Test func callEncodingIsOneNulTerminatedObject() throws {
        let bytes = VarlinkCodec.encode(VarlinkCall(method: "org.herald.Control.Status", oneway: true))
        #expect(bytes.last == 0)
        #expect(bytes.dropLast().contains(0) == false)
        let back = try VarlinkCodec.decodeCall(Array(bytes.dropLast()))
        #expect(back == VarlinkCall(method: "org.herald.Control.Status", oneway: true))
    }

    @Test func replyRoundTripsWithErrorAndContinues() throws {
        let reply = VarlinkReply(parameters: ["account": .string("bob")], error: "org.herald.Control.AccountNotFound", continues: true)
        let bytes = VarlinkCodec.encode(reply)
        #expect(bytes.last == 0)
        #expect(try VarlinkCodec.decodeReply(Array(bytes.dropLast())) == reply)
        // A plain reply carries neither "error" nor "continues".
        let plain = String(decoding: VarlinkCodec.encode(VarlinkReply()).dropLast(), as: UTF8.self)
        #expect(plain == #"{"parameters":{}}"#)
    }

    @Test func errorReplyThrowsTheNamedErrorWhenDecoded() throws {
        let reply = VarlinkReply(error: .authFailed(reason: "wrong password"))
        #expect(throws: ControlError.authFailed(reason: "wrong password")) {
            try reply.decodeParameters(as: StatusReply.self)
        }
    }

    @Test func replyThatIsNotAnObjectIsInvalid() {
        #expect(throws: VarlinkMessageError.self) { try VarlinkCodec.decodeReply(Array("42".utf8)) }
        #expect(throws: VarlinkMessageError.self) { try VarlinkCodec.decodeReply(Array(#"{"error":7}"#.utf8)) }
    }

    @Test func optionalMembersAreOmittedAndIntegersStayIntegers() throws {
        let status = StatusReply(
            version: "1", pid: 123, bus: "connected", notificationServer: nil, secrets: "none",
            notifications: true, accounts: [])
        let reply = try VarlinkReply(encoding: status)
        #expect(reply.parameters["notificationServer"] == nil)
        #expect(reply.parameters["pid"] == .int(123))
        #expect(try reply.decodeParameters(as: StatusReply.self) == status)
    }
}
