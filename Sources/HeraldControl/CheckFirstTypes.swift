/// Parameters of the calls that check a secret before heraldctl asks for the next one:
/// `PasswordSignIn` (the password, before the new PIN) and `CheckPin` (the current PIN, before
/// the new one). Their descriptions never show the secret.

struct PasswordSignInParameters: Codable, Sendable {
    var session: String
    var user: String
    var password: String
}

extension PasswordSignInParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "PasswordSignInParameters(session: <redacted>, user: \(user), password: <redacted>)" }
    var debugDescription: String { description }
}

struct CheckPinParameters: Codable, Sendable {
    var account: String
    var pin: String
}

extension CheckPinParameters: CustomStringConvertible, CustomDebugStringConvertible {
    var description: String { "CheckPinParameters(account: \(account), pin: <redacted>)" }
    var debugDescription: String { description }
}
