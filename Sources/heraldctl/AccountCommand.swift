import ArgumentParser
import HeraldControl

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "List, add, remove and verify Matrix accounts.",
        discussion: """
            Each account signs in on its own and is independent of the others. \
            ACCOUNT is a full Matrix ID (@alice:example.org) or any unambiguous prefix of it (alice).

            Examples:
              heraldctl account list
              heraldctl account add https://matrix.example.org --user alice
              heraldctl account remove alice
              heraldctl account verify alice
            """,
        subcommands: [List.self, Add.self, Remove.self, Verify.self])

    func run() throws {
        throw UsageError("account needs a subcommand: list, add, remove or verify (see heraldctl account --help)")
    }

    struct List: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the accounts and their state.",
            discussion: """
                States: starting (signing in or first sync), syncing (up to date and listening), \
                offline (the homeserver cannot be reached; Herald retries), waiting_for_the_keyring \
                (heraldd cannot get its token key from the keyring yet: nothing is lost, heraldctl doctor \
                says what to do), signed_out (the session was ended elsewhere, or too many wrong PINs \
                were typed; add the account again). \
                LOCKED: yes while the account's notifications hide the sender, room and text \
                (heraldctl unlock ACCOUNT). PREVIEW: when they show them: always, unlocked or never. \
                NOTIFY: whether the account's notifications are on (heraldctl notifications). \
                DEVICE: verified when Herald's device is signed by the account's cross-signing keys, \
                unverified when not (other people's devices may then withhold their keys: heraldctl \
                account verify ACCOUNT), - until heraldd has checked.

                Examples:
                  heraldctl account list
                  heraldctl account list --json
                """)

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let accounts = try options.connect().listAccounts()
            if options.json {
                Report.json(["accounts": accounts])
            } else {
                print(AccountListing.text(for: accounts))
            }
        }
    }

    struct Add: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign in to a Matrix account (in the browser, or with a password) and choose its PIN.",
            discussion: """
                Without --user, heraldd reads how HOMESERVER lets people sign in. With sign-in through \
                the browser (SSO), the browser opens (xdg-open; with --no-browser or without a \
                graphical session the address is printed instead), you sign in there, and the browser \
                comes back to heraldd on 127.0.0.1; then you choose the PIN. --idp ID picks an \
                identity provider; with several and a terminal, a numbered list is shown. --timeout \
                SECONDS (default 300) bounds the wait; Ctrl-C cancels it. --sso refuses to fall back \
                to a password. A server with passwords only: the user name and password are asked.

                With --user, heraldd signs in to HOMESERVER as NAME and keeps the session; the password is used \
                once and never stored. The account gets its own 4-digit PIN, which unlocks it \
                again after `heraldctl lock` (or a restart of heraldd); it starts unlocked.

                Without --password-stdin the password is asked for on the terminal, without echo. \
                Without --pin-stdin the PIN is asked for on the terminal, without echo, twice, once the password \
                was accepted. Then, when the account has cross-signing (set up in your chat client), \
                heraldctl offers to verify Herald's device with the recovery key (heraldctl account \
                verify --help). \
                With both flags standard input holds the password line, then the PIN line.

                A PIN is exactly 4 digits. The most common ones are refused: one digit repeated \
                (0000), consecutive digits (1234, 9876), 1212, 1004, 2000, 6969, 1122, 1313, 2001, \
                1010, 2580 and 0852. A refused PIN given with --pin-stdin is a usage error (exit \
                status 2) and nothing is sent to heraldd; on the terminal it is asked for again.

                Examples:
                  heraldctl account add https://matrix.example.org
                  heraldctl account add https://matrix.example.org --idp oidc-psc --no-browser
                  heraldctl account add https://matrix.example.org --user alice
                  printf '%s\\n%s\\n' "$PASSWORD" "$PIN" | heraldctl account add https://matrix.example.org --user alice --password-stdin --pin-stdin
                """)

        @Argument(help: ArgumentHelp("The homeserver's address, e.g. https://matrix.example.org.", valueName: "homeserver"))
        var homeserver: String

        @Option(help: ArgumentHelp("The user name or full Matrix ID (alice or @alice:example.org).", valueName: "name"))
        var user: String?

        @Flag(help: "Sign in through the browser (SSO); fail rather than fall back to a password.")
        var sso = false

        @Option(help: ArgumentHelp("The identity provider to sign in with (SSO), as the homeserver names it.", valueName: "id"))
        var idp: String?

        @Flag(help: "Do not open a browser: print the sign-in address instead.")
        var noBrowser = false

        @Option(help: ArgumentHelp("How long to wait for the sign-in in the browser.", valueName: "seconds"))
        var timeout = 300

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @Flag(help: "Read the new PIN from standard input: its first line, or its second after the password.")
        var pinStdin = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            guard let user, !sso, idp == nil else {
                if user != nil { throw UsageError("--user signs in with a password; --sso and --idp sign in through the browser: choose one") }
                if passwordStdin { throw UsageError("--password-stdin needs --user NAME") }
                let account = try SignInFlow(homeserver: homeserver, idp: idp, forceSso: sso, noBrowser: noBrowser,
                                             timeoutSeconds: timeout, pinStdin: pinStdin, options: options).run()
                report(account)
                offerVerification(account)
                return
            }
            // Refuse before reading anything when a secret would have to be asked and cannot be.
            if !SecretInput.standardInputIsTerminal {
                switch (passwordStdin, pinStdin) {
                case (false, false):
                    throw UsageError("standard input is not a terminal: pass the password and the PIN with --password-stdin --pin-stdin")
                case (false, true):
                    throw UsageError("standard input is not a terminal: pass the password with --password-stdin")
                case (true, false):
                    throw UsageError("standard input is not a terminal: pass the PIN with --pin-stdin (the line after the password)")
                case (true, true):
                    break
                }
            }
            let password = try SecretInput.password(for: user, fromStandardInput: passwordStdin)
            if !pinStdin {
                // The PIN is asked on the terminal: check the password first.
                let client = try options.connect(timeout: .seconds(90))
                let begun = try client.beginSignIn(homeserver: homeserver)
                guard begun.password else {
                    throw ControlError.authFailed(
                        reason: "\(begun.homeserver) does not offer sign-in with a password; without --user, heraldctl signs in the way it offers")
                }
                let account = try SignInFlow.passwordThenPin(client, session: begun.session, user: user, password: password,
                                                             pinStdin: false, options: options)
                report(account)
                offerVerification(account)
                return
            }
            // Both from standard input: a refused PIN is a usage error before anything is sent.
            let pin = try SecretInput.newPin(
                prompt: "Choose a 4-digit PIN for \(user): ", repeatPrompt: "Repeat the PIN: ",
                fromStandardInput: pinStdin,
                what: passwordStdin ? "the PIN (second line, after the password)" : "the PIN (first line)")
            // Signing in discovers the homeserver, logs in and syncs once: it can take a minute.
            let account = try options.connect(timeout: .seconds(90))
                .addAccount(homeserver: homeserver, user: user, password: password, pin: pin)
            report(account)
        }

        /// With the PIN typed on a terminal, verifying the device is offered next (VerifyOffer).
        private func offerVerification(_ account: AccountInfo) {
            guard !pinStdin, !options.json, SecretInput.standardInputIsTerminal else { return }
            VerifyOffer.offer(account, options: options)
        }

        private func report(_ account: AccountInfo) {
            if options.json {
                Report.json(["account": account])
            } else {
                print("Signed in as \(account.id) on \(account.homeserver) (device \(account.deviceId))")
            }
        }
    }

    struct Remove: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an account out and forget it.",
            discussion: """
                heraldd ends the session at the homeserver (if it can be reached) and removes \
                everything it kept for the account on this computer. No PIN is needed: removing \
                only takes access away.

                Examples:
                  heraldctl account remove alice
                  heraldctl account remove @alice:example.org
                """)

        @Argument(help: ArgumentHelp("The account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
        var account: String

        @OptionGroup var options: GlobalOptions

        func run() throws {
            try options.connect(timeout: .seconds(90)).removeAccount(account)
            if options.json {
                Report.json([String: String]())
            } else {
                print("Removed \(account).")
            }
        }
    }
}

