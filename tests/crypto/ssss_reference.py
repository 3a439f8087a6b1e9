"""Vectors for the Swift tests of recovery keys, secret storage, cross-signing and key backup,
made at run time.

No library on PyPI implements secret storage (`m.secret_storage.v1.aes-hmac-sha2`) or the
recovery-key encoding, so those parts are built here from the specification with Python's own
integers (base58), `hashlib` (PBKDF2-HMAC-SHA-512) and `cryptography` (HKDF, AES-CTR, HMAC).
Cross-signing keys and their signatures come from python-olm (`PkSigning`, libolm) over
`canonicaljson`; key-backup ciphertexts from python-olm's `PkEncryption` and vodozemac's
`PkEncryption`, holding a Megolm session exported by python-olm, whose messages are included.

Standard input is ignored. Standard output is one JSON object; see `main`.
"""

import base64
import hashlib
import json
import os
import sys

import canonicaljson
import olm
import vodozemac
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
USER = "@alice:example.org"
KEY_ID = "Rk9lBmGxPZ2YHE1Yl4nA3vLsTi8wUq0e"
PASSPHRASE = "correct horse – é battery staple"
ITERATIONS = 1000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def padded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def base58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, digit = divmod(n, 58)
        out = ALPHABET[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def recovery_key(key: bytes, prefix: bytes = b"\x8b\x01", parity_flip: int = 0) -> str:
    body = prefix + key
    parity = 0
    for byte in body:
        parity ^= byte
    text = base58(body + bytes([parity ^ parity_flip]))
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def parity_of(text: str) -> int:
    n = 0
    for c in text:
        n = n * 58 + ALPHABET.index(c)
    parity = 0
    for byte in n.to_bytes(35, "big"):
        parity ^= byte
    return parity


def subkeys(key: bytes, name: str):
    both = HKDF(algorithm=hashes.SHA256(), length=64, salt=bytes(32), info=name.encode()).derive(key)
    return both[:32], both[32:]


def encrypt(key: bytes, name: str, plaintext: bytes, padded: bool = False) -> dict:
    aes_key, mac_key = subkeys(key, name)
    iv = bytearray(os.urandom(16))
    iv[8] &= 0x7F
    encryptor = Cipher(algorithms.AES(aes_key), modes.CTR(bytes(iv))).encryptor()
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    h = hmac.HMAC(mac_key, hashes.SHA256())
    h.update(ciphertext)
    mac = h.finalize()
    enc = padded_b64 if padded else b64
    return {"iv": enc(bytes(iv)), "ciphertext": enc(ciphertext), "mac": enc(mac)}


def signed(obj: dict, signer: olm.PkSigning, signer_public: str) -> dict:
    out = dict(obj)
    out["signatures"] = {USER: {"ed25519:" + signer_public: signer.sign(canonicaljson.encode_canonical_json(obj))}}
    return out


def cross_signing_key(public: str, usage: str) -> dict:
    return {"user_id": USER, "usage": [usage], "keys": {"ed25519:" + public: public}}


def recovery_vectors():
    keys = []
    for i in range(24):
        raw = os.urandom(32) if i else bytes(32)  # the all-zero key too
        keys.append({"key": b64(raw), "text": recovery_key(raw)})
    raw = os.urandom(32)
    good = recovery_key(raw)
    compact = good.replace(" ", "")
    # A mistyped character in the middle: another base58 digit at the same place, chosen so that
    # the parity byte no longer matches (one substitution in 256 would keep it by chance).
    position = 30
    for step in range(1, 58):
        other = ALPHABET[(ALPHABET.index(compact[position]) + step) % 58]
        mistyped = compact[:position] + other + compact[position + 1:]
        if parity_of(mistyped) != 0:
            break
    return {
        "keys": keys,
        "good": {"key": b64(raw), "text": good},
        "typos": {
            "bad_character": compact[:13] + "0" + compact[14:],
            "dropped": compact[:20] + compact[21:],
            "doubled": compact[:20] + compact[20] + compact[20:],
            "bad_parity": recovery_key(raw, parity_flip=0x01),
            "mistyped": mistyped,
            "wrong_prefix": recovery_key(raw, prefix=b"\x8b\x02"),
        },
    }


def storage_vectors(ssk_seed: bytes, master_seed: bytes, backup_key: bytes):
    salt = b64(os.urandom(24))
    key = hashlib.pbkdf2_hmac("sha512", PASSPHRASE.encode(), salt.encode(), ITERATIONS, 32)
    check = encrypt(key, "", bytes(32))
    description = {"algorithm": "m.secret_storage.v1.aes-hmac-sha2", "iv": check["iv"], "mac": check["mac"],
                   "passphrase": {"algorithm": "m.pbkdf2", "salt": salt, "iterations": ITERATIONS}}
    secrets = {
        "m.cross_signing.self_signing": {"encrypted": {KEY_ID: encrypt(key, "m.cross_signing.self_signing", padded_b64(ssk_seed).encode(), padded=True)}},
        "m.cross_signing.master": {"encrypted": {KEY_ID: encrypt(key, "m.cross_signing.master", b64(master_seed).encode())}},
        "m.megolm_backup.v1": {"encrypted": {KEY_ID: encrypt(key, "m.megolm_backup.v1", padded_b64(backup_key).encode())}},
    }
    tampered = json.loads(json.dumps(secrets["m.cross_signing.self_signing"]))
    entry = tampered["encrypted"][KEY_ID]
    ct = bytearray(base64.b64decode(entry["ciphertext"]))
    ct[5] ^= 0x01
    entry["ciphertext"] = padded_b64(bytes(ct))
    # The same secret encrypted under the wrong name: its MAC key differs.
    misnamed = {"encrypted": {KEY_ID: encrypt(key, "m.cross_signing.master", padded_b64(ssk_seed).encode())}}
    return {
        "key_id": KEY_ID,
        "description": description,
        "recovery_key": recovery_key(key),
        "wrong_recovery_key": recovery_key(os.urandom(32)),
        "passphrase": PASSPHRASE,
        "secrets": secrets,
        "tampered_self_signing": tampered,
        "misnamed_self_signing": misnamed,
    }


def cross_signing_vectors(master: olm.PkSigning, ssk: olm.PkSigning, other: olm.PkSigning):
    master_key = cross_signing_key(master.public_key, "master")
    ssk_key = cross_signing_key(ssk.public_key, "self_signing")
    other_ssk = cross_signing_key(other.public_key, "self_signing")
    return {
        "user_id": USER,
        "master_public": master.public_key,
        "self_signing_public": ssk.public_key,
        "keys_query": {"master_keys": {USER: master_key},
                       "self_signing_keys": {USER: signed(ssk_key, master, master.public_key)}},
        # The self-signing key signed by another key under the master key's ID.
        "keys_query_not_signed_by_master": {"master_keys": {USER: master_key},
                                            "self_signing_keys": {USER: {**ssk_key, "signatures": {USER: {
                                                "ed25519:" + master.public_key: other.sign(canonicaljson.encode_canonical_json(ssk_key))}}}}},
        # A properly signed, different self-signing key: cross-signing reset since the secret was stored.
        "keys_query_other_self_signing": {"master_keys": {USER: master_key},
                                          "self_signing_keys": {USER: signed(other_ssk, master, master.public_key)}},
        "keys_query_none": {"master_keys": {}, "self_signing_keys": {}, "device_keys": {USER: {}}},
    }


def backup_vectors(backup_secret: vodozemac.Curve25519SecretKey):
    public = backup_secret.public_key().to_base64()
    outbound = olm.OutboundGroupSession()
    inbound = olm.InboundGroupSession(outbound.session_key)
    messages = []
    for i in range(3):
        text = json.dumps({"type": "m.room.message", "content": {"msgtype": "m.text", "body": f"from backup {i} ✓"},
                           "room_id": "!room:example.org"})
        messages.append({"index": i, "plaintext": text, "ciphertext": outbound.encrypt(text)})
    sender_key, claimed = b64(os.urandom(32)), b64(os.urandom(32))
    session_data = json.dumps({
        "algorithm": "m.megolm.v1.aes-sha2", "forwarding_curve25519_key_chain": [],
        "sender_key": sender_key, "sender_claimed_keys": {"ed25519": claimed},
        "session_key": inbound.export_session(0),
    })
    by_libolm = olm.PkEncryption(public).encrypt(session_data)
    libolm = {"ephemeral": by_libolm.ephemeral_key, "ciphertext": by_libolm.ciphertext, "mac": by_libolm.mac}
    by_vodozemac = vodozemac.PkEncryption.from_key(backup_secret.public_key()).encrypt(session_data.encode())
    vodo = {"ephemeral": b64(by_vodozemac.ephemeral_key), "ciphertext": b64(by_vodozemac.ciphertext), "mac": b64(by_vodozemac.mac)}
    # Both decrypt with vodozemac's PkDecryption: the vectors are what the libraries agree on.
    decryption = vodozemac.PkDecryption.from_key(backup_secret)
    assert decryption.decrypt(by_vodozemac).decode() == session_data
    bad_mac = dict(libolm)
    mac = bytearray(base64.b64decode(libolm["mac"] + "=" * (-len(libolm["mac"]) % 4)))
    mac[0] ^= 0x01
    bad_mac["mac"] = b64(bytes(mac))
    version = {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "version": "1", "count": 1, "etag": "1",
               "auth_data": {"public_key": public, "signatures": {}}}
    other = {**version, "auth_data": {"public_key": vodozemac.Curve25519SecretKey().public_key().to_base64(), "signatures": {}}}
    return {
        "version": version,
        "other_version": other,
        "session_id": outbound.id,
        "sender_key": sender_key,
        "claimed_ed25519": claimed,
        "libolm": {"first_message_index": 0, "forwarded_count": 0, "is_verified": False, "session_data": libolm},
        "vodozemac": {"first_message_index": 0, "forwarded_count": 0, "is_verified": False, "session_data": vodo},
        "bad_mac": {"first_message_index": 0, "forwarded_count": 0, "is_verified": False, "session_data": bad_mac},
        "messages": messages,
    }


def main():
    master_seed, ssk_seed = olm.PkSigning.generate_seed(), olm.PkSigning.generate_seed()
    master, ssk, other = olm.PkSigning(master_seed), olm.PkSigning(ssk_seed), olm.PkSigning(olm.PkSigning.generate_seed())
    backup_secret = vodozemac.Curve25519SecretKey()
    json.dump({
        "recovery": recovery_vectors(),
        "storage": storage_vectors(ssk_seed, master_seed, backup_secret.to_bytes()),
        "cross_signing": cross_signing_vectors(master, ssk, other),
        "backup": backup_vectors(backup_secret),
    }, sys.stdout)


if __name__ == "__main__":
    main()
