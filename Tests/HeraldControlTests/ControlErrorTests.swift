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
        .pinIncorrect(account: "@alice:x.org", attemptsLeft: 6, waitSeconds: 0),
        .pinIncorrect(account: "@alice:x.org", attemptsLeft: 5, waitSeconds: 60),
        .pinLockedOut(account: "@alice:x.org", seconds: 3599),
        .pinRejected(reason: PinRules.tooCommon),
        .accountSignedOut(account: "@alice:x.org", reason: "the device was deleted"),
        .invalidParameter(parameter: "user"),
        .methodNotFound(method: "org.herald.Control.Nope"),
        .interfaceNotFound(interface: "com.example.Nope"),
        .internal(message: "database is locked"),
        .verificationFailed(reason: "that recovery key does not open this account's secret storage"),
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
        let future = ControlError(varlinkName: "org.herald.Control.TooSunny", parameters: ["uv": .int(9)])
        #expect(future == .unknown(name: "org.herald.Control.TooSunny", parameters: ["uv": .int(9)]))
        #expect(future.varlinkName == "org.herald.Control.TooSunny")
        #expect(future.message == "heraldd refused with org.herald.Control.TooSunny")
        let odd = ControlError(varlinkName: "org.herald.Control.AccountNotFound", parameters: ["account": .int(1)])
        #expect(odd == .unknown(name: "org.herald.Control.AccountNotFound", parameters: ["account": .int(1)]))
        // The numbers of the PIN errors are what the user needs: without them the reply is kept whole.
        let noWait: [String: JSONValue] = ["account": .string("@a:x"), "attemptsLeft": .int(2)]
        #expect(ControlError(varlinkName: "org.herald.Control.PinIncorrect", parameters: noWait)
            == .unknown(name: "org.herald.Control.PinIncorrect", parameters: noWait))
        let fraction: [String: JSONValue] = ["account": .string("@a:x"), "seconds": .double(1.5)]
        #expect(ControlError(varlinkName: "org.herald.Control.PinLockedOut", parameters: fraction)
            == .unknown(name: "org.herald.Control.PinLockedOut", parameters: fraction))
    }

    @Test func integralDoublesAreAcceptedForIntegers() {
        // Some Varlink clients (JavaScript, Python's json with floats) send 60.0 for 60.
        let reply: [String: JSONValue] = ["account": .string("@a:x"), "attemptsLeft": .double(5), "waitSeconds": .double(60)]
        #expect(ControlError(varlinkName: "org.herald.Control.PinIncorrect", parameters: reply)
            == .pinIncorrect(account: "@a:x", attemptsLeft: 5, waitSeconds: 60))
    }

    @Test func newErrorsCarryTheirParameters() {
        #expect(ControlError.pinIncorrect(account: "@a:x", attemptsLeft: 5, waitSeconds: 60).parameters
            == ["account": .string("@a:x"), "attemptsLeft": .int(5), "waitSeconds": .int(60)])
        #expect(ControlError.pinLockedOut(account: "@a:x", seconds: 42).parameters
            == ["account": .string("@a:x"), "seconds": .int(42)])
        #expect(ControlError.pinRejected(reason: "r").parameters == ["reason": .string("r")])
        #expect(ControlError.accountSignedOut(account: "@a:x", reason: "r").parameters
            == ["account": .string("@a:x"), "reason": .string("r")])
        #expect(ControlError.pinIncorrect(account: "", attemptsLeft: 0, waitSeconds: 0).varlinkName == "org.herald.Control.PinIncorrect")
        #expect(ControlError.pinLockedOut(account: "", seconds: 0).varlinkName == "org.herald.Control.PinLockedOut")
        #expect(ControlError.pinRejected(reason: "").varlinkName == "org.herald.Control.PinRejected")
        #expect(ControlError.accountSignedOut(account: "", reason: "").varlinkName == "org.herald.Control.AccountSignedOut")
    }

    @Test func pinMessagesSayWhatIsLeftAndHowLongToWait() {
        #expect(ControlError.pinIncorrect(account: "@alice:x.org", attemptsLeft: 6, waitSeconds: 0).message
            == "wrong PIN for @alice:x.org; 6 attempts left before it is signed out")
        #expect(ControlError.pinIncorrect(account: "@alice:x.org", attemptsLeft: 1, waitSeconds: 3600).message
            == "wrong PIN for @alice:x.org; 1 attempt left before it is signed out; wait 1 h before the next one")
        #expect(ControlError.pinIncorrect(account: "@alice:x.org", attemptsLeft: 5, waitSeconds: 60).message
            == "wrong PIN for @alice:x.org; 5 attempts left before it is signed out; wait 1 min before the next one")
        #expect(ControlError.pinLockedOut(account: "@alice:x.org", seconds: 45).message
            == "too many wrong PINs for @alice:x.org: wait 45 s before trying again")
        #expect(ControlError.pinLockedOut(account: "@alice:x.org", seconds: 3601).message
            == "too many wrong PINs for @alice:x.org: wait 1 h 1 min before trying again")
        #expect(ControlError.pinRejected(reason: PinRules.tooCommon).message == PinRules.tooCommon)
        #expect(ControlError.accountSignedOut(account: "@alice:x.org", reason: "the device was deleted").message
            == "@alice:x.org is signed out (the device was deleted); sign in again with heraldctl account add")
    }

    @Test(arguments: [(0, "1 s"), (1, "1 s"), (59, "59 s"), (60, "1 min"), (61, "2 min"), (899, "15 min"),
                      (3600, "1 h"), (3661, "1 h 2 min"), (7200, "2 h")])
    func durationsRoundUp(seconds: Int, text: String) {
        #expect(ControlError.duration(seconds) == text)
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
