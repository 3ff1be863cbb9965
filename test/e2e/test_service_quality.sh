#!/usr/bin/env bash
# Service quality end to end: the webhook injects okg-probe into game-server pods, the node
# simulator runs it inside each pod (own PID namespace), it probes the game's processes and
# reports to okg-controller, which sets opsState as the seeds describe.
# Checks are strings run by eval, so shellcheck cannot see the variables they use.
# shellcheck disable=SC2034,SC2016
. "$(dirname "$0")/lib.sh"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

e2e_cluster_up
k apply -f "$E2E_ROOT/manifests/crd" >/dev/null
k wait --for condition=established crd/gameserversets.game.kruise.io >/dev/null

# The seeds' images, played by local scripts (a writable copy: tests add players).
cp -r "$E2E_ROOT/test/e2e/testdata/images" "$E2E_TMP/images"
sed "s|@DIR@|$E2E_TMP/images|g" "$E2E_TMP/images/images.yaml.in" >"$E2E_TMP/images.yaml"

# Serving certificate for the webhook on 127.0.0.1.
CERTS="$E2E_TMP/certs"
mkdir -p "$CERTS"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=okg-webhook \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$CERTS/tls.key" -out "$CERTS/tls.crt" 2>/dev/null
WH_PORT=$(free_port)
PROBE_PORT=$(free_port)
e2e_bg webhook "$BUILD/okg-webhook" --listen "127.0.0.1:$WH_PORT" --cert-dir "$CERTS" \
  --probe-image okg:latest --probe-command "$BUILD/okg-probe" \
  --probe-report-url "http://127.0.0.1:$PROBE_PORT/v1/probe-results"
wait_for 20 curl -sfk "https://127.0.0.1:$WH_PORT/readyz" || e2e_log "webhook did not become ready"
CA=$(base64 -w0 <"$CERTS/tls.crt")
k apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: okg-e2e-mutating}
webhooks:
- name: probe-injection.okg.game.kruise.io
  clientConfig:
    url: https://127.0.0.1:$WH_PORT/mutate-v1-pod
    caBundle: $CA
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  objectSelector:
    matchExpressions: [{key: game.kruise.io/owner-gss, operator: Exists}]
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
YAML
e2e_bg sim "$BUILD/okg-nodesim" --kubeconfig "$KUBECONFIG" --nodes 2 \
  --image-map "$E2E_TMP/images.yaml" --log-dir "$E2E_TMP/ctr-logs" --restart-backoff-ms 200
e2e_bg controller "$BUILD/okg-controller" --kubeconfig "$KUBECONFIG" --http-listen 127.0.0.1:0 \
  --probe-listen "127.0.0.1:$PROBE_PORT" --scaler-listen "" --leader-elect=false

ops() { jp "gs/$1" '{.spec.opsState}'; }
sandbox_of() { # POD -> the host pid of the pod's init (/pause)
  local port
  port=$(jp node/okg-sim-0 '{.status.daemonEndpoints.kubeletEndpoint.Port}')
  curl -sk "https://127.0.0.1:$port/pods" |
    /usr/bin/python3 -c 'import json,sys; print([p["sandboxPid"] for p in json.load(sys.stdin)["items"] if p["name"]==sys.argv[1]][0])' "$1"
}
in_sandbox() { # SANDBOX_PID CMD...: run a command inside that pod's PID and mount namespaces
  local init
  init=$(pgrep -P "$1" | head -n 1)
  nsenter -t "$init" -p -m -- "${@:2}"
}
in_pod() { # POD CMD...
  in_sandbox "$(sandbox_of "$1")" "${@:2}"
}

# --- the seed's gate/data example ---------------------------------------------------------------
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
      maxUnavailable: 100%
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-beijing.aliyuncs.com/chrisliu95/minecraft-demo:probe-v0
          name: minecraft
  serviceQualities:
    - name: healthy
      containerName: minecraft
      permanent: false
      exec:
        command: ["bash", "./probe.sh"]
      serviceQualityAction:
        - state: true
          result: gate
          opsState: GateMaintaining
        - state: true
          result: data
          opsState: DataMaintaining
        - state: false
          opsState: None
YAML
e2e_check "the webhook injects okg-probe and shareProcessNamespace into the set's pods" wait_for 30 eval \
  'eq "$(jp pod/minecraft-0 "{.spec.containers[*].name} {.spec.shareProcessNamespace}")" "minecraft okg-probe true"'
