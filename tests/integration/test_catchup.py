"""Catch-up without a storm (issue 5): a backlog over many rooms becomes a single summary, a
mention is urgent, a muted room stays quiet, and a room read elsewhere is withdrawn."""
import time
import urllib.parse

import herald_env as he


def _room_with(synapse, users, name):
    room = synapse.create_room(users.bob.token, name=name, invite=[users.alice.user_id])
    synapse.join(users.alice.token, room)
    return room


def test_backlog_over_ten_rooms_is_one_summary_with_the_right_count(herald, synapse, users, recorder, figure):
    rooms = [_room_with(synapse, users, f"Room {i}") for i in range(10)]
    herald.sign_in(synapse.url, users.alice)
    # Accounts start locked after a restart; with previews always on, the summary is the full one.
    herald.ctl_json("preview", "always", users.alice.user_id)
    assert herald.terminate(timeout=30) == 0
    before = len(recorder.notifies())
    for i in range(300):
        synapse.send_text(users.bob.token, rooms[i % 10], f"backlog {i}")
    started = time.time()
    herald.start(timeout=30)
    summary = recorder.wait_for_notify(lambda r: "conversations" in r["body"], timeout=60, since=started,
                                       what="the catch-up summary")
    assert summary["body"] == "300 new messages in 10 conversations", summary
    # One account's answers are handled in order: once a later message shows, anything the
    # backlog still had to show has shown.
    synapse.send_text(users.bob.token, rooms[0], "after the backlog")
    barrier = recorder.wait_for_text("after the backlog", timeout=30, since=started)
    after = [r for r in recorder.notifies()[before:] if r["t"] < barrier["t"]]
    figure(f"backlog of 300 messages in 10 rooms: summarised {summary['t'] - started:.2f} s after start, "
           f"{len(after)} Notify call(s)")
    assert len(after) <= 11, [r["body"] for r in after]
    assert "Dr Bob Durand" not in summary["summary"] + summary["body"]


def test_a_catch_up_counts_each_message_once(herald, synapse, users, recorder, figure):
    """The server's unread count runs from the user's last read receipt: it holds messages from
    before Herald signed in and the ones Herald already showed. After a restart with a gap, each
    message counts once: 300 in the gap plus the one already on screen, nothing from before."""
    rooms = [_room_with(synapse, users, f"Ward {i}") for i in range(10)]
    for room in rooms:
        synapse.send_text(users.bob.token, room, "sent before Herald signed in")
    herald.sign_in(synapse.url, users.alice)
    herald.ctl_json("preview", "always", users.alice.user_id)
    synapse.send_text(users.bob.token, rooms[0], "shown alone before the restart")
    shown = recorder.wait_for_text("shown alone before the restart", timeout=15)
    assert shown["body"] == "shown alone before the restart", shown
    herald.wait_notification_recorded(shown["id"])
    assert herald.terminate(timeout=30) == 0
    for i in range(300):
        synapse.send_text(users.bob.token, rooms[i % 10], f"gap {i}")
    started = time.time()
    herald.start(timeout=30)
    summary = recorder.wait_for_notify(lambda r: "conversations" in r["body"], timeout=60, since=started,
                                       what="the catch-up summary")
    figure(f"catch-up after a gap of 300 messages in 10 rooms (10 unread from before sign-in, 1 on screen): "
           f"{summary['body']!r}")
    assert summary["body"] == "301 new messages in 10 conversations", summary


def test_a_locked_catch_up_counts_each_message_once_in_the_discreet_notification(herald, synapse, users, recorder):
    """The same catch-up with the account locked by the restart: the preview left on screen
    becomes the discreet notification, and the catch-up counts into it, each message once."""
    rooms = [_room_with(synapse, users, f"Bay {i}") for i in range(10)]
    for room in rooms:
        synapse.send_text(users.bob.token, room, "sent before Herald signed in")
    herald.sign_in(synapse.url, users.alice)
    synapse.send_text(users.bob.token, rooms[0], "shown before the restart")
    shown = recorder.wait_for_text("shown before the restart", timeout=15)
    herald.wait_notification_recorded(shown["id"])
    assert herald.terminate(timeout=30) == 0
    for i in range(300):
        synapse.send_text(users.bob.token, rooms[i % 10], f"gap {i}")
    started = time.time()
    herald.start(timeout=30)
    expected = f"301 new messages for {users.alice.localpart}"
    counted = recorder.wait_for_notify(lambda r: r["body"] == expected, timeout=60, since=started,
                                       what=f"the discreet notification saying {expected!r}")
    assert counted["id"] == shown["id"], "the discreet notification replaces the preview left on screen"
    since_start = recorder.notifies(since=started)
    assert {r["id"] for r in since_start} == {shown["id"]}, since_start
    assert not any("gap " in r["body"] or "Dr Bob" in r["summary"] for r in since_start), since_start


