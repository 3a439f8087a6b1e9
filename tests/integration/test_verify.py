"""Verifying Herald's device with the user's recovery key (`heraldctl account verify`), against a
real Synapse: Alice's cross-signing, secret storage and key backup are set up here exactly as a
chat client does it, then Herald signs its own device and the chain it published is checked
with libolm's Ed25519 over canonicaljson."""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import canonicaljson
import olm
import pytest
import vodozemac

import herald_env as he
from nio_sender import NioSender

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crypto"))
import ssss_reference as ssss  # noqa: E402  (spec-built secret storage and recovery keys)

PASSPHRASE = "correct horse – é battery staple"
ITERATIONS = 1000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


class CrossSigning:
    """A user's cross-signing keys, secret storage and (optionally) key backup, made and stored
    as a client makes them: keys through /keys/device_signing/upload with the password stage of
    user-interactive auth, secrets encrypted under a passphrase-derived key in account data."""

    def __init__(self, synapse, user):
        self.synapse, self.user = synapse, user
        self.key_id = uuid.uuid4().hex
        self.salt = b64(os.urandom(24))
        self.key = hashlib.pbkdf2_hmac("sha512", PASSPHRASE.encode(), self.salt.encode(), ITERATIONS, 32)
        self.recovery_key = ssss.recovery_key(self.key)
        self.upload_keys()
        check = ssss.encrypt(self.key, "", bytes(32))
        self.put_account_data(f"m.secret_storage.key.{self.key_id}", {
            "algorithm": "m.secret_storage.v1.aes-hmac-sha2", "iv": check["iv"], "mac": check["mac"],
            "passphrase": {"algorithm": "m.pbkdf2", "salt": self.salt, "iterations": ITERATIONS}})
        self.put_account_data("m.secret_storage.default_key", {"key": self.key_id})

    def upload_keys(self) -> None:
        """New master, self-signing and user-signing keys (a first set-up or a reset), and their
        private halves in secret storage."""
        uid = self.user.user_id
        self.master_seed, self.ssk_seed, self.usk_seed = (olm.PkSigning.generate_seed() for _ in range(3))
        self.master, self.ssk, usk = (olm.PkSigning(s) for s in (self.master_seed, self.ssk_seed, self.usk_seed))

        def key(public: str, usage: str) -> dict:
            return {"user_id": uid, "usage": [usage], "keys": {f"ed25519:{public}": public}}

        def signed(obj: dict) -> dict:
            sig = self.master.sign(canonicaljson.encode_canonical_json(obj))
            return {**obj, "signatures": {uid: {f"ed25519:{self.master.public_key}": sig}}}

        body = {"master_key": key(self.master.public_key, "master"),
                "self_signing_key": signed(key(self.ssk.public_key, "self_signing")),
                "user_signing_key": signed(key(usk.public_key, "user_signing"))}
        path = "/_matrix/client/v3/keys/device_signing/upload"
        try:
            self.synapse.api("POST", path, self.user.token, body)
        except he.MatrixError as e:
            assert e.status == 401 and "session" in e.body, e  # user-interactive auth asks for the password
            body["auth"] = {"type": "m.login.password", "session": e.body["session"], "password": self.user.password,
                            "identifier": {"type": "m.id.user", "user": uid}}
            self.synapse.api("POST", path, self.user.token, body)
        for name, seed in (("master", self.master_seed), ("self_signing", self.ssk_seed), ("user_signing", self.usk_seed)):
            self.store_secret(f"m.cross_signing.{name}", base64.b64encode(seed))

    def set_up_backup(self) -> str:
        """A key backup (m.megolm_backup.v1.curve25519-aes-sha2) and its key in secret storage."""
        self.backup_secret = vodozemac.Curve25519SecretKey()
        self.backup_public = self.backup_secret.public_key().to_base64()
        self.backup_version = self.synapse.api("POST", "/_matrix/client/v3/room_keys/version", self.user.token, {
            "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
            "auth_data": {"public_key": self.backup_public}})["version"]
        self.store_secret("m.megolm_backup.v1", base64.b64encode(self.backup_secret.to_bytes()))
        return self.backup_version

    def back_up(self, room: str, session_id: str, session_key: str, sender_key: str, sender_ed25519: str) -> None:
        """One room key (as shared at index 0) into the backup, encrypted to its public key as a client does."""
        inbound = olm.InboundGroupSession(session_key)
        plaintext = {"algorithm": "m.megolm.v1.aes-sha2", "forwarding_curve25519_key_chain": [], "sender_key": sender_key,
                     "sender_claimed_keys": {"ed25519": sender_ed25519}, "session_key": inbound.export_session(0)}
        m = olm.PkEncryption(self.backup_public).encrypt(canonicaljson.encode_canonical_json(plaintext).decode())
        self.synapse.api(
            "PUT", f"/_matrix/client/v3/room_keys/keys/{quote(room, safe='')}/{quote(session_id, safe='')}"
                   f"?version={self.backup_version}", self.user.token,
            {"first_message_index": 0, "forwarded_count": 0, "is_verified": False,
             "session_data": {"ephemeral": m.ephemeral_key, "ciphertext": m.ciphertext, "mac": m.mac}})

    def store_secret(self, name: str, plaintext: bytes) -> None:
        self.put_account_data(name, {"encrypted": {self.key_id: ssss.encrypt(self.key, name, plaintext, padded=True)}})

    def put_account_data(self, kind: str, content: dict) -> None:
        self.synapse.api("PUT", f"/_matrix/client/v3/user/{quote(self.user.user_id)}/account_data/{kind}",
                         self.user.token, content)


