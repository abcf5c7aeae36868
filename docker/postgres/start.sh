#!/bin/sh
# PostgreSQL for Standardiste, the same on the official postgres image and on a plain Debian
# with the postgresql package: it relies on neither's entrypoint, only on the binaries in
# /usr/lib/postgresql/<version>/bin. Runs as the postgres user (compose "user: postgres").
#
# First start: initdb in $PGDATA with superuser $POSTGRES_USER / $POSTGRES_PASSWORD
# (password auth over TCP) and a database $POSTGRES_DB. Then: postgres on
# 127.0.0.1:$POSTGRES_PORT only, no Unix socket. "start.sh check" is the health check.
set -eu
port=${POSTGRES_PORT:-5432}
user=${POSTGRES_USER:-standardiste}
db=${POSTGRES_DB:-standardiste}
pgdata=${PGDATA:-/var/lib/postgresql/standardiste}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ "${1:-}" = check ]; then
    exec "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$user" -d "$db"
fi
if [ "$(id -u)" = 0 ]; then
    echo "start.sh: run as the postgres user (compose: user: postgres)" >&2
    exit 2
fi
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"

if [ ! -s "$pgdata/PG_VERSION" ]; then
    rm -rf "$pgdata.init"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    "$bin/initdb" -D "$pgdata.init" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-host=scram-sha-256 --auth-local=peer --no-instructions >/dev/null
    rm -f "$pwfile"
    echo "CREATE DATABASE \"$db\" OWNER \"$user\"" \
        | "$bin/postgres" --single -D "$pgdata.init" postgres >/dev/null
    mv "$pgdata.init" "$pgdata"   # only a complete cluster is ever at $pgdata
fi
exec "$bin/postgres" -D "$pgdata" -c listen_addresses=127.0.0.1 -c port="$port" \
    -c unix_socket_directories=
