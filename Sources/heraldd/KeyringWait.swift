import HeraldCore
import HeraldDBus
import HeraldSecrets
import Logging
import ServiceLifecycle

/// While the token key cannot be had, heraldd stays up: it serves the control socket, its
/// accounts wait (nothing is wiped), and one notification says what to do. The keyring is
/// asked once through its prompt, then quietly again whenever the Secret Service changes
/// (a collection created, changed or unlocked, the service restarted) and every
/// `retryInterval`, since not every keeper signals every change. When the key comes, the
/// accounts start and the notification goes.
struct KeyringWait: Service {
    let source: TokenKeySource
    let sealer: Sealer
    let daemon: Daemon
    let sink: (any NotificationSink)?
    let texts: NotificationTexts
    let bus: BusConnection?
    let timers: Timers
    let logger: Logger
    var retryInterval: Duration = .seconds(10)

    func run() async throws {
        if !sealer.isReady { await obtain() }
        try? await gracefulShutdown()
    }

    private func obtain() async {
        if source.mayPrompt, await attempt(prompting: true) { return }
        if Task.isCancelled { return }
        var shown = await tellTheUser()
        let (nudges, nudge) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        if let bus, source.mayPrompt, let changes = try? await SecretServiceChanges.stream(on: bus) {
            Task {
                for await _ in changes { nudge.yield() }
            }
        }
        let ticker = Task { [timers, retryInterval] in
            while !Task.isCancelled {
                try? await timers.sleep(for: retryInterval)
                nudge.yield()
            }
        }
        defer {
            ticker.cancel()
            nudge.finish()
        }
        for await _ in nudges.cancelOnGracefulShutdown() {
            logger.debug("retrying the keyring")
            if await attempt(prompting: false) { break }
            // At login the notification server may come after heraldd: shown once it can be.
            if shown == nil { shown = await tellTheUser(again: true) }
        }
        if let shown, let sink { try? await sink.close(shown) }
    }

    /// One try; on success the accounts start. Returns whether the key was had.
    private func attempt(prompting: Bool) async -> Bool {
        do {
            let cipher = try await source.attempt(prompting: prompting)
            sealer.provide(cipher)
            logger.notice("token key kept by \(source.backend): starting the accounts that waited for it")
            await daemon.keyArrived()
            return true
        } catch {
            let reason = "\(error)"
            if sealer.waitingReason != reason {
                logger.warning("waiting for the keyring: \(reason)", metadata: ["backend": "\(source.backend)"])
                sealer.wait(because: reason)
                ServiceStatus.shared.refresh()
            }
            return false
        }
    }

    /// The one notification: what is wrong and what to do. Its id, to withdraw it later.
    private func tellTheUser(again: Bool = false) async -> UInt32? {
        guard let sink else { return nil }
        do {
            return try await sink.notify(NotificationRequest(
                summary: source.mayPrompt ? texts.waitingForKeyringTitle : texts.waitingForKeyFileTitle,
                body: source.mayPrompt ? texts.waitingForKeyring : texts.waitingForKeyFile,
                hints: [("category", .string("im.error")), ("desktop-entry", .string("herald")), ("urgency", .byte(1))],
                expireTimeout: 0))
        } catch {
            logger.log(level: again ? .debug : .warning, "cannot show the keyring notification: \(error)")
            return nil
        }
    }
}
