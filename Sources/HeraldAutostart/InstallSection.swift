/// The `[Install]` section of a unit file: what `systemctl enable` reads to know which links to
/// make (systemd.unit(5)). Only the keys Herald's units use, and those of any unit like them.
public struct InstallSection: Sendable, Equatable {
    public var wantedBy: [String] = []
    public var requiredBy: [String] = []
    public var also: [String] = []

    public init(wantedBy: [String] = [], requiredBy: [String] = [], also: [String] = []) {
        self.wantedBy = wantedBy
        self.requiredBy = requiredBy
        self.also = also
    }

    /// Parses a unit file's text. Keys repeat and lists are space-separated; an empty
    /// assignment resets the list, as in systemd; comments start with `#` or `;`.
    public init(unitFile text: String) {
        var inInstall = false
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(raw)
            if line.hasSuffix("\\") {  // continuation line
                pending += line.dropLast() + " "
                continue
            }
            line = (pending + line).trimmingSpaces
            pending = ""
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                inInstall = line == "[Install]"
                continue
            }
            guard inInstall, let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]).trimmingSpaces
            let value = String(line[line.index(after: eq)...]).trimmingSpaces
            let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch key {
            case "WantedBy": if words.isEmpty { wantedBy = [] } else { wantedBy += words }
            case "RequiredBy": if words.isEmpty { requiredBy = [] } else { requiredBy += words }
            case "Also": if words.isEmpty { also = [] } else { also += words }
            default: break
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
