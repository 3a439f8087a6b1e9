import ArgumentParser
import HeraldControl

extension PreviewSetting: ExpressibleByArgument {}

struct PreviewCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Choose when an account's notifications show the sender, the room and the text.",
        discussion: """
            always    even while the account is locked \
            unlocked  only while it is unlocked (the default) \
            never     never: every notification says only "New message for …" and a count

            Examples:
              heraldctl preview never alice
              heraldctl preview unlocked @alice:example.org
            """)

    @Argument(help: ArgumentHelp("always, unlocked or never.", valueName: "always|unlocked|never"))
    var setting: PreviewSetting

    @Argument(help: ArgumentHelp("The account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
    var account: String

    @OptionGroup var options: GlobalOptions

    func run() throws {
        try options.connect().setPreview(account, preview: setting.rawValue)
        if options.json {
            Report.json([String: String]())
            return
        }
        switch setting {
        case .always: print("Notifications of \(account) now show previews always, even while it is locked.")
        case .unlocked: print("Notifications of \(account) now show previews only while it is unlocked.")
        case .never: print("Notifications of \(account) now never show previews.")
        }
    }
}
