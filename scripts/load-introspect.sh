#!/usr/bin/env bash
# Load test of token introspection (RFC 7662), on one machine.
#
#   scripts/load-introspect.sh            (from the repository root)
#
# Installs wrk from the distribution's packages when it is missing, builds
# the release binary, starts the server on a fresh database in a temporary
# directory, logs in once as the demo person anna.hoitaja, collects
# ACCESS_TOKENS access tokens (one code exchange each, through the single
# sign-on session), and then introspects them with the demo portal's
# client credentials: a warm-up, then DURATION with CONNECTIONS
# connections. Every answer must be "active": true.
#
# Introspection of an access token verifies the ES256 signature with the
# parsed key and makes three look-ups in the ephemeral store (in memory
# here): session ended, refresh family revoked, token revoked. Targets
# (issue 6): >= 20,000 requests/s at 64 connections, p99 < 10 ms.
#
# Knobs (environment): PORT, CONNECTIONS, THREADS, DURATION, WARMUP,
# ACCESS_TOKENS, CARGO_TARGET_DIR, KEEP_WORKDIR=1.

set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."

PORT=${PORT:-18081}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
ACCESS_TOKENS=${ACCESS_TOKENS:-128}
BASE="http://127.0.0.1:${PORT}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'load-introspect.sh: %s\n' "$*" >&2; exit 1; }

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (apt-get)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

log "building the release binary"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/porttivahti"
[ -x "$BIN" ] || die "no binary at $BIN"

WORK=$(mktemp -d -t porttivahti-introspect.XXXXXX)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_WORKDIR:-0}" = "1" ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

export PORTTIVAHTI__SERVER__LISTEN="127.0.0.1:${PORT}"
export PORTTIVAHTI__SERVER__PUBLIC_URL="$BASE"
export PORTTIVAHTI__STORE__DATABASE_URL="sqlite://${WORK}/pv.db"
export PORTTIVAHTI__RATE_LIMIT__LOGIN_PER_IP=100000
export PORTTIVAHTI__RATE_LIMIT__LOGIN_PER_ACCOUNT=100000
# The tokens must outlive the run.
export PORTTIVAHTI__TOKENS__ACCESS_TOKEN_TTL_SECS=3600
export RUST_LOG=warn

"$BIN" --config config/porttivahti.toml serve >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $WORK/server.log"
    sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || die "the server did not start"

basic() { printf '%s' "$1:$2" | base64 -w0; }
PORTAL_ID=demo-portal
PORTAL_SECRET=demo-portal-secret-do-not-use-in-production
AUTH="Authorization: Basic $(basic "$PORTAL_ID" "$PORTAL_SECRET")"
REDIRECT_URI="$BASE/demo/callback"
REDIRECT_ENC="http%3A%2F%2F127.0.0.1%3A${PORT}%2Fdemo%2Fcallback"
PKCE_VERIFIER=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
PKCE_CHALLENGE=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
AUTHORIZE="$BASE/authorize?response_type=code&client_id=${PORTAL_ID}&redirect_uri=${REDIRECT_ENC}&scope=openid%20profile%20email&state=load&nonce=load&code_challenge=${PKCE_CHALLENGE}&code_challenge_method=S256"
JAR="$WORK/cookies.txt"

log "logging in once as anna.hoitaja; collecting $ACCESS_TOKENS access tokens"
loc=$(curl -sS -o /dev/null -c "$JAR" -b "$JAR" -w '%{redirect_url}' "$AUTHORIZE")
[[ $loc == *"/login?ar="* ]] || die "authorize did not send to the login page: $loc"
page=$(curl -sS -c "$JAR" -b "$JAR" "$loc")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
ar=$(printf '%s' "$page" | sed -n 's/.*name="ar" value="\([^"]*\)".*/\1/p' | head -n1)
[ -n "$csrf" ] && [ -n "$ar" ] || die "no csrf/ar on the login page"
loc=$(curl -sS -o /dev/null -c "$JAR" -b "$JAR" -w '%{redirect_url}' \
    --data-urlencode "csrf=$csrf" --data-urlencode "ar=$ar" \
    --data-urlencode "username=anna.hoitaja" --data-urlencode "password=Intermetso-demo-2026" \
    "$BASE/login/password")
code_of() { printf '%s' "$1" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p'; }
TOKENS="$WORK/access-tokens.txt"
: >"$TOKENS"
for i in $(seq 1 "$ACCESS_TOKENS"); do
    if [ "$i" -gt 1 ]; then
        loc=$(curl -sS -o /dev/null -b "$JAR" -w '%{redirect_url}' "$AUTHORIZE")
    fi
    code=$(code_of "$loc")
    [ -n "$code" ] || die "no code: $loc"
    at=$(curl -sS -H "$AUTH" -d grant_type=authorization_code -d "code=$code" \
        --data-urlencode "redirect_uri=$REDIRECT_URI" -d "code_verifier=$PKCE_VERIFIER" \
        "$BASE/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
    [ -n "$at" ] || die "the code exchange returned no access token"
    printf '%s\n' "$at" >>"$TOKENS"
done
one=$(head -n1 "$TOKENS")
curl -fsS -H "$AUTH" --data-urlencode "token=$one" "$BASE/introspect" | grep -q '"active":true' \
    || die "introspection of a fresh token did not say active"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
run() {
    local d=$1 out=$2 c0 c1 t0 t1
    c0=$(cpu_ticks); t0=$(now_us)
    PV_ACCESS_TOKENS="$TOKENS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$d" --timeout 5s --latency \
        -H "$AUTH" -s scripts/load/introspect.lua "$BASE" >"$out" 2>&1
    c1=$(cpu_ticks); t1=$(now_us)
    awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v w=$((t1 - t0)) \
        'BEGIN { printf "SERVER_CPU cores=%.2f\n", (c / hz) / (w / 1e6) }' >>"$out"
}
log "warm-up $WARMUP"
run "$WARMUP" "$WORK/wrk-warmup.txt"
log "introspection: $CONNECTIONS connections, $THREADS threads, $DURATION (load average $(cut -d' ' -f1-3 /proc/loadavg))"
run "$DURATION" "$WORK/wrk-introspect.txt"
cat "$WORK/wrk-introspect.txt"
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" "$WORK/wrk-introspect.txt" | head -n1; }
cat <<SUMMARY

Porttivahti introspection load test: $(nproc) CPUs, wrk on the same machine, ${CONNECTIONS} connections, ${THREADS} wrk threads, ${DURATION}, ${ACCESS_TOKENS} distinct access tokens
  requests/s:  $(field rps)  (HTTP 200: $(field ok_rps)/s)   target >= 20,000
  latency:     p50 $(field p50_ms) ms, p90 $(field p90_ms) ms, p99 $(field p99_ms) ms (target < 10), max $(field max_ms) ms
  answers:     $(sed -n 's/^INTROSPECT //p' "$WORK/wrk-introspect.txt")
  non-2xx:     $(field non2xx); socket errors: connect $(field connect_err), read $(field read_err), write $(field write_err), timeouts $(field timeouts)
  server CPU:  $(field cores) cores
SUMMARY
