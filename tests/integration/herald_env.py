"""Real parts for Herald's integration tests and demo.

Everything here starts real processes and cleans them up:

* ``Synapse``       a throwaway homeserver on 127.0.0.1 (SQLite, relaxed rate limits) with helpers
                    for the client-server API and shared-secret registration;
* ``DBusDaemon``    a private session bus (``dbus-daemon --nofork``) on a socket in a temp dir;
* ``Recorder``      ``notify_recorder.py``, a recording ``org.freedesktop.Notifications`` server;
* ``Herald``        the built ``heraldd`` with its own XDG directories, and ``heraldctl`` against it;
* ``TcpProxy``      a TCP forwarder that can be cut and restored, to make a homeserver unreachable.

Used by ``conftest.py`` (pytest fixtures) and by ``scripts/demo.py``.  Nothing here depends on pytest.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Optional
from urllib.parse import quote

import requests

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RECORDER_SCRIPT = HERE / "notify_recorder.py"

NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
RECORDER_INTERFACE = "org.herald.Recorder"

# The PIN the harness gives every account it adds (4 digits, not a common one).
DEFAULT_PIN = "4826"


class HarnessError(RuntimeError):
    """Something the harness itself needs did not work (a process did not start, a timeout...)."""


# ---------------------------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    """Progress line on stderr (pytest captures it; the demo shows it)."""
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred: Callable[[], Any], timeout: float, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Polls ``pred`` until it returns something truthy; returns that value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


_libc = None


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the harness dies (PR_SET_PDEATHSIG), and sits in
    its own session so that a terminal's Ctrl-C reaches only the harness, which cleans up in order."""
    global _libc
    os.setsid()
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def spawn(argv: list[str], *, log_path: Path, env: Optional[dict] = None,
          cwd: Optional[Path] = None, stdout=None) -> subprocess.Popen:
    """Starts a helper process: stderr (and stdout unless redirected) go to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logf = open(log_path, "ab", buffering=0)
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=stdout if stdout is not None else logf, stderr=logf,
                                env=env, cwd=cwd, preexec_fn=_die_with_parent, close_fds=True)
    finally:
        logf.close()


def stop_process(proc: Optional[subprocess.Popen], timeout: float = 10.0,
                 sig: int = signal.SIGTERM) -> Optional[int]:
    """Sends ``sig``, waits ``timeout`` s, then SIGKILLs. Returns the exit status (None if not started)."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def make_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


# ---------------------------------------------------------------------------------------------
# Synapse


RATE_LIMIT_OFF = {"per_second": 9999, "burst_count": 9999}
INVITES_OFF = {"per_second": 1000, "burst_count": 1000}


class MatrixError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: Any):
        self.status = status
        self.body = body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        super().__init__(f"{method} {path} -> HTTP {status}: {body}")


