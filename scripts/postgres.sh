#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests, without docker, and exports
# its URL as NEWSARCHIVE_TEST_POSTGRES (postgres://postgres@127.0.0.1:PORT:
# the server, in which each test creates its own database). Meant to be
# sourced, by scripts/test.sh before cargo test:
#
#   source scripts/postgres.sh
#
# It finds initdb and pg_ctl on the PATH or in the newest
# /usr/lib/postgresql/*/bin, installing Debian's postgresql package when the
# machine has neither (with sudo when not root). A PostgreSQL it can neither
# find nor install fails the run, on CI and off it: the PostgreSQL tests are
# never skipped in silence. The server (trust authentication, fsync off, 300
# connections, listening on 127.0.0.1 only, on a free port) lives in a new
# temporary directory, run by the `postgres` user when root (the user is made
# if missing) and by the caller otherwise. When the shell that sourced this
# exits, the server is stopped and its directory removed; an EXIT trap the
# shell had already set still runs after that.
#
# Run by itself it does the same for one command, or until Enter is pressed:
#
#   scripts/postgres.sh [COMMAND...]

# Sourced into the caller's shell: no `set -e` here, which would change the
# caller's options; every step checks its own result, and every name this
# defines starts with _newsarchive_pg.

_newsarchive_pg_say() { echo "scripts/postgres.sh: $*" >&2; }

# Runs a command as the user who owns the server: `postgres` when root, the
# caller otherwise. From the server's directory: postgres may not read the
# caller's working directory.
_newsarchive_pg_as() {
    local dir=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# Sets _newsarchive_pg_initdb and _newsarchive_pg_ctl: the PATH's, or else
# those of the newest /usr/lib/postgresql/*/bin.
_newsarchive_pg_find() {
    local initdb pg_ctl dir
    initdb=$(command -v initdb 2>/dev/null) || initdb=
    pg_ctl=$(command -v pg_ctl 2>/dev/null) || pg_ctl=
    if [ -n "$initdb" ] && [ -n "$pg_ctl" ]; then
        _newsarchive_pg_initdb=$initdb
        _newsarchive_pg_ctl=$pg_ctl
        return 0
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        _newsarchive_pg_initdb=$dir/initdb
        _newsarchive_pg_ctl=$dir/pg_ctl
        return 0
    fi
    return 1
}

_newsarchive_pg_install() {
    local sudo=
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            _newsarchive_pg_say "not root and no sudo: cannot install PostgreSQL"
            return 1
        fi
        sudo=sudo
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        _newsarchive_pg_say "no apt-get: cannot install PostgreSQL"
        return 1
    fi
    _newsarchive_pg_say "installing Debian's postgresql package"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 && return 0
    # The package lists may be missing or stale (a fresh container).
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
}

# Stops the server of DIR and removes DIR; keeps the exit status it is
# called with, for the EXIT trap it chains to.
_newsarchive_pg_stop() {
    local status=$? pg_ctl=$1 dir=$2
    if [ -f "$dir/data/postmaster.pid" ]; then
        _newsarchive_pg_as "$dir" "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ||
            _newsarchive_pg_say "could not stop the PostgreSQL of $dir (log: $dir/log)"
    fi
    rm -rf -- "$dir"
    return "$status"
}

_newsarchive_pg_start() {
    local dir port previous attempt

    if ! _newsarchive_pg_find; then
        _newsarchive_pg_install
        if ! _newsarchive_pg_find; then
            if [ "${CI:-}" = true ]; then
                _newsarchive_pg_say "error: PostgreSQL (initdb, pg_ctl) is missing and could not be installed; the PostgreSQL tests cannot run"
            else
                _newsarchive_pg_say "error: PostgreSQL (initdb, pg_ctl) is missing and could not be installed; install Debian's postgresql package (apt-get install postgresql) or put initdb and pg_ctl on the PATH: the PostgreSQL tests are part of the run"
            fi
            return 1
        fi
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        _newsarchive_pg_say "error: python3 is needed to pick a free port"
        return 1
    fi

    if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home postgres ||
            { _newsarchive_pg_say "error: could not create the postgres user"; return 1; }
    fi

    dir=$(mktemp -d "${TMPDIR:-/tmp}/newsarchive-pg.XXXXXX") ||
        { _newsarchive_pg_say "error: mktemp failed"; return 1; }
    # Stop the server and remove the directory when the shell exits, then run
    # whatever EXIT trap it had already (trap -p prints it quoted for eval),
    # with the shell's exit status still in $?: `&& :` keeps a nonzero status
    # from ending a `set -e` shell before that trap runs.
    eval "set -- $(trap -p EXIT)"
    previous=${3:-}
    trap "$(printf '_newsarchive_pg_stop %q %q' "$_newsarchive_pg_ctl" "$dir") && :${previous:+; $previous}" EXIT

    mkdir "$dir/socket" || { _newsarchive_pg_say "error: mkdir $dir/socket failed"; return 1; }
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres "$dir" || { _newsarchive_pg_say "error: chown of $dir failed"; return 1; }
    fi
    if ! _newsarchive_pg_as "$dir" "$_newsarchive_pg_initdb" -D "$dir/data" -U postgres \
        --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        _newsarchive_pg_say "error: initdb failed"
        return 1
    fi

    # The port is free when picked, not reserved: another process may take it
    # before the server binds it, so a failed start tries another.
    for attempt in 1 2 3; do
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
            { _newsarchive_pg_say "error: could not pick a free port"; return 1; }
        if _newsarchive_pg_as "$dir" "$_newsarchive_pg_ctl" -D "$dir/data" \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off -c max_connections=300" \
            -l "$dir/log" -w start >/dev/null; then
            export NEWSARCHIVE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port"
            # Where initdb and pg_ctl are: a test that restarts PostgreSQL
            # runs a server of its own, not this shared one.
            export NEWSARCHIVE_TEST_POSTGRES_BIN="${_newsarchive_pg_initdb%/*}"
            _newsarchive_pg_say "PostgreSQL $("$_newsarchive_pg_ctl" -V | awk '{print $3}') at $NEWSARCHIVE_TEST_POSTGRES (in $dir)"
            return 0
        fi
    done
    tail -n 30 "$dir/log" >&2
    _newsarchive_pg_say "error: PostgreSQL did not start"
    return 1
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    _newsarchive_pg_start || return 1
else
    set -euo pipefail
    _newsarchive_pg_start || exit 1
    if [ $# -gt 0 ]; then
        "$@"
    else
        echo "NEWSARCHIVE_TEST_POSTGRES=$NEWSARCHIVE_TEST_POSTGRES"
        read -r -p "Press Enter to stop it. " _ || true
    fi
fi
