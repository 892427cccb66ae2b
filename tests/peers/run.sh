#!/usr/bin/env bash
# Real net.tcp peers against `ipamd serve --insecure` ([MS-IPAMM2] §2.1, issue 5):
# Mono's WCF client (NetTcpBinding binary 0x08, text CustomBinding 0x03) and pynettcp
# (binary and text, plus a pipelined preamble + first envelope), each running
# CreateDhcpFailover, AddDhcpFailoverScopes, RemoveDhcpFailoverScopes, DeleteDhcpFailover
# and a bad request, with the rows in the store asserted after each step.
#
# Runs on SQLite, and once more on a fresh PostgreSQL database when
# IPAMD_TEST_POSTGRES_URL is set. Installs what is missing (Debian packages, a venv with
# pynettcp). Quiet on success; IPAMD_PEERS_VERBOSE=1 prints every client's output.
#
# Environment: CARGO_TARGET_DIR (default ./target) locates target/debug/ipamd (built if
# missing); IPAMD_BIN overrides the binary.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
IPAMD=${IPAMD_BIN:-$TARGET/debug/ipamd}
CACHE=$TARGET/peers
VERBOSE=${IPAMD_PEERS_VERBOSE:-0}
PY_PACKAGE=pynettcp==0.1.0

RUN=$(mktemp -d "${TMPDIR:-/tmp}/ipamd-peers.XXXXXX")
PIDS=()
PG_DBS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    done
    for db in "${PG_DBS[@]}"; do
        psql -X -q "$IPAMD_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$RUN"
}
trap cleanup EXIT

fail() {
    echo "peers: FAIL: $*" >&2
    exit 1
}

# Runs a command with its output in a log; shows the log on failure (or always if verbose).
quiet() {
    local log=$RUN/step.log
    if "$@" >"$log" 2>&1; then
        [ "$VERBOSE" = 1 ] && cat "$log"
        return 0
    fi
    cat "$log" >&2
    [ -n "${SERVER_LOG:-}" ] && { echo "--- ipamd log (tail)" >&2; tail -n 40 "$SERVER_LOG" >&2; }
    fail "$*"
}

# --- tools -------------------------------------------------------------------------------
install_debs() {
    local missing=()
    command -v mono >/dev/null && command -v mcs >/dev/null || missing+=(mono-devel mono-mcs)
    ls /usr/lib/mono/4.5/System.ServiceModel.dll >/dev/null 2>&1 || missing+=(libmono-system-servicemodel4.0a-cil)
    command -v sqlite3 >/dev/null || missing+=(sqlite3)
    command -v python3 >/dev/null || missing+=(python3)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    if [ -n "${IPAMD_TEST_POSTGRES_URL:-}" ] && ! command -v psql >/dev/null; then missing+=(postgresql-client); fi
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    quiet $sudo apt-get update -qq
    quiet env DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_venv() {
    if ! "$CACHE/venv/bin/python" -c 'import pynettcp' 2>/dev/null; then
        rm -rf "$CACHE/venv"
        quiet python3 -m venv "$CACHE/venv"
        quiet "$CACHE/venv/bin/pip" install -q --disable-pip-version-check "$PY_PACKAGE"
    fi
}

build_mono_client() {
    local src=$ROOT/tests/peers/mono/IpamClient.cs exe=$CACHE/IpamClient.exe
    if [ ! -f "$exe" ] || [ "$src" -nt "$exe" ]; then
        quiet mcs -nologo -r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll "$src" -out:"$exe"
    fi
}

build_ipamd() {
    if [ -z "${IPAMD_BIN:-}" ]; then
        (cd "$ROOT" && quiet cargo build -q -p ipamd)
    fi
    [ -x "$IPAMD" ] || fail "no ipamd binary at $IPAMD"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# --- one store backend -------------------------------------------------------------------
# sql QUERY: one value per line.
sql() {
    case $BACKEND in
        sqlite) sqlite3 -batch -noheader "$DB_FILE" "$1" ;;
        postgres) psql -X -q -A -t "$DB_URL" -c "$1" ;;
    esac
}

inventory() {
    cat >"$RUN/inventory.json" <<'JSON'
{
  "servers": [
    { "name": "dhcp1.test", "address": "10.0.0.1", "scopes": [
      { "scope_id": "10.1.0.0", "subnet_mask": "255.255.255.0", "start_address": "10.1.0.10", "end_address": "10.1.0.200", "scope_name": "a" },
      { "scope_id": "10.1.1.0", "subnet_mask": "255.255.255.0", "start_address": "10.1.1.10", "end_address": "10.1.1.200", "scope_name": "b" },
      { "scope_id": "10.1.2.0", "subnet_mask": "255.255.255.0", "start_address": "10.1.2.10", "end_address": "10.1.2.200", "scope_name": "c" },
      { "scope_id": "10.1.3.0", "subnet_mask": "255.255.255.0", "start_address": "10.1.3.10", "end_address": "10.1.3.200", "scope_name": "d" }
    ] },
    { "name": "dhcp2.test", "address": "10.0.0.2", "scopes": [
      { "scope_id": "10.1.0.0", "subnet_mask": "255.255.255.0", "start_address": "10.1.0.10", "end_address": "10.1.0.200", "scope_name": "a" }
    ] }
  ]
}
JSON
}

