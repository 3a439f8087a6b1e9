"""An encrypting Matrix client for the end-to-end tests: matrix-nio with python-olm (libolm),
driven synchronously. It logs in as a user, creates encrypted rooms, and sends Megolm-encrypted
messages to every device of the room's members, Herald's included."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import olm
from nio import AsyncClient, AsyncClientConfig, LoginResponse, RoomSendResponse
from nio.api import Api

ENCRYPTION = {"type": "m.room.encryption", "state_key": "",
              "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class NioSender:
    def __init__(self, homeserver: str, user, store: Path):
        store.mkdir(parents=True, exist_ok=True)
        self.loop = asyncio.new_event_loop()
        self.user = user
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        self.client = AsyncClient(homeserver, user.user_id, store_path=str(store), config=config)
        reply = self._run(self.client.login(user.password, device_name="nio sender"))
        if not isinstance(reply, LoginResponse):
            raise RuntimeError(f"nio login failed: {reply}")
        self.sync()

    def _run(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        try:
            self._run(self.client.close())
        finally:
            self.loop.close()

    def sync(self) -> None:
        """One sync (uploads nio's keys the first time), then the device lists it must know."""
        self._run(self.client.sync(timeout=0, full_state=True))
        if self.client.should_upload_keys:
            self._run(self.client.keys_upload())
        if self.client.should_query_keys:
            self._run(self.client.keys_query())

    def create_room(self, invite: list[str], name: Optional[str] = None, is_direct: bool = False) -> str:
        reply = self._run(self.client.room_create(
            name=name, invite=invite, is_direct=is_direct, initial_state=[ENCRYPTION],
            preset=None))
        room = getattr(reply, "room_id", None)
        if not room:
            raise RuntimeError(f"room_create failed: {reply}")
        return room

    def herald_device(self, user_id: str):
        """The member's device that has uploaded keys (Herald's), once the server lists it."""
        self.client.users_for_key_query.add(user_id)
        self._run(self.client.keys_query())
        devices = list(self.client.device_store.active_user_devices(user_id))
        return devices[0] if devices else None

    def send(self, room: str, body: str, mentions: Optional[list[str]] = None) -> str:
        """An encrypted m.room.message; the group session is shared first when needed."""
        content: dict[str, Any] = {"msgtype": "m.text", "body": body}
        if mentions is not None:
            content["m.mentions"] = {"user_ids": mentions}
        return self.send_content(room, content)

    def send_content(self, room: str, content: dict) -> str:
        """Any encrypted m.room.message content (an edit, say)."""
        self.sync()
        reply = self._run(self.client.room_send(room, "m.room.message", content, ignore_unverified_devices=True))
        if not isinstance(reply, RoomSendResponse):
            raise RuntimeError(f"room_send failed: {reply}")
        return reply.event_id

    # -- a message whose key comes later

    def send_keyless(self, room: str, body: str) -> tuple[str, dict]:
        """Sends a message with a new Megolm session that nobody has the key of yet. Returns the
        event ID and the session's key (at index 0) for `send_room_key`."""
        session = olm.OutboundGroupSession()
        key = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": session.id,
               "session_key": session.session_key}
        plaintext = {"type": "m.room.message", "content": {"msgtype": "m.text", "body": body}, "room_id": room}
        content = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": session.encrypt(Api.to_json(plaintext)),
                   "session_id": session.id, "sender_key": self.client.olm.account.identity_keys["curve25519"],
                   "device_id": self.client.device_id}
        event_id = self._put(f"/_matrix/client/v3/rooms/{quote(room, safe='')}/send/m.room.encrypted/{uuid.uuid4().hex}",
                             content)["event_id"]
        return event_id, key

    def send_room_key(self, device, key: dict) -> None:
        """`m.room_key` to one device over the Olm session nio already has with it."""
        session = self.client.olm.session_store.get(device.curve25519)
        if session is None:
            raise RuntimeError("no Olm session with that device yet: send a normal message first")
        content = self.client.olm._olm_encrypt(session, device, "m.room_key", key)
        self._put(f"/_matrix/client/v3/sendToDevice/m.room.encrypted/{uuid.uuid4().hex}",
                  {"messages": {device.user_id: {device.id: content}}})

    def _put(self, path: str, body: dict) -> dict:
        import urllib.request
        req = urllib.request.Request(self.client.homeserver + path, method="PUT", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {self.client.access_token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=15) as r:
            return json.loads(r.read())
