"""The desktop around Herald (issue 3): the token key kept by a real Secret Service
(gnome-keyring), and every account locking when the screen saver starts."""
import glob
import os
import threading
import time

import herald_env as he
from gnome_keyring import start_unlocked_keyring


def test_token_key_in_gnome_keyring_when_a_secret_service_runs(bin_dir, bus, recorder, tmp_path, synapse, users, dm):
    keyring = start_unlocked_keyring(bus, tmp_path / "keyring")
    h = he.Herald(bin_dir, tmp_path / "herald-keyring", bus.address)
    try:
        h.start()
        status = h.ctl_json("status")
        assert status["secrets"] == "secret-service"
        h.sign_in(synapse.url, users.alice)
        synapse.send_text(users.bob.token, dm, "sealed with the keyring's key")
        recorder.wait_for_text("sealed with the keyring's key", timeout=10)
        assert not glob.glob(str(h.state_home / "herald" / "token.key")), "no key file when the keyring keeps the key"
    finally:
        h.stop()
        keyring.terminate()
        keyring.wait(5)


def test_every_account_locks_when_the_screen_saver_starts(herald, synapse, users, bus):
    carol = he.new_user(synapse, "carol", "Carol Petit")
    herald.sign_in(synapse.url, users.alice)
    herald.sign_in(synapse.url, carol)
    assert [a["locked"] for a in herald.accounts()] == [False, False]
    from jeepney import new_signal, DBusAddress
    with bus.connect() as conn:
        conn.send(new_signal(DBusAddress("/org/freedesktop/ScreenSaver", interface="org.freedesktop.ScreenSaver"),
                             "ActiveChanged", "b", (True,)))
        deadline = time.time() + 5
        while time.time() < deadline:
            if all(a["locked"] for a in herald.accounts()):
                return
            time.sleep(0.1)
    raise AssertionError(f"accounts not locked after ActiveChanged(true): {herald.accounts()}")


class FakeLogind:
    """org.freedesktop.login1 on a private "system" bus, answering only what heraldd asks: the
    `User` property of a session, from ``owners`` (session object path → uid)."""

    def __init__(self, bus: he.DBusDaemon, owners: dict[str, int]):
        self.bus, self.owners = bus, owners
        self.stopping = threading.Event()
        self.asked: list[str] = []
        self.conn = bus.connect()
        from jeepney.bus_messages import message_bus
        reply = self.conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.login1", 4), timeout=5)
        assert reply.body[0] == 1, f"could not own org.freedesktop.login1: {reply.body}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return
        while not self.stopping.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            fields = msg.header.fields
            if msg.header.message_type != MessageType.method_call:
                continue
            path = fields.get(HeaderFields.path)
            if fields.get(HeaderFields.member) == "Get" and msg.body == ("org.freedesktop.login1.Session", "User") \
                    and path in self.owners:
                self.asked.append(path)
                uid = self.owners[path]
                self.conn.send(new_method_return(msg, "v", (("(uo)", (uid, f"/org/freedesktop/login1/user/_{uid}")),)))
            else:
                self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownObject", "s", ("no such object",)))

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.conn.close()


def send_logind_lock(bus: he.DBusDaemon, session_path: str) -> None:
    from jeepney import new_signal, DBusAddress
    with bus.connect() as conn:
        conn.send(new_signal(DBusAddress(session_path, interface="org.freedesktop.login1.Session"), "Lock"))


def test_every_account_locks_when_logind_locks_the_users_session(bin_dir, bus, tmp_path, synapse, users):
    """logind's Lock on the system bus (loginctl lock-session, a lid close, a lock hotkey): a
    second private bus stands in for the system bus, with a fake logind telling whose session is
    whose. Another user's lock (fast user switching) leaves the accounts alone; a session logind
    cannot tell about locks them, the safe direction."""
    system = he.DBusDaemon(tmp_path / "system-bus").start()
    mine, theirs, unknown = ("/org/freedesktop/login1/session/_31", "/org/freedesktop/login1/session/_32",
                             "/org/freedesktop/login1/session/_33")
    logind = FakeLogind(system, {mine: os.getuid(), theirs: os.getuid() + 1})
    h = he.Herald(bin_dir, tmp_path / "herald-logind", bus.address,
                  extra_env={"DBUS_SYSTEM_BUS_ADDRESS": system.address})
    try:
        h.start()
        carol = he.new_user(synapse, "carol", "Carol Petit")
        h.sign_in(synapse.url, users.alice)
        h.sign_in(synapse.url, carol)
        assert [a["locked"] for a in h.accounts()] == [False, False]

        send_logind_lock(system, theirs)
        he.wait_until(lambda: theirs in logind.asked, 5, what="heraldd to ask logind whose session locked")
        time.sleep(0.5)
        assert [a["locked"] for a in h.accounts()] == [False, False], "another user's lock locked the accounts"

        send_logind_lock(system, mine)
        he.wait_until(lambda: all(a["locked"] for a in h.accounts()), 5,
                      what=f"every account to lock on logind's Lock of the user's session: {h.accounts()}")

        h.unlock(users.alice.localpart, he.DEFAULT_PIN)
        send_logind_lock(system, unknown)
        he.wait_until(lambda: h.account(users.alice.user_id)["locked"], 5,
                      what="a lock of a session logind cannot tell about to lock the accounts")
    finally:
        h.stop()
        logind.close()
        system.stop()
