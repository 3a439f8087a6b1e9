"""Megolm vectors for the Swift inbound-session tests, made at run time by the reference libraries.

For each of vodozemac (GroupSession) and libolm (python-olm's OutboundGroupSession) it creates an
outbound session, keeps its session key (version 2) at index 0 and at index 257, encrypts messages
at the indices below (crossing the R3/R2 reseed at 256 and the R1 reseed at 65536, up to 100,000),
exports the inbound session (version 1) at a few indices, and tampers with one message: a MAC byte
flipped, and the signature replaced by one from another Ed25519 key over the same bytes.

A third session, "spec", is built here from the Megolm specification with the `cryptography`
package, so that a message with a wrong MAC but a valid signature can be made; both libraries are
checked to accept its untampered messages and to refuse the tampered one.

Standard input is ignored. Standard output is one JSON object; see `main`.
"""

import base64
import json
import os
import sys

import olm
import vodozemac
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MESSAGE_INDICES = [0, 1, 2, 9, 255, 256, 257, 65535, 65536, 65537, 100000]
EXPORT_INDICES = [0, 1, 256, 257, 65536, 100000, 1 << 24]
LAST_INDEX = MESSAGE_INDICES[-1]
LATER_KEY_INDEX = 257


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def plaintext(index: int) -> str:
    body = {"body": f"message {index} – é ✓", "msgtype": "m.text"}
    if index == 2:
        body["body"] = "long " * 900  # several kilobytes: many CBC blocks
    return json.dumps({"type": "m.room.message", "content": body, "room_id": "!room:example.org"})


def tampered(message_b64: str, other_key: Ed25519PrivateKey) -> dict:
    raw = unb64(message_b64)
    flipped = bytearray(raw)
    flipped[-65] ^= 0x01  # last byte of the 8-byte MAC; the signature now covers other bytes
    resigned = raw[:-64] + other_key.sign(raw[:-64])
    return {"flipped_mac": b64(bytes(flipped)), "wrong_signature": b64(resigned)}


class Library:
    """The calls that differ between the two libraries."""

    def __init__(self, name):
        self.name = name
        self.outbound = vodozemac.GroupSession() if name == "vodozemac" else olm.OutboundGroupSession()

    def index(self) -> int:
        return self.outbound.message_index

    def session_key(self) -> str:
        if self.name == "vodozemac":
            return self.outbound.session_key.to_base64()
        return self.outbound.session_key

    def session_id(self) -> str:
        return self.outbound.session_id if self.name == "vodozemac" else self.outbound.id

    def encrypt(self, text: str) -> str:
        if self.name == "vodozemac":
            return self.outbound.encrypt(text.encode()).to_base64()
        return self.outbound.encrypt(text)

    def exports(self, session_key: str) -> dict:
        if self.name == "vodozemac":
            inbound = vodozemac.InboundGroupSession(vodozemac.SessionKey(session_key))
            return {str(i): inbound.export_at(i).to_base64() for i in EXPORT_INDICES}
        inbound = olm.InboundGroupSession(session_key)
        return {str(i): inbound.export_session(i) for i in EXPORT_INDICES}


def library_vectors(name: str, other_key: Ed25519PrivateKey) -> dict:
    lib = Library(name)
    session_key = lib.session_key()
    messages, later_key = [], None
    wanted = set(MESSAGE_INDICES)
    while lib.index() <= LAST_INDEX:
        i = lib.index()
        if i == LATER_KEY_INDEX:
            later_key = lib.session_key()
        if i in wanted:
            messages.append({"index": i, "ciphertext": lib.encrypt(plaintext(i)), "plaintext": plaintext(i)})
        else:
            lib.encrypt("")
    return {
        "session_id": lib.session_id(),
        "session_key": session_key,
        "session_key_at": {"index": LATER_KEY_INDEX, "key": later_key},
        "messages": messages,
        "exports": lib.exports(session_key),
        "tampered": tampered(messages[1]["ciphertext"], other_key),
    }


class SpecSession:
    """An outbound Megolm session written from the specification, to sign a message with a bad MAC."""

    def __init__(self):
        self.ratchet = [os.urandom(32) for _ in range(4)]
        self.index = 0
        self.key = Ed25519PrivateKey.generate()
        self.public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @staticmethod
    def hmac(key: bytes, data: bytes) -> bytes:
        h = hmac.HMAC(key, hashes.SHA256())
        h.update(data)
        return h.finalize()

    def advance(self):
        self.index += 1
        h = 0
        mask = 0x00FFFFFF
        while h < 4 and self.index & mask != 0:
            h += 1
            mask >>= 8
        h = min(h, 3)
        for k in range(3, h - 1, -1):
            self.ratchet[k] = self.hmac(self.ratchet[h], bytes([k]))

    def session_key(self) -> str:
        signed = bytes([2]) + self.index.to_bytes(4, "big") + b"".join(self.ratchet) + self.public
        return b64(signed + self.key.sign(signed))

    @staticmethod
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte = n & 0x7F
            n >>= 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def encrypt(self, text: str, corrupt_mac: bool = False) -> str:
        keys = HKDF(hashes.SHA256(), 80, salt=None, info=b"MEGOLM_KEYS").derive(b"".join(self.ratchet))
        padder = padding.PKCS7(128).padder()
        padded = padder.update(text.encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(keys[:32]), modes.CBC(keys[64:80])).encryptor()
        ciphertext = encryptor.update(padded) + encryptor.finalize()
        payload = bytes([3, 0x08]) + self.varint(self.index) + bytes([0x12]) + self.varint(len(ciphertext)) + ciphertext
        mac = bytearray(self.hmac(keys[32:64], payload)[:8])
        if corrupt_mac:
            mac[0] ^= 0x01
        signed = payload + bytes(mac)
        self.advance()
        return b64(signed + self.key.sign(signed))


def library_decrypts(session_key: str, ciphertext: str) -> dict:
    """What each library makes of a spec-built message: its plaintext, or None if refused."""
    out = {}
    vz = vodozemac.InboundGroupSession(vodozemac.SessionKey(session_key))
    try:
        out["vodozemac"] = vz.decrypt(vodozemac.MegolmMessage.from_base64(ciphertext)).plaintext.decode()
    except vodozemac.MegolmDecryptionException:
        out["vodozemac"] = None
    try:
        out["libolm"] = olm.InboundGroupSession(session_key).decrypt(ciphertext)[0]
    except olm.OlmGroupSessionError:
        out["libolm"] = None
    return out


def spec_vectors() -> dict:
    spec = SpecSession()
    session_key = spec.session_key()
    good = spec.encrypt(plaintext(0))
    bad_mac = spec.encrypt(plaintext(1), corrupt_mac=True)
    accepted = library_decrypts(session_key, good)
    refused = library_decrypts(session_key, bad_mac)
    if accepted != {"vodozemac": plaintext(0), "libolm": plaintext(0)}:
        sys.exit(f"a library did not decrypt the spec-built message: {accepted}")
    if refused != {"vodozemac": None, "libolm": None}:
        sys.exit(f"a library accepted the spec-built message with a wrong MAC: {refused}")
    return {
        "session_key": session_key,
        "message": {"index": 0, "ciphertext": good, "plaintext": plaintext(0)},
        "signed_bad_mac": {"index": 1, "ciphertext": bad_mac},
    }


def main():
    other_key = Ed25519PrivateKey.generate()
    print(json.dumps({
        "vodozemac": library_vectors("vodozemac", other_key),
        "libolm": library_vectors("libolm", other_key),
        "spec": spec_vectors(),
    }))


if __name__ == "__main__":
    main()
