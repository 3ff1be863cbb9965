#!/usr/bin/env bash
# okg-controller on a real kube-apiserver with the node simulator: the seed's scaling
# sequences, reserved IDs, ReserveIds, Kill, bad input, updates under each strategy, restarts
# of the controller and of the API server, and leader election.
# Checks are strings run by eval, so shellcheck cannot see the variables they use.
# shellcheck disable=SC2034,SC2016
. "$(dirname "$0")/lib.sh"

e2e_cluster_up
k apply -f "$E2E_ROOT/manifests/crd" >/dev/null
k wait --for condition=established crd/gameserversets.game.kruise.io crd/gameservers.game.kruise.io >/dev/null
e2e_bg sim "$BUILD/okg-nodesim" --kubeconfig "$KUBECONFIG" --nodes 2 --log-dir "$E2E_TMP/ctr-logs" \
  --restart-backoff-ms 200
start_controller() { # NAME PORT
  e2e_bg "$1" "$BUILD/okg-controller" --kubeconfig "$KUBECONFIG" --http-listen "127.0.0.1:$2" \
    --scaler-listen "" --probe-listen "" --leader-election-namespace default --lease-duration-seconds 6 --renew-deadline-seconds 4 \
    --retry-period-seconds 1
}
start_controller ctl-a 0
CTL_A=$E2E_LAST_PID

gss() { # NAME REPLICAS [extra spec YAML lines, indented by 2] [updateStrategy body, indented by 4]
  k apply -f - >/dev/null <<YAML
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata:
  name: $1
  namespace: default
spec:
  replicas: $2
${3:-}
  updateStrategy:
${4:-    rollingUpdate:
      podUpdatePolicy: InPlaceIfPossible}
  gameServerTemplate:
    spec:
      containers:
        - image: registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2
          name: minecraft
YAML
}
# The ordinals of a set's live GameServers, space separated, ascending.
gs_ords() {
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

# --- the seed's scale-down order -----------------------------------------------------------------
gss minecraft 5
e2e_check "5 replicas: minecraft-0..4 Ready, one GameServer per pod" wait_for 60 converged minecraft "0 1 2 3 4"
e2e_check "kubectl get gs shows NAME STATE OPSSTATE DP UP as the seed does" eval \
  'k get gs | head -1 | grep -Eq "^NAME +STATE +OPSSTATE +DP +UP +AGE$" &&
   k get gs minecraft-0 --no-headers | grep -Eq "^minecraft-0 +Ready +None +0 +0 "'
e2e_check "kubectl get gss shows DESIRED CURRENT UPDATED READY MAINTAINING WAITTOBEDELETED" wait_for 20 eval \
  'k get gss | head -1 | grep -Eq "^NAME +DESIRED +CURRENT +UPDATED +READY +MAINTAINING +WAITTOBEDELETED +AGE$" &&
   k get gss minecraft --no-headers | grep -Eq "^minecraft +5 +5 +5 +5 +0 +0 "'
e2e_check "pods carry owner, ordinal and GameServer labels; GameServers are owned by their pods" eval \
  'eq "$(jp pod/minecraft-3 "{.metadata.labels.game\.kruise\.io/owner-gss} {.metadata.labels.okg\.game\.kruise\.io/ordinal} {.metadata.labels.game\.kruise\.io/gs-opsState}")" "minecraft 3 None" &&
   eq "$(jp gs/minecraft-3 "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].uid}")" "Pod/$(jp pod/minecraft-3 "{.metadata.uid}")"'
k patch gs minecraft-2 --type merge -p '{"spec":{"deletionPriority":10}}' >/dev/null
e2e_check "GameServer spec flows to pod labels and GS status (DP 10)" wait_for 20 eval \
  'eq "$(jp pod/minecraft-2 "{.metadata.labels.game\.kruise\.io/gs-delete-priority}")" 10 &&
   eq "$(jp gs/minecraft-2 "{.status.deletionPriority}")" 10'
k scale gss minecraft --replicas=4 >/dev/null
e2e_check "scale to 4 deletes minecraft-2 (deletionPriority 10)" wait_for 40 converged minecraft "0 1 3 4"
k patch gs minecraft-3 --type merge -p '{"spec":{"opsState":"WaitToBeDeleted"}}' >/dev/null
e2e_check "gss counts WaitToBeDeleted servers" wait_for 20 eval \
  'eq "$(jp gss/minecraft "{.status.waitToBeDeletedReplicas}")" 1'
k scale gss minecraft --replicas=3 >/dev/null
e2e_check "scale to 3 deletes minecraft-3 (WaitToBeDeleted)" wait_for 40 converged minecraft "0 1 4"
k scale gss minecraft --replicas=5 >/dev/null
e2e_check "scale to 5 recreates minecraft-2 and minecraft-3" wait_for 40 converged minecraft "0 1 2 3 4"
e2e_check "each scale decision is an Event naming the ordinals and why" eval \
  'k get events --field-selector involvedObject.name=minecraft -o jsonpath="{range .items[*]}{.message}{\"\n\"}{end}" |
     grep -q "deleting minecraft-2 (scale down, opsState None, deletionPriority 10)"'
