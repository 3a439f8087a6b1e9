#!/usr/bin/env python3
"""Writes the parts of a man page that come from a command's argument parser.

    scripts/manpage.py BINARY PAGE              rewrites PAGE's generated part in place
    scripts/manpage.py BINARY PAGE --check      exits 1, with a diff, if PAGE's generated part is stale
    scripts/manpage.py BINARY PAGE --output F   writes the regenerated page to F, PAGE untouched

BINARY is a built heraldctl or heraldd; its `--experimental-dump-help` (swift-argument-parser's
description of every command, argument, help text and default) is rendered in man(7) roff
between the page's `.\\" BEGIN GENERATED` and `.\\" END GENERATED` lines. Everything else in the
page (description, security, files, environment, examples) is written by hand and kept as it
is. For a command with subcommands the generated part is a COMMANDS section, one subsection
per command, and an OPTIONS section for the options most commands share; otherwise it is the
OPTIONS section alone. Only the standard library: `make install` runs it.
"""
import difflib
import json
import subprocess
import sys

BEGIN = '.\\" BEGIN GENERATED'
END = '.\\" END GENERATED'


def roff_text(line: str) -> str:
    line = line.replace("\\", "\\e")
    return "\\&" + line if line.startswith((".", "'")) else line


def roff_word(word: str) -> str:
    return word.replace("\\", "\\e").replace("-", "\\-")


def displayed(arguments: list) -> list:
    return [a for a in arguments or [] if a.get("shouldDisplay", True)]


def flag_name(argument: dict) -> str:
    preferred = argument["preferredName"]
    return ("--" if preferred["kind"] == "long" else "-") + preferred["name"]


def names(argument: dict) -> str:
    """Every spelling of an option, e.g. `-h, --help`, in bold."""
    spelled = [("--" if n["kind"] == "long" else "-") + n["name"] for n in argument["names"]]
    return ", ".join(f"\\fB{roff_word(s)}\\fP" for s in spelled)


def synopsis_item(argument: dict) -> str:
    value = f"\\fI{roff_word(argument.get('valueName', ''))}\\fP"
    if argument["kind"] == "positional":
        item = value
    elif argument["kind"] == "flag":
        item = f"\\fB{roff_word(flag_name(argument))}\\fP"
    else:
        item = f"\\fB{roff_word(flag_name(argument))}\\fP {value}"
    if argument.get("isRepeating"):
        item += " ..."
    return f"[{item}]" if argument.get("isOptional") else item


def paragraphs(text: str) -> list:
    """Help text as roff: plain lines as filled text, indented lines (examples) kept as they are."""
    out = []
    for block in [b for b in text.strip("\n").split("\n\n") if b.strip()]:
        out.append(".PP")
        verbatim = False
        for line in block.split("\n"):
            indented = line.startswith(" ")
            if indented and not verbatim:
                out += [".RS", ".nf"]
            elif not indented and verbatim:
                out += [".fi", ".RE"]
            verbatim = indented
            out.append(roff_text(line.strip() if not indented else line[2:] if line.startswith("  ") else line))
        if verbatim:
            out += [".fi", ".RE"]
    return out


def argument_entry(argument: dict) -> list:
    if argument["kind"] == "positional":
        head = f".TP\n\\fI{roff_word(argument.get('valueName', ''))}\\fP"
    elif argument["kind"] == "flag":
        head = f".TP\n{names(argument)}"
    else:
        head = f".TP\n{names(argument)} \\fI{roff_word(argument.get('valueName', ''))}\\fP"
    text = argument.get("abstract", "")
    if "defaultValue" in argument:
        text += f" Default: {argument['defaultValue']}."
    lines = [head, roff_text(text)]
    if argument.get("discussion"):
        lines += [roff_text(line.strip()) for line in argument["discussion"].strip().split("\n")]
    return lines


def leaves(command: dict, path: tuple = ()) -> list:
    """(words after the program's name, command) for every runnable command without subcommands."""
    found = []
    for sub in command.get("subcommands") or []:
        if not sub.get("shouldDisplay", True) or sub["commandName"] == "help":  # the parser's own `help`
            continue
        words = path + (sub["commandName"],)
        found += leaves(sub, words) if sub.get("subcommands") else [(words, sub)]
    return found


def key(argument: dict) -> str:
    return flag_name(argument) if argument["kind"] != "positional" else "<" + argument.get("valueName", "") + ">"


def with_subcommands(root: dict) -> list:
    program = root["commandName"]
    commands = leaves(root)
    counts: dict = {}
    for _, command in commands:
        for argument in displayed(command.get("arguments")):
            if argument["kind"] != "positional":
                counts[key(argument)] = counts.get(key(argument), 0) + 1
    shared = {k for k, n in counts.items() if n > len(commands) // 2}
    out = [".SH COMMANDS"]
    for words, command in commands:
        own = [a for a in displayed(command.get("arguments")) if key(a) not in shared]
        out += [f'.SS "{" ".join(words)}"',
                " ".join([f"\\fB{program} {' '.join(words)}\\fP"] + [synopsis_item(a) for a in own]),
                ".PP", roff_text(command.get("abstract", ""))]
        out += paragraphs(command.get("discussion", ""))
        for argument in own:
            out += argument_entry(argument)
    out.append(".SH OPTIONS")
    seen = set()
    entries = []
    for words, command in commands:
        for argument in displayed(command.get("arguments")):
            if key(argument) in shared and key(argument) not in seen:
                seen.add(key(argument))
                entries.append(argument)
    entries += [a for a in displayed(root.get("arguments")) if key(a) not in seen]
    for argument in entries:
        out += argument_entry(argument)
        lacking = [" ".join(w) for w, c in commands
                   if key(argument) not in {key(a) for a in displayed(c.get("arguments"))}]
        if lacking and key(argument) in shared:
            out.append(roff_text("Not taken by: " + ", ".join(lacking) + "."))
    return out


def generated(root: dict) -> list:
    if leaves(root):
        return with_subcommands(root)
    return [".SH OPTIONS"] + [line for a in displayed(root.get("arguments")) for line in argument_entry(a)]


def render(binary: str, page_text: str) -> str:
    dump = subprocess.run([binary, "--experimental-dump-help"], capture_output=True, text=True, check=True).stdout
    root = json.loads(dump)["command"]
    lines = page_text.split("\n")
    try:
        start, end = lines.index(BEGIN), lines.index(END)
    except ValueError:
        sys.exit(f"manpage: no {BEGIN!r} ... {END!r} lines in the page")
    return "\n".join(lines[:start + 1] + generated(root) + lines[end:])


def main(argv: list) -> int:
    if len(argv) not in (2, 3, 4) or (len(argv) == 3 and argv[2] != "--check") \
            or (len(argv) == 4 and argv[2] != "--output"):
        print(__doc__, file=sys.stderr)
        return 2
    binary, page = argv[0], argv[1]
    with open(page) as f:
        old = f.read()
    new = render(binary, old)
    if len(argv) == 3:
        if new == old:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), page, f"{page} from {binary}"))
        print(f"manpage: {page} is stale: run `make man`", file=sys.stderr)
        return 1
    with open(argv[3] if len(argv) == 4 else page, "w") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
