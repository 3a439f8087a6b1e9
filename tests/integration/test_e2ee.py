"""Encrypted rooms end to end: Bob's matrix-nio client (libolm) encrypts, Herald decrypts and
shows the text, with mentions urgent, late keys filled in, restarts and logout."""

from __future__ import annotations

import time
import uuid

import pytest

import herald_env as he
from nio_sender import NioSender

CRYPTO_TABLES = ("olmAccount", "olmSession", "groupSession", "awaitingKey", "keyWithheld")


def unique(text: str) -> str:
    return f"{text} #{uuid.uuid4().hex[:8]}"


@pytest.fixture
def bob_nio(synapse, users, tmp_path):
    sender = NioSender(synapse.url, users.bob, tmp_path / "nio-bob")
    yield sender
    sender.close()


def encrypted_dm(synapse, users, bob_nio) -> str:
    room = bob_nio.create_room([users.alice.user_id], is_direct=True)
    synapse.join(users.alice.token, room)
    return room


def wait_for_herald_device(bob_nio, users):
    return he.wait_until(lambda: bob_nio.herald_device(users.alice.user_id), 15, interval=0.5,
                         what="Herald's device keys to be listed for alice")


def encrypted_dm_signed_in(herald, synapse, users, bob_nio, recorder, first_text: str):
    """An encrypted DM, alice signed in, and one message from bob decrypted: Olm and Megolm
    sessions are set up."""
    room = encrypted_dm(synapse, users, bob_nio)
    herald.sign_in(synapse.url, users.alice)
    device = wait_for_herald_device(bob_nio, users)
    text = unique(first_text)
    bob_nio.send(room, text)
    recorder.wait_for_text(text, timeout=15)
    return room, device


def sealed_blobs(herald) -> list[bytes]:
    return [row[0] for t in ("olmAccount", "olmSession", "groupSession")
            for row in herald.database_rows(f"SELECT pickle FROM {t}")]


def crypto_rows(herald, user_id: str) -> dict[str, int]:
    return {t: herald.database_rows(f"SELECT COUNT(*) FROM {t} WHERE userID = ?", user_id)[0][0]
            for t in CRYPTO_TABLES}


def test_encrypted_dm_shows_the_text_and_a_mention_is_urgent(herald, synapse, users, bob_nio, recorder):
    room = encrypted_dm(synapse, users, bob_nio)
    herald.sign_in(synapse.url, users.alice)
    device = wait_for_herald_device(bob_nio, users)
    assert device.ed25519 and device.curve25519, "Herald uploaded signed device keys that nio accepted"

    text = unique("Le résultat de la prise de sang est normal")
    bob_nio.send(room, text)
    n = recorder.wait_for_text(text, timeout=15)
    assert n["summary"] == "Dr Bob Durand"
    assert n["hints"].get("urgency") != 2

    mention = unique("Alice, pouvez-vous rappeler le patient")
    bob_nio.send(room, mention, mentions=[users.alice.user_id])
    urgent = recorder.wait_for_text(mention, timeout=15)
    assert urgent["hints"]["urgency"] == 2, urgent
    assert not any("Encrypted message" in r["body"] for r in recorder.notifies())
    rows = crypto_rows(herald, users.alice.user_id)
    assert rows["olmAccount"] == 1 and rows["olmSession"] >= 1 and rows["groupSession"] >= 1, rows


def test_encrypted_group_room_shows_the_text(herald, synapse, users, bob_nio, recorder):
    room = bob_nio.create_room([users.alice.user_id], name="Pharmacie")
    synapse.join(users.alice.token, room)
    herald.sign_in(synapse.url, users.alice)
    wait_for_herald_device(bob_nio, users)
    text = unique("Livraison de vaccins à 15 h")
    bob_nio.send(room, text)
    n = recorder.wait_for_text(text, timeout=15)
    assert n["summary"] == "Dr Bob Durand (Pharmacie)", n