class Synapse:
    """A throwaway Synapse on 127.0.0.1:<free port>, data and config in ``workdir``."""

    server_name = "localhost"

    def __init__(self, workdir: Path, python: str = sys.executable, extra_config: Optional[dict] = None):
        self.workdir = Path(workdir)
        self.python = python
        self.extra_config = dict(extra_config or {})  # merged last into homeserver.yaml
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None
        self.config_path = self.workdir / "homeserver.yaml"
        self.log_path = self.workdir / "synapse.out.log"
        self.shared_secret = ""
        self.http = requests.Session()
        self.config_seconds = 0.0   # generating and rewriting homeserver.yaml
        self.startup_seconds = 0.0  # process start until /_matrix/client/versions answers
        self._txn = 0
        self._admin_token = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle

    def generate_config(self) -> None:
        import yaml  # a Synapse dependency, so present in the virtualenv

        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [self.python, "-m", "synapse.app.homeserver", "--server-name", self.server_name,
             "--config-path", str(self.config_path), "--data-directory", str(self.workdir),
             "--generate-config", "--report-stats=no"],
            check=True, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            timeout=120)
        cfg = yaml.safe_load(self.config_path.read_text())
        self.port = free_port()
        cfg["listeners"] = [{
            "port": self.port, "tls": False, "type": "http", "x_forwarded": False,
            "bind_addresses": ["127.0.0.1"],
            "resources": [{"names": ["client"], "compress": False}],
        }]
        cfg["database"] = {"name": "sqlite3", "args": {"database": str(self.workdir / "homeserver.db")}}
        cfg.update({
            "public_baseurl": self.url + "/",
            "report_stats": False,
            "enable_registration": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            "bcrypt_rounds": 4,  # fast password hashing: every test registers and logs in
            # relaxed rate limits (MATRIX.md §11, as Complement does)
            "rc_message": RATE_LIMIT_OFF,
            "rc_registration": RATE_LIMIT_OFF,
            "rc_login": {"address": RATE_LIMIT_OFF, "account": RATE_LIMIT_OFF,
                         "failed_attempts": RATE_LIMIT_OFF},
            "rc_joins": {"local": RATE_LIMIT_OFF, "remote": RATE_LIMIT_OFF},
            "rc_joins_per_room": RATE_LIMIT_OFF,
            "rc_invites": {"per_room": INVITES_OFF, "per_user": INVITES_OFF,
                           "per_issuer": INVITES_OFF},
            "rc_room_creation": RATE_LIMIT_OFF,
            "rc_presence": {"per_user": RATE_LIMIT_OFF},
            "rc_admin_redaction": RATE_LIMIT_OFF,
            "rc_user_directory": RATE_LIMIT_OFF,
            "rc_delayed_event_mgmt": RATE_LIMIT_OFF,
            "rc_3pid_validation": RATE_LIMIT_OFF,
            "rc_registration_token_validity": RATE_LIMIT_OFF,
        })
        cfg.update(self.extra_config)
        self.shared_secret = cfg["registration_shared_secret"]
        self.config_path.write_text(yaml.safe_dump(cfg, sort_keys=False))

    def start(self, timeout: float = 90.0) -> "Synapse":
        if not self.config_path.exists():
            t0 = time.monotonic()
            self.generate_config()
            self.config_seconds = time.monotonic() - t0
        t0 = time.monotonic()
        self.proc = spawn([self.python, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
                          log_path=self.log_path, cwd=self.workdir)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"Synapse exited with status {self.proc.returncode} while starting:\n"
                    + tail(self.log_path) + "\n" + tail(self.workdir / "homeserver.log"))
            try:
                return self.http.get(self.url + "/_matrix/client/versions", timeout=2).ok
            except requests.RequestException:
                return False

        try:
            wait_until(up, timeout, interval=0.1, what=f"Synapse on {self.url}")
        except TimeoutError as e:
            self.stop()
            raise HarnessError(f"{e}\n{tail(self.log_path)}") from None
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)
        self.proc = None

    # -- HTTP

    def api(self, method: str, path: str, token: Optional[str] = None, body: Any = None,
            timeout: float = 30) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.request(method, self.url + path, json=body, headers=headers, timeout=timeout)
        try:
            data = r.json()
        except ValueError:
            data = {"raw": r.text}
        if not r.ok:
            raise MatrixError(method, path, r.status_code, data)
        return data

    # -- users

    def register(self, user: str, password: str, displayname: Optional[str] = None,
                 admin: bool = False) -> tuple[str, str]:
        """Shared-secret registration; returns (user_id, access_token)."""
        nonce = self.api("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), user.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        body = {"nonce": nonce, "username": user, "password": password, "admin": admin,
                "mac": mac.hexdigest()}
        if displayname is not None:
            body["displayname"] = displayname
        reply = self.api("POST", "/_synapse/admin/v1/register", body=body)
        return reply["user_id"], reply["access_token"]

    def login(self, user: str, password: str) -> tuple[str, str]:
        reply = self.api("POST", "/_matrix/client/v3/login", body={
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
            "password": password})
        return reply["user_id"], reply["access_token"]

    def whoami(self, token: str) -> dict:
        return self.api("GET", "/_matrix/client/v3/account/whoami", token)

    def devices(self, token: str) -> list[str]:
        """The device IDs of the user whose token this is."""
        return [d["device_id"] for d in self.api("GET", "/_matrix/client/v3/devices", token)["devices"]]

    def logout_all(self, token: str) -> None:
        """``POST /logout/all``: every session of the token's user ends, this one included."""
        self.api("POST", "/_matrix/client/v3/logout/all", token, {})

    def change_password(self, user: "User", new_password: str, logout_devices: bool = True) -> None:
        """``POST /account/password`` from the user's own session, through user-interactive auth.
        Synapse then signs out every other session of the user (``logout_devices``)."""
        path = "/_matrix/client/v3/account/password"
        body: dict[str, Any] = {"new_password": new_password, "logout_devices": logout_devices}
        session = None
        try:
            self.api("POST", path, user.token, body)  # asks which auth flows are available
        except MatrixError as e:
            if e.status != 401:
                raise
            session = e.body.get("session")
        body["auth"] = {"type": "m.login.password", "session": session, "password": user.password,
                        "identifier": {"type": "m.id.user", "user": user.user_id}}
        self.api("POST", path, user.token, body)
        user.password = new_password

    # -- the admin API (an admin user made on first use, through shared-secret registration)

    def admin_token(self) -> str:
        if not self._admin_token:
            _, self._admin_token = self.register(f"admin_{uuid.uuid4().hex[:6]}", f"pw-{uuid.uuid4().hex}",
                                                 "Herald test admin", admin=True)
        return self._admin_token

    def admin_devices(self, user_id: str) -> list[str]:
        reply = self.api("GET", f"/_synapse/admin/v2/users/{quote(user_id, safe='')}/devices", self.admin_token())
        return [d["device_id"] for d in reply["devices"]]

    def admin_delete_device(self, user_id: str, device_id: str) -> None:
        self.api("DELETE", f"/_synapse/admin/v2/users/{quote(user_id, safe='')}/devices/{quote(device_id, safe='')}",
                 self.admin_token())

    def admin_deactivate(self, user_id: str, erase: bool = False) -> None:
        self.api("POST", f"/_synapse/admin/v1/deactivate/{quote(user_id, safe='')}", self.admin_token(),
                 {"erase": erase})

    def requests_logged(self, path_part: str) -> int:
        """How many requests whose path contains ``path_part`` Synapse's log records (its access
        log lines: ``... Processed request: ... POST /_matrix/client/v3/refresh HTTP/1.1 ...``)."""
        try:
            text = (self.workdir / "homeserver.log").read_text(errors="replace")
        except FileNotFoundError:
            return 0
        return sum(1 for line in text.splitlines() if "Processed request" in line and path_part in line)

    def set_displayname(self, token: str, user_id: str, name: str) -> None:
        self.api("PUT", f"/_matrix/client/v3/profile/{quote(user_id, safe='')}/displayname",
                 token, {"displayname": name})

    # -- rooms

    def create_room(self, token: str, name: Optional[str] = None, invite: Iterable[str] = (),
                    is_direct: bool = False) -> str:
        body: dict[str, Any] = {"preset": "trusted_private_chat" if is_direct else "private_chat",
                                "invite": list(invite), "is_direct": is_direct}
        if name is not None:
            body["name"] = name
        return self.api("POST", "/_matrix/client/v3/createRoom", token, body)["room_id"]

    def join(self, token: str, room: str) -> str:
        return self.api("POST", f"/_matrix/client/v3/join/{quote(room, safe='')}", token, {})["room_id"]

    def send_text_timed(self, token: str, room: str, body: str,
                        msgtype: str = "m.text") -> tuple[str, float]:
        """Sends a message; returns (event_id, time.time() when the HTTP response arrived)."""
        self._txn += 1
        txn = f"h{os.getpid()}-{self._txn}-{uuid.uuid4().hex[:8]}"
        reply = self.api("PUT", f"/_matrix/client/v3/rooms/{quote(room, safe='')}/send/m.room.message/{txn}",
                         token, {"msgtype": msgtype, "body": body})
        return reply["event_id"], time.time()

    def send_text(self, token: str, room: str, body: str, msgtype: str = "m.text") -> str:
        return self.send_text_timed(token, room, body, msgtype)[0]

    def room_name(self, token: str, room: str, name: str) -> None:
        self.api("PUT", f"/_matrix/client/v3/rooms/{quote(room, safe='')}/state/m.room.name/",
                 token, {"name": name})


