# Herald — build, test, demo.
#   make deps    Debian packages and the test virtualenv (.venv)   scripts/install-deps.sh
#   make build   swift build
#   make test    deps, Swift unit tests, the release build, then the integration tests (real Synapse,
#                D-Bus, heraldd; the release build too)
#   make orderfile  remakes heraldd's function order for the release link (needs valgrind)
#   make demo    deps, build, then scripts/demo.sh (Synapse + heraldd + dunst on Xvfb, screenshot)
#   make clean   Swift build products, demo output, Python caches (keeps .venv and fetched packages)
#   make man     build, then rewrite the generated parts of man/*.{1,8} from the argument parsers
#   make install    release build, then binaries, units, config, man pages, completions, desktop
#                   entry and icon under PREFIX
#                   (default ~/.local; `sudo make install PREFIX=/usr/local` for every user)
#   make uninstall  removes exactly what `make install` put under PREFIX (its manifest says what)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# CI runs with the machine's environment: find the toolchain even when it is not on PATH.
ifeq ($(shell command -v swift 2>/dev/null),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

VENV   := .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?= -v
# Release builds link the Swift runtime and Foundation into the binaries: they run without the
# toolchain, and heraldd maps only the parts it uses instead of whole shared libraries.
# Every function in a section of its own, Swift and C: the linker drops the ones nothing calls and
# lays out heraldd's by Sources/heraldd/heraldd.order (`make orderfile`).
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections

.PHONY: all deps build man test unit-test integration-test demo bench orderfile clean install uninstall

all: build

deps:
	scripts/install-deps.sh

build:
	swift build

# Commands and options in the man pages come from the parsers (scripts/manpage.py); the
# integration tests fail when the committed pages are stale.
man: build
	bin="$$(swift build --show-bin-path)"; \
	python3 scripts/manpage.py "$$bin/heraldctl" man/heraldctl.1; \
	python3 scripts/manpage.py "$$bin/heraldd" man/heraldd.8

test: deps
	swift build --build-tests
	swift test --skip-build
	swift build $(RELEASE_FLAGS)
	$(MAKE) --no-print-directory integration-test

# Runs the integration tests against whatever is built (no deps, no build): the debug build, and
# the release build for test_release_build.py.
integration-test:
	bin="$$(swift build --show-bin-path)"; \
	HERALD_BIN_DIR="$$bin" HERALD_RELEASE_BIN_DIR="$$(swift build $(RELEASE_FLAGS) --show-bin-path)" \
		$(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

# The performance budget (issue figures, DESIGN.md) against a bare Python /sync loop, on a release
# build. BENCH_ARGS=--quick for a smoke run of about four minutes.
bench: deps
	swift build $(RELEASE_FLAGS)
	HERALD_BIN_DIR="$$(swift build $(RELEASE_FLAGS) --show-bin-path)" $(PYTHON) bench/bench.py $(BENCH_ARGS)

# Remakes Sources/heraldd/heraldd.order, the layout of heraldd's release text, from a quick bench run
# with heraldd under valgrind's callgrind (scripts/orderfile.py; about five minutes).
orderfile: deps
	swift build $(RELEASE_FLAGS)
	bin="$$(swift build $(RELEASE_FLAGS) --show-bin-path)"; \
	$(PYTHON) scripts/orderfile.py --bin-dir "$$bin"; \
	rm -f "$$bin/heraldd"; swift build $(RELEASE_FLAGS)

demo: deps build
	HERALD_DEMO_SKIP_SETUP=1 scripts/demo.sh

clean:
	swift package clean
	rm -rf demo-out .pytest_cache
	find tests scripts -name __pycache__ -type d -prune -exec rm -rf {} +

# --- install -------------------------------------------------------------------------------------
PREFIX ?= $(HOME)/.local
DESTDIR ?=
# debug only for the install test, which must not wait for a second, optimised build.
SWIFT_CONFIGURATION ?= release
BUILD_FLAGS = $(if $(filter release,$(SWIFT_CONFIGURATION)),$(RELEASE_FLAGS),-c $(SWIFT_CONFIGURATION))
# systemd's user unit search path: ~/.config/systemd/user for a home install, else
# PREFIX/lib/systemd/user (/usr/local/lib/systemd/user is searched for every user).
ifeq ($(abspath $(PREFIX)),$(abspath $(HOME)/.local))
USERUNITDIR ?= $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/systemd/user
else
USERUNITDIR ?= $(PREFIX)/lib/systemd/user
endif
# Handed to scripts/install.sh explicitly, never exported: a make started by a test must not
# inherit the outer make's idea of them.
INSTALL_VARS = PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" USERUNITDIR="$(USERUNITDIR)"

# Under sudo, swift runs as the user who owns the work tree, so that no root-owned file lands in .build.
AS_OWNER := as_owner() { if [ "$$(id -u)" -eq 0 ] && [ -n "$${SUDO_USER:-}" ] && [ "$$(stat -c %U .)" = "$$SUDO_USER" ]; \
	then sudo -u "$$SUDO_USER" env PATH="$$PATH" "$$@"; else "$$@"; fi; }

install:
	@if [ "$$(id -u)" -eq 0 ] && [ -n "$${SUDO_USER:-}" ] && [ "$(abspath $(PREFIX))" = "$(abspath $(HOME)/.local)" ]; then \
		echo "install: under sudo, give a system prefix (sudo make install PREFIX=/usr/local), or run make install without sudo" >&2; \
		exit 2; \
	fi
	$(AS_OWNER); as_owner swift build $(BUILD_FLAGS); \
	$(INSTALL_VARS) scripts/install.sh install "$$(as_owner swift build $(BUILD_FLAGS) --show-bin-path)"

uninstall:
	$(INSTALL_VARS) scripts/install.sh uninstall
