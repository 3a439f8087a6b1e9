#!/usr/bin/env python3
"""Writes Sources/heraldd/heraldd.order: the functions heraldd runs in a day's work, hottest first.

The release link lays these out first and together (Package.swift, `--symbol-ordering-file`). The
kernel maps a binary's text into a process 64 KB and more at a time around each page it touches;
with the few thousand functions heraldd runs spread over 22 MB of Swift runtime, Foundation and
packages, most of that text became resident.

How: `make bench`'s quick run drives heraldd through its work (sign-in, sync, cleartext and
encrypted messages, key sharing, a burst, a backlog, many accounts, restarts), with heraldd under
valgrind's callgrind, which records every function that runs. Run it after changes that move
heraldd's work to other code; names the build no longer has are skipped by the linker, and new
ones land in the rest of the text, where they still run, only with more of it resident.

    make orderfile          (release build first, then this script; needs valgrind)
"""

from __future__ import annotations

import argparse
import bisect
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "Sources" / "heraldd" / "heraldd.order"
HEADER = """\
# heraldd's functions in the order the release link lays them out: every function that ran in a
# `make bench --quick` run, hottest first. Made by `make orderfile` (scripts/orderfile.py); see
# Package.swift. Lines starting with '#' are comments to the linker.
"""


def executed_addresses(paths: list[Path], object_name: str) -> collections.Counter:
    """Instructions run (Ir) at each address of `object_name`, from callgrind outputs written with
    --dump-instr=yes --compress-strings=no --compress-pos=no. Addresses, not callgrind's function
    names: valgrind leaves some Swift functions unnamed or under a neighbour's name, and the
    binary's own symbol table says where each function is. A `calls=` line is followed by the
    call's inclusive cost, which is not the caller's own."""
    cost: collections.Counter = collections.Counter()
    for path in paths:
        mine = False
        skip_next = False
        with open(path, errors="replace") as f:
            for line in f:
                if skip_next:
                    skip_next = False
                elif line.startswith("ob="):
                    mine = os.path.basename(line[3:].strip()) == object_name
                elif line.startswith("calls="):
                    skip_next = True
                elif mine and line.startswith("0x"):
                    parts = line.split()
                    if len(parts) >= 3:
                        cost[int(parts[0], 16)] += int(parts[2])
    return cost


def functions(binary: Path) -> list[tuple[int, int, str]]:
    """(address, size, name) of the binary's functions, by address; one name for aliases."""
    out = subprocess.run(["nm", "--defined-only", "--print-size", str(binary)],
                         capture_output=True, text=True, check=True).stdout
    seen: dict[int, tuple[int, int, str]] = {}
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in "tTwW":
            address, size = int(parts[0], 16), int(parts[1], 16)
            if size > 0 and address not in seen:
                seen[address] = (address, size, parts[3])
    return sorted(seen.values())


def function_costs(addresses: collections.Counter, table: list[tuple[int, int, str]]) -> collections.Counter:
    starts = [a for a, _, _ in table]
    cost: collections.Counter = collections.Counter()
    for address, ir in addresses.items():
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < table[i][0] + table[i][1]:
            cost[table[i][2]] += ir + 1  # a function that ran counts, even at no cost
    return cost


# BoringSSL picks its SHA, AES and X25519 code for the CPU at run time, and valgrind's virtual CPU
# lacks some extensions (ADX, SHA-NI): the profile holds the plain versions, so their variants
# are laid out too, after everything that ran.
CPU_SUFFIXES = ("_nohw", "_hw", "_avx", "_avx2", "_ssse3", "_adx")


def with_cpu_variants(names: list[str], defined: set[str]) -> list[str]:
    out, seen = list(names), set(names)

    def add(name: str) -> None:
        if name in defined and name not in seen:
            out.append(name)
            seen.add(name)
    for name in names:
        if not name.startswith("CCryptoBoringSSL_"):
            continue
        stem = next((name[:-len(s)] for s in CPU_SUFFIXES if name.endswith(s)), name)
        for candidate in (stem, *(stem + s for s in CPU_SUFFIXES)):
            add(candidate)
    # X25519 and Ed25519 have ADX versions of their own, and helpers that only those call.
    if any(n.startswith(("CCryptoBoringSSL_x25519", "CCryptoBoringSSL_X25519")) for n in names):
        for name in sorted(defined):
            if (name.startswith("CCryptoBoringSSL_x25519") and name.endswith("_adx")) \
                    or name.startswith("CCryptoBoringSSL_fiat_curve25519_adx_"):
                add(name)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin-dir", type=Path, required=True, help="the release build's directory (heraldd, heraldctl)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the order file (default {DEFAULT_OUT.relative_to(ROOT)})")
    ap.add_argument("--python", default=sys.executable, help="the Python of the test virtualenv, for the bench")
    args = ap.parse_args()
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("orderfile: valgrind is needed (apt install valgrind)", file=sys.stderr)
        return 1
    for name in ("heraldd", "heraldctl"):
        if not (args.bin_dir / name).is_file():
            print(f"orderfile: no {name} in {args.bin_dir}: build it first (make orderfile does)", file=sys.stderr)
            return 1

    with tempfile.TemporaryDirectory(prefix="herald-orderfile-") as tmp:
        work = Path(tmp)
        real = work / "heraldd.real"
        # The symbol table stays, the debug information goes: valgrind reads it at every start.
        subprocess.run(["strip", "--strip-debug", "-o", str(real), str(args.bin_dir / "heraldd")], check=True)
        shutil.copy2(args.bin_dir / "heraldctl", work / "heraldctl")
        profiles = work / "profiles"
        profiles.mkdir()
        wrapper = work / "heraldd"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"exec {valgrind} -q --tool=callgrind --dump-instr=yes --compress-strings=no --compress-pos=no "
            f"--demangle=no --callgrind-out-file={profiles}/callgrind.%p {real} \"$@\"\n")
        wrapper.chmod(0o755)
        print("orderfile: make bench --quick with heraldd under callgrind (about five minutes)", flush=True)
        bench = subprocess.run([args.python, str(ROOT / "bench" / "bench.py"), "--quick", "--bin-dir", str(work),
                                "--out", str(work / "bench.json")])
        if bench.returncode != 0:
            # Slower under valgrind, some figures miss; the functions that ran are what counts.
            print(f"orderfile: the bench exited {bench.returncode} (figures under valgrind mean nothing)", flush=True)
        table = functions(real)
        cost = function_costs(executed_addresses(sorted(profiles.glob("callgrind.*")), real.name), table)

    names = list(cost)
    if len(names) < 1000:
        print(f"orderfile: only {len(names)} functions recorded: the bench did not drive heraldd", file=sys.stderr)
        return 1
    names.sort(key=lambda n: (-cost[n], n))
    names = with_cpu_variants(names, {name for _, _, name in table})
    args.out.write_text(HEADER + "".join(n + "\n" for n in names))
    print(f"orderfile: {len(names)} functions written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
