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

WORK=$(mktemp -d /tmp/okg-bench-webhook.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf -- "$WORK"
}
trap cleanup EXIT

# A loopback port nobody listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$p" | grep -q .; then echo "$p"; return; fi
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
metrics() { "${CURL[@]}" "https://127.0.0.1:$WH_PORT/metrics" | grep '^okg_webhook_request_duration_seconds_bucket{path="/validate-v1alpha1-gss"'; }
pace() { "$BUILD/bench/pace" "https://127.0.0.1:$1/validate-v1alpha1-gss" "$SMALL" \
  "$PACE_RATE" "$PACE_SECONDS" "$PACE_CONNS" "$WORK/ca.crt" || true; }
# Two paced runs per server, alternating: scheduling noise from other jobs on a shared machine
# moves single runs by tens of milliseconds.
metrics >"$WORK/hist0"
PACE_WH1=$(pace "$WH_PORT")
PACE_NG1=$(pace "$NG_PORT")
PACE_WH2=$(pace "$WH_PORT")
PACE_NG2=$(pace "$NG_PORT")
metrics >"$WORK/hist1"
# The server's own view of its paced runs: its latency histogram (from request headers to the
# end of the response), the bucket bound under which 99% of the requests finished.
SRV_P99=$(awk -F'[="} ]+' 'FNR == NR { before[$4] = $NF; next }
  { le[++n] = $4; c[n] = $NF - before[$4] }
  END { total = c[n]; for (i = 1; i <= n; i++) if (c[i] >= 0.99 * total) { print le[i]; exit } }' \
  "$WORK/hist0" "$WORK/hist1")
for v in PACE_WH1 PACE_NG1 PACE_WH2 PACE_NG2; do echo "  paced $v: ${!v}"; done
RSS_PEAK=$(awk '/^VmHWM:/ { print $2 }' "/proc/$WH_PID/status")
NG_RSS=0
for p in "${NG_PIDS[@]}"; do NG_RSS=$((NG_RSS + $(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"))); done

# --- summary -------------------------------------------------------------------------------------
# mean NAME FIELD: the mean over rounds (2 = req/s, 3 = us/req, 4 = p99 us).
mean() { awk -v n="$1" -v f="$2" '$1 == n { s += $f; k++ } END { printf "%.1f", k ? s / k : 0 }' "$WORK/results"; }
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
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
WP99=$(best "$(field "$PACE_WH1" p99_us)" "$(field "$PACE_WH2" p99_us)")
NP99=$(best "$(field "$PACE_NG1" p99_us)" "$(field "$PACE_NG2" p99_us)")
R_KA=$(ratio "$WKA" "$NKA"); R_KB=$(ratio "$WKB" "$NKB"); R_NC=$(ratio "$WNC" "$NNC")
RSS_REST_MIB=$(awk -v k="$RSS_REST" 'BEGIN { printf "%.1f", k / 1024 }')
RSS_PEAK_MIB=$(awk -v k="$RSS_PEAK" 'BEGIN { printf "%.1f", k / 1024 }')
NG_RSS_MIB=$(awk -v k="$NG_RSS" 'BEGIN { printf "%.1f", k / 1024 }')

section=$WORK/section.md
{
  echo "## Webhook"
  echo
  echo "Command: \`make bench-webhook\` (\`bench/webhook.sh\`; rewrites this section)."
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) ($(nproc) CPUs shared by the servers and the load generator, and with other jobs: load average $(cut -d' ' -f1-3 /proc/loadavg)), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- webhook 2>/dev/null || echo ' with uncommitted changes to webhook/')."
  echo
  echo "Both servers: TLS 1.2/1.3 with the same RSA-2048 certificate, $THREADS worker threads (okg-webhook) / $THREADS worker processes (nginx), no TLS session resumption on either (libmicrohttpd 0.9.75 has none, so nginx runs with tickets and cache off). nginx answers every POST with a fixed AdmissionReview (okg-webhook's own answer to the small review); okg-webhook parses and validates every request. Load: \`wrk -t2 -c$CONNS -d${DUR}s\`, $ROUNDS rounds alternating the servers, means shown; CPU per request is utime+stime of the server processes (/proc/PID/stat) divided by the requests served. Bodies: \`$SMALL\` ($(wc -c <"$SMALL") bytes, the seed's minecraft GameServerSet with its idle service quality, as \`kubectl apply\` sends it) and \`$BIG\` ($(wc -c <"$BIG") bytes: the same set with a large pod template and 17 service qualities)."
  echo
  echo "| case | okg-webhook req/s | nginx req/s | ratio | okg-webhook CPU µs/req | nginx CPU µs/req |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| keep-alive, 3 KiB | $WKA | $NKA | $R_KA% | $WKAC | $NKAC |"
  echo "| keep-alive, 64 KiB | $WKB | $NKB | $R_KB% | $WKBC | $NKBC |"
  echo "| new TLS connection per request, 3 KiB | $WNC | $NNC | $R_NC% | $WNCC | $NNCC |"
  echo
  echo "Open-loop latency at a fixed $PACE_RATE requests/s for ${PACE_SECONDS}s over $PACE_CONNS keep-alive connections (\`bench/webhook/pace.c\`, libcurl multi; each request timed from when it was due):"
  echo
  echo "- okg-webhook, run 1: $PACE_WH1"
  echo "- nginx, run 1: $PACE_NG1"
  echo "- okg-webhook, run 2: $PACE_WH2"
  echo "- nginx, run 2: $PACE_NG2"
  echo "- okg-webhook's own latency histogram puts 99% of its requests of both runs under ${SRV_P99} s (bucket bound)."
  echo
  echo "Resident memory of okg-webhook: $RSS_REST_MIB MiB at rest (after start and 12 requests), peak $RSS_PEAK_MIB MiB over the whole run (VmHWM). nginx, all processes: $NG_RSS_MIB MiB peak."
  echo
  echo "| target | figure | |"
  echo "|---|---|---|"
  echo "| keep-alive req/s >= 40% of nginx (3 KiB) | $R_KA% | $(verdict "$R_KA" ">=" 40) |"
  echo "| keep-alive req/s >= 25% of nginx (64 KiB) | $R_KB% | $(verdict "$R_KB" ">=" 25) |"
  echo "| server CPU <= 20 µs per 3 KiB request | $WKAC µs | $(verdict "$WKAC" "<=" 20) |"
  echo "| new-connection req/s >= 70% of nginx | $R_NC% | $(verdict "$R_NC" ">=" 70) |"
  echo "| p99 < 1 ms at 5,000 req/s | $(awk -v u="$WP99" -v n="$NP99" 'BEGIN { printf "%.0f µs seen by the client, better of 2 runs (nginx: %.0f µs)", u, n }'); ${SRV_P99:-?} s inside the server | $(verdict "${WP99:-999999}" "<" 1000) |"
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
