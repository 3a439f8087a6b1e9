"""The harness itself: Synapse helpers and the recording notification server (no heraldd needed)."""

from __future__ import annotations

import uuid

import pytest
from jeepney import DBusAddress, HeaderFields, MatchRule, new_method_call
from jeepney.bus_messages import message_bus

import herald_env as he


def notifications(conn, member, signature=None, body=()):
    msg = new_method_call(DBusAddress(he.NOTIFICATIONS_PATH, bus_name=he.NOTIFICATIONS_NAME,
                                      interface=he.NOTIFICATIONS_NAME), member, signature, body)
    return conn.send_and_get_reply(msg, timeout=5).body


def test_synapse_register_room_send(synapse, users):
    room = synapse.create_room(users.bob.token, invite=[users.alice.user_id], is_direct=True)
    assert synapse.join(users.alice.token, room) == room
    text = f"hello {uuid.uuid4().hex}"
    event_id = synapse.send_text(users.bob.token, room, text)
    assert event_id.startswith("$")
    sync = synapse.api("GET", "/_matrix/client/v3/sync?timeout=0", users.alice.token)
    timeline = sync["rooms"]["join"][room]["timeline"]["events"]
    assert [e["event_id"] for e in timeline if e.get("content", {}).get("body") == text] == [event_id]
    profile = synapse.api("GET", f"/_matrix/client/v3/profile/{users.bob.user_id}")
    assert profile["displayname"] == "Dr Bob Durand"


def test_synapse_login_and_wrong_password(synapse, users):
    user_id, token = synapse.login(users.alice.localpart, users.alice.password)
    assert user_id == users.alice.user_id and token.startswith("syt_")
    with pytest.raises(he.MatrixError) as err:
        synapse.login(users.alice.localpart, "not-the-password")
    assert err.value.status == 403 and err.value.errcode == "M_FORBIDDEN"


def test_synapse_rate_limits_relaxed(synapse, users):
    """Herald's tests log in and send a lot: 15 logins and 30 messages in a row must not get 429."""
    for _ in range(15):
        synapse.login(users.alice.localpart, users.alice.password)
    room = synapse.create_room(users.bob.token, name="burst")
    for i in range(30):
        synapse.send_text(users.bob.token, room, f"burst {i}")


def test_recorder_protocol(bus, recorder):
    with bus.connect() as conn:
        assert notifications(conn, "GetServerInformation") == ("herald-recorder", "herald", "1.0", "1.2")
        assert notifications(conn, "GetCapabilities") == (["body", "body-markup", "actions"],)

        hints = {"category": ("s", "im.received"), "desktop-entry": ("s", "herald"),
                 "urgency": ("y", 1), "nested": ("a{sv}", {"n": ("i", 5)})}
        args = ("Herald", 0, "", "Dr Bob Durand", "Bonjour &lt;3", ["default", "Open"], hints, -1)
        (first,) = notifications(conn, "Notify", "susssasa{sv}i", args)
        (second,) = notifications(conn, "Notify", "susssasa{sv}i", args)
        assert first >= 1 and second == first + 1
        replaced = notifications(conn, "Notify", "susssasa{sv}i", args[:1] + (first,) + args[2:])
        assert replaced == (first,)

        rule = MatchRule(type="signal", interface=he.NOTIFICATIONS_NAME)
        conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
        with conn.filter(rule, bufsize=10) as signals:
            notifications(conn, "CloseNotification", "u", (first,))
            closed = conn.recv_until_filtered(signals, timeout=5)
            assert closed.header.fields[HeaderFields.member] == "NotificationClosed"
            assert closed.body == (first, 3)
            recorder.invoke_action(second, "default")
            action = conn.recv_until_filtered(signals, timeout=5)
            assert action.body == (second, "default")
            recorder.close(second, 2)
            dismissed = conn.recv_until_filtered(signals, timeout=5)
            assert dismissed.body == (second, 2)

    notifies = recorder.notifies()
    assert [n["id"] for n in notifies] == [first, second, first]
    assert [n["replaces_id"] for n in notifies] == [0, 0, first]
    n = notifies[0]
    assert n["app_name"] == "Herald" and n["summary"] == "Dr Bob Durand" and n["body"] == "Bonjour &lt;3"
    assert n["actions"] == ["default", "Open"] and n["expire_timeout"] == -1
    assert n["hints"] == {"category": "im.received", "desktop-entry": "herald", "urgency": 1,
                          "nested": {"n": 5}}
    assert isinstance(n["t"], float)
    assert [r for r in recorder.records() if r["method"] == "CloseNotification"][0]["id"] == first