def test_a_late_key_replaces_encrypted_message_in_the_same_notification(herald, synapse, users, bob_nio, recorder):
    room, device = encrypted_dm_signed_in(herald, synapse, users, bob_nio, recorder, "Premier message")

    late = unique("Le texte arrive avant sa clé")
    since = time.time()
    _, key = bob_nio.send_keyless(room, late)
    locked = recorder.wait_for_notify(lambda r: r["t"] >= since and "Encrypted message" in r["body"], timeout=15)
    bob_nio.send_room_key(device, key)
    filled = recorder.wait_for_text(late, timeout=15, since=since)
    assert filled["replaces_id"] == locked["id"], (locked, filled)


def test_after_sigkill_and_restart_later_messages_still_decrypt(herald, synapse, users, bob_nio, recorder):
    room, _ = encrypted_dm_signed_in(herald, synapse, users, bob_nio, recorder, "Avant le redémarrage")

    herald.kill()
    herald.start()  # every account starts locked
    after = unique("Après le redémarrage")
    since = time.time()
    bob_nio.send(room, after)
    # The notification left by the first run stands for one message; the new one makes two.
    recorder.wait_for_notify(lambda r: r["summary"] == "Herald" and r["body"].startswith("2 new messages for"), timeout=15)
    assert not any(after in r["body"] for r in recorder.notifies()), "a locked account shows no text"
    # Unlocking fetches the latest message again and decrypts it with the stored session.
    herald.unlock(users.alice.user_id)
    recorder.wait_for_text(after, timeout=15, since=since)

    later = unique("Et encore un")
    bob_nio.send(room, later)
    recorder.wait_for_text(later, timeout=15)


