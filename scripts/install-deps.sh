#!/usr/bin/env bash
# Installs what Herald's build, tests and demo need. Idempotent: a second run does nothing.
#   - checks for a Swift 6.1+ toolchain, which it cannot install (swift.org ships it)
#   - Debian packages (apt-get; sudo when not root; `apt-get update` only if something is missing)
#   - the virtualenv .venv in the work tree with scripts/requirements-test.txt, skipped when the
#     stamp .venv/.herald-requirements already records exactly that list.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

APT_PACKAGES=(
    # build: system libraries linked by the Swift targets
    libcurl4-openssl-dev libsystemd-dev libsqlite3-dev pkg-config
    # tests: private session bus, systemd tools (systemd-socket-activate, systemd-analyze, busctl)
    dbus-daemon dbus-bin systemd
    # tests: a real systemd user manager with its session bus (dbus.socket as a user unit)
    dbus-user-session
    # tests: gnome-keyring-daemon as the Secret Service on a private bus (HeraldSecretsTests)
    gnome-keyring
    # tests: installed man pages rendered with man -l; unshare/mount for the journald test
    man-db groff-base util-linux mount
    # demo: notifications on a virtual X screen and a screenshot of it
    dunst xvfb x11-apps imagemagick fonts-dejavu-core
)

say() { printf '==> %s\n' "$*"; }

# --- Swift toolchain ---------------------------------------------------------------------------
# Not a Debian package: swift.org's Linux toolchain, on the PATH or unpacked as /opt/swift (where
# the Makefile finds it too). SWIFT names another swift to check.
SWIFT_MINIMUM=6.1
if [ -z "${SWIFT:-}" ]; then
    SWIFT=swift
    command -v swift >/dev/null || [ ! -x /opt/swift/usr/bin/swift ] || SWIFT=/opt/swift/usr/bin/swift
fi
toolchain_help="get the Linux toolchain from https://www.swift.org/install/linux/ (Debian does not package it), unpack it and put its usr/bin on your PATH, or unpack it as /opt/swift"
if ! command -v "$SWIFT" >/dev/null; then
    echo "install-deps: no Swift toolchain: Herald needs Swift $SWIFT_MINIMUM or newer; $toolchain_help" >&2
    exit 1
fi
swift_version=$("$SWIFT" --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n 1)
if [ -z "$swift_version" ] || ! printf '%s\n%s\n' "$SWIFT_MINIMUM" "$swift_version" | sort -V -C; then
    echo "install-deps: $SWIFT is Swift ${swift_version:-of an unknown version}; Herald needs Swift $SWIFT_MINIMUM or newer; $toolchain_help" >&2
    exit 1
fi
say "Swift $swift_version ($(command -v "$SWIFT"))"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
    SUDO=(sudo)
fi

# --- apt ---------------------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# python3 -m venv needs ensurepip (Debian ships it separately as python3-venv)
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
    say "installing apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt packages: all present"
fi

# --- virtualenv ----------------------------------------------------------------------------------
VENV=$ROOT/.venv
REQS=$ROOT/scripts/requirements-test.txt
STAMP=$VENV/.herald-requirements
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && cmp -s "$REQS" "$STAMP" \
        && "$VENV/bin/python" -c 'import synapse, pytest, jeepney, requests, authlib, vodozemac, olm, canonicaljson, nio' >/dev/null 2>&1; then
    say "virtualenv .venv: up to date"
else
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv .venv ($("$PYTHON" --version 2>&1))"
        "$PYTHON" -m venv "$VENV"
    fi
    say "installing Python packages into .venv: $(grep -v '^#' "$REQS" | tr '\n' ' ')"
    start=$(date +%s)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    cp "$REQS" "$STAMP"
    say "Python packages installed in $(( $(date +%s) - start )) s"
fi
