import Foundation
@testable import HeraldAutostart
import Testing

@Suite struct InstallSectionTests {
    @Test func readsHeraldsUnits() {
        let text = """
            [Unit]
            Description=x
            WantedBy=not-this.target

            [Service]
            ExecStart=-/usr/bin/heraldd --log-level info

            [Install]
            # comment
            WantedBy=default.target
            Also=herald.socket
            """
        #expect(InstallSection(unitFile: text) == InstallSection(wantedBy: ["default.target"], also: ["herald.socket"]))
        #expect(Autostart.execStart(unitFile: text) == "/usr/bin/heraldd")
    }

    @Test func listsAccumulateAndEmptyResets() {
        let text = "[Install]\nWantedBy=a.target b.target\nWantedBy=c.target\nRequiredBy=x.target\nRequiredBy=\nAlso=one \\\n two\n"
        #expect(InstallSection(unitFile: text) == InstallSection(wantedBy: ["a.target", "b.target", "c.target"], also: ["one", "two"]))
    }
}

@Suite struct DesktopEntryTests {
    @Test func plainPathsStayUnquoted() {
        #expect(DesktopEntry.quoteExec("/usr/bin/heraldd") == "/usr/bin/heraldd")
    }

    @Test func reservedCharactersAreQuoted() {
        #expect(DesktopEntry.quoteExec("/home/a b/heraldd") == "\"/home/a b/heraldd\"")
        #expect(DesktopEntry.quoteExec("/opt/$x/heraldd") == "\"/opt/\\$x/heraldd\"")
        #expect(DesktopEntry.quoteExec("/opt/100%/heraldd") == "/opt/100%%/heraldd")
    }

    @Test func entrySkipsSystemdSessions() {
        let text = DesktopEntry.text(heraldd: "/usr/bin/heraldd")
        #expect(text.contains("Exec=/usr/bin/heraldd\n"))
        #expect(text.contains("X-systemd-skip=true"))
        #expect(text.hasPrefix("[Desktop Entry]\nType=Application\n"))
    }
}

@Suite struct FallbackTests {
    /// A temporary home with Herald's units installed in ~/.local/share/systemd/user.
    func home() throws -> (root: String, env: [String: String]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("herald-autostart-\(UUID().uuidString)").path
        let units = root + "/share/systemd/user"
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        try "[Service]\nExecStart=/opt/h/bin/heraldd\n[Install]\nWantedBy=default.target\nAlso=herald.socket\n"
            .write(toFile: units + "/herald.service", atomically: true, encoding: .utf8)
        try "[Socket]\nListenStream=%t/herald/control.sock\n[Install]\nWantedBy=sockets.target\n"
            .write(toFile: units + "/herald.socket", atomically: true, encoding: .utf8)
        let env = ["HOME": root + "/home", "XDG_CONFIG_HOME": root + "/config", "XDG_DATA_HOME": root + "/share",
                   "XDG_DATA_DIRS": root + "/none", "XDG_CONFIG_DIRS": root + "/none", "XDG_RUNTIME_DIR": root + "/run"]
        return (root, env)
    }

    @Test func onMakesTheLinksSystemctlWouldAndTheDesktopEntry() throws {
        let (root, env) = try home()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let autostart = Autostart(environment: env, heralddBesideMe: nil)
        #expect(autostart.heraldd == "/opt/h/bin/heraldd")
        #expect(autostart.status().enabled == false)

        let on = try autostart.enable()
        #expect(on.enabled && on.mechanisms == [.unitLinks, .xdgAutostart] && !on.userManager && on.notes.isEmpty)
        let wants = root + "/config/systemd/user/default.target.wants/herald.service"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: wants) == root + "/share/systemd/user/herald.service")
        let socket = root + "/config/systemd/user/sockets.target.wants/herald.socket"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: socket) == root + "/share/systemd/user/herald.socket")
        let entry = try String(contentsOfFile: root + "/config/autostart/herald.desktop", encoding: .utf8)
        #expect(entry.contains("Exec=/opt/h/bin/heraldd"))
        #expect(try autostart.enable() == on, "on twice is on")

        let off = try autostart.disable()
        #expect(!off.enabled && off.links.isEmpty && off.desktopEntry == nil)
        #expect(!FileManager.default.fileExists(atPath: root + "/config/systemd/user/default.target.wants"))
        #expect(FileManager.default.fileExists(atPath: root + "/share/systemd/user/herald.service"), "the unit itself stays")
        #expect(try autostart.disable() == off, "off twice is off")
    }

    @Test func withoutTheUnitOnlyTheDesktopEntryIsMade() throws {
        let (root, env) = try home()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.removeItem(atPath: root + "/share/systemd/user")
        let on = try Autostart(environment: env, heralddBesideMe: "/x/heraldd").enable()
        #expect(on.mechanisms == [.xdgAutostart])
        #expect(on.notes.count == 1 && on.notes[0].contains("not installed"))
    }

    @Test func aHiddenEntryDoesNotCount() throws {
        let (root, env) = try home()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/config/autostart", withIntermediateDirectories: true)
        try "[Desktop Entry]\nHidden=true\n".write(toFile: root + "/config/autostart/herald.desktop", atomically: true, encoding: .utf8)
        let status = Autostart(environment: env, heralddBesideMe: nil).status()
        #expect(!status.enabled && status.desktopEntry != nil)
    }
}