/// The accounts table shared by `status` and `account list`: short cells, and why an account is
/// not syncing (a homeserver's or libcurl's message, however long) on a line of its own below.
enum AccountListing {
    static let noAccounts = "No accounts. Add one with: heraldctl account add https://matrix.example.org --user NAME"

    static func text(for accounts: [AccountInfo]) -> String {
        guard !accounts.isEmpty else { return noAccounts }
        var table = Table(header: ["ACCOUNT", "STATE", "LOCKED", "PREVIEW", "NOTIFY", "DEVICE"])
        for account in accounts {
            table.rows.append([
                account.id, state(of: account), account.locked ? "yes" : "no", account.preview,
                account.notifications ? "on" : "off", account.verification ?? "-",
            ])
        }
        let reasons = accounts.compactMap { account in
            account.reason.flatMap { $0.isEmpty ? nil : "\(account.id) is \(account.state.replacingUnderscores): \($0)" }
        }
        let notes = reasons + accounts.compactMap { account in account.encryption.map { "\(account.id): \($0)" } }
        return ([table.text] + (notes.isEmpty ? [] : [""] + notes)).joined(separator: "\n")
    }

    static func state(of account: AccountInfo) -> String {
        let text = account.state.replacingUnderscores
        if let age = Age.since(account.since) { return text + " for \(age)" }
        return text + " since \(account.since)"
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