def herald_device_keys(synapse, viewer, user) -> dict:
    """Herald's device of `user` as `viewer`'s client sees it (/keys/query)."""
    reply = synapse.api("POST", "/_matrix/client/v3/keys/query", viewer.token, {"device_keys": {user.user_id: []}})
    return reply


def verify(herald, account: str, secret: str, flag: str = "--recovery-key-stdin"):
    return herald.ctl("account", "verify", account, flag, input=secret + "\n", timeout=60)


def signed_in_with_device_keys(herald, synapse, user) -> str:
    device = herald.sign_in(synapse.url, user)["deviceId"]
    he.wait_until(lambda: device in herald_device_keys(synapse, user, user)["device_keys"].get(user.user_id, {}), 20,
                  interval=0.2, what="Herald's device keys on the server")
    return device


def check_chain(query: dict, user, device: str, master_public: str) -> None:
    """device ← self-signing ← master, each signature checked with libolm's Ed25519 over the
    canonical JSON of the object without its signatures and unsigned parts."""
    uid = user.user_id

    def verify_signature(obj: dict, signer: str) -> None:
        unsigned = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
        signature = obj["signatures"][uid][f"ed25519:{signer}"]
        olm.ed25519_verify(signer, canonicaljson.encode_canonical_json(unsigned), signature)  # raises when invalid

    master = query["master_keys"][uid]
    assert master["keys"] == {f"ed25519:{master_public}": master_public}
    ssk = query["self_signing_keys"][uid]
    (ssk_public,) = ssk["keys"].values()
    verify_signature(ssk, master_public)
    verify_signature(query["device_keys"][uid][device], ssk_public)


def assert_no_secret_left(herald, cs: CrossSigning, more: dict[str, bytes] | None = None) -> None:
    """No trace of the recovery key, the secret-storage key, the passphrase or the private
    self-signing key in the database, anywhere in the state directory, or in heraldd's log."""
    secrets = {
        "recovery key": cs.recovery_key.encode(),
        "recovery key without spaces": cs.recovery_key.replace(" ", "").encode(),
        "key bytes": cs.key,
        "key base64": b64(cs.key).encode(),
        "key padded base64": base64.b64encode(cs.key),
        "passphrase": PASSPHRASE.encode(),
        "self-signing seed": cs.ssk_seed,
        "self-signing seed base64": b64(cs.ssk_seed).encode(),
        **(more or {}),
    }
    files = [p for p in herald.state_home.rglob("*") if p.is_file()]
    assert any(p.name == "herald.db" for p in files), files
    for path in files + [Path(herald.log_path)]:
        data = path.read_bytes()
        for what, secret in secrets.items():
            assert secret not in data, f"{what} found in {path}"