def test_an_encrypted_edit_replaces_the_text(herald, synapse, users, bob_nio, recorder):
    room, _ = encrypted_dm_signed_in(herald, synapse, users, bob_nio, recorder, "Bonjour")
    original = unique("Rendez-vous à 10 h")
    event_id = bob_nio.send(room, original)
    first = recorder.wait_for_text(original, timeout=15)
    edited = unique("Rendez-vous à 11 h")
    bob_nio.send_content(room, {"msgtype": "m.text", "body": f"* {edited}",
                                "m.new_content": {"msgtype": "m.text", "body": edited},
                                "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}})
    shown = recorder.wait_for_text(edited, timeout=15)
    assert shown["replaces_id"] == first["id"], (first, shown)
    assert not shown["body"].startswith("*"), shown["body"]


@pytest.mark.herald(env={"HERALD_TEST_DIE_BEFORE_CRYPTO_COMMIT": "1"})
def test_a_crash_between_one_time_key_use_and_commit_loses_nothing(herald, synapse, users, bob_nio, recorder):
    room = encrypted_dm(synapse, users, bob_nio)
    herald.sign_in(synapse.url, users.alice)
    wait_for_herald_device(bob_nio, users)
    text = unique("Message du pré-key")
    bob_nio.send(room, text)
    # The pre-key message used a one-time key: the daemon dies before that answer is stored.
    he.wait_until(lambda: not herald.running(), 15, what="heraldd to die before the commit")
    assert herald.proc.returncode == -9, herald.proc.returncode
    rows = crypto_rows(herald, users.alice.user_id)
    assert rows["olmSession"] == 0 and rows["groupSession"] == 0, rows
    herald.proc = None

    del herald.env["HERALD_TEST_DIE_BEFORE_CRYPTO_COMMIT"]
    herald.start()
    herald.unlock(users.alice.user_id)
    # The server sends the to-device message again; the stored account still has the key.
    recorder.wait_for_text(text, timeout=20)
    rows = crypto_rows(herald, users.alice.user_id)
    assert rows["olmSession"] == 1 and rows["groupSession"] == 1, rows


def test_logout_leaves_no_key_material(herald, synapse, users, bob_nio, recorder):
    encrypted_dm_signed_in(herald, synapse, users, bob_nio, recorder, "Avant la déconnexion")
    assert sum(crypto_rows(herald, users.alice.user_id).values()) >= 3
    sealed = sealed_blobs(herald)
    assert len(sealed) >= 3 and all(len(b) > 60 for b in sealed)

    herald.ctl_json("logout", users.alice.user_id)
    assert crypto_rows(herald, users.alice.user_id) == {t: 0 for t in CRYPTO_TABLES}
    # Not even the sealed pickles are left in the database, its WAL, or any other file.
    for path in (herald.state_home / "herald").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for blob in sealed:
                assert blob[-32:] not in data, f"a sealed pickle is still in {path}"


def test_a_withheld_key_is_explained_and_a_key_sent_in_the_clear_is_refused(herald, synapse, users, bob_nio, recorder):
    room, device = encrypted_dm_signed_in(herald, synapse, users, bob_nio, recorder, "Bonjour")
    since = time.time()
    _, key = bob_nio.send_keyless(room, unique("Clé envoyée en clair"))
    recorder.wait_for_notify(lambda r: r["t"] >= since and "Encrypted message" in r["body"], timeout=15)

    # The right key, but not through Olm: anyone could have sent it, so it is refused.
    bob_nio._put(f"/_matrix/client/v3/sendToDevice/m.room_key/{uuid.uuid4().hex}",
                 {"messages": {users.alice.user_id: {device.id: key}}})
    withheld = {"algorithm": "m.megolm.v1.aes-sha2", "room_id": room, "session_id": key["session_id"],
                "sender_key": bob_nio.client.olm.account.identity_keys["curve25519"], "code": "m.unverified",
                "reason": "Device not verified"}
    bob_nio._put(f"/_matrix/client/v3/sendToDevice/m.room_key.withheld/{uuid.uuid4().hex}",
                 {"messages": {users.alice.user_id: {device.id: withheld}}})

    account = he.wait_until(lambda: (a := herald.account(users.alice.user_id)) and a.get("encryption") and a, 15,
                            what="the withheld key in account list")
    assert account["encryption"].startswith(f"messages from {users.bob.user_id} cannot be read"), account
    assert "m.unverified" in account["encryption"]
    rc, out, _ = herald.ctl("status")
    assert rc == 0 and "Herald's device is not verified" in out, out
    assert "refused a room key sent without encryption" in herald.log_text()
    assert not any("Clé envoyée en clair" in r["body"] for r in recorder.notifies())


def claim(synapse, users, device_id: str) -> dict:
    """One key of Herald's device, as a sender claims it (`POST /keys/claim`)."""
    reply = synapse.api("POST", "/_matrix/client/v3/keys/claim", users.bob.token,
                        {"one_time_keys": {users.alice.user_id: {device_id: "signed_curve25519"}}})
    keys = reply["one_time_keys"][users.alice.user_id][device_id]
    assert len(keys) == 1, reply
    return next(iter(keys.values()))


@pytest.mark.herald(args=["--poll-milliseconds", "1000"])
def test_one_time_keys_are_topped_up_and_a_used_fallback_key_is_replaced(herald, synapse, users, recorder):
    account = herald.sign_in(synapse.url, users.alice)
    device = account["deviceId"]
    he.wait_until(lambda: "uploaded 50 one-time keys and a fallback key" in herald.log_text(), 15, what="the first upload")

    # Senders take 30 of the 50: below half, Herald uploads more.
    claimed = [claim(synapse, users, device) for _ in range(30)]
    assert not any(k.get("fallback") for k in claimed)
    he.wait_until(lambda: "uploaded 30 one-time keys" in herald.log_text(), 15, what="the top-up")
    log = herald.log_text()
    assert log.count("uploaded") == 2 and log.count("and a fallback key") == 1, "no upload beyond the need"
    more = [claim(synapse, users, device) for _ in range(45)]
    assert not any(k.get("fallback") for k in more), "75 claims, all one-time keys: the server was restocked"

    # Once the one-time keys run out the server hands out the fallback key; Herald makes a new one.
    keys = [claim(synapse, users, device) for _ in range(60)]
    fallbacks = {k["key"] for k in keys if k.get("fallback")}
    assert fallbacks, "the one-time keys ran out at some point"
    he.wait_until(lambda: herald.log_text().count("and a fallback key") >= 2, 15, what="a new fallback key")
