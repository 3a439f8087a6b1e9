import ArgumentParser
import CSystemd
import Foundation
import HeraldControl
import HeraldCore
import HeraldDBus
import HeraldHTTP
import HeraldSecrets
import HeraldStore
import Logging
import ServiceLifecycle
import UnixSignals

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct HeraldDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heraldd",
        abstract: "Herald's daemon: keeps Matrix accounts signed in and shows their new messages as desktop notifications.",
        discussion: """
            Runs in the foreground; under systemd it is started by herald.service. Control it with heraldctl.
            Paths follow the XDG base directories:
              control socket  $XDG_RUNTIME_DIR/herald/control.sock  (HERALD_SOCKET overrides)
              database        $XDG_STATE_HOME/herald/herald.db     (default ~/.local/state/herald/)
            """,
        version: heraldVersion)

    @Option(help: "Control socket path.")
    var socket: String?

    @Option(help: "Database path.")
    var database: String?

    @Option(help: "Configuration file (default $XDG_CONFIG_HOME/herald/herald.toml; absent means defaults).")
    var config: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Long-poll duration of /sync in milliseconds (overrides sync.poll_seconds).", visibility: .hidden))
    var pollMilliseconds: Int?

    func validate() throws {
        if let p = pollMilliseconds, !(1_000...120_000).contains(p) { throw ValidationError("--poll-milliseconds must be 1000…120000") }
    }

    func run() async throws {
        umask(0o077)  // every file Herald creates is its user's alone
        let env = ProcessInfo.processInfo.environment
        LogSetup.bootstrap(level: logLevel, environment: env)
        let logger = Logger(label: "herald")

        let settings = try loadConfig(env, logger: logger)
        let socketPath = try socket ?? Paths.socket(env)
        let dbPath = try database ?? Paths.database(env)
        try Paths.makePrivateDirectory(for: dbPath)
        let databaseExisted = FileManager.default.fileExists(atPath: dbPath)
        let store: AppDatabase
        do {
            store = try AppDatabase.open(path: dbPath)
        } catch {
            throw DaemonFailure("cannot open the database \(dbPath): \(error)")
        }

        let http = CurlDriver(options: HTTPClientOptions(caFile: settings.caFile, userAgent: "Herald/\(heraldVersion)"), logger: logger)
        defer { http.shutdown() }

        var services: [any Service] = []
        let sink: DesktopNotifications?
        let busState: String
        var signals: AsyncStream<NotificationSignal>?
        var sessionBus: BusConnection?
        do {
            let bus = try BusConnection.session(logger: logger)
            let desktop = DesktopNotifications(bus: bus)
            signals = try await desktop.signals()
            sink = desktop
            sessionBus = bus
            busState = "connected"
        } catch {
            logger.error("no session bus, notifications cannot be shown: \(error)")
            sink = nil
            busState = "unavailable"
        }
        let keyFile = (dbPath as NSString).deletingLastPathComponent + "/token.key"
        // Asked before a key is made below: a key without a database means lost accounts.
        let lostKeeper = databaseExisted ? nil : await LostAccounts.keyKeeper(keyFile: keyFile, bus: sessionBus, logger: logger)
        // Never fatal: without its key heraldd serves, its accounts wait, and KeyringWait retries.
        let keySource = await TokenKeySource.choose(settings.keyStore, keyFile: keyFile, bus: sessionBus, logger: logger)
        let sealer = await keySource.firstSealer()
        // Herald's timers sleep on the bus thread's sd-event loop (Timers.swift).
        let timers = Timers(bus: sessionBus)
        let notifier = Notifier(sink: sink, store: store, texts: .forLocale(env, override: settings.language), timers: timers,
                                logger: logger)
        let daemon = Daemon(store: store, transport: http, notifier: notifier, sealer: sealer, busState: busState,
                            timers: timers, logger: logger)
        await daemon.configure(pollMilliseconds: pollMilliseconds ?? settings.pollSeconds * 1000,
                               idleLockMinutes: settings.idleLockMinutes)
        await daemon.configure(openURL: settings.openURL)
        if let lostKeeper { daemon.storage.accountsLost(keeper: lostKeeper, deviceName: daemon.deviceName) }
        await notifier.setQuietHours(settings.quietHours)

        let server: ControlServer
        do {
            if sd_listen_fds(1) >= 1 {
                // Socket activation: systemd made the socket (herald.socket) and owns its file.
                server = try ControlServer(listeningDescriptor: SD_LISTEN_FDS_START, handler: daemon, logger: logger)
            } else {
                server = try ControlServer(path: socketPath, handler: daemon, logger: logger)
            }
        } catch {
            throw DaemonFailure("cannot listen on \(socketPath): \(error)")
        }
        if let signals { services.append(NotificationSignalService(signals: signals, notifier: notifier, daemon: daemon)) }
        services.append(ScreenLockWatcher(session: sessionBus, daemon: daemon, logger: logger))
        services.append(SyncService(daemon: daemon))
        services.append(ControlService(server: server))
        services.append(KeyringWait(source: keySource, sealer: sealer, daemon: daemon, sink: sink,
                                    texts: .forLocale(env, override: settings.language), bus: sessionBus, timers: timers, logger: logger))
        let poll = pollMilliseconds ?? settings.pollSeconds * 1000
        if let watchdog = WatchdogService.fromEnvironment(heartbeats: daemon.heartbeats, pollMilliseconds: poll, timers: timers) {
            services.append(watchdog)
        }
        services.append(StatusService(daemon: daemon))
        // Trapped before READY=1, so that an early `systemctl reload` cannot kill the process.
        let (hangups, hangupInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let signalPipe = sessionBus == nil ? nil : try Self.routeSignals()
        if signalPipe == nil {
            let sighup = await UnixSignalsSequence(trapping: .sighup)
            Task { for await _ in sighup { hangupInput.yield() } }
        }
        services.append(ConfigReloadService(hangups: hangups, daemon: daemon, logger: logger,
                                            load: { [self] in try loadConfig(env, logger: logger) },
                                            initial: settings, pollFixed: pollMilliseconds != nil))
        services.append(StoppingNotice())

        let group = ServiceGroup(configuration: .init(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: signalPipe == nil ? [.sigterm, .sigint] : [],
            logger: logger))
        if let signalPipe, let sessionBus {
            try await sessionBus.watch(fd: signalPipe) { signals in
                for s in signals {
                    if Int32(s) == SIGHUP {
                        hangupInput.yield()
                    } else {
                        logger.info("signal \(s): shutting down")
                        Task { await group.triggerGracefulShutdown() }
                    }
                }
            }
        }
        logger.notice("heraldd \(heraldVersion) serving on \(socketPath)", metadata: ["database": "\(dbPath)"])
        ServiceStatus.shared.ready(accounts: await daemon.statusSummary())
        try await group.run()
        logger.notice("heraldd stopped")
    }
}

