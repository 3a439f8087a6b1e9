"""Homeservers that misbehave, for the fault tests.

* ``FreezingProxy``  a TCP forwarder that can freeze: connections stay open and accepted, but no
                     byte moves either way until ``thaw()`` (a homeserver stopped with SIGSTOP).
* ``FakeHomeserver`` just enough of the client-server API for a password sign-in and /sync, whose
                     /sync answers the test writes byte by byte (bad UTF-8, huge, not JSON...).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional, Union
from urllib.parse import parse_qs, urlparse

import herald_env as he


class FreezingProxy(he.TcpProxy):
    """``TcpProxy`` that can also freeze: connections stay open and new ones are accepted, but
    ``freeze()`` holds every byte either way until ``thaw()``."""

    def __init__(self, target_port: int):
        self._flowing = threading.Event()
        self._flowing.set()
        super().__init__(target_port)

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def _hold(self) -> None:
        self._flowing.wait()  # what arrived while frozen waits for the thaw

    def close(self) -> None:
        self._flowing.set()
        super().close()


# A /sync answer: bytes sent as they are (Content-Length), or a function that writes the body
# itself with chunked transfer encoding through the given ``send_chunk``.
Answer = Union[bytes, Callable[[Callable[[bytes], None]], None]]


class FakeHomeserver:
    """A homeserver for one user, ``@alice:fake``, in one direct chat with ``@bob:fake``.

    Sign-in takes any password. The first /sync (no ``since``) learns the room; every later one
    gets the next answer queued with ``queue()``, or, when none is queued within the long poll,
    an empty answer that keeps the cursor. ``since_seen`` lists the cursors /sync was called with."""

    user_id = "@alice:fake"
    bob = "@bob:fake"
    room = "!dm:fake"

    def __init__(self):
        self._answers: list[Answer] = []
        self._cond = threading.Condition()
        self.since_seen: list[Optional[str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                fake._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        with self._cond:
            self._answers.clear()
            self._cond.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # -- what /sync answers

    def queue(self, answer: Answer) -> None:
        with self._cond:
            self._answers.append(answer)
            self._cond.notify_all()

    def wait_for_since(self, since: str, timeout: float = 30.0) -> None:
        """Waits until /sync was called with ``since``: the answer that gave it was committed."""
        he.wait_until(lambda: since in self.since_seen, timeout, what=f"a /sync with since={since}")

    @classmethod
    def message(cls, event_id: str, body: str) -> bytes:
        return json.dumps({
            "type": "m.room.message", "event_id": event_id, "sender": cls.bob, "origin_server_ts": int(time.time() * 1000),
            "content": {"msgtype": "m.text", "body": body}}).encode()

    @classmethod
    def timeline(cls, next_batch: str, events: list[bytes]) -> bytes:
        """A /sync answer with raw ``events`` (each already JSON bytes, or deliberately not) in the room."""
        return (b'{"next_batch":' + json.dumps(next_batch).encode() + b',"rooms":{"join":{'
                + json.dumps(cls.room).encode() + b':{"summary":{"m.joined_member_count":2},'
                b'"timeline":{"events":[' + b",".join(events) + b'],"limited":false}}}}}')

    # -- the API

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        path = url.path
        if path == "/_matrix/client/versions":
            return self._json(h, 200, {"versions": ["v1.11"]})
        if path == "/_matrix/client/v3/login":
            if h.command == "GET":
                return self._json(h, 200, {"flows": [{"type": "m.login.password"}]})
            return self._json(h, 200, {"user_id": self.user_id, "access_token": "fake-token", "device_id": "FAKEDEVICE"})
        if path.startswith("/_matrix/client/v3/user/") and path.endswith("/filter"):
            return self._json(h, 200, {"filter_id": "1"})
        if path == "/_matrix/client/v3/sync":
            query = parse_qs(url.query)
            since = query.get("since", [None])[0]
            self.since_seen.append(since)
            if since is None:
                return self._send(h, self._first_sync())
            timeout = min(int(query.get("timeout", ["0"])[0]), 60_000) / 1000
            with self._cond:
                self._cond.wait_for(lambda: self._answers, timeout)
                answer = self._answers.pop(0) if self._answers else None
            return self._send(h, answer if answer is not None else json.dumps({"next_batch": since}).encode())
        return self._json(h, 404, {"errcode": "M_UNRECOGNIZED", "error": "not here"})

    def _first_sync(self) -> bytes:
        member = lambda who, name: {"type": "m.room.member", "state_key": who, "sender": who, "event_id": f"$m-{name}",
                                    "content": {"membership": "join", "displayname": name}}
        return json.dumps({"next_batch": "s1", "rooms": {"join": {self.room: {
            "summary": {"m.joined_member_count": 2},
            "state": {"events": [member(self.user_id, "Alice"), member(self.bob, "Bob")]},
            "timeline": {"events": [], "limited": False}}}}}).encode()

    def _json(self, h: BaseHTTPRequestHandler, status: int, doc: dict) -> None:
        self._send(h, json.dumps(doc).encode(), status)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, answer: Answer, status: int = 200) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        try:
            if isinstance(answer, bytes):
                h.send_header("Content-Length", str(len(answer)))
                h.end_headers()
                h.wfile.write(answer)
                return
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()

            def chunk(data: bytes) -> None:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

            answer(chunk)
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            h.close_connection = True  # the client hung up (a capped answer): nothing more to say
