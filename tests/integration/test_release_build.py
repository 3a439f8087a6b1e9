"""The build that users install and that `make bench` measures: release, with the Swift runtime and
Foundation linked into the binaries (`--static-swift-stdlib`) and heraldd's functions laid out by
its order file. `make test` builds it and names its directory in HERALD_RELEASE_BIN_DIR; without
it these tests fail, they do not skip."""

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
                    "`swift build $RELEASE_FLAGS` (the Makefile's) and set it to "
                    "`swift build $RELEASE_FLAGS --show-bin-path`")
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


def test_release_heraldd_lays_out_the_functions_it_runs_first(release_bin_dir):
    """The release link follows Sources/heraldd/heraldd.order: the functions a day's work runs sit
    together, in the file's order, so that the few pages around them are what heraldd maps, not
    most of its 22 MB. Functions that share a section with others (the Swift runtime's and
    Foundation's) move with it, so not every pair is in order; without the order (a dropped linker
    flag, a file not found) about half the pairs are, by chance."""
    order = [line.strip() for line in (he.REPO / "Sources" / "heraldd" / "heraldd.order").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(order) > 1000, f"the order file names {len(order)} functions: remake it with `make orderfile`"
    out = subprocess.run(["nm", "--defined-only", str(release_bin_dir / "heraldd")],
                         capture_output=True, text=True, check=True).stdout
    address: dict[str, int] = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "tT":
            address.setdefault(fields[2], int(fields[0], 16))
    placed = [address[name] for name in order if name in address]
    assert len(placed) > 0.9 * len(order), f"only {len(placed)} of {len(order)} ordered functions are in heraldd"
    in_order = sum(1 for a, b in zip(placed, placed[1:]) if b > a) / (len(placed) - 1)
    assert in_order > 0.75, f"{in_order:.0%} of consecutive ordered functions are laid out in order"
