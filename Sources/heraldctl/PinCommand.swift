import ArgumentParser
import HeraldControl

struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Change an account's PIN.",
        discussion: """
            Every account has its own 4-digit PIN, chosen when it is added; it unlocks the \
            account (heraldctl unlock).

            Examples:
              heraldctl pin set alice
            """,
        subcommands: [Set.self])

    func run() throws {
        throw UsageError("pin needs a subcommand: set (see heraldctl pin --help)")
    }

    struct Set: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an account's PIN, after checking the current one.",
            discussion: """
                On a terminal the current PIN is asked for and checked, then the new one twice, without echo. \
                With --pin-stdin standard input holds the current PIN line, then the new PIN line.

                A wrong current PIN counts as a failed unlock attempt (see heraldctl unlock --help). \
                A new PIN is exactly 4 digits and not one of the most common ones (one digit \
                repeated, consecutive digits, 1212, 1004, 2000, 6969, 1122, 1313, 2001, 1010, 2580, \
                0852). A refused new PIN given with --pin-stdin is a usage error (exit status 2) \
                and nothing is sent to heraldd; on the terminal it is asked for again.

                Examples:
                  heraldctl pin set alice
                  printf '%s\\n%s\\n' "$OLD_PIN" "$NEW_PIN" | heraldctl pin set alice --pin-stdin
                """)

        @Argument(help: ArgumentHelp("The account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
        var account: String

        @Flag(help: "Read the current PIN, then the new PIN, from the first two lines of standard input.")
        var pinStdin = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            if !pinStdin && !SecretInput.standardInputIsTerminal {
                throw UsageError("standard input is not a terminal: pass the current and the new PIN with --pin-stdin")
            }
            let current = try SecretInput.existingPin(
                prompt: "Current PIN for \(account): ", fromStandardInput: pinStdin,
                what: "the current PIN (first line)")
            // On the terminal, a wrong current PIN is said before the new one is asked for twice.
            if !pinStdin { try options.connect().checkPin(account, pin: current) }
            let new = try SecretInput.newPin(
                prompt: "New PIN for \(account): ", repeatPrompt: "Repeat the new PIN: ", fromStandardInput: pinStdin,
                what: "the new PIN (second line)")
            try options.connect().setPin(account, currentPin: current, newPin: new)
            if options.json {
                Report.json([String: String]())
            } else {
                print("Changed the PIN of \(account).")
            }
        }
    }
}
