import HeraldAutostart
import HeraldControl

#if canImport(Glibc)
import Glibc
#endif

/// The checks of `heraldctl doctor`, in the order a user would fix things.
struct Doctor {
    let environment: [String: String]
    let socketPath: String

    func run() -> [DoctorCheck] {
        let bus = BusProbe(environment: environment)
        var checks: [DoctorCheck] = []
        let status: StatusReply?
        do {
            let reply = try ControlClient(path: socketPath, timeout: .seconds(10)).status()
            status = reply
            checks.append(.ok("heraldd", "\(reply.version), pid \(reply.pid), answering on \(socketPath)"))
        } catch {
            status = nil
            checks.append(.error("heraldd", "\(error)",
                                 fix: "start it: `systemctl --user start herald` (or `heraldd &` outside systemd); "
                                     + "`journalctl --user -u herald` says why it stopped"))
        }
        checks.append(socket())
        let busChecks = sessionBus(bus, daemon: status)
        checks += busChecks
        // Without a session bus the checks that ask it would only repeat its error.
        let busAnswers = busChecks.first?.status == .ok
        checks += notificationServer(bus, daemon: status, busAnswers: busAnswers)
        checks.append(secretService(bus, daemon: status, busAnswers: busAnswers))
        checks.append(clock())
        if let status { checks.append(storage(status)) }
        if let status { checks += accounts(status.accounts) }
        checks.append(autostart())
        return checks
    }

    // MARK: the socket

