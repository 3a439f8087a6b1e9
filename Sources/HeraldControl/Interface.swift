/// The Varlink description of `org.herald.Control`, served by `GetInterfaceDescription`.
/// It is the contract between `heraldd` and every client; `ControlTypes.swift` mirrors it,
/// `ControlError.swift` maps its errors. Keep names stable: scripts and tests rely on them.
public let heraldControlInterfaceName = "org.herald.Control"

public let heraldControlInterfaceDescription = """
# Herald's control interface: accounts, their state and settings.
interface org.herald.Control

# One signed-in account as the daemon sees it.
type Account (
  # Full Matrix user ID, e.g. @alice:example.org
  id: string,
  # Base URL of the homeserver's client API
  homeserver: string,
  deviceId: string,
  # syncing, starting, offline, signed_out
  state: string,
  # When the account entered its state (RFC 3339, UTC)
  since: string,
  # Why it is offline or signed out
  reason: ?string,
  # Whether this account's notifications are shown
  notifications: bool,
  # A locked account's notifications name no sender, room or text
  locked: bool,
  # When message previews are shown: always, unlocked (only while unlocked) or never
  preview: string,
  # Why some encrypted messages cannot be read (a sender withheld its keys lately)
  encryption: ?string,
  # Whether Herald's device is signed by the user's cross-signing: verified or unverified;
  # absent until checked
  verification: ?string
)

# The daemon, the desktop services it uses, and every account.
method Status() -> (
  version: string,
  pid: int,
  # connected or unavailable
  bus: string,
  # Name and version of the notification server, when one runs
  notificationServer: ?string,
  # Where token encryption keys are kept: secret-service, key-file or none
  secrets: string,
  # The global notifications switch
  notifications: bool,
  accounts: []Account,
  # What is wrong with the database (cannot be written, deleted, accounts lost); absent when all is well
  storage: ?string
)

method ListAccounts() -> (accounts: []Account)

# Password sign-in. The password is used once and never stored. pin is the account's new
# 4-digit PIN (PinRejected when it is not 4 digits or too common); the account starts unlocked.
method AddAccount(homeserver: string, user: string, password: string, pin: string) -> (account: Account)

# Signs the account out at its homeserver (best effort) and forgets it.
method RemoveAccount(account: string) -> ()

# Turns notifications on or off for one account, or globally when account is absent.
method SetNotifications(enabled: bool, account: ?string) -> ()

# Locks one account, or every account when account is absent; returns the IDs locked.
method Lock(account: ?string) -> (locked: []string)

# Unlocks an account with its PIN. PinIncorrect, PinLockedOut during a wait,
# AccountSignedOut once too many wrong PINs have signed it out.
method Unlock(account: string, pin: string) -> (account: Account)

# Changes an account's PIN after checking the current one (same errors as Unlock, and
# PinRejected for a new PIN that is not 4 digits or too common).
method SetPin(account: string, currentPin: string, newPin: string) -> ()

# Checks an account's PIN and changes nothing else (the account stays locked if it was): lets a
# client check the current PIN before asking for a new one. Counts as an attempt, as Unlock.
method CheckPin(account: string, pin: string) -> ()

# Signs one account, or every account when account is absent, out at its homeserver and wipes
# every local trace of it. serverLogoutPending lists the accounts whose homeserver could not be
# reached: they are wiped here and the server-side logout is retried later.
method Logout(account: ?string) -> (signedOut: []string, serverLogoutPending: []string)

# When the account's notifications show the sender, room and text: always, unlocked or never.
method SetPreview(account: string, preview: string) -> ()

# An identity provider offered for sign-in through the browser (SSO).
type IdentityProvider (
  id: string,
  # Its name as the homeserver gives it, to show the user
  name: string
)

# Browser sign-in, step 1: discovers the homeserver and reads the login flows it offers.
# session names this sign-in in the next calls; it is forgotten after 10 minutes.
# flows lists every login flow type the server offers (m.login.password, m.login.sso, ...).
method BeginSignIn(homeserver: string) -> (
  session: string,
  homeserver: string,
  password: bool,
  sso: bool,
  providers: []IdentityProvider,
  flows: []string
)

# Step 2: listens once on 127.0.0.1 and returns the address to open in the browser, which
# comes back to that listener. idp chooses an identity provider. SsoNotOffered when the
# server offers no SSO.
method StartSso(session: string, idp: ?string) -> (url: string)

# Step 3: waits (timeoutSeconds, 300 when absent) for the browser to come back, then signs in
# with the login token; returns the user ID. SignInTimedOut when nobody came back in time.
# Closing the connection cancels the wait and the listener.
method FinishSso(session: string, timeoutSeconds: ?int) -> (user: string)

# Step 3 with a password instead of the browser (when BeginSignIn says password): signs in and
# returns the user ID, so that a wrong password is known before the PIN is asked for. AuthFailed
# when the user name or password is wrong; the session stays open for another try.
method PasswordSignIn(session: string, user: string, password: string) -> (user: string)

# Step 4: gives the signed-in account its PIN and starts it (as AddAccount). PinRejected
# leaves the session open for another PIN.
method CompleteSignIn(session: string, pin: string) -> (account: Account)

# Verifies this device with the user's cross-signing: secret storage is opened with the recovery
# key (as the user writes it) or the passphrase (exactly one of them), the self-signing key in it
# signs the device's keys, and the signature is uploaded. Neither is stored or logged. When the
# account has a key backup Herald can read, its key is kept (sealed) and backupVersion names it.
# VerificationFailed says why it cannot be done (wrong key, no cross-signing set up, ...).
method VerifyDevice(account: string, recoveryKey: ?string, passphrase: ?string) -> (backupVersion: ?string)

# Asks the homeserver whether the account has cross-signing set up (then VerifyDevice can work)
# and whether Herald's device is signed by it.
method CheckVerification(account: string) -> (crossSigning: bool, verified: bool)

error AccountNotFound (account: string)
error AccountAmbiguous (account: string, matches: []string)
error AccountExists (account: string)
error AuthFailed (reason: string)
error ServerUnreachable (homeserver: string, reason: string)
error InvalidHomeserver (homeserver: string, reason: string)
# A wrong PIN; waitSeconds > 0 when the next attempt must wait that long
error PinIncorrect (account: string, attemptsLeft: int, waitSeconds: int)
# Too many wrong PINs: no PIN is checked for this account during the next seconds
error PinLockedOut (account: string, seconds: int)
# A new PIN that is not exactly 4 digits, or too easy to guess; reason says which
error PinRejected (reason: string)
# The account was signed out (elsewhere, or after too many wrong PINs) and needs a new sign-in
error AccountSignedOut (account: string, reason: string)
# Nobody came back through the browser within the given time; the listener is closed
error SignInTimedOut (seconds: int)
# No such sign-in session: never begun, finished, or begun more than 10 minutes ago
error SessionNotFound ()
# The homeserver offers no sign-in through the browser; offered lists its login flows
error SsoNotOffered (offered: []string)
# The device could not be verified; reason says why and what to do
error VerificationFailed (reason: string)
# The daemon failed for a reason of its own; message says what happened
error InternalError (message: string)
"""
