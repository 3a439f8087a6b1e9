"""Olm messages to Herald from two independent implementations, vodozemac and libolm (python-olm).

Reads Herald's public keys as JSON on stdin:
  {"identity_key", "ed25519_key", "user_id", "one_time_keys": {"vodozemac": [k…], "libolm": [k…]},
   "fallback_key", "previous_fallback_key"}
and prints, per library, the sender's Curve25519 key and the sessions below, each a list of
{"type", "body", "plaintext"} in sending order:
  payload     one-time key 0: 3 pre-key messages, the first a JSON payload naming Herald
  reuse       a second session on one-time key 0 (another base key): 1 pre-key message
  skipping    one-time key 1: 60 pre-key messages
  fallback    the fallback key: 2 pre-key messages
  previous_fallback  the fallback key before it: 1 pre-key message
  gap         one-time key 3: messages 0, 2001 and 2002 of 2003 (2001 is the furthest a receiver
              at index 1 may jump, vodozemac's MAX_MESSAGE_GAP = 2000; 2002 is one too far)
  normal      one-time key 2: 4 pre-key messages; then "inner" holds messages 1…3 as type-1
              messages (the normal message inside each pre-key message).

Herald never replies, so a sender never receives a ratchet key from it and keeps sending pre-key
messages on its first chain (spec: Alice sends pre-key messages until she receives a message
from Bob). A type-1 message Herald can ever decrypt is therefore exactly the normal message a
pre-key message carries. "inner_checked" says the same library, as the receiving side of a
session it set up with its own second account, decrypted those very inner messages as type 1.
"""
import base64
import json
import sys

import olm
import vodozemac


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def varint(data: bytes, i: int):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def inner_message(pre_key: bytes) -> bytes:
    """Field 4 (Message) of a pre-key message: version byte, then tag/length/value fields."""
    i = 1
    while i < len(pre_key):
        tag, i = varint(pre_key, i)
        if tag & 7 == 0:
            _, i = varint(pre_key, i)
            continue
        length, i = varint(pre_key, i)
        if tag >> 3 == 4:
            return pre_key[i:i + length]
        i += length
    raise ValueError("no message in the pre-key message")


class Vodozemac:
    name = "vodozemac"

    def __init__(self):
        self.account = vodozemac.Account()
        self.identity_key = self.account.curve25519_key.to_base64()
        self.ed25519_key = self.account.ed25519_key.to_base64()

    def session(self, identity_key: str, one_time_key: str):
        return self.account.create_outbound_session(
            vodozemac.Curve25519PublicKey.from_base64(identity_key),
            vodozemac.Curve25519PublicKey.from_base64(one_time_key))

    def encrypt(self, session, plaintext: str):
        kind, body = session.encrypt(plaintext.encode()).to_parts()
        return kind, b64(body)

    def inner_decrypts(self, count: int) -> bool:
        """A second vodozemac account as Bob: its session decrypts inner messages as type 1."""
        bob = vodozemac.Account()
        bob.generate_one_time_keys(1)
        otk = next(iter(bob.one_time_keys.values()))
        alice = self.account.create_outbound_session(bob.curve25519_key, otk)
        first = alice.encrypt(b"first")
        session, _ = bob.create_inbound_session(self.account.curve25519_key, first.to_pre_key())
        for i in range(count):
            kind, body = alice.encrypt(f"n{i}".encode()).to_parts()
            assert kind == 0
            inner = vodozemac.AnyOlmMessage.from_parts(1, inner_message(body))
            if session.decrypt(inner) != f"n{i}".encode():
                return False
        return True


class Libolm:
    name = "libolm"

    def __init__(self):
        self.account = olm.Account()
        self.identity_key = self.account.identity_keys["curve25519"]
        self.ed25519_key = self.account.identity_keys["ed25519"]

    def session(self, identity_key: str, one_time_key: str):
        return olm.OutboundSession(self.account, identity_key, one_time_key)

    def encrypt(self, session, plaintext: str):
        message = session.encrypt(plaintext)
        return message.message_type, message.ciphertext

    def inner_decrypts(self, count: int) -> bool:
        """A second libolm account as Bob: its session decrypts inner messages as type 1."""
        bob = olm.Account()
        bob.generate_one_time_keys(1)
        otk = next(iter(bob.one_time_keys["curve25519"].values()))
        alice = olm.OutboundSession(self.account, bob.identity_keys["curve25519"], otk)
        first = alice.encrypt("first")
        session = olm.InboundSession(bob, first, self.identity_key)
        for i in range(count):
            message = alice.encrypt(f"n{i}")
            assert message.message_type == 0
            inner = olm.OlmMessage(b64(inner_message(unb64(message.ciphertext))))
            if session.decrypt(inner) != f"n{i}":
                return False
        return True


def messages(lib, session, plaintexts):
    out = []
    for text in plaintexts:
        kind, body = lib.encrypt(session, text)
        out.append({"type": kind, "body": body, "plaintext": text})
    return out


def run(lib, keys):
    herald = keys["identity_key"]
    otks = keys["one_time_keys"][lib.name]
    payload = json.dumps({
        "type": "m.room_key", "content": {"algorithm": "m.megolm.v1.aes-sha2", "room_id": "!r:x"},
        "sender": "@alice:x", "recipient": keys["user_id"],
        "recipient_keys": {"ed25519": keys["ed25519_key"]}, "keys": {"ed25519": lib.ed25519_key},
    })
    sessions = {
        "payload": messages(lib, lib.session(herald, otks[0]), [payload, f"{lib.name} two", f"{lib.name} three"]),
        "reuse": messages(lib, lib.session(herald, otks[0]), [f"{lib.name} reuse"]),
        "skipping": messages(lib, lib.session(herald, otks[1]), [f"{lib.name} skip {i}" for i in range(60)]),
        "fallback": messages(lib, lib.session(herald, keys["fallback_key"]), [f"{lib.name} fallback {i}" for i in range(2)]),
        "previous_fallback": messages(lib, lib.session(herald, keys["previous_fallback_key"]), [f"{lib.name} previous"]),
        "normal": messages(lib, lib.session(herald, otks[2]), [f"{lib.name} normal {i}" for i in range(4)]),
    }
    gap = messages(lib, lib.session(herald, otks[3]), [f"{lib.name} gap {i}" for i in range(2003)])
    sessions["gap"] = [gap[0], gap[2001], gap[2002]]
    inner = [{"type": 1, "body": b64(inner_message(unb64(m["body"]))), "plaintext": m["plaintext"]}
             for m in sessions["normal"][1:]]
    return {"sender_key": lib.identity_key, "ed25519_key": lib.ed25519_key, "sessions": sessions,
            "inner": inner, "inner_checked": lib.inner_decrypts(3)}


def main():
    keys = json.load(sys.stdin)
    json.dump({lib.name: run(lib, keys) for lib in (Vodozemac(), Libolm())}, sys.stdout)


if __name__ == "__main__":
    main()
