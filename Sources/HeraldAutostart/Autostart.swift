/// `heraldctl autostart on|off|status`: with a running systemd user manager, the manager enables
/// herald.service (and herald.socket); without one, the links `systemctl --user enable` would
/// make, plus an XDG Autostart entry for desktops without a systemd user session.
public struct Autostart: Sendable {
    public enum Mechanism: String, Codable, Sendable {
        /// herald.service enabled in a running systemd user manager.
        case systemdUserManager = "systemd-user-manager"
        /// Links under $XDG_CONFIG_HOME/systemd/user/*.wants made without a manager.
        case unitLinks = "unit-links"
        /// $XDG_CONFIG_HOME/autostart/herald.desktop.
        case xdgAutostart = "xdg-autostart"
    }

    public struct Status: Codable, Sendable, Equatable {
        public var enabled: Bool
        public var mechanisms: [Mechanism]
        /// Whether a systemd user manager runs for this user now.
        public var userManager: Bool
        /// The manager's GetUnitFileState answer, when one runs.
        public var unitFileState: String?
        /// herald.service as found in the user unit search path.
        public var unitFile: String?
        public var links: [String]
        public var desktopEntry: String?
        /// What the user should know, e.g. that the unit is not installed.
        public var notes: [String] = []
    }

    public let paths: AutostartPaths
    /// What the desktop entry runs: the heraldd beside heraldctl, else the unit's ExecStart.
    public let heraldd: String

    public init(environment: [String: String], heralddBesideMe: String?) {
        paths = AutostartPaths(environment: environment)
        if let besideMe = heralddBesideMe {
            heraldd = besideMe
        } else if let unit = paths.findUnit(AutostartPaths.serviceName), let text = FileSystem.read(unit),
                  let exec = Self.execStart(unitFile: text) {
            heraldd = exec
        } else {
            heraldd = "heraldd"
        }
    }

    var manager: UserManager { UserManager(paths: paths) }
    var links: UnitLinks { UnitLinks(paths: paths) }
    var desktop: DesktopEntry { DesktopEntry(paths: paths) }

    public func enable() throws -> Status {
        if manager.isRunning {
            try manager.enable()
            // The unit starts it from now on; an old entry would only make some desktops try twice.
            try desktop.remove()
            return status()
        }
        // Without the unit installed only the desktop entry can work: make it, and say so.
        var notes: [String] = []
        do {
            try links.enable()
        } catch AutostartError.unitNotInstalled(let unit, let searched) {
            notes.append(
                "\(unit) is not installed in the user unit path (\(searched.joined(separator: ", "))), so only the XDG "
                    + "autostart entry was made; `make install` installs the unit for systemd sessions")
        } catch let e as AutostartError {
            notes.append("\(e); only the XDG autostart entry was made")
        }
        try desktop.write(heraldd: heraldd)
        var result = status()
        result.notes = notes
        return result
    }

    public func disable() throws -> Status {
        if manager.isRunning { try manager.disable() }
        try links.disable()
        try desktop.remove()
        return status()
    }

    public func status() -> Status {
        let running = manager.isRunning
        let state = running ? try? manager.unitFileState() : nil
        let serviceLinks = links.serviceLinks()
        var mechanisms: [Mechanism] = []
        if running {
            if state == "enabled" || state == "enabled-runtime" { mechanisms.append(.systemdUserManager) }
        } else if !serviceLinks.isEmpty {
            mechanisms.append(.unitLinks)
        }
        if desktop.isActive { mechanisms.append(.xdgAutostart) }
        return Status(enabled: !mechanisms.isEmpty, mechanisms: mechanisms, userManager: running, unitFileState: state,
                      unitFile: paths.findUnit(AutostartPaths.serviceName), links: serviceLinks,
                      desktopEntry: desktop.exists ? desktop.path : nil)
    }

    /// The program of a unit file's `ExecStart=` (prefixes such as `-` or `@` dropped).
    static func execStart(unitFile text: String) -> String? {
        var inService = false
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmingSpaces
            if line.hasPrefix("[") { inService = line == "[Service]"; continue }
            guard inService, line.hasPrefix("ExecStart=") else { continue }
            let command = line.dropFirst("ExecStart=".count).drop { "-@:+!".contains($0) }
            return command.split(separator: " ").first.map(String.init)
        }
        return nil
    }
}
