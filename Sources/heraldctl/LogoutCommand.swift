import ArgumentParser
import HeraldControl

struct LogoutCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Sign one account, or every account, out: the session ends and nothing of it stays here.",
        discussion: """
            heraldd ends the session at the homeserver, then wipes everything it kept for the \
            account on this computer: its session, sync position, notifications record, keys and \
            the notifications on screen. No PIN is needed: signing out only takes access away. \
            If the homeserver cannot be reached the account is wiped here all the same, and \
            heraldd retries the server-side sign-out later. \
            Say which account, or --all; to use an account again, add it again.

            Examples:
              heraldctl logout alice
              heraldctl logout --all
            """)

    @Argument(help: ArgumentHelp("The account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
    var account: String?

    @Flag(help: "Sign every account out.")
    var all = false

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if account == nil && !all { throw ValidationError("say which account, or --all") }
        if account != nil && all { throw ValidationError("give an account or --all, not both") }
    }

    func run() throws {
        let reply = try options.connect(timeout: .seconds(90)).logout(account)
        if options.json {
            Report.json(reply)
            return
        }
        if reply.signedOut.isEmpty { print("No account to sign out.") }
        let pending = Swift.Set(reply.serverLogoutPending)
        for id in reply.signedOut {
            if pending.contains(id) {
                print("Signed out \(id) here; the homeserver could not be reached; Herald will retry the server-side sign-out")
            } else {
                print("Signed out \(id)")
            }
        }
    }
}
