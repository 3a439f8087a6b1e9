"""Sign-in through the browser (issue 4): `heraldctl account add HOMESERVER` without --user.

A second Synapse, started on first use, signs people in through `oidc-provider-mock` (two
providers, both backed by the same mock IdP). The "browser" is a python-requests session that
follows the redirects from the SSO address, submits the provider's form (`sub` = the localpart)
and, as real browsers do on a loopback http origin, sends Synapse's Secure cookies back."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests

import herald_env as he

VENV_BIN = Path(sys.executable).parent
PROVIDERS = [("mock", "Mock Health ID"), ("second", "Second Sign-In")]


# ---------------------------------------------------------------------------------------------
# the SSO homeserver and its identity provider


@pytest.fixture(scope="session")
def oidc_idp(tmp_path_factory):
    work = tmp_path_factory.mktemp("oidc")
    port = he.free_port()
    exe = VENV_BIN / "oidc-provider-mock"
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "oidc_provider_mock"]
    proc = he.spawn([*argv, "--port", str(port)], log_path=work / "oidc.log")
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise he.HarnessError("oidc-provider-mock exited:\n" + he.tail(work / "oidc.log"))
        try:
            return requests.get(url + "/.well-known/openid-configuration", timeout=2).ok
        except requests.RequestException:
            return False

    he.wait_until(up, 30, interval=0.1, what=f"oidc-provider-mock on {url}")
    yield SimpleNamespace(url=url, log=work / "oidc.log")
    he.stop_process(proc)


@pytest.fixture(scope="session")
def sso_synapse(tmp_path_factory, oidc_idp):
    """A Synapse whose login flows are password and SSO through two OIDC providers."""
    providers = [{
        "idp_id": idp_id, "idp_name": name, "issuer": oidc_idp.url, "skip_verification": True,
        "client_id": "synapse", "client_secret": "secret", "scopes": ["openid", "profile"],
        "allow_existing_users": True,
        "user_mapping_provider": {"config": {"localpart_template": "{{ user.sub }}"}},
    } for idp_id, name in PROVIDERS]
    s = he.Synapse(tmp_path_factory.mktemp("synapse-sso"), extra_config={
        "oidc_providers": providers,
        "sso": {"client_whitelist": ["http://127.0.0.1:"]},
    })
    s.start()
    yield s
    s.stop()


def browse(sso_url: str, sub: str) -> requests.Response:
    """The scripted browser: SSO address → IdP form → Synapse → the loopback callback."""
    web = requests.Session()

    def unsecure_cookies():
        for c in web.cookies:
            c.secure = False  # browsers send Secure cookies to a loopback http origin

    r = web.get(sso_url, allow_redirects=False, timeout=10)
    for _ in range(20):
        unsecure_cookies()
        if r.is_redirect:
            r = web.get(urljoin(r.url, r.headers["Location"]), allow_redirects=False, timeout=10)
            continue
        if "/oauth2/authorize" in r.url and 'name="sub"' in r.text:
            r = web.post(r.url, data={"sub": sub}, allow_redirects=False, timeout=10)
            continue
        return r
    raise AssertionError(f"too many steps; last {r.status_code} {r.url}: {r.text[:300]}")


def callback_port(sso_url: str) -> int:
    redirect = parse_qs(urlparse(sso_url).query)["redirectUrl"][0]
    return urlparse(redirect).port


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


class SignIn:
    """`heraldctl account add URL --no-browser --pin-stdin …` running, its URL read from stdout."""

    def __init__(self, herald: he.Herald, url: str, *extra: str, pin: str = he.DEFAULT_PIN):
        self.proc = subprocess.Popen(
            [str(herald.heraldctl), "account", "add", url, "--no-browser", "--pin-stdin", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=herald.env)
        self.proc.stdin.write(pin + "\n")
        self.proc.stdin.flush()
        self.lines: list[str] = []
        self.url = self._read_url()

    def _read_url(self, timeout: float = 30) -> str:
        fd = self.proc.stdout.fileno()
        buffered = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buffered += chunk
            *complete, buffered = buffered.split(b"\n")
            for raw in complete:
                line = raw.decode()
                self.lines.append(line + "\n")
                if line.startswith("http"):
                    assert self.lines[-2].strip() == "Open this address in a browser to sign in:", self.lines
                    return line.strip()
        self.proc.kill()
        out, err = self.proc.communicate()
        raise AssertionError(f"heraldctl printed no sign-in address: {self.lines} {out!r} {err!r}")

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, "".join(self.lines) + out, err


def varlink(herald: he.Herald, method: str, **parameters) -> dict:
    """One raw Varlink call on heraldd's socket."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(60)
        s.connect(str(herald.socket_path))
        s.sendall(json.dumps({"method": method, "parameters": parameters}).encode() + b"\0")
        data = b""
        while not data.endswith(b"\0"):
            chunk = s.recv(65536)
            assert chunk, "heraldd closed the connection"
            data += chunk
    return json.loads(data[:-1])


