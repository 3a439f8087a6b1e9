"""A shared workstation (issue 3): several accounts of several people in one heraldd, each with
its own PIN; lock, unlock and their privacy; the wrong-PIN policy; logout; remote sign-out;
secrets at rest; refresh tokens.

Contract: ../../../shared/DESIGN.md and heraldctl --help. The PIN policy: the first 4 wrong PINs
cost nothing, then waits of about 1, 5, 15, 15 and 60 minutes; the 10th consecutive wrong PIN
signs the account out. An identical wrong PIN repeated right away counts once. At most about one
PIN check per second. heraldd's HERALD_TEST_PIN_WAIT_SCALE multiplies every wait (tests only).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

import herald_env as he

QUIET = 2.0       # seconds to wait for something that must NOT happen
POLL_MS = "2000"  # heraldd's hidden --poll-milliseconds: one sync cycle is at most ~2 s
SYNC_CYCLE = ["--poll-milliseconds", POLL_MS]
TOKEN_PREFIX = b"syt_"  # every Synapse access (and refresh: syr_) token starts with its prefix

PIN_ALICE = "4826"
PIN_BOB = "7391"
# Wrong PINs for alice: all different (an identical wrong PIN repeated right away counts once).
WRONG = ["5173", "6284", "7395", "8406", "9517", "0628", "1739", "2840", "3951", "4062", "5184"]


def unique(text: str) -> str:
    """A message text no other test sends (no markup characters)."""
    return f"{text} #{uuid.uuid4().hex[:8]}"


def everything(record: dict) -> str:
    """All a notification shows or carries: summary, body, actions, hints, app name."""
    return json.dumps(record, ensure_ascii=False)


def records_since(recorder: he.Recorder, since: float) -> list[dict]:
    return [r for r in recorder.records() if r.get("t", 0) >= since]


def notifies_with(recorder: he.Recorder, text: str, since: float = 0.0) -> list[dict]:
    return [r for r in recorder.notifies(since) if text in r["summary"] + "\n" + r["body"]]


def account_of(herald: he.Herald, user: he.User) -> dict:
    account = herald.account(user.user_id)
    assert account is not None, f"{user.user_id} not in account list: {herald.accounts()}"
    return account


def files_containing(roots: list[Path], needle: bytes) -> list[str]:
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                try:
                    if needle in path.read_bytes():
                        hits.append(str(path))
                except OSError:
                    pass
    return hits


def page_faults(pid: int) -> int:
    """The process's minor page faults so far, all its threads (ended ones too)."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


def faulting(herald: he.Herald, fn):
    """fn's value and the page faults heraldd took meanwhile. A PIN derivation (scrypt, 32 MiB,
    mapped afresh each time) takes thousands; a count, so a busy machine cannot skew it."""
    before = page_faults(herald.pid)
    value = fn()
    return value, page_faults(herald.pid) - before


@pytest.fixture
def desk(herald, synapse, recorder):
    """One heraldd with two accounts of two people: alice (PIN 4826) and bob (PIN 7391), both
    unlocked and syncing. carol writes to alice in a named room and to bob in a direct chat."""
    alice = he.new_user(synapse, "alice", "Alice Martin")
    bob = he.new_user(synapse, "bob", "Dr Bob Durand")
    carol = he.new_user(synapse, "carol", "Carole Petit")
    room_name = f"Officine {uuid.uuid4().hex[:6]}"
    room_a = synapse.create_room(carol.token, name=room_name, invite=[alice.user_id])
    synapse.join(alice.token, room_a)
    room_b = synapse.create_room(carol.token, invite=[bob.user_id], is_direct=True)
    synapse.join(bob.token, room_b)
    herald.sign_in(synapse, alice, pin=PIN_ALICE)
    herald.sign_in(synapse, bob, pin=PIN_BOB)
    return SimpleNamespace(herald=herald, synapse=synapse, recorder=recorder, alice=alice, bob=bob,
                           carol=carol, room_a=room_a, room_b=room_b, room_name=room_name)


def assert_discreet(n: dict, *hidden: str) -> None:
    shown = everything(n)
    for secret in hidden:
        assert secret not in shown, f"a locked account's notification shows {secret!r}: {n}"
    assert "new message" in (n["summary"] + " " + n["body"]).lower(), \
        f"a locked account's notification should say 'New message for …': {n}"


