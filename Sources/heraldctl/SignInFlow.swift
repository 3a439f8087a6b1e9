import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

/// `account add HOMESERVER` without `--user`: sign-in through the browser (SSO), the daemon
/// holding the loopback listener so the login token never passes through heraldctl; or, when
/// the server offers only passwords, user name and password asked on the terminal.
struct SignInFlow {
    var homeserver: String
    var idp: String?
    var forceSso: Bool
    var noBrowser: Bool
    var timeoutSeconds: Int
    var pinStdin: Bool
    var options: GlobalOptions

    /// Ctrl-C while the browser is awaited: one line saying so, and the shell's status for an
    /// interrupt. Only async-signal-safe calls; the daemon sees the connection close and cancels.
    private static let cancelOnInterrupt: @convention(c) (Int32) -> Void = { _ in
        let line: StaticString = "\nSign-in cancelled: nothing was added.\n"
        _ = write(2, line.utf8Start, line.utf8CodeUnitCount)
        _exit(130)
    }

    func run() throws -> AccountInfo {
        let terminal = SecretInput.standardInputIsTerminal
        if !pinStdin && !terminal {
            throw UsageError("standard input is not a terminal: pass the PIN with --pin-stdin")
        }
        guard (1...3600).contains(timeoutSeconds) else { throw UsageError("--timeout: give 1 to 3600 seconds") }
        let client = try options.connect(timeout: .seconds(90))
        let begun = try client.beginSignIn(homeserver: homeserver)
        if begun.sso {
            return try browserSignIn(client, begun)
        }
        if forceSso || idp != nil {
            throw ControlError.ssoNotOffered(offered: begun.flows)
        }
        if begun.password {
            return try passwordSignIn(client, begun)
        }
        throw ControlError.authFailed(reason: Self.nothingUsable(begun.flows, homeserver: begun.homeserver))
    }

    static func nothingUsable(_ flows: [String], homeserver: String) -> String {
        flows.isEmpty
            ? "\(homeserver) offers no way to sign in (its login flow list is empty)"
            : "\(homeserver) offers neither sign-in through the browser nor a password; it offers: \(flows.joined(separator: ", "))"
    }

    // MARK: SSO

    private func browserSignIn(_ client: ControlClient, _ begun: BeginSignInReply) throws -> AccountInfo {
        let chosen = try chooseProvider(begun.providers)
        let url = try client.startSso(session: begun.session, idp: chosen)
        let graphical = ["DISPLAY", "WAYLAND_DISPLAY"].contains { (name: String) -> Bool in
            guard let value = getenv(name) else { return false }
            return value.pointee != 0
        }
        if !noBrowser && graphical && Self.openBrowser(url) {
            say("Your browser opens the sign-in page of \(begun.homeserver). If it does not, open this address:\n\(url)\n")
        } else {
            say("Open this address in a browser to sign in:\n\(url)\n")
        }
        Report.standardError("Waiting for the sign-in in the browser (up to \(ControlError.duration(timeoutSeconds)); Ctrl-C cancels)…")
        // The daemon waits for the browser; leaving (Ctrl-C) closes the connection, which cancels it.
        client.timeout = .seconds(timeoutSeconds + 90)
        signal(SIGINT, Self.cancelOnInterrupt)
        let user = try client.finishSso(session: begun.session, timeoutSeconds: timeoutSeconds)
        signal(SIGINT, SIG_DFL)
        client.timeout = .seconds(90)
        Report.standardError("Signed in as \(user).")
        let pin = try SecretInput.newPin(
            prompt: "Choose a 4-digit PIN for \(user): ", repeatPrompt: "Repeat the PIN: ",
            fromStandardInput: pinStdin, what: "the PIN (first line)")
        // A new connection: typing the PIN may take longer than heraldd keeps an idle one.
        return try options.connect(timeout: .seconds(90)).completeSignIn(session: begun.session, pin: pin)
    }

