"""heraldd as a systemd user service, piece by piece with stand-ins: the units checked by
systemd-analyze, socket activation through systemd-socket-activate, the sd_notify protocol seen
by a NOTIFY_SOCKET listener (READY, STATUS, WATCHDOG, RELOADING, STOPPING), journald's native
protocol on a stand-in journal socket, the autostart fallback, and `make install` /
`make uninstall` into a temporary prefix. The same under a real `systemd --user` is in
test_user_systemd.py."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

import herald_env as he

REPO = he.REPO
# The test installs the debug build the other tests use: a second, optimised build of every
# dependency would cost CI minutes and check nothing the layout tests need.
INSTALL_CONFIGURATION = os.environ.get("HERALD_INSTALL_CONFIGURATION", "debug")


# ---------------------------------------------------------------------------------------------
# helpers


def notified_herald(request, bin_dir, bus, tmp_path, name: str, extra_env: Optional[dict] = None):
    """A Herald (not started) whose environment has a NOTIFY_SOCKET listener of its own."""
    h = he.Herald(bin_dir, tmp_path / name, bus.address, extra_env=extra_env)
    listener = he.NotifyListener(tmp_path / f"{name}-notify.sock")
    h.env["NOTIFY_SOCKET"] = str(listener.path)
    request.addfinalizer(h.stop)
    request.addfinalizer(listener.close)
    logs = getattr(request.node, "herald_logs", None)
    if logs is None:
        logs = request.node.herald_logs = []
    logs.append((f"heraldd log ({name})", h.log_path))
    return h, listener


def spawn_heraldd(h: he.Herald, *args: str, watchdog_usec: Optional[int] = None) -> None:
    """Starts heraldd with ARGS in h's environment. With a watchdog, WATCHDOG_PID must be the
    daemon's own pid, known only once it runs: a shell sets it to its own pid, then execs."""
    argv = [str(h.heraldd), *args]
    env = dict(h.env)
    if watchdog_usec is not None:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
        argv = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', "sh", *argv]
    h.proc = he.spawn(argv, log_path=h.log_path, env=env)


def terminate_and_expect_stopping(h: he.Herald, listener: NotifyListener) -> None:
    """SIGTERM: STOPPING=1, then exit status 0 within 2 s."""
    sent = time.monotonic()
    h.proc.send_signal(signal.SIGTERM)
    try:
        rc = h.proc.wait(5)
    except subprocess.TimeoutExpired:
        raise AssertionError("heraldd did not exit within 5 s of SIGTERM") from None
    took = time.monotonic() - sent
    h.proc = None
    assert rc == 0, f"exit status {rc} after SIGTERM"
    assert took < 2.0, f"exit took {took:.2f} s after SIGTERM"
    # Sent before the exit, so already queued on the socket; the listener's thread may not have
    # read it yet on a busy machine.
    stopping = listener.first("STOPPING", "1", timeout=10)
    assert stopping is not None and stopping >= sent, \
        f"no STOPPING=1 after SIGTERM: {[f for _, f in listener.messages]}"


def install(prefix: Path, target: str = "install", extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    # Nothing from the environment may steer the install elsewhere (a make above this one).
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFIX", "DESTDIR", "USERUNITDIR", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    p = subprocess.run(["make", "--no-print-directory", target, f"PREFIX={prefix}",
                        f"SWIFT_CONFIGURATION={INSTALL_CONFIGURATION}", *extra],
                       cwd=REPO, capture_output=True, text=True, timeout=3600, env=env)
    assert p.returncode == 0, f"make {target} exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def files_under(root: Path) -> list[str]:
    return sorted(str(Path(d, f).relative_to(root)) for d, _, fs in os.walk(root) for f in fs)


# ---------------------------------------------------------------------------------------------
# socket activation, READY, STATUS, STOPPING


