/// The XDG Autostart entry (`$XDG_CONFIG_HOME/autostart/herald.desktop`) that starts heraldd
/// at login on desktops without a systemd user session. `X-systemd-skip=true` tells
/// systemd-xdg-autostart-generator to leave it alone where the unit already does the job.
public struct DesktopEntry: Sendable {
    public let path: String

    public init(paths: AutostartPaths) {
        path = paths.desktopEntry
    }

    public static func text(heraldd: String) -> String {
        """
        [Desktop Entry]
        Type=Application
        Name=Herald
        GenericName=Matrix notifications
        Comment=Shows new Matrix messages as desktop notifications
        Exec=\(quoteExec(heraldd))
        Terminal=false
        NoDisplay=true
        X-GNOME-Autostart-enabled=true
        X-systemd-skip=true

        """
    }

    /// Present and not switched off by `Hidden=true` (how desktops' settings turn an entry off).
    public var isActive: Bool {
        guard let text = FileSystem.read(path) else { return false }
        return !text.split(separator: "\n").contains { String($0).replacingSpaces == "Hidden=true" }
    }

    public var exists: Bool { FileSystem.exists(path) }

    public func write(heraldd: String) throws {
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try FileSystem.makeDirectories(directory)
        try FileSystem.write(Self.text(heraldd: heraldd), to: path)
    }

    public func remove() throws {
        try FileSystem.remove(path)
    }

    /// The Desktop Entry Specification's quoting for an Exec argument: double quotes when it holds
    /// a reserved character, with `"`, `` ` ``, `$` and `\` escaped; `%` doubled in any case.
    static func quoteExec(_ argument: String) -> String {
        let escapedPercent = argument.replacingAll("%", with: "%%")
        let reserved: Set<Character> = [" ", "\t", "\"", "'", "\\", ">", "<", "~", "|", "&", ";", "$", "*", "?", "#", "(", ")", "`"]
        guard escapedPercent.contains(where: reserved.contains) else { return escapedPercent }
        var out = "\""
        for c in escapedPercent {
            if c == "\"" || c == "`" || c == "$" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }
}

extension String {
    var replacingSpaces: String { String(filter { $0 != " " && $0 != "\t" }) }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