    /// The provider to use: `--idp`, the only one, or the user's choice on the terminal.
    private func chooseProvider(_ providers: [IdentityProvider]) throws -> String? {
        let listing = providers.map { "\($0.id) (\($0.name))" }.joined(separator: ", ")
        if let idp {
            guard providers.isEmpty || providers.contains(where: { $0.id == idp }) else {
                throw UsageError("--idp \(idp): the homeserver offers \(listing)")
            }
            return idp
        }
        if providers.count <= 1 { return providers.first?.id }
        guard SecretInput.standardInputIsTerminal else {
            throw UsageError("the homeserver offers several identity providers: choose one with --idp ID: \(listing)")
        }
        Report.standardError("Sign in with:")
        for (i, p) in providers.enumerated() { Report.standardError("  \(i + 1). \(p.name)") }
        for _ in 1...3 {
            FileOutput.standardError("Your choice (1-\(providers.count)): ")
            guard let line = Swift.readLine() else { throw UsageError("no identity provider chosen") }
            let typed = line.trimmingCharacters(in: " \t")
            if let n = Int(typed), (1...providers.count).contains(n) { return providers[n - 1].id }
            if let p = providers.first(where: { $0.id == typed }) { return p.id }
        }
        throw UsageError("no identity provider chosen; use --idp ID: \(listing)")
    }

    /// Runs `xdg-open URL` without waiting for the browser; false when it cannot be started.
    static func openBrowser(_ url: String) -> Bool {
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("xdg-open"), strdup(url), nil]
        defer { for a in argv { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The browser's chatter must not mix with heraldctl's output.
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        guard posix_spawnp(&pid, "xdg-open", &actions, nil, argv, environ) == 0 else { return false }
        // xdg-open returns quickly once the browser is asked; a failure shows in its status.
        var status: Int32 = 0
        for _ in 0..<50 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0 }
            if r < 0 { return true }
            usleep(100_000)
        }
        return true  // still running: the browser is probably starting
    }

    private func say(_ text: String) {
        if options.json {
            FileOutput.standardError(text)
        } else {
            FileOutput.standardOutput(text)
        }
    }

    // MARK: password

    private func passwordSignIn(_ client: ControlClient, _ begun: BeginSignInReply) throws -> AccountInfo {
        guard SecretInput.standardInputIsTerminal else {
            throw UsageError("\(begun.homeserver) offers only password sign-in: pass --user NAME --password-stdin")
        }
        Report.standardError("\(begun.homeserver) offers sign-in with a password.")
        FileOutput.standardError("User name: ")
        guard let typed = Swift.readLine()?.trimmingCharacters(in: " \t"), !typed.isEmpty else {
            throw UsageError("no user name given")
        }
        let password = try SecretInput.password(for: typed, fromStandardInput: false)
        return try Self.passwordThenPin(client, session: begun.session, user: typed, password: password, pinStdin: pinStdin,
                                        options: options)
    }

    /// Signs in with the password first and only then asks for the new PIN: a wrong password is
    /// said before anyone types a PIN twice for nothing.
    static func passwordThenPin(
        _ client: ControlClient, session: String, user: String, password: String, pinStdin: Bool, options: GlobalOptions
    ) throws -> AccountInfo {
        let id = try client.passwordSignIn(session: session, user: user, password: password)
        Report.standardError("Signed in as \(id).")
        let pin = try SecretInput.newPin(
            prompt: "Choose a 4-digit PIN for \(id): ", repeatPrompt: "Repeat the PIN: ",
            fromStandardInput: pinStdin, what: "the PIN (first line)")
        return try options.connect(timeout: .seconds(90)).completeSignIn(session: session, pin: pin)
    }
}

/// Unbuffered writes, so a prompt or the URL is out before heraldctl waits.
enum FileOutput {
    static func standardOutput(_ text: String) { write(1, text) }
    static func standardError(_ text: String) { write(2, text) }

    private static func write(_ fd: Int32, _ text: String) {
        fflush(nil)
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let s = Set(set)
        var sub = Substring(self)
        while let f = sub.first, s.contains(f) { sub.removeFirst() }
        while let l = sub.last, s.contains(l) { sub.removeLast() }
        return String(sub)
    }
}
