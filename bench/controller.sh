#!/usr/bin/env bash
# bench/controller.sh: okg-controller scaling a GameServerSet from 0 to N (default 1000) on the
# local control plane with the node simulator, next to a plain client loop creating the same
# objects (pod + GameServer) in the same run, one at a time like the controller for one set.
# Reports objects written per second for both and their ratio, the time until all N servers
# are Ready, and the controller's memory per game server. Writes the "Controller" section of
# bench/RESULTS.md.
#   bench/controller.sh [N] [--no-write]
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2
N=${1:-1000}
WRITE=1
[ "${2:-}" = "--no-write" ] && WRITE=0

make -s build/okg-controller build/okg-nodesim build/libokg.a build/controller/objects.o
PKGS=(libmicrohttpd gnutls libcurl libcjson openssl yaml-0.1 libnghttp2)
read -ra PKG_CFLAGS <<<"$(pkg-config --cflags "${PKGS[@]}")"
read -ra PKG_LIBS <<<"$(pkg-config --libs "${PKGS[@]}")"
mkdir -p build/bench
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -I. "${PKG_CFLAGS[@]}" -o build/bench/createloop \
  bench/controller/createloop.c build/controller/objects.o build/libokg.a "${PKG_LIBS[@]}" -lpthread

STATE=$(hack/kube-up.sh 2>/dev/null | tail -n 1)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  hack/kube-down.sh "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# shellcheck disable=SC1091
. "$STATE/env"
kubectl apply -f manifests/crd >/dev/null
kubectl wait --for condition=established crd/gameserversets.game.kruise.io >/dev/null
kubectl create namespace ref >/dev/null
LOGS=$(mktemp -d)
gss_yaml() { # NAME NAMESPACE REPLICAS
  cat <<YAML
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata: {name: $1, namespace: $2}
spec:
  replicas: $3
  gameServerTemplate:
    spec:
      containers:
        - {name: minecraft, image: registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2}
YAML
}

# 1. The reference, before the controller runs: a plain client loop writing the very objects
#    the controller would (built by its own code from a set "ref"), same API client, one at a
#    time like the controller for one set.
gss_yaml ref ref 0 | kubectl apply -f - >/dev/null
REF=$(build/bench/createloop "$KUBECONFIG" ref ref "$N")
REF_RATE=$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' <<<"$REF")
kubectl delete namespace ref --wait=true --timeout=300s >/dev/null

HTTP=127.0.0.1:$((20000 + RANDOM % 30000))
build/okg-controller --kubeconfig "$KUBECONFIG" --http-listen "$HTTP" --probe-listen "" --scaler-listen "" \
  --leader-elect=false --log-level warn 2>"$LOGS/ctl.log" &
CTL=$!
PIDS+=("$CTL")
sleep 3
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
RSS0=$(rss_kib "$CTL")

# 2. The controller: one GameServerSet from 0 to N.
T0=$(date +%s.%N)
gss_yaml bench default "$N" | kubectl apply -f - >/dev/null
# Progress from the controller's own counters: polling the API server with LISTs would load
# it during the measurement (the reference loop had no such load).
metric() { curl -s "http://$HTTP/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
until [ "$(metric okg_pods_created_total)" -ge "$N" ] && [ "$(metric okg_gameservers_created_total)" -ge "$N" ]; do
  sleep 0.2
done
T1=$(date +%s.%N)

# 3. The simulator runs them: time until all are Ready.
build/okg-nodesim --kubeconfig "$KUBECONFIG" --nodes 4 --log-dir "$LOGS/ctr" --log-level warn \
  --isolate-pods=false 2>"$LOGS/sim.log" &
PIDS+=($!)
until [ "$(kubectl get gss bench -o jsonpath='{.status.readyReplicas}')" = "$N" ]; do sleep 0.5; done
T2=$(date +%s.%N)
sleep 12 # past the controller's periodic malloc_trim
RSS1=$(rss_kib "$CTL")
CACHE=$(curl -s "http://$HTTP/metrics" | awk '$1 ~ /^okg_cache_bytes\{informer="(gameservers|pods)"\}$/ { s += $2 } END { print s }')
cache_of() { curl -s "http://$HTTP/metrics" | awk -v i="okg_cache_bytes{informer=\"$1\"}" '$1 == i { print $2 }'; }
CACHE_POD=$(($(cache_of pods) / N))
CACHE_GS=$(($(cache_of gameservers) / N))
CACHE_PER=$((CACHE / N))

CTL_RATE=$(python3 -c "print(f'{2*$N/($T1-$T0):.1f}')")
RATIO=$(python3 -c "print(f'{$CTL_RATE/$REF_RATE:.2f}')")
WRITE_S=$(python3 -c "print(f'{$T1-$T0:.1f}')")
READY_S=$(python3 -c "print(f'{$T2-$T1:.1f}')")
PER=$(python3 -c "print(f'{($RSS1-$RSS0)*1024/$N:.0f}')")
cat <<EOF2
controller: $((2 * N)) objects in ${WRITE_S}s = ${CTL_RATE}/s
reference:  $REF
ratio controller/reference: $RATIO (target >= 0.90)
all $N Ready ${READY_S}s after the simulator started
controller RSS ${RSS0} KiB -> ${RSS1} KiB: $PER bytes per game server
cache (pods + GameServers, counted by the informers): $CACHE_PER bytes per game server (pod $CACHE_POD, GameServer $CACHE_GS; target < 2048)
EOF2
[ "$WRITE" -eq 1 ] || exit 0
section=$(cat <<EOF2
## Controller: scale 0 -> $N on the local control plane

Command: \`bench/controller.sh $N\` ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD); 2 shared cores; kube-apiserver 1.20.2 + etcd on loopback). Both write phases run against the same idle API server (the node simulator starts afterwards).
History: until commit dbc6d6c the caches held whole objects as cJSON trees: 34927 B per game server in the cache, RSS growth 35500 B per game server (same command). Now they hold trimmed, packed objects (controller/README.md, "Caches and memory").

| figure | value |
|---|---|
| objects written by the controller (pods + GameServers) | $((2 * N)) in ${WRITE_S} s = **${CTL_RATE}/s** |
| plain client loop writing the same objects (built by the controller's code), same client, one at a time, controller not running | ${REF_RATE}/s |
| ratio (target >= 0.90) | **${RATIO}** |
| time from starting the node simulator until all $N are Ready | ${READY_S} s |
| controller RSS at rest -> with $N servers cached | ${RSS0} KiB -> ${RSS1} KiB |
| controller RSS growth per game server | ${PER} B |
| memory per game server in the cache: pod + GameServer, counted by the informers (target < 2 KiB) | **${CACHE_PER} B** (pod ${CACHE_POD} B, GameServer ${CACHE_GS} B) |
EOF2
)
python3 - "$section" <<'PY'
import re, sys
path = "bench/RESULTS.md"
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# okg benchmark results\n"
section = sys.argv[1].rstrip() + "\n"
pat = re.compile(r"^## Controller: scale.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(section + "\n", text) if pat.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
echo "bench/RESULTS.md updated"