e2e_check "each GameServer reports the quality healthy=False (processes fine) with opsState None" \
  wait_for 60 eval '(for i in 0 1 2; do eq "$(jp gs/minecraft-$i "{.status.serviceQualitiesConditions[0].status} $(ops minecraft-$i)")" "False None" || exit 1; done)'
in_pod minecraft-0 pkill -9 -f "gate.sh"
T0=$(date +%s)
e2e_check "killing gate in minecraft-0 sets opsState GateMaintaining" wait_for 30 eval '[ "$(ops minecraft-0)" = GateMaintaining ]'
T1=$(date +%s)
e2e_log "gate kill -> GateMaintaining in $((T1 - T0)) s (probe period 3 s)"
e2e_check "  ... the others stay None" eval '[ "$(ops minecraft-1) $(ops minecraft-2)" = "None None" ]'
in_pod minecraft-1 pkill -9 -f "data.sh"
e2e_check "killing data in minecraft-1 sets opsState DataMaintaining" wait_for 30 eval '[ "$(ops minecraft-1)" = DataMaintaining ]'
e2e_check "GameServer status shows the probe's result and times" eval \
  'eq "$(jp gs/minecraft-1 "{.status.serviceQualitiesConditions[0].name}={.status.serviceQualitiesConditions[0].status}/{.status.serviceQualitiesConditions[0].result}")" "healthy=True/data" &&
   [ -n "$(jp gs/minecraft-1 "{.status.serviceQualitiesConditions[0].lastActionTransitionTime}")" ]'
e2e_check "each applied action is an Event on the GameServer quoting the probe output" eval \
  'k get events --field-selector involvedObject.name=minecraft-0,involvedObject.kind=GameServer -o jsonpath="{.items[*].message}" | grep -q "with result \"gate\""'
IMGDIR="$E2E_TMP/images/gate-data"
in_pod minecraft-0 setsid bash -c "cd $IMGDIR && exec bash ./gate.sh" </dev/null >/dev/null 2>&1 &
in_pod minecraft-1 setsid bash -c "cd $IMGDIR && exec bash ./data.sh" </dev/null >/dev/null 2>&1 &
e2e_check "restarting gate and data sets both back to None" \
  wait_for 40 eval '[ "$(ops minecraft-0) $(ops minecraft-1)" = "None None" ]'

# --- the seed's idle example ----------------------------------------------------------------------
k apply -f - >/dev/null <<'YAML'
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: idle
  namespace: default
spec:
  replicas: 3
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:idle
          name: minecraft
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
      maxUnavailable: 100%
  serviceQualities:
    - name: idle
      containerName: minecraft
      permanent: false
      exec:
        command: ["bash", "-c", "if ./idle.sh; then echo 'active'; else echo 'idle'; fi"]
      serviceQualityAction:
        - state: true
          result: idle
          opsState: WaitToBeDeleted
        - state: true
          result: active
          opsState: None
YAML
e2e_check "idle servers: all three WaitToBeDeleted" wait_for 60 eval \
  '[ "$(ops idle-0) $(ops idle-1) $(ops idle-2)" = "WaitToBeDeleted WaitToBeDeleted WaitToBeDeleted" ]'
echo 1 >"$E2E_TMP/images/idle/players/idle-1"
e2e_check "a player joins idle-1: it becomes None" wait_for 30 eval '[ "$(ops idle-1)" = None ]'
k scale gss idle --replicas=1 >/dev/null
e2e_check "scaling down to 1 removes the idle servers and keeps the busy one" wait_for 40 eval \
  '[ "$(k get gs -l game.kruise.io/owner-gss=idle -o name)" = "gameserver.game.kruise.io/idle-1" ]'

# --- the seed's healthy example -------------------------------------------------------------------
k apply -f - >/dev/null <<'YAML'
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: demo-gs
  namespace: default
spec:
  replicas: 3
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:healthy
          name: minecraft
  updateStrategy:
    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible
      maxUnavailable: 100%
  serviceQualities:
    - name: healthy
      containerName: minecraft
      permanent: false
      exec:
        command: ["bash", "-c", "./healthy.sh && echo 'healthy' || echo 'unhealthy'"]
      serviceQualityAction:
        - state: true
          result: healthy
          opsState: None
        - state: true
          result: unhealthy
          opsState: Maintaining
YAML
e2e_check "healthy servers report healthy (None)" wait_for 60 eval \
  '(for i in 0 1 2; do eq "$(jp gs/demo-gs-$i "{.status.serviceQualitiesConditions[0].result} $(ops demo-gs-$i)")" "healthy None" || exit 1; done)'
