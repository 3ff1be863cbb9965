#!/usr/bin/env bash
# okg-controller's KEDA external scaler on a real kube-apiserver with the node simulator, driven
# by a real gRPC client (Debian's python3-grpcio, stubs generated at test time from
# testdata/scaler/externalscaler.proto): the seed's autoscaling flow (mark minecraft-0
# WaitToBeDeleted, the metric drops by one, scaling to it deletes exactly minecraft-0),
# minAvailable / maxAvailable, StreamIsActive as a live stream, errors, and a clean stop.
# Checks are strings run by eval, so shellcheck cannot see the variables they use.
# shellcheck disable=SC2034,SC2016,SC2120
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # the system interpreter: Debian's grpcio and protobuf are installed there
DATA="$E2E_ROOT/test/e2e/testdata/scaler"
if ! "$PY" -c 'import grpc, grpc_tools, google.protobuf' 2>/dev/null; then
  echo "not ok 1 - /usr/bin/python3 has grpc, grpc_tools and protobuf (hack/install-deps.sh)"
  echo "0 passed, 1 failed"
  exit 1
fi

e2e_cluster_up
k apply -f "$E2E_ROOT/manifests/crd" >/dev/null
k wait --for condition=established crd/gameserversets.game.kruise.io crd/gameservers.game.kruise.io >/dev/null
e2e_bg sim "$BUILD/okg-nodesim" --kubeconfig "$KUBECONFIG" --nodes 2 --log-dir "$E2E_TMP/sim-logs"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
e2e_bg ctl "$BUILD/okg-controller" --kubeconfig "$KUBECONFIG" --scaler-listen "127.0.0.1:$PORT" \
  --http-listen 127.0.0.1:0 --probe-listen "" --leader-elect=false
CTL=$E2E_LAST_PID

sc() { "$PY" "$DATA/scaler_client.py" --addr "127.0.0.1:$PORT" --stubs "$E2E_TMP/stubs" "$@"; }
metric() { sc get-metrics default minecraft "$@"; }

