#!/usr/bin/env bash
# bench/probe.sh: okg-probe's footprint in one game-server pod, played on this machine.
#   1. resident memory after 30 s of 3 qualities (exec every 1 s, tcpSocket and httpGet every
#      1 s against a local server; reports to a local receiver), from /proc/PID/status;
#   2. CPU per exec probe over a minute (one exec quality, every 1 s): the helper's own CPU from
#      the threads' schedstat (ns) and utime+stime (ticks), and its reaped children's
#      cutime+cstime (ticks), divided by the number of probes run.
# Writes the "Probe helper" section of bench/RESULTS.md (only that section).
#   bench/probe.sh             build (-O2, as make does), run, update bench/RESULTS.md
#   bench/probe.sh --no-write  build and run only
#   RSS_SECONDS=30 CPU_SECONDS=60 bench/probe.sh   the durations
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2

WRITE=1
if [ "${1:-}" = "--no-write" ]; then WRITE=0; fi
RSS_SECONDS=${RSS_SECONDS:-30}
[ "$RSS_SECONDS" -gt 5 ] || RSS_SECONDS=6
CPU_SECONDS=${CPU_SECONDS:-60}

make -s build/okg-probe
BIN=build/okg-probe
work=$(mktemp -d /tmp/okg-bench-probe.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The pod's "game": a web server (GET /health -> 200 "ok") that also plays okg-controller
# (POST /report -> 204, counted), and a container process the exec probe runs in.
cat >"$work/server.py" <<'PY'
import http.server, sys, threading
count = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"ok")
    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length", "0")); self.rfile.read(n)
        with lock:
            count += 1
            open(sys.argv[2], "w").write(str(count))
        self.send_response(204); self.end_headers()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$work/server.py" "$work/port" "$work/reports" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

mkdir -p "$work/game"
printf 'echo players=0\n' >"$work/game/probe.sh"
(cd "$work/game" && exec env -i PATH=/usr/bin:/bin OKG_CONTAINER_NAME=game \
  OKG_POD_UID=bench-pod sleep 100000) &
pids+=($!)

exec_q='{"name":"idle","containerName":"game","exec":{"command":["sh","./probe.sh"]},"initialDelaySeconds":1,"periodSeconds":1,"timeoutSeconds":5}'
tcp_q="{\"name\":\"port\",\"tcpSocket\":{\"port\":$port},\"initialDelaySeconds\":1,\"periodSeconds\":1}"
http_q="{\"name\":\"health\",\"httpGet\":{\"path\":\"/health\",\"port\":$port},\"initialDelaySeconds\":1,\"periodSeconds\":1}"

run_helper() { # $1: OKG_PROBES, $2: log file
  env -i POD_NAME=gs-0 POD_NAMESPACE=bench POD_UID=bench-pod POD_IP=127.0.0.1 \
    OKG_PROBES="$1" OKG_REPORT_URL="http://127.0.0.1:$port/report" OKG_PROBE_TOKEN=bench \
    OKG_LOG_LEVEL=debug "$BIN" 2>"$2" &
  helper=$!
  pids+=("$helper")
}

field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }
ns_cpu() { # the helper's threads' CPU time in ns (schedstat)
  local t s=0
  for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(cut -d' ' -f1 "$t"))); done
  echo "$s"
}
ticks() { # utime stime cutime cstime
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13, $14, $15 }'
}
hz=$(getconf CLK_TCK)

# --- 1. resident memory with three qualities ---------------------------------------------------
run_helper "[$exec_q,$tcp_q,$http_q]" "$work/rss.log"
sleep 5
rss5=$(field VmRSS "$helper")
sleep $((RSS_SECONDS - 5))
rss=$(field VmRSS "$helper"); hwm=$(field VmHWM "$helper")
anon=$(field RssAnon "$helper"); file=$(field RssFile "$helper")
threads=$(field Threads "$helper")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$helper/smaps_rollup" 2>/dev/null || echo "?")
map_kib() { # resident KiB of the mappings of file $2 in process $1
  awk -v f="$2" '/^[0-9a-f]+-/ { m = ($6 ~ f) } /^Rss:/ { if (m) s += $2 } END { print s + 0 }' \
    "/proc/$1/smaps"
}
libc_kib=$(map_kib "$helper" 'libc[.]so'); ld_kib=$(map_kib "$helper" 'ld-linux')
self_kib=$(map_kib "$helper" 'okg-probe$')
probes_rss=$(grep -c 'event=probed' "$work/rss.log" || true)
reports_rss=$(cat "$work/reports" 2>/dev/null || echo 0)
errors_rss=$(grep -c 'level=error' "$work/rss.log" || true)
kill "$helper"; wait "$helper" 2>/dev/null || true
libs=$(ldd "$BIN" | awk '{ print $1 }' | grep -v -e vdso -e ld-linux | tr '\n' ' ')

# The floor on this machine: a minimal C program with 4 threads that forks and execs once.
cat >"$work/floor.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static void *idle(void *a) { (void)a; pause(); return NULL; }
int main(void)
{
	pthread_t t;
	pid_t p;

	for (int i = 0; i < 4; i++)
		pthread_create(&t, NULL, idle, NULL);
	p = fork();
	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(1);
	}
	waitpid(p, NULL, 0);
	printf("ready\n");
	fflush(stdout);
	pause();
	return 0;
}
C
"${CC:-cc}" -O2 -o "$work/floor" "$work/floor.c" -lpthread
"$work/floor" >"$work/floor.out" &
floor=$!
pids+=("$floor")
for _ in $(seq 100); do [ -s "$work/floor.out" ] && break; sleep 0.05; done
floor_rss=$(field VmRSS "$floor"); floor_anon=$(field RssAnon "$floor")
kill "$floor"; wait "$floor" 2>/dev/null || true

