#!/usr/bin/env bash
# The long form of the fault suite (tests/it/faults/suite.rs): two gateway
# nodes on PostgreSQL and Redis, each store behind a switchable TCP proxy,
# under a load of logins, code exchanges, refreshes, userinfo calls and
# service-desk account creation, while each store is refused and then
# black-holed for SECONDS (default 20) in turn. Prints the report (what the
# clients saw per phase, recovery time, tokens lost to failed requests,
# requests past their deadline, half-written rows) and writes it to REPORT.
#
#   scripts/fault-suite.sh [SECONDS]        (from the repository root)
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth; a fresh
# database is created) and Redis on 127.0.0.1:6379 (a fresh key prefix).
# Knobs: USERS (portal users per node, 3), REPORT (target/fault-report.md),
# PORTTIVAHTI_TEST_POSTGRES_URL, PORTTIVAHTI_TEST_REDIS_URL, CARGO_TARGET_DIR.
# The short form runs in the test suite: cargo test --test it faults::
set -euo pipefail
cd "$(dirname "$0")/.."

export PORTTIVAHTI_FAULT_SECS=${1:-20}
export PORTTIVAHTI_FAULT_USERS=${USERS:-3}
export PORTTIVAHTI_FAULT_REPORT=${REPORT:-${CARGO_TARGET_DIR:-target}/fault-report.md}
export PORTTIVAHTI_TEST_POSTGRES_URL=${PORTTIVAHTI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PORTTIVAHTI_TEST_REDIS_URL=${PORTTIVAHTI_TEST_REDIS_URL:-redis://127.0.0.1:6379}

cargo test --test it -- --ignored --exact faults::suite::fault_suite_long --nocapture
printf '\nreport written to %s\n' "$PORTTIVAHTI_FAULT_REPORT" >&2
