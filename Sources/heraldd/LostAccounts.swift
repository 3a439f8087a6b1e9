import Foundation
import HeraldDBus
import HeraldSecrets
import Logging

/// At start without a database: a token key left behind means accounts were signed in here and
/// their database is gone (deleted, or the state directory wiped). Their devices are still signed
/// in at their homeservers, and Herald no longer has the tokens to sign them out.
enum LostAccounts {
    /// Where a token key was found, asked before this start makes one; nil when there is none.
    static func keyKeeper(keyFile: String, bus: BusConnection?, logger: Logger) async -> String? {
        if FileManager.default.fileExists(atPath: keyFile) { return "key file \(keyFile)" }
        guard let bus else { return nil }
        do {
            return try await SecretServiceStore(bus: bus, logger: logger).keyExists() ? "Secret Service" : nil
        } catch {
            logger.debug("cannot ask the Secret Service for a token key: \(error)")
            return nil
        }
    }
}