k patch gs minecraft-0 --type merge -p '{"spec":{"opsState":"Maintaining"}}' >/dev/null
k patch gs minecraft-1 --type merge -p '{"spec":{"opsState":"Allocated"}}' >/dev/null
k patch gs minecraft-4 --type merge -p '{"spec":{"opsState":"SomethingElse","deletionPriority":"abc"}}' >/dev/null
wait_for 20 eval 'eq "$(jp pod/minecraft-4 "{.metadata.labels.game\.kruise\.io/gs-opsState}")" SomethingElse' >/dev/null
k scale gss minecraft --replicas=2 >/dev/null
e2e_check "unknown opsState and unparsable priority order like None/0; Maintaining and Allocated stay" \
  wait_for 40 converged minecraft "0 1"
e2e_check "the controller is alive after the hand-edited values" eval 'kill -0 $CTL_A'

# --- reserved IDs ------------------------------------------------------------------------------------
gss reserve 5
wait_for 60 converged reserve "0 1 2 3 4" >/dev/null
k patch gss reserve --type merge -p '{"spec":{"reserveGameServerIds":[3,4]}}' >/dev/null
e2e_check "reserving 3 and 4 at 5 replicas gives 0,1,2,5,6" wait_for 40 converged reserve "0 1 2 5 6"
k patch gss reserve --type merge -p '{"spec":{"replicas":3,"reserveGameServerIds":["3-6"]}}' >/dev/null
e2e_check "replicas 3 with reserve \"3-6\" gives 0,1,2" wait_for 40 converged reserve "0 1 2"

# --- ReserveIds -----------------------------------------------------------------------------------------
gss rids 5 '  scaleStrategy:
    scaleDownStrategyType: ReserveIds'
wait_for 60 converged rids "0 1 2 3 4" >/dev/null
k scale gss rids --replicas=3 >/dev/null
e2e_check "ReserveIds: 5 -> 3 removes 3 and 4 and writes them back into reserveGameServerIds" \
  wait_for 40 eval 'converged rids "0 1 2" && eq "$(jp gss/rids "{.spec.reserveGameServerIds}")" "[3,4]"'
k patch gss rids --type merge -p '{"spec":{"replicas":4,"reserveGameServerIds":[3]}}' >/dev/null
e2e_check "un-reserving 4 at replicas 4 brings back exactly 4: 0,1,2,4" wait_for 40 converged rids "0 1 2 4"

# --- Kill ---------------------------------------------------------------------------------------------
gss kill 3
wait_for 60 converged kill "0 1 2" >/dev/null
k patch gs kill-1 --type merge -p '{"spec":{"opsState":"Kill"}}' >/dev/null
e2e_check "opsState Kill deletes that server and lowers replicas to 2" \
  wait_for 40 eval 'converged kill "0 2" && eq "$(jp gss/kill "{.spec.replicas}")" 2'
k scale gss kill --replicas=3 >/dev/null
e2e_check "scaling back to 3 reuses the lowest free ordinal (1)" wait_for 40 converged kill "0 1 2"

# --- refused pods ---------------------------------------------------------------------------------------
k apply -f - >/dev/null <<'YAML'
apiVersion: game.kruise.io/v1alpha1
kind: GameServerSet
metadata: {name: broken, namespace: default}
spec:
  replicas: 2
  gameServerTemplate:
    spec:
      containers:
        - {name: Not_A_Valid_Name, image: busybox}
YAML
e2e_check "a pod the API server refuses: ReplicaFailure condition with the API server's words" \
  wait_for 30 eval 'jp gss/broken "{.status.conditions[?(@.type==\"ReplicaFailure\")].message}" | grep -q "Invalid value: \"Not_A_Valid_Name\""'
e2e_check "  ... and a Warning Event FailedCreate" wait_for 15 eval \
  'k get events --field-selector involvedObject.name=broken,reason=FailedCreate -o name | grep -q .'
k scale gss kill --replicas=4 >/dev/null
e2e_check "  ... while other sets keep reconciling" wait_for 30 converged kill "0 1 2 3"
k delete gss broken >/dev/null

# --- updates ----------------------------------------------------------------------------------------------
NEW=registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2-new
UID0=$(jp pod/minecraft-0 '{.metadata.uid}')
k patch gss minecraft --type json -p "[{\"op\":\"replace\",\"path\":\"/spec/gameServerTemplate/spec/containers/0/image\",\"value\":\"$NEW\"}]" >/dev/null
e2e_check "InPlaceIfPossible: an image change patches the live pods (same pod, new image, restart 1)" \
  wait_for 60 eval 'eq "$(jp pod/minecraft-0 "{.metadata.uid} {.status.containerStatuses[0].image} {.status.containerStatuses[0].restartCount}")" "$UID0 $NEW 1" &&
    eq "$(jp gss/minecraft "{.status.updatedReplicas} {.status.readyReplicas}")" "2 2"'
gss recreate 3 "" '    type: RollingUpdate
    rollingUpdate:
      podUpdatePolicy: ReCreate
      partition: 1'