def test_a_mention_is_urgent_and_a_muted_room_is_quiet(herald, synapse, users, recorder):
    loud = _room_with(synapse, users, "Front desk")
    muted = _room_with(synapse, users, "Chatter")
    synapse.api("PUT", f"/_matrix/client/v3/pushrules/global/room/{urllib.parse.quote(muted)}",
                token=users.alice.token, body={"actions": []})
    herald.sign_in(synapse.url, users.alice)
    synapse.send_text(users.bob.token, muted, "nobody needs to see this")
    synapse.api("PUT", f"/_matrix/client/v3/rooms/{urllib.parse.quote(loud)}/send/m.room.message/mention1",
                token=users.bob.token,
                body={"msgtype": "m.text", "body": "Alice, the lab results are in",
                      "m.mentions": {"user_ids": [users.alice.user_id]}})
    urgent = recorder.wait_for_text("lab results", timeout=15)
    assert urgent["hints"]["urgency"] == 2
    # The muted message came first: shown at all, it would have shown before the mention.
    assert not any("nobody needs" in r["body"] for r in recorder.notifies())


def test_reading_elsewhere_withdraws_the_notification_within_two_seconds(herald, synapse, users, dm, recorder, figure):
    herald.sign_in(synapse.url, users.alice)
    event = synapse.send_text(users.bob.token, dm, "please read me on your phone")
    shown = recorder.wait_for_text("read me on your phone", timeout=10)
    sent = time.time()
    synapse.api("POST", f"/_matrix/client/v3/rooms/{urllib.parse.quote(dm)}/receipt/m.read/{urllib.parse.quote(event)}",
                token=users.alice.token, body={})
    deadline = sent + 2.0
    while time.time() < deadline:
        closes = [r for r in recorder.records() if r["method"] == "CloseNotification" and r["id"] == shown["id"]]
        if closes:
            figure(f"read elsewhere → CloseNotification: {(closes[0]['t'] - sent) * 1000:.0f} ms")
            return
        time.sleep(0.05)
    raise AssertionError("the notification was not withdrawn within 2 s of the read receipt")


def test_french_texts_under_a_french_locale(bin_dir, bus, recorder, tmp_path, synapse, users, dm):
    import herald_env as he
    h = he.Herald(bin_dir, tmp_path / "herald-fr", bus.address, extra_env={"LANG": "fr_FR.UTF-8", "LC_ALL": "", "LANGUAGE": "", "LC_MESSAGES": ""})
    try:
        h.start()
        h.sign_in(synapse.url, users.alice)
        synapse.send_text(users.bob.token, dm, "premier")
        recorder.wait_for_text("premier", timeout=10)
        synapse.send_text(users.bob.token, dm, "second")
        second = recorder.wait_for_text("second", timeout=10)
        assert "2 nouveaux messages" in second["body"]
    finally:
        h.stop()


def _read_by_alice(synapse, users, room, event):
    """Whether Bob's client sees Alice's read receipt on ``event`` (receipts reach every member)."""
    # A filter of its own each time: Synapse answers identical initial syncs from a cache.
    filt = ('{"room":{"timeline":{"limit":1},"ephemeral":{"types":["m.receipt"]}},"presence":{"types":[]},'
            '"account_data":{"types":["x.nocache.%s"]}}' % time.monotonic_ns())
    res = synapse.api("GET", "/_matrix/client/v3/sync?filter=" + urllib.parse.quote(filt), token=users.bob.token)
    for e in res["rooms"]["join"].get(room, {}).get("ephemeral", {}).get("events", []):
        if e["type"] == "m.receipt" and users.alice.user_id in e["content"].get(event, {}).get("m.read", {}):
            return True
    return False


def test_mark_read_action_posts_the_receipt_and_withdraws(herald, synapse, users, dm, recorder):
    herald.sign_in(synapse.url, users.alice)
    event = synapse.send_text(users.bob.token, dm, "mark me from the popup")
    shown = recorder.wait_for_text("mark me from the popup", timeout=10)
    assert "mark-read" in shown["actions"] and "default" in shown["actions"]
    assert not _read_by_alice(synapse, users, dm, event)
    recorder.invoke_action(shown["id"], "mark-read")
    deadline = time.time() + 20
    while time.time() < deadline and not _read_by_alice(synapse, users, dm, event):
        time.sleep(0.2)
    assert _read_by_alice(synapse, users, dm, event), "the read receipt did not reach the server"
    deadline = time.time() + 15
    while time.time() < deadline:
        if any(r["method"] == "CloseNotification" and r["id"] == shown["id"] for r in recorder.records()):
            return
        time.sleep(0.05)
    raise AssertionError("the notification was not withdrawn after Mark as read")


