import Foundation

/// What `doctor` says when heraldd waits for the keyring to give it the token key.
enum KeyringAdvice {
    /// The reason heraldd gives in its status ("secret-service, waiting for the keyring: …"), or
    /// nil when it has its key.
    static func waiting(secrets: String) -> String? {
        guard let range = secrets.range(of: "waiting for the keyring: ") else { return nil }
        return String(secrets[range.upperBound...])
    }

    static let fix = """
        make a default keyring that is unlocked: in Passwords and Keys (seahorse) create a password keyring and \
        "Set as default", or unlock the login keyring (`gnome-keyring-daemon --unlock` reads its password on \
        standard input); heraldd notices and starts the accounts by itself. Without a keyring, keep the key in \
        a 0600 file instead: add `key_store = "key-file"` under [secrets] in ~/.config/herald/herald.toml and \
        `systemctl --user restart herald` (only while no account is signed in: tokens sealed with the keyring's \
        key do not open with another)
        """
}