wait_for 60 converged recreate "0 1 2" >/dev/null
RUID0=$(jp pod/recreate-0 '{.metadata.uid}'); RUID2=$(jp pod/recreate-2 '{.metadata.uid}')
k patch gss recreate --type json -p "[{\"op\":\"replace\",\"path\":\"/spec/gameServerTemplate/spec/containers/0/image\",\"value\":\"$NEW\"}]" >/dev/null
e2e_check "ReCreate with partition 1: ordinals 1 and 2 are recreated with the new image, 0 is not" \
  wait_for 90 eval 'converged recreate "0 1 2" && [ "$(jp pod/recreate-2 "{.metadata.uid}")" != "$RUID2" ] &&
    eq "$(jp pod/recreate-2 "{.spec.containers[0].image}")" "$NEW" && eq "$(jp pod/recreate-1 "{.spec.containers[0].image}")" "$NEW" &&
    eq "$(jp pod/recreate-0 "{.metadata.uid}")" "$RUID0"'
gss ondelete 2 "" '    type: OnDelete'
wait_for 60 converged ondelete "0 1" >/dev/null
OUID=$(jp pod/ondelete-0 '{.metadata.uid}')
k patch gss ondelete --type json -p "[{\"op\":\"replace\",\"path\":\"/spec/gameServerTemplate/spec/containers/0/image\",\"value\":\"$NEW\"},{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]" >/dev/null
e2e_check "OnDelete: existing servers keep their image, a new one gets the new image" \
  wait_for 60 eval 'converged ondelete "0 1 2" && eq "$(jp pod/ondelete-2 "{.spec.containers[0].image}")" "$NEW" &&
    eq "$(jp pod/ondelete-0 "{.metadata.uid} {.spec.containers[0].image}")" "$OUID registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2" &&
    eq "$(jp gss/ondelete "{.status.updatedReplicas}")" 1'
k patch gs ondelete-1 --type merge -p '{"spec":{"containers":[{"name":"minecraft","image":"custom:v9"}]}}' >/dev/null
e2e_check "a GameServer's spec.containers overrides the image of its own pod" \
  wait_for 30 eval 'eq "$(jp pod/ondelete-1 "{.spec.containers[0].image} {.status.containerStatuses[0].image}")" "custom:v9 custom:v9"'

# --- restarts ---------------------------------------------------------------------------------------------
gss churn 2
wait_for 60 converged churn "0 1" >/dev/null
k scale gss churn --replicas=12 >/dev/null
sleep 0.3
kill -9 "$CTL_A"
start_controller ctl-b 0
CTL_B=$E2E_LAST_PID
e2e_check "controller killed during a scale-up: a new one converges to exactly 0..11" \
  wait_for 90 converged churn "0 1 2 3 4 5 6 7 8 9 10 11"
k scale gss churn --replicas=3 >/dev/null
sleep 0.3
kill -9 "$CTL_B"
start_controller ctl-c 0
CTL_C=$E2E_LAST_PID
e2e_check "controller killed during a scale-down: a new one converges to exactly 0,1,2" \
  wait_for 90 converged churn "0 1 2"
"$E2E_ROOT/hack/kube-apiserver-restart.sh" "$E2E_STATE" 2 >/dev/null 2>&1
k scale gss churn --replicas=5 >/dev/null
e2e_check "after an API server restart the controller re-watches and scales to 0..4" \
  wait_for 90 converged churn "0 1 2 3 4"
e2e_check "  ... and no server was deleted by the re-list (0,1,2 keep their pods)" eval \
  '! grep -E "pod_deleted set=default/churn pod=churn-[0-2]\$" "$E2E_TMP/ctl-c.log" >/dev/null'

# --- leader election ----------------------------------------------------------------------------------------
start_controller ctl-d 18391
CTL_D=$E2E_LAST_PID
leader_of() { curl -s "http://127.0.0.1:$1/metrics" | awk '$1 == "okg_leader" { print $2 }'; }
kill "$CTL_C"; wait "$CTL_C" 2>/dev/null
e2e_check "a second replica takes over the Lease when the leader stops" wait_for 30 eval '[ "$(leader_of 18391)" = 1 ]'
start_controller ctl-e 18392
CTL_E=$E2E_LAST_PID
sleep 4
e2e_check "with two replicas running exactly one leads" eval \
  '[ "$(leader_of 18391)" = 1 ] && [ "$(leader_of 18392)" = 0 ]'
k scale gss churn --replicas=6 >/dev/null
e2e_check "  ... the leader scales (0..5) and the follower writes nothing" wait_for 60 eval \
  'converged churn "0 1 2 3 4 5" && ! grep -q "event=pod_created" "$E2E_TMP/ctl-e.log"'
e2e_check "metrics and health endpoints answer" eval \
  'curl -sf http://127.0.0.1:18391/metrics | grep -q "^okg_pods_created_total " &&
   curl -sf http://127.0.0.1:18391/healthz >/dev/null && curl -sf http://127.0.0.1:18391/readyz >/dev/null'

e2e_finish