def wait_discreet(recorder: he.Recorder, since: float, timeout: float = 10.0) -> dict:
    return recorder.wait_for_notify(lambda r: "new message" in (r["summary"] + " " + r["body"]).lower(),
                                    timeout=timeout, since=since, what="a discreet 'New message' notification")


# ---------------------------------------------------------------------------------------------
# accounts, lock, unlock, preview


def test_two_accounts_notify_independently(desk):
    d = desk
    for acct, user in ((account_of(d.herald, d.alice), d.alice), (account_of(d.herald, d.bob), d.bob)):
        assert acct["state"] == "syncing", acct
        assert acct["locked"] is False, f"a freshly added account starts unlocked: {acct}"
        assert acct["preview"] == "unlocked", acct

    to_alice, to_bob = unique("Ordonnance prête"), unique("Le livreur est passé")
    d.synapse.send_text(d.carol.token, d.room_a, to_alice)
    d.synapse.send_text(d.carol.token, d.room_b, to_bob)
    na = d.recorder.wait_for_text(to_alice)
    nb = d.recorder.wait_for_text(to_bob)
    assert na["summary"] == f"Carole Petit ({d.room_name})", na
    assert nb["summary"] == "Carole Petit", nb
    assert na["id"] != nb["id"], "two accounts' conversations share one notification"
    assert to_bob not in na["body"] and to_alice not in nb["body"]

    # one account going away does not disturb the other
    assert d.herald.ctl("account", "remove", d.bob.user_id)[0] == 0
    again = unique("Toujours là")
    d.synapse.send_text(d.carol.token, d.room_a, again)
    d.recorder.wait_for_text(again)


def test_lock_hides_only_that_accounts_content_and_unlock_brings_it_back(desk):
    d, h = desk, desk.herald
    shown = unique("Résultat d'analyse de M. Girard")
    d.synapse.send_text(d.carol.token, d.room_a, shown)
    visible = d.recorder.wait_for_text(shown)
    bob_text = unique("Pour Bob avant le verrouillage")
    d.synapse.send_text(d.carol.token, d.room_b, bob_text)
    bob_visible = d.recorder.wait_for_text(bob_text)

    locked_at = time.time()
    rc, out, err = h.ctl("lock", "alice")
    assert rc == 0, (out, err)
    assert out == f"Locked {d.alice.user_id}\n", out
    assert account_of(h, d.alice)["locked"] is True
    assert account_of(h, d.bob)["locked"] is False

    # alice's notification already on screen is withdrawn or replaced by the discreet form
    def withdrawn():
        for r in records_since(d.recorder, locked_at):
            if r["method"] == "CloseNotification" and r["id"] == visible["id"]:
                return r
            if r["method"] == "Notify" and r["replaces_id"] == visible["id"] and shown not in r["body"]:
                return r
        return None
    he.wait_until(withdrawn, 5, what=f"alice's visible notification {visible['id']} to be withdrawn on lock")
    assert not [r for r in records_since(d.recorder, locked_at)
                if r["method"] == "CloseNotification" and r["id"] == bob_visible["id"]], \
        "locking alice withdrew bob's notification"

    # alice's next message: no sender, no room name, no text
    secret = unique("Dossier confidentiel de Mme Roux")
    t0 = time.time()
    d.synapse.send_text(d.carol.token, d.room_a, secret)
    n = wait_discreet(d.recorder, t0)
    assert_discreet(n, secret, "Dossier confidentiel", "Carole", "Petit", d.room_name)
    said = n["summary"] + " " + n["body"]
    assert d.alice.localpart in said or d.alice.displayname in said, f"'New message for <alice>': {n}"
    time.sleep(0.5)
    assert notifies_with(d.recorder, "Dossier confidentiel", since=t0) == [], "the text showed up anyway"

    # bob is not affected
    for_bob = unique("Bob voit tout")
    d.synapse.send_text(d.carol.token, d.room_b, for_bob)
    nb = d.recorder.wait_for_text(for_bob)
    assert nb["summary"] == "Carole Petit", nb

    # unlock with the right PIN: previews come back
    unlocked_at = time.time()
    rc, out, err = h.ctl("unlock", "alice", "--pin-stdin", input=PIN_ALICE + "\n")
    assert rc == 0, (out, err)
    assert out == f"Unlocked {d.alice.user_id}\n", out
    assert account_of(h, d.alice)["locked"] is False
    # ...including for what came while locked: the room's latest message, fetched back from
    # the homeserver (its text was not kept), with the room's count
    again = d.recorder.wait_for_text(secret, timeout=5, since=unlocked_at)
    assert again["summary"] == f"Carole Petit ({d.room_name})", again
    assert again["body"] == f"{secret}\n2 new messages", again
    back = unique("Après le déverrouillage")
    d.synapse.send_text(d.carol.token, d.room_a, back)
    n = d.recorder.wait_for_text(back)
    assert n["summary"] == f"Carole Petit ({d.room_name})", n

    # no PIN, PIN or text in what heraldctl printed
    printed = "\n".join(o + e for _, _, o, e in h.transcript)
    assert PIN_ALICE not in printed and secret not in printed


