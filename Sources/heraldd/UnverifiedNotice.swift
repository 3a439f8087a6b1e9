import Foundation
import HeraldCore
import HeraldStore

/// When senders withhold their keys because Herald's device is unverified (`m.unverified`),
/// the user is told what to do, at most once a day per account.
enum UnverifiedNotice {
    static let period: Double = 86_400

    static func text(_ id: UserID) -> String {
        "Messages for \(id.localpart) can't be read on this computer: run heraldctl account verify \(id.localpart)"
    }

    static func showIfDue(_ id: UserID, withheld: [WithheldKey], trust: DeviceTrust?, store: AppDatabase, notifier: Notifier) async {
        guard trust != .verified, withheld.contains(where: { $0.code == "m.unverified" }) else { return }
        // Notifications switched off (for the account or all of them) show no notice either.
        guard (try? store.notificationsEnabled(for: id)) ?? true, (try? store.setting("notifications")) != "off" else { return }
        let now = Date().timeIntervalSince1970
        guard (try? store.claimUnverifiedNotice(id, now: now, since: now - period)) == true else { return }
        await notifier.notice(id, body: text(id))
    }
}