gs_ords() { # the ordinals of a set's live GameServers, ascending
  k get gs -l "game.kruise.io/owner-gss=$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.currentState}{"\n"}{end}' |
    awk -v p="$1-" '$2 != "Deleting" { sub(p, "", $1); print $1 }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
pod_ords() {
  k get pods -l "game.kruise.io/owner-gss=$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.deletionTimestamp}{"\n"}{end}' |
    awk -v p="$1-" 'NF == 1 { sub(p, "", $1); print $1 }' | sort -n | tr '\n' ' ' | sed 's/ $//'
}
all_ready() { # NAME N
  [ "$(k get gs -l "game.kruise.io/owner-gss=$1" -o jsonpath='{range .items[*]}{.status.currentState}{"\n"}{end}' | grep -c '^Ready$')" = "$2" ]
}
converged() { # NAME "ORDS"
  [ "$(pod_ords "$1")" = "$2" ] && [ "$(gs_ords "$1")" = "$2" ] && all_ready "$1" "$(wc -w <<<"$2")"
}
ops() { # GS OPSSTATE: sets it and waits until the pod label (what the caches count) follows
  k patch gs "$1" --type merge -p "{\"spec\":{\"opsState\":\"$2\"}}" >/dev/null &&
    wait_for 20 eval "[ \"\$(jp pod/$1 '{.metadata.labels.game\\.kruise\\.io/gs-opsState}')\" = $2 ]"
}

# --- the seed: a GameServerSet and its ScaledObject's trigger -------------------------------------
k apply -f - >/dev/null <<'YAML'
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: minecraft
  namespace: default
spec:
  replicas: 3
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2
          name: minecraft
YAML
e2e_check "minecraft: 3 servers Ready" wait_for 60 converged minecraft "0 1 2"
wait_for 20 eval '[ -n "$(jp gss/minecraft "{.status.waitToBeDeletedReplicas}")" ]' >/dev/null
e2e_check "the scaler listens on --scaler-listen" eval \
  'grep -q "event=scaler_listening listen=127.0.0.1:$PORT" "$E2E_TMP/ctl.log"'
e2e_check "IsActive: true" wait_for 20 eval 'eq "$(sc is-active default minecraft)" true'
e2e_check "GetMetricSpec: gssReplicas, target 1 (int and float)" eval \
  'eq "$(sc metric-spec default minecraft)" "gssReplicas 1 1.0"'
e2e_check "GetMetrics: the replicas, 3 (int and float)" eval 'eq "$(metric)" "3 3.0"'

ops minecraft-0 WaitToBeDeleted
e2e_check "minecraft-0 WaitToBeDeleted: GetMetrics drops by one, to 2" \
  wait_for 20 eval 'eq "$(metric)" "2 2.0"'
e2e_check "IsActive stays true" eval 'eq "$(sc is-active default minecraft)" true'
want=$(metric | cut -d' ' -f1)
k scale gss minecraft --replicas="$want" >/dev/null
e2e_check "scaling to the metric ($want) deletes exactly minecraft-0" \
  wait_for 40 converged minecraft "1 2"
e2e_check "minecraft-0 was the only server deleted (1 and 2 kept their pods)" eval \
  '[ "$(k get pods -l game.kruise.io/owner-gss=minecraft -o name | sort | tr "\n" " ")" = "pod/minecraft-1 pod/minecraft-2 " ]'
e2e_check "after the scale-in, GetMetrics is steady at 2" wait_for 20 eval 'eq "$(metric)" "2 2.0"'

# --- minAvailable / maxAvailable -------------------------------------------------------------------
ops minecraft-1 Allocated # one idle server left: minecraft-2
e2e_check "minAvailable 2 with 1 idle: 2 + 2 - 1 = 3" \
  wait_for 20 eval 'eq "$(metric minAvailable=2)" "3 3.0"'
e2e_check "minAvailable 0.6 (60% idle after scaling) with 1 of 2 idle: 3" \
  eval 'eq "$(metric minAvailable=0.6)" "3 3.0"'
e2e_check "minAvailable 0.5 is already met: 2" eval 'eq "$(metric minAvailable=0.5)" "2 2.0"'
k scale gss minecraft --replicas=5 >/dev/null
wait_for 60 converged minecraft "0 1 2 3 4" >/dev/null
e2e_check "maxAvailable 2 with 4 idle of 5: 5 + 2 - 4 = 3" \
  wait_for 20 eval 'eq "$(metric maxAvailable=2)" "3 3.0"'
e2e_check "minAvailable 3 capped by maxAvailable 2: still 3" \
  eval 'eq "$(metric minAvailable=3 maxAvailable=2)" "3 3.0"'
k scale gss minecraft --replicas=3 >/dev/null
e2e_check "scaling to it removes idle servers and keeps the Allocated minecraft-1" \
  wait_for 40 eval 'converged minecraft "0 1 2" && eq "$(jp gs/minecraft-1 "{.spec.opsState}")" Allocated'

# --- StreamIsActive: a live stream --------------------------------------------------------------------
e2e_bg stream "$PY" "$DATA/scaler_client.py" --addr "127.0.0.1:$PORT" --stubs "$E2E_TMP/stubs" \
  --max 3 --timeout 60 stream default minecraft
STREAM=$E2E_LAST_PID
e2e_check "StreamIsActive sends the current value at once: true" \
  wait_for 10 eval '[ "$(awk "{print \$2}" "$E2E_TMP/stream.log" | tr "\n" " ")" = "true " ]'
t0=$(date +%s.%N)
for i in 0 1 2; do k patch gs "minecraft-$i" --type merge -p '{"spec":{"opsState":"WaitToBeDeleted"}}' >/dev/null; done
e2e_check "every server WaitToBeDeleted: the stream sends false within a few seconds" \
  wait_for 15 eval '[ "$(awk "{print \$2}" "$E2E_TMP/stream.log" | tr "\n" " ")" = "true false " ]'
t1=$(date +%s.%N)
e2e_log "the change reached the stream in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (status sync + 1 s poll)"
e2e_check "IsActive agrees: false" eval 'eq "$(sc is-active default minecraft)" false'
e2e_check "GetMetrics: 3 - 3 = 0" eval 'eq "$(metric)" "0 0.0"'
e2e_check "minAvailable keeps it active" eval 'eq "$(sc is-active default minecraft minAvailable=1)" true'
for i in 0 1 2; do k patch gs "minecraft-$i" --type merge -p '{"spec":{"opsState":"None"}}' >/dev/null; done
e2e_check "back to None: the stream sends true again" \
  wait_for 15 eval '[ "$(awk "{print \$2}" "$E2E_TMP/stream.log" | tr "\n" " ")" = "true false true " ]'
e2e_check "the client ends the stream after 3 messages (exit 0)" eval \
  'for _ in $(seq 50); do kill -0 $STREAM 2>/dev/null || break; sleep 0.1; done; wait $STREAM'

# --- errors -------------------------------------------------------------------------------------------
e2e_check "unknown set: NOT_FOUND naming namespace/name" eval \
  '[[ "$(sc get-metrics default nope)" == "ERROR NOT_FOUND GameServerSet default/nope not found"* ]]'
e2e_check "unknown set in IsActive: NOT_FOUND" eval \
  '[[ "$(sc is-active other minecraft)" == "ERROR NOT_FOUND GameServerSet other/minecraft"* ]]'
e2e_check "bad minAvailable: INVALID_ARGUMENT naming the key" eval \
  '[[ "$(metric minAvailable=lots)" == "ERROR INVALID_ARGUMENT metadata minAvailable:"* ]]'
e2e_check "bad maxAvailable: INVALID_ARGUMENT naming the key" eval \
  '[[ "$(metric maxAvailable=1.5)" == "ERROR INVALID_ARGUMENT metadata maxAvailable:"* ]]'
e2e_check "StreamMetricSpec: UNIMPLEMENTED (KEDA falls back to GetMetricSpec)" eval \
  '[[ "$(sc stream-metric-spec default minecraft)" == "ERROR UNIMPLEMENTED "* ]]'
e2e_check "the controller answered every call from its caches and is alive" eval 'kill -0 $CTL'

# --- a clean stop ---------------------------------------------------------------------------------------
e2e_bg stream2 "$PY" "$DATA/scaler_client.py" --addr "127.0.0.1:$PORT" --stubs "$E2E_TMP/stubs" \
  --timeout 60 stream default minecraft
STREAM2=$E2E_LAST_PID
wait_for 10 eval '[ -s "$E2E_TMP/stream2.log" ]' >/dev/null
kill "$CTL"
e2e_check "SIGTERM: the controller stops the scaler and exits 0" eval \
  'wait $CTL && grep -q "event=scaler_stopped" "$E2E_TMP/ctl.log"'
e2e_check "an open stream ends with UNAVAILABLE (server shutting down)" eval \
  'wait $STREAM2; grep -q "ERROR UNAVAILABLE server shutting down" "$E2E_TMP/stream2.log"'

e2e_finish