def test_verify_with_the_recovery_key_publishes_a_valid_chain_and_leaves_no_secret(herald, synapse, users):
    cs = CrossSigning(synapse, users.alice)
    device = signed_in_with_device_keys(herald, synapse, users.alice)

    rc, out, err = verify(herald, users.alice.localpart, cs.recovery_key)
    assert rc == 0, (out, err)
    assert "Verified this device" in out

    check_chain(herald_device_keys(synapse, users.bob, users.alice), users.alice, device, cs.master.public_key)
    # And a forged chain fails the same check: it is not vacuous.
    forged = herald_device_keys(synapse, users.bob, users.alice)
    forged["device_keys"][users.alice.user_id][device]["keys"]["curve25519:" + device] = b64(os.urandom(32))
    with pytest.raises(olm.OlmVerifyError):
        check_chain(forged, users.alice, device, cs.master.public_key)

    assert_no_secret_left(herald, cs)


def test_the_passphrase_opens_it_too(herald, synapse, users):
    cs = CrossSigning(synapse, users.alice)
    device = signed_in_with_device_keys(herald, synapse, users.alice)
    rc, out, err = verify(herald, users.alice.localpart, PASSPHRASE, flag="--passphrase-stdin")
    assert rc == 0, (out, err)
    check_chain(herald_device_keys(synapse, users.bob, users.alice), users.alice, device, cs.master.public_key)
    assert_no_secret_left(herald, cs)


def test_a_wrong_key_a_typo_and_no_cross_signing_each_say_so(herald, synapse, users):
    cs = CrossSigning(synapse, users.alice)
    device = signed_in_with_device_keys(herald, synapse, users.alice)

    rc, out, err = verify(herald, users.alice.localpart, ssss.recovery_key(os.urandom(32)))
    assert rc == 1 and "that recovery key does not open this account's secret storage" in err, (rc, err)
    rc, _, err = verify(herald, users.alice.localpart, "wrong passphrase", flag="--passphrase-stdin")
    assert rc == 1 and "that passphrase does not open this account's secret storage" in err, (rc, err)

    # A bad check digit is caught by heraldctl: nothing reaches heraldd.
    calls_before = herald.log_text().count("VerifyDevice")
    assert calls_before == 2, "heraldd logs each refused call (without its secret)"
    rc, _, err = verify(herald, users.alice.localpart, ssss.recovery_key(cs.key, parity_flip=0x01))
    assert rc == 2 and "the recovery key has a typo: its check digit does not match" in err, (rc, err)
    rc, _, err = verify(herald, users.alice.localpart, cs.recovery_key.replace(" ", "")[:-1])
    assert rc == 2 and "has 47 characters" in err, (rc, err)
    assert herald.log_text().count("VerifyDevice") == calls_before

    query = herald_device_keys(synapse, users.bob, users.alice)
    assert f"ed25519:{cs.ssk.public_key}" not in query["device_keys"][users.alice.user_id][device].get("signatures", {}).get(
        users.alice.user_id, {}), "a refused verify signs nothing"

    carol = he.new_user(synapse, "carol", "Carol")
    signed_in_with_device_keys(herald, synapse, carol)
    rc, _, err = verify(herald, carol.localpart, ssss.recovery_key(os.urandom(32)))
    assert rc == 1 and "this account has no cross-signing: set it up in your chat client first" in err, (rc, err)


@pytest.fixture
def bob_nio(synapse, users, tmp_path):
    sender = NioSender(synapse.url, users.bob, tmp_path / "nio-bob")
    yield sender
    sender.close()


def send_encrypted(sender: NioSender, room: str, session: olm.OutboundGroupSession, text: str) -> None:
    """A message encrypted with `session`, whose key nobody is sent."""
    plaintext = {"type": "m.room.message", "content": {"msgtype": "m.text", "body": text}, "room_id": room}
    sender._put(f"/_matrix/client/v3/rooms/{quote(room, safe='')}/send/m.room.encrypted/{uuid.uuid4().hex}", {
        "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": session.encrypt(canonicaljson.encode_canonical_json(plaintext).decode()),
        "session_id": session.id, "sender_key": sender.client.olm.account.identity_keys["curve25519"],
        "device_id": sender.client.device_id})


