#!/usr/bin/env bash
# bench/scaler.sh: GetMetrics latency of okg's KEDA external scaler (controller/scaler.c) with
# 10,000 game servers in the cache. Builds bench/scaler/bench_scaler.c with -O2 against
# build/libokg.a and the controller's objects, runs it, and writes its figures into the "KEDA
# scaler" section of bench/RESULTS.md (only that section; the others are left as they are).
#   bench/scaler.sh             in process: the scaler with a cache-like counts provider
#                               (10,000 pods built and trimmed as the controller caches them) and
#                               an nghttp2 client in C; rewrites the section
#   bench/scaler.sh --real      also okg-controller on the local control plane with a
#                               10,000-replica GameServerSet (the controller creates 10,000 pods
#                               and GameServers first: several minutes)
#   bench/scaler.sh --no-write  run only
#   CALLS=N bench/scaler.sh     GetMetrics calls per scenario (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2

WRITE=1
REAL=0
for a in "$@"; do
  case "$a" in
    --no-write) WRITE=0 ;;
    --real) REAL=1 ;;
    *) echo "usage: $0 [--real] [--no-write]" >&2; exit 2 ;;
  esac
done
CALLS=${CALLS:-10000}
SERVERS=10000

make -s build/libokg.a build/okg-controller
mkdir -p build/bench
PKGS=(libmicrohttpd gnutls libcurl libcjson openssl yaml-0.1 libnghttp2) # as the Makefile links
read -ra PKG_CFLAGS <<<"$(pkg-config --cflags "${PKGS[@]}")"
read -ra PKG_LIBS <<<"$(pkg-config --libs "${PKGS[@]}")"
mapfile -t OBJS < <(find build/controller -maxdepth 1 -name '*.o' ! -name main.o | sort)
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I. "${PKG_CFLAGS[@]}" \
  -o build/bench/bench_scaler bench/scaler/bench_scaler.c "${OBJS[@]}" build/libokg.a \
  "${PKG_LIBS[@]}" -lpthread -lm

load_start=$(cut -d' ' -f1 /proc/loadavg)
started=$(date +%s)
out=$(build/bench/bench_scaler "$CALLS")
took=$(($(date +%s) - started))
load_end=$(cut -d' ' -f1 /proc/loadavg)
printf '%s\n' "$out"

# --- optional: the real controller ---------------------------------------------------------------
real_section=""
if [ "$REAL" -eq 1 ]; then
  tmp=$(mktemp -d)
  state=""
  ctl_pid=""
  real_cleanup() {
    if [ -n "$ctl_pid" ]; then kill "$ctl_pid" 2>/dev/null || true; wait "$ctl_pid" 2>/dev/null || true; fi
    if [ -n "$state" ]; then hack/kube-down.sh "$state" >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
  }
  trap real_cleanup EXIT
  state=$(hack/kube-up.sh 2>"$tmp/kube-up.log" | tail -n 1)
  # shellcheck disable=SC1091
  . "$state/env"
  kubectl="$OKG_KUBE_BIN/kubectl"
  "$kubectl" apply -f manifests/crd >/dev/null
  "$kubectl" wait --for condition=established crd/gameserversets.game.kruise.io >/dev/null
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  build/okg-controller --kubeconfig "$KUBECONFIG" --scaler-listen "127.0.0.1:$port" \
    --http-listen "" --probe-listen "" --leader-elect=false --log-level warn >"$tmp/ctl.log" 2>&1 &
  ctl_pid=$!
  "$kubectl" apply -f - >/dev/null <<YAML
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: bench
  namespace: default
spec:
  replicas: $SERVERS
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2
          name: minecraft