class User:
    """A registered user: localpart, password, Matrix ID, an access token of its own."""

    def __init__(self, localpart: str, password: str, displayname: str, user_id: str, token: str):
        self.localpart = localpart
        self.password = password
        self.displayname = displayname
        self.user_id = user_id
        self.token = token

    def __repr__(self) -> str:
        return f"User({self.user_id})"


def new_user(synapse: Synapse, base: str, displayname: str) -> User:
    """Registers ``<base>_<random>`` with a random password."""
    localpart = f"{base}_{uuid.uuid4().hex[:6]}"
    password = f"pw-{uuid.uuid4().hex}"
    user_id, token = synapse.register(localpart, password, displayname)
    return User(localpart, password, displayname, user_id, token)


# ---------------------------------------------------------------------------------------------
# D-Bus

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class NotifyListener:
    """The service manager's side of sd_notify: a datagram socket that records every message
    with the time it arrived (time.monotonic())."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, dict[str, str]]] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            self.messages.append((time.monotonic(), fields))

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()

    def times(self, key: str, value: Optional[str] = None) -> list[float]:
        return [t for t, f in list(self.messages) if key in f and (value is None or f[key] == value)]

    def values(self, key: str) -> list[str]:
        return [f[key] for _, f in list(self.messages) if key in f]

    def first(self, key: str, value: Optional[str] = None, after: float = 0.0,
              timeout: float = 10.0) -> Optional[float]:
        """When ``key`` (with ``value``) first arrived at or after ``after``; None if not within ``timeout``."""
        def find():
            hits = [t for t in self.times(key, value) if t >= after]
            return hits[0] if hits else None
        try:
            return wait_until(find, timeout, interval=0.005, what=f"{key}={value or '…'} on NOTIFY_SOCKET")
        except TimeoutError:
            return None

    def wait_for(self, key: str, value: Optional[str] = None, timeout: float = 10.0,
                 after: float = 0.0) -> float:
        t = self.first(key, value, after, timeout)
        if t is None:
            raise AssertionError(f"no {key}={value or '…'} on NOTIFY_SOCKET within {timeout}s; "
                                 f"got: {[f for _, f in self.messages]}")
        return t


class DBusDaemon:
    """A private session bus. Its own config (no service directories), so that nothing is
    auto-activated on it: only what a test starts owns names there."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.proc: Optional[subprocess.Popen] = None
        self.address = ""

    def start(self, timeout: float = 10.0) -> "DBusDaemon":
        make_private_dir(self.workdir)
        sock = self.workdir / "bus"
        conf = self.workdir / "bus.conf"
        conf.write_text(BUS_CONFIG.format(path=sock))
        self.proc = spawn(["dbus-daemon", "--config-file", str(conf), "--nofork", "--print-address"],
                          log_path=self.workdir / "dbus-daemon.log", stdout=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        import select
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        if not line.strip():
            self.stop()
            raise HarnessError("dbus-daemon printed no address:\n" + tail(self.workdir / "dbus-daemon.log"))
        self.address = line.decode().strip().splitlines()[0]
        return self

    def stop(self) -> None:
        stop_process(self.proc, timeout=5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    # -- client helpers (jeepney)

    def connect(self):
        from jeepney.io.blocking import open_dbus_connection
        return open_dbus_connection(bus=self.address)

    def name_has_owner(self, name: str) -> bool:
        from jeepney.bus_messages import message_bus
        with self.connect() as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5)
            return bool(reply.body[0])

    def call(self, dest: str, path: str, interface: str, member: str, signature: str = "",
             body: tuple = (), timeout: float = 5):
        from jeepney import DBusAddress, new_method_call, MessageType
        with self.connect() as conn:
            msg = new_method_call(DBusAddress(path, bus_name=dest, interface=interface), member,
                                  signature or None, body)
            reply = conn.send_and_get_reply(msg, timeout=timeout)
            if reply.header.message_type == MessageType.error:
                raise HarnessError(f"D-Bus error from {dest} {member}: {reply.body}")
            return reply.body


def session_bus_has_notifications(address: str) -> bool:
    """True if something owns org.freedesktop.Notifications on the bus at ``address``."""
    try:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
        with open_dbus_connection(bus=address) as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(NOTIFICATIONS_NAME), timeout=3)
            return bool(reply.body[0])
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------
# the recording notification server