def sso_users(synapse: he.Synapse) -> SimpleNamespace:
    """alice (who signs in through the IdP as her localpart) and bob, in a direct chat."""
    alice = he.new_user(synapse, "alice", "Alice Martin")
    bob = he.new_user(synapse, "bob", "Dr Bob Durand")
    room = synapse.create_room(bob.token, invite=[alice.user_id], is_direct=True)
    synapse.join(alice.token, room)
    return SimpleNamespace(alice=alice, bob=bob, room=room)


# ---------------------------------------------------------------------------------------------
# tests


def test_sso_sign_in_sets_the_pin_and_notifies(herald, recorder, sso_synapse):
    u = sso_users(sso_synapse)
    flow = SignIn(herald, sso_synapse.url, "--idp", "oidc-mock")
    assert flow.url.startswith(sso_synapse.url + "/_matrix/client/v3/login/sso/redirect/oidc-mock?redirectUrl=")
    page = browse(flow.url, u.alice.localpart)
    assert page.status_code == 200, page.text
    assert "Signed in to Herald" in page.text and "close this tab" in page.text
    assert page.url.startswith("http://127.0.0.1:")
    rc, out, err = flow.finish()
    assert rc == 0, (out, err)
    assert f"Signed in as {u.alice.user_id}" in out
    account = herald.wait_account_state(u.alice.user_id, "syncing", 20)
    assert account["locked"] is False
    # The PIN works: lock, then unlock with it.
    herald.ctl_json("lock", u.alice.user_id)
    assert herald.unlock(u.alice.user_id)["locked"] is False
    sso_synapse.send_text(u.bob.token, u.room, "SSO hello")
    recorder.wait_for_text("SSO hello", timeout=20)
    # The listener is gone, and nothing secret was logged.
    assert not port_open(callback_port(flow.url))
    log = herald.log_text()
    state = parse_qs(urlparse(parse_qs(urlparse(flow.url).query)["redirectUrl"][0]).query)["state"][0]
    assert state not in log and "loginToken" not in log
    tokens = [v for v in re.findall(r"loginToken=([^&\s\"']+)", page.url)]
    assert tokens and all(t not in log for t in tokens)


def test_forged_or_missing_state_is_refused(herald, sso_synapse):
    u = sso_users(sso_synapse)
    flow = SignIn(herald, sso_synapse.url, "--idp", "oidc-second")
    port = callback_port(flow.url)
    base = f"http://127.0.0.1:{port}"
    forged = requests.get(base + "/callback?state=" + "0" * 32 + "&loginToken=forged", timeout=5)
    assert forged.status_code == 400 and "refused" in forged.text
    missing = requests.get(base + "/callback?loginToken=forged", timeout=5)
    assert missing.status_code == 400
    assert requests.post(base + "/callback?loginToken=x", timeout=5).status_code == 405
    assert requests.get(base + "/elsewhere", timeout=5).status_code == 404
    # Still waiting: the real sign-in goes through.
    page = browse(flow.url, u.alice.localpart)
    assert page.status_code == 200 and "Signed in to Herald" in page.text
    rc, out, err = flow.finish()
    assert rc == 0, (out, err)
    assert herald.account(u.alice.user_id) is not None
    # One use: the same callback again finds nothing listening (or an error page).
    try:
        again = requests.get(page.url, timeout=5)
        assert again.status_code >= 400
    except requests.ConnectionError:
        pass


