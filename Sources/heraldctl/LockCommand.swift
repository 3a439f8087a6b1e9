import ArgumentParser
import HeraldControl

struct LockCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Lock one account, or every account: its notifications no longer show who wrote what.",
        discussion: """
            While an account is locked its notifications say only "New message for …" and a \
            count: no sender, no room, no text (unless its preview setting is `always`). Its \
            notifications already on screen are replaced by that discreet form. Nothing else \
            changes: the account stays signed in and keeps being notified. \
            Without ACCOUNT (or with --all) every account is locked. heraldd also locks every \
            account when it starts and when the desktop session locks. \
            Unlock with `heraldctl unlock ACCOUNT` and the account's PIN.

            Examples:
              heraldctl lock
              heraldctl lock alice
              heraldctl lock --all --json
            """)

    @Argument(help: ArgumentHelp("Only this account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
    var account: String?

    @Flag(help: "Lock every account (the same as giving no ACCOUNT).")
    var all = false

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if account != nil && all { throw ValidationError("give an account or --all, not both") }
    }

    func run() throws {
        let locked = try options.connect().lock(account)
        if options.json {
            Report.json(["locked": locked])
        } else if locked.isEmpty {
            print("No account to lock.")
        } else {
            print("Locked \(locked.joined(separator: ", "))")
        }
    }
}

struct UnlockCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock an account with its PIN: its notifications show previews again.",
        discussion: """
            The PIN is asked for on the terminal without echo, or read from the first line of \
            standard input with --pin-stdin. Something that is not 4 digits is refused here \
            (exit status 2) and does not count as an attempt.

            Wrong PINs are counted, even across restarts of heraldd: after 4 of them each new \
            attempt must wait (about 1, 5, 15, 15, then 60 minutes), and the 10th wrong PIN in a \
            row signs the account out: it must then be added again with `heraldctl account add`. \
            A wrong PIN, or an attempt during a wait, exits with status 1 and says how many \
            attempts are left or how long to wait.

            Examples:
              heraldctl unlock alice
              pass show herald/alice-pin | heraldctl unlock alice --pin-stdin
            """)

    @Argument(help: ArgumentHelp("The account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
    var account: String

    @Flag(help: "Read the PIN from the first line of standard input.")
    var pinStdin = false

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let pin = try SecretInput.existingPin(
            prompt: "PIN for \(account): ", fromStandardInput: pinStdin, what: "the PIN (first line)")
        let unlocked = try options.connect().unlock(account, pin: pin)
        if options.json {
            Report.json(["account": unlocked])
        } else {
            print("Unlocked \(unlocked.id)")
        }
    }
}