class Recorder:
    """``notify_recorder.py`` on a bus; reads back what it recorded (one JSON object per call)."""

    def __init__(self, bus: DBusDaemon, workdir: Path, capabilities: Optional[list[str]] = None):
        self.bus = bus
        self.workdir = Path(workdir)
        self.capabilities = capabilities
        self.log_path = self.workdir / "notifications.jsonl"
        self.stderr_path = self.workdir / "recorder.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 10.0) -> "Recorder":
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, str(RECORDER_SCRIPT), "--address", self.bus.address,
                "--log", str(self.log_path)]
        if self.capabilities is not None:
            argv += ["--capabilities", ",".join(self.capabilities)]
        self.proc = spawn(argv, log_path=self.stderr_path)

        def owned() -> bool:
            if self.proc.poll() is not None:
                raise HarnessError(f"notify_recorder exited ({self.proc.returncode}):\n"
                                   + tail(self.stderr_path))
            return self.bus.name_has_owner(NOTIFICATIONS_NAME)

        wait_until(owned, timeout, what=f"{NOTIFICATIONS_NAME} to be owned")
        return self

    def stop(self) -> None:
        stop_process(self.proc, timeout=5)
        self.proc = None

    # -- reading the record

    def records(self) -> list[dict]:
        try:
            lines = self.log_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line being written
        return out

    def notifies(self, since: float = 0.0) -> list[dict]:
        return [r for r in self.records() if r["method"] == "Notify" and r["t"] >= since]

    def wait_for_notify(self, pred: Callable[[dict], bool] = lambda r: True, timeout: float = 20.0,
                        since: float = 0.0, what: str = "a Notify call") -> dict:
        def find():
            for r in self.notifies(since):
                if pred(r):
                    return r
            return None
        try:
            return wait_until(find, timeout, interval=0.02, what=what)
        except TimeoutError as e:
            got = "\n".join(json.dumps(r) for r in self.records()) or "(nothing recorded)"
            raise AssertionError(f"{e}; recorded calls:\n{got}") from None

    def wait_for_text(self, text: str, timeout: float = 20.0, since: float = 0.0) -> dict:
        return self.wait_for_notify(lambda r: text in r["body"], timeout, since,
                                    what=f"a Notify whose body contains {text!r}")

    # -- driving it (private interface org.herald.Recorder on the same object)

    def invoke_action(self, notification_id: int, key: str = "default") -> None:
        self.bus.call(NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, RECORDER_INTERFACE, "InvokeAction",
                      "us", (notification_id, key))

    def close(self, notification_id: int, reason: int = 2) -> None:
        """Emits NotificationClosed(id, reason): 1 expired, 2 dismissed by the user, 3 closed by a call."""
        self.bus.call(NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, RECORDER_INTERFACE, "Close",
                      "uu", (notification_id, reason))


