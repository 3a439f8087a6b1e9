# Herald — build, test, demo.
#   make deps    Debian packages and the test virtualenv (.venv)   scripts/install-deps.sh
#   make build   swift build
#   make test    deps, Swift unit tests, then the integration tests (real Synapse, D-Bus, heraldd)
#   make demo    deps, build, then scripts/demo.sh (Synapse + heraldd + dunst on Xvfb, screenshot)
#   make clean   Swift build products, demo output, Python caches (keeps .venv and fetched packages)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# CI runs with the machine's environment: find the toolchain even when it is not on PATH.
ifeq ($(shell command -v swift 2>/dev/null),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

VENV   := .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?= -v

.PHONY: all deps build test unit-test integration-test demo clean

all: build

deps:
	scripts/install-deps.sh

build:
	swift build

test: deps
	swift build --build-tests
	swift test --skip-build
	$(MAKE) --no-print-directory integration-test

# Runs the integration tests against whatever is built (no deps, no build).
integration-test:
	bin="$$(swift build --show-bin-path)"; \
	HERALD_BIN_DIR="$$bin" $(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

demo: deps build
	HERALD_DEMO_SKIP_SETUP=1 scripts/demo.sh

clean:
	swift package clean
	rm -rf demo-out .pytest_cache
	find tests scripts -name __pycache__ -type d -prune -exec rm -rf {} +
