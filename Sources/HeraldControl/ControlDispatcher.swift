import Logging

/// Answers one decoded call: routes it to the `ControlHandler` or answers the
/// `org.varlink.service` methods itself. No I/O of its own, so it is tested without sockets.
struct ControlDispatcher: Sendable {
    static let serviceInterface = "org.varlink.service"

    let handler: any ControlHandler
    let info: VarlinkServiceInfo
    let logger: Logger

    func reply(to call: VarlinkCall) async -> VarlinkReply {
        do {
            return try await route(call)
        } catch let error as ControlError {
            logger.info("control call refused", metadata: ["method": "\(call.method)", "error": "\(error.varlinkName)"])
            return VarlinkReply(error: error)
        } catch is CancellationError {
            return VarlinkReply(error: .internal(message: "the call was cancelled"))
        } catch {
            logger.error("control call failed", metadata: ["method": "\(call.method)", "error": "\(error)"])
            return VarlinkReply(error: .internal(message: "\(error)"))
        }
    }

    private func route(_ call: VarlinkCall) async throws -> VarlinkReply {
        let (interface, member) = call.interfaceAndMember
        switch interface {
        case Self.serviceInterface:
            return try serviceReply(member: member, call: call)
        case heraldControlInterfaceName:
            return try await controlReply(member: member, call: call)
        default:
            throw ControlError.interfaceNotFound(interface: interface)
        }
    }

    private func serviceReply(member: String, call: VarlinkCall) throws -> VarlinkReply {
        switch member {
        case "GetInfo":
            _ = try call.decodeParameters(as: EmptyParameters.self, allowed: [])
            return try VarlinkReply(encoding: info)
        case "GetInterfaceDescription":
            let interface = try call.decodeParameters(as: InterfaceParameter.self, allowed: ["interface"]).interface
            guard let description = Self.descriptions[interface] else {
                throw ControlError.interfaceNotFound(interface: interface)
            }
            return try VarlinkReply(encoding: DescriptionReply(description: description))
        default:
            throw ControlError.methodNotFound(method: call.method)
        }
    }

    private func controlReply(member: String, call: VarlinkCall) async throws -> VarlinkReply {
        switch member {
        case "Status":
            _ = try call.decodeParameters(as: EmptyParameters.self, allowed: [])
            return try VarlinkReply(encoding: try await handler.status())
        case "ListAccounts":
            _ = try call.decodeParameters(as: EmptyParameters.self, allowed: [])
            return try VarlinkReply(encoding: AccountsReply(accounts: try await handler.listAccounts()))
        case "AddAccount":
            let parameters = try call.decodeParameters(
                as: AddAccountParameters.self, allowed: ["homeserver", "user", "password", "pin"])
            let account = try await handler.addAccount(
                homeserver: parameters.homeserver, user: parameters.user, password: parameters.password,
                pin: parameters.pin)
            return try VarlinkReply(encoding: AccountReply(account: account))
        case "RemoveAccount":
            let account = try call.decodeParameters(as: AccountParameter.self, allowed: ["account"]).account
            try await handler.removeAccount(account)
            return VarlinkReply()
        case "SetNotifications":
            let parameters = try call.decodeParameters(
                as: SetNotificationsParameters.self, allowed: ["enabled", "account"])
            try await handler.setNotifications(enabled: parameters.enabled, account: parameters.account)
            return VarlinkReply()
        case "Lock":
            let account = try call.decodeParameters(as: OptionalAccountParameter.self, allowed: ["account"]).account
            return try VarlinkReply(encoding: LockReply(locked: try await handler.lock(account)))
        case "Unlock":
            let parameters = try call.decodeParameters(as: UnlockParameters.self, allowed: ["account", "pin"])
            let account = try await handler.unlock(parameters.account, pin: parameters.pin)
            return try VarlinkReply(encoding: AccountReply(account: account))
        case "SetPin":
            let parameters = try call.decodeParameters(
                as: SetPinParameters.self, allowed: ["account", "currentPin", "newPin"])
            try await handler.setPin(parameters.account, currentPin: parameters.currentPin, newPin: parameters.newPin)
            return VarlinkReply()
        case "CheckPin":
            let parameters = try call.decodeParameters(as: CheckPinParameters.self, allowed: ["account", "pin"])
            try await handler.checkPin(parameters.account, pin: parameters.pin)
            return VarlinkReply()
        case "Logout":
            let account = try call.decodeParameters(as: OptionalAccountParameter.self, allowed: ["account"]).account
            return try VarlinkReply(encoding: try await handler.logout(account))
        case "SetPreview":
            let parameters = try call.decodeParameters(as: SetPreviewParameters.self, allowed: ["account", "preview"])
            guard PreviewSetting(rawValue: parameters.preview) != nil else {
                throw ControlError.invalidParameter(parameter: "preview")
            }
            try await handler.setPreview(parameters.account, preview: parameters.preview)
            return VarlinkReply()
        case "BeginSignIn":
            let homeserver = try call.decodeParameters(as: BeginSignInParameters.self, allowed: ["homeserver"]).homeserver
            return try VarlinkReply(encoding: try await handler.beginSignIn(homeserver: homeserver))
        case "StartSso":
            let parameters = try call.decodeParameters(as: StartSsoParameters.self, allowed: ["session", "idp"])
            let url = try await handler.startSso(session: parameters.session, idp: parameters.idp)
            return try VarlinkReply(encoding: StartSsoReply(url: url))
        case "FinishSso":
            let parameters = try call.decodeParameters(as: FinishSsoParameters.self, allowed: ["session", "timeoutSeconds"])
            let timeout = parameters.timeoutSeconds ?? 300
            guard (1...3600).contains(timeout) else { throw ControlError.invalidParameter(parameter: "timeoutSeconds") }
            let user = try await handler.finishSso(session: parameters.session, timeoutSeconds: timeout)
            return try VarlinkReply(encoding: FinishSsoReply(user: user))
        case "PasswordSignIn":
            let parameters = try call.decodeParameters(
                as: PasswordSignInParameters.self, allowed: ["session", "user", "password"])
            let user = try await handler.passwordSignIn(
                session: parameters.session, user: parameters.user, password: parameters.password)
            return try VarlinkReply(encoding: FinishSsoReply(user: user))
        case "CompleteSignIn":
            let parameters = try call.decodeParameters(as: CompleteSignInParameters.self, allowed: ["session", "pin"])
            let account = try await handler.completeSignIn(session: parameters.session, pin: parameters.pin)
            return try VarlinkReply(encoding: AccountReply(account: account))
        case "VerifyDevice":
            return try VarlinkReply(encoding: try await verifyDevice(call))
        case "CheckVerification":
            let account = try call.decodeParameters(as: AccountParameter.self, allowed: ["account"]).account
            return try VarlinkReply(encoding: try await handler.checkVerification(account))
        default:
            throw ControlError.methodNotFound(method: call.method)
        }
    }

