#!/usr/bin/env bash
# dxpia's two commands.
#   bash scripts/dev.sh run    set everything up (system packages, virtualenv, database, fixtures,
#                              a local administrator) and serve the app on 127.0.0.1:8000
#   bash scripts/dev.sh serve  the same set-up, then the production stack on loopback: DEBUG off,
#                              collectstatic, gunicorn (dxpia/gunicorn_conf.py) and the report
#                              worker when there is one; Ctrl-C stops them all
#   bash scripts/dev.sh test   the same set-up, then the whole test suite on SQLite and on a
#                              PostgreSQL server that this script starts and stops itself
# Both are safe to run again: each step is skipped when it is already done.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${DXPIA_VENV:-$ROOT/.venv}
RUN_PACKAGES=(fonts-ipaexfont-gothic fonts-ipaexfont-mincho libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 gettext)
TEST_PACKAGES=(chromium postgresql poppler-utils)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_system_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing Debian packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]}) and run again." >&2
        exit 1
    fi
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian's own python3.11 first: it is built with profile-guided and link-time optimisation and does
# not call through a shared libpython, and WeasyPrint renders the demonstration report about 14 %
# faster on it than on pyenv's build (README, "What is measured"). Prints the interpreter's real
# path, not a shim's.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} /usr/bin/python3.11 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            "$candidate" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    echo "dxpia needs Python 3.11 (set PYTHON=/path/to/python3.11)." >&2
    exit 1
}

setup_virtualenv() {  # setup_virtualenv "" | "[test]"
    local extras=$1 lock=requirements.lock python stamp wanted
    [ "$extras" = "[test]" ] && lock=requirements-test.lock
    python=$(find_python)
    if [ -x "$VENV/bin/python" ] &&
        [ "$("$VENV/bin/python" -c 'import sys; print(sys._base_executable)')" != "$python" ]; then
        say "Recreating the virtualenv in $VENV with $python"
        rm -rf "$VENV"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtualenv in $VENV"
        if ! "$python" -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            install_system_packages python3.11-venv
            "$python" -m venv "$VENV"
        fi
    fi
    stamp="$VENV/.dxpia-installed"
    wanted="$extras $(cat pyproject.toml build-constraints.txt "$lock" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || ! grep -qxF "$wanted" "$stamp"; then
        say "Installing Python packages ($extras)"
        local log="$VENV/pip-install.log"
        # Every package exactly as the lock file pins it, each file checked against its hash; then dxpia
        # itself, editable, adding nothing (scripts/lock.sh writes the lock files from pyproject.toml).
        # build-constraints.txt: see the comment in it (an sdist that needs an older setuptools to build).
        if ! { "$VENV/bin/python" -m pip install -q --upgrade "pip>=25.3" &&
            "$VENV/bin/python" -m pip install -q --require-hashes --build-constraint build-constraints.txt -r "$lock" &&
            "$VENV/bin/python" -m pip install -q --no-deps --build-constraint build-constraints.txt -e .; } >"$log" 2>&1; then
            cat "$log" >&2
            exit 1
        fi
        echo "$wanted" >>"$stamp"
    fi
    # The English catalogue (dxpia/locale/en): .po in git, .mo made here (skipped when up to date).
    (cd dxpia && "$VENV/bin/python" ../manage.py compilemessages -v0)
}

manage() { "$VENV/bin/python" manage.py "$@"; }

prepare_database() {
    say "Migrating and loading fixtures"
    manage migrate --noinput -v0
    manage seed
    manage rescore
}