def test_lock_without_account_or_with_all_locks_every_account(desk):
    d, h = desk, desk.herald
    rc, out, err = h.ctl("lock")
    assert rc == 0, (out, err)
    assert out.startswith("Locked "), out
    assert set(out.strip()[len("Locked "):].split(", ")) == {d.alice.user_id, d.bob.user_id}, out
    assert all(a["locked"] for a in h.accounts())
    h.unlock("alice", PIN_ALICE)
    h.unlock("bob", PIN_BOB)
    assert not any(a["locked"] for a in h.accounts())
    doc = h.ctl_json("lock", "--all")
    assert sorted(doc["locked"]) == sorted([d.alice.user_id, d.bob.user_id]), doc
    # status shows the same
    assert all(a["locked"] for a in h.ctl_json("status")["accounts"])
    rc, out, _ = h.ctl("account", "list")
    assert "LOCKED" in out and "PREVIEW" in out, out


def test_accounts_start_locked_after_a_restart(desk):
    d, h = desk, desk.herald
    assert h.terminate() == 0
    h.start()
    for user in (d.alice, d.bob):
        acct = h.wait_account_state(user.user_id, "syncing")
        assert acct["locked"] is True, f"accounts must start locked when heraldd starts: {acct}"
    secret = unique("Après redémarrage, verrouillé")
    t0 = time.time()
    d.synapse.send_text(d.carol.token, d.room_b, secret)
    assert_discreet(wait_discreet(d.recorder, t0), secret, "Carole")
    h.unlock("bob", PIN_BOB)
    shown = unique("Bob a déverrouillé")
    d.synapse.send_text(d.carol.token, d.room_b, shown)
    d.recorder.wait_for_text(shown)


def on_screen(recorder: he.Recorder) -> dict[int, dict]:
    """What the notification server shows now, by id: each Notify's latest form, minus what closed."""
    shown: dict[int, dict] = {}
    for r in recorder.records():
        if r["method"] == "Notify":
            shown[r["id"]] = r
        elif r["method"] in ("CloseNotification", "Close"):
            shown.pop(r["id"], None)
    return shown


@pytest.mark.parametrize("how", ["sigkill", "sigterm"])
def test_a_restart_hides_the_previews_left_on_screen(desk, how):
    """heraldd restarted while full previews were on screen: the accounts come back locked, so
    what the previous run showed turns discreet (same id) or closes, and a new message replaces
    the discreet notification instead of opening one beside a stale preview."""
    d, h = desk, desk.herald
    second = d.synapse.create_room(d.carol.token, invite=[d.alice.user_id], is_direct=True)
    d.synapse.join(d.alice.token, second)
    secrets = {unique("Compte rendu de Mme Faure"): d.room_a, unique("Résultat de M. Leroy"): second,
               unique("Pour Bob, ordonnance de M. Noël"): d.room_b}
    shown = {}
    for text, room in secrets.items():
        d.synapse.send_text(d.carol.token, room, text)
        shown[text] = d.recorder.wait_for_text(text, timeout=15)
        h.wait_notification_recorded(shown[text]["id"])
    ids = {n["id"] for n in shown.values()}
    assert len(ids) == 3, shown

    restarted_at = time.time()
    if how == "sigkill":
        h.kill()
    else:
        assert h.terminate() == 0
    h.start(timeout=30)

    def settled():
        open_now = on_screen(d.recorder)
        return not any(text in json.dumps(n, ensure_ascii=False) for n in open_now.values() for text in secrets)
    he.wait_until(settled, 15, what="the previews left on screen to be closed or made discreet")
    open_now = on_screen(d.recorder)
    assert set(open_now) <= ids, f"a notification opened beside the old ones: {open_now}"
    for n in open_now.values():
        assert_discreet(n, "Carole", "Petit", d.room_name, *secrets)
        assert n["replaces_id"] == n["id"] and n["t"] >= restarted_at, n
    assert sorted(n["body"] for n in open_now.values()) == sorted(
        [f"2 new messages for {d.alice.localpart}", f"New message for {d.bob.localpart}"]), open_now
    labels = sorted(d.alice.localpart if d.alice.localpart in n["body"] else d.bob.localpart for n in open_now.values())
    assert labels == sorted([d.alice.localpart, d.bob.localpart]), f"one discreet notification per account: {open_now}"

    # The next message replaces alice's discreet notification: nothing opens beside it.
    alice_id = next(i for i, n in open_now.items() if d.alice.localpart in n["body"])
    later = unique("Après le redémarrage, pour Alice")
    t0 = time.time()
    d.synapse.send_text(d.carol.token, d.room_a, later)
    n = wait_discreet(d.recorder, t0, timeout=15)
    assert_discreet(n, later, "Carole")
    assert n["id"] == alice_id and n["replaces_id"] == alice_id, (n, open_now)
    assert n["body"] == f"3 new messages for {d.alice.localpart}", n
    assert set(on_screen(d.recorder)) == set(open_now), on_screen(d.recorder)


