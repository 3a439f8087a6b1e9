/// Enables a user unit without a running manager, as `systemctl --user enable` does offline:
/// for the unit and each unit its `Also=` names, one symlink per `WantedBy=` target in
/// `$XDG_CONFIG_HOME/systemd/user/<target>.wants/` (`.requires/` for `RequiredBy=`), pointing
/// at the unit file found in the search path. The manager reads them at its next start.
public struct UnitLinks: Sendable {
    public let paths: AutostartPaths

    public init(paths: AutostartPaths) {
        self.paths = paths
    }

    /// Makes the links; returns them. Throws when the unit is not installed.
    @discardableResult
    public func enable(_ unit: String = AutostartPaths.serviceName) throws -> [String] {
        var made: [String] = []
        var queue = [unit]
        var seen: Set<String> = []
        while let name = queue.first {
            queue.removeFirst()
            guard seen.insert(name).inserted else { continue }
            guard let file = paths.findUnit(name) else {
                throw AutostartError.unitNotInstalled(unit: name, searched: paths.unitSearchPath)
            }
            let install = InstallSection(unitFile: FileSystem.read(file) ?? "")
            let directories = install.wantedBy.map { $0 + ".wants" } + install.requiredBy.map { $0 + ".requires" }
            for directory in directories {
                let dir = paths.userUnitDirectory + "/" + directory
                try FileSystem.makeDirectories(dir)
                let link = dir + "/" + name
                if FileSystem.readLink(link) == file { made.append(link); continue }
                try FileSystem.remove(link)
                try FileSystem.symlink(file, at: link)
                made.append(link)
            }
            queue += install.also
        }
        return made
    }

    /// Removes every link to Herald's units in the user's unit directory; returns them.
    @discardableResult
    public func disable() throws -> [String] {
        let links = present()
        for link in links {
            try FileSystem.remove(link)
            let directory = String(link[..<link.lastIndex(of: "/")!])
            FileSystem.removeDirectoryIfEmpty(directory)  // as systemctl leaves no empty .wants
        }
        return links
    }

    /// The links to herald.service or herald.socket under `*.wants/` and `*.requires/`.
    public func present() -> [String] {
        let base = paths.userUnitDirectory
        return FileSystem.list(base)
            .filter { $0.hasSuffix(".wants") || $0.hasSuffix(".requires") }
            .flatMap { dir in
                FileSystem.list(base + "/" + dir)
                    .filter { $0 == "herald.service" || $0 == "herald.socket" }
                    .map { base + "/" + dir + "/" + $0 }
            }
    }

    /// Links that make herald.service start at login (under default.target or any target).
    public func serviceLinks() -> [String] { present().filter { $0.hasSuffix("/herald.service") } }
}

public enum AutostartError: Error, Sendable, Equatable, CustomStringConvertible {
    case unitNotInstalled(unit: String, searched: [String])
    case manager(command: String, message: String)
    case io(String)

    public var description: String {
        switch self {
        case .unitNotInstalled(let unit, let searched):
            "\(unit) is not installed in the user unit path (\(searched.joined(separator: ", "))); run `make install` first"
        case .manager(let command, let message):
            "\(command) failed: \(message)"
        case .io(let message):
            message
        }
    }
}
