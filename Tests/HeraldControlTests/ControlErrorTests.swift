import HeraldControl
import Testing

struct ControlErrorTests {
    static let all: [ControlError] = [
        .accountNotFound(account: "bob"),
        .accountAmbiguous(account: "a", matches: ["@alice:x.org", "@anna:x.org"]),
        .accountExists(account: "@alice:x.org"),
        .authFailed(reason: "wrong user name or password for @alice:x.org"),
        .serverUnreachable(homeserver: "https://x.org", reason: "connection refused"),
        .invalidHomeserver(homeserver: "https://x.org", reason: "no /_matrix/client/versions"),
        .invalidParameter(parameter: "user"),
        .methodNotFound(method: "org.herald.Control.Nope"),
        .interfaceNotFound(interface: "com.example.Nope"),
        .internal(message: "database is locked"),
    ]

    @Test(arguments: all)
    func errorSurvivesTheWire(error: ControlError) throws {
        let bytes = VarlinkCodec.encode(VarlinkReply(error: error))
        let reply = try VarlinkCodec.decodeReply(Array(bytes.dropLast()))
        #expect(reply.error == error.varlinkName)
        #expect(ControlError(varlinkName: reply.error!, parameters: reply.parameters) == error)
    }

    @Test func namesFollowTheInterface() {
        #expect(ControlError.accountNotFound(account: "x").varlinkName == "org.herald.Control.AccountNotFound")
        #expect(ControlError.accountAmbiguous(account: "x", matches: []).varlinkName == "org.herald.Control.AccountAmbiguous")
        #expect(ControlError.authFailed(reason: "").varlinkName == "org.herald.Control.AuthFailed")
        #expect(ControlError.internal(message: "").varlinkName == "org.herald.Control.InternalError")
        #expect(ControlError.invalidParameter(parameter: "p").varlinkName == "org.varlink.service.InvalidParameter")
        #expect(ControlError.invalidParameter(parameter: "p").parameters == ["parameter": .string("p")])
        #expect(ControlError.methodNotFound(method: "m").parameters == ["method": .string("m")])
    }

    @Test func everyHeraldErrorIsDeclaredInTheInterface() {
        for error in Self.all where error.varlinkName.hasPrefix("org.herald.Control.") {
            let name = error.varlinkName.dropFirst("org.herald.Control.".count)
            #expect(heraldControlInterfaceDescription.contains("error \(name) ("), "\(name) missing from Interface.swift")
        }
    }

    @Test func unknownNamesAndMalformedParametersAreKept() {
        let future = ControlError(varlinkName: "org.herald.Control.PinIncorrect", parameters: ["attemptsLeft": .int(2)])
        #expect(future == .unknown(name: "org.herald.Control.PinIncorrect", parameters: ["attemptsLeft": .int(2)]))
        #expect(future.varlinkName == "org.herald.Control.PinIncorrect")
        let odd = ControlError(varlinkName: "org.herald.Control.AccountNotFound", parameters: ["account": .int(1)])
        #expect(odd == .unknown(name: "org.herald.Control.AccountNotFound", parameters: ["account": .int(1)]))
    }

    @Test func messagesAreOneHumanLine() {
        #expect(ControlError.authFailed(reason: "wrong user name or password for @alice:example.org").message
            == "wrong user name or password for @alice:example.org")
        #expect(ControlError.accountNotFound(account: "bob").message == "no account matches bob")
        for error in Self.all {
            #expect(!error.message.contains("\n"))
            #expect(!error.message.isEmpty)
        }
    }
}