# --- 2. CPU per exec probe -------------------------------------------------------------------
run_helper "[$exec_q]" "$work/cpu.log"
sleep 1.5 # past the initial delay and the first probe
n0=$(grep -c 'event=probed' "$work/cpu.log" || true)
c0=$(ns_cpu "$helper"); read -r u0 s0 cu0 cs0 <<<"$(ticks "$helper")"
sleep "$CPU_SECONDS"
n1=$(grep -c 'event=probed' "$work/cpu.log" || true)
c1=$(ns_cpu "$helper"); read -r u1 s1 cu1 cs1 <<<"$(ticks "$helper")"
kill "$helper"; wait "$helper" 2>/dev/null || true
n=$((n1 - n0))
[ "$n" -gt 0 ] || { echo "bench/probe.sh: no exec probe ran" >&2; exit 1; }
helper_ns_us=$(( (c1 - c0) / 1000 / n ))
# the children's CPU per probe, in µs, from wait4()'s rusage (logged per probe): probes n0+1..n1
child_ru_us=$(grep 'event=probed' "$work/cpu.log" | sed -n "$((n0 + 1)),${n1}p" |
  sed -n 's/.* cpu_us=\([0-9]*\) .*/\1/p' | awk -v n="$n" '{ s += $1 } END { printf "%d", s / n }')
helper_tick_us=$(( (u1 - u0 + s1 - s0) * 1000000 / hz / n ))
child_tick_us=$(( (cu1 - cu0 + cs1 - cs0) * 1000000 / hz / n ))

out=$(cat <<EOF2
Resident memory of okg-probe after ${RSS_SECONDS} s running 3 qualities (exec \`sh ./probe.sh\`
in a target process found by its environment, tcpSocket and httpGet against a local
server, each every 1 s; reports to a local receiver; ${probes_rss} probes, ${reports_rss} reports,
${errors_rss} errors):

| VmRSS | RssAnon | RssFile | VmHWM | Pss | threads |
|---:|---:|---:|---:|---:|---:|
| ${rss} KiB | ${anon} KiB | ${file} KiB | ${hwm} KiB | ${pss} KiB | ${threads} |

VmRSS after 5 s: ${rss5} KiB (growth to ${RSS_SECONDS} s: $((rss - rss5)) KiB).
Target under 2 MiB (2048 KiB) RSS: **$([ "$rss" -lt 2048 ] && echo met || echo "NOT met")**.
Where it goes: libc ${libc_kib} KiB, the dynamic loader ${ld_kib} KiB, okg-probe's own
code ${self_kib} KiB (all clean, shared, file-backed pages; the kernel maps 64 KiB around each
page touched), private memory (RssAnon) ${anon} KiB. For scale: a minimal C program with 4
threads that forks and execs once has VmRSS ${floor_rss} KiB (RssAnon ${floor_anon} KiB) here.
Shared libraries loaded: ${libs}(no libcurl, no OpenSSL: plain HTTP does not load libssl;
an https report URL or HTTPS probe loads it on first use: +5 MiB, 7.3 MiB VmRSS measured).

CPU per exec probe (one exec quality every 1 s for ${CPU_SECONDS} s, ${n} probes):

| | helper only | the probe's own processes | helper + probe |
|---|---:|---:|---:|
| precise (threads' schedstat ns; wait4 rusage µs) | ${helper_ns_us} µs | ${child_ru_us} µs | $((helper_ns_us + child_ru_us)) µs |
| /proc ticks (utime+stime; cutime+cstime) | ${helper_tick_us} µs | ${child_tick_us} µs | $((helper_tick_us + child_tick_us)) µs |

The probe's processes are \`sh ./probe.sh\` (a fork of the helper, exec of /bin/sh, the
script). The helper's part is the fork (page tables, copy-on-write faults), reading the
target's /proc files, pipes, poll and wait. /proc ticks are $((1000000 / hz)) µs each, so
that row is coarse.
EOF2
)
printf '%s\n' "$out"
[ "$WRITE" -eq 1 ] || exit 0

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
if ! git diff --quiet HEAD -- probe 2>/dev/null || [ -n "$(git ls-files --others --exclude-standard probe)" ]; then
  dirty=" with uncommitted changes to probe/"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
section=$(mktemp)
{
  echo "## Probe helper"
  echo
  echo "Command: \`bench/probe.sh\` (builds \`build/okg-probe\` with \`make\`, i.e. \`-O2\`; runs it"
  echo "against a local Python web server and a \`sleep\` process that plays the game container;"
  echo "\`RSS_SECONDS=${RSS_SECONDS} CPU_SECONDS=${CPU_SECONDS}\`; rewrites this section)."
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on ${cpu:-unknown CPU} ($(nproc) CPUs, shared with other"
  echo "jobs), commit ${commit}${dirty}."
  echo
  printf '%s\n' "$out"
  echo
} >"$section"

# Re-read RESULTS.md right before writing: replace our section (up to the next "## " heading),
# or append it; every other section is copied unchanged.
f=bench/RESULTS.md
[ -f "$f" ] || printf '# Benchmarks\n' >"$f"
awk -v sec="$section" '
  function put(   line) { while ((getline line < sec) > 0) print line; close(sec); done = 1 }
  /^## / { if (skip) skip = 0; if ($0 == "## Probe helper") { put(); skip = 1; next } }
  !skip { print }
  END { if (!done) { print ""; put() } }
' "$f" >"$section.new"
mv "$section.new" "$f"
rm -f "$section"
echo "bench/probe.sh: wrote the Probe helper section of $f"
