#!/usr/bin/env python3
"""A recording desktop-notification server for Herald's tests.

Owns org.freedesktop.Notifications on a D-Bus bus, at /org/freedesktop/Notifications, and answers
the Desktop Notifications spec (1.2):

  Notify(susssasa{sv}i) -> u     returns replaces_id when it is non-zero, else a new id (1, 2, ...)
  CloseNotification(u)           then emits NotificationClosed(id, 3)
  GetCapabilities() -> as        --capabilities (default body,body-markup,actions)
  GetServerInformation() -> ssss "herald-recorder", "herald", "1.0", "1.2"

Every call is appended to --log as one JSON line, flushed at once:
  {"t": time.time(), "method": "Notify", "id", "app_name", "replaces_id", "app_icon", "summary",
   "body", "actions", "hints" (variants unwrapped), "expire_timeout", "sender", "t_parsed"}
  {"t", "method": "CloseNotification", "id", "sender"}
  (GetCapabilities / GetServerInformation are logged as {"t", "method", "sender"}.)
"t" is when the call's last bytes were read off the socket: when it reached this server. This
recorder's own parsing (pure Python, about 2 µs per 10 bytes) comes after; "t_parsed" is the
time once it is parsed, as "t" was before.

A private interface on the same object lets a test play the user:
  org.herald.Recorder.InvokeAction(u id, s key)   emits ActionInvoked(id, key)
  org.herald.Recorder.Close(u id, u reason)       emits NotificationClosed(id, reason)

Usage: notify_recorder.py --log FILE [--address ADDR] [--capabilities a,b,c]
Prints "ready <unique name>" on stdout once the name is owned. Needs only jeepney.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from jeepney import (DBusAddress, HeaderFields, MessageFlag, MessageType, new_error,
                     new_method_return, new_signal)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"
CTRL_IFACE = "org.herald.Recorder"
SERVER_INFO = ("herald-recorder", "herald", "1.0", "1.2")
DEFAULT_CAPS = "body,body-markup,actions"

INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" name="app_name" direction="in"/><arg type="u" name="replaces_id" direction="in"/>
      <arg type="s" name="app_icon" direction="in"/><arg type="s" name="summary" direction="in"/>
      <arg type="s" name="body" direction="in"/><arg type="as" name="actions" direction="in"/>
      <arg type="a{sv}" name="hints" direction="in"/><arg type="i" name="expire_timeout" direction="in"/>
      <arg type="u" name="id" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" name="id" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" name="capabilities" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" name="name" direction="out"/><arg type="s" name="vendor" direction="out"/>
      <arg type="s" name="version" direction="out"/><arg type="s" name="spec_version" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u" name="id"/><arg type="u" name="reason"/></signal>
    <signal name="ActionInvoked"><arg type="u" name="id"/><arg type="s" name="action_key"/></signal>
  </interface>
  <interface name="org.herald.Recorder">
    <method name="InvokeAction"><arg type="u" name="id" direction="in"/><arg type="s" name="key" direction="in"/></method>
    <method name="Close"><arg type="u" name="id" direction="in"/><arg type="u" name="reason" direction="in"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg type="s" name="xml" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
  </interface>
</node>
"""


# ---- turning D-Bus values into JSON, guided by their signatures


def _one_type(sig: str, i: int) -> int:
    """Index just past the single complete type starting at sig[i]."""
    c = sig[i]
    if c == "a":
        return _one_type(sig, i + 1)
    if c in "({":
        close = ")" if c == "(" else "}"
        j = i + 1
        while sig[j] != close:
            j = _one_type(sig, j)
        return j + 1
    return i + 1


def split_types(sig: str) -> list[str]:
    out, i = [], 0
    while i < len(sig):
        j = _one_type(sig, i)
        out.append(sig[i:j])
        i = j
    return out


def to_json(sig: str, value):
    if sig == "v":
        inner_sig, inner = value
        return to_json(inner_sig, inner)
    if sig == "ay":
        return {"bytes": len(value)}
    if sig.startswith("a{"):
        key_sig, val_sig = split_types(sig[2:-1])
        return {str(to_json(key_sig, k)): to_json(val_sig, v) for k, v in value.items()}
    if sig.startswith("a"):
        return [to_json(sig[1:], v) for v in value]
    if sig.startswith("("):
        return [to_json(s, v) for s, v in zip(split_types(sig[1:-1]), value)]
    return value


# ---- the server