def test_a_restarted_heraldd_knows_the_devices_trust_without_waiting_out_a_long_poll(herald, synapse, users):
    """The first request after a start does not wait: the device's trust, checked at the first
    answer, is known at once, not when a 45 s long poll with nothing new ends."""
    signed_in_with_device_keys(herald, synapse, users.alice)
    he.wait_until(lambda: herald.account(users.alice.user_id).get("verification") == "unverified", 20,
                  what="the device checked and found unverified")
    herald.restart()
    he.wait_until(lambda: herald.account(users.alice.user_id).get("verification") == "unverified", 20,
                  what="the trust checked after the restart, well before the 45 s long poll ends")


# Short polls: an answer every second looks in the backup again for the waiting message.
@pytest.mark.herald(args=["--poll-milliseconds", "1000"])
def test_a_message_whose_key_is_only_in_the_backup_is_shown_and_a_reset_revokes(herald, synapse, users, bob_nio, recorder):
    cs = CrossSigning(synapse, users.alice)
    version = cs.set_up_backup()
    room = bob_nio.create_room([users.alice.user_id], is_direct=True)
    synapse.join(users.alice.token, room)
    device = signed_in_with_device_keys(herald, synapse, users.alice)
    he.wait_until(lambda: herald.account(users.alice.user_id).get("verification") == "unverified", 20,
                  what="the device checked and found unverified")

    rc, out, err = verify(herald, users.alice.localpart, cs.recovery_key)
    assert rc == 0 and f"(version {version})" in out, (out, err)
    assert herald.account(users.alice.user_id)["verification"] == "verified"
    rc, out, _ = herald.ctl("account", "list")
    assert rc == 0 and "verified" in out and "unverified" not in out, out
    assert herald.database_rows("SELECT backupVersion FROM deviceVerification WHERE backupKey IS NOT NULL") == [(version,)]
    # The backup's private key is kept sealed: neither its bytes nor their base64 are in the clear.
    backup_key = cs.backup_secret.to_bytes()
    assert_no_secret_left(herald, cs, {"backup key": backup_key, "backup key base64": b64(backup_key).encode()})

    # Bob's message with a session whose key Herald never receives: only the backup holds it.
    session = olm.OutboundGroupSession()
    identity = bob_nio.client.olm.account.identity_keys
    cs.back_up(room, session.id, session.session_key, identity["curve25519"], identity["ed25519"])
    text = f"Seulement dans la sauvegarde #{uuid.uuid4().hex[:8]}"
    send_encrypted(bob_nio, room, session, text)
    recorder.wait_for_text(text, timeout=20)
    assert "room key read from the key backup" in herald.log_text()
    # Herald never writes to the backup: it still holds the one key put there.
    keys = synapse.api("GET", f"/_matrix/client/v3/room_keys/keys?version={version}", users.alice.token)
    assert list(keys["rooms"]) == [room] and list(keys["rooms"][room]["sessions"]) == [session.id]

    # A key the user's other device backs up only after the message came: the message waits,
    # shown as "Encrypted message", and the next answer finds its key in the backup.
    later = olm.OutboundGroupSession()
    later_key = later.session_key  # before the message moves it on
    late_text = f"Sauvegardée plus tard #{uuid.uuid4().hex[:8]}"
    since = time.time()
    send_encrypted(bob_nio, room, later, late_text)
    recorder.wait_for_notify(lambda r: "Encrypted message" in r["body"], since=since, timeout=20)
    cs.back_up(room, later.id, later_key, identity["curve25519"], identity["ed25519"])
    recorder.wait_for_text(late_text, timeout=20, since=since)

    # Cross-signing reset elsewhere: new keys that never signed Herald's device.
    cs.upload_keys()
    he.wait_until(lambda: herald.account(users.alice.user_id).get("verification") == "unverified", 30,
                  what="the device unverified after the reset")
    he.wait_until(lambda: not herald.database_rows("SELECT 1 FROM deviceVerification WHERE backupKey IS NOT NULL"), 10,
                  what="the backup key dropped")
    assert "the key backup's key is dropped" in herald.log_text()