def test_socket_activation_starts_heraldd_on_first_call(request, bin_dir, bus, recorder, tmp_path):
    h, listener = notified_herald(request, bin_dir, bus, tmp_path, "activated")
    h.socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # systemd-socket-activate passes on only the variables named with -E.
    argv = ["systemd-socket-activate", "-l", str(h.socket_path)]
    for key in sorted(h.env):
        argv += ["-E", key]
    argv += [str(h.heraldd)]
    h.proc = he.spawn(argv, log_path=h.log_path, env=h.env)
    he.wait_until(h.socket_path.exists, 10, what="systemd-socket-activate to listen")

    time.sleep(0.3)
    assert h.running()
    assert Path(f"/proc/{h.pid}/comm").read_text().strip().startswith("systemd-socket"), "started before any call"
    assert listener.messages == [], "heraldd spoke before it was started"

    # The first call starts it (the activator execs heraldd in place: same pid) and is answered.
    status = h.ctl_json("status")
    assert status["pid"] == h.pid
    assert Path(f"/proc/{h.pid}/comm").read_text().strip() == "heraldd"
    ready = listener.wait_for("READY", "1", timeout=5)
    ready_message = [f for t, f in listener.messages if t == ready][0]
    assert ready_message.get("STATUS") == "no accounts", ready_message
    # Further calls go to the same daemon on the inherited socket.
    assert h.ctl_json("status")["pid"] == h.pid

    terminate_and_expect_stopping(h, listener)
    # The socket is systemd's (here the activator's), so heraldd leaves the file alone.
    assert h.socket_path.exists()


def test_ready_only_once_the_socket_serves(request, bin_dir, bus, recorder, tmp_path):
    h, listener = notified_herald(request, bin_dir, bus, tmp_path, "ready")
    spawn_heraldd(h)
    listener.wait_for("READY", "1", timeout=10)
    # At READY=1 the socket exists and answers at the first try: no retry, no wait.
    assert h.socket_path.is_socket()
    with he.VarlinkConnection(h.socket_path, timeout=2) as conn:
        reply = conn.call("org.herald.Control.Status", {})
    assert "error" not in reply and reply["parameters"]["pid"] == h.pid, reply
    assert listener.values("READY") == ["1"], "READY=1 sent more than once"
    assert listener.values("STATUS")[0] == "no accounts"
    terminate_and_expect_stopping(h, listener)


def test_status_line_follows_the_accounts(request, bin_dir, bus, recorder, tmp_path, synapse, users):
    h, listener = notified_herald(request, bin_dir, bus, tmp_path, "status")
    spawn_heraldd(h)
    h.wait_ready()
    h.sign_in(synapse.url, users.alice)
    he.wait_until(lambda: any(v.startswith("1 account") and v.endswith("syncing") for v in listener.values("STATUS")),
                  10, what="STATUS=1 account, …, syncing")
    assert h.ctl("account", "remove", "alice")[0] == 0
    # Removal has no sync loop to report it; the next refresh does (the watchdog's, or the hook's).
    he.wait_until(lambda: listener.values("STATUS")[-1] == "no accounts", 10, what="STATUS=no accounts")
    terminate_and_expect_stopping(h, listener)


# ---------------------------------------------------------------------------------------------
# watchdog


