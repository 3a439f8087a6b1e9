"""No secret (password, access token) in heraldd's log, heraldctl's output or Herald's files;
no message text in the log."""

from __future__ import annotations

import uuid
from pathlib import Path

import herald_env as he

TOKEN_PREFIX = "syt_"  # every Synapse access token starts so


def files_containing(root: Path, needle: bytes) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle in path.read_bytes():
                    hits.append(str(path))
            except OSError:
                pass
    return hits


def test_no_secret_in_log_output_or_files(herald, synapse, users, dm, recorder):
    alice, bob = users.alice, users.bob
    wrong = f"wrong-{uuid.uuid4().hex}"

    rc, _, _ = herald.ctl("account", "add", synapse.url, "--user", bob.localpart, "--password-stdin",
                          "--pin-stdin", input=f"{wrong}\n{he.DEFAULT_PIN}\n")
    assert rc == 1
    herald.ctl("account", "add", synapse.url, "--user", alice.localpart, "--password-stdin", "--pin-stdin",
               input=f"{alice.password}\n{he.DEFAULT_PIN}\n")
    herald.wait_account_state(alice.user_id, "syncing")
    for args in (("status",), ("status", "--json"), ("account", "list"), ("account", "list", "--json")):
        assert herald.ctl(*args)[0] == 0

    text = f"Résultats du bilan sanguin de M. Laurent {uuid.uuid4().hex[:8]}"
    synapse.send_text(bob.token, dm, text)
    recorder.wait_for_text(text)

    # at rest: the password is used once and never stored
    for secret in (alice.password, wrong):
        for root in (herald.state_home, herald.config_home, herald.runtime_dir, herald.data_home,
                     herald.cache_home, herald.home):
            assert files_containing(root, secret.encode()) == [], f"password stored under {root}"

    assert herald.ctl("account", "remove", "alice")[0] == 0
    assert herald.terminate() == 0

    log = "\n".join(line for line in herald.log_text().splitlines()
                    if not line.startswith("===== heraldd start"))  # the harness's own markers
    outputs = "\n".join(out + "\n" + err for _, _, out, err in herald.transcript)
    notified = recorder.log_path.read_text()
    for where, corpus in (("heraldd log", log), ("heraldctl output", outputs), ("notifications", notified)):
        assert alice.password not in corpus, f"password in {where}"
        assert wrong not in corpus, f"wrong password in {where}"
        assert TOKEN_PREFIX not in corpus, f"an access token in {where}"
    assert text not in log, "message text in heraldd's log"
    assert log.strip(), "heraldd logged nothing at all (is stderr captured?)"