extension HeraldDaemonCommand {
    /// SIGTERM, SIGINT and SIGHUP become bytes on a pipe; returns its reading end. A dispatch
    /// signal source (ServiceLifecycle's own way) would keep the process waking every second.
    static func routeSignals() throws -> Int32 {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonFailure("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let rc = herald_route_signals(fds[1])
        guard rc == 0 else { throw DaemonFailure("sigaction: \(String(cString: strerror(-rc)))") }
        return fds[0]
    }

    func loadConfig(_ env: [String: String], logger: Logger) throws -> Config {
        let path = config ?? Paths.config(env)
        guard let path, FileManager.default.fileExists(atPath: path) else {
            if let named = config { throw DaemonFailure("no configuration file at \(named)") }
            return Config()
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw DaemonFailure("cannot read \(path)") }
        do {
            let (parsed, warnings) = try Config.parse(String(decoding: data, as: UTF8.self))
            for w in warnings { logger.warning("\(path): \(w)") }
            return parsed
        } catch {
            throw DaemonFailure("\(path): \(error)")
        }
    }
}

struct DaemonFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}


enum Paths {
    static func socket(_ env: [String: String]) throws -> String {
        if let s = env["HERALD_SOCKET"], !s.isEmpty { return s }
        guard let run = env["XDG_RUNTIME_DIR"], run.hasPrefix("/") else {
            throw DaemonFailure("XDG_RUNTIME_DIR is not set: pass --socket or set HERALD_SOCKET")
        }
        return run + "/herald/control.sock"
    }

    static func database(_ env: [String: String]) throws -> String {
        if let s = env["XDG_STATE_HOME"], s.hasPrefix("/") { return s + "/herald/herald.db" }
        guard let home = env["HOME"], home.hasPrefix("/") else { throw DaemonFailure("neither XDG_STATE_HOME nor HOME is set: pass --database") }
        return home + "/.local/state/herald/herald.db"
    }

    static func config(_ env: [String: String]) -> String? {
        if let s = env["XDG_CONFIG_HOME"], s.hasPrefix("/") { return s + "/herald/herald.toml" }
        guard let home = env["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/.config/herald/herald.toml"
    }

    static func makePrivateDirectory(for file: String) throws {
        let dir = (file as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