def test_watchdog_pings_at_half_the_interval_and_stop_when_a_sync_loop_wedges(
        request, bin_dir, bus, recorder, tmp_path, synapse, users):
    """Two daemons side by side with WATCHDOG_USEC=2 s and 1 s long polls, each with a signed-in
    account: the healthy one pings every second throughout; in the other, the test hook hangs
    the sync loop, and its pings stop once the loop has been silent for the wedged limit
    (max(3 × 2 s, 1 s poll + 15 s) = 16 s)."""
    healthy, healthy_notes = notified_herald(request, bin_dir, bus, tmp_path, "healthy")
    wedged, wedged_notes = notified_herald(request, bin_dir, bus, tmp_path, "wedged",
                                           extra_env={"HERALD_TEST_WEDGE_SYNC": "1"})
    for h in (healthy, wedged):
        spawn_heraldd(h, "--poll-milliseconds", "1000", watchdog_usec=2_000_000)
    for h in (healthy, wedged):
        h.wait_ready()

    carol = he.new_user(synapse, "carol", "Carol Petit")
    healthy.sign_in(synapse.url, users.alice)
    wedged.add_account(synapse.url, carol)  # signed in; its sync loop hangs before the first /sync
    hung_at = time.monotonic()
    wedged_limit = 16.0

    time.sleep(wedged_limit + 6)
    end = time.monotonic()

    # Healthy: about every half of WATCHDOG_USEC, without a gap, the whole time.
    pings = healthy_notes.times("WATCHDOG", "1")
    intervals = [b - a for a, b in zip(pings, pings[1:])]
    assert len(pings) >= 20, f"only {len(pings)} pings in {end - pings[0]:.1f} s"
    assert 0.8 <= statistics.median(intervals) <= 1.3, f"median interval {statistics.median(intervals):.2f} s"
    assert max(intervals) < 2.0, f"a gap of {max(intervals):.2f} s: systemd would have killed it"
    assert end - pings[-1] < 2.0
    assert healthy.account(users.alice.user_id)["state"] == "syncing"

    # Wedged: pings went on until the loop had been silent for the limit, then stopped.
    pings = wedged_notes.times("WATCHDOG", "1")
    assert pings and pings[0] < hung_at, "no pings before the loop hung"
    last = pings[-1]
    assert hung_at + wedged_limit - 3 <= last <= hung_at + wedged_limit + 1.5, \
        f"last ping {last - hung_at:.1f} s after the hang, expected about {wedged_limit:.0f} s"
    assert end - last >= 4.0, "pings resumed"
    wedged_status = wedged_notes.values("STATUS")
    assert any("wedged: sync " + carol.user_id in s for s in wedged_status), wedged_status
    assert not any("wedged" in s for s in healthy_notes.values("STATUS"))

    # A hung loop is still cancelled by SIGTERM: clean exit, nothing to kill.
    terminate_and_expect_stopping(wedged, wedged_notes)
    terminate_and_expect_stopping(healthy, healthy_notes)


# ---------------------------------------------------------------------------------------------
# SIGHUP


def test_sighup_reloads_the_configuration(request, bin_dir, bus, recorder, tmp_path):
    h, listener = notified_herald(request, bin_dir, bus, tmp_path, "reload")
    config = h.config_home / "herald" / "herald.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[sync]\npoll_seconds = 30\n")
    spawn_heraldd(h)
    h.wait_ready()
    listener.wait_for("READY", "1")

    config.write_text("[sync]\npoll_seconds = 45\n")
    sent = time.monotonic()
    h.proc.send_signal(signal.SIGHUP)
    listener.wait_for("RELOADING", "1", after=sent)
    listener.wait_for("READY", "1", after=sent)
    he.wait_until(lambda: "sync.poll_seconds 30 → 45" in h.log_text(), 5, what="the change in the log")
    assert h.running()
    h.ctl_json("status")

    config.write_text("[sync]\npoll_seconds = forever\n")
    h.proc.send_signal(signal.SIGHUP)
    he.wait_until(lambda: "configuration not reloaded" in h.log_text(), 5, what="the refusal in the log")
    assert h.running()

    config.write_text("[sync]\npoll_seconds = 45\n")
    h.proc.send_signal(signal.SIGHUP)
    he.wait_until(lambda: "nothing changed" in h.log_text(), 5, what="a reload with no change")
    terminate_and_expect_stopping(h, listener)


# ---------------------------------------------------------------------------------------------
# journald