cmd_run() {
    install_system_packages "${RUN_PACKAGES[@]}"
    setup_virtualenv ""
    mkdir -p var/static
    prepare_database
    manage ensure_admin
    # Links the app prints (the plain summary's address, reminder mails) name the port it serves on.
    export DXPIA_SITE_URL=${DXPIA_SITE_URL:-http://127.0.0.1:${DXPIA_PORT:-8000}}
    say "dxpia: http://127.0.0.1:${DXPIA_PORT:-8000}/ (admin: /admin/)"
    exec "$VENV/bin/python" manage.py runserver "127.0.0.1:${DXPIA_PORT:-8000}"
}

# Production settings for a machine of one's own: a secret key kept in var/ (made once, so sign-ins
# survive a restart), loopback host names, mails on the console, persistent database connections, and
# no redirect to HTTPS (nothing terminates TLS on loopback). Any of them already in the environment wins.
production_environment() {
    local key_file=var/secret-key
    export DXPIA_DEBUG=false
    if [ -z "${DXPIA_SECRET_KEY:-}" ]; then
        if [ ! -s "$key_file" ]; then
            (umask 077 && "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$key_file")
        fi
        DXPIA_SECRET_KEY=$(cat "$key_file")
        export DXPIA_SECRET_KEY
    fi
    export DXPIA_ALLOWED_HOSTS=${DXPIA_ALLOWED_HOSTS:-127.0.0.1,localhost}
    export DXPIA_EMAIL_URL=${DXPIA_EMAIL_URL:-console://}
    export DXPIA_DEFAULT_FROM_EMAIL=${DXPIA_DEFAULT_FROM_EMAIL:-dxpia <noreply@localhost>}
    export DXPIA_SSL_REDIRECT=${DXPIA_SSL_REDIRECT:-false}
    # gunicorn's sync workers serve one request at a time: each keeps its database connection for a
    # minute instead of opening one per request (bench/load.py: 1.5-1.8x the throughput of downloads and saves).
    export DXPIA_DB_CONN_MAX_AGE=${DXPIA_DB_CONN_MAX_AGE:-60}
    export DXPIA_SITE_URL=${DXPIA_SITE_URL:-http://127.0.0.1:${DXPIA_PORT:-8000}}
}

SERVE_PIDS=()
stop_serving() {
    local pid
    trap - INT TERM EXIT
    for pid in "${SERVE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SERVE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

cmd_serve() {
    install_system_packages "${RUN_PACKAGES[@]}"
    setup_virtualenv ""
    mkdir -p var/static
    production_environment
    prepare_database
    manage ensure_admin
    say "Collecting static files"
    manage collectstatic --noinput -v0
    trap stop_serving EXIT
    trap 'exit 130' INT TERM
    say "Starting the report worker (manage.py render_worker)"
    setsid "$VENV/bin/python" manage.py render_worker &
    SERVE_PIDS+=($!)
    say "dxpia (production settings): http://127.0.0.1:${DXPIA_PORT:-8000}/ (health: /healthz)"
    setsid "$VENV/bin/python" -m gunicorn -c python:dxpia.gunicorn_conf dxpia.wsgi &
    SERVE_PIDS+=($!)
    # Both run in their own sessions (setsid), so Ctrl-C reaches only this script, whose trap sends
    # them TERM: gunicorn then lets requests under way finish (INT would cut them off). Whichever
    # stops first (Ctrl-C, a crash), the other is stopped too, by the EXIT trap.
    local status=0
    wait -n "${SERVE_PIDS[@]}" || status=$?
    return "$status"
}

# A throwaway PostgreSQL cluster on a free loopback port, removed on exit.
PG_DIR=""
start_postgres() {
    local bin port
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] || { echo "PostgreSQL binaries not found under /usr/lib/postgresql" >&2; exit 1; }
    port=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PG_DIR=$(mktemp -d /tmp/dxpia-pg.XXXXXX)
    local as_pg=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$PG_DIR"
        as_pg=(runuser -u postgres --)
    fi
    say "Starting PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
    "${as_pg[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    "${as_pg[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
        "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    PG_STOP=("${as_pg[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
    trap stop_postgres EXIT
    export PG_URL="postgres://postgres@127.0.0.1:$port/dxpia"
}

stop_postgres() {
    if [ -n "$PG_DIR" ]; then
        "${PG_STOP[@]}" >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}

# The two halves run side by side, one per core: SQLite in the foreground (its output streams), PostgreSQL
# in the background (its output follows when both are done). Each has its own cache folder (rendered
# PDFs, their locks) and its own pytest cache (so --lf works per half). DXPIA_TEST_SERIAL=1 runs them
# one after the other instead. On any exit, Ctrl-C included, the background half is stopped before the
# server it uses, and the work folder is removed.
TEST_WORK=""
PG_PID=""
cleanup_test() {
    if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
        kill "$PG_PID" 2>/dev/null || true
        wait "$PG_PID" 2>/dev/null || true
    fi
    [ -n "$TEST_WORK" ] && rm -rf "$TEST_WORK"
    stop_postgres
}

run_pytest() {  # run_pytest NAME DATABASE_URL|"" pytest-arguments…; with exec_pytest=1, in a subshell it becomes pytest
    local name=$1 url=$2 run=()
    shift 2
    [ -n "${exec_pytest:-}" ] && run=(exec)
    if [ -n "$url" ]; then export DATABASE_URL=$url; else unset DATABASE_URL; fi
    # The browser sweeps of every page (axe-core at four widths, focus rings: about 4 minutes) check
    # HTML and CSS that no database changes: the SQLite run has them, the PostgreSQL run leaves them
    # out (a -m of your own, given after, decides instead).
    local once=()
    [ "$name" = postgresql ] && once=(-m "not same_on_every_database")
    DXPIA_CACHE_DIR="$TEST_WORK/cache-$name" "${run[@]}" "$VENV/bin/python" -m pytest -o "cache_dir=.pytest_cache/$name" "${once[@]}" "$@"
}

cmd_test() {
    install_system_packages "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    setup_virtualenv "[test]"
    mkdir -p var/static
    start_postgres
    trap cleanup_test EXIT
    trap 'exit 130' INT TERM
    local status=0 pg_status=0
    TEST_WORK=$(mktemp -d /tmp/dxpia-test.XXXXXX)
    if [ -n "${DXPIA_TEST_SERIAL:-}" ]; then
        say "Test suite on SQLite"
        run_pytest sqlite "" "$@" || status=$?
        say "Test suite on PostgreSQL"
        run_pytest postgresql "$PG_URL" "$@" || pg_status=$?
    else
        say "Test suite on SQLite and on PostgreSQL, side by side (PostgreSQL's output follows SQLite's)"
        # exec: $! is pytest itself, which cleanup_test can stop (a background job ignores Ctrl-C).
        (exec_pytest=1 run_pytest postgresql "$PG_URL" "$@") >"$TEST_WORK/postgresql.log" 2>&1 &
        PG_PID=$!
        run_pytest sqlite "" "$@" || status=$?
        wait "$PG_PID" || pg_status=$?
        PG_PID=""
        say "Test suite on PostgreSQL"
        cat "$TEST_WORK/postgresql.log"
    fi
    [ "$status" -ne 0 ] && say "Tests failed on SQLite (pytest exit $status)"
    [ "$pg_status" -ne 0 ] && say "Tests failed on PostgreSQL (pytest exit $pg_status)"
    if [ "$status" -eq 0 ] && [ "$pg_status" -eq 0 ]; then say "All tests passed on SQLite and PostgreSQL"; fi
    # pytest's own exit code (1 failed, 2 interrupted, 4 usage, 5 no tests), SQLite's first.
    [ "$status" -ne 0 ] && return "$status"
    return "$pg_status"
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    serve) shift; cmd_serve "$@" ;;
    test) shift; cmd_test "$@" ;;
    *) echo "usage: bash scripts/dev.sh run | serve | test [pytest arguments]" >&2; exit 2 ;;
esac