@pytest.mark.capabilities("body", "actions")
def test_recorder_capabilities_flag(bus, recorder):
    with bus.connect() as conn:
        assert notifications(conn, "GetCapabilities") == (["body", "actions"],)


def test_synapse_admin_and_sign_out_helpers(synapse, users):
    """What test_workstation does to end heraldd's session from elsewhere, each on a session of its own."""
    alice = users.alice
    own = set(synapse.devices(alice.token))

    _, token = synapse.login(alice.localpart, alice.password)
    device = synapse.whoami(token)["device_id"]
    assert device in synapse.admin_devices(alice.user_id)
    synapse.admin_delete_device(alice.user_id, device)
    with pytest.raises(he.MatrixError) as err:
        synapse.whoami(token)
    assert err.value.status == 401 and err.value.errcode == "M_UNKNOWN_TOKEN"

    _, token = synapse.login(alice.localpart, alice.password)
    synapse.change_password(alice, f"pw-{uuid.uuid4().hex}")  # logs every other session out
    with pytest.raises(he.MatrixError) as err:
        synapse.whoami(token)
    assert err.value.status == 401 and err.value.errcode == "M_UNKNOWN_TOKEN"
    assert set(synapse.devices(alice.token)) == own  # the changing session stays
    synapse.login(alice.localpart, alice.password)  # the new password works

    bob = users.bob
    _, token = synapse.login(bob.localpart, bob.password)
    synapse.admin_deactivate(bob.user_id)
    with pytest.raises(he.MatrixError) as err:
        synapse.whoami(token)
    assert err.value.status == 401 and err.value.errcode == "M_UNKNOWN_TOKEN"

    carol = he.new_user(synapse, "carol", "Carole Petit")
    synapse.logout_all(carol.token)
    with pytest.raises(he.MatrixError) as err:
        synapse.whoami(carol.token)
    assert err.value.status == 401


def test_synapse_with_short_lived_tokens(synapse_refresh):
    s = synapse_refresh
    alice = he.new_user(s, "alice", "Alice Martin")
    before = s.requests_logged("/refresh")
    login = s.api("POST", "/_matrix/client/v3/login", body={
        "type": "m.login.password", "identifier": {"type": "m.id.user", "user": alice.localpart},
        "password": alice.password, "refresh_token": True})
    assert login["refresh_token"] and 5_000 <= login["expires_in_ms"] <= 10_000, login
    refreshed = s.api("POST", "/_matrix/client/v3/refresh", body={"refresh_token": login["refresh_token"]})
    assert refreshed["access_token"] != login["access_token"]
    he.wait_until(lambda: s.requests_logged("/refresh") > before, 5, what="the refresh in Synapse's log")


def test_tcp_proxy_cut_and_restore(synapse):
    proxy = he.TcpProxy(synapse.port)
    try:
        assert synapse.http.get(proxy.url + "/_matrix/client/versions", timeout=5).ok
        proxy.cut()
        with pytest.raises(Exception):
            synapse.http.get(proxy.url + "/_matrix/client/versions", timeout=2)
        proxy.restore()
        assert synapse.http.get(proxy.url + "/_matrix/client/versions", timeout=5).ok
    finally:
        proxy.close()