def test_a_restart_with_notifications_off_closes_the_previews_left_on_screen(herald, synapse, users, dm, recorder):
    herald.sign_in(synapse.url, users.alice)
    secret = unique("Avant l'arrêt des notifications")
    synapse.send_text(users.bob.token, dm, secret)
    shown = recorder.wait_for_text(secret, timeout=15)
    herald.wait_notification_recorded(shown["id"])
    assert herald.ctl("notifications", "off", "alice")[0] == 0
    assert shown["id"] in on_screen(recorder), "turning notifications off leaves what is on screen"
    assert herald.terminate(timeout=30) == 0
    restarted_at = time.time()
    herald.start(timeout=30)
    he.wait_until(lambda: shown["id"] not in on_screen(recorder), 15,
                  what=f"the preview {shown['id']} left on screen to close")
    assert on_screen(recorder) == {}, on_screen(recorder)
    assert recorder.notifies(since=restarted_at) == [], "notifications are off: nothing new shows"


def test_preview_never_and_always(desk):
    d, h = desk, desk.herald
    rc, out, err = h.ctl("preview", "never", "alice")
    assert rc == 0, (out, err)
    assert account_of(h, d.alice)["preview"] == "never"
    assert account_of(h, d.alice)["locked"] is False
    secret = unique("Jamais en clair")
    t0 = time.time()
    d.synapse.send_text(d.carol.token, d.room_a, secret)
    assert_discreet(wait_discreet(d.recorder, t0), secret, "Carole", d.room_name)

    assert h.ctl("preview", "always", "alice")[0] == 0
    assert account_of(h, d.alice)["preview"] == "always"
    assert h.ctl("lock", "alice")[0] == 0
    shown = unique("Toujours en clair, même verrouillé")
    d.synapse.send_text(d.carol.token, d.room_a, shown)
    d.recorder.wait_for_text(shown)

    assert h.ctl("preview", "unlocked", "alice")[0] == 0
    assert account_of(h, d.alice)["preview"] == "unlocked"
    rc, _, err = h.ctl("preview", "sometimes", "alice")
    assert rc == 2, err


def test_pin_set_changes_the_pin(desk):
    d, h = desk, desk.herald
    new_pin = "3952"
    rc, out, err = h.ctl("pin", "set", "alice", "--pin-stdin", input=f"{PIN_ALICE}\n{new_pin}\n")
    assert rc == 0, (out, err)
    assert h.ctl("lock", "alice")[0] == 0
    doc = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=PIN_ALICE + "\n")
    assert doc["error"] == "org.herald.Control.PinIncorrect", doc
    h.unlock("alice", new_pin)
    # a wrong current PIN is refused and changes nothing
    doc = h.ctl_refusal("pin", "set", "alice", "--pin-stdin", input=f"{WRONG[0]}\n2957\n")
    assert doc["error"] == "org.herald.Control.PinIncorrect", doc
    assert h.ctl("lock", "alice")[0] == 0
    h.unlock("alice", new_pin)