# ---------------------------------------------------------------------------------------------
# heraldd / heraldctl


def find_bin_dir() -> Path:
    """Where heraldd/heraldctl are: $HERALD_BIN_DIR (the Makefile sets it from
    ``swift build --show-bin-path``), else ``swift build --show-bin-path``, else .build/debug."""
    env = os.environ.get("HERALD_BIN_DIR")
    if env:
        return Path(env)
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    if os.path.exists(swift):
        try:
            out = subprocess.run([swift, "build", "--show-bin-path"], cwd=REPO, capture_output=True,
                                 text=True, timeout=120)
            if out.returncode == 0 and out.stdout.strip():
                return Path(out.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            pass
    return REPO / ".build" / "debug"


def require_binaries(bin_dir: Path) -> tuple[Path, Path]:
    heraldd, heraldctl = bin_dir / "heraldd", bin_dir / "heraldctl"
    missing = [str(p) for p in (heraldd, heraldctl) if not os.access(p, os.X_OK)]
    if missing:
        raise HarnessError(f"not built: {', '.join(missing)} (run `swift build` or `make build`)")
    return heraldd, heraldctl


class Herald:
    """One heraldd with its own XDG directories under ``root``; ``ctl`` runs heraldctl against it."""

    def __init__(self, bin_dir: Path, root: Path, bus_address: str, extra_env: Optional[dict] = None,
                 extra_args: Iterable[str] = ()):
        self.heraldd, self.heraldctl = require_binaries(Path(bin_dir))
        self.root = Path(root)
        self.extra_args = list(extra_args)  # heraldd's command line after the binary, e.g. --poll-milliseconds
        self.runtime_dir = make_private_dir(self.root / "run")
        self.state_home = make_private_dir(self.root / "state")
        self.config_home = make_private_dir(self.root / "config")
        self.data_home = make_private_dir(self.root / "data")
        self.cache_home = make_private_dir(self.root / "cache")
        self.home = make_private_dir(self.root / "home")
        self.log_path = self.root / "heraldd.log"
        self.bus_address = bus_address
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0
        self.transcript: list[tuple[list[str], int, str, str]] = []  # every heraldctl call
        env = {k: v for k, v in os.environ.items()
               if k not in ("HERALD_SOCKET", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID",
                            "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID",
                            "JOURNAL_STREAM", "DBUS_SESSION_BUS_ADDRESS")}
        env.update({
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_STATE_HOME": str(self.state_home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CACHE_HOME": str(self.cache_home),
            "HOME": str(self.home),
            "DBUS_SESSION_BUS_ADDRESS": bus_address,
        })
        env.update(extra_env or {})
        self.env = env

    @property
    def socket_path(self) -> Path:
        return self.runtime_dir / "herald" / "control.sock"

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle

    def start(self, timeout: float = 30.0) -> "Herald":
        if self.running():
            raise HarnessError("heraldd already running")
        self.starts += 1
        with open(self.log_path, "ab") as f:
            f.write(f"===== heraldd start #{self.starts} at {time.strftime('%H:%M:%S')} =====\n".encode())
        self.proc = spawn([str(self.heraldd), *self.extra_args], log_path=self.log_path, env=self.env)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise HarnessError(f"heraldd exited with status {self.proc.returncode} while starting:\n"
                                   + tail(self.log_path))
            if not self.socket_path.exists():
                return False
            rc, _, _ = self.ctl("status", "--json", record=False, timeout=5)
            return rc == 0
        try:
            wait_until(ready, timeout, interval=0.05, what=f"heraldd to answer on {self.socket_path}")
        except TimeoutError as e:
            raise HarnessError(f"{e}\n--- heraldd log ---\n{tail(self.log_path)}") from None

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM; returns the exit status (raises if it did not exit within ``timeout``)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"heraldd did not exit within {timeout}s of SIGTERM") from None
        self.proc = None
        return rc

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)
        self.proc = None

    def restart(self, timeout: float = 30.0) -> "Herald":
        if self.running():
            self.terminate()
        return self.start(timeout)

    def stop(self) -> Optional[int]:
        """Teardown: SIGTERM then SIGKILL, never raises."""
        rc = stop_process(self.proc, timeout=5)
        self.proc = None
        return rc

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_notification_recorded(self, notification_id: int, timeout: float = 15.0) -> None:
        """Until heraldd's log says it recorded notification ``notification_id`` as on screen
        (Notify returned and the database holds the id): a kill after that cannot lose it."""
        def recorded() -> bool:
            return any(line.endswith(" notified") and f" id={notification_id} " in line
                       for line in self.log_text().splitlines())
        wait_until(recorded, timeout, what=f"heraldd to record notification {notification_id}")

    def handled(self, event_id: str) -> bool:
        """Whether heraldd has dealt with the event: recorded in its ledger and shown, or passed
        over on purpose (notifications off, quiet hours). Read from its database, read-only."""
        rows = self.database_rows("SELECT shown FROM ledger WHERE eventID = ?", event_id)
        return bool(rows and rows[0][0])

    def sync_cursor(self, user_id: str) -> Optional[str]:
        """The account's stored since token: it moves once an answer is committed."""
        rows = self.database_rows("SELECT since FROM account WHERE userID = ?", user_id)
        return rows[0][0] if rows else None

    def database_rows(self, sql: str, *args) -> list[tuple]:
        """A query of heraldd's database, read-only, on a connection of its own (WAL: heraldd
        keeps running and writing)."""
        db = sqlite3.connect(f"file:{self.state_home / 'herald' / 'herald.db'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def wait_handled(self, event_id: str, timeout: float = 30.0) -> None:
        wait_until(lambda: self.handled(event_id), timeout, interval=0.1, what=f"heraldd to handle {event_id}")

    # -- heraldctl

    def ctl(self, *args: str, input: Optional[str] = None, timeout: float = 30,
            record: bool = True, env: Optional[dict] = None) -> tuple[int, str, str]:
        argv = [str(self.heraldctl), *args]
        try:
            p = subprocess.run(argv, input=input if input is not None else "", capture_output=True,
                               text=True, env=env or self.env, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"heraldctl {' '.join(args)} did not finish within {timeout}s") from e
        if record:
            self.transcript.append((list(args), p.returncode, p.stdout, p.stderr))
        return p.returncode, p.stdout, p.stderr

    def ctl_json(self, *args: str, input: Optional[str] = None, timeout: float = 30) -> Any:
        """Runs ``heraldctl ARGS --json``; asserts exit 0 and one JSON document on stdout."""
        rc, out, err = self.ctl(*args, "--json", input=input, timeout=timeout)
        assert rc == 0, f"heraldctl {' '.join(args)} --json exited {rc}\nstdout: {out}\nstderr: {err}"
        try:
            return json.loads(out)
        except ValueError:
            raise AssertionError(f"heraldctl {' '.join(args)} --json printed no JSON document:\n{out!r}")

    # -- accounts

    def add_account(self, homeserver: "str | Synapse", user: "User", pin: str = DEFAULT_PIN) -> dict:
        """``account add HOMESERVER --user NAME --password-stdin --pin-stdin``: standard input holds
        the password line, then the PIN line. ``homeserver`` is a URL or a ``Synapse``."""
        url = homeserver.url if isinstance(homeserver, Synapse) else homeserver
        doc = self.ctl_json("account", "add", url, "--user", user.localpart, "--password-stdin", "--pin-stdin",
                            input=f"{user.password}\n{pin}\n")
        return doc["account"]

    def accounts(self) -> list[dict]:
        return self.ctl_json("account", "list")["accounts"]

    def account(self, account_id: str) -> Optional[dict]:
        for a in self.accounts():
            if a["id"] == account_id:
                return a
        return None

    def wait_account_state(self, account_id: str, state: str = "syncing", timeout: float = 30.0) -> dict:
        last: list[Any] = [None]

        def check():
            last[0] = self.account(account_id)
            return last[0] if last[0] and last[0]["state"] == state else None
        try:
            return wait_until(check, timeout, interval=0.1, what=f"{account_id} to be {state}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; last seen: {last[0]}\n--- heraldd log ---\n{tail(self.log_path)}") from None

    def sign_in(self, homeserver: "str | Synapse", user: "User", timeout: float = 30.0,
                pin: str = DEFAULT_PIN) -> dict:
        """account add, then wait until the first sync is done (state "syncing")."""
        self.add_account(homeserver, user, pin)
        return self.wait_account_state(user.user_id, "syncing", timeout)

    def unlock(self, account: str, pin: str = DEFAULT_PIN) -> dict:
        """``unlock ACCOUNT --pin-stdin``; asserts it worked and returns the account."""
        return self.ctl_json("unlock", account, "--pin-stdin", input=pin + "\n")["account"]

    def ctl_refusal(self, *args: str, input: Optional[str] = None, timeout: float = 30) -> dict:
        """Runs ``heraldctl ARGS --json`` that heraldd must refuse: asserts exit status 1 and returns
        the error document (``error``, ``message`` and the error's parameters)."""
        rc, out, err = self.ctl(*args, "--json", input=input, timeout=timeout)
        assert rc == 1, f"heraldctl {' '.join(args)} --json exited {rc}, not 1\nstdout: {out}\nstderr: {err}"
        try:
            doc = json.loads(out)
        except ValueError:
            raise AssertionError(f"heraldctl {' '.join(args)} --json printed no JSON document:\n{out!r}")
        assert isinstance(doc.get("error"), str), doc
        return doc


# ---------------------------------------------------------------------------------------------
# a TCP forwarder that can be cut


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target_port``. ``cut()`` closes the listener and every open
    connection (the homeserver looks down: connection refused); ``restore()`` listens again on
    the same port."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._listener: Optional[socket.socket] = None
        self._open: list[socket.socket] = []
        self.restore()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _hold(self) -> None:
        """Called before each chunk is read and before it is passed on: a subclass may wait here."""

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                self._hold()
                data = src.recv(65536)
                if not data:
                    break
                self._hold()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._open = self._open, []
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
            except OSError:
                pass
            listener.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self) -> None:
        self.cut()


# ---------------------------------------------------------------------------------------------
# Varlink over a raw socket


class VarlinkConnection:
    """Minimal Varlink client: JSON objects terminated by NUL over a Unix socket."""

    def __init__(self, path: Path, timeout: float = 5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, obj: dict) -> None:
        self.send_raw(json.dumps(obj).encode() + b"\0")

    def receive(self) -> dict:
        while b"\0" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed by the daemon (buffered: {self.buf!r})")
            self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method: str, parameters: Optional[dict] = None) -> dict:
        req: dict[str, Any] = {"method": method}
        if parameters is not None:
            req["parameters"] = parameters
        self.send(req)
        return self.receive()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)
