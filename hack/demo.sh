#!/usr/bin/env bash
# make demo: okg on a local control plane. Starts etcd + kube-apiserver +
# kube-controller-manager (hack/kube-up.sh) and the node simulator, then shows a game-server
# pod running. Later stages (webhook, controller, the seeds' examples) join as they land.
#
#   hack/demo.sh [--keep]     --keep: leave everything running and print how to use it
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
BUILD=${OKG_BUILD:-$ROOT/build}
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "starting a local control plane (first run builds Kubernetes 1.20.2 from Debian's source: minutes)"
STATE=$("$ROOT/hack/kube-up.sh" | tail -n 1)
# shellcheck disable=SC1091
. "$STATE/env"
SIM_LOG="$STATE/logs/okg-nodesim.log"
cleanup() {
  [ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  "$ROOT/hack/kube-down.sh" "$STATE" >/dev/null 2>&1 || true
}
if [ "$KEEP" -eq 0 ]; then trap cleanup EXIT; fi

say "starting the node simulator (a kubelet stand-in: pods run as local processes)"
"$BUILD/okg-nodesim" --kubeconfig "$KUBECONFIG" --nodes 2 --node-name okg-sim \
  --log-dir "$STATE/containers" >"$SIM_LOG" 2>&1 &
SIM_PID=$!
for _ in $(seq 100); do
  kubectl get node okg-sim-0 >/dev/null 2>&1 && break
  sleep 0.2
done
run kubectl get nodes -o wide

say "a plain pod: its command runs as a local process with its own loopback IP"
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: hello-game
  labels: {app: hello-game}
spec:
  containers:
  - name: game
    image: busybox:1.36
    command: ["sh", "-c", "echo game server $HOSTNAME listening on $POD_IP; exec sleep 3600"]
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
YAML
kubectl wait --for=condition=Ready pod/hello-game --timeout=60s >/dev/null
run kubectl get pods -o wide
run kubectl logs hello-game

if [ "$KEEP" -eq 1 ]; then
  say "everything keeps running"
  echo "export KUBECONFIG=$KUBECONFIG"
  echo "export PATH=$OKG_KUBE_BIN:\$PATH      # kubectl 1.20.2, matching the API server"
  echo "simulator log: $SIM_LOG (pid $SIM_PID)"
  echo "stop: kill $SIM_PID; hack/kube-down.sh $STATE"
else
  say "done (run 'make demo DEMO_ARGS=--keep' to keep the cluster running)"
fi