def test_weak_pins_are_refused_and_nothing_signs_in(herald, synapse, users):
    alice = users.alice
    devices_before = synapse.devices(alice.token)
    rc, out, err = herald.ctl("account", "add", synapse.url, "--user", alice.localpart, "--password-stdin",
                              "--pin-stdin", input=f"{alice.password}\n1234\n")
    assert rc == 2, (rc, out, err)
    assert "too easy to guess" in err, err
    # heraldd itself refuses one too (any Varlink client can call it), before signing in
    with he.VarlinkConnection(herald.socket_path, timeout=30) as conn:
        reply = conn.call("org.herald.Control.AddAccount", {
            "homeserver": synapse.url, "user": alice.localpart, "password": alice.password, "pin": "1111"})
    assert reply.get("error") == "org.herald.Control.PinRejected", reply
    assert reply["parameters"]["reason"], reply
    assert "1111" not in reply["parameters"]["reason"]
    assert herald.accounts() == []
    assert synapse.devices(alice.token) == devices_before, "a refused PIN still signed in at the server"


# ---------------------------------------------------------------------------------------------
# wrong PINs


def test_wrong_pins_count_wait_and_survive_sigkill(desk):
    d, h = desk, desk.herald
    assert h.ctl("lock", "alice")[0] == 0

    lefts, waits, derivations = [], [], []
    for i in range(3):
        doc, faults = faulting(h, lambda: h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[i] + "\n"))
        assert doc["error"] == "org.herald.Control.PinIncorrect", doc
        assert doc["account"] == d.alice.user_id, doc
        lefts.append(doc["attemptsLeft"])
        waits.append(doc["waitSeconds"])
        derivations.append(faults)
    # the witness below holds only if a derivation shows: 32 MiB is 8,192 pages
    assert min(derivations) >= 4096, f"page faults of heraldd during a wrong PIN's derivation: {derivations}"

    # the count is in the database before each check: SIGKILL does not reset it
    h.kill()
    h.start()
    doc = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[3] + "\n")
    assert doc["error"] == "org.herald.Control.PinIncorrect", doc
    lefts.append(doc["attemptsLeft"])
    waits.append(doc["waitSeconds"])
    assert lefts == [9, 8, 7, 6], f"attempts left after 1..4 wrong PINs (a restart in between): {lefts}"
    assert waits == [0, 0, 0, 0], f"the first 4 wrong PINs cost no wait: {waits}"

    rc, _, err = h.ctl("unlock", "alice", "--pin-stdin", input=WRONG[4] + "\n")
    assert rc == 1, err
    assert "wrong PIN" in err and "wait" in err, err

    # the 5th opened a wait of about a minute: even the right PIN is refused, not derived
    doc, faults = faulting(h, lambda: h.ctl_refusal("unlock", "alice", "--pin-stdin", input=PIN_ALICE + "\n"))
    assert doc["error"] == "org.herald.Control.PinLockedOut", doc
    assert 30 <= doc["seconds"] <= 65, f"the wait after 5 wrong PINs should be about 60 s: {doc}"
    assert faults < min(derivations) // 4, \
        f"a refusal during a wait must come without a derivation: {faults} page faults, a derivation {derivations}"
    rc, _, err = h.ctl("unlock", "alice", "--pin-stdin", input=PIN_ALICE + "\n")
    assert rc == 1 and "wait" in err, err

    # ... and so it stays across a SIGKILL and a restart
    h.kill()
    h.start()
    doc = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=PIN_ALICE + "\n")
    assert doc["error"] == "org.herald.Control.PinLockedOut", doc
    assert account_of(h, d.alice)["locked"] is True
    # the other account is not concerned
    h.unlock("bob", PIN_BOB)


def test_wait_after_fifth_wrong_pin_is_reported(desk):
    d, h = desk, desk.herald
    assert h.ctl("lock", "alice")[0] == 0
    for pin in WRONG[:4]:
        assert h.ctl_refusal("unlock", "alice", "--pin-stdin", input=pin + "\n")["waitSeconds"] == 0
    doc = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[4] + "\n")
    assert doc["error"] == "org.herald.Control.PinIncorrect", doc
    assert doc["attemptsLeft"] == 5, doc
    assert 50 <= doc["waitSeconds"] <= 65, f"about 1 minute after the 5th wrong PIN: {doc}"


