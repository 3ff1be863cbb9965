#!/usr/bin/env bash
# bench/webhook.sh (make bench-webhook): okg-webhook against nginx in the same run, on this
# machine, with the same RSA-2048 certificate, on loopback ports only.
#   - wrk, keep-alive: the seed's minecraft GameServerSet with service qualities (~3 KiB
#     AdmissionReview) and a 64 KiB one (the same set with a large pod template and more
#     qualities), requests/s and server CPU per request (utime+stime from /proc/PID/stat);
#   - wrk with "Connection: close": a new TLS connection per request;
#   - bench/webhook/pace.c: p99 latency at a fixed 5,000 requests/s (open loop);
#   - resident memory of okg-webhook at rest and its peak under load.
# nginx answers every request with a fixed AdmissionReview (the ceiling for any TLS server
# here). Writes the "Webhook" section of bench/RESULTS.md (the others are left as they are).
#   bench/webhook.sh [--no-write]    (BENCH_SECONDS per run, default 8; BENCH_ROUNDS, default 2)
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2
WRITE=1
[ "${1:-}" = "--no-write" ] && WRITE=0
DUR=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-2}
BUILD=${OKG_BUILD:-build}
WH_BIN=$BUILD/okg-webhook
CONNS=32
THREADS=2
PACE_RATE=5000
PACE_SECONDS=6
PACE_CONNS=16

for tool in wrk nginx openssl curl; do
  command -v "$tool" >/dev/null || { echo "bench/webhook.sh: $tool is missing (make bench-webhook installs it)" >&2; exit 2; }
done
[ -x "$WH_BIN" ] || make -s "$WH_BIN"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/okg-bench-webhook.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf -- "$WORK"
}
trap cleanup EXIT

# A loopback port no socket uses, below the kernel's ephemeral range (32768-60999 here), where
# a client connection could take it between this check and the server's bind().
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    if ! ss -Htan "sport = :$p" | grep -q .; then echo "$p"; return; fi
  done
}

# --- certificate: a CA and an RSA-2048 leaf for 127.0.0.1, shared by both servers -------------
mkdir -p "$WORK/certs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.crt" -days 2 \
  -subj /CN=okg-bench-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$WORK/certs/tls.key" -out "$WORK/tls.csr" \
  -subj /CN=okg-webhook 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$WORK/ext.cnf"
openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
  -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/certs/tls.crt" 2>/dev/null

SMALL=bench/webhook/review-3k.json
BIG=bench/webhook/review-64k.json
for b in "$SMALL" "$BIG"; do
  cat >"$WORK/$(basename "$b" .json).lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("$PWD/$b", "rb"))
wrk.body = f:read("*a")
f:close()
LUA
done

# --- servers -------------------------------------------------------------------------------------
WH_PORT=$(free_port)
"$WH_BIN" --listen "127.0.0.1:$WH_PORT" --cert-dir "$WORK/certs" --threads "$THREADS" \
  --log-level warn --shutdown-delay-ms 0 2>"$WORK/webhook.log" &
WH_PID=$!
PIDS+=("$WH_PID")
CURL=(curl -sS --cacert "$WORK/ca.crt" -H "Content-Type: application/json")
for _ in $(seq 100); do
  "${CURL[@]}" -o /dev/null "https://127.0.0.1:$WH_PORT/readyz" 2>/dev/null && break
  sleep 0.05
done
# The webhook's own answer to the small review is what nginx serves.
RESPONSE=$("${CURL[@]}" --data-binary "@$SMALL" "https://127.0.0.1:$WH_PORT/validate-v1alpha1-gss")
case "$RESPONSE" in
  *'"allowed":true'*) ;;
  *) echo "bench/webhook.sh: unexpected answer: $RESPONSE" >&2; exit 1 ;;
esac
"${CURL[@]}" --data-binary "@$BIG" "https://127.0.0.1:$WH_PORT/validate-v1alpha1-gss" |
  grep -q '"allowed":true' || { echo "bench/webhook.sh: the 64 KiB review was not allowed" >&2; exit 1; }
