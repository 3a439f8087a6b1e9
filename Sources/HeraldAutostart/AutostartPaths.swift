/// Where the autostart mechanisms live for this user, from the XDG base directory variables
/// (every one honoured, so that tests can work in a temporary home).
public struct AutostartPaths: Sendable, Equatable {
    public static let serviceName = "herald.service"
    public static let desktopEntryName = "herald.desktop"

    /// `$XDG_CONFIG_HOME`, default `~/.config`.
    public var configHome: String
    public var dataHome: String
    public var configDirs: [String]
    public var dataDirs: [String]
    public var runtimeDirectory: String?

    public init(environment env: [String: String]) {
        let home = env["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/"
        func absolute(_ key: String, _ fallback: String) -> String {
            if let v = env[key], v.hasPrefix("/") { return v.trimmingTrailingSlashes }
            return fallback
        }
        func list(_ key: String, _ fallback: [String]) -> [String] {
            let items = (env[key] ?? "").split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
            return items.isEmpty ? fallback : items.map(\.trimmingTrailingSlashes)
        }
        configHome = absolute("XDG_CONFIG_HOME", home.trimmingTrailingSlashes + "/.config")
        dataHome = absolute("XDG_DATA_HOME", home.trimmingTrailingSlashes + "/.local/share")
        configDirs = list("XDG_CONFIG_DIRS", ["/etc/xdg"])
        dataDirs = list("XDG_DATA_DIRS", ["/usr/local/share", "/usr/share"])
        runtimeDirectory = env["XDG_RUNTIME_DIR"].flatMap { $0.hasPrefix("/") ? $0.trimmingTrailingSlashes : nil }
    }

    /// Where `systemctl --user enable` writes its links: the user's own unit configuration.
    public var userUnitDirectory: String { configHome + "/systemd/user" }

    /// `$XDG_CONFIG_HOME/autostart/herald.desktop`, read by desktops at login (XDG Autostart).
    public var desktopEntry: String { configHome + "/autostart/" + Self.desktopEntryName }

    /// The systemd user manager's private socket: it exists while the manager runs.
    public var managerSocket: String? { runtimeDirectory.map { $0 + "/systemd/private" } }

    /// The user unit search path of systemd.unit(5), in order, less the runtime and generator
    /// directories, which never hold an installed unit.
    public var unitSearchPath: [String] {
        [configHome + "/systemd/user"] + configDirs.map { $0 + "/systemd/user" } + ["/etc/systemd/user"]
            + [dataHome + "/systemd/user"] + dataDirs.map { $0 + "/systemd/user" }
            + ["/usr/local/lib/systemd/user", "/usr/lib/systemd/user"]
    }

    /// The first file called `name` in the unit search path.
    public func findUnit(_ name: String) -> String? {
        unitSearchPath.map { $0 + "/" + name }.first { FileSystem.isRegularFile($0, followingLinks: true) }
    }
}

extension String {
    var trimmingTrailingSlashes: String {
        var s = self
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        return s
    }
}
