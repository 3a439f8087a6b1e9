"""From a Matrix message to a desktop notification: latency, content, coalescing, restarts."""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest

import herald_env as he

QUIET = 2.0  # seconds to wait for something that must NOT happen


def unique(text: str) -> str:
    """A message text no other test sends. No quotes, <, > or &: a body-markup server gets
    them escaped, and only test_body_markup_is_escaped is about that."""
    return f"{text} #{uuid.uuid4().hex[:8]}"


def with_text(records: list[dict], text: str) -> list[dict]:
    return [r for r in records if text in r["body"]]


def test_message_notified_within_2s(signed_in, recorder, figure):
    s = signed_in
    text = unique("Ordonnance de Mme Petit prête au comptoir")
    _, sent_at = s.synapse.send_text_timed(s.bob.token, s.room, text)
    n = recorder.wait_for_text(text, timeout=10)
    latency = n["t"] - sent_at
    figure(f"send → Notify (first message, direct chat): {latency * 1000:.1f} ms")
    assert latency < 2.0, f"{latency:.3f} s from send to Notify"

    assert n["app_name"] == "Herald"
    assert n["summary"] == "Dr Bob Durand"  # direct chat: the sender's display name
    assert n["replaces_id"] == 0
    assert n["hints"].get("category") == "im.received", n["hints"]
    assert n["hints"].get("desktop-entry") == "herald", n["hints"]
    assert n["app_icon"] == "herald", "the installed icon, by its theme name"
    time.sleep(0.5)
    assert len(with_text(recorder.notifies(), text)) == 1


def test_second_message_replaces_and_counts(signed_in, recorder, figure):
    s = signed_in
    first = unique("Le patient de 14 h est arrivé")
    s.synapse.send_text(s.bob.token, s.room, first)
    n1 = recorder.wait_for_text(first)
    assert n1["replaces_id"] == 0

    second = unique("Il attend en salle 2")
    _, sent_at = s.synapse.send_text_timed(s.bob.token, s.room, second)
    n2 = recorder.wait_for_text(second)
    figure(f"send → Notify (second message, replacing): {(n2['t'] - sent_at) * 1000:.1f} ms")
    assert n2["replaces_id"] == n1["id"], (n1, n2)
    assert "2 new messages" in n2["body"], n2["body"]
    assert n2["summary"] == "Dr Bob Durand"

    third = unique("Pouvez-vous le recevoir ?")
    s.synapse.send_text(s.bob.token, s.room, third)
    n3 = recorder.wait_for_text(third)
    assert n3["replaces_id"] == n1["id"], (n1, n3)
    assert "3 new messages" in n3["body"], n3["body"]


def test_named_room_summary(herald, synapse, users, recorder):
    room = synapse.create_room(users.bob.token, name="Comptoir", invite=[users.alice.user_id])
    synapse.join(users.alice.token, room)
    herald.sign_in(synapse.url, users.alice)
    text = unique("Rupture de stock amoxicilline")
    synapse.send_text(users.bob.token, room, text)
    n = recorder.wait_for_text(text)
    assert n["summary"] == "Dr Bob Durand (Comptoir)", n
    assert n["app_name"] == "Herald"


def test_a_room_marked_direct_in_another_client_is_titled_by_its_sender(herald, synapse, users, recorder):
    """m.direct changed elsewhere comes in an answer of its own, which names no room: the stored
    rooms must still learn it."""
    room = synapse.create_room(users.bob.token, name="Garde", invite=[users.alice.user_id])
    synapse.join(users.alice.token, room)
    herald.sign_in(synapse.url, users.alice)
    first = unique("Garde de nuit confirmée")
    synapse.send_text(users.bob.token, room, first)
    assert recorder.wait_for_text(first)["summary"] == "Dr Bob Durand (Garde)"

    before = herald.sync_cursor(users.alice.user_id)
    synapse.api("PUT", f"/_matrix/client/v3/user/{quote(users.alice.user_id)}/account_data/m.direct",
                users.alice.token, {users.bob.user_id: [room]})
    he.wait_until(lambda: herald.sync_cursor(users.alice.user_id) != before, 15, what="the m.direct answer committed")
    second = unique("Relève à 7 h")
    synapse.send_text(users.bob.token, room, second)
    n = recorder.wait_for_text(second)
    assert n["summary"] == "Dr Bob Durand", n