def test_identical_wrong_pin_counts_once_and_success_resets(desk):
    d, h = desk, desk.herald
    assert h.ctl("lock", "alice")[0] == 0
    first = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[0] + "\n")
    again = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[0] + "\n")
    other = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[1] + "\n")
    assert [first["attemptsLeft"], again["attemptsLeft"], other["attemptsLeft"]] == [9, 9, 8], (first, again, other)
    h.unlock("alice", PIN_ALICE)
    assert h.ctl("lock", "alice")[0] == 0
    doc = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[2] + "\n")
    assert doc["attemptsLeft"] == 9, f"a right PIN resets the count: {doc}"


def test_at_most_one_pin_check_per_second(desk):
    """Checks start at least ~1 s apart, for the daemon as a whole (not per account). Measured
    from the first request to the last answer, which the time one derivation takes cannot blur:
    n checks need at least n - 1 seconds."""
    d, h = desk, desk.herald
    assert h.ctl("lock")[0] == 0

    # one after the other, alternating accounts
    t0 = time.monotonic()
    for account, pin in [("alice", WRONG[0]), ("bob", WRONG[1]), ("alice", WRONG[2]), ("bob", WRONG[3])]:
        doc = h.ctl_refusal("unlock", account, "--pin-stdin", input=pin + "\n")
        assert doc["error"] == "org.herald.Control.PinIncorrect", doc
    sequential = time.monotonic() - t0
    assert sequential >= 2.85, f"4 PIN checks in a row answered within {sequential:.2f} s: at most one per second"

    # all at once: still spread over time (each account stays below the 5 free failures)
    import concurrent.futures
    attempts = [("alice", WRONG[4]), ("bob", WRONG[5]), ("alice", WRONG[6]), ("bob", WRONG[7])]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(attempts)) as pool:
        results = list(pool.map(
            lambda a: h.ctl("unlock", a[0], "--pin-stdin", "--json", input=a[1] + "\n", record=False), attempts))
    together = time.monotonic() - t0
    for rc, out, err in results:
        assert rc == 1 and json.loads(out)["error"] == "org.herald.Control.PinIncorrect", (rc, out, err)
    assert together >= 2.85, f"4 simultaneous PIN checks answered within {together:.2f} s: at most one per second"


@pytest.mark.herald(env={"HERALD_TEST_PIN_WAIT_SCALE": "0.001"}, args=SYNC_CYCLE)
def test_tenth_wrong_pin_signs_the_account_out(desk):
    d, h = desk, desk.herald
    device = account_of(h, d.alice)["deviceId"]
    assert device in d.synapse.devices(d.alice.token)
    assert h.ctl("lock", "alice")[0] == 0
    t0 = time.time()
    failures, last = 0, None
    deadline = time.monotonic() + 120
    while failures < 10:
        assert time.monotonic() < deadline, f"10 wrong PINs took more than 2 minutes; last answer {last}"
        last = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=WRONG[failures] + "\n")
        if last["error"] == "org.herald.Control.PinLockedOut":
            time.sleep(last["seconds"] + 0.05)  # the scaled wait
            continue
        failures += 1
        if failures < 10:
            assert last["error"] == "org.herald.Control.PinIncorrect", last
            assert last["attemptsLeft"] == 10 - failures, last
    assert last["error"] == "org.herald.Control.AccountSignedOut", f"the 10th wrong PIN: {last}"
    assert last["account"] == d.alice.user_id and last["reason"], last

    acct = h.wait_account_state(d.alice.user_id, "signed_out", timeout=10)
    assert acct.get("reason"), acct
    he.wait_until(lambda: device not in d.synapse.devices(d.alice.token), 10,
                  what="heraldd's device of alice to be signed out at the server")
    # the right PIN no longer helps; a full sign-in does
    doc = h.ctl_refusal("unlock", "alice", "--pin-stdin", input=PIN_ALICE + "\n")
    assert doc["error"] in ("org.herald.Control.AccountSignedOut", "org.herald.Control.AccountNotFound"), doc
    # the user is told
    he.wait_until(lambda: [r for r in d.recorder.notifies(t0) if "signed out" in everything(r).lower()], 10,
                  what="a 'signed out' notification")
    h.sign_in(d.synapse, d.alice, pin=PIN_ALICE)
    assert account_of(h, d.alice)["locked"] is False
    # bob was never concerned
    assert account_of(h, d.bob)["state"] == "syncing"