def test_messages_wait_for_a_notification_server_and_show_once_it_is_back(herald, synapse, users, dm, recorder):
    herald.sign_in(synapse.url, users.alice)
    herald.ctl_json("preview", "always", users.alice.user_id)
    recorder.stop()
    synapse.send_text(users.bob.token, dm, "sent while no server ran")
    he.wait_until(lambda: "cannot show a notification" in herald.log_text(), 30,
                  what="heraldd to try, and fail, to show the message")
    recorder.start()
    shown = recorder.wait_for_notify(lambda r: "1 new message" in r["body"] or "sent while no server ran" in r["body"],
                                     timeout=30)
    assert shown["app_name"] == "Herald"


def test_an_invitation_is_notified_with_the_room_name(herald, synapse, users, recorder):
    herald.sign_in(synapse.url, users.alice)
    synapse.create_room(users.bob.token, name="Night shift", invite=[users.alice.user_id])
    shown = recorder.wait_for_text("Night shift", timeout=10)
    assert shown["summary"] == "Dr Bob Durand"
    assert shown["body"] == "Invited you to Night shift"


def test_an_edit_replaces_the_text_and_a_redaction_takes_it_away(herald, synapse, users, dm, recorder):
    herald.sign_in(synapse.url, users.alice)
    original = synapse.send_text(users.bob.token, dm, "meet at 10")
    first = recorder.wait_for_text("meet at 10", timeout=10)
    synapse.api("PUT", f"/_matrix/client/v3/rooms/{urllib.parse.quote(dm)}/send/m.room.message/edit1",
                token=users.bob.token,
                body={"msgtype": "m.text", "body": "* meet at 11",
                      "m.new_content": {"msgtype": "m.text", "body": "meet at 11"},
                      "m.relates_to": {"rel_type": "m.replace", "event_id": original}})
    edited = recorder.wait_for_text("meet at 11", timeout=10)
    assert edited["replaces_id"] == first["id"]
    assert "new messages" not in edited["body"], "an edit is not a new message"
    synapse.api("PUT", f"/_matrix/client/v3/rooms/{urllib.parse.quote(dm)}/redact/{urllib.parse.quote(original)}/r1",
                token=users.bob.token, body={})
    deadline = time.time() + 15
    while time.time() < deadline:
        if any(r["method"] == "CloseNotification" and r["id"] == first["id"] for r in recorder.records()):
            return
        time.sleep(0.05)
    raise AssertionError("the notification of a redacted message was not withdrawn")


FAKE_PINENTRY = """#!/bin/sh
# A stand-in for pinentry speaking just enough Assuan: every command OK, GETPIN answers the PIN.
echo "OK ready"
while read -r cmd rest; do
  case "$cmd" in
    GETPIN) echo "D 4826"; echo "OK" ;;
    BYE) echo "OK"; exit 0 ;;
    *) echo "OK" ;;
  esac
done
"""


def test_unlock_button_of_a_locked_notification_asks_pinentry(bin_dir, bus, recorder, tmp_path, synapse, users, dm):
    import os
    import herald_env as he
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "pinentry").write_text(FAKE_PINENTRY)
    (tools / "pinentry").chmod(0o755)
    h = he.Herald(bin_dir, tmp_path / "herald-pin", bus.address,
                  extra_env={"PATH": f"{tools}:{os.environ.get('PATH', '/usr/bin:/bin')}"})
    try:
        h.start()
        h.sign_in(synapse.url, users.alice)
        h.ctl_json("lock", users.alice.user_id)
        synapse.send_text(users.bob.token, dm, "for your eyes only")
        discreet = recorder.wait_for_notify(lambda r: "new message" in r["body"].lower(), timeout=10)
        assert discreet["actions"][:1] == ["unlock"], discreet["actions"]
        assert "for your eyes only" not in discreet["body"]
        recorder.invoke_action(discreet["id"], "unlock")
        deadline = time.time() + 10
        while time.time() < deadline:
            if h.account(users.alice.user_id)["locked"] is False:
                return
            time.sleep(0.1)
        raise AssertionError("the Unlock… button did not unlock the account")
    finally:
        h.stop()
