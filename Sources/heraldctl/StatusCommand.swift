import ArgumentParser
import HeraldControl

struct StatusCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the daemon, the desktop services it uses, and every account.",
        discussion: """
            Shows heraldd's version and pid, whether it is connected to the session bus, which \
            notification server shows its notifications, where it keeps the keys that encrypt \
            access tokens, the global notifications switch, what is wrong with the database (it \
            cannot be written, was deleted, or accounts were lost with it), and the state of every \
            account.

            Examples:
              heraldctl status
              heraldctl status --json | jq '.accounts[] | select(.state != "syncing")'
            """)

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let status = try options.connect().status()
        if options.json {
            Report.json(status)
            return
        }
        print("heraldd \(status.version) (pid \(status.pid))")
        let facts = [
            ("Session bus", status.bus),
            ("Notification server", status.notificationServer ?? "none running"),
            ("Secrets", status.secrets),
            ("Notifications", status.notifications ? "on" : "off (for every account)"),
            ("Database", status.storage ?? "ok"),
        ]
        let width = facts.map(\.0.count).max() ?? 0
        for (name, value) in facts { print("  \((name + ":").padding(to: width + 1))  \(value)") }
        print()
        print(AccountListing.text(for: status.accounts))
    }
}