    /// Exactly one of the recovery key (at most 256 bytes as typed) and the passphrase (at most 1 KiB).
    private func verifyDevice(_ call: VarlinkCall) async throws -> VerifyDeviceReply {
        let parameters = try call.decodeParameters(as: VerifyDeviceParameters.self, allowed: ["account", "recoveryKey", "passphrase"])
        var key = parameters.recoveryKey.map { Array($0.utf8) }
        var passphrase = parameters.passphrase.map { Array($0.utf8) }
        switch (key, passphrase) {
        case (let k?, nil) where !k.isEmpty && k.count <= 256: break
        case (nil, let p?) where !p.isEmpty && p.count <= 1024: break
        default: throw ControlError.invalidParameter(parameter: key == nil ? "passphrase" : "recoveryKey")
        }
        return try await handler.verifyDevice(parameters.account, recoveryKey: &key, passphrase: &passphrase)
    }

    /// The interfaces this service describes, by name.
    static let descriptions: [String: String] = [
        serviceInterface: varlinkServiceInterfaceDescription,
        heraldControlInterfaceName: heraldControlInterfaceDescription,
    ]
}

/// The standard description of `org.varlink.service` (varlink.org), served like our own.
let varlinkServiceInterfaceDescription = """
# The Varlink Service Interface is provided by every varlink service. It
# describes the service and the interfaces it implements.
interface org.varlink.service

# Get a list of all the interfaces a service provides and information
# about the implementation.
method GetInfo() -> (
  vendor: string,
  product: string,
  version: string,
  url: string,
  interfaces: []string
)

# Get the description of an interface that is implemented by this service.
method GetInterfaceDescription(interface: string) -> (description: string)

# The requested interface was not found.
error InterfaceNotFound (interface: string)

# The requested method was not found
error MethodNotFound (method: string)

# The interface defines the requested method, but the service does not
# implement it.
error MethodNotImplemented (method: string)

# One of the passed parameters is invalid.
error InvalidParameter (parameter: string)

# Client is denied access
error PermissionDenied ()

# Method is expected to be called with 'more' set to true, but wasn't
error ExpectedMore ()
"""
