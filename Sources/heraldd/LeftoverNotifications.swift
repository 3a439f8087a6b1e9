import HeraldStore

extension Daemon {
    /// Before the sync loops start: what a previous run left on screen follows the accounts'
    /// state now (every one starts locked), so no preview outlives a restart.
    func concealLeftoverNotifications() async {
        for account in (try? store.accounts()) ?? [] where account.state != "signed_out" {
            let id = account.userID
            let enabled = (try? store.notificationsEnabled(for: id)) ?? true
            await notifier.concealLeftovers(id, presentation: presentation(id), enabled: enabled)
        }
    }
}
