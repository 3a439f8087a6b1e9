#!/usr/bin/env python3
"""Herald demo (run by scripts/demo.sh / `make demo`).

A throwaway Synapse on 127.0.0.1, Alice (the pharmacist at the counter) and Dr Bob Durand (the GP
next door), heraldd with temporary XDG directories, Alice signed in with `heraldctl account add`,
then Bob writes and the notifications appear:
  - on your desktop, if DBUS_SESSION_BUS_ADDRESS is set and a notification server runs there;
  - otherwise on a private bus with dunst on a virtual X screen (Xvfb), with a screenshot saved
    to demo-out/notifications.png.
Each notification is also printed here as it is sent. Ctrl-C stops and removes everything.
Ends by itself after the messages when DEMO_EXIT=1 or standard input is not a terminal.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import herald_env as he  # noqa: E402

OUT_DIR = REPO / "demo-out"
SCREENSHOT = OUT_DIR / "notifications.png"
SCREEN = "1024x600x24"

DM_MESSAGES = [
    "Hello Alice, is Mrs Lefèvre's prescription ready? She will come by around 11.",
    "Heads-up: amoxicillin 500 mg is out of stock at the wholesaler, the generic is fine for her.",
    "Could you call the practice back before noon? Thanks!",
]
ROOM_NAME = "Pharmacie du Centre"
ROOM_MESSAGE = "The flu vaccines were delivered at the back door: they need to go in the fridge."
PAUSE = 2.5  # seconds between Bob's messages


def step(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def info(msg: str) -> None:
    print(f"    {msg}", flush=True)


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop(signal.Signals(signum).name)


def plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


class NotifyWatcher:
    """Prints every Notify call seen on a bus (a D-Bus monitor connection, as dbus-monitor does)."""

    def __init__(self, address: str):
        self.address = address
        self.count = 0
        self.seen = threading.Condition()
        self.error: str | None = None
        self.conn = None

    def start(self) -> "NotifyWatcher":
        from jeepney.bus_messages import Monitoring
        from jeepney.io.blocking import open_dbus_connection
        try:
            self.conn = open_dbus_connection(bus=self.address)
            rule = "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
            self.conn.send_and_get_reply(Monitoring().BecomeMonitor([rule]), timeout=5)
        except Exception as e:  # a bus that refuses monitors: the demo still works
            self.error = str(e)
            info(f"(cannot watch the bus for notifications: {e})")
            return self
        threading.Thread(target=self.run, daemon=True).start()
        return self

    def run(self) -> None:
        from jeepney import HeaderFields, MessageType
        while True:
            try:
                msg = self.conn.receive()
            except Exception:
                return
            if (msg.header.message_type != MessageType.method_call
                    or msg.header.fields.get(HeaderFields.member) != "Notify"):
                continue
            app, replaces, _icon, summary, body, _actions, hints, _timeout = msg.body
            category = hints.get("category", ("s", ""))[1]
            what = f"replaces #{replaces}" if replaces else "new"
            stamp = time.strftime("%H:%M:%S")
            lines = plain(body).splitlines() or [""]
            print(f"    [{stamp}] notification ({app}, {what}, {category}): {plain(summary)}", flush=True)
            for line in lines:
                print(f"               | {line}", flush=True)
            with self.seen:
                self.count += 1
                self.seen.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.seen:
            return self.seen.wait_for(lambda: self.count >= count, timeout)


def free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise he.HarnessError("no free X display number between :90 and :199")


def screenshot(display: int, workdir: Path) -> Path:
    OUT_DIR.mkdir(exist_ok=True)
    xwd = workdir / "screen.xwd"
    with open(xwd, "wb") as f:
        subprocess.run(["xwd", "-root", "-silent", "-display", f":{display}"], stdout=f, check=True,
                       timeout=20)
    convert = "/usr/bin/convert" if os.path.exists("/usr/bin/convert") else "convert"
    subprocess.run([convert, f"xwd:{xwd}", f"png:{SCREENSHOT}"], check=True, timeout=60)
    return SCREENSHOT


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    interactive = sys.stdin.isatty() and os.environ.get("DEMO_EXIT", "") not in ("1", "yes", "true")
    bin_dir = he.find_bin_dir()
    he.require_binaries(bin_dir)

    work = Path(tempfile.mkdtemp(prefix="herald-demo."))
    stack: list = []  # things to stop, in reverse order
    try:
        # --- homeserver -----------------------------------------------------------------------
        step("starting a throwaway Synapse on 127.0.0.1 (data in a temp dir)")
        synapse = he.Synapse(work / "synapse")
        stack.append(synapse.stop)
        synapse.start()
        info(f"{synapse.url}: config {synapse.config_seconds:.1f} s, start {synapse.startup_seconds:.1f} s")

        step('registering alice ("Alice Martin") and bob ("Dr Bob Durand")')
        password = "demo-" + os.urandom(6).hex()
        alice_id, alice_token = synapse.register("alice", password, "Alice Martin")
        bob_id, bob_token = synapse.register("bob", "demo-" + os.urandom(6).hex(), "Dr Bob Durand")
        info(f"{alice_id}, {bob_id}")

        step(f'creating a direct chat bob → alice and a room "{ROOM_NAME}"')
        dm = synapse.create_room(bob_token, invite=[alice_id], is_direct=True)
        synapse.join(alice_token, dm)
        room = synapse.create_room(bob_token, name=ROOM_NAME, invite=[alice_id])
        synapse.join(alice_token, room)

        # --- notification server ------------------------------------------------------------------
        display = None
        desktop = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if desktop and he.session_bus_has_notifications(desktop):
            step("using your desktop's notification server (DBUS_SESSION_BUS_ADDRESS)")
            bus_address = desktop
        else:
            step("no desktop notification server: private D-Bus + Xvfb + dunst")
            bus = he.DBusDaemon(work / "dbus")
            stack.append(bus.stop)
            bus.start()
            bus_address = bus.address
            display = free_display()
            xvfb = he.spawn(["Xvfb", f":{display}", "-screen", "0", SCREEN, "-nolisten", "tcp"],
                            log_path=work / "xvfb.log")
            stack.append(lambda: he.stop_process(xvfb, 5))
            he.wait_until(lambda: Path(f"/tmp/.X11-unix/X{display}").exists() or xvfb.poll() is not None,
                          10, what="Xvfb")
            if xvfb.poll() is not None:
                raise he.HarnessError("Xvfb did not start:\n" + he.tail(work / "xvfb.log"))
            info(f"Xvfb on :{display} ({SCREEN})")
            env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
            env.update(DISPLAY=f":{display}", DBUS_SESSION_BUS_ADDRESS=bus_address)
            dunst = he.spawn(["dunst", "-config", str(REPO / "scripts" / "dunstrc")],
                             log_path=work / "dunst.log", env=env)
            stack.append(lambda: he.stop_process(dunst, 5))
            try:
                he.wait_until(lambda: dunst.poll() is None and bus.name_has_owner(he.NOTIFICATIONS_NAME),
                              10, interval=0.1, what="dunst to own org.freedesktop.Notifications")
            except TimeoutError:
                raise he.HarnessError("dunst did not start:\n" + he.tail(work / "dunst.log")) from None
            info("dunst owns org.freedesktop.Notifications")
        watcher = NotifyWatcher(bus_address).start()

        # --- heraldd ------------------------------------------------------------------------------
        step("starting heraldd (temporary XDG directories)")
        herald = he.Herald(bin_dir, work / "herald", bus_address)
        stack.append(herald.stop)
        herald.start()
        info(f"pid {herald.pid}, socket {herald.socket_path}, log {herald.log_path}")

        step(f"heraldctl account add {synapse.url} --user alice --password-stdin --pin-stdin")
        rc, out, err = herald.ctl("account", "add", synapse.url, "--user", "alice", "--password-stdin",
                                  "--pin-stdin", input=password + "\n" + he.DEFAULT_PIN + "\n")
        for line in (out + err).strip().splitlines():
            info(line)
        if rc != 0:
            raise he.HarnessError(f"heraldctl account add exited {rc}")
        herald.wait_account_state(alice_id, "syncing", timeout=20)
        info("alice is signed in and syncing")

        # --- Bob writes ---------------------------------------------------------------------------
        step("Dr Bob Durand writes to Alice")
        expected = 0
        plan = [(dm, DM_MESSAGES[0]), (dm, DM_MESSAGES[1]), (room, ROOM_MESSAGE), (dm, DM_MESSAGES[2])]
        for i, (where, text) in enumerate(plan):
            if i:
                time.sleep(PAUSE)
            label = "direct chat" if where == dm else ROOM_NAME
            print(f"    bob → {label}: {text}", flush=True)
            synapse.send_text(bob_token, where, text)
            expected += 1
        if watcher.error is None and not watcher.wait_for(expected, 10):
            info(f"(only {watcher.count} of {expected} notifications seen after 10 s; "
                 f"heraldd log: {herald.log_path})")

        step("heraldctl status")
        for line in herald.ctl("status")[1].strip().splitlines():
            info(line)

        if display is not None:
            time.sleep(1.0)  # let dunst draw
            path = screenshot(display, work)
            step(f"screenshot of the notifications: {path.relative_to(REPO)}")

        if not interactive:
            step("done (DEMO_EXIT=1 or no terminal): cleaning up")
            return 0
        step("Herald keeps running. Type a message for Dr Bob Durand to send (Enter); Ctrl-C to stop.")
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            if line.strip():
                synapse.send_text(bob_token, dm, line.strip())
                expected += 1
                watcher.wait_for(expected, 10)
                if display is not None:
                    time.sleep(0.5)
                    screenshot(display, work)
                    info(f"screenshot updated: {SCREENSHOT.relative_to(REPO)}")
        return 0
    except Stop as s:
        print(f"\n==> {s}: cleaning up", flush=True)
        return 130 if str(s) == "SIGINT" else 143
    except he.HarnessError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for stop in reversed(stack):
            try:
                stop()
            except Exception as e:  # keep cleaning
                print(f"demo: cleanup: {e}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
        print("==> cleaned up: every process the demo started is stopped, its temp dir removed", flush=True)


if __name__ == "__main__":
    sys.exit(main())