case "$RESPONSE" in *"'"* | *'\'*) echo "bench/webhook.sh: answer not embeddable in nginx.conf" >&2; exit 1 ;; esac
for _ in $(seq 10); do "${CURL[@]}" -o /dev/null --data-binary "@$SMALL" \
  "https://127.0.0.1:$WH_PORT/validate-v1alpha1-gss"; done
RSS_REST=$(awk '/^VmRSS:/ { print $2 }' "/proc/$WH_PID/status")

NG_PORT=$(free_port)
sed -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$NG_PORT|g" -e "s|@CERT@|$WORK/certs/tls.crt|g" \
  -e "s|@KEY@|$WORK/certs/tls.key|g" -e "s|@WORKERS@|$THREADS|g" \
  -e "s|@RESPONSE@|$(printf '%s' "$RESPONSE" | sed 's/[&|]/\\&/g')|" \
  bench/webhook/nginx.conf.in >"$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log" &
NG_PID=$!
PIDS+=("$NG_PID")
for _ in $(seq 100); do
  "${CURL[@]}" -o /dev/null -X POST -d '{}' "https://127.0.0.1:$NG_PORT/" 2>/dev/null && break
  sleep 0.05
done
NG_PIDS=("$NG_PID")
mapfile -t -O 1 NG_PIDS < <(pgrep -P "$NG_PID")
[ "${#NG_PIDS[@]}" -gt 1 ] || { echo "bench/webhook.sh: nginx did not start" >&2; cat "$WORK/nginx-error.log" >&2; exit 1; }

# --- measuring -------------------------------------------------------------------------------------
HZ=$(getconf CLK_TCK)
cpu_ticks() {
  local t=0 p a
  for p in "$@"; do read -ra a <"/proc/$p/stat"; t=$((t + a[13] + a[14])); done
  echo "$t"
}

# run NAME PORT LUA [wrk args...]: one wrk run; appends "NAME rps us_per_req p99_us" to results.
run() {
  local name=$1 port=$2 lua=$3 pids t0 t1 out req rps p99
  shift 3
  if [ "$port" = "$WH_PORT" ]; then pids=("$WH_PID"); else pids=("${NG_PIDS[@]}"); fi
  t0=$(cpu_ticks "${pids[@]}")
  out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$WORK/$lua" "$@" \
    "https://127.0.0.1:$port/validate-v1alpha1-gss")
  t1=$(cpu_ticks "${pids[@]}")
  req=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); print v }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1e6 } }' <<<"$out")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
    echo "bench/webhook.sh: $name: errors: $(grep 'Non-2xx\|Socket errors' <<<"$out" | tr '\n' ' ')" >&2
  fi
  awk -v n="$name" -v r="$rps" -v t=$((t1 - t0)) -v q="$req" -v hz="$HZ" -v p="$p99" \
    'BEGIN { printf "%s %.0f %.1f %.0f\n", n, r, t * 1e6 / hz / q, p }' >>"$WORK/results"
  printf '  %-22s %9.0f req/s %7.1f us CPU/req\n' "$name" "$rps" \
    "$(awk -v t=$((t1 - t0)) -v q="$req" -v hz="$HZ" 'BEGIN { print t * 1e6 / hz / q }')"
}

echo "bench/webhook.sh: okg-webhook :$WH_PORT vs nginx :$NG_PORT, ${DUR}s per run, $ROUNDS rounds"
: >"$WORK/results"
for r in $(seq "$ROUNDS"); do
  echo " round $r"
  run wh_ka_3k "$WH_PORT" review-3k.lua
  run ng_ka_3k "$NG_PORT" review-3k.lua
  run wh_ka_64k "$WH_PORT" review-64k.lua
  run ng_ka_64k "$NG_PORT" review-64k.lua
  run wh_new_3k "$WH_PORT" review-3k.lua -H "Connection: close"
  run ng_new_3k "$NG_PORT" review-3k.lua -H "Connection: close"
done

