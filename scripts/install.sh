#!/usr/bin/env bash
# Installs Herald under a prefix, or removes exactly what an install put there.
#   scripts/install.sh install BIN_DIR    BIN_DIR: where the built heraldd and heraldctl are
#   scripts/install.sh uninstall
# The Makefile calls it (make install / make uninstall) with these variables set:
#   PREFIX       e.g. ~/.local (the default) or /usr/local
#   USERUNITDIR  systemd user unit directory (~/.config/systemd/user for a home prefix)
#   DESTDIR      staging root for packagers (optional)
# Every file installed is listed in PREFIX/share/herald/install-manifest, with the directories
# the install created; uninstall removes those files, then those directories if empty.
set -euo pipefail

cd "$(dirname "$0")/.."
: "${PREFIX:?PREFIX is not set}" "${USERUNITDIR:?USERUNITDIR is not set}"
DESTDIR=${DESTDIR:-}
BINDIR=$PREFIX/bin
DATADIR=$PREFIX/share
MANDIR=$DATADIR/man
MANIFEST=$DATADIR/herald/install-manifest

say() { printf '==> %s\n' "$*"; }

declare -a FILES=() DIRS=()

# Records, then creates, every missing directory on the way to $1.
make_dir() {
    local dir=$1 missing=() d
    d=$dir
    while [ ! -d "$DESTDIR$d" ]; do
        missing=("$d" "${missing[@]}")
        d=$(dirname "$d")
    done
    for d in "${missing[@]}"; do
        mkdir -m 0755 "$DESTDIR$d"
        DIRS+=("$d")
    done
}

# put MODE SOURCE DEST: installs one file and records it.
put() {
    local mode=$1 src=$2 dest=$3
    make_dir "$(dirname "$dest")"
    install -m "$mode" "$src" "$DESTDIR$dest"
    FILES+=("$dest")
}

install_all() {
    local bin=$1
    for b in heraldd heraldctl; do
        [ -x "$bin/$b" ] || { echo "install: $bin/$b is not built" >&2; exit 1; }
    done
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT  # global: the trap runs after this function has returned

    # Directories an earlier install created stay recorded, so uninstall still removes them.
    if [ -f "$DESTDIR$MANIFEST" ]; then
        while read -r kind path; do
            [ "$kind" = dir ] && DIRS+=("$path")
        done < "$DESTDIR$MANIFEST"
    fi

    put 0755 "$bin/heraldd" "$BINDIR/heraldd"
    put 0755 "$bin/heraldctl" "$BINDIR/heraldctl"

    # Only the ExecStart= line: the comments say "@bindir@" on purpose.
    sed "/^ExecStart=/s|@bindir@|$BINDIR|" systemd/herald.service > "$tmp/herald.service"
    put 0644 "$tmp/herald.service" "$USERUNITDIR/herald.service"
    put 0644 systemd/herald.socket "$USERUNITDIR/herald.socket"

    put 0644 config/herald.toml "$DATADIR/herald/herald.toml"

    # The man pages' options and commands, from the parsers of the binaries being installed.
    command -v python3 >/dev/null || { echo "install: python3 is needed to write the man pages (make deps)" >&2; exit 1; }
    python3 scripts/manpage.py "$bin/heraldd" man/heraldd.8 --output "$tmp/heraldd.8"
    python3 scripts/manpage.py "$bin/heraldctl" man/heraldctl.1 --output "$tmp/heraldctl.1"
    put 0644 "$tmp/heraldd.8" "$MANDIR/man8/heraldd.8"
    put 0644 "$tmp/heraldctl.1" "$MANDIR/man1/heraldctl.1"

    # Desktops (GNOME) show and let one configure an app's notifications only when the
    # desktop-entry hint names an installed entry; NoDisplay keeps it out of the menus.
    sed "s|@bindir@|$BINDIR|" desktop/herald.desktop.in > "$tmp/herald.desktop"
    put 0644 "$tmp/herald.desktop" "$DATADIR/applications/herald.desktop"
    put 0644 desktop/herald.svg "$DATADIR/icons/hicolor/scalable/apps/herald.svg"

    for b in heraldd heraldctl; do
        "$bin/$b" --generate-completion-script bash > "$tmp/$b.bash"
        "$bin/$b" --generate-completion-script zsh > "$tmp/_$b"
        "$bin/$b" --generate-completion-script fish > "$tmp/$b.fish"
        put 0644 "$tmp/$b.bash" "$DATADIR/bash-completion/completions/$b"
        put 0644 "$tmp/_$b" "$DATADIR/zsh/site-functions/_$b"
        put 0644 "$tmp/$b.fish" "$DATADIR/fish/vendor_completions.d/$b.fish"
    done

    make_dir "$(dirname "$MANIFEST")"
    {
        echo "# Herald install manifest: every file installed, then the directories the install created"
        for f in "${FILES[@]}"; do echo "file $f"; done
        printf '%s\n' "${DIRS[@]}" | awk 'NF && !seen[$0]++ { print "dir " $0 }'
    } > "$DESTDIR$MANIFEST"
    chmod 0644 "$DESTDIR$MANIFEST"

    say "installed under $PREFIX (units in $USERUNITDIR); manifest: $MANIFEST"
    reload_user_manager
    case ":$PATH:" in *":$BINDIR:"*) ;; *) say "note: $BINDIR is not in your PATH" ;; esac
    say "next: heraldctl autostart on    (start at every login)"
}

uninstall_all() {
    if [ ! -f "$DESTDIR$MANIFEST" ]; then
        echo "uninstall: no Herald install under $PREFIX (no $MANIFEST)" >&2
        exit 1
    fi
    local wants
    wants=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/default.target.wants/herald.service
    if [ -z "$DESTDIR" ] && [ "$(readlink "$wants" 2>/dev/null)" = "$USERUNITDIR/herald.service" ]; then
        say "note: autostart still links $wants; run \`heraldctl autostart off\` first, or remove the link"
    fi
    local kind path dirs=()
    while read -r kind path; do
        case "$kind" in
            file) rm -f "$DESTDIR$path" ;;
            dir) dirs+=("$path") ;;
        esac
    done < "$DESTDIR$MANIFEST"
    rm -f "$DESTDIR$MANIFEST"
    # Deepest first; a directory that holds anything else stays.
    printf '%s\n' "${dirs[@]}" | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- |
        while read -r d; do [ -n "$d" ] && rmdir "$DESTDIR$d" 2>/dev/null || true; done
    say "removed Herald from $PREFIX"
    reload_user_manager
}

# A running user manager learns about new or removed units at once.
reload_user_manager() {
    if [ -z "$DESTDIR" ] && [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -S "$XDG_RUNTIME_DIR/systemd/private" ] \
            && [ "$(id -u)" -ne 0 ] && command -v systemctl >/dev/null; then
        systemctl --user daemon-reload || true
    fi
}

case "${1:-}" in
    install) install_all "${2:?install needs the directory of the built binaries}" ;;
    uninstall) uninstall_all ;;
    *) echo "usage: $0 install BIN_DIR | uninstall" >&2; exit 2 ;;
esac
