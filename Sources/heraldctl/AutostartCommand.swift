import ArgumentParser
import HeraldAutostart
import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

struct AutostartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autostart",
        abstract: "Start Herald at every login, or not.",
        discussion: """
            With a systemd user manager running, herald.service (and herald.socket) are enabled or \
            disabled through it. Without one, heraldctl makes the links `systemctl --user enable` \
            would make under $XDG_CONFIG_HOME/systemd/user, and an XDG autostart entry, \
            $XDG_CONFIG_HOME/autostart/herald.desktop, for desktops without a systemd user session. \
            `status` says which of these is in effect. heraldd itself is not needed.

            Examples:
              heraldctl autostart on
              heraldctl autostart status --json
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case on, off, status
    }

    @Argument(help: ArgumentHelp("on, off or status.", valueName: "on|off|status"))
    var action: Action

    @Flag(help: "Print one JSON document on standard output instead of text.")
    var json = false

    func run() throws {
        let autostart = Autostart(environment: ControlPaths.processEnvironment(), heralddBesideMe: Self.heralddBesideMe())
        let status: Autostart.Status
        do {
            switch action {
            case .on: status = try autostart.enable()
            case .off: status = try autostart.disable()
            case .status: status = autostart.status()
            }
        } catch {
            Self.fail("\(error)", json: json)
        }
        if json {
            Report.json(status)
            return
        }
        switch action {
        case .on, .off: print(Self.sentence(status))
        case .status: print(Self.details(status))
        }
        // It worked: what is worth knowing is said as a note, not in an error's words.
        for note in status.notes { print("Note: \(note).") }
    }

    static func sentence(_ s: Autostart.Status) -> String {
        guard s.enabled else { return "Autostart is off: Herald will not start at login." }
        if s.mechanisms.contains(.systemdUserManager) {
            return "Autostart is on: herald.service is enabled in your systemd user manager and starts at every login."
        }
        return "Autostart is on from your next login: " + s.mechanisms.map(describe).joined(separator: "; ") + "."
    }

    static func details(_ s: Autostart.Status) -> String {
        var rows: [(String, String)] = [
            ("Autostart", s.enabled ? "on (" + s.mechanisms.map(describe).joined(separator: "; ") + ")" : "off"),
            ("User manager", s.userManager ? "running" + (s.unitFileState.map { ", herald.service is \($0)" } ?? "") : "not running"),
            ("Unit file", s.unitFile ?? "not installed (make install puts it in the user unit path)"),
        ]
        rows += s.links.map { ("Link", $0) }
        rows.append(("Desktop entry", s.desktopEntry ?? "none"))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "\(($0.0 + ":").padding(to: width + 1))  \($0.1)" }.joined(separator: "\n")
    }

    static func describe(_ m: Autostart.Mechanism) -> String {
        switch m {
        case .systemdUserManager: "systemd user manager"
        case .unitLinks: "unit links for the systemd user session"
        case .xdgAutostart: "XDG autostart entry for other desktops"
        }
    }

    /// The heraldd installed next to this heraldctl, what the desktop entry should run.
    static func heralddBesideMe() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let me = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = me.lastIndex(of: "/") else { return nil }
        let candidate = String(me[..<slash]) + "/heraldd"
        return access(candidate, X_OK) == 0 ? candidate : nil
    }

    /// A local failure (no daemon involved): exit 1 with the message, as a refusal would.
    static func fail(_ message: String, json: Bool) -> Never {
        if json {
            Report.json(["error": .string("org.herald.ctl.Failed"), "message": .string(message)] as [String: JSONValue])
        }
        Report.standardError("heraldctl: \(message)")
        Glibc.exit(ExitStatus.refused)
    }
}
