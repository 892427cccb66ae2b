#!/usr/bin/env bash
# The whole test suite, on a fresh machine of this kind:
#   - installs what is missing (PostgreSQL server, Mono and Python peers),
#   - checks formatting and lints,
#   - starts a throw-away PostgreSQL cluster on a free loopback port,
#   - runs every Rust test against SQLite and PostgreSQL,
#   - runs the real protocol peers (Mono's WCF client, pynettcp) against `ipamd serve`,
#   - stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# A clean CI build gains nothing from incremental state, which doubles the target size.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: $(cargo --version)"
step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "building"
cargo build --workspace --all-targets --locked

# Tests that start the real server use the binary just built (no nested cargo build).
export IPAMD_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/ipamd"

step "tests on SQLite and PostgreSQL"
export IPAMD_TEST_REQUIRE_POSTGRES=1
scripts/pg-tmp.sh bash -c '
  set -euo pipefail
  cargo test --workspace --locked --no-fail-fast
  if [ -x tests/peers/run.sh ]; then
    printf "\n==> real peers: Mono WCF and pynettcp against ipamd serve\n"
    tests/peers/run.sh
  fi
'
step "all tests passed"
