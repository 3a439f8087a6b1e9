"""Network and storage faults: a frozen homeserver, answers Herald cannot read, a huge answer,
text with control characters, a database that cannot be written or is deleted."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import herald_env as he
from fault_servers import FakeHomeserver, FreezingProxy
from gnome_keyring import start_unlocked_keyring

POLL = 5        # seconds: --poll-milliseconds of the stall test
MARGIN = 15     # seconds past the poll before a /sync is overdue (MatrixClient.syncLimitMilliseconds)
SLACK = 4       # scheduling on a loaded machine, and heraldctl's own polling


@pytest.fixture
def fake():
    f = FakeHomeserver()
    yield f
    f.close()


def sign_in_fake(herald: he.Herald, fake: FakeHomeserver) -> dict:
    herald.add_account(fake.url, SimpleNamespace(localpart="alice", password="any"))
    return herald.wait_account_state(fake.user_id, "syncing", timeout=20)


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


# ---------------------------------------------------------------------------------------------
# the network


@pytest.mark.herald(args=["--poll-milliseconds", str(POLL * 1000)])
def test_a_frozen_homeserver_is_offline_within_the_poll_and_its_margin(herald, synapse, users, dm, recorder, figure):
    proxy = FreezingProxy(synapse.port)
    try:
        herald.sign_in(proxy.url, users.alice)
        proxy.freeze()
        frozen = time.monotonic()
        account = herald.wait_account_state(users.alice.user_id, "offline", timeout=POLL + MARGIN + SLACK)
        detected = time.monotonic() - frozen
        assert "did not answer in time" in account["reason"], account
        figure(f"frozen homeserver: offline after {detected:.1f} s (poll {POLL} s + {MARGIN} s margin)")

        synapse.send_text(users.bob.token, dm, "sent while the homeserver looked frozen")
        proxy.thaw()
        thawed = time.monotonic()
        herald.wait_account_state(users.alice.user_id, "syncing", timeout=MARGIN)
        recorder.wait_for_text("sent while the homeserver looked frozen", timeout=MARGIN)
        figure(f"frozen homeserver: syncing again {time.monotonic() - thawed:.1f} s after the thaw, the message shown")
    finally:
        proxy.close()


def test_an_unreadable_event_is_left_out_and_the_cursor_moves_on(herald, recorder, fake):
    sign_in_fake(herald, fake)
    not_utf8 = fake.message("$bad", "XX").replace(b"XX", b"caf\xe9 \xff")
    nested = fake.message("$deep", "deep").replace(b'"msgtype"', b'"x":' + b"[" * 100_000 + b"]" * 100_000 + b',"msgtype"')
    fake.queue(fake.timeline("s2", [fake.message("$1", "the first readable one"), not_utf8, nested]))
    fake.wait_for_since("s2")
    recorder.wait_for_text("the first readable one")
    assert "left out 2 unreadable events" in herald.log_text()

    fake.queue(fake.timeline("s3", [fake.message("$2", "SUR").replace(b"SUR", b"a lone \\ud800 surrogate")]))
    recorder.wait_for_text("a lone \ufffd surrogate")
    fake.wait_for_since("s3")

    fake.queue(b'{"next_batch": "s4", "rooms": ')  # cut short: nothing in it can be read
    account = herald.wait_account_state(fake.user_id, "offline")
    assert "cannot be read" in account["reason"], account
    fake.queue(fake.timeline("s5", [fake.message("$3", "after the broken answer")]))
    recorder.wait_for_text("after the broken answer")
    herald.wait_account_state(fake.user_id, "syncing")
    fake.wait_for_since("s5")
    assert "s4" not in fake.since_seen


def test_control_characters_are_removed_from_notifications(signed_in, recorder):
    s = signed_in
    s.synapse.set_displayname(s.bob.token, s.bob.user_id, "Dr\x1b[2J Bob\x07")
    s.synapse.send_text(s.bob.token, s.room, "a\x1b[31mred\x07 bell\r\nnext\x00line\x7f end\ttab")
    shown = recorder.wait_for_text("red bell")
    assert "a[31mred bell\nnextline end\ttab" in shown["body"], shown
    for field in ("summary", "body"):
        assert not [c for c in shown[field] if (ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7F], shown


def test_memory_comes_back_after_a_huge_answer(herald, recorder, fake, figure):
    sign_in_fake(herald, fake)
    for i in range(3):  # a few ordinary answers first, so the baseline is the steady state
        fake.queue(fake.timeline(f"w{i}", [fake.message(f"$w{i}", f"warm-up {i}")]))
        fake.wait_for_since(f"w{i}")
    recorder.wait_for_text("warm-up 2")
    before = vm_rss_mb(herald.pid)

    def huge(send):  # 200 MB, chunked; Herald stops reading at its 32 MiB cap
        block = b"a" * (1 << 20)
        send(b'{"next_batch":"huge","x":"')
        for _ in range(200):
            send(block)
        send(b'"}')

    fake.queue(huge)
    account = herald.wait_account_state(fake.user_id, "offline", timeout=60)
    assert "larger than" in account["reason"], account
    # A big answer that is read: 8 MB in 20,000 small objects, then a small one.
    bulk = b",".join(b'{"n":%d,"text":"%s"}' % (i, b"b" * 400) for i in range(20_000))
    fake.queue(b'{"next_batch":"big","account_data":{"events":[{"type":"org.example.bulk","content":{"items":['
               + bulk + b"]}}]}}")
    fake.wait_for_since("big", timeout=60)
    fake.queue(fake.timeline("after", [fake.message("$after", "after the big answers")]))
    recorder.wait_for_text("after the big answers", timeout=30)
    herald.wait_account_state(fake.user_id, "syncing")
    fake.wait_for_since("after")
    after = vm_rss_mb(herald.pid)
    figure(f"VmRSS around a 200 MB answer (cut at 32 MiB) and an 8 MB one: {before:.1f} MB before, {after:.1f} MB after")
    assert after - before < 12, f"VmRSS grew from {before:.1f} MB to {after:.1f} MB"


# ---------------------------------------------------------------------------------------------
# storage


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs (the tests run as root), unmounted afterwards."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise he.HarnessError(f"cannot mount a tmpfs for the disk-full test (root needed): {done.stderr}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path: Path) -> None:
    """Writes ``path`` until the file system is full."""
    with open(path, "wb", buffering=0) as f:
        block = b"\0" * 65536
        while True:
            try:
                f.write(block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
        for size in (4096, 512, 1):  # the last partial pages too
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def test_a_database_that_cannot_be_written_is_reported_and_nothing_is_lost(
        request, bin_dir, bus, recorder, tmp_path, synapse, users, dm, small_disk):
    listener = he.NotifyListener(tmp_path / "notify.sock")  # the STATUS= line
    herald = he.Herald(bin_dir, tmp_path / "herald", bus.address, extra_env={"NOTIFY_SOCKET": str(listener.path)},
                       extra_args=["--database", str(small_disk / "herald.db"), "--poll-milliseconds", "2000"])
    request.node.herald_logs = [("heraldd log", herald.log_path)]
    herald.start()
    try:
        herald.sign_in(synapse.url, users.alice)
        filler = small_disk / "filler"
        fill(filler)
        synapse.send_text(users.bob.token, dm, "written while the disk was full")
        account = herald.wait_account_state(users.alice.user_id, "offline", timeout=20)
        assert "disk is full" in account["reason"], account
        status = herald.ctl_json("status")
        assert "disk is full" in (status.get("storage") or ""), status
        rc, out, err = herald.ctl("doctor")
        assert "database" in out and "disk is full" in out, out + err
        rc, out, err = herald.ctl("status")
        assert "Database:" in out and "disk is full" in out, out + err
        he.wait_until(lambda: any("database cannot be written" in v for v in listener.values("STATUS")), 10,
                      what="STATUS= to say the database cannot be written")

        filler.unlink()
        herald.wait_account_state(users.alice.user_id, "syncing", timeout=40)
        recorder.wait_for_text("written while the disk was full", timeout=20)
        assert herald.ctl_json("status").get("storage") is None
        assert "the database can be written again" in herald.log_text()
        he.wait_until(lambda: "database" not in listener.values("STATUS")[-1], 10, what="STATUS= without the database")
    finally:
        herald.stop()
        listener.close()


def test_a_deleted_database_is_reported_and_the_restart_says_the_accounts_were_lost(signed_in, recorder):
    s = signed_in
    herald = s.herald
    database = herald.state_home / "herald" / "herald.db"
    assert (herald.state_home / "herald" / "token.key").exists(), "this test needs the key file (no Secret Service)"
    assert herald.ctl_json("status").get("storage") is None, "a first start has lost nothing"
    database.unlink()
    s.synapse.send_text(s.bob.token, s.room, "a commit after the deletion")
    recorder.wait_for_text("a commit after the deletion")
    status = he.wait_until(lambda: (lambda st: st if st.get("storage") else None)(herald.ctl_json("status")), 10,
                           what="status to report the deleted database")
    assert "was deleted" in status["storage"] and "heraldctl logout --all" in status["storage"], status
    assert "was deleted while heraldd was running" in herald.log_text()

    herald.restart()
    status = herald.ctl_json("status")
    assert status["accounts"] == [], status
    lost = status.get("storage") or ""
    assert "were lost" in lost and "Herald on " in lost and "Sessions" in lost, status
    rc, out, err = herald.ctl("doctor")
    assert "were lost" in out, out + err


def test_a_key_in_the_secret_service_without_a_database_says_the_accounts_were_lost(
        request, bin_dir, bus, recorder, tmp_path, synapse, users):
    keyring = start_unlocked_keyring(bus, tmp_path / "keyring")
    herald = he.Herald(bin_dir, tmp_path / "herald", bus.address)
    request.node.herald_logs = [("heraldd log", herald.log_path)]
    try:
        herald.start()
        assert herald.ctl_json("status").get("storage") is None, "a first start has lost nothing"
        herald.sign_in(synapse.url, users.alice)
        assert herald.terminate() == 0
        for leftover in (herald.state_home / "herald").glob("herald.db*"):
            leftover.unlink()
        herald.start()
        status = herald.ctl_json("status")
        assert status["secrets"] == "secret-service", status
        assert status["accounts"] == [], status
        assert "Secret Service" in (status.get("storage") or "") and "were lost" in status["storage"], status
    finally:
        herald.stop()
        keyring.terminate()
        keyring.wait(5)
