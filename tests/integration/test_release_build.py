"""The build that users install and that `make bench` measures: release, with the Swift runtime and
Foundation linked into the binaries (`--static-swift-stdlib`). `make test` builds it and names its
directory in HERALD_RELEASE_BIN_DIR; without it these tests fail, they do not skip."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

import herald_env as he

# Shared libraries of the Swift toolchain: the installed binaries must not need any of them.
TOOLCHAIN_LIBRARIES = ("libswift", "libFoundation", "lib_FoundationICU", "libdispatch", "libBlocksRuntime")


@pytest.fixture(scope="module")
def release_bin_dir() -> Path:
    value = os.environ.get("HERALD_RELEASE_BIN_DIR")
    if not value:
        pytest.fail("HERALD_RELEASE_BIN_DIR is not set: run `make test`, or build with "
                    "`swift build -c release --static-swift-stdlib` and set it to "
                    "`swift build -c release --static-swift-stdlib --show-bin-path`")
    path = Path(value)
    he.require_binaries(path)
    return path


@pytest.mark.parametrize("name", ["heraldd", "heraldctl"])
def test_release_binaries_run_without_the_swift_toolchain(release_bin_dir, name):
    out = subprocess.run(["ldd", str(release_bin_dir / name)], capture_output=True, text=True, check=True).stdout
    needed = [line.split()[0] for line in out.splitlines() if line.strip()]
    from_toolchain = [lib for lib in needed if lib.startswith(TOOLCHAIN_LIBRARIES)]
    assert not from_toolchain, f"{name} loads the toolchain's {from_toolchain}:\n{out}"


def test_release_heraldd_serves_on_its_own_executor(release_bin_dir, bus, recorder, tmp_path, synapse, users, dm):
    """Swift tasks run on heraldd's own pool (herald-worker threads), not libdispatch's, whose
    monitor wakes an idle process every second: the pool's hook must be found in a static runtime
    too. Then one message goes all the way to a notification."""
    h = he.Herald(release_bin_dir, tmp_path / "herald-release", bus.address)
    try:
        h.start()
        threads = {(p / "comm").read_text().strip() for p in Path(f"/proc/{h.pid}/task").iterdir()}
        assert "herald-worker" in threads, f"threads: {sorted(threads)}\n--- log ---\n{he.tail(h.log_path)}"
        assert "keeping the default executor" not in h.log_path.read_text()

        h.sign_in(synapse, users.alice)
        text = f"Résultats du laboratoire {uuid.uuid4().hex[:8]}"
        synapse.send_text(users.bob.token, dm, text)
        n = recorder.wait_for_text(text, timeout=20)
        assert n["summary"] == users.bob.displayname
    finally:
        h.stop()
