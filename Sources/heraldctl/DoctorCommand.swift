import ArgumentParser
import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything Herald depends on, and say what to fix.",
        discussion: """
            Checks that heraldd answers on its socket and that the socket is private, the session \
            bus, the notification server and what it can show, the Secret Service, the clock, the \
            database (written, or why not), each account's homeserver (as heraldd last reached it), and autostart. Bus questions are \
            asked with busctl, as heraldctl does not link D-Bus itself.

            Exit status: 0 nothing wrong (warnings allowed), 1 something needs fixing, \
            3 heraldd cannot be reached (the other checks are still made).

            Examples:
              heraldctl doctor
              heraldctl doctor --json | jq '.checks[] | select(.status != "ok")'
            """)

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let environment = ControlPaths.processEnvironment()
        let checks = Doctor(environment: environment, socketPath: options.socketPath).run()
        let daemonDown = checks.contains { $0.name == "heraldd" && $0.status == .error }
        let failed = checks.contains { $0.status == .error }
        if options.json {
            Report.json(DoctorReport(ok: !failed, checks: checks))
        } else {
            print(Self.text(checks))
        }
        if daemonDown { Glibc.exit(ExitStatus.unreachable) }
        if failed { Glibc.exit(ExitStatus.refused) }
    }

    static func text(_ checks: [DoctorCheck]) -> String {
        let width = checks.map(\.name.count).max() ?? 0
        var lines: [String] = []
        for c in checks {
            let mark = switch c.status {
            case .ok: " ok "
            case .warning: "warn"
            case .error: "FAIL"
            }
            lines.append("[\(mark)] \(c.name.padding(to: width))  \(c.detail)")
            if let fix = c.fix { lines.append(String(repeating: " ", count: width + 9) + "→ " + fix) }
        }
        let problems = checks.filter { $0.status == .error }.count
        let warnings = checks.filter { $0.status == .warning }.count
        lines.append("")
        lines.append(problems == 0 && warnings == 0 ? "Everything looks right."
                     : "\(problems) problem\(problems == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s").")
        return lines.joined(separator: "\n")
    }
}

struct DoctorReport: Encodable {
    var ok: Bool
    var checks: [DoctorCheck]
}

struct DoctorCheck: Encodable, Equatable {
    enum Status: String, Encodable { case ok, warning, error }
    var name: String
    var status: Status
    var detail: String
    /// What the user should do, when something is wrong.
    var fix: String?

    static func ok(_ name: String, _ detail: String) -> Self { .init(name: name, status: .ok, detail: detail) }
    static func warning(_ name: String, _ detail: String, fix: String?) -> Self { .init(name: name, status: .warning, detail: detail, fix: fix) }
    static func error(_ name: String, _ detail: String, fix: String?) -> Self { .init(name: name, status: .error, detail: detail, fix: fix) }
}