# linked NAME: the scope ids linked to relationship NAME, comma-separated, sorted.
linked() {
    sql "SELECT l.scope_id FROM adm_dhcp_scope_failovers l JOIN adm_dhcp_failover_relations r ON r.record_id = l.failover_relation_id WHERE r.relationship_name = '$1' ORDER BY l.scope_id" | paste -sd, -
}

relations() {
    sql "SELECT count(*) FROM adm_dhcp_failover_relations WHERE relationship_name = '$1'"
}

expect() {
    [ "$2" = "$3" ] || fail "$BACKEND $CLIENT_NAME: $1: expected '$3', got '$2'"
}

# lifecycle CLIENT_NAME ENCODING COMMAND...: the four operations and a bad request.
lifecycle() {
    CLIENT_NAME=$1
    local enc=$2
    shift 2
    local name="peer-$CLIENT_NAME-$enc" url="net.tcp://127.0.0.1:$NETTCP_PORT/IpamOperationWithProgress"
    quiet "$@" "$url" "$enc" create "$name" "$S1" "$S2" "$A,$B,$C"
    expect "after create, relationships" "$(relations "$name")" 1
    expect "after create, linked scopes" "$(linked "$name")" "$A,$B,$C"
    local rel
    rel=$(sql "SELECT record_id FROM adm_dhcp_failover_relations WHERE relationship_name = '$name'")
    quiet "$@" "$url" "$enc" add "$rel" "$name" "$S1" "$S2" "$D"
    expect "after add, linked scopes" "$(linked "$name")" "$A,$B,$C,$D"
    quiet "$@" "$url" "$enc" remove "$A,$B"
    expect "after remove, linked scopes" "$(linked "$name")" "$C,$D"
    quiet "$@" "$url" "$enc" delete "$rel" "$name" "$S1" "$S2"
    expect "after delete, relationships" "$(relations "$name")" 0
    expect "after delete, links" "$(sql 'SELECT count(*) FROM adm_dhcp_scope_failovers')" 0
    quiet "$@" "$url" "$enc" bad "$name-bad" "$S1" "$S2"
    expect "after the bad request, relationships" "$(relations "$name-bad")" 0
}

run_backend() {
    BACKEND=$1
    DB_URL=$2
    inventory
    quiet "$IPAMD" import "$RUN/inventory.json" --database-url "$DB_URL"
    S1=$(sql "SELECT record_id FROM adm_dhcp_servers WHERE name = 'dhcp1.test'")
    S2=$(sql "SELECT record_id FROM adm_dhcp_servers WHERE name = 'dhcp2.test'")
    local scopes
    scopes=$(sql "SELECT record_id FROM adm_dhcp_scopes WHERE dhcp_server_record_id = $S1 ORDER BY scope_id" | paste -sd' ' -)
    read -r A B C D <<<"$scopes"
    [ -n "${D:-}" ] || fail "$BACKEND: the inventory import did not create the scopes"

    NETTCP_PORT=$(free_port)
    local http_port
    http_port=$(free_port)
    SERVER_LOG=$RUN/ipamd-$BACKEND.log
    RUST_LOG=info "$IPAMD" serve --insecure --nettcp-listen "127.0.0.1:$NETTCP_PORT" \
        --http-listen "127.0.0.1:$http_port" --database-url "$DB_URL" >"$SERVER_LOG" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    local i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$NETTCP_PORT") 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$SERVER_LOG" >&2; fail "$BACKEND: ipamd exited"; }
        sleep 0.1
    done

    for enc in binary text; do
        lifecycle mono "$enc" mono "$CACHE/IpamClient.exe"
        lifecycle pynettcp "$enc" "$CACHE/venv/bin/python" "$ROOT/tests/peers/pynettcp/client.py"
    done
    CLIENT_NAME=pynettcp-pipelined
    quiet "$CACHE/venv/bin/python" "$ROOT/tests/peers/pynettcp/client.py" \
        "net.tcp://127.0.0.1:$NETTCP_PORT/IpamOperationWithProgress" binary pipelined peer-pipelined "$S1" "$S2" "$A,$B"
    expect "after the pipelined create, linked scopes" "$(linked peer-pipelined)" "$A,$B"

    kill "$pid"
    wait "$pid" 2>/dev/null || true
    grep -q "panicked" "$SERVER_LOG" && { cat "$SERVER_LOG" >&2; fail "$BACKEND: ipamd panicked"; }
    SERVER_LOG=
}

# --- main --------------------------------------------------------------------------------
mkdir -p "$CACHE"
install_debs
install_venv
build_mono_client
build_ipamd

DB_FILE=$RUN/ipamd.db
run_backend sqlite "sqlite://$DB_FILE"

if [ -n "${IPAMD_TEST_POSTGRES_URL:-}" ]; then
    db="ipamd_peers_$$"
    psql -X -q "$IPAMD_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null || fail "cannot create database $db"
    PG_DBS+=("$db")
    run_backend postgres "${IPAMD_TEST_POSTGRES_URL%/*}/$db"
fi
[ "$VERBOSE" = 1 ] && echo "peers: OK"
exit 0
