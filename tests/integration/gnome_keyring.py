"""A real Secret Service for the tests: gnome-keyring with an unlocked login keyring."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import herald_env as he


def start_unlocked_keyring(bus: he.DBusDaemon, root: Path) -> subprocess.Popen:
    """gnome-keyring-daemon on ``bus``, its files under ``root``; returns once it owns
    org.freedesktop.secrets. The caller terminates it."""
    daemon = shutil.which("gnome-keyring-daemon")
    assert daemon, "gnome-keyring-daemon is missing: install the Debian package gnome-keyring (make deps)"
    for d in ("home", "data", "config", "run"):
        (root / d).mkdir(parents=True)
    (root / "run").chmod(0o700)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root / "home"), "XDG_DATA_HOME": str(root / "data"),
           "XDG_CONFIG_HOME": str(root / "config"), "XDG_RUNTIME_DIR": str(root / "run"),
           "DBUS_SESSION_BUS_ADDRESS": bus.address}
    # --unlock reads the login keyring's password from standard input and creates it unlocked.
    keyring = subprocess.Popen([daemon, "--foreground", "--unlock", "--components=secrets"], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    keyring.stdin.write(b"herald-test-password")
    keyring.stdin.close()
    def default_collection() -> bool:
        # The login collection is made just after the name is taken: wait for it to be the default.
        if not bus.name_has_owner("org.freedesktop.secrets"):
            return False
        (path,) = bus.call("org.freedesktop.secrets", "/org/freedesktop/secrets",
                           "org.freedesktop.Secret.Service", "ReadAlias", "s", ("default",))
        return path != "/"

    try:
        he.wait_until(default_collection, 15, what="the Secret Service and its login collection")
    except TimeoutError:
        keyring.terminate()
        raise
    return keyring