class JournalSocket:
    """A stand-in for journald's /run/systemd/journal/socket: decodes the native protocol
    (KEY=value lines, or KEY, a little-endian 64-bit length, the bytes, for binary values)."""

    def __init__(self, run_dir: Path):
        d = run_dir / "systemd" / "journal"
        d.mkdir(parents=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(d / "socket"))
        self.sock.settimeout(0.2)
        self.entries: list[dict[str, str]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def decode(data: bytes) -> dict[str, str]:
        fields, i = {}, 0
        while i < len(data):
            nl = data.index(b"\n", i)
            line = data[i:nl]
            if b"=" in line:
                k, v = line.split(b"=", 1)
                fields[k.decode()] = v.decode()
                i = nl + 1
            else:
                size = int.from_bytes(data[nl + 1:nl + 9], "little")
                fields[line.decode()] = data[nl + 9:nl + 9 + size].decode()
                i = nl + 9 + size + 1
        return fields

    def _run(self) -> None:
        while not self._stop:
            try:
                self.entries.append(self.decode(self.sock.recv(1 << 20)))
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


def test_journald_native_protocol_with_structured_fields(request, bin_dir, bus, recorder, tmp_path,
                                                         synapse, users, dm):
    """heraldd runs in a mount namespace where /run is a directory of the test's holding a
    journal socket; its stderr is a file whose device:inode JOURNAL_STREAM names, as systemd
    does. Every line must arrive there as fields, none on stderr."""
    assert shutil.which("unshare"), "unshare (util-linux) is needed"
    run_dir = tmp_path / "fake-run"
    journal = JournalSocket(run_dir)
    request.addfinalizer(journal.close)
    h = he.Herald(bin_dir, tmp_path / "journal", bus.address)
    request.addfinalizer(h.stop)
    request.node.herald_logs = [("heraldd stderr", h.log_path)]

    stderr = open(h.log_path, "ab", buffering=0)
    st = os.fstat(stderr.fileno())
    env = dict(h.env, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    ns = ["unshare", "-m"] if os.getuid() == 0 else ["unshare", "-r", "-m"]
    argv = [*ns, "/bin/sh", "-c", 'mount --bind "$0" /run && exec "$@"', str(run_dir), str(h.heraldd),
            "--log-level", "debug"]
    h.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env,
                              preexec_fn=he._die_with_parent)
    stderr.close()
    h.wait_ready()
    h.sign_in(synapse.url, users.alice)
    secret_text = f"Compte rendu d'IRM {os.getpid()}"
    synapse.send_text(users.bob.token, dm, secret_text)
    recorder.wait_for_text(secret_text)
    assert h.terminate() == 0

    entries = journal.entries
    assert entries, "nothing reached the journal socket"
    for e in entries:
        assert e["SYSLOG_IDENTIFIER"] == "heraldd", e
        assert e["PRIORITY"] in {"2", "3", "4", "5", "6", "7"}, e
        assert e["MESSAGE"], e
        assert all(k.replace("_", "").isalnum() and k.isupper() for k in e), e
    added = [e for e in entries if e["MESSAGE"] == "account added"]
    assert added and added[0]["HERALD_ACCOUNT"] == users.alice.user_id, added
    assert added[0]["PRIORITY"] == "5"  # notice
    notified = [e for e in entries if e["MESSAGE"] == "notified"]
    assert notified and notified[0]["HERALD_ROOM"] == dm and notified[0]["HERALD_ACCOUNT"] == users.alice.user_id, notified
    assert any(e["MESSAGE"] == "heraldd stopped" for e in entries)

    everything = json.dumps(entries)
    assert secret_text not in everything, "message text in the journal"
    assert users.alice.password not in everything and "syt_" not in everything, "a secret in the journal"
    stray = [line for line in h.log_text().splitlines() if line.strip()]
    assert stray == [], f"lines on stderr while it is the journal: {stray[:5]}"


# ---------------------------------------------------------------------------------------------
# autostart


def test_autostart_fallback_round_trip(bin_dir, tmp_path):
    """No user manager: heraldctl makes the links `systemctl --user enable` makes (which systemctl,
    reading the same directories offline, must agree with) and the XDG autostart entry."""
    config = tmp_path / "config"
    units = config / "systemd" / "user"
    units.mkdir(parents=True)
    (units / "herald.service").write_text(
        (REPO / "systemd" / "herald.service").read_text().replace("@bindir@", str(bin_dir)))
    shutil.copy(REPO / "systemd" / "herald.socket", units / "herald.socket")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(config), XDG_RUNTIME_DIR=str(runtime),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_DATA_DIRS=str(tmp_path / "none"),
               XDG_CONFIG_DIRS=str(tmp_path / "none"))
    heraldctl = str(bin_dir / "heraldctl")

    def ctl(*args: str) -> dict:
        p = subprocess.run([heraldctl, "autostart", *args, "--json"], env=env, capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (args, p.stdout, p.stderr)
        return json.loads(p.stdout)

    def systemctl_says() -> str:
        return subprocess.run(["systemctl", "--user", "is-enabled", "herald.service"], env=env,
                              capture_output=True, text=True, timeout=30).stdout.strip()

    wants = units / "default.target.wants" / "herald.service"
    socket_wants = units / "sockets.target.wants" / "herald.socket"
    desktop = config / "autostart" / "herald.desktop"

    off = ctl("status")
    assert off["enabled"] is False and off["mechanisms"] == [] and off["userManager"] is False, off
    assert off["unitFile"] == str(units / "herald.service")
    assert systemctl_says() == "disabled"

    on = ctl("on")
    assert on["enabled"] is True and on["mechanisms"] == ["unit-links", "xdg-autostart"], on
    assert os.readlink(wants) == str(units / "herald.service")
    assert os.readlink(socket_wants) == str(units / "herald.socket"), "Also=herald.socket not followed"
    assert systemctl_says() == "enabled"
    entry = desktop.read_text()
    assert f"Exec={bin_dir / 'heraldd'}\n" in entry, entry
    assert "X-systemd-skip=true" in entry
    assert ctl("status") == on
    assert ctl("on") == on, "on twice is on"

    text = subprocess.run([heraldctl, "autostart", "status"], env=env, capture_output=True, text=True).stdout
    assert "Autostart:" in text and "not running" in text and str(desktop) in text, text

    off = ctl("off")
    assert off["enabled"] is False and off["links"] == [] and off.get("desktopEntry") is None, off
    assert not wants.exists() and not socket_wants.exists() and not desktop.exists()
    assert systemctl_says() == "disabled"
    assert (units / "herald.service").exists(), "off removed the unit itself"
    assert ctl("off") == off


# ---------------------------------------------------------------------------------------------
# make install / make uninstall


def test_make_install_then_uninstall(tmp_path):
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    install(prefix)

    bindir, unitdir, man = prefix / "bin", prefix / "lib" / "systemd" / "user", prefix / "share" / "man"
    for path in (bindir / "heraldd", bindir / "heraldctl", unitdir / "herald.service", unitdir / "herald.socket",
                 prefix / "share/herald/herald.toml", man / "man8/heraldd.8", man / "man1/heraldctl.1",
                 prefix / "share/bash-completion/completions/heraldctl", prefix / "share/zsh/site-functions/_heraldctl",
                 prefix / "share/fish/vendor_completions.d/heraldctl.fish"):
        assert path.is_file() and path.stat().st_size > 0, f"{path} not installed"

    p = subprocess.run([str(bindir / "heraldctl"), "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "USAGE: heraldctl" in p.stdout and "autostart" in p.stdout, p
    assert "heraldctl" in (prefix / "share/bash-completion/completions/heraldctl").read_text()

    # The man pages render, and the installed unit's Documentation= finds them by name.
    for page, name_line in (("man1/heraldctl.1", "heraldctl - control heraldd"),
                            ("man8/heraldd.8", "heraldd - keep Matrix accounts signed in")):
        p = subprocess.run(["man", "-l", str(man / page)], capture_output=True, text=True, timeout=30,
                           env={**{k: v for k, v in os.environ.items() if k != "MAN_KEEP_FORMATTING"}, "MANWIDTH": "200"})
        assert p.returncode == 0, p.stderr
        assert "NAME" in p.stdout and name_line in " ".join(p.stdout.split()), p.stdout[:500]
        for section in ("SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "FILES", "EXAMPLES"):
            assert section in p.stdout, f"{page} has no {section}"

    service = (unitdir / "herald.service").read_text()
    exec_start = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    assert exec_start == [f"ExecStart={bindir / 'heraldd'}"], exec_start
    # Only ExecStart= changes: the comment that explains @bindir@ is left as written.
    source = (REPO / "systemd" / "herald.service").read_text()
    changed = [(a, b) for a, b in zip(source.splitlines(), service.splitlines()) if a != b]
    assert changed == [("ExecStart=@bindir@/heraldd", f"ExecStart={bindir / 'heraldd'}")], changed

    # The desktop entry the notifications name (desktop-entry=herald), hidden from menus, and its icon.
    entry = (prefix / "share/applications/herald.desktop").read_text()
    for line in ("[Desktop Entry]", "Type=Application", "Name=Herald", "NoDisplay=true", "Icon=herald",
                 f"Exec={bindir / 'heraldd'}"):
        assert line in entry.splitlines(), f"{line!r} not in herald.desktop:\n{entry}"
    icon = (prefix / "share/icons/hicolor/scalable/apps/herald.svg").read_text()
    assert icon.lstrip().startswith("<svg") and "</svg>" in icon
    # The installed man page is written from the installed heraldctl's parser.
    assert "\\-\\-no\\-browser" in (man / "man1/heraldctl.1").read_text()

    # systemd-analyze --user needs a runtime directory, even as root.
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    p = subprocess.run(["systemd-analyze", "--user", "verify", str(unitdir / "herald.service"), str(unitdir / "herald.socket")],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, XDG_RUNTIME_DIR=str(runtime), MANPATH=str(man)))
    assert p.returncode == 0 and "herald" not in p.stdout + p.stderr, \
        f"systemd-analyze verify exited {p.returncode}:\n{p.stdout}{p.stderr}"

    # Installing again over it is fine, and uninstall still removes everything.
    install(prefix)
    install(prefix, "uninstall")
    assert files_under(prefix) == [], f"left behind: {files_under(prefix)}"
    assert list(prefix.iterdir()) == [], f"directories left behind: {list(prefix.iterdir())}"
    p = subprocess.run(["make", "--no-print-directory", "uninstall", f"PREFIX={prefix}"], cwd=REPO,
                       capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")})
    assert p.returncode != 0 and "no Herald install" in p.stderr, p


# ---------------------------------------------------------------------------------------------
# doctor


def test_doctor_reports_each_check_and_what_to_fix(signed_in, recorder):
    h = signed_in.herald
    rc, out, err = h.ctl("doctor", "--json")
    doc = json.loads(out)
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["heraldd"]["status"] == "ok" and str(h.pid) in checks["heraldd"]["detail"], checks["heraldd"]
    assert checks["control socket"]["status"] == "ok", checks["control socket"]
    assert checks["session bus"]["status"] == "ok", checks["session bus"]
    assert checks["notifications"]["status"] == "ok" and "herald-recorder" in checks["notifications"]["detail"], \
        checks["notifications"]
    assert "body" in checks["notifications"]["detail"]
    assert checks["secret service"]["status"] in ("ok", "warning")  # the private bus has none
    assert checks["clock"]["status"] in ("ok", "warning") and checks["clock"]["detail"][:2] == "20"
    assert checks[signed_in.alice.user_id]["status"] == "ok" and "syncing" in checks[signed_in.alice.user_id]["detail"]
    assert checks["autostart"]["status"] == "warning" and checks["autostart"]["fix"] == "`heraldctl autostart on`"
    assert all(c["fix"] for c in doc["checks"] if c["status"] != "ok"), "a problem without a fix"
    assert doc["ok"] is True and rc == 0, (rc, out, err)

    rc, text, _ = h.ctl("doctor")
    assert rc == 0 and "[ ok ] heraldd" in text and "→ `heraldctl autostart on`" in text, text

    # The notification server goes away: doctor fails and says what to do.
    recorder.stop()
    rc, out, _ = h.ctl("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert rc == 1 and checks["notifications"]["status"] == "error", (rc, checks["notifications"])
    assert "notification" in checks["notifications"]["fix"]

    # No daemon: exit 3, and the other checks are still made.
    assert h.terminate() == 0
    rc, out, _ = h.ctl("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert rc == 3 and checks["heraldd"]["status"] == "error" and "systemctl --user start herald" in checks["heraldd"]["fix"]
    assert checks["control socket"]["status"] == "error" and "clock" in checks