class Recorder:
    def __init__(self, conn, log_file, capabilities: list[str]):
        self.conn = conn
        self.log_file = log_file
        self.capabilities = capabilities
        self.next_id = 1
        self.emitter = DBusAddress(PATH, interface=IFACE)

    def record(self, entry: dict) -> None:
        self.log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.log_file.flush()

    def signal(self, member: str, signature: str, body: tuple) -> None:
        self.conn.send(new_signal(self.emitter, member, signature, body))

    def handle(self, msg, t: float) -> None:
        """``t``: when the message was read off the socket (see ``stamped_messages``)."""
        hdr = msg.header
        if hdr.message_type != MessageType.method_call:
            return
        fields = hdr.fields
        member = fields.get(HeaderFields.member)
        iface = fields.get(HeaderFields.interface)
        path = fields.get(HeaderFields.path)
        sender = fields.get(HeaderFields.sender)
        wants_reply = not (hdr.flags & MessageFlag.no_reply_expected)

        def reply(signature=None, body=()):
            if wants_reply:
                self.conn.send(new_method_return(msg, signature, body))

        def error(name, text):
            if wants_reply:
                self.conn.send(new_error(msg, name, "s", (text,)))

        if iface == "org.freedesktop.DBus.Introspectable" and member == "Introspect":
            return reply("s", (INTROSPECTION if path == PATH else "<node/>",))
        if iface == "org.freedesktop.DBus.Peer" and member == "Ping":
            return reply()
        if iface == "org.freedesktop.DBus.Peer" and member == "GetMachineId":
            try:
                mid = open("/etc/machine-id").read().strip()
            except OSError:
                mid = "0" * 32
            return reply("s", (mid,))
        if path != PATH:
            return error("org.freedesktop.DBus.Error.UnknownObject", f"no object at {path}")

        if iface in (IFACE, None) and member == "Notify":
            (app_name, replaces_id, app_icon, summary, body, actions, hints, expire) = msg.body
            if replaces_id:
                nid = replaces_id
            else:
                nid = self.next_id
                self.next_id += 1
            self.record({"t": t, "method": "Notify", "id": nid, "app_name": app_name,
                         "replaces_id": replaces_id, "app_icon": app_icon, "summary": summary,
                         "body": body, "actions": list(actions),
                         "hints": to_json("a{sv}", hints), "expire_timeout": expire,
                         "sender": sender, "t_parsed": time.time()})
            return reply("u", (nid,))
        if iface in (IFACE, None) and member == "CloseNotification":
            (nid,) = msg.body
            self.record({"t": t, "method": "CloseNotification", "id": nid, "sender": sender})
            reply()
            return self.signal("NotificationClosed", "uu", (nid, 3))
        if iface in (IFACE, None) and member == "GetCapabilities":
            self.record({"t": t, "method": "GetCapabilities", "sender": sender})
            return reply("as", (self.capabilities,))
        if iface in (IFACE, None) and member == "GetServerInformation":
            self.record({"t": t, "method": "GetServerInformation", "sender": sender})
            return reply("ssss", SERVER_INFO)
        if iface == CTRL_IFACE and member == "InvokeAction":
            nid, key = msg.body
            self.record({"t": t, "method": "InvokeAction", "id": nid, "key": key})
            reply()
            return self.signal("ActionInvoked", "us", (nid, key))
        if iface == CTRL_IFACE and member == "Close":
            nid, reason = msg.body
            self.record({"t": t, "method": "Close", "id": nid, "reason": reason})
            reply()
            return self.signal("NotificationClosed", "uu", (nid, reason))
        return error("org.freedesktop.DBus.Error.UnknownMethod",
                     f"no method {iface}.{member} at {path}")


def stamped_messages(conn):
    """Yields each message with the time the read that completed it returned. jeepney's own
    ``receive`` parses before it returns, so a time taken after it would count this recorder's
    parsing, which grows with the message (actions, hints), as part of the sender's latency.
    Ends when the bus closes the connection."""
    stamp = time.time()
    while True:
        msg = conn.parser.get_next_message()
        if msg is not None:
            yield msg, stamp
            continue
        data = conn.sock.recv(65536)
        stamp = time.time()
        if not data:
            return
        conn.parser.add_data(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--address", default=os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
                    help="bus address (default: $DBUS_SESSION_BUS_ADDRESS)")
    ap.add_argument("--log", required=True, help="file to append one JSON line per call to")
    ap.add_argument("--capabilities", default=DEFAULT_CAPS,
                    help=f"comma-separated GetCapabilities answer (default {DEFAULT_CAPS})")
    args = ap.parse_args()
    if not args.address:
        ap.error("no bus: pass --address or set DBUS_SESSION_BUS_ADDRESS")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    caps = [c for c in args.capabilities.split(",") if c]
    conn = open_dbus_connection(bus=args.address)
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME, 4), timeout=5)  # DO_NOT_QUEUE
    if reply.body != (1,):  # 1 = primary owner
        print(f"could not own {NAME} (RequestName answered {reply.body})", file=sys.stderr)
        return 2
    with open(args.log, "a", encoding="utf-8") as log_file:
        server = Recorder(conn, log_file, caps)
        print(f"ready {conn.unique_name}", flush=True)
        try:
            for msg, t in stamped_messages(conn):
                server.handle(msg, t)
        except OSError:
            pass
        return 0  # the bus went away


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