def test_a_key_withheld_from_an_unverified_device_tells_the_user_once(herald, synapse, users, recorder):
    device = signed_in_with_device_keys(herald, synapse, users.alice)
    he.wait_until(lambda: herald.account(users.alice.user_id).get("verification") == "unverified", 20,
                  what="the device checked and found unverified")
    room = synapse.create_room(users.bob.token, invite=[users.alice.user_id], is_direct=True)
    synapse.join(users.alice.token, room)
    notice = (f"Messages for {users.alice.localpart} can't be read on this computer: "
              f"run heraldctl account verify {users.alice.localpart}")
    for n in (1, 2, 3):
        withheld = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": b64(os.urandom(32)),
                    "sender_key": b64(os.urandom(32)), "code": "m.unverified", "reason": "Device not verified"}
        synapse.api("PUT", f"/_matrix/client/v3/sendToDevice/m.room_key.withheld/{uuid.uuid4().hex}", users.bob.token,
                    {"messages": {users.alice.user_id: {device: withheld}}})
        he.wait_until(lambda: herald.log_text().count("room key withheld by its sender") >= n, 20,
                      what=f"withheld notice {n} read")
        if n == 1:
            recorder.wait_for_text(notice, timeout=10)
    # A message after the last notice: once it shows, every earlier answer has been handled.
    marker = f"after the notices #{uuid.uuid4().hex[:8]}"
    synapse.send_text(users.bob.token, room, marker)
    recorder.wait_for_text(marker, timeout=20)
    account = herald.account(users.alice.user_id)
    assert account["encryption"] and "m.unverified" in account["encryption"], account
    assert [r["body"] for r in recorder.notifies() if "can't be read on this computer" in r["body"]] == [notice]
    rc, out, _ = herald.ctl("status")
    assert rc == 0 and "unverified" in out and "Herald's device is not verified" in out, out


def test_account_add_on_a_terminal_offers_to_verify(herald, synapse, users):
    from test_sso import run_on_pty  # drives heraldctl on a pseudo-terminal

    cs = CrossSigning(synapse, users.alice)
    rc, transcript = run_on_pty(herald, ["account", "add", synapse.url, "--user", users.alice.localpart],
                                [("Password for", users.alice.password), ("Choose a 4-digit PIN", he.DEFAULT_PIN),
                                 ("Repeat the PIN", he.DEFAULT_PIN),
                                 ("Verify this device now with your recovery key? [Y/n]", ""),
                                 ("Recovery key for", cs.recovery_key)], timeout=90)
    assert rc == 0 and "Verified this device" in transcript, transcript
    assert cs.recovery_key not in transcript and cs.recovery_key.replace(" ", "") not in transcript, "echoed"
    account = herald.account(users.alice.user_id)
    assert account["verification"] == "verified", account
    query = herald_device_keys(synapse, users.bob, users.alice)
    check_chain(query, users.alice, account["deviceId"], cs.master.public_key)

    # Without cross-signing nothing is offered.
    carol = he.new_user(synapse, "carol", "Carol")
    rc, transcript = run_on_pty(herald, ["account", "add", synapse.url, "--user", carol.localpart],
                                [("Password for", carol.password), ("Choose a 4-digit PIN", he.DEFAULT_PIN),
                                 ("Repeat the PIN", he.DEFAULT_PIN)], timeout=90)
    assert rc == 0 and "Signed in as" in transcript and "Verify this device" not in transcript, transcript


def test_no_unverified_notice_while_the_accounts_notifications_are_off(herald, synapse, users, recorder):
    device = signed_in_with_device_keys(herald, synapse, users.alice)
    rc, out, err = herald.ctl("notifications", "off", users.alice.localpart)
    assert rc == 0, (out, err)
    room = synapse.create_room(users.bob.token, invite=[users.alice.user_id], is_direct=True)
    synapse.join(users.alice.token, room)
    for n in (1, 2):  # the second is read only once the first answer was handled to the end
        withheld = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": b64(os.urandom(32)),
                    "sender_key": b64(os.urandom(32)), "code": "m.unverified", "reason": "Device not verified"}
        synapse.api("PUT", f"/_matrix/client/v3/sendToDevice/m.room_key.withheld/{uuid.uuid4().hex}", users.bob.token,
                    {"messages": {users.alice.user_id: {device: withheld}}})
        he.wait_until(lambda: herald.log_text().count("room key withheld by its sender") >= n, 20,
                      what=f"withheld notice {n} read")
    assert "m.unverified" in (herald.account(users.alice.user_id)["encryption"] or "")
    assert not [r for r in recorder.notifies() if "can't be read on this computer" in r["body"]]
