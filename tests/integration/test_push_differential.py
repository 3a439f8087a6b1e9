"""Herald's push-rule decisions against Synapse's own evaluator, event by event.

Alice sets keyword, room, sender, override and underride rules; Bob and Carol send a seeded mix of
events over four rooms. Synapse's verdict is what `GET /notifications` lists (notify) and whether
its actions carry a highlight; Herald's is whether it recorded the event for a notification and
whether that notification was urgent. They must agree on every event but the kinds the README
lists as deliberate differences."""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from urllib.parse import quote

import herald_env as he

SEED = 20261130
ROOMS = ("Plain", "Loud", "Quiet", "Secret")
# README, "Deliberate differences from Synapse's push rules": an event of a type Herald has no
# words for is not shown, and a sender rule matches the event's sender (Synapse's never matches).
UNSHOWN_TYPE = "org.example.ping"


def q(s: str) -> str:
    return quote(s, safe="")


class World:
    """The users, the rooms, and what was sent."""

    def __init__(self, synapse):
        self.s = synapse
        self.alice = he.new_user(synapse, "alice", "Zoë")
        self.bob = he.new_user(synapse, "bob", "Bob")
        self.carol = he.new_user(synapse, "carol", "Carol")
        self.relay = he.new_user(synapse, "relay", "Relay")
        self.rooms: dict[str, str] = {}
        for name in ROOMS:
            body = {"preset": "private_chat", "name": name,
                    "invite": [self.alice.user_id, self.carol.user_id]}
            if name == "Secret":
                body["initial_state"] = [{"type": "m.room.encryption", "state_key": "",
                                          "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
            room = synapse.api("POST", "/_matrix/client/v3/createRoom", self.bob.token, body)["room_id"]
            synapse.join(self.alice.token, room)
            synapse.join(self.carol.token, room)
            self.rooms[name] = room
        self.relay_room = synapse.create_room(self.relay.token, invite=[self.alice.user_id], is_direct=True)
        synapse.join(self.alice.token, self.relay_room)
        self.last_text: dict[str, str] = {}
        self._txn = 0

    def rule(self, kind: str, rule_id: str, body: dict) -> None:
        self.s.api("PUT", f"/_matrix/client/v3/pushrules/global/{kind}/{q(rule_id)}", self.alice.token, body)

    def set_rules(self) -> None:
        loud = ["notify", {"set_tweak": "highlight"}]
        for word in ("élodie", "Νίκος", "ré*union"):
            self.rule("content", word, {"pattern": word, "actions": loud})
        self.rule("override", "notices-in-plain", {"actions": ["notify"], "conditions": [
            {"kind": "event_match", "key": "content.msgtype", "pattern": "m.notice"},
            {"kind": "event_match", "key": "room_id", "pattern": self.rooms["Plain"]}]})
        self.rule("room", self.rooms["Loud"], {"actions": loud})
        self.rule("room", self.rooms["Quiet"], {"actions": []})
        self.rule("sender", self.carol.user_id, {"actions": loud})
        self.rule("underride", "stickers", {"actions": ["notify"], "conditions": [
            {"kind": "event_match", "key": "type", "pattern": "m.sticker"}]})

    def send(self, room: str, sender, etype: str, content: dict, state_key: str | None = None) -> str:
        if state_key is not None:
            path = f"/_matrix/client/v3/rooms/{q(room)}/state/{q(etype)}/{q(state_key)}"
            return self.s.api("PUT", path, sender.token, content)["event_id"]
        self._txn += 1
        path = f"/_matrix/client/v3/rooms/{q(room)}/send/{q(etype)}/d{self._txn}-{uuid.uuid4().hex[:6]}"
        return self.s.api("PUT", path, sender.token, content)["event_id"]


# Bodies around Alice's keywords (élodie, Νίκος, ré*union), her display name (Zoë) and her user ID.
BODIES = [
    "Élodie arrive à 14 h", "Mélodie arrive à 14 h", "ÉLODIE!", "l'élodie", "élodies", "bonjour élodie_",
    "Νίκος ήρθε", "ΝΊΚΟΣ ΉΡΘΕ", "ο νίκοσ", "Νίκοςα", "ο ΝΊΚΟΣ.",
    "réunion à 15 h", "ré union", "ré\nunion", "préunion", "RÉUNION", "ré-union?",
    "merci Zoë", "Zoës", "ZOË!", "zoe", "Zoë_", "cafézoë", "(zoë)",
    "la commande est prête", "rupture de stock", "à demain", "ok", "café ?", "naïve",
]


def make_case(rng: random.Random, w: World, room_name: str) -> dict:
    """One event to send: sender, type, content (and state key)."""
    room = w.rooms[room_name]
    sender = w.carol if rng.random() < 0.2 else w.bob
    body = rng.choice(BODIES + [w.alice.localpart, "salut " + w.alice.localpart.upper()])
    kind = rng.choices(
        ["text", "notice", "emote", "mentions", "no-mentions", "room-mention", "at-room", "edit", "edit-mention",
         "call", "sticker", "topic", "encrypted", "reaction", "unshown"],
        weights=[30, 6, 3, 5, 4, 2, 2, 3, 3, 2, 2, 3, 3, 2, 1])[0]
    if kind in ("edit", "edit-mention") and room not in w.last_text:
        kind = "text"
    content: dict = {"msgtype": "m.text", "body": body}
    etype, state_key = "m.room.message", None
    if kind == "notice":
        content["msgtype"] = "m.notice"
    elif kind == "emote":
        content["msgtype"] = "m.emote"
    elif kind == "mentions":
        content["m.mentions"] = {"user_ids": [w.alice.user_id]}
    elif kind == "no-mentions":
        content["m.mentions"] = {}
    elif kind == "room-mention":
        content["m.mentions"] = {"room": True}
    elif kind == "at-room":
        content["body"] = "@room " + body
    elif kind in ("edit", "edit-mention"):
        new = {"msgtype": "m.text", "body": body}
        if kind == "edit-mention":
            new["m.mentions"] = {"user_ids": [w.alice.user_id]}
            content["m.mentions"] = {"user_ids": [w.alice.user_id]}
        content.update({"body": "* " + body, "m.new_content": new,
                        "m.relates_to": {"rel_type": "m.replace", "event_id": w.last_text[room]}})
    elif kind == "call":
        etype, content = "m.call.invite", {"call_id": uuid.uuid4().hex, "version": "1", "lifetime": 60000,
                                           "offer": {"type": "offer", "sdp": "v=0"}}
    elif kind == "sticker":
        etype, content = "m.sticker", {"body": body, "url": "mxc://x/y", "info": {}}
    elif kind == "topic":
        etype, content, state_key, sender = "m.room.topic", {"topic": body}, "", w.bob  # state needs power
    elif kind == "encrypted":
        etype, content = "m.room.encrypted", {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnB" + "A" * 40,
                                              "session_id": uuid.uuid4().hex, "sender_key": "K" * 43, "device_id": "NOPE"}
    elif kind == "reaction":
        if room not in w.last_text:
            return make_case(rng, w, room_name)
        etype, content = "m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": w.last_text[room],
                                                         "key": "👍"}}
    elif kind == "unshown":
        etype, content = UNSHOWN_TYPE, {"body": body}
    return {"room": room_name, "sender": sender, "type": etype, "content": content, "state_key": state_key,
            "kind": kind}


