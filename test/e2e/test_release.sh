#!/usr/bin/env bash
# The ops-workflow seed's lossless room-server release on a real kube-apiserver with okg's
# controller and the node simulator: the four steps of
# manifests/examples/release-workflow/workflow.yaml, taken from that file (its merge patches, its
# bash readiness check, its `okg update` command and flags), run as the workflow's own
# ServiceAccount (rbac.yaml), then the seed's final table. Then the CLI's contract: exit codes
# 2..6 with one clear line each, --dry-run, kubectl plugin use.
# Checks are strings run by eval, so shellcheck cannot see the variables they use.
# shellcheck disable=SC2034,SC2016
. "$(dirname "$0")/lib.sh"

WF_DIR="$E2E_ROOT/manifests/examples/release-workflow"
WF="$WF_DIR/workflow.yaml"
TD="$E2E_ROOT/test/e2e/testdata/release"
OKG="$BUILD/okg"
OLD=registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2
NEW=$OLD-new

# wf_block TEMPLATE KEY: the literal block "KEY: |" of the workflow's template TEMPLATE,
# without its indentation.
wf_block() {
  awk -v t="$1" -v key="$2" '
    $0 ~ "^    - name: " t "$" { in_t = 1; next }
    in_t && /^    - name: / { exit }
    in_t && !in_b && $0 ~ "^ *" key ": [|]$" { in_b = 1; match($0, /^ */); ind = RLENGTH; next }
    in_b && /^ *$/ { print ""; next }
    in_b { match($0, /^ */); if (RLENGTH <= ind) exit; if (!bi) bi = RLENGTH; print substr($0, bi + 1) }
  ' "$WF"
}
# wf_list TEMPLATE KEY: the items of the list KEY of the workflow's template TEMPLATE, one a line.
wf_list() {
  awk -v t="$1" -v key="$2" '
    $0 ~ "^    - name: " t "$" { in_t = 1; next }
    in_t && /^    - name: / { exit }
    in_t && !in_l && $0 ~ "^ *" key ":$" { in_l = 1; next }
    in_l && /^ *#/ { next }
    in_l && /^ *- / { sub(/^ *- /, ""); print; next }
    in_l { exit }
  ' "$WF"
}
# table: `kubectl get gs` as NAME STATE OPSSTATE DP UP (the seed's columns without AGE).
table() { k get gs "$@" | awk '{ print $1, $2, $3, $4, $5 }'; }
# run_okg TAG ARGS...: runs okg; stdout, stderr and exit code in $E2E_TMP/TAG.{out,err,rc}.
run_okg() {
  local tag=$1; shift
  "$OKG" "$@" >"$E2E_TMP/$tag.out" 2>"$E2E_TMP/$tag.err"
  echo $? >"$E2E_TMP/$tag.rc"
}
rc_is() { eq "$(cat "$E2E_TMP/$1.rc")" "$2"; }
# err_line TAG TEXT: stderr is exactly one line and contains TEXT.
err_line() {
  [ "$(wc -l <"$E2E_TMP/$1.err")" -eq 1 ] && grep -qF -- "$2" "$E2E_TMP/$1.err" ||
    { echo "#   stderr: $(cat "$E2E_TMP/$1.err")" >&2; return 1; }
}
# sa_kubeconfig SA FILE: a kubeconfig that authenticates as ServiceAccount SA of default.
sa_kubeconfig() {
  local secret token
  secret=$(k get sa "$1" -o jsonpath='{.secrets[0].name}' 2>/dev/null) && [ -n "$secret" ] || return 1
  token=$(k get secret "$secret" -o jsonpath='{.data.token}' | base64 -d) && [ -n "$token" ] || return 1
  "$KUBECTL" --kubeconfig "$2" config set-cluster e2e --server="$OKG_KUBE_SERVER" \
    --certificate-authority="$OKG_KUBE_CA" --embed-certs >/dev/null &&
    "$KUBECTL" --kubeconfig "$2" config set-credentials "$1" --token="$token" >/dev/null &&
    "$KUBECTL" --kubeconfig "$2" config set-context e2e --cluster=e2e --user="$1" \
      --namespace=default >/dev/null &&
    "$KUBECTL" --kubeconfig "$2" config use-context e2e >/dev/null
}
all_alive() { local p; for p in "${E2E_PIDS[@]}"; do kill -0 "$p" || return 1; done; }
pod_uids() { k get pods -l game.kruise.io/owner-gss=minecraft -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid} {end}'; }
pod_image() { jp "pod/$1" '{.spec.containers[?(@.name=="minecraft")].image}'; }

