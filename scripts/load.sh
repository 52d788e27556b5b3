#!/usr/bin/env bash
# Load test of the token endpoint, on one machine.
#
#   scripts/load.sh            (from the repository root)
#
# Installs wrk from the distribution's packages when it is missing, builds
# the release binary, starts the server on a fresh database in a temporary
# directory, and measures:
#
#   * time from process start to the first successful GET /healthz, on a
#     warm start (the database exists) -- the median of WARM_STARTS starts;
#   * resident memory (VmRSS) when idle after start, and after the load;
#   * the client_credentials grant under load;
#   * the refresh_token grant with rotation under load (each new refresh
#     token is carried forward, see scripts/load/refresh.lua).
#
# The load generator runs on the same machine as the server, so the two
# share the CPU. Knobs (environment): PORT, CONNECTIONS, THREADS, DURATION,
# WARMUP, WARM_STARTS, REFRESH_TOKENS, CARGO_TARGET_DIR, BIN (a built binary to
# measure instead of building this checkout: before/after comparisons),
# KEEP_WORKDIR=1, and
# PERF=1 to record a CPU profile of the server during each scenario (needs
# perf; the profiles stay in the work directory, so use it with KEEP_WORKDIR=1).
# Raw wrk output and the server log stay in the work directory printed at
# the end when KEEP_WORKDIR=1.

set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."

PORT=${PORT:-18080}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
WARM_STARTS=${WARM_STARTS:-5}
REFRESH_TOKENS=${REFRESH_TOKENS:-$((CONNECTIONS * 2))}
BASE="http://127.0.0.1:${PORT}"
# Each connection needs a refresh token of its own in flight.
[ "$REFRESH_TOKENS" -ge "$CONNECTIONS" ] || {
    echo "load.sh: REFRESH_TOKENS ($REFRESH_TOKENS) must be at least CONNECTIONS ($CONNECTIONS)" >&2
    exit 2
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'load.sh: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ prerequisites

if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (apt-get)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"
command -v base64 >/dev/null 2>&1 || die "base64 (coreutils) is needed"

if [ -n "${BIN:-}" ]; then
    log "using the binary $BIN (not building)"
else
    log "building the release binary"
    cargo build --release --quiet
    BIN="${CARGO_TARGET_DIR:-target}/release/porttivahti"
fi
[ -x "$BIN" ] || die "no binary at $BIN"

WORK=$(mktemp -d -t porttivahti-load.XXXXXX)
SERVER_PID=""

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_WORKDIR:-0}" = "1" ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# The server: a fresh database and port, quiet logs, relaxed login limits
# (the script logs in once per run; the limits are not under test).
export PORTTIVAHTI__SERVER__LISTEN="127.0.0.1:${PORT}"
export PORTTIVAHTI__SERVER__PUBLIC_URL="$BASE"
export PORTTIVAHTI__STORE__DATABASE_URL="sqlite://${WORK}/pv.db"
export PORTTIVAHTI__RATE_LIMIT__LOGIN_PER_IP=100000
export PORTTIVAHTI__RATE_LIMIT__LOGIN_PER_ACCOUNT=100000
export RUST_LOG=warn

# ------------------------------------------------------------ helpers

# GET /healthz over bash's /dev/tcp: no process per probe, so polling is
# cheap and does not steal the CPU the starting server needs.
healthy() {
    local line=""
    { exec 3<>"/dev/tcp/127.0.0.1/${PORT}"; } 2>/dev/null || return 1
    printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r -t 2 line <&3 || line=""
    exec 3<&- 3>&-
    [[ $line == "HTTP/1.1 200"* ]]
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# Starts the server and waits for /healthz; sets SERVER_PID and
# START_MS_LAST (milliseconds from process start to the first 200).
start_server() {
    local t0 t1
    t0=$(now_us)
    "$BIN" --config config/porttivahti.toml serve >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    until healthy; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $WORK/server.log"
        if [ $(( $(now_us) - t0 )) -gt 60000000 ]; then die "the server did not start in 60 s"; fi
        sleep 0.002
    done
    t1=$(now_us)
    START_MS_LAST=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1000 }')
}

stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# CPU time (user + system) of the server, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
metric() {
    curl -fsS "$BASE/metrics" | awk -v m="porttivahti_$1" '$1 == m { print $2 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

basic() { printf '%s' "$1:$2" | base64 -w0; }
CC_AUTH="Authorization: Basic $(basic hopo-backend hopo-backend-secret-do-not-use-in-production)"
PORTAL_ID=demo-portal
PORTAL_SECRET=demo-portal-secret-do-not-use-in-production
RT_AUTH="Authorization: Basic $(basic "$PORTAL_ID" "$PORTAL_SECRET")"
REDIRECT_URI="$BASE/demo/callback"
REDIRECT_ENC="http%3A%2F%2F127.0.0.1%3A${PORT}%2Fdemo%2Fcallback"
# RFC 7636 appendix B: every authorization request may use the same pair.
PKCE_VERIFIER=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
PKCE_CHALLENGE=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
AUTHORIZE="$BASE/authorize?response_type=code&client_id=${PORTAL_ID}&redirect_uri=${REDIRECT_ENC}&scope=openid%20profile%20email&state=load&nonce=load&code_challenge=${PKCE_CHALLENGE}&code_challenge_method=S256"
JAR="$WORK/cookies.txt"

# Runs wrk with a script; prints its output and keeps a copy. Adds the
# server's CPU time over the run (in cores) and wrk's own CPU time.
run_wrk() {
    local name=$1 script=$2 auth=$3 duration=$4
    local c0 c1 t0 t1 out="$WORK/wrk-$name.txt"
    local perf_pid=""
    if [ "${PERF:-0}" = "1" ] && [ "$name" != "cc-warmup" ]; then
        # A CPU profile of the server over the run (perf report -i ...).
        perf record -q -F 499 -g -p "$SERVER_PID" -o "$WORK/perf-$name.data" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    c0=$(cpu_ticks); t0=$(now_us)
    local TIMEFORMAT="WRK_CPU user_s=%U sys_s=%S wall_s=%R"
    { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout 5s --latency \
        -H "$auth" -s "$script" "$BASE" ; } >"$out" 2>&1
    c1=$(cpu_ticks); t1=$(now_us)
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
    fi
    awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v w=$((t1 - t0)) \
        'BEGIN { printf "SERVER_CPU cores=%.2f\n", (c / hz) / (w / 1e6) }' >>"$out"
    cat "$out"
}

field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" "$WORK/wrk-$1.txt" | head -n1; }

# ------------------------------------------------------------ run

log "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk $(wrk -v 2>&1 | head -n1 | cut -d' ' -f2)"

log "cold start (creates and seeds the database)"
start_server
COLD_MS=$START_MS_LAST
stop_server

log "warm starts: $WARM_STARTS"
STARTS=()
for i in $(seq 1 "$WARM_STARTS"); do
    start_server
    STARTS+=("$START_MS_LAST")
    if [ "$i" -lt "$WARM_STARTS" ]; then stop_server; fi
done
# The last server keeps running for the load.
START_MS=$(printf '%s\n' "${STARTS[@]}" | median)

sleep 1
IDLE_RSS=$(rss_kib)

log "client_credentials: warm-up $WARMUP"
run_wrk cc-warmup scripts/load/client_credentials.lua "$CC_AUTH" "$WARMUP" >/dev/null
cc_before=$(metric tokens_client_credentials_total)
err_before=$(metric token_errors_total)
log "client_credentials: $CONNECTIONS connections, $THREADS threads, $DURATION"
run_wrk cc scripts/load/client_credentials.lua "$CC_AUTH" "$DURATION"
cc_issued=$(( $(metric tokens_client_credentials_total) - cc_before ))
cc_errors=$(( $(metric token_errors_total) - err_before ))
sleep 2
CC_RSS=$(rss_kib)

log "logging in once as anna.hoitaja; collecting $REFRESH_TOKENS refresh tokens"
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

exchange() { # code -> refresh token
    curl -sS -H "$RT_AUTH" -d grant_type=authorization_code -d "code=$1" \
        --data-urlencode "redirect_uri=$REDIRECT_URI" -d "code_verifier=$PKCE_VERIFIER" \
        "$BASE/token" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p'
}
code_of() { printf '%s' "$1" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p'; }

TOKENS="$WORK/refresh-tokens.txt"
: >"$TOKENS"
code=$(code_of "$loc")
[ -n "$code" ] || die "login did not return a code: $loc"
for i in $(seq 1 "$REFRESH_TOKENS"); do
    if [ "$i" -gt 1 ]; then
        # The SSO session answers at once with a new code: one new
        # refresh family per code.
        loc=$(curl -sS -o /dev/null -b "$JAR" -w '%{redirect_url}' "$AUTHORIZE")
        code=$(code_of "$loc")
        [ -n "$code" ] || die "authorize (with session) did not return a code: $loc"
    fi
    rt=$(exchange "$code")
    [ -n "$rt" ] || die "the code exchange returned no refresh token"
    printf '%s\n' "$rt" >>"$TOKENS"
done

rt_before=$(metric tokens_refresh_total)
err_before=$(metric token_errors_total)
log "refresh_token: $CONNECTIONS connections, $THREADS threads, $DURATION"
PV_REFRESH_TOKENS="$TOKENS" PV_THREADS="$THREADS" \
    run_wrk refresh scripts/load/refresh.lua "$RT_AUTH" "$DURATION"
rt_issued=$(( $(metric tokens_refresh_total) - rt_before ))
rt_errors=$(( $(metric token_errors_total) - err_before ))

sleep 3
AFTER_RSS=$(rss_kib)
PEAK_RSS=$(hwm_kib)
SERVER_THREADS=$(awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status")
stop_server

# ------------------------------------------------------------ summary

cat <<EOF

Porttivahti load test: $(nproc) CPUs, wrk on the same machine, ${CONNECTIONS} connections, ${THREADS} wrk threads, ${DURATION} per scenario

Start-up (process start -> first 200 from /healthz)
  warm start, median of ${WARM_STARTS}: ${START_MS} ms   (each: ${STARTS[*]} ms)
  cold start (new database, seeding): ${COLD_MS} ms

Resident memory (VmRSS)
  idle after start:       $(mib "$IDLE_RSS") MiB
  idle after the client_credentials load: $(mib "$CC_RSS") MiB
  idle after both loads:  $(mib "$AFTER_RSS") MiB   (peak VmHWM $(mib "$PEAK_RSS") MiB; ${SERVER_THREADS} threads)

client_credentials grant
  requests/s:  $(field cc rps)  (HTTP 200: $(field cc ok_rps)/s)
  latency:     p50 $(field cc p50_ms) ms, p90 $(field cc p90_ms) ms, p99 $(field cc p99_ms) ms, max $(field cc max_ms) ms
  non-2xx:     $(field cc non2xx); socket errors: connect $(field cc connect_err), read $(field cc read_err), write $(field cc write_err), timeouts $(field cc timeouts)
  server side: ${cc_issued} tokens issued, ${cc_errors} token errors; server CPU $(field cc cores) cores, wrk CPU user $(field cc user_s) s + sys $(field cc sys_s) s

refresh_token grant (rotation)
  requests/s:  $(field refresh rps)  (HTTP 200: $(field refresh ok_rps)/s)
  latency:     p50 $(field refresh p50_ms) ms, p90 $(field refresh p90_ms) ms, p99 $(field refresh p99_ms) ms, max $(field refresh max_ms) ms
  non-2xx:     $(field refresh non2xx); socket errors: connect $(field refresh connect_err), read $(field refresh read_err), write $(field refresh write_err), timeouts $(field refresh timeouts)
  rotation:    $(sed -n 's/^REFRESH //p' "$WORK/wrk-refresh.txt")
  server side: ${rt_issued} tokens issued, ${rt_errors} token errors; server CPU $(field refresh cores) cores, wrk CPU user $(field refresh user_s) s + sys $(field refresh sys_s) s
EOF
