"""A token key that cannot be had right now never stops heraldd nor costs an account: here the
key file, made readable by others (heraldd refuses a key that may have leaked). heraldd stays up,
the account waits, signed in, one notification and `doctor` say what to fix, and heraldd takes
the key by itself once it is fixed, with no signal to wake it: its retries are timed. The same
with a keyring is in test_user_systemd.py."""

from __future__ import annotations

import os

import herald_env as he


def test_a_key_file_others_could_read_makes_the_account_wait_until_it_is_fixed(signed_in, recorder):
    h, alice = signed_in.herald, signed_in.alice
    key = h.state_home / "herald" / "token.key"
    assert h.ctl_json("status")["secrets"] == "key-file"
    assert h.terminate() == 0
    os.chmod(key, 0o644)

    h.start()  # answers: heraldd did not exit
    status = h.ctl_json("status")
    assert status["secrets"].startswith("key-file, waiting for the key file:") and "644" in status["secrets"], status
    account = h.wait_account_state(alice.user_id, "waiting_for_the_keyring")
    assert "waiting for the key file" in account["reason"], account
    note = recorder.wait_for_notify(lambda r: "key file" in r["summary"], what="the key file notification")
    rc, out, _ = h.ctl("doctor")
    assert rc != 0 and "chmod 600" in out and "waiting for the key file" in out, out

    os.chmod(key, 0o600)
    h.wait_account_state(alice.user_id, "syncing", timeout=30)
    assert h.ctl_json("status")["secrets"] == "key-file"
    assert len([r for r in recorder.notifies() if "key file" in r["summary"]]) == 1
    assert any(r["method"] == "CloseNotification" and r.get("id") == note["id"] for r in recorder.records())
    text = "Le résultat est arrivé"
    signed_in.synapse.send_text(signed_in.bob.token, signed_in.room, text)
    recorder.wait_for_notify(lambda r: alice.localpart in r["summary"] + r["body"] or text in r["body"],
                             timeout=15, what="the next message notified")
