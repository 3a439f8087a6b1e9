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
  notifications: bool
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
  accounts: []Account
)

method ListAccounts() -> (accounts: []Account)

# Password sign-in. The password is used once and never stored.
method AddAccount(homeserver: string, user: string, password: string) -> (account: Account)

# Signs the account out at its homeserver (best effort) and forgets it.
method RemoveAccount(account: string) -> ()

# Turns notifications on or off for one account, or globally when account is absent.
method SetNotifications(enabled: bool, account: ?string) -> ()

error AccountNotFound (account: string)
error AccountAmbiguous (account: string, matches: []string)
error AccountExists (account: string)
error AuthFailed (reason: string)
error ServerUnreachable (homeserver: string, reason: string)
error InvalidHomeserver (homeserver: string, reason: string)
# The daemon failed for a reason of its own; message says what happened
error InternalError (message: string)
"""