def test_timeout_cancels_and_leaves_no_account(herald, sso_synapse):
    flow = SignIn(herald, sso_synapse.url, "--idp", "oidc-mock", "--timeout", "3")
    port = callback_port(flow.url)
    assert port_open(port)
    rc, out, err = flow.finish(timeout=30)
    assert rc == 1, (out, err)
    assert "within 3 s" in err and "cancelled" in err, err
    assert herald.accounts() == []
    assert not port_open(port)


def test_ctrl_c_closes_the_listener(herald, sso_synapse):
    flow = SignIn(herald, sso_synapse.url, "--idp", "oidc-mock")
    port = callback_port(flow.url)
    assert port_open(port)
    time.sleep(0.3)  # FinishSso is on its way
    flow.proc.send_signal(signal.SIGINT)
    rc, _, err = flow.finish(10)
    assert rc == 130, err  # exited by itself with the shell's status for Ctrl-C, not killed by the signal
    assert "Sign-in cancelled: nothing was added." in err, err
    he.wait_until(lambda: not port_open(port), 5, interval=0.1, what="the loopback listener to close")
    assert herald.accounts() == []


def test_two_providers_listed_by_name(herald, sso_synapse):
    reply = varlink(herald, "org.herald.Control.BeginSignIn", homeserver=sso_synapse.url)
    p = reply["parameters"]
    assert p["sso"] is True and p["password"] is True
    assert [(x["id"], x["name"]) for x in p["providers"]] == [(f"oidc-{i}", n) for i, n in PROVIDERS]
    # Without a terminal and without --idp, heraldctl cannot ask: a usage error names them.
    rc, out, err = herald.ctl("account", "add", sso_synapse.url, "--no-browser", "--pin-stdin", input="4826\n")
    assert rc == 2, (out, err)
    assert "--idp" in err and "oidc-mock (Mock Health ID)" in err and "oidc-second (Second Sign-In)" in err
    rc, out, err = herald.ctl("account", "add", sso_synapse.url, "--idp", "nope", "--pin-stdin", input="4826\n")
    assert rc == 2 and "Mock Health ID" in err


def test_server_without_sso_falls_back_to_password(herald, synapse, users):
    reply = varlink(herald, "org.herald.Control.BeginSignIn", homeserver=synapse.url)
    p = reply["parameters"]
    assert p["sso"] is False and p["password"] is True and p["providers"] == []
    assert "m.login.password" in p["flows"]
    session = p["session"]
    refused = varlink(herald, "org.herald.Control.StartSso", session=session)
    assert refused["error"] == "org.herald.Control.SsoNotOffered"
    assert "m.login.password" in refused["parameters"]["offered"]
    assert varlink(herald, "org.herald.Control.FinishSso", session="nope")["error"] == \
        "org.herald.Control.SessionNotFound"
    # --sso refuses to fall back, naming what the server offers.
    rc, out, err = herald.ctl("account", "add", synapse.url, "--sso", "--pin-stdin", input="4826\n")
    assert rc == 1 and "m.login.password" in err, (out, err)
    # Without a terminal the password cannot be asked: the usage error says how to pass it.
    rc, out, err = herald.ctl("account", "add", synapse.url, "--pin-stdin", input="4826\n")
    assert rc == 2 and "--user NAME --password-stdin" in err, (out, err)
    # A wrong password is said before any PIN is asked for.
    rc, transcript = run_on_pty(herald, ["account", "add", synapse.url],
                                [("User name: ", users.alice.localpart), ("Password for", "not the password")])
    assert rc == 1 and "wrong user name or password" in transcript, transcript
    assert "PIN" not in transcript, f"a PIN was asked for before the password was checked: {transcript}"
    # On a terminal: user name, then password (no echo), then the PIN twice.
    rc, transcript = run_on_pty(herald, ["account", "add", synapse.url],
                                [("User name: ", users.alice.localpart), ("Password for", users.alice.password),
                                 ("Choose a 4-digit PIN", he.DEFAULT_PIN), ("Repeat the PIN", he.DEFAULT_PIN)])
    assert rc == 0, transcript
    assert users.alice.password not in transcript and he.DEFAULT_PIN not in transcript
    assert herald.account(users.alice.user_id) is not None