# ---------------------------------------------------------------------------------------------
# logout


def test_logout_revokes_the_session_and_wipes_the_account(desk):
    d, h = desk, desk.herald
    device = account_of(h, d.alice)["deviceId"]
    assert device in d.synapse.devices(d.alice.token)
    shown = unique("Avant la déconnexion")
    d.synapse.send_text(d.carol.token, d.room_a, shown)
    d.recorder.wait_for_text(shown)

    rc, out, err = h.ctl("logout", "alice")
    assert rc == 0, (out, err)
    assert out == f"Signed out {d.alice.user_id}\n", out
    assert [a["id"] for a in h.accounts()] == [d.bob.user_id], "alice still listed after logout"
    assert device not in d.synapse.devices(d.alice.token), "heraldd's session of alice still exists at the server"

    # nothing of alice left in Herald's files (database, WAL, keys), bob untouched
    assert h.terminate() == 0
    leftovers = files_containing([h.state_home, h.config_home, h.data_home, h.cache_home],
                                 d.alice.user_id.encode())
    assert leftovers == [], f"{d.alice.user_id} still in {leftovers} after logout"
    h.start()
    assert [a["id"] for a in h.accounts()] == [d.bob.user_id]


def test_logout_needs_an_account_or_all(desk):
    d, h = desk, desk.herald
    rc, out, err = h.ctl("logout")
    assert rc == 2, (rc, out, err)
    assert "say which account, or --all" in err, err
    assert len(h.accounts()) == 2, "a bare logout signed someone out"

    devices = {u.user_id: account_of(h, u)["deviceId"] for u in (d.alice, d.bob)}
    doc = h.ctl_json("logout", "--all")
    assert sorted(doc["signedOut"]) == sorted(devices), doc
    assert doc["serverLogoutPending"] == [], doc
    assert h.accounts() == []
    assert devices[d.alice.user_id] not in d.synapse.devices(d.alice.token)
    assert devices[d.bob.user_id] not in d.synapse.devices(d.bob.token)


def test_logout_with_the_homeserver_unreachable_wipes_now_and_retries(herald, synapse, users, recorder):
    alice = users.alice
    proxy = he.TcpProxy(synapse.port)
    try:
        herald.sign_in(proxy.url, alice)
        device = account_of(herald, alice)["deviceId"]
        proxy.cut()
        rc, out, err = herald.ctl("logout", "alice", timeout=120)
        assert rc == 0, (out, err)
        assert alice.user_id in out and "the homeserver could not be reached" in out, out
        assert "Herald will retry the server-side sign-out" in out, out
        assert herald.accounts() == [], "the local wipe must not wait for the homeserver"
        assert device in synapse.devices(alice.token)  # the server never heard of it
        proxy.restore()
        he.wait_until(lambda: device not in synapse.devices(alice.token), 90, interval=1,
                      what="heraldd to retry the server-side sign-out once the homeserver is back")
    finally:
        proxy.close()


def test_logout_json_reports_pending_server_logouts(herald, synapse, users, recorder):
    alice = users.alice
    proxy = he.TcpProxy(synapse.port)
    try:
        herald.sign_in(proxy.url, alice)
        proxy.cut()
        doc = herald.ctl_json("logout", "--all", timeout=120)
        assert doc == {"signedOut": [alice.user_id], "serverLogoutPending": [alice.user_id]}, doc
    finally:
        proxy.close()


# ---------------------------------------------------------------------------------------------
# remote sign-out


def _delete_device(synapse: he.Synapse, user: he.User, device: str) -> None:
    synapse.admin_delete_device(user.user_id, device)


def _deactivate(synapse: he.Synapse, user: he.User, device: str) -> None:
    synapse.admin_deactivate(user.user_id, erase=False)


def _change_password(synapse: he.Synapse, user: he.User, device: str) -> None:
    synapse.change_password(user, f"pw-{uuid.uuid4().hex}")  # logout_devices: true


def _logout_all(synapse: he.Synapse, user: he.User, device: str) -> None:
    synapse.logout_all(user.token)


@pytest.mark.herald(args=SYNC_CYCLE)
@pytest.mark.parametrize("how", [_delete_device, _deactivate, _change_password, _logout_all],
                         ids=["admin-deletes-device", "admin-deactivates", "password-changed", "logout-all"])
