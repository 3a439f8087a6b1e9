import ArgumentParser
import HeraldControl

struct NotificationsCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Turn notifications on or off, for every account or for one.",
        discussion: """
            Without ACCOUNT this is the global switch: off silences every account, whatever each \
            account's own setting. With ACCOUNT only that account is changed.

            Examples:
              heraldctl notifications off
              heraldctl notifications on alice
            """)

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    @Argument(help: ArgumentHelp("on or off.", valueName: "on|off"))
    var state: Switch

    @Argument(help: ArgumentHelp("Only this account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
    var account: String?

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try options.connect().setNotifications(enabled: state == .on, account: account)
        if options.json {
            Report.json([String: String]())
        } else if let account {
            print("Notifications for \(account) are now \(state.rawValue).")
        } else {
            print("Notifications are now \(state.rawValue).")
        }
    }
}
