"""What Herald says to a newcomer: man pages that follow the argument parsers, help text the
parser can wrap to any terminal, `heraldctl autostart on` that says what it did, and `make deps`
naming the Swift toolchain it needs."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import herald_env as he

REPO = he.REPO
PAGES = (("heraldctl", "man/heraldctl.1"), ("heraldd", "man/heraldd.8"))


def dump_help(binary: Path) -> dict:
    p = subprocess.run([str(binary), "--experimental-dump-help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["command"]


def commands(command: dict, path: tuple = ()):
    """(words, command) for the root and every displayed subcommand but the parser's `help`."""
    yield path, command
    for sub in command.get("subcommands") or []:
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            yield from commands(sub, path + (sub["commandName"],))


def displayed(command: dict) -> list:
    return [a for a in command.get("arguments") or [] if a.get("shouldDisplay", True)]


def render(page: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MAN_KEEP_FORMATTING"}
    p = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True, timeout=30,
                       env={**env, "MANWIDTH": "250"})
    assert p.returncode == 0, p.stderr
    return p.stdout.replace("\u2010", "-")  # man's hyphen where a word was split


def test_committed_man_pages_are_generated_from_the_parsers(bin_dir):
    for program, page in PAGES:
        p = subprocess.run(["python3", str(REPO / "scripts/manpage.py"), str(bin_dir / program), str(REPO / page),
                            "--check"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"{page} does not match {program}'s parser (run `make man`):\n{p.stdout}{p.stderr}"


def test_man_pages_name_every_command_and_option(bin_dir, tmp_path):
    for program, page in PAGES:
        out = tmp_path / Path(page).name
        subprocess.run(["python3", str(REPO / "scripts/manpage.py"), str(bin_dir / program), str(REPO / page),
                        "--output", str(out)], check=True, timeout=60)
        text = " ".join(render(out).split())
        for words, command in commands(dump_help(bin_dir / program)):
            if words and not command.get("subcommands"):
                assert f"{program} {' '.join(words)}" in text, f"{page}: no `{' '.join(words)}`"
            for argument in displayed(command):
                if argument["kind"] != "positional":
                    name = "--" + argument["preferredName"]["name"]
                    assert name in text, f"{page}: {' '.join(words) or program} {name} is missing"
                if argument.get("abstract"):
                    assert " ".join(argument["abstract"].split()) in text, f"{page}: {argument['abstract']!r}"
        # The hand-written sections survive the generation.
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "FILES", "EXAMPLES", "SEE ALSO"):
            assert f" {section} " in f" {text} ", f"{page} lost its {section} section"


def test_heraldctl_page_says_what_the_pin_protects_and_what_not():
    text = " ".join(render(REPO / "man/heraldctl.1").split())
    assert " SECURITY " in text, "heraldctl(1) has no SECURITY section"
    security = text[text.index(" SECURITY "):text.index(" ENVIRONMENT ")]
    for words in ("colleague at the shared screen and keyboard", "shell as the same OS user", "offline",
                  "21 minutes", "token key", "their own OS account"):
        assert words in security, f"SECURITY does not say {words!r}: {security}"


def test_help_paragraphs_are_left_for_the_parser_to_wrap(bin_dir):
    """A hard line break inside a sentence shows as a break mid-sentence once the parser wraps the
    line again to the terminal's width. Breaks may follow a sentence or a colon, or come before a
    blank or an indented line (examples)."""
    broken = []
    for program in ("heraldctl", "heraldd"):
        for words, command in commands(dump_help(bin_dir / program)):
            texts = [command.get("discussion", "")] + [a.get("discussion", "") for a in displayed(command)]
            for text in texts:
                lines = text.split("\n")
                for line, following in zip(lines, lines[1:]):
                    if line.strip() and following.strip() and not following.startswith(" ") \
                            and not re.search(r"[.:!?]$", line.rstrip()):
                        broken.append(f"{program} {' '.join(words)}: {line!r} / {following!r}")
    assert not broken, "help text broken mid-sentence:\n" + "\n".join(broken)


def test_autostart_on_without_the_unit_is_a_success_with_a_note(bin_dir, tmp_path):
    """No user manager and no unit installed: only the XDG entry can be made. That is autostart
    on (exit 0), said as such, with a note, not an error's words."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR=str(runtime),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_DATA_DIRS=str(tmp_path / "none"),
               XDG_CONFIG_DIRS=str(tmp_path / "none"))
    p = subprocess.run([str(bin_dir / "heraldctl"), "autostart", "on"], env=env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p
    assert p.stderr == "", f"a success printed on standard error: {p.stderr!r}"
    lines = p.stdout.splitlines()
    assert lines[0].startswith("Autostart is on from your next login"), p.stdout
    assert lines[1].startswith("Note: herald.service is not installed") and "make install" in lines[1], p.stdout
    assert (tmp_path / "config" / "autostart" / "herald.desktop").is_file()


def test_make_deps_says_a_swift_6_1_toolchain_is_needed(tmp_path):
    """The toolchain is not a Debian package: `make deps` cannot install it, so it says what to get,
    before installing anything."""
    old = tmp_path / "swift"
    old.write_text('#!/bin/sh\necho "Swift version 5.10.1 (swift-5.10.1-RELEASE)"\n')
    old.chmod(0o755)
    for swift, says in ((tmp_path / "none", "no Swift toolchain"), (old, "is Swift 5.10.1")):
        p = subprocess.run([str(REPO / "scripts/install-deps.sh")], env={**os.environ, "SWIFT": str(swift)},
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1, p
        assert says in p.stderr and "Swift 6.1 or newer" in p.stderr and "swift.org" in p.stderr, p.stderr
        assert "apt" not in p.stdout, f"went on after the check: {p.stdout}"


def test_doctor_without_a_session_bus_says_it_once_in_plain_words(bin_dir, tmp_path):
    """busctl's own hint for other situations ("consider using --machine=…") is left out, and
    the checks that would ask the missing bus say so instead of repeating its error."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    p = subprocess.run([str(bin_dir / "heraldctl"), "doctor", "--json", "--socket", str(runtime / "none.sock")],
                       env=env, capture_output=True, text=True, timeout=60)
    checks = {c["name"]: c for c in json.loads(p.stdout)["checks"]}
    bus = checks["session bus"]
    assert bus["status"] == "error" and "DBUS_SESSION_BUS_ADDRESS" in bus["detail"], bus
    assert "consider using" not in p.stdout, p.stdout
    for name in ("notifications", "secret service"):
        assert checks[name]["detail"].startswith("not checked: no session bus"), checks[name]
        assert checks[name]["fix"] == "see the session bus check", checks[name]


def test_doctor_names_where_the_token_key_is_kept_once(herald):
    """The private test bus has no Secret Service: the check says so and where heraldd keeps its
    key, once."""
    rc, out, err = herald.ctl("doctor", "--json")
    secrets = {c["name"]: c for c in json.loads(out)["checks"]}["secret service"]
    assert secrets["detail"].count("token key") == 1, secrets