def test_numbered_provider_choice_on_a_terminal(herald, recorder, sso_synapse):
    u = sso_users(sso_synapse)
    urls: list[str] = []

    def sign_in_in_the_browser(seen: str) -> None:
        url = re.search(r"(http://127\.0\.0\.1:\d+/_matrix/client/v3/login/sso/redirect\S*)", seen).group(1)
        urls.append(url)
        page = browse(url, u.alice.localpart)
        assert page.status_code == 200, page.text
        return None

    rc, transcript = run_on_pty(herald, ["account", "add", sso_synapse.url, "--no-browser"],
                                [("Your choice (1-2): ", "2"), ("Ctrl-C cancels", sign_in_in_the_browser),
                                 ("Choose a 4-digit PIN", he.DEFAULT_PIN), ("Repeat the PIN", he.DEFAULT_PIN)])
    assert rc == 0, transcript
    assert "1. Mock Health ID" in transcript and "2. Second Sign-In" in transcript
    assert "/login/sso/redirect/oidc-second?" in urls[0]
    assert f"Signed in as {u.alice.user_id}" in transcript
    assert he.DEFAULT_PIN not in transcript
    herald.wait_account_state(u.alice.user_id, "syncing", 20)


def test_signing_in_again_after_a_sign_out_keeps_the_settings(herald, sso_synapse):
    u = sso_users(sso_synapse)
    for round in range(2):
        flow = SignIn(herald, sso_synapse.url, "--idp", "oidc-mock")
        assert browse(flow.url, u.alice.localpart).status_code == 200
        rc, out, err = flow.finish()
        assert rc == 0, (out, err)
        account = herald.wait_account_state(u.alice.user_id, "syncing", 20)
        if round == 0:
            herald.ctl_json("preview", "never", u.alice.user_id)
            sso_synapse.admin_delete_device(u.alice.user_id, account["deviceId"])
            herald.wait_account_state(u.alice.user_id, "signed_out", 30)
    assert account["preview"] == "never"


@pytest.mark.herald(env={"HERALD_TEST_SIGNIN_LIFETIME": "6"})
def test_an_unfinished_sign_in_is_logged_out_at_the_server(herald, sso_synapse):
    u = sso_users(sso_synapse)
    before = set(sso_synapse.admin_devices(u.alice.user_id))
    # A malformed PIN stops heraldctl after the browser came back, before CompleteSignIn.
    flow = SignIn(herald, sso_synapse.url, "--idp", "oidc-mock", pin="12")
    assert browse(flow.url, u.alice.localpart).status_code == 200
    rc, out, err = flow.finish()
    assert rc == 2, (out, err)
    assert herald.accounts() == []
    he.wait_until(lambda: set(sso_synapse.admin_devices(u.alice.user_id)) == before, 20, interval=0.5,
                  what="the unfinished sign-in's device to be logged out")


def run_on_pty(herald: he.Herald, args: list[str], dialogue: list[tuple[str, object]],
               timeout: float = 60) -> tuple[int, str]:
    """Runs heraldctl with a pseudo-terminal as its controlling terminal and standard streams,
    answering each prompt (an answer may be a function of everything shown so far that acts and
    returns None: nothing is typed); returns the exit status and everything it showed."""
    import pty

    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def become_session_leader():
        os.setsid()
        fd = os.open(slave_name, os.O_RDWR)  # the first terminal opened becomes the controlling one
        os.close(fd)

    proc = subprocess.Popen([str(herald.heraldctl), *args], stdin=slave, stdout=slave, stderr=slave,
                            env=herald.env, preexec_fn=become_session_leader, close_fds=True)
    os.close(slave)
    seen = ""
    pending = list(dialogue)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096).decode(errors="replace")
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if pending and pending[0][0] in seen.split("\x00")[-1]:
                prompt, answer = pending.pop(0)
                if callable(answer):
                    answer = answer(seen)
                seen += "\x00"  # answered up to here
                if answer is not None:
                    time.sleep(0.1)  # echo is switched off before the prompt shows
                    os.write(master, (answer + "\n").encode())
            if proc.poll() is not None and not ready:
                break
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, seen.replace("\x00", "")
