#!/usr/bin/env bash
# Herald demo: `make demo`, or scripts/demo.sh directly.
# Installs the dependencies (make deps), builds (make build), then runs scripts/demo.py:
# a throwaway Synapse, heraldd, Alice signed in, Dr Bob Durand writing, notifications shown on the
# desktop or on dunst under Xvfb with a screenshot in demo-out/. Ctrl-C cleans everything up.
# DEMO_EXIT=1 (or no terminal on stdin) ends it after the messages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

if [ -z "${HERALD_DEMO_SKIP_SETUP:-}" ]; then   # `make demo` has done both already
    echo "==> make deps"
    make --no-print-directory deps
    echo "==> make build"
    make --no-print-directory build
fi
HERALD_BIN_DIR="$(swift build --show-bin-path)"
export HERALD_BIN_DIR

# demo.py stops everything it started on Ctrl-C/TERM/HUP (and its children die with it);
# the trap only keeps this shell from exiting before demo.py has finished cleaning up.
trap ':' INT
.venv/bin/python scripts/demo.py "$@"
