import CSystemd
import Foundation
import Glibc
import HeraldCore
import HeraldMatrix
import HeraldStore
import Logging

/// What the buttons of a notification do: open the conversation, mark it read on the server,
/// or mute the room for an hour.
extension Daemon {
    func handleAction(id: UInt32, key: String, activationToken: String?) async {
        if key == "unlock", let account = await notifier.account(showing: id) {
            // The PIN goes from pinentry to the same check as `heraldctl unlock`, attempts counted alike.
            guard let pin = await PinEntry.ask(description: "Unlock Herald's notifications for \(account.rawValue)", prompt: "PIN:")
            else { return }
            do { _ = try await unlock(account.rawValue, pin: pin) } catch { logger.notice("unlock from the notification refused: \(error)") }
            return
        }
        guard let target = await notifier.room(showing: id) else { return }
        var log = logger
        log[metadataKey: "account"] = "\(target.userID)"
        log[metadataKey: "room"] = "\(target.roomID)"
        switch key {
        case "default":
            let url = openURL.replacingOccurrences(of: "{room}", with: MatrixClient.escape(target.roomID))
                .replacingOccurrences(of: "{room_raw}", with: String(target.roomID.dropFirst()))
            if !Launcher.open(url, activationToken: activationToken) { log.warning("cannot start xdg-open") }
        case "mark-read":
            guard let event = target.lastEventID, let session = session(for: target.userID) else { return }
            do {
                try await session.client().sendReadReceipt(roomID: target.roomID, eventID: event)
                await notifier.withdraw(target.userID, rooms: [target.roomID])
                log.info("marked as read from the notification")
            } catch {
                log.warning("cannot send the read receipt: \(error)")
            }
        case "mute-1h":
            try? store.mute(target.userID, roomID: target.roomID, until: Date().timeIntervalSince1970 + 3600)
            await notifier.withdraw(target.userID, rooms: [target.roomID])
            log.info("room muted for an hour from the notification")
        default:
            break
        }
    }
}

/// Starts `xdg-open` detached, with the notification server's activation token so the
/// chat client may take focus (Wayland's xdg-activation).
enum Launcher {
    static func open(_ url: String, activationToken: String?) -> Bool {
        guard url.hasPrefix("matrix:") || url.hasPrefix("https://") || url.hasPrefix("http://") else { return false }
        var env = ProcessInfo.processInfo.environment
        if let activationToken {
            env["XDG_ACTIVATION_TOKEN"] = activationToken
            env["DESKTOP_STARTUP_ID"] = activationToken
        }
        guard let child = Spawn.start(["xdg-open", url], environment: env) else { return false }
        // Reaped on a thread of its own: off the cooperative pool, and not on libdispatch's
        // worker pool, whose first use would start its once-a-second monitor (herald_executor.h).
        Thread.detachNewThread { var status: Int32 = 0; _ = waitpid(child, &status, 0) }
        return true
    }
}
