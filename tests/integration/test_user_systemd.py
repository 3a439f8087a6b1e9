"""heraldd under a real `systemd --user` (user_manager.py): units installed by scripts/install.sh
into the manager's HOME, socket activation, StatusText, restarts after SIGKILL and after a
wedged sync loop stops the watchdog pings, quick reload and stop, `heraldctl autostart`, and the
keyring: gnome-keyring activatable on the session bus, without a default keyring, then with one
unlocked by `gnome-keyring-daemon --unlock`.

These need root (see user_manager.py); without it they fail, saying why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import herald_env as he
from user_manager import UserManager

KEYRING_PASSWORD = "herald-keyring-password"
WAITING = "waiting_for_the_keyring"


class Session:
    """A user manager with Herald installed in its HOME and a recording notification server on
    its session bus."""

    def __init__(self, manager: UserManager, bin_dir: Path, recorder: he.Recorder):
        self.manager = manager
        self.bin = bin_dir
        self.recorder = recorder

    def ctl(self, *args: str, input: str = "", timeout: float = 60) -> tuple[int, str, str]:
        p = subprocess.run([str(self.bin / "heraldctl"), *args], input=input, capture_output=True, text=True,
                           env=self.manager.env, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ctl_json(self, *args: str, input: str = "") -> dict:
        rc, out, err = self.ctl(*args, "--json", input=input)
        assert rc == 0, f"heraldctl {' '.join(args)} exited {rc}: {err}"
        return json.loads(out)

    def config(self, text: str) -> None:
        path = self.manager.home / ".config" / "herald" / "herald.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def drop_in(self, text: str) -> None:
        d = self.manager.unit_dir / "herald.service.d"
        d.mkdir(parents=True, exist_ok=True)
        (d / "test.conf").write_text(text)
        self.manager.systemctl("daemon-reload")

    def add_account(self, synapse: he.Synapse, user: he.User) -> tuple[int, str, str]:
        return self.ctl("account", "add", synapse.url, "--user", user.localpart, "--password-stdin", "--pin-stdin",
                        input=f"{user.password}\n{he.DEFAULT_PIN}\n")

    def account(self, user: he.User) -> dict:
        return next((a for a in self.ctl_json("account", "list")["accounts"] if a["id"] == user.user_id),
                    {"state": "absent"})

    def account_state(self, user: he.User) -> str:
        return self.account(user)["state"]

    def wait_account_state(self, user: he.User, state: str, timeout: float = 30) -> None:
        seen = []

        def check():
            s = self.account_state(user)
            if not seen or seen[-1] != s:
                seen.append(s)
            return s == state
        try:
            he.wait_until(check, timeout, interval=0.2, what=f"{user.user_id} {state}")
        except TimeoutError:
            raise AssertionError(f"{user.user_id} never {state}; states seen: {seen}\n{self.logs()}") from None

    def logs(self) -> str:
        return "--- manager and unit log ---\n" + he.tail(self.manager.log_path, 80)


@pytest.fixture
def manager(request, tmp_path):
    m = UserManager(tmp_path / "user-manager")
    request.node.herald_logs = getattr(request.node, "herald_logs", []) + [("systemd --user log", m.log_path)]
    try:
        yield m.start()
    finally:
        m.stop()


@pytest.fixture
def session(manager, bin_dir, tmp_path):
    bus = he.DBusDaemon(tmp_path / "session-bus")
    bus.address = manager.env["DBUS_SESSION_BUS_ADDRESS"]
    recorder = he.Recorder(bus, tmp_path / "recorder").start()
    try:
        yield Session(manager, manager.install_herald(bin_dir), recorder)
    finally:
        recorder.stop()


@pytest.fixture
def keyfile_session(session):
    """Herald keeping its token key in the 0600 file, as secrets.key_store chooses."""
    session.config('[secrets]\nkey_store = "key-file"\n')
    return session


def activate(s: Session) -> int:
    """Enables and starts herald.socket; the first heraldctl call starts herald.service. Returns its pid."""
    m = s.manager
    m.systemctl("enable", "--now", "herald.socket")
    assert m.show("herald.socket", "ActiveState") == "active"
    assert m.show("herald.service", "ActiveState") == "inactive", "started before any call"
    status = s.ctl_json("status")
    assert m.show("herald.service", "ActiveState") == "active"
    assert status["pid"] == m.main_pid(), "heraldctl was answered by another process than the service's"
    return status["pid"]


# ---------------------------------------------------------------------------------------------
# the service


def test_the_first_heraldctl_call_activates_the_service_whose_status_text_follows(keyfile_session):
    s, m = keyfile_session, keyfile_session.manager
    activate(s)
    assert m.show("herald.service", "StatusText") == "no accounts"
    assert s.ctl_json("status")["secrets"] == "key-file"
    key = m.home / ".local" / "state" / "herald" / "token.key"
    assert key.exists() and he.mode_of(key) == 0o600


def test_sigkill_is_followed_by_a_restart(keyfile_session):
    s, m = keyfile_session, keyfile_session.manager
    first = activate(s)
    os.kill(first, signal.SIGKILL)
    m.wait_for("herald.service", "NRestarts", lambda v: v == "1", timeout=20, what="one restart")
    m.wait_for("herald.service", "ActiveState", lambda v: v == "active", timeout=20, what="active again")
    again = m.main_pid()
    assert again not in (0, first)
    assert s.ctl_json("status")["pid"] == again


def test_reload_and_stop_are_quick(keyfile_session):
    s, m = keyfile_session, keyfile_session.manager
    pid = activate(s)
    began = time.monotonic()
    m.systemctl("reload", "herald.service")
    took = time.monotonic() - began
    assert took < 5, f"reload took {took:.1f} s"
    assert m.main_pid() == pid, "reload restarted the process"
    assert m.show("herald.service", "ActiveState") == "active"

    began = time.monotonic()
    m.systemctl("stop", "herald.service")
    took = time.monotonic() - began
    assert took < 5, f"stop took {took:.1f} s"
    assert m.show("herald.service", "ActiveState") == "inactive"
    assert m.show("herald.service", "Result") == "success"
    # The socket stays: the next call starts heraldd again.
    assert s.ctl_json("status")["pid"] == m.main_pid() != pid


def test_autostart_on_and_off_show_in_is_enabled(keyfile_session):
    s, m = keyfile_session, keyfile_session.manager
    assert m.systemctl("is-enabled", "herald.service", check=False).stdout.strip() == "disabled"
    rc, out, err = s.ctl("autostart", "on")
    assert rc == 0, err
    assert m.systemctl("is-enabled", "herald.service", check=False).stdout.strip() == "enabled"
    assert m.systemctl("is-enabled", "herald.socket", check=False).stdout.strip() == "enabled"
    rc, out, err = s.ctl("autostart", "off")
    assert rc == 0, err
    assert m.systemctl("is-enabled", "herald.service", check=False).stdout.strip() == "disabled"


def test_a_wedged_sync_loop_stops_the_watchdog_and_systemd_restarts_the_service(keyfile_session, synapse):
    """The sync loop really hangs (HERALD_TEST_WEDGE_SYNC, before each request). With
    WatchdogSec=2 and 1 s long polls the loop counts as wedged once silent for 16 s (a long poll
    plus 15 s, WatchdogService.wedgedAfter; only a /sync in flight is allowed its own limit), the
    pings stop, and systemd kills and restarts heraldd. The account survives the restart."""
    s, m = keyfile_session, keyfile_session.manager
    s.drop_in(f"[Service]\nEnvironment=HERALD_TEST_WEDGE_SYNC=1\nWatchdogSec=2\nRestartSec=5\n"
              f"ExecStart=\nExecStart={s.bin}/heraldd --poll-milliseconds 1000\n")
    first = activate(s)
    carol = he.new_user(synapse, "carol", "Carol Petit")
    rc, _, err = s.add_account(synapse, carol)
    assert rc == 0, err
    m.wait_for("herald.service", "StatusText", lambda v: "wedged: sync " + carol.user_id in v, timeout=60,
               what="StatusText naming the wedged loop")
    # Between the kill and the restart (RestartSec=5 here) the unit says why it ended.
    m.wait_for("herald.service", "Result", lambda v: v == "watchdog", timeout=30, what="a watchdog timeout")
    m.wait_for("herald.service", "NRestarts", lambda v: int(v or 0) >= 1, timeout=30, what="the restart")
    m.wait_for("herald.service", "ActiveState", lambda v: v == "active", timeout=20, what="active again")
    assert m.main_pid() not in (0, first)
    assert s.account_state(carol) not in ("absent", "signed_out"), "the account did not survive the restart"


# ---------------------------------------------------------------------------------------------
# the keyring


def keyring_notifications(s: Session) -> list[dict]:
    return [r for r in s.recorder.notifies() if "keyring" in r["summary"].lower()]


class Keyring:
    """gnome-keyring as the session's Secret Service, activated by the session bus on the first
    call. Its systemd units are masked and the bus's activation file is overridden (in
    XDG_RUNTIME_DIR/dbus-1/services, which comes first) so that exactly one daemon runs, and the
    test chooses how the next one starts: plain (no login keyring yet, or the login keyring
    locked, and no one to answer a prompt: gcr cannot open a display) or with
    `gnome-keyring-daemon --unlock` given the password, which creates or unlocks the login
    keyring, the default one."""

    def __init__(self, s: Session):
        self.s = s
        m = s.manager
        for unit in ("gnome-keyring-daemon.socket", "gnome-keyring-daemon.service"):
            m.systemctl("mask", "--now", unit)
        self.control = m.runtime_dir / "keyring"
        self.services = m.runtime_dir / "dbus-1" / "services"
        self.services.mkdir(parents=True, exist_ok=True)
        self.script = m.root / "keyring.sh"
        self.activate(unlocked=False)

    def activate(self, unlocked: bool) -> None:
        """How the daemon starts from now on (the running one, if any, is left alone)."""
        daemon = f"exec gnome-keyring-daemon --foreground --components=secrets --control-directory='{self.control}'"
        if unlocked:
            daemon = f"printf %s '{KEYRING_PASSWORD}' | {daemon.replace('--foreground', '--foreground --unlock')}"
        self.script.write_text(f"#!/bin/sh\n{daemon}\n")
        self.script.chmod(0o700)
        (self.services / "org.freedesktop.secrets.service").write_text(
            f"[D-BUS Service]\nName=org.freedesktop.secrets\nExec={self.script}\n")
        bus = he.DBusDaemon(self.s.manager.root)
        bus.address = self.s.manager.env["DBUS_SESSION_BUS_ADDRESS"]
        bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")

    def pids(self) -> list[int]:
        found = []
        for pid in self.s.manager.leftover_pids():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip().startswith("gnome-keyring"):
                    found.append(pid)
            except OSError:
                pass
        return found

    def restart(self, unlocked: bool) -> None:
        """Ends the running daemon; the next call on the bus starts one as `activate` says."""
        self.activate(unlocked)
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        he.wait_until(lambda: not any(p in self.pids() for p in pids), 10, what="gnome-keyring to exit")


def test_without_a_default_keyring_heraldd_stays_up_and_says_what_to_do_then_takes_one_that_appears(session, synapse):
    s, m = session, session.manager
    keyring = Keyring(s)
    s.drop_in(f"[Service]\nExecStart=\nExecStart={s.bin}/heraldd --log-level debug\n")  # shows the retries
    pid = activate(s)
    he.wait_until(lambda: "waiting for the keyring" in s.ctl_json("status")["secrets"], 30,
                  what="status saying heraldd waits for the keyring")
    m.wait_for("herald.service", "StatusText", lambda v: v == "no accounts, waiting for the keyring", timeout=10)
    notes = s.recorder.wait_for_notify(lambda r: "keyring" in r["summary"].lower(), timeout=30,
                                       what="the keyring notification")
    assert "key_store" in notes["body"] and "doctor" in notes["body"]

    rc, out, err = s.ctl("doctor")
    assert rc != 0
    assert "waiting for the keyring" in out and "gnome-keyring-daemon --unlock" in out and 'key_store = "key-file"' in out, out

    alice = he.new_user(synapse, "alice", "Alice Martin")
    rc, out, err = s.add_account(synapse, alice)
    assert rc != 0 and "waiting for the keyring" in err, (rc, out, err)

    # Still the same process, never restarted; one notification, however many retries (every 10 s).
    retries = m.log_path.read_text().count("retrying the keyring")
    he.wait_until(lambda: m.log_path.read_text().count("retrying the keyring") > retries, 30, what="a quiet retry")
    assert m.main_pid() == pid and m.show("herald.service", "NRestarts") == "0"
    assert len(keyring_notifications(s)) == 1, keyring_notifications(s)

    # A default keyring appears: heraldd takes it without a restart, and its notice goes.
    keyring.restart(unlocked=True)
    he.wait_until(lambda: s.ctl_json("status")["secrets"] == "secret-service", 30,
                  what="heraldd to take the key from the new keyring")
    assert m.main_pid() == pid
    shown = keyring_notifications(s)[0]["id"]
    he.wait_until(lambda: any(r["method"] == "CloseNotification" and r.get("id") == shown for r in s.recorder.records()),
                  10, what="the keyring notification withdrawn")
    rc, out, err = s.add_account(synapse, alice)
    assert rc == 0, err
    s.wait_account_state(alice, "syncing")


def test_accounts_wait_for_a_locked_keyring_and_resume_when_it_is_unlocked(session, synapse):
    s, m = session, session.manager
    keyring = Keyring(s)
    keyring.activate(unlocked=True)
    activate(s)
    alice = he.new_user(synapse, "alice", "Alice Martin")
    rc, _, err = s.add_account(synapse, alice)
    assert rc == 0, err
    s.wait_account_state(alice, "syncing")

    # Next start: the login keyring is locked and nobody can answer its prompt.
    m.systemctl("stop", "herald.service")
    keyring.restart(unlocked=False)
    pid = int(s.ctl_json("status")["pid"])
    s.wait_account_state(alice, WAITING)
    assert "waiting for the keyring" in s.account(alice)["reason"], s.account(alice)
    m.wait_for("herald.service", "StatusText", lambda v: "waiting for the keyring" in v, timeout=10)
    rc, out, _ = s.ctl("doctor")
    assert rc != 0 and "waiting for the keyring" in out and "nothing is lost" in out, out

    keyring.restart(unlocked=True)
    s.wait_account_state(alice, "syncing")
    assert m.main_pid() == pid, "heraldd was restarted to take the key"
    assert m.show("herald.service", "NRestarts") == "0"
    bob = he.new_user(synapse, "bob", "Dr Bob Durand")
    room = synapse.create_room(bob.token, invite=[alice.user_id], is_direct=True)
    synapse.join(alice.token, room)
    sent = time.time()
    synapse.send_text(bob.token, room, "Le rendez-vous est confirmé")
    # Locked since the restart: the discreet form, naming the account only.
    s.recorder.wait_for_notify(lambda r: "alice" in (r["summary"] + r["body"]), since=sent, timeout=30,
                               what="the new message notified")


# ---------------------------------------------------------------------------------------------
# the harness


def test_a_machine_that_cannot_start_a_user_manager_fails_the_tests_saying_why(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(he.HarnessError, match="needs root"):
        UserManager(tmp_path / "not-root").start()