in_pod demo-gs-0 pkill -9 -f healthy-worker
e2e_check "a failed process makes demo-gs-0 Maintaining" wait_for 30 eval '[ "$(ops demo-gs-0)" = Maintaining ]'
e2e_check "  ... with a Warning event on the GameServer" wait_for 10 eval \
  'k get events --field-selector involvedObject.name=demo-gs-0,type=Warning -o jsonpath="{.items[*].message}" | grep -q "unhealthy"'
e2e_check "gss counts it as maintaining" wait_for 20 eval '[ "$(jp gss/demo-gs "{.status.maintainingReplicas}")" = 1 ]'

# --- permanent: true fires once ---------------------------------------------------------------------
k apply -f - >/dev/null <<'YAML'
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata: {name: once, namespace: default}
spec:
  replicas: 1
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/gs-demo/gameserver:idle
          name: minecraft
  serviceQualities:
    - name: first
      containerName: minecraft
      permanent: true
      periodSeconds: 1
      initialDelaySeconds: 1
      exec:
        command: ["bash", "-c", "if ./idle.sh; then echo 'active'; else echo 'idle'; fi"]
      serviceQualityAction:
        - {state: true, result: idle, opsState: WaitToBeDeleted}
        - {state: true, result: active, opsState: Allocated}
YAML
e2e_check "permanent: the first outcome fires (idle -> WaitToBeDeleted)" wait_for 40 eval '[ "$(ops once-0)" = WaitToBeDeleted ]'
echo 1 >"$E2E_TMP/images/idle/players/once-0"
e2e_check "  ... a later change is recorded but fires nothing (still WaitToBeDeleted)" wait_for 30 eval \
  '[ "$(jp gs/once-0 "{.status.serviceQualitiesConditions[0].result}")" = active ] && [ "$(ops once-0)" = WaitToBeDeleted ]'

# --- the seed's sidecar example (OKG sidecar http_probe, no serviceQualities) -----------------------
# The manifests apply unchanged. The controller marks the pods (the set runs okg-sidecar with its
# config at /opt/sidecar), the webhook turns that container into okg-probe in sidecar mode, which
# probes http://localhost:8080 (the pod's own IP here: nodesim gives each pod an /etc/hosts) and
# reports; the controller applies the markerPolices' opsState.
tank() { echo "$2" >"$E2E_TMP/images/tank/state/$1"; }
k create namespace sidecar >/dev/null
k apply -f "$E2E_ROOT/manifests/examples/sidecar-probe-zh-1-configmap-sidecar-config.yaml" >/dev/null
k apply -f "$E2E_ROOT/manifests/examples/sidecar-probe-zh-2-gameserverset-hot-update-gs.yaml" >/dev/null 2>&1
ks() { k -n sidecar "$@"; }
jps() { ks get "$1" -o "jsonpath=$2" 2>/dev/null; }
e2e_check "sidecar: both GameServers of hot-update-gs exist" wait_for 60 eval \
  '[ "$(jps gs/hot-update-gs-0 "{.metadata.name}") $(jps gs/hot-update-gs-1 "{.metadata.name}")" = "hot-update-gs-0 hot-update-gs-1" ]'