def test_body_markup_is_escaped(signed_in, recorder):
    s = signed_in
    tag = uuid.uuid4().hex[:8]
    s.synapse.send_text(s.bob.token, s.room, f"Dose <b>5 mg</b> & surveillance {tag}")
    n = recorder.wait_for_text(tag)
    assert "Dose &lt;b&gt;5 mg&lt;/b&gt; &amp; surveillance" in n["body"], n["body"]
    assert "<b>" not in n["body"]


@pytest.mark.capabilities("body", "actions")
def test_body_plain_without_markup_capability(signed_in, recorder):
    s = signed_in
    tag = uuid.uuid4().hex[:8]
    s.synapse.send_text(s.bob.token, s.room, f"Dose <b>5 mg</b> & surveillance {tag}")
    n = recorder.wait_for_text(tag)
    assert "Dose <b>5 mg</b> & surveillance" in n["body"], n["body"]


def test_first_sync_notifies_nothing(herald, synapse, users, dm, recorder):
    old = [unique("Message ancien"), unique("Encore un message ancien")]
    for text in old:
        synapse.send_text(users.bob.token, dm, text)
    herald.sign_in(synapse.url, users.alice)
    time.sleep(QUIET)
    assert recorder.notifies() == [], "the first sync of a new account must notify nothing"

    text = unique("Premier message après la connexion")
    synapse.send_text(users.bob.token, dm, text)
    n = recorder.wait_for_text(text)
    assert not any(o in n["body"] for o in old)


@pytest.mark.parametrize("how", ["sigkill", "sigterm"])
def test_restart_notifies_nothing_twice(signed_in, recorder, how):
    s, h = signed_in, signed_in.herald
    # Accounts start locked after a restart, and a locked account's notifications hide the text
    # this test looks for: previews "always" keep it (test_workstation tests the locked form).
    assert h.ctl("preview", "always", "alice")[0] == 0
    before = unique("Avant le redémarrage")
    s.synapse.send_text(s.bob.token, s.room, before)
    h.wait_notification_recorded(recorder.wait_for_text(before)["id"])
    if how == "sigkill":
        h.kill()
    else:
        assert h.terminate() == 0

    during = unique("Envoyé pendant que Herald était arrêté")
    s.synapse.send_text(s.bob.token, s.room, during)
    restarted_at = time.time()
    h.start()
    recorder.wait_for_text(during, since=restarted_at)

    after = unique("Après le redémarrage")
    s.synapse.send_text(s.bob.token, s.room, after)
    recorder.wait_for_text(after, since=restarted_at)
    time.sleep(QUIET)  # leave room for a duplicate to show up

    since_restart = recorder.notifies(since=restarted_at)
    assert with_text(since_restart, before) == [], "a message notified before the restart came again"
    assert len(with_text(recorder.notifies(), during)) == 1, recorder.notifies()
    assert len(with_text(recorder.notifies(), after)) == 1, recorder.notifies()


def test_notifications_off_and_on(signed_in, recorder):
    s, h = signed_in, signed_in.herald

    # per account
    rc, out, err = h.ctl("notifications", "off", "alice")
    assert rc == 0, (out, err)
    assert h.account(s.alice.user_id)["notifications"] is False
    muted = unique("Ne doit pas apparaître (compte)")
    h.wait_handled(s.synapse.send_text(s.bob.token, s.room, muted))
    assert with_text(recorder.notifies(), muted) == []
    assert h.ctl("notifications", "on", "alice")[0] == 0
    assert h.account(s.alice.user_id)["notifications"] is True
    shown = unique("Doit apparaître (compte)")
    s.synapse.send_text(s.bob.token, s.room, shown)
    recorder.wait_for_text(shown)

    # global
    assert h.ctl("notifications", "off")[0] == 0
    assert h.ctl_json("status")["notifications"] is False
    muted = unique("Ne doit pas apparaître (global)")
    h.wait_handled(s.synapse.send_text(s.bob.token, s.room, muted))
    assert with_text(recorder.notifies(), muted) == []
    assert h.ctl("notifications", "on")[0] == 0
    assert h.ctl_json("status")["notifications"] is True
    shown = unique("Doit apparaître (global)")
    s.synapse.send_text(s.bob.token, s.room, shown)
    recorder.wait_for_text(shown)


def test_own_messages_are_not_notified(signed_in, recorder):
    s = signed_in
    mine = unique("Écrit par Alice elle-même")
    s.synapse.send_text(s.alice.token, s.room, mine)
    theirs = unique("Réponse de Bob")
    s.synapse.send_text(s.bob.token, s.room, theirs)
    recorder.wait_for_text(theirs)
    # Alice's own message came first: shown at all, it would have shown by now.
    assert with_text(recorder.notifies(), mine) == []