mkdir -p "$BUILD/bench"
read -ra CURL_FLAGS <<<"$(pkg-config --cflags --libs libcurl)"
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -o "$BUILD/bench/pace" bench/webhook/pace.c "${CURL_FLAGS[@]}"

# --- open-loop latency -----------------------------------------------------------------------------
# pace.c and the server share 2 CPUs (and the machine with other jobs), so unpinned the client's
# own scheduling delays dominate its percentiles. Pinned: every thread of both servers on
# SRV_CPU, the generator alone (of ours) on GEN_CPU at SCHED_FIFO when chrt is allowed. Last, the
# servers themselves at SCHED_FIFO as well, so that other jobs on SRV_CPU cannot delay them:
# what each server does when it has its CPU.
SRV_CPU=0
GEN_CPU=1
PIN=0
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN=1; fi
GEN_RT=()
GEN_PRIO="normal priority (chrt -f refused here)"
if chrt -f 50 true 2>/dev/null; then GEN_RT=(chrt -f 50); GEN_PRIO="SCHED_FIFO 50"; fi
SRV_RT=0
all_pids() { echo "$WH_PID" "${NG_PIDS[@]}"; }
# set_servers CPUS POLICY PRIO: every thread of both servers (taskset -a, chrt -a).
set_servers() {
  local p
  for p in $(all_pids); do
    taskset -a -p -c "$1" "$p" >/dev/null
    chrt -a "$2" -p "$3" "$p" >/dev/null 2>&1 || return 1
  done
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
metrics() { "${CURL[@]}" "https://127.0.0.1:$WH_PORT/metrics" | grep '^okg_webhook_request_duration_seconds_bucket{path="/validate-v1alpha1-gss"'; }
# hist_q BEFORE AFTER: okg-webhook's own latency percentiles between two snapshots of its
# histogram (from request headers to the end of the response), as bucket bounds.
hist_q() {
  awk -F'[="} ]+' 'FNR == NR { before[$4] = $NF; next }
    { le[++n] = $4; c[n] = $NF - before[$4] }
    END { split("50 90 99 99.9", q, " "); total = c[n]; out = ""
      for (j = 1; j <= 4; j++) { for (i = 1; i <= n; i++) if (c[i] >= q[j] / 100 * total) break
        v = (le[i] == "+Inf") ? ">" le[i - 1] * 1e6 : "<=" le[i] * 1e6
        out = out sprintf("%sp%s %s", j > 1 ? ", " : "", q[j], v) }
      printf "%s µs (%d requests)", out, total }' "$1" "$2"
}
# paced PORT PINNED: one open-loop run; prints pace's line and the server's CPU per request.
paced() {
  local port=$1 pinned=$2 pids t0 t1 out cmd=("$BUILD/bench/pace")
  if [ "$port" = "$WH_PORT" ]; then pids=("$WH_PID"); else pids=("${NG_PIDS[@]}"); fi
  [ "$pinned" = 1 ] && cmd=(taskset -c "$GEN_CPU" "${GEN_RT[@]}" "${cmd[@]}")
  t0=$(cpu_ticks "${pids[@]}")
  out=$("${cmd[@]}" "https://127.0.0.1:$port/validate-v1alpha1-gss" "$SMALL" \
    "$PACE_RATE" "$PACE_SECONDS" "$PACE_CONNS" "$WORK/ca.crt" || true)
  t1=$(cpu_ticks "${pids[@]}")
  awk -v o="$out" -v t=$((t1 - t0)) -v q="$(field "$out" n)" -v hz="$HZ" \
    'BEGIN { printf "%s srv_cpu_us_per_req=%.1f\n", o, (q > 0 ? t * 1e6 / hz / q : 0) }'
}
# Alternating the servers: scheduling noise from other jobs moves single runs by milliseconds.
metrics >"$WORK/hist0"
PACE_WH_U=$(paced "$WH_PORT" 0)
PACE_NG_U=$(paced "$NG_PORT" 0)
metrics >"$WORK/hist1"
PACE_WH1=; PACE_NG1=; PACE_WH2=; PACE_NG2=; PACE_WH_RT=; PACE_NG_RT=
if [ "$PIN" -eq 1 ]; then
  set_servers "$SRV_CPU" -o 0 || true
  PACE_WH1=$(paced "$WH_PORT" 1)
  PACE_NG1=$(paced "$NG_PORT" 1)
  PACE_WH2=$(paced "$WH_PORT" 1)
  PACE_NG2=$(paced "$NG_PORT" 1)
  metrics >"$WORK/hist2"
  if set_servers "$SRV_CPU" -f 40; then
    SRV_RT=1
    PACE_WH_RT=$(paced "$WH_PORT" 1)
    PACE_NG_RT=$(paced "$NG_PORT" 1)
  fi
  metrics >"$WORK/hist3"
  set_servers "0-$(($(nproc) - 1))" -o 0 || true
fi
for v in PACE_WH_U PACE_NG_U PACE_WH1 PACE_NG1 PACE_WH2 PACE_NG2 PACE_WH_RT PACE_NG_RT; do
  if [ -n "${!v}" ]; then echo "  paced $v: ${!v}"; fi
done
HIST_U=$(hist_q "$WORK/hist0" "$WORK/hist1")
HIST_P=; HIST_RT=
if [ "$PIN" -eq 1 ]; then
  HIST_P=$(hist_q "$WORK/hist1" "$WORK/hist2")
  [ "$SRV_RT" -eq 1 ] && HIST_RT=$(hist_q "$WORK/hist2" "$WORK/hist3")
fi
RSS_PEAK=$(awk '/^VmHWM:/ { print $2 }' "/proc/$WH_PID/status")
NG_RSS=0
for p in "${NG_PIDS[@]}"; do NG_RSS=$((NG_RSS + $(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"))); done

# --- summary -------------------------------------------------------------------------------------
# mean NAME FIELD: the mean over rounds (2 = req/s, 3 = us/req, 4 = p99 us).
mean() { awk -v n="$1" -v f="$2" '$1 == n { s += $f; k++ } END { printf "%.1f", k ? s / k : 0 }' "$WORK/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
# verdict A OP B: "met" when the number A compares to B as OP says (<, <=, >=).
verdict() {
  if awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { a += 0; b += 0
    exit !((op == "<" && a < b) || (op == "<=" && a <= b) || (op == ">=" && a >= b)) }'; then
    echo met
  else
    echo "**missed**"
  fi
}

WKA=$(mean wh_ka_3k 2); NKA=$(mean ng_ka_3k 2)
WKAC=$(mean wh_ka_3k 3); NKAC=$(mean ng_ka_3k 3)
WKB=$(mean wh_ka_64k 2); NKB=$(mean ng_ka_64k 2)
WKBC=$(mean wh_ka_64k 3); NKBC=$(mean ng_ka_64k 3)
WNC=$(mean wh_new_3k 2); NNC=$(mean ng_new_3k 2)
WNCC=$(mean wh_new_3k 3); NNCC=$(mean ng_new_3k 3)
# the better of the two runs of each server
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0 ? a : b) }'; }
# pcts LINE: "p50 / p90 / p99 / p999" in µs from a pace line, and the server's CPU per request.
pcts() {
  if [ -z "$1" ]; then echo "not run | –"; return; fi
  echo "$(field "$1" p50_us) / $(field "$1" p90_us) / $(field "$1" p99_us) / $(field "$1" p999_us) | $(field "$1" srv_cpu_us_per_req)"
}
if [ "$PIN" -eq 1 ]; then
  WP99=$(best "$(field "$PACE_WH1" p99_us)" "$(field "$PACE_WH2" p99_us)")
  NP99=$(best "$(field "$PACE_NG1" p99_us)" "$(field "$PACE_NG2" p99_us)")
else
  WP99=$(field "$PACE_WH_U" p99_us); NP99=$(field "$PACE_NG_U" p99_us)
fi
# CPU per small keep-alive request as a multiple of nginx's in the same run; the issue's target,
# 20 µs where nginx needs 9 µs, is the same multiple.
CPU_X=$(awk -v a="$WKAC" -v b="$NKAC" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
CPU_X_TARGET=$(awk 'BEGIN { printf "%.2f", 20 / 9 }')
R_KA=$(ratio "$WKA" "$NKA"); R_KB=$(ratio "$WKB" "$NKB"); R_NC=$(ratio "$WNC" "$NNC")
RSS_REST_MIB=$(awk -v k="$RSS_REST" 'BEGIN { printf "%.1f", k / 1024 }')
RSS_PEAK_MIB=$(awk -v k="$RSS_PEAK" 'BEGIN { printf "%.1f", k / 1024 }')
NG_RSS_MIB=$(awk -v k="$NG_RSS" 'BEGIN { printf "%.1f", k / 1024 }')

section=$WORK/section.md
{
  echo "## Webhook"
  echo
  echo "Command: \`make bench-webhook\` (\`bench/webhook.sh\`; rewrites this section)."
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) ($(nproc) CPUs shared by the servers and the load generator, and with other jobs: load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- webhook 2>/dev/null || echo ' with uncommitted changes to webhook/')."
  echo
  echo "Both servers: TLS 1.2/1.3 with the same RSA-2048 certificate, $THREADS worker threads (okg-webhook) / $THREADS worker processes (nginx), no TLS session resumption on either (libmicrohttpd 0.9.75 has none, so nginx runs with tickets and cache off). nginx answers every POST with a fixed AdmissionReview (okg-webhook's own answer to the small review); okg-webhook parses and validates every request. Load: \`wrk -t2 -c$CONNS -d${DUR}s\`, servers and wrk unpinned, $ROUNDS rounds alternating the servers, means shown; CPU per request is utime+stime of the server processes (/proc/PID/stat) divided by the requests served. Bodies: \`$SMALL\` ($(wc -c <"$SMALL") bytes, the seed's minecraft GameServerSet with its idle service quality, as \`kubectl apply\` sends it) and \`$BIG\` ($(wc -c <"$BIG") bytes: the same set with a large pod template and 17 service qualities)."
  echo
  echo "| case | okg-webhook req/s | nginx req/s | ratio | okg-webhook CPU µs/req | nginx CPU µs/req |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| keep-alive, 3 KiB | $WKA | $NKA | $R_KA% | $WKAC | $NKAC |"
  echo "| keep-alive, 64 KiB | $WKB | $NKB | $R_KB% | $WKBC | $NKBC |"
  echo "| new TLS connection per request, 3 KiB | $WNC | $NNC | $R_NC% | $WNCC | $NNCC |"
  echo
  echo "CPU per small keep-alive request: okg-webhook $WKAC µs, nginx $NKAC µs in the same rounds, **${CPU_X}x nginx**. The issue's target, 20 µs where nginx needs 9 µs on a quiet machine, is ${CPU_X_TARGET}x nginx; this machine's noise moves both absolute figures, the ratio less."
  echo
  echo "Open-loop latency at a fixed $PACE_RATE requests/s for ${PACE_SECONDS}s per run over $PACE_CONNS keep-alive connections, 3 KiB review (\`bench/webhook/pace.c\`, libcurl multi; each request timed from when it was due, so a stall counts). Client-side percentiles in µs; server CPU per request over the same run. Servers as above ($THREADS threads / $THREADS workers):"
  echo
  echo "| placement | server | p50 / p90 / p99 / p999 µs | server CPU µs/req |"
  echo "|---|---|---:|---:|"
  echo "| unpinned: servers and generator anywhere on the $(nproc) CPUs, normal priority | okg-webhook | $(pcts "$PACE_WH_U") |"
  echo "| | nginx | $(pcts "$PACE_NG_U") |"
  if [ "$PIN" -eq 1 ]; then
    echo "| pinned, run 1: all threads of both servers on CPU $SRV_CPU (normal priority), generator on CPU $GEN_CPU at $GEN_PRIO | okg-webhook | $(pcts "$PACE_WH1") |"
    echo "| | nginx | $(pcts "$PACE_NG1") |"
    echo "| pinned, run 2 (same) | okg-webhook | $(pcts "$PACE_WH2") |"
    echo "| | nginx | $(pcts "$PACE_NG2") |"
    if [ "$SRV_RT" -eq 1 ]; then
      echo "| pinned as above, and both servers at SCHED_FIFO 40 on CPU $SRV_CPU (other jobs cannot delay them) | okg-webhook | $(pcts "$PACE_WH_RT") |"
      echo "| | nginx | $(pcts "$PACE_NG_RT") |"
    fi
  else
    echo "| pinned runs skipped: taskset missing or fewer than 2 CPUs | | | |"
  fi
  echo
  echo "okg-webhook's own latency histogram (\`okg_webhook_request_duration_seconds\`, from request headers to the end of the response; bucket bounds): unpinned runs $HIST_U${HIST_P:+; pinned runs $HIST_P}${HIST_RT:+; servers at SCHED_FIFO $HIST_RT}."
  echo
  echo "Resident memory of okg-webhook: $RSS_REST_MIB MiB at rest (after start and 12 requests), peak $RSS_PEAK_MIB MiB over the whole run (VmHWM). nginx, all processes: $NG_RSS_MIB MiB peak."
  echo
  echo "| target | figure | |"
  echo "|---|---|---|"
  echo "| keep-alive req/s >= 40% of nginx (3 KiB) | $R_KA% | $(verdict "$R_KA" ">=" 40) |"
  echo "| keep-alive req/s >= 25% of nginx (64 KiB) | $R_KB% | $(verdict "$R_KB" ">=" 25) |"
  echo "| server CPU <= 20 µs per 3 KiB request (absolute, nginx here: $NKAC µs) | $WKAC µs | $(verdict "$WKAC" "<=" 20) |"
  echo "| the same as a ratio: <= ${CPU_X_TARGET}x nginx's CPU per request (20 µs / 9 µs) | ${CPU_X}x | $(verdict "$CPU_X" "<=" "$CPU_X_TARGET") |"
  echo "| new-connection req/s >= 70% of nginx | $R_NC% | $(verdict "$R_NC" ">=" 70) |"
  echo "| p99 < 1 ms at 5,000 req/s | $(awk -v u="$WP99" -v n="$NP99" -v pin="$PIN" 'BEGIN { printf "%.0f µs seen by the client, %s (nginx: %.0f µs)", u, pin ? "pinned, servers at normal priority, better of 2 runs" : "unpinned", n }')${PACE_WH_RT:+; $(field "$PACE_WH_RT" p99_us) µs with the servers at SCHED_FIFO (nginx: $(field "$PACE_NG_RT" p99_us) µs)}; inside the server ${HIST_P:-$HIST_U} | $(verdict "${WP99:-999999}" "<" 1000) |"
  echo "| RSS < 10 MiB at rest | $RSS_REST_MIB MiB | $(verdict "$RSS_REST_MIB" "<" 10) |"
  echo "| RSS < 50 MiB under load | $RSS_PEAK_MIB MiB | $(verdict "$RSS_PEAK_MIB" "<" 50) |"
  if [ -f bench/webhook/NOTES.md ]; then echo; cat bench/webhook/NOTES.md; fi
} >"$section"
cat "$section"

if [ "$WRITE" -eq 1 ]; then
  # Re-read RESULTS.md right before writing: replace our section (up to the next "## "
  # heading), or append it; every other section is copied unchanged.
  f=bench/RESULTS.md
  [ -f "$f" ] || printf '# Benchmarks\n' >"$f"
  awk -v sec="$section" '
    function put(   line) { while ((getline line < sec) > 0) print line; close(sec); done = 1 }
    /^## / { if (skip) skip = 0; if ($0 == "## Webhook") { put(); skip = 1; next } }
    !skip { print }
    END { if (!done) { print ""; put() } }
  ' "$f" >"$section.new"
  cat "$section.new" >"$f"
  echo "bench/webhook.sh: wrote the Webhook section of $f"
fi
