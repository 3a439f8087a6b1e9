"""A real `systemd --user` for the tests, on a machine whose PID 1 is not systemd (containers, CI).

The manager runs in a private mount namespace where /run/systemd/system exists: systemd refuses
to start a user manager unless the system "was booted with systemd", and faking that inside
the namespace leaves the machine's own /run alone. It has a HOME and an XDG_RUNTIME_DIR of its
own under the test's directory, and brings up its own session bus (dbus.socket, from
dbus-user-session) at XDG_RUNTIME_DIR/bus, as a desktop login does. journald does not run, so
units log to their own stderr, which the manager collects in manager.log.

It needs root (for the mount namespace). Where a user manager cannot be started, `start()`
raises HarnessError saying why: the tests that need one fail, they never skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

import herald_env as he

SYSTEMD_CANDIDATES = ("/lib/systemd/systemd", "/usr/lib/systemd/systemd")
# In the namespace: a fake /run/systemd (with system/) over the real one, or over a fresh
# tmpfs /run when the machine has no /run/systemd at all.
NAMESPACE_SCRIPT = r'''
set -e
fake=$1; shift
if [ -d /run/systemd ]; then
    mount --bind "$fake" /run/systemd
else
    mount -t tmpfs -o mode=0755 tmpfs /run
    mkdir -p /run/systemd/system
fi
exec "$@"
'''


class UserManager:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.home = self.root / "home"
        self.runtime_dir = self.root / "run"
        self.log_path = self.root / "manager.log"
        self.proc: Optional[subprocess.Popen] = None
        self.env = {
            "HOME": str(self.home),
            "USER": "root",
            "LOGNAME": "root",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.runtime_dir}/bus",
            "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
        }

    @property
    def unit_dir(self) -> Path:
        return self.home / ".config" / "systemd" / "user"

    # -- lifecycle

    @staticmethod
    def why_not() -> Optional[str]:
        """Why this machine cannot start a user manager here, or None."""
        if os.geteuid() != 0:
            return ("a user manager of its own needs root (a private mount namespace): "
                    "run the systemd tests as root, e.g. in the CI container")
        if not any(os.access(p, os.X_OK) for p in SYSTEMD_CANDIDATES):
            return "systemd is not installed (make deps installs it)"
        for tool in ("unshare", "setsid", "mount", "systemctl"):
            if shutil.which(tool) is None:
                return f"{tool} is not installed (make deps installs util-linux, mount and systemd)"
        if not Path("/usr/lib/systemd/user/dbus.socket").exists():
            return "dbus-user-session is not installed: the user manager would have no session bus (make deps)"
        return None

    def start(self, timeout: float = 30.0) -> "UserManager":
        why = self.why_not()
        if why:
            raise he.HarnessError(f"cannot start a systemd user manager: {why}")
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        # No journald: the units' output joins the manager's own, in manager.log.
        (self.unit_dir.parent / "user.conf").write_text(
            "[Manager]\nDefaultStandardOutput=inherit\nDefaultStandardError=inherit\n")
        he.make_private_dir(self.runtime_dir)
        fake = self.root / "fake-run-systemd"
        (fake / "system").mkdir(parents=True, exist_ok=True)
        systemd = next(p for p in SYSTEMD_CANDIDATES if os.access(p, os.X_OK))
        argv = ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", NAMESPACE_SCRIPT, "sh", str(fake),
                "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in self.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"),
                systemd, "--user"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        private = self.runtime_dir / "systemd" / "private"

        def up() -> bool:
            if self.proc.poll() is not None:
                raise he.HarnessError(f"systemd --user exited ({self.proc.returncode}) while starting:\n"
                                      + he.tail(self.log_path))
            return private.is_socket()

        try:
            he.wait_until(up, timeout, interval=0.05, what="systemd --user to listen on its private socket")
            # The session bus: dbus.socket is part of sockets.target, which the manager reaches at start.
            he.wait_until(lambda: (self.runtime_dir / "bus").is_socket(), timeout, what="the user session bus")
        except TimeoutError as e:
            self.stop()
            raise he.HarnessError(f"cannot start a systemd user manager: {e}\n{he.tail(self.log_path)}") from None
        return self

    def stop(self) -> None:
        """Ends the manager (which stops its units), then anything left with its runtime directory."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            self.proc = None
        for pid in self.leftover_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def leftover_pids(self) -> list[int]:
        """Processes whose environment names this manager's runtime directory (its units)."""
        needle = f"XDG_RUNTIME_DIR={self.runtime_dir}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
        return found

    # -- systemctl --user

    def systemctl(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        p = subprocess.run(["systemctl", "--user", "--no-pager", *args], env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"systemctl --user {' '.join(args)} exited {p.returncode}: {p.stderr or p.stdout}")
        return p

    def show(self, unit: str, prop: str) -> str:
        return self.systemctl("show", "-p", prop, "--value", unit).stdout.strip()

    def wait_for(self, unit: str, prop: str, pred, timeout: float = 20.0, what: str = "") -> str:
        """Waits until PRED holds for the unit's property; returns its value."""
        seen = []

        def check():
            value = self.show(unit, prop)
            if not seen or seen[-1] != value:
                seen.append(value)
            return pred(value)

        try:
            he.wait_until(check, timeout, interval=0.1, what=what or f"{unit} {prop}")
        except TimeoutError:
            raise AssertionError(f"{unit} {prop} never satisfied the condition ({what}); values seen: {seen}\n"
                                 f"--- manager log ---\n{he.tail(self.log_path)}") from None
        return seen[-1]

    def main_pid(self, unit: str = "herald.service") -> int:
        return int(self.show(unit, "MainPID") or 0)

    def install_herald(self, bin_dir: Path) -> Path:
        """scripts/install.sh into this HOME (~/.local, units in ~/.config/systemd/user), then a
        daemon-reload. Returns the installed bin directory."""
        prefix = self.home / ".local"
        env = dict(self.env, PREFIX=str(prefix), USERUNITDIR=str(self.unit_dir),
                   PATH=os.environ.get("PATH", self.env["PATH"]))
        p = subprocess.run([str(he.REPO / "scripts" / "install.sh"), "install", str(bin_dir)], env=env,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise AssertionError(f"scripts/install.sh failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        self.systemctl("daemon-reload")
        return prefix / "bin"