e2e_check "sidecar: the sidecar container runs okg-probe in sidecar mode, nothing injected besides" eval \
  'eq "$(jps pod/hot-update-gs-0 "{.spec.containers[*].name} {.spec.containers[1].image} {.spec.containers[1].volumeMounts[0].mountPath}")" "tankwar sidecar okg:latest /opt/sidecar" &&
   [ "$(jps pod/hot-update-gs-0 "{.spec.containers[1].env[?(@.name==\"OKG_SIDECAR_CONFIG\")].value}")" = /opt/sidecar/config.yaml ] &&
   [ -n "$(jps pod/hot-update-gs-0 "{.metadata.annotations.okg\.game\.kruise\.io/probe-token}")" ]'
SC_T0=$(date +%s)
e2e_check "sidecar: after startDelaySeconds the probe result None gives opsState None on both" wait_for 60 eval \
  '(for i in 0 1; do eq "$(jps gs/hot-update-gs-$i "{.status.serviceQualitiesConditions[0].name}/{.status.serviceQualitiesConditions[0].result} {.spec.opsState}")" "http_probe-0/None None" || exit 1; done)'
e2e_log "sidecar: first result after $(( $(date +%s) - SC_T0 )) s (startDelaySeconds 10)"
tank hot-update-gs-0 Allocated
SC_T0=$(date +%s)
e2e_check "sidecar: a player logs in to hot-update-gs-0: Allocated within 2 probe intervals" wait_for 12 eval \
  '[ "$(jps gs/hot-update-gs-0 "{.spec.opsState}")" = Allocated ]'
e2e_log "sidecar: Allocated after $(( $(date +%s) - SC_T0 )) s (probeIntervalSeconds 5)"
tank hot-update-gs-0 WaitToBeDeleted
e2e_check "sidecar: the players leave: WaitToBeDeleted within 2 probe intervals" wait_for 12 eval \
  '[ "$(jps gs/hot-update-gs-0 "{.spec.opsState}")" = WaitToBeDeleted ]'
e2e_check "sidecar:   ... hot-update-gs-1 stays None" eval \
  'eq "$(jps gs/hot-update-gs-1 "{.spec.opsState} {.status.serviceQualitiesConditions[0].result}")" "None None"'
e2e_check "sidecar: each applied opsState is an Event on the GameServer" eval \
  'ks get events --field-selector involvedObject.name=hot-update-gs-0,involvedObject.kind=GameServer -o jsonpath="{.items[*].message}" | grep -q "opsState Allocated -> WaitToBeDeleted"'
# A sidecar config the helper cannot use: one clear line, exit code 2 (restarted), no crash.
ks apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: sidecar-bad, namespace: sidecar}
data:
  config.yaml: |
    plugins:
      - name: http_probe
        config:
          endpoints:
            - url: ftp://localhost:8080
              storageConfig:
                type: InKube
                inKube:
                  markerPolices: [{state: None, gameServerOpsState: None}]
---
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata: {name: bad-sidecar, namespace: sidecar}
spec:
  replicas: 1
  gameServerTemplate:
    spec:
      containers:
        - {image: "tank:latest", name: tankwar}
        - image: okg-sidecar:v1
          name: sidecar
          volumeMounts: [{mountPath: /opt/sidecar, name: sidecar-config}]
      volumes: [{name: sidecar-config, configMap: {name: sidecar-bad}}]
YAML
e2e_check "sidecar: a bad config is one clear line in the helper's log" wait_for 40 eval \
  'ks logs bad-sidecar-0 -c sidecar 2>/dev/null | grep -qx "okg-probe: /opt/sidecar/config.yaml: plugins\[0\].config.endpoints\[0\].url: must be an http:// or https:// URL"'
e2e_check "sidecar:   ... the helper exits with code 2 (no crash), the game keeps running" wait_for 20 eval \
  '[ "$(jps pod/bad-sidecar-0 "{.status.containerStatuses[?(@.name==\"sidecar\")].lastState.terminated.exitCode}")" = 2 ] &&
   [ -n "$(jps pod/bad-sidecar-0 "{.status.containerStatuses[?(@.name==\"tankwar\")].state.running.startedAt}")" ] &&
   [ "$(jps gs/bad-sidecar-0 "{.spec.opsState}")" = None ]'

# --- failures ------------------------------------------------------------------------------------------
# Helper restart: nothing flaps (the outcome is unchanged, so no action and no event).
EVENTS_BEFORE=$(k get events --field-selector involvedObject.name=minecraft-2 -o name | wc -l)
in_pod minecraft-2 pkill -f okg-probe
sleep 8
e2e_check "a restarted probe helper fires no action again (opsState, events unchanged)" eval \
  '[ "$(ops minecraft-2)" = None ] && [ "$(k get events --field-selector involvedObject.name=minecraft-2 -o name | wc -l)" = "$EVENTS_BEFORE" ]'
# API server down for a minute: results reported meanwhile arrive after.
SANDBOX2=$(sandbox_of minecraft-2) # asks the API server, so before it goes down
"$E2E_ROOT/hack/kube-apiserver-restart.sh" "$E2E_STATE" 60 >/dev/null 2>&1 &
RESTART=$!
sleep 5
in_sandbox "$SANDBOX2" pkill -9 -f "gate.sh"
wait "$RESTART"
e2e_check "a gate killed while the API server was down for a minute shows up after it returns" \
  wait_for 60 eval '[ "$(ops minecraft-2)" = GateMaintaining ]'
e2e_check "steady state: probes cause no API writes (GameServer resourceVersion unchanged over 10 s)" eval \
  'RV1=$(jp gs/minecraft-1 "{.metadata.resourceVersion}"); sleep 10; [ "$(jp gs/minecraft-1 "{.metadata.resourceVersion}")" = "$RV1" ]'

e2e_finish