    func socket() -> DoctorCheck {
        let name = "control socket"
        var st = stat()
        guard lstat(socketPath, &st) == 0 else {
            return .error(name, "nothing at \(socketPath)",
                          fix: "`systemctl --user start herald.socket` starts heraldd on demand; `heraldd &` starts it now")
        }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            return .error(name, "\(socketPath) is not a socket", fix: "remove it and start heraldd again")
        }
        guard st.st_uid == getuid() else {
            return .error(name, "\(socketPath) belongs to uid \(st.st_uid), not to you",
                          fix: "check XDG_RUNTIME_DIR and HERALD_SOCKET: this is someone else's socket")
        }
        let mode = st.st_mode & 0o777
        let directory = String(socketPath[..<(socketPath.lastIndex(of: "/") ?? socketPath.startIndex)])
        var dst = stat()
        let directoryMode = !directory.isEmpty && stat(directory, &dst) == 0 ? dst.st_mode & 0o777 : 0
        if mode & 0o077 != 0 || directoryMode & 0o077 != 0 {
            return .warning(name, "\(socketPath) is \(octal(mode)) in a \(octal(directoryMode)) directory: others may reach it",
                            fix: "herald.socket sets SocketMode=0600 and DirectoryMode=0700; heraldd does the same when it makes the socket — restart it")
        }
        return .ok(name, "\(socketPath), \(octal(mode)) in a \(octal(directoryMode)) directory, yours")
    }

    private func octal(_ mode: mode_t) -> String {
        "0" + String(mode, radix: 8)
    }

    // MARK: the desktop session

    func sessionBus(_ bus: BusProbe, daemon: StatusReply?) -> [DoctorCheck] {
        let address = environment["DBUS_SESSION_BUS_ADDRESS"]
            ?? environment["XDG_RUNTIME_DIR"].map { "unix:path=\($0)/bus" } ?? "none (no DBUS_SESSION_BUS_ADDRESS, no XDG_RUNTIME_DIR)"
        var checks: [DoctorCheck] = []
        do {
            _ = try bus.busID()
            checks.append(.ok("session bus", address))
        } catch {
            checks.append(.error("session bus", "\(address): \(error)",
                                 fix: "run this in your desktop session (over ssh, `export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus`)"))
        }
        if let daemon, daemon.bus != "connected" {
            checks.append(.error("heraldd's bus", "heraldd has no session bus, so it cannot show notifications",
                                 fix: "restart it inside the desktop session: `systemctl --user restart herald`"))
        }
        return checks
    }

    func notificationServer(_ bus: BusProbe, daemon: StatusReply?, busAnswers: Bool = true) -> [DoctorCheck] {
        let name = "notifications"
        let server: [String]
        do {
            server = try bus.notificationServer()
        } catch {
            if let shown = daemon?.notificationServer {
                return [.ok(name, busAnswers ? "\(shown) (as heraldd sees it; busctl: \(error))" : "\(shown) (as heraldd sees it)")]
            }
            guard busAnswers else {
                return [.error(name, "not checked: no session bus to ask", fix: "see the session bus check")]
            }
            return [.error(name, "no notification server answers on the session bus (\(error))",
                           fix: "start your desktop's notification service, or install one such as dunst or mako")]
        }
        let label = server.count >= 3 ? "\(server[0]) \(server[2])" : server.joined(separator: " ")
        let capabilities = (try? bus.notificationCapabilities()) ?? []
        var checks: [DoctorCheck] = [.ok(name, "\(label); can show: \(capabilities.isEmpty ? "nothing it admits to" : capabilities.joined(separator: ", "))")]
        if !capabilities.contains("body") {
            checks.append(.warning("notification body", "\(label) shows no body text: previews are cut to the title",
                                   fix: "a notification server with body support (most do) shows the message text"))
        }
        return checks
    }

    func secretService(_ bus: BusProbe, daemon: StatusReply?, busAnswers: Bool = true) -> DoctorCheck {
        let name = "secret service"
        if let waiting = daemon.flatMap({ KeyringAdvice.waiting(secrets: $0.secrets) }) {
            return .error(name, "heraldd is waiting for \(waiting.awaited) to give it the token key: \(waiting.reason)",
                          fix: KeyringAdvice.fix(awaited: waiting.awaited))
        }
        let kept = daemon.map { "; heraldd keeps its token key in: \($0.secrets)" } ?? ""
        guard busAnswers else { return .warning(name, "not checked: no session bus to ask" + kept, fix: "see the session bus check") }
        do {
            let (running, activatable) = try bus.nameIsAvailable("org.freedesktop.secrets")
            if running || activatable {
                return .ok(name, (running ? "running" : "started on demand") + kept)
            }
            // Said once: where heraldd keeps the key when it runs, else where it would.
            return .warning(name, "none on the session bus; " + (daemon.map { "heraldd keeps its token key in: \($0.secrets)" }
                                ?? "heraldd would keep its token key in a 0600 file"),
                            fix: "install a keyring that offers the Secret Service (GNOME Keyring, KeePassXC, KWallet) and restart heraldd")
        } catch {
            return .warning(name, "cannot ask the bus: \(error)" + kept, fix: "see the session bus check")
        }
    }

    // MARK: the clock

    func clock() -> DoctorCheck {
        var now = time(nil)
        var local = tm()
        localtime_r(&now, &local)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S %z", &local)
        let shown = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let zone = timeZoneName()
        let text = "\(shown) (\(zone ?? "time zone unknown"))"
        // Herald was written in 2025: a clock before that is wrong, and certificates will look invalid.
        if local.tm_year + 1900 < 2025 {
            return .error("clock", "\(text) is in the past", fix: "turn on network time: `timedatectl set-ntp true`")
        }
        if zone == nil {
            return .warning("clock", text, fix: "set the time zone (`timedatectl set-timezone Europe/Paris`) so times read right")
        }
        return .ok("clock", text)
    }

    private func timeZoneName() -> String? {
        if let tz = environment["TZ"], !tz.isEmpty { return tz.hasPrefix(":") ? String(tz.dropFirst()) : tz }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/etc/localtime", &buffer, buffer.count - 1)
        if n > 0 {
            let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let parts = target.split(separator: "/", omittingEmptySubsequences: true)
            if let zoneinfo = parts.lastIndex(of: "zoneinfo"), zoneinfo + 1 < parts.count {
                return parts[(zoneinfo + 1)...].joined(separator: "/")
            }
        }
        if let f = fopen("/etc/timezone", "re") {
            defer { fclose(f) }
            var line = [CChar](repeating: 0, count: 256)
            if fgets(&line, Int32(line.count), f) != nil {
                let name = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !name.isEmpty { return name }
            }
        }
        return nil
    }

    // MARK: accounts

    func accounts(_ accounts: [AccountInfo]) -> [DoctorCheck] {
        guard !accounts.isEmpty else {
            return [.warning("accounts", "none yet", fix: "`heraldctl account add https://matrix.example.org` signs one in")]
        }
        return accounts.map { a in
            let locked = a.locked ? ", locked" : ""
            switch a.state {
            case "syncing":
                return .ok(a.id, "syncing with \(a.homeserver)\(locked)")
            case "starting":
                return .ok(a.id, "starting: signing in or first sync with \(a.homeserver)\(locked)")
            case "offline":
                return .error(a.id, "\(a.homeserver) does not answer since \(a.since): \(a.reason ?? "no reason given")",
                              fix: "Herald retries by itself; check the network, a proxy, or the server's certificate (network.ca_file)")
            case "waiting_for_the_keyring":
                return .error(a.id, "waiting for the keyring, not syncing; signed in and kept: nothing is lost",
                              fix: "see the secret service check above")
            case "signed_out":
                return .error(a.id, "signed out: \(a.reason ?? "the session ended")",
                              fix: "`heraldctl account add \(a.homeserver)` signs in again")
            default:
                return .ok(a.id, "\(a.state) with \(a.homeserver)\(locked)")
            }
        }
    }

    // MARK: autostart

    func autostart() -> DoctorCheck {
        let status = Autostart(environment: environment, heralddBesideMe: AutostartCommand.heralddBesideMe()).status()
        if status.enabled {
            return .ok("autostart", "on (" + status.mechanisms.map(AutostartCommand.describe).joined(separator: "; ") + ")")
        }
        return .warning("autostart", "off: Herald will not start at your next login", fix: "`heraldctl autostart on`")
    }
}