def in_ledger(herald, event_id: str) -> bool:
    """Herald recorded the event for a notification (shown or about to be)."""
    return bool(herald.database_rows("SELECT 1 FROM ledger WHERE eventID = ?", event_id))


def synapse_verdicts(w: World) -> dict[str, bool]:
    """event ID → highlight, for the latest events Synapse notified Alice of. Asked before Alice
    reads a room: a read receipt deletes the push actions it covers, but for highlights."""
    page = w.s.api("GET", "/_matrix/client/v3/notifications?limit=50", w.alice.token)
    return {n["event"]["event_id"]: any(isinstance(a, dict) and a.get("set_tweak") == "highlight"
                                        and a.get("value", True) is True for a in n["actions"])
            for n in page["notifications"]}


def verdict(notified: bool, highlight: bool) -> str:
    return "highlight" if notified and highlight else "notify" if notified else "nothing"


def test_herald_agrees_with_synapses_push_evaluator(herald, synapse, recorder, figure):
    started = time.time()
    rng = random.Random(SEED)
    w = World(synapse)
    w.set_rules()
    herald.sign_in(synapse.url, w.alice)

    per_room = 38
    rounds: list[list[str]] = [[name for name in ROOMS] for _ in range(per_room)]
    rounds.append(["tombstone"])  # last: a tombstone in every room
    results: list[dict] = []
    server: dict[str, bool] = {}
    for i, names in enumerate(rounds):
        t0 = time.time()
        sent = []
        if names == ["tombstone"]:
            for name in ROOMS:
                case = {"room": name, "sender": w.bob, "type": "m.room.tombstone", "state_key": "", "kind": "tombstone",
                        "content": {"body": "moved", "replacement_room": "!elsewhere:localhost"}}
                sent.append(case)
        else:
            sent = [make_case(rng, w, name) for name in names]
        for case in sent:
            room = w.rooms[case["room"]]
            case["event_id"] = w.send(room, case["sender"], case["type"], case["content"], case["state_key"])
            if case["type"] == "m.room.message" and "m.relates_to" not in case["content"]:
                w.last_text[room] = case["event_id"]
        marker = synapse.send_text(w.relay.token, w.relay_room, f"round {i}")
        he.wait_until(lambda: in_ledger(herald, marker), 30, interval=0.05, what=f"Herald to reach round {i}")
        server.update(synapse_verdicts(w))
        shown = []
        for case in sent:
            case["herald_notify"] = in_ledger(herald, case["event_id"])
            case["herald_highlight"] = False
            if case["herald_notify"]:
                title = f"({case['room']})"
                n = recorder.wait_for_notify(lambda r: r["summary"].endswith(title), timeout=20, since=t0,
                                             what=f"the notification of {case['room']} in round {i}")
                case["herald_highlight"] = n["hints"].get("urgency") == 2
                shown.append((w.rooms[case["room"]], case["event_id"], n["id"]))
            results.append(case)
        # Alice reads the rooms that notified elsewhere: Herald withdraws them, so the next
        # round's notification starts afresh (a highlight stays on a notification until then).
        t1 = time.time()
        for room, event_id, _ in shown:
            synapse.api("POST", f"/_matrix/client/v3/rooms/{q(room)}/receipt/m.read/{q(event_id)}", w.alice.token, {})
        for _, _, nid in shown:
            he.wait_until(lambda: any(r["method"] == "CloseNotification" and r["id"] == nid and r["t"] >= t1
                                      for r in recorder.records()), 20, interval=0.05,
                          what=f"notification {nid} withdrawn after round {i}")

    agree, expected_differences, disagreements = 0, [], []
    kinds = Counter()
    for case in results:
        eid = case["event_id"]
        theirs = verdict(eid in server, server.get(eid, False))
        ours = verdict(case["herald_notify"], case["herald_highlight"])
        kinds[(case["kind"], theirs)] += 1
        if theirs == ours:
            agree += 1
        elif case["type"] == UNSHOWN_TYPE and ours == "nothing":
            expected_differences.append(("unshown type", case))
        elif case["sender"] is w.carol and ours == "highlight":
            expected_differences.append(("sender rule", case))
        else:
            disagreements.append((case["kind"], case["room"], case["sender"].displayname,
                                  case["content"].get("body"), theirs, ours))
    total = len(results)
    figure(f"push rules vs Synapse: {agree}/{total} events agree ({100 * agree / total:.1f} %), "
           f"deliberate differences: {dict(Counter(why for why, _ in expected_differences))}, "
           f"{sum(1 for c in results if c['event_id'] in server)} notified by Synapse, "
           f"in {time.time() - started:.0f} s")
    assert total >= 150
    assert not disagreements, "\n".join(map(repr, disagreements))
    assert {why for why, _ in expected_differences} == {"unshown type", "sender rule"}, expected_differences
    # The mix means something: every verdict occurs, over the kinds the rules are about.
    verdicts = Counter(theirs for (_, theirs) in kinds.elements())
    assert all(verdicts[v] >= 10 for v in ("nothing", "notify", "highlight")), verdicts
    for kind in ("edit-mention", "notice", "call", "topic", "encrypted", "tombstone", "mentions"):
        assert any(k == kind and v != "nothing" for (k, v) in kinds), (kind, kinds)



def test_an_invitation_declined_elsewhere_closes_its_notification(herald, synapse, recorder):
    alice = he.new_user(synapse, "alice", "Alice")
    bob = he.new_user(synapse, "bob", "Bob")
    herald.sign_in(synapse.url, alice)
    t0 = time.time()
    room = synapse.create_room(bob.token, name="Garde de nuit", invite=[alice.user_id])
    n = recorder.wait_for_notify(lambda r: "Garde de nuit" in r["body"], timeout=20, since=t0,
                                 what="the invitation's notification")
    t1 = time.time()
    synapse.api("POST", f"/_matrix/client/v3/rooms/{q(room)}/leave", alice.token, {})
    he.wait_until(lambda: any(r["method"] == "CloseNotification" and r["id"] == n["id"] and r["t"] >= t1
                              for r in recorder.records()), 20, interval=0.05,
                  what="the invitation's notification closed after it was declined")