def test_remote_sign_out_is_detected_within_one_sync_cycle(desk, how):
    d, h = desk, desk.herald
    device = account_of(h, d.alice)["deviceId"]
    t0 = time.time()
    how(d.synapse, d.alice, device)
    detected_at = time.monotonic()
    acct = h.wait_account_state(d.alice.user_id, "signed_out", timeout=int(POLL_MS) / 1000 + 8)
    figure_s = time.monotonic() - detected_at
    assert acct.get("reason"), f"a signed-out account says why: {acct}"

    def told():
        return [r for r in d.recorder.notifies(t0) if "signed out" in (r["summary"] + " " + r["body"]).lower()]
    he.wait_until(told, 10, what="a 'signed out' notification")
    time.sleep(QUIET + int(POLL_MS) / 1000)  # further sync cycles must not repeat it
    assert len(told()) == 1, f"exactly one 'signed out' notification, got: {told()}"

    # the other account goes on, unharmed
    assert account_of(h, d.bob)["state"] == "syncing"
    still = unique("Bob reste connecté")
    d.synapse.send_text(d.carol.token, d.room_b, still)
    d.recorder.wait_for_text(still)
    # and alice's messages are no longer notified
    if how is not _deactivate:
        gone = unique("Alice n'est plus là")
        d.synapse.send_text(d.carol.token, d.room_a, gone)
        time.sleep(QUIET + int(POLL_MS) / 1000)
        assert notifies_with(d.recorder, gone) == []
    print(f"remote sign-out ({how.__name__}) seen after {figure_s:.1f} s")


# ---------------------------------------------------------------------------------------------
# secrets at rest


def test_no_token_in_any_file_and_key_file_backend(desk):
    d, h = desk, desk.herald
    status = h.ctl_json("status")
    assert status["secrets"] == "key-file", f"no Secret Service on the private bus: {status['secrets']}"
    text = unique("Un message pour remplir la WAL")
    d.synapse.send_text(d.carol.token, d.room_a, text)
    d.recorder.wait_for_text(text)
    roots = [h.state_home, h.runtime_dir, h.config_home, h.data_home, h.cache_home, h.home]

    hits = files_containing(roots, TOKEN_PREFIX)
    assert hits == [], f"an access token in plain text while heraldd runs: {hits}"
    for root in (h.state_home, h.config_home, h.data_home):
        for path in root.rglob("*"):
            if path.is_file():
                assert he.mode_of(path) & 0o077 == 0, f"{path} is {oct(he.mode_of(path))}: others may read it"

    assert h.terminate() == 0
    hits = files_containing(roots, TOKEN_PREFIX)
    assert hits == [], f"an access token in plain text after SIGTERM: {hits}"
    # Herald still works from its encrypted tokens
    h.start()
    h.wait_account_state(d.bob.user_id, "syncing")
    h.unlock("bob", PIN_BOB)
    after = unique("Après le redémarrage, jetons chiffrés")
    d.synapse.send_text(d.carol.token, d.room_b, after)
    d.recorder.wait_for_text(after)


# ---------------------------------------------------------------------------------------------
# refresh tokens


@pytest.mark.herald(args=SYNC_CYCLE)
def test_notifications_keep_arriving_across_token_refreshes(herald, synapse_refresh, recorder, figure):
    s = synapse_refresh
    alice = he.new_user(s, "alice", "Alice Martin")
    bob = he.new_user(s, "bob", "Dr Bob Durand")
    room = s.create_room(bob.token, invite=[alice.user_id], is_direct=True)
    s.join(alice.token, room)
    refreshes_before = s.requests_logged("/refresh")
    herald.sign_in(s, alice)

    t_end = time.monotonic() + 40  # four access-token lifetimes
    sent = 0
    while time.monotonic() < t_end:
        text = unique(f"Message {sent + 1} pendant les renouvellements")
        s.send_text(bob.token, room, text)
        recorder.wait_for_text(text, timeout=10)
        sent += 1
        time.sleep(4)
    acct = herald.account(alice.user_id)
    assert acct and acct["state"] == "syncing", acct
    refreshes = s.requests_logged("/refresh") - refreshes_before
    figure(f"refresh tokens: {sent} messages over 40 s notified, {refreshes} token refreshes")
    assert refreshes >= 3, f"heraldd refreshed its 10 s access token {refreshes} times in 40 s"
