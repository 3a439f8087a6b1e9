import ArgumentParser
import HeraldControl
import HeraldCrypto

extension AccountCommand {
    struct Verify: ControlCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify Herald's device with the account's recovery key, so that other people's devices send it their keys.",
            discussion: """
                Chat clients stop sending room keys to devices their owner has not verified: an \
                unverified Herald shows "Encrypted message" instead of the text. Verifying uses the \
                recovery key (or passphrase) set up in your chat client (in Element: Settings, \
                Encryption): heraldd opens the account's secret storage with it, takes the \
                self-signing key from it, checks that it is the one the account publishes, signs \
                Herald's device with it and uploads that signature. When the account keeps a key \
                backup, heraldd also keeps the backup's key (sealed, like the tokens) and reads \
                from the backup the keys of messages it cannot read otherwise; it never writes to \
                the backup. If cross-signing is reset elsewhere, the device is unverified again \
                and the backup's key is dropped: verify again.

                The recovery key is 48 characters in groups of 4. On a terminal it is asked for \
                without echo; --recovery-key-stdin reads it from the first line of standard input, \
                --passphrase-stdin reads the passphrase instead. A typo (a character recovery keys \
                never have, one too many or too few, a wrong check digit) is found here, before \
                anything is sent, and is a usage error (exit status 2). The recovery key, the \
                passphrase and the self-signing key are never stored or logged.

                Exit status 1 when heraldd refuses: that recovery key (or passphrase) does not open \
                the account's secret storage, or the account has no cross-signing or no secret \
                storage yet (set them up in your chat client first), or the keys published for the \
                account do not match what secret storage holds.

                Examples:
                  heraldctl account verify alice
                  heraldctl account verify alice --recovery-key-stdin < recovery-key.txt
                  printf '%s\\n' "$PASSPHRASE" | heraldctl account verify alice --passphrase-stdin
                """)

        @Argument(help: ArgumentHelp("The account: full Matrix ID or an unambiguous prefix.", valueName: "account"))
        var account: String

        @Flag(help: "Read the recovery key from the first line of standard input.")
        var recoveryKeyStdin = false

        @Flag(help: "Read the secret-storage passphrase, instead of the recovery key, from the first line of standard input.")
        var passphraseStdin = false

        @OptionGroup var options: GlobalOptions

        func run() throws {
            if recoveryKeyStdin && passphraseStdin { throw UsageError("--recovery-key-stdin and --passphrase-stdin: choose one") }
            let reply: VerifyDeviceReply
            if passphraseStdin {
                let passphrase = try SecretInput.nextLine(flag: "--passphrase-stdin", what: "the passphrase (first line)")
                reply = try options.connect(timeout: .seconds(120)).verifyDevice(account, recoveryKey: nil, passphrase: passphrase)
            } else {
                if !recoveryKeyStdin && !SecretInput.standardInputIsTerminal {
                    throw UsageError("standard input is not a terminal: pass the recovery key with --recovery-key-stdin")
                }
                let key = try SecretInput.recoveryKey(for: account, fromStandardInput: recoveryKeyStdin)
                reply = try options.connect(timeout: .seconds(120)).verifyDevice(account, recoveryKey: key, passphrase: nil)
            }
            if options.json {
                Report.json(["backupVersion": reply.backupVersion])
            } else {
                print("Verified this device for \(account).")
                if let version = reply.backupVersion { print("Missing keys are read from the account's key backup (version \(version)).") }
            }
        }
    }
}

/// After `account add` on a terminal: when the account has cross-signing and Herald's device is
/// not verified yet, offers to verify it at once. The account is added whatever happens here:
/// a refusal is said, with the command to try again, and does not change the exit status.
enum VerifyOffer {
    static let question = "Verify this device now with your recovery key? [Y/n] "

    static func offer(_ account: AccountInfo, options: GlobalOptions) {
        let later = "Verify it later with: heraldctl account verify \(account.id)"
        do {
            let client = try options.connect(timeout: .seconds(60))
            let state = try client.checkVerification(account.id)
            guard state.crossSigning, !state.verified else { return }
            let terminal = try Terminal.open(orExplain: "")
            let answer = String((terminal.answer(question) ?? "n").filter { $0 != " " && $0 != "\t" }).lowercased()
            guard answer.isEmpty || answer == "y" || answer == "yes" else {
                Report.standardError(later)
                return
            }
            let key = try SecretInput.recoveryKey(for: account.id, fromStandardInput: false)
            let reply = try options.connect(timeout: .seconds(120)).verifyDevice(account.id, recoveryKey: key, passphrase: nil)
            print("Verified this device for \(account.id).")
            if let version = reply.backupVersion { print("Missing keys are read from the account's key backup (version \(version)).") }
        } catch {
            Report.standardError("heraldctl: the device is not verified: \((error as? ControlError)?.message ?? "\(error)")")
            Report.standardError(later)
        }
    }
}

extension SecretInput {
    /// The recovery key, its form checked (RecoveryKey.check): standard input's next line, or
    /// asked on the terminal (three tries when it has a typo).
    static func recoveryKey(for account: String, fromStandardInput: Bool) throws -> String {
        if fromStandardInput {
            let key = try nextLine(flag: "--recovery-key-stdin", what: "the recovery key (first line)")
            do { try RecoveryKey.check(Array(key.utf8)) } catch { throw UsageError(error.description) }
            return key
        }
        let terminal = try Terminal.open(orExplain: "pass the recovery key with --recovery-key-stdin")
        var problem = "no recovery key was given"
        for _ in 1...3 {
            guard let key = terminal.ask("Recovery key for \(account): "), !key.isEmpty else { throw UsageError("no recovery key given") }
            do {
                try RecoveryKey.check(Array(key.utf8))
                return key
            } catch {
                problem = error.description
                terminal.say("\(problem.prefix(1).uppercased())\(problem.dropFirst()).\n")
            }
        }
        throw UsageError("no well-formed recovery key after 3 tries (\(problem))")
    }
}
