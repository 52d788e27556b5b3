#!/usr/bin/env bash
# Scale-out load test: the refresh_token grant (with rotation) on one
# embedded node (SQLite file, in-memory session state) and on two nodes
# sharing PostgreSQL and Redis, in the same run, on this machine.
#
#   scripts/load-two-nodes.sh          (from the repository root)
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth; a fresh
# database is created and dropped) and Redis on 127.0.0.1:6379 (a fresh key
# prefix), wrk and curl. The two nodes get one wrk each (one thread,
# CONNECTIONS/2 connections) at the same time; their figures are summed.
# Knobs: CONNECTIONS (64), DURATION (15s), PG_ADMIN_URL, REDIS_URL,
# CARGO_TARGET_DIR, KEEP_WORKDIR=1.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
HALF=$((CONNECTIONS / 2))

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'load-two-nodes.sh: %s\n' "$*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
command -v psql >/dev/null || die "psql is needed"

log "building the release binary"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/porttivahti"

WORK=$(mktemp -d -t porttivahti-2n.XXXXXX)
DB="pv_load_$(date +%s)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    if [ "${KEEP_WORKDIR:-0}" = "1" ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

export RUST_LOG=warn
export PORTTIVAHTI__RATE_LIMIT__LOGIN_PER_IP=100000
export PORTTIVAHTI__RATE_LIMIT__LOGIN_PER_ACCOUNT=100000

healthy() { curl -fsS -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null; }

# start PORT TLS_PORT DATABASE_URL [REDIS_URL PREFIX] -> pid in LAST_PID
start() {
    local port=$1 tls=$2 db=$3
    env PORTTIVAHTI__SERVER__LISTEN="127.0.0.1:$port" \
        PORTTIVAHTI__SERVER__PUBLIC_URL="http://127.0.0.1:$port" \
        PORTTIVAHTI__SERVER__TLS_LISTEN="127.0.0.1:$tls" \
        PORTTIVAHTI__STORE__DATABASE_URL="$db" \
        ${4:+PORTTIVAHTI__STORE__REDIS_URL="$4"} \
        ${5:+PORTTIVAHTI__STORE__REDIS_PREFIX="$5"} \
        "$BIN" --config config/porttivahti.toml serve >>"$WORK/server-$port.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    for _ in $(seq 1 300); do healthy "$port" && return 0; sleep 0.1; done
    die "the node on $port did not start; see $WORK/server-$port.log"
}

basic() { printf '%s' "$1:$2" | base64 -w0; }
RT_AUTH="Authorization: Basic $(basic demo-portal demo-portal-secret-do-not-use-in-production)"
PKCE_VERIFIER=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
PKCE_CHALLENGE=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM

# tokens PORT FILE COUNT: logs in once at PORT, writes COUNT refresh tokens.
tokens() {
    local port=$1 file=$2 n=$3 base="http://127.0.0.1:$1" jar="$WORK/jar-$1"
    local redirect="$base/demo/callback" enc="http%3A%2F%2F127.0.0.1%3A$1%2Fdemo%2Fcallback"
    local authorize="$base/authorize?response_type=code&client_id=demo-portal&redirect_uri=$enc&scope=openid%20profile%20email&state=s&nonce=n&code_challenge=$PKCE_CHALLENGE&code_challenge_method=S256"
    local loc page csrf ar code rt
    loc=$(curl -sS -o /dev/null -c "$jar" -b "$jar" -w '%{redirect_url}' "$authorize")
    page=$(curl -sS -c "$jar" -b "$jar" "$loc")
    csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
    ar=$(printf '%s' "$page" | sed -n 's/.*name="ar" value="\([^"]*\)".*/\1/p' | head -n1)
    loc=$(curl -sS -o /dev/null -c "$jar" -b "$jar" -w '%{redirect_url}' \
        --data-urlencode "csrf=$csrf" --data-urlencode "ar=$ar" \
        --data-urlencode "username=anna.hoitaja" --data-urlencode "password=Intermetso-demo-2026" \
        "$base/login/password")
    : >"$file"
    for i in $(seq 1 "$n"); do
        if [ "$i" -gt 1 ]; then
            loc=$(curl -sS -o /dev/null -b "$jar" -w '%{redirect_url}' "$authorize")
        fi
        code=$(printf '%s' "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
        [ -n "$code" ] || die "no code from $base: $loc"
        rt=$(curl -sS -H "$RT_AUTH" -d grant_type=authorization_code -d "code=$code" \
            --data-urlencode "redirect_uri=$redirect" -d "code_verifier=$PKCE_VERIFIER" \
            "$base/token" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p')
        [ -n "$rt" ] || die "no refresh token from $base"
        printf '%s\n' "$rt" >>"$file"
    done
}

# wrk_run NAME PORT CONNS TOKENFILE
wrk_run() {
    PV_REFRESH_TOKENS="$4" PV_THREADS=1 wrk -t1 -c"$3" -d"$DURATION" --timeout 5s --latency \
        -H "$RT_AUTH" -s scripts/load/refresh.lua "http://127.0.0.1:$2" >"$WORK/wrk-$1.txt" 2>&1
}
rps() { awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk-$1.txt"; }
p99() { awk '$1 == "99%" { print $2 }' "$WORK/wrk-$1.txt"; }
non2xx() { awk '/Non-2xx/ { print $NF }' "$WORK/wrk-$1.txt"; }

log "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

log "one embedded node: SQLite + in-memory state, $CONNECTIONS connections"
start 18281 18441 "sqlite://$WORK/embedded.db"
EMB=$LAST_PID
tokens 18281 "$WORK/t-emb.txt" $((CONNECTIONS * 2))
PV_REFRESH_TOKENS="$WORK/t-emb.txt" PV_THREADS=2 wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 5s --latency \
    -H "$RT_AUTH" -s scripts/load/refresh.lua "http://127.0.0.1:18281" >"$WORK/wrk-emb.txt" 2>&1
kill -TERM "$EMB"; wait "$EMB" 2>/dev/null || true

log "two nodes on PostgreSQL ($DB) and Redis, $HALF connections each"
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
PGURL="${PG_ADMIN_URL%/*}/$DB"
PREFIX="pvload$(date +%s):"
start 18282 18442 "$PGURL" "$REDIS_URL" "$PREFIX"
start 18283 18443 "$PGURL" "$REDIS_URL" "$PREFIX"
tokens 18282 "$WORK/t-a.txt" "$CONNECTIONS"
tokens 18283 "$WORK/t-b.txt" "$CONNECTIONS"
wrk_run a 18282 "$HALF" "$WORK/t-a.txt" & WA=$!
wrk_run b 18283 "$HALF" "$WORK/t-b.txt" & WB=$!
wait "$WA"; wait "$WB"

EMB_RPS=$(rps emb); A_RPS=$(rps a); B_RPS=$(rps b)
SUM=$(awk -v a="$A_RPS" -v b="$B_RPS" 'BEGIN { printf "%.0f", a + b }')
RATIO=$(awk -v s="$SUM" -v e="$EMB_RPS" 'BEGIN { printf "%.2f", s / e }')
cat <<OUT

refresh_token grant with rotation, $CONNECTIONS connections in all, $DURATION, wrk on the same machine
  one embedded node (SQLite + memory):  $EMB_RPS req/s, p99 $(p99 emb), non-2xx: $(non2xx emb)
  two nodes (PostgreSQL + Redis):       $SUM req/s (node A $A_RPS, p99 $(p99 a); node B $B_RPS, p99 $(p99 b)), non-2xx: $(non2xx a)/$(non2xx b)
  two nodes / one embedded node:        $RATIO
OUT
