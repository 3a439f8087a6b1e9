import Foundation

/// What `doctor` says when heraldd waits for the keyring, or the key file, to give it the token key.
enum KeyringAdvice {
    /// What heraldd waits for and why, from its status ("secret-service, waiting for the
    /// keyring: …", "key-file, waiting for the key file: …"); nil when it has its key.
    static func waiting(secrets: String) -> (awaited: String, reason: String)? {
        for awaited in ["the keyring", "the key file"] {
            if let range = secrets.range(of: "waiting for \(awaited): ") {
                return (awaited, String(secrets[range.upperBound...]))
            }
        }
        return nil
    }

    static func fix(awaited: String) -> String { awaited == "the key file" ? keyFileFix : fix }

    static let keyFileFix = """
        do what the message says (`chmod 600` on a file others could read, the right owner); heraldd reads the \
        file again every 10 seconds and starts the accounts by itself. A lost key file cannot be made again: \
        sign the accounts out (`heraldctl logout --all`) and in again
        """

    static let fix = """
        make a default keyring that is unlocked: in Passwords and Keys (seahorse) create a password keyring and \
        "Set as default", or unlock the login keyring (`gnome-keyring-daemon --unlock` reads its password on \
        standard input); heraldd notices and starts the accounts by itself. Without a keyring, keep the key in \
        a 0600 file instead: add `key_store = "key-file"` under [secrets] in ~/.config/herald/herald.toml and \
        `systemctl --user restart herald` (only while no account is signed in: tokens sealed with the keyring's \
        key do not open with another)
        """
}