e2e_cluster_up
k apply -f "$E2E_ROOT/manifests/crd" >/dev/null
k wait --for condition=established crd/gameserversets.game.kruise.io crd/gameservers.game.kruise.io >/dev/null
e2e_bg sim "$BUILD/okg-nodesim" --kubeconfig "$KUBECONFIG" --log-dir "$E2E_TMP/sim-logs" \
  --restart-backoff-ms 200
e2e_bg ctl "$BUILD/okg-controller" --kubeconfig "$KUBECONFIG" --http-listen 127.0.0.1:0 \
  --probe-listen "" --scaler-listen "" --leader-elect=false
sleep 1
e2e_check "okg-controller and okg-nodesim are running" eval \
  'all_alive || { tail -n 5 "$E2E_TMP/ctl.log" "$E2E_TMP/sim.log" >&2; false; }'

# --- the workflow file ----------------------------------------------------------------------------
e2e_check "workflow.yaml: four steps patch-image, scale-replicas, check-pods-ready, gs-update" eval \
  '[ "$(grep -E "^ +template: " "$WF" | awk "{print \$2}" | tr "\n" " ")" = "patch-image scale-replicas check-pods-ready gs-update " ]'
mapfile -t UPDATE_CMD < <(wf_list gs-update command)
mapfile -t UPDATE_ARGS < <(wf_list gs-update args)
e2e_check "gs-update runs okg update (okg image) with the seed's GameServers-Updater flags" eval \
  'eq "${UPDATE_CMD[*]}" "okg update" && grep -q "image: okg:latest" "$WF" &&
   eq "${UPDATE_ARGS[*]}" "--gss-name=minecraft --namespace=default --select-opsState=None --select-not-container-image=minecraft/$NEW --exp-opsState=WaitToBeDeleted"'
k apply -f "$WF_DIR/rbac.yaml" >/dev/null
SA_KC="$E2E_TMP/okg-release.kubeconfig"
e2e_check "rbac.yaml: the ServiceAccount okg-release gets a token (a kubeconfig as that account)" \
  wait_for 30 sa_kubeconfig okg-release "$SA_KC"

# --- the seed's starting point: 3 rooms on 1.12.2, minecraft-0 in use ------------------------------
k apply -f "$E2E_ROOT/manifests/examples/ops-workflow-zh-1-gameserverset-minecraft.yaml" >/dev/null
e2e_check "seed: 3 rooms Ready" wait_for 60 eval \
  '[ "$(k get gs -o jsonpath="{range .items[*]}{.status.currentState}{\"\n\"}{end}" | grep -c "^Ready$")" = 3 ]'
k patch gs minecraft-0 --type=merge -p '{"spec":{"opsState":"Allocated"}}' >/dev/null
e2e_check "seed: the starting table (minecraft-0 Allocated)" wait_for 20 eval \
  'eq "$(table)" "$(cat "$TD/initial-table.txt")"'
UIDS_BEFORE=$(pod_uids)

# --- step 1: patch-image ----------------------------------------------------------------------------
wf_block patch-image manifest >"$E2E_TMP/patch-image.yaml"
e2e_check "step 1 patch-image (as okg-release): the template now has 1.12.2-new" eval \
  '"$KUBECTL" --kubeconfig "$SA_KC" patch gss minecraft -n default --type merge \
     -p "$(cat "$E2E_TMP/patch-image.yaml")" >/dev/null &&
   eq "$(jp gss/minecraft "{.spec.gameServerTemplate.spec.containers[0].image}")" "$NEW"'
sleep 3 # give a wrong controller the time to restart or replace rooms
e2e_check "  ... OnDelete: running rooms keep 1.12.2 and their pods" eval \
  'eq "$(pod_uids)" "$UIDS_BEFORE" && eq "$(pod_image minecraft-0) $(pod_image minecraft-2)" "$OLD $OLD"'
wf_block check-pods-ready source >"$E2E_TMP/check-pods-ready.sh"
e2e_check "step 3's script fails before the scale-up (0 ready on 1.12.2-new)" eval \
  '! KUBECONFIG="$SA_KC" bash "$E2E_TMP/check-pods-ready.sh" >"$E2E_TMP/check0.log" 2>&1 &&
   grep -q "Ready Pods with image $NEW: 0" "$E2E_TMP/check0.log"'

