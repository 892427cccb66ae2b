#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on a free loopback port, runs a command with
# IPAMD_TEST_POSTGRES_URL pointing at it, and removes the cluster afterwards.
#   scripts/pg-tmp.sh cargo test --workspace
# PostgreSQL refuses to run as root, so the cluster runs as the `postgres` user.
set -euo pipefail

if ! command -v pg_config >/dev/null || [ ! -x "$(pg_config --bindir)/initdb" ]; then
  echo "==> installing PostgreSQL"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
PGBIN="$(pg_config --bindir)"
PGPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PGROOT="$(mktemp -d /tmp/ipamd-pg.XXXXXX)"
chown postgres:postgres "$PGROOT"
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); else AS_PG=(); fi

pg_stop() {
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap pg_stop EXIT INT TERM

"${AS_PG[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
# Tests need no durability; IPAMD_PG_DURABLE=1 keeps PostgreSQL's defaults (for benchmarks).
if [ "${IPAMD_PG_DURABLE:-0}" = 1 ]; then
  DURABILITY=""
else
  DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
  -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c max_connections=300 $DURABILITY" \
  start >/dev/null
export IPAMD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
echo "==> throw-away PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"
"$@"
