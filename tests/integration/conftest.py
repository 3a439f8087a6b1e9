"""Fixtures for Herald's integration tests: one Synapse per session; per test a private D-Bus bus,
a recording notification server, a fresh pair of users and a heraldd with its own directories.

Nothing here skips: a missing binary or tool is an error, and a skipped test fails the session."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import herald_env as he  # noqa: E402

FIGURES: list[str] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "capabilities(*caps): GetCapabilities answer of the recorder")
    config.addinivalue_line("markers", "herald(args=[...], env={...}): heraldd's extra command-line "
                                       "arguments and environment for this test")


# ---------------------------------------------------------------------------------------------
# reporting: log tails on failure, figures at the end, skips fail the run


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for title, path in getattr(item, "herald_logs", []):
            report.sections.append((f"{title} (tail of {path})", he.tail(Path(path), 80)))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if FIGURES:
        terminalreporter.section("Herald figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} test(s) skipped: integration tests must not skip",
                                    red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture
def figure():
    """figure("send → Notify: 23 ms") adds a line to the summary printed at the end."""
    def add(line: str) -> None:
        FIGURES.append(line)
        print(line)
    return add


def _attach_log(request, title: str, path: Path) -> None:
    logs = getattr(request.node, "herald_logs", None)
    if logs is None:
        logs = request.node.herald_logs = []
    logs.append((title, path))


# ---------------------------------------------------------------------------------------------
# session-wide parts


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    return he.find_bin_dir()


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    s = he.Synapse(tmp_path_factory.mktemp("synapse"))
    s.start()
    FIGURES.append(f"Synapse: config generated in {s.config_seconds:.2f} s, "
                   f"started in {s.startup_seconds:.2f} s, on {s.url}")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def synapse_refresh(tmp_path_factory):
    """A second Synapse, started on first use, whose access tokens live 10 s when the client asks
    for a refresh token (MSC2918 / Matrix 1.3): a client that does not refresh is cut off fast."""
    s = he.Synapse(tmp_path_factory.mktemp("synapse-refresh"),
                   extra_config={"refreshable_access_token_lifetime": "10s"})
    s.start()
    FIGURES.append(f"Synapse (10 s access tokens): started in {s.startup_seconds:.2f} s, on {s.url}")
    yield s
    s.stop()


# ---------------------------------------------------------------------------------------------
# per-test parts


@pytest.fixture
def bus(tmp_path):
    b = he.DBusDaemon(tmp_path / "dbus").start()
    yield b
    b.stop()


@pytest.fixture
def recorder(request, bus, tmp_path):
    marker = request.node.get_closest_marker("capabilities")
    caps = list(marker.args) if marker else None
    r = he.Recorder(bus, tmp_path / "recorder", capabilities=caps)
    _attach_log(request, "recorded notifications", r.log_path)
    r.start()
    yield r
    r.stop()


@pytest.fixture
def herald_idle(request, bin_dir, bus, recorder, tmp_path):
    """A heraldd set up (directories, environment) but not started; ``@pytest.mark.herald(args=…,
    env=…)`` adds command-line arguments and environment variables."""
    marker = request.node.get_closest_marker("herald")
    options = marker.kwargs if marker else {}
    h = he.Herald(bin_dir, tmp_path / "herald", bus.address, extra_env=options.get("env"),
                  extra_args=options.get("args", ()))
    _attach_log(request, "heraldd log", h.log_path)
    yield h
    h.stop()


@pytest.fixture
def herald(herald_idle):
    """A running heraldd, answering `heraldctl status`."""
    return herald_idle.start()


@pytest.fixture
def users(synapse):
    """A fresh pair: alice (the Herald user) and bob (who writes to her)."""
    alice = he.new_user(synapse, "alice", "Alice Martin")
    bob = he.new_user(synapse, "bob", "Dr Bob Durand")
    return SimpleNamespace(alice=alice, bob=bob)


@pytest.fixture
def dm(synapse, users):
    """A direct chat bob → alice (2 members, no name), both joined."""
    room = synapse.create_room(users.bob.token, invite=[users.alice.user_id], is_direct=True)
    synapse.join(users.alice.token, room)
    return room


@pytest.fixture
def signed_in(herald, synapse, users, dm):
    """heraldd with alice signed in and her first sync done; bob can write in `dm`."""
    account = herald.sign_in(synapse.url, users.alice)
    return SimpleNamespace(herald=herald, account=account, alice=users.alice, bob=users.bob,
                           room=dm, synapse=synapse)
