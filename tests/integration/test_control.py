"""heraldctl and the control socket: accounts, exit codes, Varlink, permissions, shutdown."""

from __future__ import annotations

import re
from datetime import datetime

import herald_env as he

HINT = re.compile(r"heraldd|systemctl|running|start", re.I)


def parse_rfc3339(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_account(acct: dict, user: he.User, synapse: he.Synapse) -> None:
    assert acct["id"] == user.user_id
    assert acct["homeserver"].rstrip("/") == synapse.url
    assert isinstance(acct["deviceId"], str) and acct["deviceId"]
    assert acct["state"] in ("starting", "syncing"), acct
    parse_rfc3339(acct["since"])
    assert acct["notifications"] is True
    assert acct["locked"] is False, acct  # a freshly added account starts unlocked
    assert acct["preview"] == "unlocked", acct


def test_account_add_list_status_remove(herald, synapse, users):
    alice = users.alice
    doc = herald.ctl_json("account", "add", synapse.url, "--user", alice.localpart, "--password-stdin",
                          "--pin-stdin", input=f"{alice.password}\n{he.DEFAULT_PIN}\n")
    assert set(doc) == {"account"}, doc
    check_account(doc["account"], alice, synapse)
    device_id = doc["account"]["deviceId"]

    listed = herald.ctl_json("account", "list")
    assert [a["id"] for a in listed["accounts"]] == [alice.user_id]
    check_account(listed["accounts"][0], alice, synapse)
    herald.wait_account_state(alice.user_id, "syncing")

    status = herald.ctl_json("status")
    for key in ("version", "pid", "bus", "notificationServer", "secrets", "notifications", "accounts"):
        assert key in status, f"status --json lacks {key!r}: {status}"
    assert isinstance(status["version"], str) and status["version"]
    assert status["pid"] == herald.pid
    assert status["bus"] == "connected"
    assert "herald-recorder" in (status["notificationServer"] or "")
    assert status["secrets"] in ("secret-service", "key-file", "none")
    assert status["notifications"] is True
    assert [a["id"] for a in status["accounts"]] == [alice.user_id]

    # the human-readable forms work too
    for args in (("status",), ("account", "list")):
        rc, out, err = herald.ctl(*args)
        assert rc == 0, (args, out, err)
        assert alice.user_id in out, (args, out)

    # the device Herald signed in with exists at the server...
    devices = synapse.api("GET", "/_matrix/client/v3/devices", alice.token)["devices"]
    assert device_id in [d["device_id"] for d in devices]

    rc, out, err = herald.ctl("account", "remove", "alice")  # an unambiguous prefix
    assert rc == 0, (out, err)
    assert herald.accounts() == []
    assert herald.ctl_json("status")["accounts"] == []
    # ...and is signed out there once the account is removed
    devices = synapse.api("GET", "/_matrix/client/v3/devices", alice.token)["devices"]
    assert device_id not in [d["device_id"] for d in devices]


def test_wrong_password_is_refused(herald, synapse, users):
    rc, out, err = herald.ctl("account", "add", synapse.url, "--user", users.alice.localpart,
                              "--password-stdin", "--pin-stdin",
                              input=f"definitely-not-her-password\n{he.DEFAULT_PIN}\n")
    assert rc == 1, (rc, out, err)
    assert err.strip(), "no message on stderr"
    assert re.search(r"password|credential|auth|forbidden|sign.?in|log.?in", err, re.I), err
    assert "Traceback" not in err and "Fatal error" not in err
    assert herald.accounts() == []


def test_unreachable_homeserver_is_refused(herald, users):
    url = f"http://127.0.0.1:{he.free_port()}"
    rc, out, err = herald.ctl("account", "add", url, "--user", users.alice.localpart,
                              "--password-stdin", "--pin-stdin",
                              input=f"{users.alice.password}\n{he.DEFAULT_PIN}\n", timeout=60)
    assert rc == 1, (rc, out, err)
    assert url.split("//")[1] in err, err
    assert herald.accounts() == []


def test_plain_http_only_to_a_literal_loopback_address(herald, users):
    # A host *name* that merely starts like a loopback address would be resolved by DNS and get the
    # password and the token in clear: it is refused before any request is made.
    for url in ("http://127.attacker.example", "http://127.0.0.1.attacker.example:8008",
                "http://localhost.attacker.example", "http://127.1:8008", "http://2130706433"):
        rc, out, err = herald.ctl("account", "add", url, "--user", users.alice.localpart,
                                  "--password-stdin", "--pin-stdin",
                                  input=f"{users.alice.password}\n{he.DEFAULT_PIN}\n", timeout=60)
        assert rc == 1, (url, rc, out, err)
        assert "plain http is only allowed for this machine" in err, (url, err)
    assert herald.accounts() == []


def test_unknown_account_is_refused(herald):
    rc, out, err = herald.ctl("account", "remove", "nobody")
    assert rc == 1, (rc, out, err)
    assert "nobody" in err, err


def test_no_daemon_exit_3(herald_idle):
    rc, out, err = herald_idle.ctl("status")
    assert rc == 3, (rc, out, err)
    assert str(herald_idle.socket_path) in err, err
    assert HINT.search(err), f"no hint in {err!r}"
    # with --json the same exit status; the message may be on stderr or in the JSON document
    rc, out, err = herald_idle.ctl("account", "list", "--json")
    assert rc == 3, (rc, out, err)
    assert str(herald_idle.socket_path) in err + out.replace("\\/", "/"), (out, err)


def test_usage_errors_exit_2(herald_idle):
    for args in (("frobnicate",), ("account", "add"), ("notifications", "maybe"),
                 ("account", "add", "http://127.0.0.1:1", "--user"), ("logout",), ("preview", "maybe", "x")):
        rc, out, err = herald_idle.ctl(*args)
        assert rc == 2, (args, rc, out, err)


def test_socket_permissions(herald):
    assert herald.socket_path.is_socket()
    assert he.mode_of(herald.socket_path) == 0o600, oct(he.mode_of(herald.socket_path))
    assert he.mode_of(herald.socket_path.parent) == 0o700, oct(he.mode_of(herald.socket_path.parent))


def test_sigterm_exits_0(signed_in):
    h = signed_in.herald  # one account, its long-poll running
    assert h.terminate(timeout=5) == 0
    rc, _, err = h.ctl("status")
    assert rc == 3, err


def test_restart_keeps_accounts(signed_in):
    h = signed_in.herald
    assert h.terminate() == 0
    h.start()
    assert [a["id"] for a in h.accounts()] == [signed_in.alice.user_id]
    h.wait_account_state(signed_in.alice.user_id, "syncing")


# ---------------------------------------------------------------------------------------------
# Varlink, over a raw socket


def test_varlink_malformed_request_then_valid_call(herald):
    with he.VarlinkConnection(herald.socket_path) as conn:
        conn.send_raw(b"\x01this is {not json\xff\x00")
        reply = conn.receive()
        assert isinstance(reply.get("error"), str) and reply["error"], reply
        info = conn.call("org.varlink.service.GetInfo")
        assert "error" not in info, info
        params = info["parameters"]
        for key in ("vendor", "product", "version", "url", "interfaces"):
            assert key in params, params
        assert "org.herald.Control" in params["interfaces"]
        assert "org.varlink.service" in params["interfaces"]
    assert herald.running()
    herald.ctl_json("status")


def test_varlink_interface_description(herald):
    with he.VarlinkConnection(herald.socket_path) as conn:
        reply = conn.call("org.varlink.service.GetInterfaceDescription",
                          {"interface": "org.herald.Control"})
        assert "error" not in reply, reply
        assert "interface org.herald.Control" in reply["parameters"]["description"]


def test_varlink_unknown_method_and_status(herald):
    with he.VarlinkConnection(herald.socket_path) as conn:
        reply = conn.call("org.herald.Control.NoSuchMethod", {})
        assert reply.get("error") == "org.varlink.service.MethodNotFound", reply
        status = conn.call("org.herald.Control.Status", {})
        assert "error" not in status, status
        assert status["parameters"]["pid"] == herald.pid
