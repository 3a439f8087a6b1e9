#!/usr/bin/env python3
"""Herald's performance benchmark (`make bench`): heraldd against a floor, in one run.

Everything runs against one throwaway Synapse, one private D-Bus session bus and one recording
notification server (tests/integration/herald_env.py). Each figure is reported next to the same
figure for the *floor*: a bare Python /sync long-poll loop (requests + jeepney, one account,
timeout=30000, set_presence=offline) that calls Notify for every new m.room.message from someone
else. The floor is this same file run as `bench.py floor ...`, a separate process, so that its RSS
and CPU can be read from /proc like heraldd's.

Phases, in order (the floor runs alongside heraldd, each on its own account):
  startup   exec -> READY=1 on a NOTIFY_SOCKET this script listens on (several starts of each)
  idle-1    RSS/RssAnon after an idle settle; CPU ms and context switches over an idle window
  idle-dispatch  the same window for heraldd restarted with HERALD_DISPATCH_EXECUTOR=1
            (libdispatch's executor): the baseline for what heraldd's own thread pool saves
  latency   N messages to each side, alternating, ~600 ms apart; send -> Notify
  encrypted a matrix-nio client of the sender in an encrypted direct chat with heraldd's account:
            N encrypted and N cleartext messages to heraldd one at a time, in blocks cleartext /
            encrypted / encrypted / cleartext, the floor getting one between two of heraldd's; CPU
            per message of each kind and send -> Notify. Then 1,000 m.room_key over Olm, each a new
            group session: heraldd's memory and database before and after
  burst     200 messages over 10 rooms (both accounts in every room); CPU per message / Notify
  backlog   both stopped, 1,000 messages over 20 rooms, each restarted alone; time to the last Notify
  many      heraldd with 50 accounts (1 + 49 new, each in a direct chat with the sender): idle RSS,
            CPU, context switches, then one message per account as a check that every loop delivers

Usage:  .venv/bin/python bench/bench.py [--quick] [--bin-dir DIR] [--sessions N] [--keep]
Output: a table on stdout, bench/out/results.json, progress on stderr.
Exit status: 0 when every figure was measured (whether or not it is within budget), 1 when
something could not be measured, 2 usage, 130 interrupted.

Units: MB means MiB (VmRSS is in KiB); CPU from /proc/PID/stat utime+stime (clock ticks, 10 ms
granularity at 100 Hz), cross-checked with the ns-precision sum of /proc/PID/task/*/schedstat.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

# Only the standard library above this line: the floor (`bench.py floor`) imports requests and
# jeepney itself, and nothing of the harness, so that its RSS is that of a bare loop.

FLOOR_APP_NAME = "floor"


# =============================================================================================
# the floor: a bare /sync loop calling Notify


def floor_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.py floor")
    ap.add_argument("--homeserver", required=True)
    ap.add_argument("--bus", required=True)
    ap.add_argument("--state", required=True, help="file holding the since token between runs")
    args = ap.parse_args(argv)
    token = os.environ["FLOOR_TOKEN"]
    user_id = os.environ["FLOOR_USER_ID"]

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    import json
    import socket

    import requests
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus = open_dbus_connection(bus=args.bus)
    notifications = DBusAddress("/org/freedesktop/Notifications", bus_name="org.freedesktop.Notifications",
                                interface="org.freedesktop.Notifications")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"

    notify_socket = os.environ.get("NOTIFY_SOCKET")
    if notify_socket:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            addr = "\0" + notify_socket[1:] if notify_socket.startswith("@") else notify_socket
            s.sendto(b"READY=1", addr)

    since = None
    try:
        with open(args.state) as f:
            since = f.read().strip() or None
    except FileNotFoundError:
        pass

    url = args.homeserver.rstrip("/") + "/_matrix/client/v3/sync"
    while True:
        params = {"timeout": "30000" if since else "0", "set_presence": "offline"}
        if since:
            params["since"] = since
        try:
            r = http.get(url, params=params, timeout=(10, 90))
            r.raise_for_status()
            data = r.json()
        except (requests.RequestException, ValueError) as e:
            print(f"sync failed: {e}", file=sys.stderr, flush=True)
            import time
            time.sleep(2)
            continue
        if since:  # the first sync only learns where "now" is
            for room in data.get("rooms", {}).get("join", {}).values():
                for ev in room.get("timeline", {}).get("events", []):
                    if ev.get("type") != "m.room.message" or ev.get("sender") == user_id:
                        continue
                    body = str(ev.get("content", {}).get("body", ""))
                    msg = new_method_call(notifications, "Notify", "susssasa{sv}i",
                                          (FLOOR_APP_NAME, 0, "", ev["sender"], body, [], {}, -1))
                    bus.send_and_get_reply(msg, timeout=10)
        since = data["next_batch"]
        tmp = args.state + ".tmp"
        with open(tmp, "w") as f:
            f.write(since)
        os.replace(tmp, args.state)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "floor":
    sys.exit(floor_main(sys.argv[2:]))


# =============================================================================================
# the benchmark

import copy  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Optional  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))

import requests  # noqa: E402

import herald_env as he  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
BENCH_PIN = "4729"  # the PIN of every benchmark account (not one of the refused common ones)
MiB = 1024.0  # VmRSS & co. are in KiB


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class MeasureError(RuntimeError):
    """A figure could not be measured."""


# ---------------------------------------------------------------------------------------------
# /proc readings


def proc_status(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"):
                out[key] = int(rest.split()[0])
    return out


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after "pid (comm)": state is fields[0]; utime is stat field 14 -> fields[11], stime -> fields[12]
    return int(fields[11]) + int(fields[12])


def read_tasks(pid: int) -> dict[int, tuple[str, int, int, int]]:
    """{tid: (comm, voluntary+nonvoluntary context switches, the nonvoluntary ones, schedstat run-time ns)}
    over /proc/PID/task/*."""
    out: dict[int, tuple[str, int, int, int]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            sw = inv = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n = int(line.split()[1])
                        sw += n
                        inv += n if line.startswith("non") else 0
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns = int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            out[int(tid)] = (comm, sw, inv, run_ns)
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that just exited
    return out


class Meter:
    """CPU time and context switches of one process over a window.

    CPU = utime+stime from /proc/PID/stat (whole process, exited threads included). Context
    switches and schedstat run time exist only per thread, and a thread that exits takes its
    counts with it, so a sampling thread reads /proc/PID/task/* every 0.25 s: a thread's share is
    its last reading minus its first (0 for a thread born during the window)."""

    INTERVAL = 0.25

    def __init__(self, pid: int):
        self.pid = pid
        self.t0 = time.monotonic()
        self.ticks0 = cpu_ticks(pid)
        self.first = read_tasks(pid)
        self.last = dict(self.first)
        self.born: set[int] = set()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"meter-{pid}", daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        now = read_tasks(self.pid)
        with self.lock:
            for tid, v in now.items():
                if tid not in self.first and tid not in self.born:
                    self.born.add(tid)
                self.last[tid] = v

    def _run(self) -> None:
        while not self.done.wait(self.INTERVAL):
            self._sample()

    def stop(self) -> dict:
        self.done.set()
        self.thread.join(2)
        self._sample()
        secs = time.monotonic() - self.t0
        ticks = cpu_ticks(self.pid) - self.ticks0
        live = set(read_tasks(self.pid))
        rows = []
        with self.lock:
            for tid, (comm, sw, inv, ns) in self.last.items():
                _, sw0, inv0, ns0 = self.first.get(tid, (comm, 0, 0, 0))
                rows.append({"tid": tid, "comm": comm, "switches": sw - sw0, "involuntary": inv - inv0,
                             "run_ms": round((ns - ns0) / 1e6, 3), "born": tid in self.born, "exited": tid not in live})
        sw = sum(r["switches"] for r in rows)
        inv = sum(r["involuntary"] for r in rows)
        run_ms = sum(r["run_ms"] for r in rows)
        rows.sort(key=lambda r: -r["switches"])
        return {"seconds": round(secs, 2), "cpu_ms": ticks * 1000.0 / CLK_TCK, "cpu_ms_schedstat": round(run_ms, 3),
                "context_switches": sw, "context_switches_per_min": round(sw * 60.0 / secs, 2) if secs else None,
                "involuntary_switches": inv,
                "threads_start": len(self.first), "threads_end": len(live),
                "threads_born": len(self.born), "threads_exited": sum(1 for r in rows if r["exited"]),
                "switches_by_thread": [r for r in rows if r["switches"]][:8]}


def rollup(pid: int) -> dict[str, int]:
    """/proc/PID/smaps_rollup in kB: Pss (shared pages divided among the processes that map them),
    Private_Clean and Private_Dirty."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Private_Clean", "Private_Dirty"):
                    out[key] = int(rest.split()[0])
    except OSError:
        pass
    return out


def memory(pid: int) -> dict:
    s = proc_status(pid)
    r = rollup(pid)
    return {"VmRSS_MB": round(s["VmRSS"] / MiB, 2), "RssAnon_MB": round(s.get("RssAnon", 0) / MiB, 2),
            "RssFile_MB": round(s.get("RssFile", 0) / MiB, 2), "VmHWM_MB": round(s["VmHWM"] / MiB, 2),
            "Pss_MB": round(r.get("Pss", 0) / MiB, 2),
            "Private_MB": round((r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)) / MiB, 2),
            "threads": s.get("Threads")}


def unit_environment() -> dict[str, str]:
    """The Environment= settings of heraldd's unit (systemd/herald.service): the bench runs
    heraldd as the service runs it."""
    env = {}
    for line in (REPO / "systemd" / "herald.service").read_text().splitlines():
        if line.startswith("Environment="):
            for item in line[len("Environment="):].split():
                key, sep, value = item.partition("=")
                if not sep or not key or '"' in item or "'" in item:
                    raise MeasureError(f"herald.service: an Environment= the bench cannot read: {line}")
                env[key] = value
    return env


def shares(h: dict, f: dict) -> str:
    """The VmRSS rows' note: what of it is the process's own, for Herald and the floor."""
    return (f"RssFile {fmt(h['RssFile_MB'])} vs {fmt(f['RssFile_MB'])} MB (pages mapped from the binary and shared "
            f"libraries); PSS {fmt(h['Pss_MB'])} vs {fmt(f['Pss_MB'])} MB; private (USS) {fmt(h['Private_MB'])} vs "
            f"{fmt(f['Private_MB'])} MB")


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "?"


def busy_processes(exclude: set[int]) -> list[str]:
    """Other processes that used a lot of CPU in the last second (the machine is shared)."""
    def ticks_all() -> dict[int, tuple[int, str]]:
        out = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                raw = Path(f"/proc/{d}/stat").read_text()
                comm = raw[raw.index("(") + 1:raw.rindex(")")]
                f = raw.rsplit(")", 1)[1].split()
                out[int(d)] = (int(f[11]) + int(f[12]), comm)
            except (OSError, ValueError):
                pass
        return out
    a = ticks_all()
    time.sleep(1.0)
    b = ticks_all()
    busy = []
    for pid, (t, comm) in b.items():
        if pid in exclude or pid == os.getpid() or pid not in a:
            continue
        pct = (t - a[pid][0]) * 100.0 / CLK_TCK
        if pct >= 20:
            busy.append(f"{comm}[{pid}] {pct:.0f}%")
    return busy


# ---------------------------------------------------------------------------------------------
# statistics


def rss_budget(accounts: int) -> float:
    """VmRSS budget in MB: 30 with one account, 32 with fifty, in a straight line between."""
    return 30.0 + 2.0 * (accounts - 1) / 49


def rssanon_budget(accounts: int) -> float:
    """RssAnon budget in MB: 5 plus 0.2 per account."""
    return 5.0 + 0.2 * accounts


def pctl(values: list[float], p: float) -> Optional[float]:
    """Nearest-rank percentile."""
    if not values:
        return None
    s = sorted(values)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "min": min(values), "median": statistics.median(values),
            "p90": pctl(values, 90), "max": max(values), "mean": statistics.fmean(values)}


def bootstrap_interval(stat: Callable[..., float], *samples: list[float], rounds: int = 2000) -> tuple[float, float]:
    """90 % bootstrap confidence interval of ``stat(*samples)``, each sample drawn again with
    replacement. Seeded, so a run's report can be made again from its values."""
    rng = random.Random(0)
    values = sorted(stat(*(rng.choices(s, k=len(s)) for s in samples)) for _ in range(rounds))
    return values[int(0.05 * rounds)], values[int(0.95 * rounds) - 1]


def p90_difference_interval(a: list[float], b: list[float]) -> Optional[tuple[float, float]]:
    """The interval of p90(a) − p90(b): how well this many samples pin the difference down."""
    if len(a) < 10 or len(b) < 10:
        return None
    return bootstrap_interval(lambda x, y: pctl(x, 90) - pctl(y, 90), a, b)


def r3(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 3)


# ---------------------------------------------------------------------------------------------
# the parts


def notify_latencies(recs: list[dict], sent: list[dict]) -> dict:
    """send → Notify of messages sent one at a time to one notifier's room (``sent``: text, i
    (-1 for a warm-up), t_start, t_sent; ``recs``: its Notify calls). Message k counts as notified
    by the first Notify that shows it or a later message: a notifier that folds messages (one
    Notify standing for several) tells the user about message k when it shows message k+1 with a
    count."""
    recs = sorted(recs, key=lambda r: r["t"])
    mine = sorted(sent, key=lambda x: x["i"])
    lat_sent, lat_start, lat_parsed, missing, dup, negative, folded, warm = [], [], [], 0, 0, 0, 0, None
    for k, m in enumerate(mine):
        later = [x["text"] for x in mine[k:]]
        cover = next((r for r in recs if any(t in r["body"] for t in later)), None)
        own = [r for r in recs if m["text"] in r["body"]]
        if cover is None:
            missing += 1 if m["i"] >= 0 else 0
            continue
        dup += max(0, len(own) - 1)
        a, b = (cover["t"] - m["t_sent"]) * 1000, (cover["t"] - m["t_start"]) * 1000
        if m["i"] < 0:
            warm = {"from_send_returned_ms": r3(a), "from_send_start_ms": r3(b)}
            continue
        folded += not own
        lat_sent.append(a)
        lat_start.append(b)
        lat_parsed.append((cover["t_parsed"] - m["t_sent"]) * 1000)
        negative += a < 0
    return {"from_send_returned_ms": {k: r3(v) for k, v in summary(lat_sent).items()},
            "values_from_send_returned_ms": [r3(v) for v in lat_sent],
            "from_send_start_ms": {k: r3(v) for k, v in summary(lat_start).items()},
            # the recorder's time once it has parsed the call (pure Python: longer for a bigger call)
            "from_send_returned_to_recorder_parsed_ms": {k: r3(v) for k, v in summary(lat_parsed).items()},
            "missing": missing, "folded_into_a_later_notify": folded, "shown_again": dup,
            "notified_before_send_returned": negative, "notify_calls": len(recs), "warm_up": warm}




class Notifies:
    """Incremental reader of the recorder's log (only new lines are parsed)."""

    def __init__(self, path: Path):
        self.path = path
        self.pos = 0
        self.buf = b""
        self.all: list[dict] = []

    def poll(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return self.all
        self.pos += len(data)
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        for line in lines:
            if line.strip():
                rec = json.loads(line)
                if rec.get("method") == "Notify":
                    self.all.append(rec)
        return self.all

    def of(self, app: str, since: float = 0.0) -> list[dict]:
        return [r for r in self.poll() if r["app_name"] == app and r["t"] >= since]


def wait_quiet(notes: Notifies, app: str, since: float, done: Callable[[list[dict]], bool],
               quiet: float, timeout: float) -> tuple[list[dict], bool]:
    """Waits until ``done(records)`` holds and no new Notify from ``app`` came for ``quiet`` s
    (or ``timeout``). Returns (records since ``since``, whether ``done`` held)."""
    deadline = time.monotonic() + timeout
    last_count, last_change = -1, time.monotonic()
    while True:
        recs = notes.of(app, since)
        now = time.monotonic()
        if len(recs) != last_count:
            last_count, last_change = len(recs), now
        ok = done(recs)
        if ok and now - last_change >= quiet:
            return recs, True
        if now >= deadline:
            return recs, ok
        time.sleep(0.1)


def wait_settled(notes: Notifies, app: str, since: float, pid: int, done: Callable[[list[dict]], bool],
                 quiet: float, timeout: float, after: float = 0.0) -> tuple[list[dict], bool]:
    """Waits until the notifier has finished with what it was sent: either ``done(records)``
    holds, or the notifier has settled: a Notify came at or after ``after``, then nothing for ``quiet`` s,
    neither a new Notify nor a CPU tick. Settling covers notifiers that summarise, so the texts
    ``done`` looks for never appear. Both ways then wait out ``quiet`` s without a new Notify.
    Returns (records since ``since``, whether ``done`` held)."""
    deadline = time.monotonic() + timeout
    last_n, last_ticks, last_change = -1, -1, time.monotonic()
    while True:
        recs = notes.of(app, since)
        try:
            ticks = cpu_ticks(pid)
        except (FileNotFoundError, ProcessLookupError):
            ticks = last_ticks
        now = time.monotonic()
        if len(recs) != last_n:
            last_n, last_ticks, last_change = len(recs), ticks, now
            quiet_since = now
        elif ticks != last_ticks:
            last_ticks, last_change = ticks, now
        ok = done(recs)
        notified_after = any(r["t"] >= after for r in recs)
        if ok and now - quiet_since >= quiet:
            return recs, True
        if notified_after and now - last_change >= quiet:
            return recs, ok
        if now >= deadline:
            return recs, ok
        time.sleep(0.1)


class TimedHerald(he.Herald):
    """heraldd whose start is timed: exec -> READY=1 on the bench's NOTIFY_SOCKET."""

    def start(self, timeout: float = 15.0, listener: Optional[he.NotifyListener] = None) -> dict:
        if self.running():
            raise he.HarnessError("heraldd already running")
        self.starts += 1
        with open(self.log_path, "ab") as f:
            f.write(f"===== heraldd start #{self.starts} at {time.strftime('%H:%M:%S')} =====\n".encode())
        t_wall = time.time()
        t0 = time.monotonic()
        self.proc = he.spawn([str(self.heraldd)], log_path=self.log_path, env=self.env)
        t1 = time.monotonic()
        ready = listener.first("READY", "1", after=t0, timeout=timeout) if listener else None
        self.wait_ready(timeout)
        t2 = time.monotonic()
        return {"t_wall": t_wall, "spawn_ms": (t1 - t0) * 1000,
                "ready_ms": None if ready is None else (ready - t0) * 1000,
                "ready_after_spawn_ms": None if ready is None else (ready - t1) * 1000,
                "answers_ctl_ms": (t2 - t0) * 1000}

    def stop_timed(self) -> dict:
        t0 = time.monotonic()
        rc = self.terminate(timeout=10)
        return {"exit_status": rc, "sigterm_to_exit_ms": (time.monotonic() - t0) * 1000}


class Floor:
    """The floor process (this file, `floor` mode) on one account."""

    def __init__(self, workdir: Path, synapse: he.Synapse, bus: he.DBusDaemon, user: he.User,
                 listener: he.NotifyListener):
        self.workdir = workdir
        self.synapse = synapse
        self.bus = bus
        self.user = user
        self.listener = listener
        self.state = workdir / "since"
        self.log_path = workdir / "floor.log"
        self.proc: Optional[subprocess.Popen] = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 20.0) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "DBUS_SESSION_BUS_ADDRESS")}
        env.update({"FLOOR_TOKEN": self.user.token, "FLOOR_USER_ID": self.user.user_id,
                    "NOTIFY_SOCKET": str(self.listener.path)})
        had_state = self.state.exists()
        t_wall = time.time()
        t0 = time.monotonic()
        self.proc = he.spawn([sys.executable, str(Path(__file__).resolve()), "floor",
                              "--homeserver", self.synapse.url, "--bus", self.bus.address,
                              "--state", str(self.state)], log_path=self.log_path, env=env)
        t1 = time.monotonic()
        ready = self.listener.first("READY", "1", after=t0, timeout=timeout)
        if ready is None:
            raise MeasureError(f"the floor sent no READY=1 within {timeout}s:\n{he.tail(self.log_path)}")
        if not had_state:
            he.wait_until(lambda: self.state.exists() or self.proc.poll() is not None, timeout,
                          what="the floor's first sync")
        if self.proc.poll() is not None:
            raise MeasureError(f"the floor exited ({self.proc.returncode}):\n{he.tail(self.log_path)}")
        return {"t_wall": t_wall, "spawn_ms": (t1 - t0) * 1000, "ready_ms": (ready - t0) * 1000,
                "ready_after_spawn_ms": (ready - t1) * 1000}

    def stop(self) -> Optional[int]:
        rc = he.stop_process(self.proc, timeout=5)
        self.proc = None
        return rc


# ---------------------------------------------------------------------------------------------
# Synapse from several threads: one clone (own HTTP session) per thread

_tls = threading.local()


def synapse_here(base: he.Synapse) -> he.Synapse:
    s = getattr(_tls, "synapse", None)
    if s is None or s.url != base.url:
        s = copy.copy(base)
        s.http = requests.Session()
        _tls.synapse = s
    return s


STOP = threading.Event()  # set on Ctrl-C / SIGTERM: sending threads give up at once


def in_parallel(fn: Callable[[Any], Any], items: list, workers: int = 4) -> list:
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        return list(pool.map(fn, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# the run


class Bench:
    def __init__(self, args: argparse.Namespace, bin_dir: Path, workdir: Path):
        self.args = args
        self.quick = args.quick
        self.bin_dir = bin_dir
        self.workdir = workdir
        q = self.quick
        # 100 a side: with 40 the p90 was the 36th of 40 values, and its 90 % interval (row note)
        # spanned about 1.5 ms, wider than the differences the line judges.
        self.n_latency = args.messages if args.messages else (12 if q else 100)
        # Encrypted messages per kind: 40 are centred on Megolm index 50 of a session rotated every 100.
        self.n_encrypted = min(self.n_latency, 40)
        self.n_accounts = args.accounts if args.accounts else (10 if q else 50)
        self.settle_s = 6.0 if q else 20.0
        self.idle1_s = 20.0 if q else 60.0
        self.idlen_s = 10.0 if q else 60.0
        self.burst_n, self.burst_rooms = (60, 10) if q else (200, 10)
        self.backlog_n, self.backlog_rooms = (200, 20) if q else (1000, 20)
        self.n_sessions = args.sessions if args.sessions else (200 if q else 1000)
        self.startup_cycles = 1 if q else 3
        self.spacing = args.spacing
        self.quiet = 2.0

        self.synapse: Optional[he.Synapse] = None
        self.bus: Optional[he.DBusDaemon] = None
        self.recorder: Optional[he.Recorder] = None
        self.listener: Optional[he.NotifyListener] = None
        self.herald: Optional[TimedHerald] = None
        self.floor: Optional[Floor] = None
        self.notes: Optional[Notifies] = None

        self.details: dict[str, Any] = {}
        self.errors: list[str] = []
        self.observations: list[str] = []
        self.startups_h: list[dict] = []
        self.startups_f: list[dict] = []
        self.stops_h: list[dict] = []
        self.pin_stdin = False
        self.peak: dict[str, float] = {}
        self.preview_always = False
        self.preview_warned = False

    # -- plumbing

    def observe(self, text: str) -> None:
        log("NOTE: " + text)
        self.observations.append(text)

    def tag(self) -> str:
        return uuid.uuid4().hex[:8]

    def send(self, user: he.User, room: str, text: str) -> tuple[float, float]:
        """(time.time() before the request, time.time() when it answered)."""
        if STOP.is_set():
            raise KeyboardInterrupt
        s = synapse_here(self.synapse)
        t0 = time.time()
        _, t1 = s.send_text_timed(user.token, room, text)
        return t0, t1

    def herald_pid(self) -> int:
        if not self.herald or not self.herald.running():
            raise MeasureError("heraldd is not running:\n" + he.tail(self.herald.log_path if self.herald else Path("/")))
        return self.herald.pid

    def floor_pid(self) -> int:
        if not self.floor or not self.floor.proc or self.floor.proc.poll() is not None:
            raise MeasureError("the floor is not running")
        return self.floor.pid

    def start_herald(self) -> dict:
        st = self.herald.start(listener=self.listener)
        if st["ready_ms"] is None:
            raise MeasureError("heraldd sent no READY=1 on NOTIFY_SOCKET:\n" + he.tail(self.herald.log_path))
        self.startups_h.append(st)
        return st

    def start_floor(self) -> dict:
        st = self.floor.start()
        self.startups_f.append(st)
        return st

    # -- signing in through heraldctl (the contract: password line, then PIN line)

    def probe_ctl(self) -> None:
        """Which heraldctl this is: does `account add` take --pin-stdin, is there `preview`?"""
        def helps(*args: str) -> str:
            p = subprocess.run([str(self.herald.heraldctl), *args, "--help"], capture_output=True, text=True,
                               timeout=30)
            return p.stdout + p.stderr if p.returncode == 0 else ""
        self.pin_stdin = "--pin-stdin" in helps("account", "add")
        self.preview_always = "always" in helps("preview")
        self.details["heraldctl"] = {"pin_stdin": self.pin_stdin, "preview_always": self.preview_always}
        log(f"heraldctl: --pin-stdin {'yes' if self.pin_stdin else 'no'}, preview always "
            f"{'yes' if self.preview_always else 'no'}")

    def add_account(self, user: he.User, timeout: float = 60.0) -> tuple[int, str, str]:
        """`heraldctl account add`; then `preview always`, so that notifications keep their text
        (what the bench matches) even while the account is locked, e.g. after a restart."""
        stdin = user.password + "\n"
        args = ["account", "add", self.synapse.url, "--user", user.localpart, "--password-stdin"]
        if self.pin_stdin:
            args.append("--pin-stdin")
            stdin += BENCH_PIN + "\n"
        try:
            rc, out, err = self.herald.ctl(*args, "--json", input=stdin, timeout=timeout)
        except AssertionError as e:  # heraldctl itself did not finish
            return -1, "", str(e).splitlines()[0]
        if rc == 0 and self.preview_always:
            rc2, out2, err2 = self.herald.ctl("preview", "always", user.user_id, "--json", timeout=30)
            if rc2 != 0 and not self.preview_warned:
                self.preview_warned = True
                self.observe(f"`heraldctl preview always` failed ({rc2}): {(err2 or out2).strip()[:150]}")
        return rc, out, err

    # -- setup

    def setup(self) -> None:
        w = self.workdir
        log(f"workdir {w}; bin dir {self.bin_dir}")
        self.synapse = he.Synapse(w / "synapse", python=sys.executable)
        self.synapse.start()
        log(f"Synapse on {self.synapse.url} (config {self.synapse.config_seconds:.1f} s, "
            f"start {self.synapse.startup_seconds:.1f} s)")
        self.bus = he.DBusDaemon(w / "dbus").start()
        self.recorder = he.Recorder(self.bus, w / "recorder").start()
        self.notes = Notifies(self.recorder.log_path)
        self.listener = he.NotifyListener(w / "notify.sock")
        unit_env = unit_environment()
        self.details["herald_unit_environment"] = unit_env
        self.herald = TimedHerald(self.bin_dir, w / "herald", self.bus.address,
                                  extra_env={**unit_env, "NOTIFY_SOCKET": str(self.listener.path)})
        self.probe_ctl()

        s = self.synapse
        self.sender = he.new_user(s, "sender", "Dr Bench Sender")
        self.alice_h = he.new_user(s, "herald", "Herald User")
        self.alice_b = he.new_user(s, "floor", "Floor User")
        t0 = time.monotonic()

        def dm(user: he.User) -> str:
            ss = synapse_here(s)
            room = ss.create_room(self.sender.token, invite=[user.user_id], is_direct=True)
            ss.join(user.token, room)
            return room

        def group(i: int) -> str:
            ss = synapse_here(s)
            room = ss.create_room(self.sender.token, name=f"Bench room {i}",
                                  invite=[self.alice_h.user_id, self.alice_b.user_id])
            ss.join(self.alice_h.token, room)
            ss.join(self.alice_b.token, room)
            return room

        self.room_h, self.room_b = in_parallel(dm, [self.alice_h, self.alice_b])
        n_group = max(self.burst_rooms, self.backlog_rooms)
        self.groups = in_parallel(group, list(range(n_group)))
        log(f"users and {2 + n_group} rooms made in {time.monotonic() - t0:.1f} s")
        self.details["setup"] = {"synapse_config_s": round(s.config_seconds, 2),
                                 "synapse_start_s": round(s.startup_seconds, 2),
                                 "rooms_s": round(time.monotonic() - t0, 2)}

    # -- phases

    def phase_startup(self) -> None:
        log("startup: heraldd with an empty database")
        first = self.start_herald()
        self.details["startup_empty_db_ms"] = r3(first["ready_ms"])
        t0 = time.monotonic()
        rc, out, err = self.add_account(self.alice_h, timeout=60)
        if rc != 0:
            raise MeasureError(f"heraldctl account add exited {rc}: {(err or out).strip()}")
        self.herald.wait_account_state(self.alice_h.user_id, "syncing", timeout=30)
        self.details["sign_in_1_s"] = round(time.monotonic() - t0, 3)
        self.floor = Floor(self.workdir / "floor", self.synapse, self.bus, self.alice_b, self.listener)
        self.start_floor()
        for i in range(self.startup_cycles):
            log(f"startup: restart cycle {i + 1}/{self.startup_cycles} (1 account)")
            time.sleep(1.0)
            self.stops_h.append(self.herald.stop_timed())
            self.start_herald()
            self.floor.stop()
            self.start_floor()
        self.herald.wait_account_state(self.alice_h.user_id, "syncing", timeout=30)

    def phase_idle_one(self) -> None:
        hp, fp = self.herald_pid(), self.floor_pid()
        log(f"idle, 1 account: settling {self.settle_s:.0f} s")
        time.sleep(self.settle_s)
        self.details["idle_1"] = {"herald_memory": memory(hp), "floor_memory": memory(fp)}
        log(f"idle, 1 account: CPU and context switches over {self.idle1_s:.0f} s")
        m_h, m_f = Meter(hp), Meter(fp)
        time.sleep(self.idle1_s)
        self.details["idle_1"].update({"herald_cpu": m_h.stop(), "floor_cpu": m_f.stop()})
        stray = self.notes.of("Herald") + self.notes.of(FLOOR_APP_NAME)
        if stray:
            self.observe(f"{len(stray)} Notify call(s) before any message was sent (first sync must notify nothing)")

    def phase_idle_dispatch(self) -> None:
        """The same idle window with heraldd on libdispatch's global executor
        (HERALD_DISPATCH_EXECUTOR=1): what heraldd's own thread pool saves."""
        self.herald.stop()
        self.herald.env["HERALD_DISPATCH_EXECUTOR"] = "1"
        try:
            self.herald.start(listener=self.listener)  # not counted among the startup figures
            self.herald.wait_account_state(self.alice_h.user_id, "syncing", timeout=30)
            log(f"idle, 1 account, libdispatch executor: settling {self.settle_s:.0f} s, then {self.idle1_s:.0f} s")
            time.sleep(self.settle_s)
            hp = self.herald_pid()
            mem = memory(hp)
            m = Meter(hp)
            time.sleep(self.idle1_s)
            self.details["idle_dispatch"] = {"herald_memory": mem, "herald_cpu": m.stop()}
        finally:
            self.herald.stop()
            del self.herald.env["HERALD_DISPATCH_EXECUTOR"]
            self.start_herald()
            self.herald.wait_account_state(self.alice_h.user_id, "syncing", timeout=30)

    def phase_latency(self) -> None:
        n = self.n_latency
        log(f"latency: {n} messages to each side, alternating, {self.spacing * 1000:.0f} ms apart")
        run = self.tag()
        sent: list[dict] = []
        # one warm-up message each (the first Notify of a room asks the server's capabilities)
        plan = [("Herald", self.room_h, -1), (FLOOR_APP_NAME, self.room_b, -1)]
        # Always the same order, so that each side gets one message every 2 × spacing exactly: an
        # order that flipped every pair gave each side gaps of 3 and 1 spacings, and a message 0.6 s
        # after the previous one meets heraldd's one-update-a-second pace.
        for i in range(n):
            plan += [("Herald", self.room_h, i), (FLOOR_APP_NAME, self.room_b, i)]
        t_begin = time.time()
        for app, room, i in plan:
            text = f"latency {run} {app} {i} {self.tag()}"
            t0, t1 = self.send(self.sender, room, text)
            sent.append({"app": app, "i": i, "text": text, "t_start": t0, "t_sent": t1})
            pause = t0 + self.spacing - time.time()
            if pause > 0:
                time.sleep(pause)

        last_texts = [max((m for m in sent if m["app"] == app), key=lambda m: m["i"])["text"]
                      for app in ("Herald", FLOOR_APP_NAME)]

        def all_covered(_recs) -> bool:
            bodies = [r["body"] for r in self.notes.of("Herald", t_begin) + self.notes.of(FLOOR_APP_NAME, t_begin)]
            return all(any(t in b for b in bodies) for t in last_texts)
        wait_quiet(self.notes, "Herald", t_begin, all_covered, quiet=1.5, timeout=15)

        # A message counts as notified by the first Notify that shows it or a later message of the
        # same room: a notifier that folds messages (one Notify standing for several) tells the user
        # about message k when it shows message k+1 with a count.
        out: dict[str, Any] = {"sent_per_side": n, "spacing_ms": self.spacing * 1000,
                               "rule": "latency of message k = first Notify showing message k or a later one of the room"}
        for app in ("Herald", FLOOR_APP_NAME):
            recs = self.notes.of(app, t_begin)
            out[app] = notify_latencies(recs, [x for x in sent if x["app"] == app])
            missing, folded, dup = out[app]["missing"], out[app]["folded_into_a_later_notify"], out[app]["shown_again"]
            who = "heraldd" if app == "Herald" else "the floor"
            if missing:
                self.observe(f"latency: {who} never notified {missing} of {n} messages (not even folded into a later one)")
            if folded:
                self.observe(f"latency: {who} folded {folded} of {n} messages (sent {self.spacing * 2000:.0f} ms apart "
                             f"per side) into a later Notify instead of showing them")
            if dup:
                self.observe(f"latency: {who} showed the same message again in {dup} extra Notify call(s)")
            if not out[app]["from_send_returned_ms"]["n"]:
                raise MeasureError(f"latency: no Notify from {who} matched any message")
        self.details["latency"] = out

    MEGOLM_MID_INDEX = 50  # the middle of a Megolm session that is rotated every 100 messages
    ENCRYPTED_BLOCK = 5  # messages in each block of the encrypted phase

    @classmethod
    def encrypted_blocks(cls, n: int) -> list[tuple[str, int]]:
        """``n`` cleartext and ``n`` encrypted messages in blocks of at most ENCRYPTED_BLOCK, in
        pairs that alternate cleartext-encrypted, encrypted-cleartext: a drift in the machine's
        load over the phase weighs on both kinds alike, and the pairs stay close in time."""
        out: list[tuple[str, int]] = []
        left = n
        while left > 0:
            c = min(cls.ENCRYPTED_BLOCK, left)
            out += [("cleartext", c), ("encrypted", c)] if len(out) % 4 == 0 else [("encrypted", c), ("cleartext", c)]
            left -= c
        return out

    @staticmethod
    def decryption_cost_by_pair(clear: list[dict], enc: list[dict]) -> dict:
        """Encrypted minus cleartext CPU per message (schedstat), for each pair of neighbouring
        blocks, with the median and a 90 % bootstrap interval of the mean over the pairs."""
        diffs = [e["cpu_ms_schedstat"] / e["messages"] - c["cpu_ms_schedstat"] / c["messages"] for c, e in zip(clear, enc)]
        if not diffs:
            return {"pairs": 0}
        lo, hi = bootstrap_interval(statistics.fmean, diffs)
        return {"pairs": len(diffs), "per_pair_ms": [r3(d) for d in diffs], "mean_ms": r3(statistics.fmean(diffs)),
                "median_ms": r3(statistics.median(diffs)), "interval_90_ms": [r3(lo), r3(hi)]}

    def phase_encrypted(self) -> None:
        """Encrypted against cleartext, one message at a time, then many stored group sessions.

        A matrix-nio client (python-olm) of the sender shares a Megolm session with heraldd's
        device in an encrypted direct chat; the measured encrypted messages are centred on Megolm
        index 50 (see MEGOLM_MID_INDEX). Messages to heraldd go one every 2 × spacing (each
        side's pace in the latency phase) in blocks of ENCRYPTED_BLOCK, cleartext / encrypted /
        encrypted / cleartext and so on (``encrypted_blocks``), so that a drift in the machine's
        load weighs on both kinds alike; the floor gets a cleartext message half-way between two
        of heraldd's. heraldd's CPU is read per block. Then the nio device sends ``n_sessions``
        m.room_key to-device events over its Olm session, each the key of a new outbound group
        session, one at a time, and one more block of encrypted messages measures their cost with
        those sessions stored."""
        from nio import RoomSendResponse
        from nio_sender import NioSender

        hp, fp = self.herald_pid(), self.floor_pid()
        n = self.n_encrypted
        t0 = time.monotonic()
        nio = NioSender(self.synapse.url, self.sender, self.workdir / "nio")
        try:
            room_e = nio.create_room([self.alice_h.user_id], is_direct=True)
            self.synapse.join(self.alice_h.token, room_e)
            device = he.wait_until(lambda: nio.herald_device(self.alice_h.user_id), 30, interval=0.5,
                                   what="heraldd's device keys to be listed")
            run = self.tag()

            def send_encrypted(text: str) -> tuple[float, float]:
                if STOP.is_set():
                    raise KeyboardInterrupt
                t_a = time.time()
                reply = nio._run(nio.client.room_send(room_e, "m.room.message", {"msgtype": "m.text", "body": text},
                                                      ignore_unverified_devices=True))
                if not isinstance(reply, RoomSendResponse):
                    raise MeasureError(f"encrypted: nio could not send: {reply}")
                return t_a, time.time()

            def notified(text: str, timeout: float) -> bool:
                try:
                    he.wait_until(lambda: any(text in r["body"] for r in self.notes.of("Herald", t_begin)), timeout,
                                  interval=0.1, what="a Notify")
                    return True
                except TimeoutError:
                    return False

            # warm-up: the Olm session and the Megolm session are set up, both rooms have notified
            t_begin = time.time()
            warm = {"encrypted": f"encrypted {run} warm-up", "cleartext": f"cleartext {run} warm-up"}
            nio.send(room_e, warm["encrypted"])
            self.send(self.sender, self.room_h, warm["cleartext"])
            for kind, text in warm.items():
                if not notified(text, 30):
                    raise MeasureError(f"encrypted: heraldd never showed the {kind} warm-up message:\n"
                                       + he.tail(self.herald.log_path, 20))
            # A receiver's cost per message grows with the message's index in its Megolm session
            # (the ratchet is advanced from the session's first index). Senders rotate sessions
            # every 100 messages (nio's and Element's default), so the measured messages are
            # centred on index 50: the sender's session skips the indices before them.
            outbound = nio.client.olm.outbound_group_sessions[room_e]
            while outbound.message_index < self.MEGOLM_MID_INDEX - n // 2:
                outbound.encrypt("{}")
            first_index = outbound.message_index
            time.sleep(2.0)  # past heraldd's one-update-a-second limit, which would hold back the first messages
            log(f"encrypted: nio device ready in {time.monotonic() - t0:.1f} s; {n} encrypted (Megolm indices from "
                f"{first_index}) and {n} cleartext messages, one every {self.spacing * 2000:.0f} ms, in blocks "
                f"of {self.ENCRYPTED_BLOCK}, clear/encrypted/encrypted/clear and again")
            blocks = self.encrypted_blocks(n)
            sent: dict[str, list[dict]] = {"cleartext": [], "encrypted": [], FLOOR_APP_NAME: []}
            cpu: dict[str, list[dict]] = {"cleartext": [], "encrypted": [], FLOOR_APP_NAME: []}

            def block(kind: str, count: int, key: str = "") -> None:
                """``count`` messages of ``kind`` to heraldd, each followed by one to the floor; the
                CPU of both over the block, its last Notify and a 1 s tail, under ``key or kind``."""
                m_h, m_f = Meter(hp), Meter(fp)
                last = ""
                for _ in range(count):
                    i = len(sent[kind])
                    text = last = f"{kind} {run} {i} {self.tag()}"
                    t_a, t_b = send_encrypted(text) if kind == "encrypted" else self.send(self.sender, self.room_h, text)
                    sent[kind].append({"text": text, "i": i, "t_start": t_a, "t_sent": t_b})
                    time.sleep(max(0.0, t_a + self.spacing - time.time()))
                    j = len(sent[FLOOR_APP_NAME])
                    text_f = f"floor {run} {j} {self.tag()}"
                    t_c, t_d = self.send(self.sender, self.room_b, text_f)
                    sent[FLOOR_APP_NAME].append({"text": text_f, "i": j, "t_start": t_c, "t_sent": t_d})
                    time.sleep(max(0.0, t_a + 2 * self.spacing - time.time()))
                shown = notified(last, 15)
                time.sleep(1.0)  # the same tail for every block: what the last message set off ends in it
                cpu.setdefault(key or kind, []).append({**m_h.stop(), "messages": count, "last_shown": shown})
                cpu[FLOOR_APP_NAME].append({**m_f.stop(), "messages": count})

            t_begin = time.time()
            for kind, count in blocks:
                block(kind, count)
            out: dict[str, Any] = {"per_kind": n, "spacing_ms": self.spacing * 2000,
                                   "blocks": [f"{k} {c}" for k, c in blocks],
                                   "megolm_indices": [first_index, outbound.message_index - 1]}
            for kind, apps in (("cleartext", "Herald"), ("encrypted", "Herald"), (FLOOR_APP_NAME, FLOOR_APP_NAME)):
                recs = self.notes.of(apps, t_begin)
                lat = notify_latencies(recs, sent[kind])
                msgs = sum(b["messages"] for b in cpu[kind])
                total = {k: sum(b[k] for b in cpu[kind]) for k in ("seconds", "cpu_ms", "cpu_ms_schedstat",
                                                                  "context_switches", "threads_born",
                                                                  "threads_exited")}
                out[kind] = {**lat, "messages": msgs, "cpu": {k: r3(v) for k, v in total.items()},
                             "cpu_ms_per_message": r3(total["cpu_ms"] / msgs),
                             "cpu_ms_per_message_schedstat": r3(total["cpu_ms_schedstat"] / msgs),
                             "blocks": cpu[kind]}
                who = "the floor" if kind == FLOOR_APP_NAME else f"heraldd ({kind})"
                if lat["missing"]:
                    self.observe(f"encrypted phase: {who} never notified {lat['missing']} of {msgs} messages")
                if lat["folded_into_a_later_notify"]:
                    self.observe(f"encrypted phase: {who} folded {lat['folded_into_a_later_notify']} of {msgs} "
                                 "messages into a later Notify")
                if not lat["from_send_returned_ms"]["n"]:
                    raise MeasureError(f"encrypted: no Notify from {who} matched any message")
            out["decryption_cost_by_pair"] = self.decryption_cost_by_pair(cpu["cleartext"], cpu["encrypted"])
            self.details["encrypted"] = out
            self.group_sessions(nio, device, room_e, hp)
            # The same messages once heraldd holds the stored sessions: what a decrypted message
            # costs must not grow with the sessions an account has kept.
            m = min(n, 10)
            log(f"encrypted: {m} more encrypted messages with {self.details['group_sessions']['after']['db']['group_sessions']} "
                "stored group sessions")
            block("encrypted", m, key="encrypted_with_sessions")
            b = cpu["encrypted_with_sessions"][0]
            out["with_stored_sessions"] = {"messages": m, "cpu": {k: b[k] for k in ("seconds", "cpu_ms", "cpu_ms_schedstat")},
                                           "cpu_ms_per_message_schedstat": r3(b["cpu_ms_schedstat"] / m),
                                           "last_shown": b["last_shown"]}
            if not b["last_shown"]:
                self.observe("encrypted phase: heraldd did not show the last message sent with the stored group sessions")
        finally:
            nio.close()

    def group_sessions(self, nio, device, room: str, hp: int) -> None:
        """heraldd's memory and database before and after ``n_sessions`` more stored inbound
        group sessions (m.room_key over Olm, one to-device request each)."""
        import olm
        import sqlite3
        k = self.n_sessions
        db_path = self.herald.state_home / "herald" / "herald.db"

        def stored() -> dict:
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
            try:
                page, pages, free = (db.execute(f"PRAGMA {p}").fetchone()[0]
                                     for p in ("page_size", "page_count", "freelist_count"))
                count = db.execute("SELECT COUNT(*) FROM groupSession WHERE userID = ?",
                                   (self.alice_h.user_id,)).fetchone()[0]
            finally:
                db.close()
            files = sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "*"))
            return {"group_sessions": count, "used_KB": round((pages - free) * page / 1024, 1),
                    "files_KB": round(files / 1024, 1)}

        time.sleep(self.settle_s / 2)
        before = {"memory": memory(hp), "db": stored()}
        log(f"encrypted: sending {k} room keys (m.room_key over Olm), one request each")
        meter = Meter(hp)
        t0 = time.monotonic()
        for _ in range(k):
            if STOP.is_set():
                raise KeyboardInterrupt
            s = olm.OutboundGroupSession()
            nio.send_room_key(device, {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": s.id,
                                       "session_key": s.session_key})
        send_s = time.monotonic() - t0
        target = before["db"]["group_sessions"] + k
        log(f"encrypted: {k} room keys sent in {send_s:.1f} s; waiting for heraldd to store them")
        try:
            he.wait_until(lambda: stored()["group_sessions"] >= target, max(60.0, k * 0.1), interval=0.5,
                          what=f"{target} stored group sessions")
        except TimeoutError:
            raise MeasureError(f"encrypted: heraldd stored {stored()['group_sessions']} of {target} group sessions:\n"
                               + he.tail(self.herald.log_path, 20)) from None
        stored_s = time.monotonic() - t0
        time.sleep(1.0)
        cpu = meter.stop()
        time.sleep(self.settle_s / 2)
        after = {"memory": memory(hp), "db": stored()}
        added = after["db"]["group_sessions"] - before["db"]["group_sessions"]
        per_k = 1000.0 / added

        def growth(part: str, key: str) -> Optional[float]:
            return r3((after[part][key] - before[part][key]) * per_k)
        self.details["group_sessions"] = {
            "room_keys_sent": k, "sessions_added": added, "send_seconds": round(send_s, 2),
            "stored_seconds": round(stored_s, 2), "before": before, "after": after, "cpu": cpu,
            "cpu_ms_per_room_key": r3(cpu["cpu_ms"] / added), "cpu_ms_per_room_key_schedstat": r3(cpu["cpu_ms_schedstat"] / added),
            "per_1000": {"VmRSS_MB": growth("memory", "VmRSS_MB"), "RssAnon_MB": growth("memory", "RssAnon_MB"),
                         "db_used_KB": growth("db", "used_KB"), "db_files_KB": growth("db", "files_KB")}}

    def phase_burst(self) -> None:
        hp, fp = self.herald_pid(), self.floor_pid()
        n, rooms = self.burst_n, self.groups[:self.burst_rooms]
        log(f"burst: {n} messages over {len(rooms)} rooms, as fast as Synapse takes them")
        run = self.tag()
        texts = [f"burst {run} #{i}#" for i in range(n)]
        last_text = {rooms[i % len(rooms)]: texts[i] for i in range(n)}
        m_h, m_f = Meter(hp), Meter(fp)
        t_begin = time.time()
        t_last = t_begin
        for i, text in enumerate(texts):
            t_last, _ = self.send(self.sender, rooms[i % len(rooms)], text)
        send_s = time.time() - t_begin

        def herald_done(recs):
            return all(any(t in r["body"] for r in recs) for t in last_text.values())

        def floor_done(recs):
            return sum(1 for r in recs if r["body"].startswith(f"burst {run} ")) >= n
        recs_h, ok_h = wait_settled(self.notes, "Herald", t_begin, hp, herald_done, self.quiet, 60, after=t_last)
        recs_f, ok_f = wait_settled(self.notes, FLOOR_APP_NAME, t_begin, fp, floor_done, self.quiet, 30, after=t_last)
        d_h, d_f = m_h.stop(), m_f.stop()
        # Herald's final count per room (its body ends "N new messages")
        counts = {}
        for r in recs_h:
            for room, t in last_text.items():
                if t in r["body"]:
                    counts[room] = r["body"].rsplit("\n", 1)[-1]
        floor_texts = [r["body"] for r in recs_f if r["body"].startswith(f"burst {run} ")]
        out = {"messages": n, "rooms": len(rooms), "send_seconds": round(send_s, 2),
               "Herald": {**d_h, "notify_calls": len(recs_h), "all_rooms_final": ok_h,
                          "final_count_lines": sorted(set(counts.values()))},
               FLOOR_APP_NAME: {**d_f, "notify_calls": len(recs_f),
                                "distinct_messages": len(set(floor_texts)), "complete": ok_f}}
        for side, d, calls in (("Herald", d_h, len(recs_h)), (FLOOR_APP_NAME, d_f, len(recs_f))):
            out[side]["cpu_ms_per_message"] = r3(d["cpu_ms"] / n)
            out[side]["cpu_ms_per_message_schedstat"] = r3(d["cpu_ms_schedstat"] / n)
            out[side]["cpu_ms_per_notify"] = r3(d["cpu_ms"] / calls) if calls else None
            out[side]["cpu_ms_per_notify_schedstat"] = r3(d["cpu_ms_schedstat"] / calls) if calls else None
        out["Herald"]["last_bodies"] = [r["body"][:120] for r in recs_h[-3:]]
        if not ok_h:
            self.observe(f"burst: {len(rooms) - len(counts)} of {len(rooms)} rooms never had their last message shown "
                         f"({len(recs_h)} Notify calls for {n} messages; the last said {recs_h[-1]['body'][:80]!r})"
                         if recs_h else "burst: no Notify from heraldd")
        if not ok_f:
            self.observe(f"burst: the floor showed {len(set(floor_texts))} of {n} messages")
        if not recs_h:
            raise MeasureError("burst: no Notify from heraldd")
        self.details["burst"] = out

    def phase_backlog(self) -> None:
        n, rooms = self.backlog_n, self.groups[:self.backlog_rooms]
        log(f"backlog: stopping heraldd and the floor, sending {n} messages over {len(rooms)} rooms")
        self.stops_h.append(self.herald.stop_timed())
        self.floor.stop()
        run = self.tag()
        texts = [f"backlog {run} #{i}#" for i in range(n)]
        by_room: dict[str, list[str]] = {r: [] for r in rooms}
        for i, t in enumerate(texts):
            by_room[rooms[i % len(rooms)]].append(t)
        t0 = time.monotonic()

        def send_room(room: str) -> None:  # one thread per room keeps each room's order
            for t in by_room[room]:
                self.send(self.sender, room, t)
        in_parallel(send_room, rooms, workers=4)
        send_s = time.monotonic() - t0
        log(f"backlog: {n} messages sent in {send_s:.1f} s; starting heraldd alone")
        time.sleep(1.0)
        last = {r: ts[-1] for r, ts in by_room.items()}
        out: dict[str, Any] = {"messages": n, "rooms": len(rooms), "send_seconds": round(send_s, 2)}

        st = self.start_herald()
        hp = self.herald_pid()
        meter = Meter(hp)

        def herald_done(recs):
            return all(any(t in r["body"] for r in recs) for t in last.values())
        recs, ok = wait_settled(self.notes, "Herald", st["t_wall"], hp, herald_done, self.quiet, 60)
        cpu = meter.stop()
        backlog_recs = [r for r in recs if f"backlog {run} " in r["body"]]
        rooms_done = sum(1 for t in last.values() if any(t in r["body"] for r in recs))
        out["Herald"] = {"seconds": r3(max(r["t"] for r in recs) - st["t_wall"]) if recs else None,
                         "first_notify_s": r3(min(r["t"] for r in recs) - st["t_wall"]) if recs else None,
                         "notify_calls": len(recs), "backlog_notify_calls": len(backlog_recs),
                         "rooms_showing_last_message": rooms_done, "cpu": cpu,
                         "count_lines": sorted({r["body"].rsplit("\n", 1)[-1] for r in backlog_recs}),
                         "last_bodies": [r["body"][:120] for r in recs[-3:]]}
        if not ok and recs:
            self.observe(f"backlog: heraldd showed the last message of {rooms_done}/{len(rooms)} rooms, in "
                         f"{len(recs)} Notify call(s); its last said {recs[-1]['body'][:80]!r}")
        if not recs:
            raise MeasureError("backlog: no Notify from heraldd after the restart")

        log("backlog: starting the floor alone")
        stf = self.start_floor()
        fp = self.floor_pid()
        meter_f = Meter(fp)

        def floor_done(recs):
            return all(any(t in r["body"] for r in recs) for t in last.values())
        recs_f, ok_f = wait_settled(self.notes, FLOOR_APP_NAME, stf["t_wall"], fp, floor_done, self.quiet, 60)
        out[FLOOR_APP_NAME] = {"seconds": r3(max(r["t"] for r in recs_f) - stf["t_wall"]) if recs_f else None,
                               "first_notify_s": r3(min(r["t"] for r in recs_f) - stf["t_wall"]) if recs_f else None,
                               "notify_calls": len(recs_f), "cpu": meter_f.stop(),
                               "rooms_showing_last_message": sum(1 for t in last.values()
                                                                 if any(t in r["body"] for r in recs_f))}
        self.details["backlog"] = out

    def phase_many(self) -> None:
        extra = self.n_accounts - 1
        log(f"many: registering {extra} more users, each in a direct chat with the sender")
        t0 = time.monotonic()

        def make(i: int) -> tuple[he.User, str]:
            ss = synapse_here(self.synapse)
            u = he.new_user(ss, f"acct{i:02d}", f"Account {i}")
            room = ss.create_room(self.sender.token, invite=[u.user_id], is_direct=True)
            ss.join(u.token, room)
            return u, room
        made = in_parallel(make, list(range(extra)))
        log(f"many: made in {time.monotonic() - t0:.1f} s; signing them in through heraldctl")
        t0 = time.monotonic()
        deadline = t0 + (30 if self.quick else 90)
        sign_ins, failures, signed = [], [], [self.alice_h.user_id]
        given_up = 0
        for u, room in made:
            ok = False
            for attempt in range(2):
                if time.monotonic() >= deadline:
                    break
                t1 = time.monotonic()
                left = max(10.0, deadline - time.monotonic())
                rc, out, err = self.add_account(u, timeout=min(90.0, left + 5))
                took = time.monotonic() - t1
                if rc == 0:
                    sign_ins.append(took)
                    signed.append(u.user_id)
                    ok = True
                    break
                failures.append({"user": u.user_id, "attempt": attempt + 1, "seconds": r3(took),
                                 "accounts_already_signed_in": len(signed),
                                 "error": (err or out).strip()[:200]})
                log(f"many: account add {u.localpart} failed after {took:.1f} s: {(err or out).strip()[:120]}")
            given_up = 0 if ok else given_up + 1
            if time.monotonic() >= deadline or given_up >= 2:
                break
        # what the daemon holds (an add whose heraldctl gave up may still have gone through)
        ids = {a["id"] for a in self.herald.accounts()}

        def syncing() -> int:
            return sum(1 for a in self.herald.accounts() if a["id"] in ids and a["state"] == "syncing")
        try:
            he.wait_until(lambda: syncing() == len(ids), 15 if self.quick else 30, interval=0.5,
                          what=f"{len(ids)} accounts to be syncing")
        except TimeoutError:
            pass
        n_syncing = syncing()
        total = time.monotonic() - t0
        log(f"many: {len(ids)} of {self.n_accounts} accounts signed in, {n_syncing} syncing, after {total:.1f} s")
        if failures:
            f0 = failures[0]
            self.observe(f"many: {len(failures)} `heraldctl account add` call(s) failed, the first with "
                         f"{f0['accounts_already_signed_in']} accounts signed in, after {f0['seconds']} s: "
                         f"{f0['error'][:150]}")
        if len(ids) < self.n_accounts:
            self.errors.append(f"many: only {len(ids)} of {self.n_accounts} accounts could be signed in "
                               f"(figures below are for {len(ids)})")
        made = [(u, room) for u, room in made if u.user_id in ids]
        hp, fp = self.herald_pid(), self.floor_pid()
        time.sleep(self.settle_s)
        out: dict[str, Any] = {"accounts": len(ids), "accounts_requested": self.n_accounts, "syncing": n_syncing,
                               "sign_in_failures": failures, "sign_in_all_s": round(total, 2),
                               "heraldctl_account_add_s": {k: r3(v) for k, v in summary(sign_ins).items()},
                               "herald_memory": memory(hp), "floor_memory": memory(fp)}
        log(f"many: CPU and context switches over {self.idlen_s:.0f} s")
        m_h, m_f = Meter(hp), Meter(fp)
        time.sleep(self.idlen_s)
        out["herald_cpu"] = m_h.stop()
        out["floor_cpu"] = m_f.stop()

        log(f"many: one message to each of the {len(made)} new accounts")
        run = self.tag()
        t_begin = time.time()
        sent = []
        for i, (u, room) in enumerate(made):
            text = f"many {run} #{i}#"
            t_a, t_b = self.send(self.sender, room, text)
            sent.append((text, t_b))
            pause = t_a + 0.1 - time.time()
            if pause > 0:
                time.sleep(pause)

        def done(recs):
            return all(any(t in r["body"] for r in recs) for t, _ in sent)
        recs, ok = wait_quiet(self.notes, "Herald", t_begin, done, 1.0, 15 if self.quick else 30)
        lats, missing, dup = [], 0, 0
        for text, t_sent in sent:
            hits = [r for r in recs if text in r["body"]]
            if not hits:
                missing += 1
                continue
            dup += len(hits) - 1
            lats.append((min(h["t"] for h in hits) - t_sent) * 1000)
        out["check"] = {"messages": len(sent), "missing": missing, "duplicates": dup,
                        "latency_ms": {k: r3(v) for k, v in summary(lats).items()}}
        if missing:
            self.observe(f"many: {missing} of {len(sent)} accounts never notified their message")
        if dup:
            self.observe(f"many: {dup} duplicated Notify call(s)")
        self.details["many"] = out

    # -- reading heraldd's log for trouble

    def scan_log(self) -> None:
        if not self.herald:
            return
        lines = self.herald.log_text().splitlines()
        bad = [line for line in lines if any(w in line for w in (" warning ", " error ", " critical ", "Fatal error"))]
        self.details["heraldd_log"] = {"lines": len(lines), "warnings_or_errors": len(bad), "first": bad[:10]}
        if bad:
            self.observe(f"heraldd logged {len(bad)} warning/error line(s), first: {bad[0][:200]}")
        notified = sum(1 for line in lines if "notified" in line)
        self.details["heraldd_log"]["notified_lines"] = notified

    # -- figures

    def figures(self) -> list[dict]:
        d = self.details
        rows: list[dict] = []

        def row(key, name, unit, herald, floor, budget_text, within, note=""):
            ratio = None
            if isinstance(herald, (int, float)) and isinstance(floor, (int, float)) and floor:
                ratio = herald / floor
            rows.append({"key": key, "figure": name, "unit": unit, "herald": r3(herald), "baseline": r3(floor),
                         "ratio": r3(ratio), "budget": budget_text, "within_budget": within, "note": note})

        lat = d.get("latency")
        if lat:
            for basis, label in (("from_send_returned_ms", "send returned"), ("from_send_start_ms", "send started")):
                h, f = lat["Herald"][basis], lat[FLOOR_APP_NAME][basis]
                primary = basis == "from_send_returned_ms"
                row(f"latency_median_{basis}", f"send→Notify median (from {label})", "ms", h.get("median"),
                    f.get("median"), "≤ floor + 3 ms" if primary else "",
                    (h["median"] <= f["median"] + 3) if primary and h.get("n") and f.get("n") else None)
                noise = ""
                if primary:
                    interval = p90_difference_interval(lat["Herald"].get("values_" + basis, []),
                                                       lat[FLOOR_APP_NAME].get("values_" + basis, []))
                    if interval:
                        noise = (f"Herald − floor: {h['p90'] - f['p90']:+.2f} ms, 90 % bootstrap interval "
                                 f"{interval[0]:+.2f} to {interval[1]:+.2f} ms ({h['n']} and {f['n']} samples)")
                    hp = lat["Herald"]["from_send_returned_to_recorder_parsed_ms"].get("p90")
                    fp = lat[FLOOR_APP_NAME]["from_send_returned_to_recorder_parsed_ms"].get("p90")
                    if hp is not None and fp is not None:
                        noise += (f"{'; ' if noise else ''}to the recorder's time after it parsed the call "
                                  f"(how calls were stamped before): {hp:.2f} vs {fp:.2f} ms")
                row(f"latency_p90_{basis}", f"send→Notify p90 (from {label})", "ms", h.get("p90"), f.get("p90"),
                    "≤ floor" if primary else "", (h["p90"] <= f["p90"]) if primary and h.get("n") and f.get("n") else None,
                    noise)
                row(f"latency_max_{basis}", f"send→Notify max (from {label})", "ms", h.get("max"), f.get("max"), "", None)
        i1 = d.get("idle_1")
        if i1:
            hm, fm = i1["herald_memory"], i1["floor_memory"]
            row("rss_1", "idle VmRSS, 1 account", "MB", hm["VmRSS_MB"], fm["VmRSS_MB"], f"≤ {rss_budget(1):.0f} MB",
                hm["VmRSS_MB"] <= rss_budget(1), shares(hm, fm))
            row("rssanon_1", "idle RssAnon, 1 account", "MB", hm["RssAnon_MB"], fm["RssAnon_MB"],
                f"≤ {rssanon_budget(1):.1f} MB", hm["RssAnon_MB"] <= rssanon_budget(1))
            hc, fc = i1["herald_cpu"], i1["floor_cpu"]
            row("idle_cpu_1", f"idle CPU over {hc['seconds']:.0f} s, 1 account", "ms", hc["cpu_ms"], fc["cpu_ms"], "", None,
                f"schedstat: {hc['cpu_ms_schedstat']:.2f} vs {fc['cpu_ms_schedstat']:.2f} ms")
            row("idle_wakeups_1", "idle wake-ups per minute, 1 account", "/min", hc["context_switches_per_min"],
                fc["context_switches_per_min"], "≤ 2/min (no watchdog)", hc["context_switches_per_min"] <= 2,
                f"voluntary+nonvoluntary context switches over all threads; of Herald's, "
                f"{hc['involuntary_switches']} involuntary (preempted while running, not woken)")
        idd = d.get("idle_dispatch")
        if i1 and idd:
            hc, dc = i1["herald_cpu"], idd["herald_cpu"]
            row("idle_wakeups_executor", "idle wake-ups per minute: own pool (baseline: libdispatch executor)", "/min",
                hc["context_switches_per_min"], dc["context_switches_per_min"], "", None,
                "the same heraldd with HERALD_DISPATCH_EXECUTOR=1, measured right after")
            row("idle_threads_executor", "threads: own pool (baseline: libdispatch executor)", "",
                i1["herald_memory"]["threads"], idd["herald_memory"]["threads"], "", None)
        e = d.get("encrypted")
        if e:
            c, x, f = e["cleartext"], e["encrypted"], e[FLOOR_APP_NAME]
            pace = f"{e['per_kind']} of each, one every {e['spacing_ms']:.0f} ms"

            def ticks(side):
                return f"utime+stime {fmt(side['cpu_ms_per_message'])} ms"
            row("cpu_one_at_a_time", f"CPU per cleartext message, one at a time ({pace})", "ms",
                c["cpu_ms_per_message_schedstat"], f["cpu_ms_per_message_schedstat"], "≤ floor",
                c["cpu_ms_per_message_schedstat"] <= f["cpu_ms_per_message_schedstat"],
                f"schedstat sum over the threads (ns); {ticks(c)} vs {ticks(f)} (10 ms ticks); "
                "each block's window includes its idle time and a 1 s tail")
            lo, hi = e["megolm_indices"]
            row("cpu_encrypted", "CPU per encrypted message, one at a time", "ms",
                x["cpu_ms_per_message_schedstat"], f["cpu_ms_per_message_schedstat"], "≤ floor",
                x["cpu_ms_per_message_schedstat"] <= f["cpu_ms_per_message_schedstat"],
                f"Megolm in an encrypted direct chat, from matrix-nio, message indices {lo}–{hi} (centred on 50, "
                f"the middle of a session rotated every 100 messages); cleartext in the same run "
                f"{fmt(c['cpu_ms_per_message_schedstat'])} ms; {ticks(x)} vs {ticks(f)}; "
                f"{len(e['blocks'])} blocks of up to {self.ENCRYPTED_BLOCK}, cleartext/encrypted/encrypted/cleartext "
                "and again")
            cost = x["cpu_ms_per_message_schedstat"] - c["cpu_ms_per_message_schedstat"]
            pairs = e["decryption_cost_by_pair"]
            spread = (f"; over {pairs['pairs']} pairs of neighbouring blocks: median {fmt(pairs['median_ms'])} ms, "
                      f"90 % interval of the mean {fmt(pairs['interval_90_ms'][0])} to {fmt(pairs['interval_90_ms'][1])} ms"
                      if pairs["pairs"] > 1 else "")
            row("decryption_cost", "decryption cost per message (encrypted − cleartext)", "ms", cost,
                c["cpu_ms_per_message_schedstat"], "< 0.3 ms", cost < 0.3,
                "ratio: the cost against a cleartext message's whole CPU; utime+stime difference "
                f"{fmt(x['cpu_ms_per_message'] - c['cpu_ms_per_message'])} ms{spread}")
            w = e.get("with_stored_sessions")
            gs = d.get("group_sessions")
            if w and gs:
                row("cpu_encrypted_sessions",
                    f"CPU per encrypted message with {gs['after']['db']['group_sessions']} stored group sessions "
                    "(baseline: without them)", "ms", w["cpu_ms_per_message_schedstat"],
                    x["cpu_ms_per_message_schedstat"], "≤ floor", w["cpu_ms_per_message_schedstat"]
                    <= f["cpu_ms_per_message_schedstat"],
                    f"{w['messages']} messages in one block after the room keys; the floor's in the blocks above: "
                    f"{fmt(f['cpu_ms_per_message_schedstat'])} ms")
            for q in ("median", "p90"):
                row(f"latency_encrypted_{q}", f"send→Notify {q}, encrypted (baseline: cleartext)", "ms",
                    x["from_send_returned_ms"].get(q), c["from_send_returned_ms"].get(q), "", None,
                    "from the send's answer; floor in the same blocks: "
                    f"{fmt(f['from_send_returned_ms'].get(q))} ms" if q == "median" else "")
        gs = d.get("group_sessions")
        if gs:
            b0, a0, k = gs["before"], gs["after"], gs["sessions_added"]
            per = gs["per_1000"]
            what = (f"{k} inbound group sessions added (m.room_key over Olm, one to-device request each); "
                    "they are sealed rows in SQLite, read on demand, so memory should barely move")
            row("rss_sessions", f"VmRSS with {a0['db']['group_sessions']} stored group sessions (baseline: before)",
                "MB", a0["memory"]["VmRSS_MB"], b0["memory"]["VmRSS_MB"], f"≤ {rss_budget(1):.0f} MB",
                a0["memory"]["VmRSS_MB"] <= rss_budget(1),
                f"{fmt(per['VmRSS_MB'])} MB per 1,000 sessions; {what}; budget: the 1-account one")
            row("rssanon_sessions", "RssAnon with them (baseline: before)", "MB", a0["memory"]["RssAnon_MB"],
                b0["memory"]["RssAnon_MB"], f"≤ {rssanon_budget(1):.1f} MB",
                a0["memory"]["RssAnon_MB"] <= rssanon_budget(1),
                f"{fmt(per['RssAnon_MB'])} MB per 1,000 sessions; budget: the 1-account one")
            row("db_sessions", "database size used with them (baseline: before)", "KB", a0["db"]["used_KB"],
                b0["db"]["used_KB"], "", None,
                f"{fmt(per['db_used_KB'])} KB per 1,000 sessions, pages in use; the files grew "
                f"{fmt(a0['db']['files_KB'] - b0['db']['files_KB'])} KB, mostly the WAL (its high-water mark, "
                "reused after each checkpoint)")
            base = e["cleartext"]["cpu_ms_per_message_schedstat"] if e else None
            row("cpu_room_key", "CPU per stored room key (baseline: per cleartext message)", "ms",
                gs["cpu_ms_per_room_key_schedstat"], base, "", None,
                "Olm decryption, checks, sealing and the write, and the /sync answers they came in (a few keys "
                f"each, as they were sent); utime+stime {fmt(gs['cpu_ms_per_room_key'])} ms; "
                f"{gs['send_seconds']} s to send, stored {gs['stored_seconds']} s after the first")
        b = d.get("burst")
        if b:
            h, f = b["Herald"], b[FLOOR_APP_NAME]
            row("cpu_per_message", f"CPU per message sent ({b['messages']} msgs, {b['rooms']} rooms)", "ms",
                h["cpu_ms_per_message"], f["cpu_ms_per_message"], "≤ 0.5 ms", h["cpu_ms_per_message"] <= 0.5,
                f"schedstat: {h['cpu_ms_per_message_schedstat']} vs {f['cpu_ms_per_message_schedstat']} ms")
            row("cpu_per_notify", f"CPU per Notify call ({h['notify_calls']} vs {f['notify_calls']} calls)", "ms",
                h["cpu_ms_per_notify"], f["cpu_ms_per_notify"], "≤ 0.5 ms (strict reading)",
                h["cpu_ms_per_notify"] is not None and h["cpu_ms_per_notify"] <= 0.5)
        bl = d.get("backlog")
        if bl and bl.get("Herald"):
            h, f = bl["Herald"], bl.get(FLOOR_APP_NAME, {})
            row("backlog_s", f"backlog of {bl['messages']} msgs / {bl['rooms']} rooms: start → last Notify", "s",
                h["seconds"], f.get("seconds"), "≤ 2 s", h["seconds"] is not None and h["seconds"] <= 2.0,
                "from exec, so process start is included; ends at the last Notify before 2 s of quiet")
            row("backlog_notifies", "backlog: Notify calls", "calls", h["notify_calls"], f.get("notify_calls"), "", None)
        if len(self.startups_h) > 1:
            hs = [s["ready_ms"] for s in self.startups_h[1:]]
            fs = [s["ready_ms"] for s in self.startups_f[1:]]
            row("startup_median", f"exec→READY=1 median of {len(hs)} restarts", "ms", statistics.median(hs),
                statistics.median(fs) if fs else None, "≤ 100 ms", statistics.median(hs) <= 100,
                f"1 account; first start (empty database) {self.startups_h[0]['ready_ms']:.1f} ms; "
                "floor: READY=1 after its imports and bus connection, before its first sync")
            row("startup_max", "exec→READY=1 max", "ms", max(hs), max(fs) if fs else None, "≤ 100 ms", max(hs) <= 100)
        m = d.get("many")
        if m:
            n = m["accounts"]
            hm, fm = m["herald_memory"], m["floor_memory"]
            note = "baseline: the 1-account floor process (a floor per account would be that × N)"
            row("rss_n", f"idle VmRSS, {n} accounts", "MB", hm["VmRSS_MB"], fm["VmRSS_MB"],
                f"≤ {rss_budget(n):.1f} MB", hm["VmRSS_MB"] <= rss_budget(n), f"{note}; {shares(hm, fm)}")
            lim = rssanon_budget(n)
            row("rssanon_n", f"idle RssAnon, {n} accounts", "MB", hm["RssAnon_MB"], fm["RssAnon_MB"],
                f"≤ {lim:.1f} MB", hm["RssAnon_MB"] <= lim, note)
            hc, fc = m["herald_cpu"], m["floor_cpu"]
            row("idle_cpu_n", f"idle CPU over {hc['seconds']:.0f} s, {n} accounts", "ms", hc["cpu_ms"], fc["cpu_ms"], "", None,
                f"schedstat: {hc['cpu_ms_schedstat']:.2f} vs {fc['cpu_ms_schedstat']:.2f} ms; floor has 1 account")
            row("idle_wakeups_n", f"idle wake-ups per minute, {n} accounts", "/min", hc["context_switches_per_min"],
                fc["context_switches_per_min"], f"≤ {2 * n}/min", hc["context_switches_per_min"] <= 2 * n,
                f"floor has 1 account; of Herald's, {hc['involuntary_switches']} involuntary")
            lm = m["check"]["latency_ms"]
            row("many_latency", f"send→Notify median, {n}-account daemon (1 msg per new account)", "ms",
                lm.get("median"), None, "", None,
                f"p90 {fmt(lm.get('p90'))} ms, max {fmt(lm.get('max'))} ms; missing {m['check']['missing']}, "
                f"duplicates {m['check']['duplicates']}")
        if self.peak:
            row("peak_rss", "peak VmRSS over the run (VmHWM)", "MB", self.peak.get("herald"), self.peak.get("floor"), "", None,
                "heraldd's process since its last start (the backlog restart); the floor's likewise")
        return rows

    # -- the whole run

    def run(self) -> int:
        phases = [("setup", self.setup), ("startup", self.phase_startup), ("idle_1", self.phase_idle_one),
                  ("idle_dispatch", self.phase_idle_dispatch),
                  ("latency", self.phase_latency), ("encrypted", self.phase_encrypted),
                  ("burst", self.phase_burst), ("backlog", self.phase_backlog),
                  ("many", self.phase_many)]
        needed_by_all = {"setup", "startup"}
        t_start = time.monotonic()
        self.details["machine"] = {"loadavg_start": loadavg(), "cpus": os.cpu_count()}

        def built() -> dict[str, str]:
            return {n: time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(os.stat(self.bin_dir / n).st_mtime))
                    for n in ("heraldd", "heraldctl")}
        self.details["binaries_built"] = built()
        for name, fn in phases:
            t0 = time.monotonic()
            try:
                fn()
            except KeyboardInterrupt:
                raise
            except Exception as e:  # a phase that cannot measure: reported, the run goes on when it can
                msg = f"{name}: {type(e).__name__}: {e}"
                log("ERROR " + msg.splitlines()[0])
                traceback.print_exc(file=sys.stderr)
                self.errors.append(msg)
                if name in needed_by_all:
                    break
                # get back to a running heraldd / floor for the next phase
                try:
                    if self.herald and not self.herald.running():
                        self.start_herald()
                    if self.floor and (not self.floor.proc or self.floor.proc.poll() is not None):
                        self.start_floor()
                except Exception as e2:
                    self.errors.append(f"{name}: could not restart: {e2}")
                    break
            self.details.setdefault("phase_seconds", {})[name] = round(time.monotonic() - t0, 1)
            try:
                self.details.setdefault("herald_memory_after_phase", {})[name] = memory(self.herald_pid())
            except Exception:
                pass
        self.details["machine"]["loadavg_end"] = loadavg()
        try:
            self.peak = {"herald": memory(self.herald_pid())["VmHWM_MB"], "floor": memory(self.floor_pid())["VmHWM_MB"]}
        except Exception:
            pass
        if built() != self.details["binaries_built"]:  # cannot happen to the copies; kept as a guard
            self.observe(f"the benchmarked binaries changed during the run ({built()})")
        exclude = {p for p in (self.herald.pid if self.herald and self.herald.running() else None,
                               self.floor.proc.pid if self.floor and self.floor.proc else None,
                               self.synapse.proc.pid if self.synapse and self.synapse.proc else None) if p}
        self.details["machine"]["busy_other_processes_at_end"] = busy_processes(exclude)
        if self.details["machine"]["busy_other_processes_at_end"]:
            self.observe("other processes were busy on this machine during the run: "
                         + ", ".join(self.details["machine"]["busy_other_processes_at_end"]))
        self.details["startups"] = {"herald": [{k: r3(v) for k, v in s.items() if k != "t_wall"} for s in self.startups_h],
                                    "floor": [{k: r3(v) for k, v in s.items() if k != "t_wall"} for s in self.startups_f],
                                    "herald_stops": [{k: r3(v) for k, v in s.items()} for s in self.stops_h]}
        for s in self.stops_h:
            if s["exit_status"] != 0:
                self.observe(f"heraldd exited {s['exit_status']} on SIGTERM (expected 0)")
            if s["sigterm_to_exit_ms"] > 1000:
                self.observe(f"heraldd took {s['sigterm_to_exit_ms']:.0f} ms to exit on SIGTERM")
        self.scan_log()
        self.details["total_seconds"] = round(time.monotonic() - t_start, 1)
        return 1 if self.errors else 0

    def stop(self) -> None:
        for what, fn in (("floor", lambda: self.floor and self.floor.stop()),
                         ("heraldd", lambda: self.herald and self.herald.stop()),
                         ("recorder", lambda: self.recorder and self.recorder.stop()),
                         ("bus", lambda: self.bus and self.bus.stop()),
                         ("synapse", lambda: self.synapse and self.synapse.stop()),
                         ("notify socket", lambda: self.listener and self.listener.close())):
            try:
                fn()
            except Exception as e:
                log(f"cleanup of {what}: {e}")


# ---------------------------------------------------------------------------------------------
# output


def fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1 else f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


def table(rows: list[dict]) -> str:
    head = ["figure", "unit", "Herald", "baseline", "ratio", "budget", "within budget"]
    body = [[r["figure"], r["unit"], fmt(r["herald"]), fmt(r["baseline"]),
             (fmt(r["ratio"]) + "×") if r["ratio"] is not None else "—", r["budget"] or "—",
             fmt(r["within_budget"]) if r["within_budget"] is not None else "—"] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    right = {2, 3, 4}

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(head), "  ".join("-" * w for w in widths)] + [line(b) for b in body]
    notes = [f"  · {r['figure']}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join(out + ([""] + notes if notes else []))


# ---------------------------------------------------------------------------------------------
# main


def default_bin_dir() -> Path:
    """--bin-dir default: $HERALD_BIN_DIR, else `swift build --show-bin-path` when it holds heraldd,
    else .build/debug."""
    env = os.environ.get("HERALD_BIN_DIR")
    if env:
        return Path(env)
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    if os.path.exists(swift):
        try:
            out = subprocess.run([swift, "build", "--show-bin-path"], cwd=REPO, capture_output=True, text=True,
                                 timeout=60)
            if out.returncode == 0 and out.stdout.strip():
                p = Path(out.stdout.strip().splitlines()[-1])
                if os.access(p / "heraldd", os.X_OK):
                    return p
        except (subprocess.TimeoutExpired, OSError):
            pass
    return REPO / ".build" / "debug"


def snapshot_binaries(bin_dir: Path, dest: Path) -> Path:
    """Copies heraldd, heraldctl (and SwiftPM resource bundles) so that a rebuild by someone else
    during the run cannot mix builds. Retries when a copy does not run (caught mid-link)."""
    for attempt in range(4):
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for name in ("heraldd", "heraldctl"):
            shutil.copy2(bin_dir / name, dest / name)  # keeps the build's mtime
        for res in bin_dir.glob("*.resources"):
            shutil.copytree(res, dest / res.name, symlinks=True)
        p = subprocess.run([str(dest / "heraldd"), "--version"], capture_output=True, text=True, timeout=30)
        q = subprocess.run([str(dest / "heraldctl"), "--help"], capture_output=True, text=True, timeout=30)
        if p.returncode == 0 and q.returncode == 0:
            return dest
        time.sleep(5)
    raise he.HarnessError(f"the binaries in {bin_dir} do not run (a build in progress?)")


def main() -> int:
    ap = argparse.ArgumentParser(description="Herald's benchmark: heraldd against a bare Python /sync loop.")
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer messages, 10 accounts, short windows (about 4 min)")
    ap.add_argument("--bin-dir", type=Path, help="where heraldd and heraldctl are (default: see README)")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "results.json", help="JSON results (default bench/out/results.json)")
    ap.add_argument("--messages", type=int, help="latency messages per side (default 100, quick 12; the encrypted "
                    "phase sends at most 40 of each kind)")
    ap.add_argument("--spacing", type=float, default=0.6,
                    help="seconds between latency messages (default 0.6; they alternate between the two sides, so "
                         "each side gets one every 1.2 s: a person's pace, past heraldd's one-update-a-second "
                         "burst limit, which a faster rate would measure instead of latency)")
    ap.add_argument("--accounts", type=int, help="accounts in the many-accounts phase (default 50, quick 10)")
    ap.add_argument("--sessions", type=int, help="group sessions stored in the encrypted phase (default 1000, quick 200)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases)")
    args = ap.parse_args()
    if args.accounts is not None and args.accounts < 2:
        ap.error("--accounts must be at least 2")
    if args.sessions is not None and args.sessions < 1:
        ap.error("--sessions must be at least 1")

    bin_dir = (args.bin_dir or default_bin_dir()).resolve()
    try:
        he.require_binaries(bin_dir)
    except he.HarnessError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1

    def on_term(signum, frame):
        STOP.set()
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)

    workdir = Path(tempfile.mkdtemp(prefix="herald-bench-"))
    try:
        run_bin = snapshot_binaries(bin_dir, workdir / "bin")
    except (he.HarnessError, OSError, subprocess.TimeoutExpired, KeyboardInterrupt) as e:
        shutil.rmtree(workdir, ignore_errors=True)
        if isinstance(e, KeyboardInterrupt):
            return 130
        print(f"bench: {e}", file=sys.stderr)
        return 1
    version = subprocess.run([str(run_bin / "heraldd"), "--version"], capture_output=True, text=True).stdout.strip()
    bench = Bench(args, run_bin, workdir)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    rc = 1
    interrupted = False
    try:
        rc = bench.run()
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: cleaning up")
    finally:
        bench.stop()
        shutil.rmtree(run_bin, ignore_errors=True)
    if interrupted:
        log(f"work directory kept: {workdir}")
        return 130

    rows = bench.figures()
    doc = {"started": started, "mode": "quick" if args.quick else "full", "bin_dir": str(bin_dir),
           "build": "release" if "release" in str(bin_dir) else "debug", "heraldd_version": version,
           "python": sys.version.split()[0], "synapse_url": bench.synapse.url if bench.synapse else None,
           "latency_basis": "Notify 't' minus the time the send request returned (from send start also given)",
           "units": {"MB": "MiB", "cpu": f"/proc/PID/stat utime+stime, {CLK_TCK} ticks/s; schedstat sums in ns"},
           "figures": rows, "details": bench.details, "observations": bench.observations, "errors": bench.errors,
           "exit_status": rc}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

    print(f"Herald benchmark ({doc['mode']}, {doc['build']} build {bin_dir}, heraldd {version}, "
          f"{bench.details.get('total_seconds', '?')} s)")
    print(f"load average start/end: {bench.details['machine']['loadavg_start']} / "
          f"{bench.details['machine'].get('loadavg_end')}")
    print()
    print(table(rows))
    if bench.observations:
        print("\nobservations:")
        for o in bench.observations:
            print(f"  - {o}")
    if bench.errors:
        print("\nnot measured:")
        for e in bench.errors:
            print(f"  - {e.splitlines()[0]}")
    print(f"\nresults: {args.out}")

    if rc != 0 or args.keep:
        log(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
