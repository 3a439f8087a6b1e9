import ArgumentParser
import HeraldControl

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "List, add and remove Matrix accounts.",
        discussion: """
            Each account signs in on its own and is independent of the others.
            ACCOUNT is a full Matrix ID (@alice:example.org) or any unambiguous prefix of it (alice).

            Examples:
              heraldctl account list
              heraldctl account add https://matrix.example.org --user alice
              heraldctl account remove alice
            """,
        subcommands: [List.self, Add.self, Remove.self])

    func run() throws {
        throw UsageError("account needs a subcommand: list, add or remove (see heraldctl account --help)")
    }

    struct List: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the accounts and their state.",
            discussion: """
                States: starting (signing in or first sync), syncing (up to date and listening),
                offline (the homeserver cannot be reached; Herald retries), signed_out (the session
                was ended elsewhere; add the account again).

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
            abstract: "Sign in to a Matrix account with a password.",
            discussion: """
                heraldd signs in to HOMESERVER as NAME and keeps the session; the password is used
                once and never stored. Without --password-stdin the password is asked for on the
                terminal, without echo.

                Examples:
                  heraldctl account add https://matrix.example.org --user alice
                  pass show matrix/alice | heraldctl account add https://matrix.example.org --user alice --password-stdin
                """)

        @Argument(help: ArgumentHelp("The homeserver's address, e.g. https://matrix.example.org.", valueName: "homeserver"))
        var homeserver: String

        @Option(help: ArgumentHelp("The user name or full Matrix ID (alice or @alice:example.org).", valueName: "name"))
        var user: String

        @Flag(help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let password = try passwordStdin ? PasswordInput.firstLineOfStandardInput() : PasswordInput.prompt(for: user)
            // Signing in discovers the homeserver, logs in and syncs once: it can take a minute.
            let account = try options.connect(timeout: .seconds(90))
                .addAccount(homeserver: homeserver, user: user, password: password)
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
                heraldd ends the session at the homeserver (if it can be reached) and removes
                everything it kept for the account on this computer. No PIN is needed: removing
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

/// The accounts table shared by `status` and `account list`.
enum AccountListing {
    static let noAccounts = "No accounts. Add one with: heraldctl account add https://matrix.example.org --user NAME"

    static func text(for accounts: [AccountInfo]) -> String {
        guard !accounts.isEmpty else { return noAccounts }
        var table = Table(header: ["ACCOUNT", "STATE", "NOTIFICATIONS"])
        for account in accounts {
            table.rows.append([account.id, state(of: account), account.notifications ? "on" : "off"])
        }
        return table.text
    }

    static func state(of account: AccountInfo) -> String {
        var text = account.state.replacingUnderscores
        if let age = Age.since(account.since) { text += " for \(age)" } else { text += " since \(account.since)" }
        if let reason = account.reason, !reason.isEmpty { text += " (\(reason))" }
        return text
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
