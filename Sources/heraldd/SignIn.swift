import Foundation
import HeraldControl
import HeraldCore
import HeraldMatrix
import HeraldStore
import Logging

/// One browser sign-in between `BeginSignIn` and `CompleteSignIn`. Lives in the daemon only:
/// the login token and the session it buys never leave it.
final class SignInSession {
    let id: String
    let homeserver: String
    let flows: LoginFlows
    var listener: LoopbackListener?
    /// The state expected on the callback; never logged.
    var state: String?
    var waiting = false
    /// Set once the login token was exchanged; the server-side session then exists.
    var login: LoginResponse?
    var expiry: Task<Void, Never>?

    init(id: String, homeserver: String, flows: LoginFlows) {
        self.id = id
        self.homeserver = homeserver
        self.flows = flows
    }
}

/// The daemon's open sign-ins, by session id. Confined to the `Daemon` actor.
final class SignInSessions {
    /// Ten minutes; tests shorten it with HERALD_TEST_SIGNIN_LIFETIME (seconds).
    static let lifetime: Duration = .seconds(
        Int(ProcessInfo.processInfo.environment["HERALD_TEST_SIGNIN_LIFETIME"] ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 600)
    static let maximumOpen = 16
    var byID: [String: SignInSession] = [:]
}

/// 32 hex digits from the system's CSPRNG (getrandom).
func randomHex(bytes: Int = 16) -> String {
    var rng = SystemRandomNumberGenerator()
    let digits = Array("0123456789abcdef")
    var out = ""
    for _ in 0..<bytes {
        let b = UInt8.random(in: 0...255, using: &rng)
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return out
}

extension Daemon {
    func beginSignIn(homeserver: String) async throws -> BeginSignInReply {
        let base = try await Homeserver.resolve(homeserver, transport: transport)
        let flows: LoginFlows
        do {
            flows = try await MatrixClient(baseURL: base, transport: transport).loginFlows()
        } catch let e as MatrixError {
            if case .server(404, _, _, _, _) = e {
                throw ControlError.authFailed(reason: "\(base) offers no Matrix login API (it may only support the OAuth 2.0 API, which Herald does not speak yet)")
            }
            throw Self.loginError(e, homeserver: base)
        }
        guard signIns.byID.count < SignInSessions.maximumOpen else {
            throw ControlError.internal(message: "too many sign-ins under way; finish or cancel one first")
        }
        let session = SignInSession(id: randomHex(), homeserver: base, flows: flows)
        signIns.byID[session.id] = session
        let id = session.id
        session.expiry = Task {
            do { try await self.timers.sleep(for: SignInSessions.lifetime) } catch { return }
            await self.expireSignIn(id)
        }
        logger.info("sign-in begun", metadata: ["homeserver": "\(base)", "flows": "\(flows.types.joined(separator: ","))"])
        return BeginSignInReply(
            session: session.id, homeserver: base, password: flows.password, sso: flows.sso,
            providers: flows.identityProviders.map { IdentityProvider(id: $0.id, name: $0.name) }, flows: flows.types)
    }

    func startSso(session id: String, idp: String?) async throws -> String {
        let session = try signInSession(id)
        guard session.flows.sso else { throw ControlError.ssoNotOffered(offered: session.flows.types) }
        if let idp {
            guard idp.utf8.count <= 255,
                  session.flows.identityProviders.isEmpty || session.flows.identityProviders.contains(where: { $0.id == idp })
            else { throw ControlError.invalidParameter(parameter: "idp") }
        }
        guard session.login == nil, !session.waiting else { throw ControlError.invalidParameter(parameter: "session") }
        session.listener?.close()
        let listener: LoopbackListener
        do {
            listener = try LoopbackListener(logger: logger)
        } catch {
            throw ControlError.internal(message: "cannot listen on 127.0.0.1 for the browser: \(error)")
        }
        let state = randomHex()
        session.listener = listener
        session.state = state
        logger.info("sign-in listening for the browser", metadata: ["port": "\(listener.port)", "idp": "\(idp ?? "-")"])
        return SsoLoopback.ssoURL(baseURL: session.homeserver, idp: idp, port: listener.port, state: state)
    }

    func finishSso(session id: String, timeoutSeconds: Int) async throws -> String {
        let session = try signInSession(id)
        if let login = session.login { return login.userID }
        guard let listener = session.listener, let state = session.state else {
            throw ControlError.invalidParameter(parameter: "session")  // StartSso first
        }
        guard !session.waiting else { throw ControlError.invalidParameter(parameter: "session") }
        session.waiting = true
        defer {
            session.waiting = false
            listener.close()
            if session.listener === listener {
                session.listener = nil
                session.state = nil
            }
        }
        let token: String
        do {
            token = try await listener.waitForToken(expectedState: state, timeout: .seconds(timeoutSeconds))
        } catch LoopbackError.timedOut {
            logger.notice("sign-in timed out waiting for the browser", metadata: ["seconds": "\(timeoutSeconds)"])
            throw ControlError.signInTimedOut(seconds: timeoutSeconds)
        } catch is CancellationError {
            logger.info("sign-in wait cancelled (the client left)")
            throw CancellationError()
        }
        listener.close()  // one use: nothing more is answered
        let login: LoginResponse
        do {
            login = try await MatrixClient(baseURL: session.homeserver, transport: transport)
                .loginWithToken(token, deviceName: deviceName)
        } catch let e as MatrixError {
            if case .server(_, "M_FORBIDDEN", _, _, _) = e {
                throw ControlError.authFailed(reason: "the homeserver refused the sign-in token (it may have expired); start again")
            }
            throw Self.loginError(e, homeserver: session.homeserver)
        }
        if signIns.byID[id] === session {
            session.login = login
        } else {
            // The session expired meanwhile: give the fresh session back.
            try? await MatrixClient(baseURL: session.homeserver, accessToken: login.accessToken, transport: transport).logout()
            throw ControlError.sessionNotFound
        }
        logger.notice("signed in through the browser", metadata: ["account": "\(login.userID)"])
        return login.userID
    }

    /// Step 3 with a password: signs in now, so that heraldctl asks for the PIN only once the
    /// password is known to be right. A wrong one leaves the session open for another try.
    func passwordSignIn(session id: String, user: String, password: String) async throws -> String {
        let session = try signInSession(id)
        guard session.flows.password else {
            throw ControlError.authFailed(reason: "\(session.homeserver) does not offer sign-in with a password")
        }
        guard session.login == nil, !session.waiting else { throw ControlError.invalidParameter(parameter: "session") }
        let name = user.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= 255 else { throw ControlError.invalidParameter(parameter: "user") }
        guard !password.isEmpty, password.utf8.count <= 1024 else { throw ControlError.invalidParameter(parameter: "password") }
        if let known = UserID(name), let account = try store.account(known), account.state != "signed_out" {
            throw ControlError.accountExists(account: known.rawValue)
        }
        session.waiting = true
        defer { session.waiting = false }
        let login: LoginResponse
        do {
            login = try await MatrixClient(baseURL: session.homeserver, transport: transport)
                .loginWithPassword(user: name, password: password, deviceName: deviceName)
        } catch let e as MatrixError {
            throw Self.loginError(e, homeserver: session.homeserver)
        }
        guard signIns.byID[id] === session else {
            // The session expired meanwhile: give the fresh session back.
            try? await MatrixClient(baseURL: session.homeserver, accessToken: login.accessToken, transport: transport).logout()
            throw ControlError.sessionNotFound
        }
        session.login = login
        logger.notice("signed in with a password", metadata: ["account": "\(login.userID)"])
        return login.userID
    }

    func completeSignIn(session id: String, pin: String) async throws -> AccountInfo {
        let session = try signInSession(id)
        guard let login = session.login else {
            throw ControlError.authFailed(reason: "this sign-in has not come back from the browser yet")
        }
        if let problem = PinRules.problem(with: pin) { throw ControlError.pinRejected(reason: problem) }
        dropSignIn(session)
        do {
            return try await adopt(login, homeserver: session.homeserver, pin: pin)
        } catch let e as ControlError {
            if case .accountExists = e { throw e }  // adopt already gave the session back
            try? await MatrixClient(baseURL: session.homeserver, accessToken: login.accessToken, transport: transport).logout()
            throw e
        } catch {
            try? await MatrixClient(baseURL: session.homeserver, accessToken: login.accessToken, transport: transport).logout()
            throw error
        }
    }

    // MARK: helpers

    private func signInSession(_ id: String) throws -> SignInSession {
        guard id.utf8.count <= 64, let session = signIns.byID[id] else { throw ControlError.sessionNotFound }
        return session
    }

    private func dropSignIn(_ session: SignInSession) {
        signIns.byID[session.id] = nil
        session.expiry?.cancel()
        session.listener?.close()
        session.listener = nil
    }

    /// Ten minutes without `CompleteSignIn`: the session bought with the token is logged out.
    private func expireSignIn(_ id: String) async {
        guard let session = signIns.byID[id] else { return }
        session.expiry = nil  // this very task: cancelling it would cancel the logout below
        dropSignIn(session)
        logger.info("sign-in expired unfinished", metadata: ["homeserver": "\(session.homeserver)"])
        if let login = session.login {
            do {
                try await MatrixClient(baseURL: session.homeserver, accessToken: login.accessToken, transport: transport).logout()
            } catch {
                logger.warning("could not log out the unfinished sign-in's session: \(error)", metadata: ["account": "\(login.userID)"])
            }
        }
    }
}