# --- step 2: scale-replicas ---------------------------------------------------------------------------
wf_block scale-replicas manifest >"$E2E_TMP/scale-replicas.yaml"
e2e_check "step 2 scale-replicas (as okg-release): replicas 6" eval \
  '"$KUBECTL" --kubeconfig "$SA_KC" patch gss minecraft -n default --type merge \
     -p "$(cat "$E2E_TMP/scale-replicas.yaml")" >/dev/null && eq "$(jp gss/minecraft "{.spec.replicas}")" 6'

# --- step 3: check-pods-ready, the workflow's own bash, retried as retryStrategy does -----------------
e2e_check "step 3 check-pods-ready (as okg-release): 3 Ready pods on 1.12.2-new" wait_for 90 \
  env KUBECONFIG="$SA_KC" bash "$E2E_TMP/check-pods-ready.sh"
e2e_check "  ... new rooms run 1.12.2-new, old ones still 1.12.2" eval \
  'eq "$(pod_image minecraft-1) $(pod_image minecraft-3) $(pod_image minecraft-5)" "$OLD $NEW $NEW"'

# --- step 4: gs-update, `okg update` with the workflow's args, as okg-release --------------------------
run_okg step4 --kubeconfig "$SA_KC" "${UPDATE_CMD[@]:1}" "${UPDATE_ARGS[@]}"
e2e_check "step 4 gs-update: exit 0, one line per room changed and the summary" eval \
  'rc_is step4 0 && eq "$(cat "$E2E_TMP/step4.out")" "minecraft-1: opsState None -> WaitToBeDeleted
minecraft-2: opsState None -> WaitToBeDeleted
updated 2 of 2 selected GameServers (6 in set); 0 failed" && [ ! -s "$E2E_TMP/step4.err" ]'
e2e_check "the seed's final table: 0 Allocated, 1 and 2 WaitToBeDeleted, 3-5 None" wait_for 30 eval \
  'eq "$(table)" "$(cat "$TD/final-table.txt")"'
e2e_check "  ... with 0-2 on 1.12.2 and 3-5 on 1.12.2-new (okg get gs)" eval \
  '"$OKG" get gs -n default --gss minecraft >"$E2E_TMP/final.txt" &&
   eq "$(awk "NR > 1 { print \$1, \$3, \$6 }" "$E2E_TMP/final.txt")" "$(cat "$TD/final-images.txt")" &&
   head -1 "$E2E_TMP/final.txt" | grep -Eq "^NAME +STATE +OPSSTATE +DP +UP +IMAGE\(S\) +PROBES$"'
e2e_check "  ... and the set counts them: okg get gss shows WAITTOBEDELETED 2" wait_for 20 eval \
  '"$OKG" get gss minecraft -n default | awk "NR == 2 { print \$2, \$7, \$8 }" | grep -qx "6 2 OnDelete"'

# --- the CLI's contract ----------------------------------------------------------------------------------
run_okg again "${UPDATE_CMD[@]:1}" "${UPDATE_ARGS[@]}"
e2e_check "rerun: the selectors match nothing -> exit 4, one line" eval \
  'rc_is again 4 && err_line again "no GameServer of default/minecraft matches the selectors (6 in set)"'
run_okg again_ok "${UPDATE_CMD[@]:1}" "${UPDATE_ARGS[@]}" --allow-empty
e2e_check "  ... with --allow-empty: exit 0" eval \
  'rc_is again_ok 0 && grep -qx "updated 0 of 0 selected GameServers (6 in set); 0 failed" "$E2E_TMP/again_ok.out"'
run_okg noset update -n default --gss-name=lobby --exp-opsState=WaitToBeDeleted
e2e_check "unknown GameServerSet: exit 3, one line, nothing on stdout" eval \
  'rc_is noset 3 && err_line noset "GameServerSet \"lobby\" not found in namespace \"default\"" &&
   [ ! -s "$E2E_TMP/noset.out" ]'
run_okg badflag update -n default --gss-name=minecraft --exp-opsState=waittobedeleted
e2e_check "bad flag value: exit 2, one line naming the flag" eval \
  'rc_is badflag 2 && err_line badflag "--exp-opsState: unknown opsState \"waittobedeleted\" (did you mean WaitToBeDeleted?)"'