YAML
  # no node simulator: the pods stay Pending, which the scaler's counts do not look at
  created=$(date +%s)
  n=0
  while [ "$n" -lt "$SERVERS" ]; do
    sleep 10
    n=$("$kubectl" get pods -l game.kruise.io/owner-gss=bench --no-headers 2>/dev/null | wc -l)
    echo "bench/scaler.sh: $n of $SERVERS pods"
    if [ $(($(date +%s) - created)) -gt 3600 ]; then echo "bench/scaler.sh: pods not created in an hour" >&2; exit 1; fi
  done
  create_s=$(($(date +%s) - created))
  # then their GameServers, so the controller is done writing when the client runs
  n=0
  while [ "$n" -lt "$SERVERS" ]; do
    sleep 10
    n=$("$kubectl" get gs -l game.kruise.io/owner-gss=bench --no-headers 2>/dev/null | wc -l)
    echo "bench/scaler.sh: $n of $SERVERS GameServers"
    if [ $(($(date +%s) - created)) -gt 3600 ]; then echo "bench/scaler.sh: GameServers not created in an hour" >&2; exit 1; fi
  done
  gs_s=$(($(date +%s) - created))
  sleep 10 # the controller's watches catch up
  real_row=$(build/bench/bench_scaler --client "$port" default bench "$CALLS")
  printf '%s\n' "$real_row"
  real_cleanup
  trap - EXIT
  real_section=$(
    echo "<!-- scaler-real -->"
    echo "Against okg-controller (\`bench/scaler.sh --real\`, run $(date -u +%Y-%m-%dT%H:%MZ)): the local"
    echo "control plane (kube-apiserver 1.20.2 + etcd), a GameServerSet of $SERVERS replicas whose"
    echo "pods and GameServers the controller created (${create_s} s and ${gs_s} s; no node simulator:"
    echo "the pods stay Pending), then the same client on the controller's --scaler-listen port; each"
    echo "answer decodes the set from the real informer cache and reads the per-set counts that the"
    echo "pod handlers keep (ctl_set_counts). Load average"
    echo "$(cut -d' ' -f1 /proc/loadavg) when it ended."
    echo
    echo "| scenario | p50 µs | p90 µs | p99 µs | max µs | mean µs | notes |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "$real_row"
    echo "<!-- /scaler-real -->"
  )
fi
[ "$WRITE" -eq 1 ] || exit 0

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
if ! git diff --quiet HEAD -- controller/scaler.c controller/scalerpb.c controller/scalermetric.c 2>/dev/null ||
  [ -n "$(git ls-files --others --exclude-standard controller/scaler.c)" ]; then
  dirty=" with uncommitted changes to controller/scaler*.c"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
f=bench/RESULTS.md
section=$(mktemp)
trap 'rm -f "$section" "$section.new"' EXIT
# Re-read RESULTS.md right before writing. Without --real, keep the last real-controller figures.
[ -f "$f" ] || printf '# Benchmarks\n' >"$f"
if [ -z "$real_section" ]; then
  real_section=$(awk '/^<!-- scaler-real -->$/ { on = 1 } on { print } /^<!-- \/scaler-real -->$/ { on = 0 }' "$f")
fi
{
  echo "## KEDA scaler"
  echo
  echo "Command: \`bench/scaler.sh\` (builds \`bench/scaler/bench_scaler.c\` with \`cc -O2\` against"
  echo "\`build/libokg.a\` and the controller's objects, runs it, rewrites this section)."
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on ${cpu:-unknown CPU} ($(nproc) CPUs, shared with other jobs:"
  echo "load average ${load_start} at the start, ${load_end} at the end; ${took} s), commit ${commit}${dirty}."
  echo
  echo "Scenario: the scaler (controller/scaler.c, its own thread, as in okg-controller) on"
  echo "127.0.0.1 with a counts provider doing what \`ctl_set_counts\` does on the informer caches:"
  echo "decode the packed set under the cache lock, then copy the set's pod counts, which the"
  echo "controller's pod handlers keep as pods change, from $SERVERS pods built by \`obj_build_pod\`"
  echo "and trimmed by \`obj_trim_pod\` (70% None, 10% each Allocated / WaitToBeDeleted /"
  echo "Maintaining). The \"walk every pod\" rows time what an answer cost before the counts were"
  echo "kept (until commit dbc6d6c): a walk over every cached pod. Client: C,"
  echo "nghttp2, one HTTP/2 connection, TCP_NODELAY, one call at a time after 200 warm-up calls; a"
  echo "call is timed from the request to the trailers. No Python in the loop."
  echo
  printf '%s\n' "$out"
  echo
  echo "Reading: a call costs reading the counts plus about the \"0 servers\" row (gRPC, HTTP/2,"
  echo "loopback); it no longer grows with the pods in the cache. Answers run on the scaler's one"
  echo "thread, so concurrent callers queue (the 4-client row). KEDA calls GetMetrics once per"
  echo "HPA sync (15 s) and IsActive once per pollingInterval per ScaledObject."
  echo
  if [ -n "$real_section" ]; then
    printf '%s\n' "$real_section"
  else
    echo "Against the real controller: not run yet (\`bench/scaler.sh --real\`)."
  fi
  echo
} >"$section"

awk -v sec="$section" '
  function put(   line) { while ((getline line < sec) > 0) print line; close(sec); done = 1 }
  /^## / { if (skip) skip = 0; if ($0 == "## KEDA scaler") { put(); skip = 1; next } }
  !skip { print }
  END { if (!done) { print ""; put() } }
' "$f" >"$section.new"
mv "$section.new" "$f"
echo "bench/scaler.sh: wrote the KEDA scaler section of $f"
