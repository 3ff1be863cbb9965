#!/usr/bin/env bash
# Runs okg on a local control plane made by hack/kube-up.sh: the CRDs, okg-certs (a CA and a
# serving certificate for 127.0.0.1, caBundles patched), okg-webhook registered with real TLS,
# okg-controller, and the node simulator playing the seeds' images with local scripts.
#
#   hack/okg-up.sh STATE_DIR
#
# Every process writes STATE/NAME.pid and STATE/logs/NAME.log (hack/kube-down.sh stops them
# too). Writes STATE/okg.env with the ports. Progress goes to stderr.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
BUILD=${OKG_BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
STATE=${1:?usage: hack/okg-up.sh STATE_DIR}
# shellcheck disable=SC1091
. "$STATE/env"
log() { echo "okg-up: $*" >&2; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}
start() { # NAME CMD...
  local name=$1
  shift
  "$@" >"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}
wait_for() { # SECONDS WHAT CMD...
  local deadline=$(($(date +%s) + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$what did not come up; last log lines:"
      tail -n 20 "$STATE"/logs/okg-*.log >&2 || true
      exit 1
    fi
    sleep 0.3
  done
}

for b in okg-webhook okg-controller okg-certs okg-probe okg-nodesim; do
  [ -x "$BUILD/$b" ] || { log "missing $BUILD/$b: run make first"; exit 1; }
done
mkdir -p "$STATE/logs"
WH_PORT=$(free_port)
PROBE_PORT=$(free_port)
HTTP_PORT=$(free_port)
SCALER_PORT=$(free_port)

log "installing the CRDs"
kubectl apply -f "$ROOT/manifests/crd" >/dev/null
kubectl wait --for condition=established --timeout=60s \
  crd/gameserversets.game.kruise.io crd/gameservers.game.kruise.io >/dev/null
kubectl create namespace okg-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null

log "registering the webhooks at https://127.0.0.1:$WH_PORT"
kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: okg-validating-webhook}
webhooks:
- name: gameserversets.okg.game.kruise.io
  clientConfig: {url: "https://127.0.0.1:$WH_PORT/validate-v1alpha1-gss"}
  rules:
  - {apiGroups: [game.kruise.io], apiVersions: [v1alpha1], operations: [CREATE, UPDATE], resources: [gameserversets]}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1, v1beta1]
  timeoutSeconds: 5
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: okg-mutating-webhook}
webhooks:
- name: probe-injection.okg.game.kruise.io
  clientConfig: {url: "https://127.0.0.1:$WH_PORT/mutate-v1-pod"}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  objectSelector:
    matchExpressions: [{key: game.kruise.io/owner-gss, operator: Exists}]
  failurePolicy: Ignore
  reinvocationPolicy: IfNeeded
  sideEffects: None
  admissionReviewVersions: [v1, v1beta1]
  timeoutSeconds: 3
YAML

log "okg-certs: CA and serving certificate for 127.0.0.1, caBundles patched"
"$BUILD/okg-certs" --kubeconfig "$KUBECONFIG" --ip 127.0.0.1 --out-dir "$STATE/okg-certs" --once \
  >"$STATE/logs/okg-certs.log" 2>&1 || { tail -n 20 "$STATE/logs/okg-certs.log" >&2; exit 1; }

log "starting okg-webhook, okg-controller and the node simulator"
start okg-webhook "$BUILD/okg-webhook" --listen "127.0.0.1:$WH_PORT" --cert-dir "$STATE/okg-certs" \
  --probe-image okg:latest --probe-command "$BUILD/okg-probe" \
  --probe-report-url "http://127.0.0.1:$PROBE_PORT/v1/probe-results"
start okg-controller "$BUILD/okg-controller" --kubeconfig "$KUBECONFIG" \
  --http-listen "127.0.0.1:$HTTP_PORT" --probe-listen "127.0.0.1:$PROBE_PORT" \
  --scaler-listen "127.0.0.1:$SCALER_PORT" --leader-election-namespace okg-system
rm -rf "$STATE/images"
cp -r "$ROOT/test/e2e/testdata/images" "$STATE/images"
sed "s|@DIR@|$STATE/images|g" "$STATE/images/images.yaml.in" >"$STATE/images.yaml"
start okg-nodesim "$BUILD/okg-nodesim" --kubeconfig "$KUBECONFIG" --nodes 2 --node-name okg-sim \
  --image-map "$STATE/images.yaml" --log-dir "$STATE/containers" --restart-backoff-ms 500

wait_for 30 "okg-webhook" curl -sf --cacert "$STATE/okg-certs/ca.crt" "https://127.0.0.1:$WH_PORT/readyz"
wait_for 30 "okg-controller" curl -sf "http://127.0.0.1:$HTTP_PORT/readyz"
wait_for 30 "the simulated nodes" kubectl get node okg-sim-1
cat >"$STATE/okg.env" <<EOF2
OKG_WEBHOOK=127.0.0.1:$WH_PORT
OKG_CONTROLLER_HTTP=127.0.0.1:$HTTP_PORT
OKG_PROBE_RESULTS=127.0.0.1:$PROBE_PORT
OKG_SCALER=127.0.0.1:$SCALER_PORT
EOF2
log "okg is running (ports in $STATE/okg.env, logs in $STATE/logs)"