run_okg unknownflag update -n default --gss-name=minecraft --exp-opsState=None --select-not-image-of=x
e2e_check "unknown flag: exit 2, one line naming it" eval \
  'rc_is unknownflag 2 && err_line unknownflag "--select-not-image-of: unknown flag"'
RV3=$(jp gs/minecraft-3 '{.metadata.resourceVersion}')
run_okg dry update -n default --gss minecraft --select-ordinals=3,4 --set-opsState=Maintaining \
  --set-deletionPriority=5 --dry-run
e2e_check "--dry-run prints what would change and writes nothing" eval \
  'rc_is dry 0 && eq "$(cat "$E2E_TMP/dry.out")" "minecraft-3: opsState None -> Maintaining, deletionPriority 0 -> 5
minecraft-4: opsState None -> Maintaining, deletionPriority 0 -> 5
dry run: would update 2 of 2 selected GameServers (6 in set); nothing written" &&
   eq "$(jp gs/minecraft-3 "{.metadata.resourceVersion} {.spec.opsState}")" "$RV3 None"'
e2e_check "kubectl okg get gs works as a kubectl plugin (build/ on PATH)" eval \
  'PATH="$BUILD:$PATH" "$KUBECTL" okg get gs -n default --gss minecraft >"$E2E_TMP/plugin.txt" &&
   cmp -s "$E2E_TMP/plugin.txt" "$E2E_TMP/final.txt" &&
   PATH="$BUILD:$PATH" "$KUBECTL" plugin list 2>/dev/null | grep -q "/kubectl-okg$"'
e2e_check "kubectl okg get gs -o json: 6 servers, images and opsStates" eval \
  'PATH="$BUILD:$PATH" "$KUBECTL" okg get gs --gss minecraft -o json |
     jq -e "[.items[] | select(.opsState == \"WaitToBeDeleted\" and .images.minecraft == \"$OLD\")] | length == 2" >/dev/null'
e2e_check "kubectl okg --help names the plugin" eval \
  'PATH="$BUILD:$PATH" "$KUBECTL" okg --help | head -1 | grep -q "^usage: kubectl okg get gs"'

# Partial rights: may patch minecraft-3 only.
k apply -f "$TD/narrow-rbac.yaml" >/dev/null
NARROW_KC="$E2E_TMP/okg-narrow.kubeconfig"
wait_for 30 sa_kubeconfig okg-narrow "$NARROW_KC"
run_okg partial --kubeconfig "$NARROW_KC" update --gss minecraft --select-ids=3,4 \
  --set-deletionPriority=7
e2e_check "refused on one of two: exit 6; the changed and the unchanged are named" eval \
  'rc_is partial 6 && grep -qx "minecraft-3: deletionPriority 0 -> 7" "$E2E_TMP/partial.out" &&
   grep -q "^minecraft-4: not updated: .*forbidden" "$E2E_TMP/partial.out" &&
   err_line partial "partial failure: updated minecraft-3; not updated minecraft-4" &&
   eq "$(jp gs/minecraft-3 "{.spec.deletionPriority} {.spec.opsState}") $(jp gs/minecraft-4 "{.spec.deletionPriority}")" "7 None 0"'
run_okg refused --kubeconfig "$NARROW_KC" update --gss minecraft --select-ids=4 --set-deletionPriority=7
e2e_check "refused on all: exit 5, one line with the API server's message" eval \
  'rc_is refused 5 && err_line refused "nothing updated: minecraft-4: gameservers.game.kruise.io \"minecraft-4\" is forbidden: User \"system:serviceaccount:default:okg-narrow\" cannot patch resource \"gameservers\""'
sed -E "s#(server: https://127\.0\.0\.1:)[0-9]+#\\11#" "$KUBECONFIG" >"$E2E_TMP/dead.kubeconfig"
run_okg dead --kubeconfig "$E2E_TMP/dead.kubeconfig" get gs -n default
e2e_check "API server unreachable: exit 5, one line" eval \
  'rc_is dead 5 && err_line dead "127.0.0.1 port 1"'
run_okg badkc --kubeconfig "$E2E_TMP/nonexistent" get gs
e2e_check "missing kubeconfig: exit 2, one line naming --kubeconfig" eval \
  'rc_is badkc 2 && err_line badkc "okg: --kubeconfig: "'
e2e_check "the controller and the node simulator are still running" all_alive

e2e_finish
