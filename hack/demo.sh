#!/usr/bin/env bash
# make demo: okg on a local control plane, playing the seeds' stories.
#
#   hack/demo.sh [--keep] [--fast]
#     --keep   leave everything running afterwards and print how to use it
#     --fast   no pauses between steps
#
# Starts etcd + kube-apiserver + kube-controller-manager (hack/kube-up.sh), then okg: webhook
# (registered with real TLS from okg-certs), controller and the node simulator (hack/okg-up.sh).
# Then: scale-down order, reserved IDs, a bad manifest refused with its field path, service
# quality reacting to a killed process, and the lossless release with the okg CLI.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
BUILD=${OKG_BUILD:-$ROOT/build}
KEEP=0
PAUSE=2
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    --fast) PAUSE=0 ;;
    *) echo "usage: $0 [--keep] [--fast]" >&2; exit 2 ;;
  esac
done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
show() { sleep "$PAUSE"; run kubectl get gss,gs; }
until_true() { # SECONDS CMD...
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "demo: timed out waiting for: $*" >&2; return 1; }
    sleep 0.5
  done
}
ords() { kubectl get gs -l "game.kruise.io/owner-gss=$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}'; }
is() { [ "$(eval "$1")" = "$2" ]; }

say "local control plane (the first run builds Kubernetes 1.20.2 from Debian's source: minutes)"
STATE=$("$ROOT/hack/kube-up.sh" | tail -n 1)
if [ "$KEEP" -eq 0 ]; then trap '"$ROOT/hack/kube-down.sh" "$STATE" >/dev/null 2>&1 || true' EXIT; fi
# shellcheck disable=SC1091
. "$STATE/env"
say "okg: certificates, webhook, controller, node simulator"
OKG_BUILD=$BUILD "$ROOT/hack/okg-up.sh" "$STATE"
run kubectl get nodes -o wide

say "1. Scale-down order (seed: game server scaling)"
kubectl apply -f "$ROOT/manifests/examples/scaling-zh-1-gameserverset-minecraft.yaml"
until_true 60 is 'kubectl get gss minecraft -o jsonpath={.status.readyReplicas}' 5
run kubectl get pods -o wide
show
run kubectl patch gs minecraft-2 --type merge -p '{"spec":{"deletionPriority":10}}'
run kubectl scale gss minecraft --replicas=4
until_true 60 is 'ords minecraft' "minecraft-0 minecraft-1 minecraft-3 minecraft-4 "
show
run kubectl patch gs minecraft-3 --type merge -p '{"spec":{"opsState":"WaitToBeDeleted"}}'
run kubectl scale gss minecraft --replicas=3
until_true 60 is 'ords minecraft' "minecraft-0 minecraft-1 minecraft-4 "
show
run kubectl get events --field-selector involvedObject.name=minecraft,reason=ScaleDown -o custom-columns=MESSAGE:.message

say "2. Reserved IDs: reserve 3 and 4 at 5 replicas"
run kubectl scale gss minecraft --replicas=5
until_true 60 is 'ords minecraft' "minecraft-0 minecraft-1 minecraft-2 minecraft-3 minecraft-4 "
run kubectl patch gss minecraft --type merge -p '{"spec":{"reserveGameServerIds":[3,4]}}'
until_true 60 is 'ords minecraft' "minecraft-0 minecraft-1 minecraft-2 minecraft-5 minecraft-6 "
show

say "3. A bad manifest is refused, every error with its field path"
cat >"$STATE/bad-gss.yaml" <<'YAML'
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata: {name: broken, namespace: default}
spec:
  replicas: 2
  reserveGameServerIds: [1, "5-3"]
  scaleStrategy: {scaleDownStrategyType: Sometimes}
  gameServerTemplate:
    spec:
      containers: [{name: game, image: nginx}]
  serviceQualities:
    - name: healthy
      permanent: false
      exec: {command: ["./probe.sh"]}
      serviceQualityAction: [{state: true, opsState: None}]
    - name: healthy
      permanent: false
      tcpSocket: {port: 8080}
      serviceQualityAction: [{state: false, opsState: Maintaining}]
YAML
printf '\033[2m$ kubectl apply -f bad-gss.yaml\033[0m\n'
kubectl apply -f "$STATE/bad-gss.yaml" || true

say "4. Service quality: a probe in every pod (seed: custom service quality, gate/data)"
kubectl delete gss minecraft --wait=false >/dev/null
kubectl apply -f "$ROOT/manifests/examples/service-qualities-zh-1-gameserverset-minecraft.yaml"
until_true 120 is 'kubectl get gs minecraft-0 -o jsonpath={.status.serviceQualitiesConditions[0].status}' False
run kubectl get pod minecraft-0 -o jsonpath='{.spec.containers[*].name}{"\n"}'
show
SANDBOX=$(curl -sk "https://127.0.0.1:$(kubectl get node okg-sim-0 -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}')/pods" |
  /usr/bin/python3 -c 'import json,sys; print([p["sandboxPid"] for p in json.load(sys.stdin)["items"] if p["name"]=="minecraft-0"][0])')
INIT=$(pgrep -P "$SANDBOX" | head -n 1)
say "   inside minecraft-0 (its own PID namespace): ps -ef, then kill gate"
run nsenter -t "$INIT" -p -m -- ps -ef
nsenter -t "$INIT" -p -m -- pkill -9 -f gate.sh
until_true 60 is 'kubectl get gs minecraft-0 -o jsonpath={.spec.opsState}' GateMaintaining
show
run kubectl get events --field-selector involvedObject.kind=GameServer,involvedObject.name=minecraft-0 -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message

say "5. Lossless release (seed: ops workflow) with the okg CLI"
kubectl delete gss minecraft --wait=false >/dev/null
until_true 60 is 'kubectl get gs -o name | wc -l' 0
kubectl apply -f "$ROOT/manifests/examples/ops-workflow-zh-1-gameserverset-minecraft.yaml"
until_true 60 is 'kubectl get gss minecraft -o jsonpath={.status.readyReplicas}' 3
run kubectl patch gs minecraft-0 --type merge -p '{"spec":{"opsState":"Allocated"}}'
NEW=registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2-new
run kubectl patch gss minecraft --type json -p "[{\"op\":\"replace\",\"path\":\"/spec/gameServerTemplate/spec/containers/0/image\",\"value\":\"$NEW\"}]"
run kubectl scale gss minecraft --replicas=6
until_true 90 is 'kubectl get gss minecraft -o jsonpath={.status.readyReplicas}' 6
run "$BUILD/okg" update --gss-name minecraft --namespace default --select-opsState=None \
  --select-not-container-image="minecraft/$NEW" --exp-opsState=WaitToBeDeleted
run "$BUILD/okg" get gs --gss minecraft

if [ "$KEEP" -eq 1 ]; then
  say "everything keeps running"
  echo "export KUBECONFIG=$KUBECONFIG"
  echo "export PATH=$OKG_KUBE_BIN:$BUILD:\$PATH   # kubectl 1.20.2 and the okg CLI (kubectl okg ...)"
  echo "logs: $STATE/logs    stop: hack/kube-down.sh $STATE"
else
  say "done (make demo DEMO_ARGS=--keep leaves it running)"
fi
