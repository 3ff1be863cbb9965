#!/usr/bin/env bash
# okg-certs, the manifests and okg-webhook on a real kube-apiserver: kustomize and server-side
# dry runs of both entry points, least-privilege RBAC, the seed examples, okg-certs creating and
# keeping the Secret and caBundles (idempotent, race-safe), then okg-webhook on loopback behind
# the registered configurations: every seed GameServerSet admitted, bad ones refused with field
# paths, dry runs, pod mutation, failure policies, and certificate rotation under load.
# Checks are strings run by eval, so shellcheck cannot see the variables they use.
# shellcheck disable=SC2034,SC2016
. "$(dirname "$0")/lib.sh"
# shellcheck source=../../hack/lib-kube.sh
. "$E2E_ROOT/hack/lib-kube.sh"

TD="$E2E_ROOT/test/e2e/testdata/webhook"
MF="$E2E_ROOT/manifests"
CERTS_BIN="$BUILD/okg-certs"
WEBHOOK_BIN="$BUILD/okg-webhook"
CERT_DIR="$E2E_TMP/certs"

e2e_cluster_up
k apply -f "$MF/crd/" >/dev/null
e2e_check "the CRDs are established" wait_for 30 eval \
  'k wait --for=condition=Established --timeout=5s crd/gameserversets.game.kruise.io crd/gameservers.game.kruise.io'

# --- manifests ----------------------------------------------------------------------------------
# drop_docs AWK-REGEX: drops every document of a YAML stream whose text matches the regex.
drop_docs() {
  awk -v re="$1" 'function out() { if (doc != "" && doc !~ re) printf "%s---\n", doc; doc = "" }
    /^---$/ { out(); next } { doc = doc $0 "\n" } END { out() }'
}
# This API server may predate policy/v1 (1.21): check the PDB as policy/v1beta1 then.
pdb_compat() {
  if k api-versions | grep -qx policy/v1; then cat; else sed 's#^apiVersion: policy/v1$#apiVersion: policy/v1beta1#'; fi
}
# A server-side dry run does not create the namespace, so the namespaced objects need it first.
k apply -f "$MF/base/namespace.yaml" >/dev/null
for entry in default cert-manager certs-renewer; do
  e2e_check "kubectl kustomize manifests/$entry (kubectl $("$KUBECTL" version --client --short 2>/dev/null | awk '{print $3}'))" \
    eval 'k kustomize "$MF/$entry" >"$E2E_TMP/$entry.yaml" && [ "$(grep -c "^kind:" "$E2E_TMP/$entry.yaml")" -ge 15 ]'
done
e2e_check "manifests/default: every object passes a server-side dry run" eval \
  'pdb_compat <"$E2E_TMP/default.yaml" | k apply --dry-run=server -f - >"$E2E_TMP/dry-default.log" 2>&1 ||
     { cat "$E2E_TMP/dry-default.log" >&2; false; }'
e2e_check "manifests/certs-renewer: every object passes a server-side dry run" eval \
  'pdb_compat <"$E2E_TMP/certs-renewer.yaml" | k apply --dry-run=server -f - >"$E2E_TMP/dry-renew.log" 2>&1 ||
     { cat "$E2E_TMP/dry-renew.log" >&2; false; }'
e2e_check "manifests/cert-manager: every object but cert-manager's own passes a server-side dry run" eval \
  'pdb_compat <"$E2E_TMP/cert-manager.yaml" | drop_docs "apiVersion: cert-manager.io/" |
     k apply --dry-run=server -f - >"$E2E_TMP/dry-cm.log" 2>&1 || { cat "$E2E_TMP/dry-cm.log" >&2; false; }'
e2e_check "manifests/cert-manager: Issuers, Certificates and inject-ca-from on both configurations" eval \
  '[ "$(grep -c "^kind: Certificate$" "$E2E_TMP/cert-manager.yaml")" = 2 ] &&
   [ "$(grep -c "^kind: Issuer$" "$E2E_TMP/cert-manager.yaml")" = 2 ] &&
   [ "$(grep -c "cert-manager.io/inject-ca-from: okg-system/okg-webhook-serving" "$E2E_TMP/cert-manager.yaml")" = 2 ] &&
   grep -q "secretName: okg-webhook-certs" "$E2E_TMP/cert-manager.yaml"'
e2e_check "webhook configurations: Fail for GameServerSets, Ignore for pods, short timeouts, v1 reviews" eval \
  'f=$E2E_TMP/default.yaml
   grep -q "failurePolicy: Fail" "$f" && grep -q "failurePolicy: Ignore" "$f" &&
   grep -q "timeoutSeconds: 5" "$f" && grep -q "timeoutSeconds: 3" "$f" &&
   [ "$(grep -c "sideEffects: None" "$f")" = 2 ] && grep -q "reinvocationPolicy: IfNeeded" "$f" &&
   grep -q "key: game.kruise.io/owner-gss" "$f"'

if SEED_OUT=$("$E2E_ROOT/hack/seed-examples.sh" --check 2>&1); then
  e2e_check "manifests/examples matches the seed documents (hack/seed-examples.sh --check)" true
elif [ $? -eq 2 ]; then
  e2e_log "seed documents not found: examples freshness not checked ($SEED_OUT)"
else
  printf '%s\n' "$SEED_OUT" >&2
  e2e_check "manifests/examples matches the seed documents (hack/seed-examples.sh --check)" false
fi

# Namespace and RBAC for real (no workloads: there is no kubelet here).
k apply -f "$MF/base/namespace.yaml" -f "$MF/base/webhook-rbac.yaml" \
  -f "$MF/base/controller-rbac.yaml" -f "$MF/default/certs-rbac.yaml" >/dev/null
can() { k auth can-i "$@" >/dev/null 2>&1; }
SA=system:serviceaccount:okg-system
e2e_check "RBAC: okg-webhook may do nothing at all" eval \
  '! can get pods --as=$SA:okg-webhook && ! can get secrets -n okg-system --as=$SA:okg-webhook &&
   ! can get gameserversets.game.kruise.io --as=$SA:okg-webhook &&
   ! can create tokenreviews.authentication.k8s.io --as=$SA:okg-webhook'
e2e_check "RBAC: okg-certs may write its Secret and patch okg's configurations, nothing more" eval \
  'can get secrets/okg-webhook-certs -n okg-system --as=$SA:okg-certs &&
   can update secrets/okg-webhook-certs -n okg-system --as=$SA:okg-certs &&
   can create secrets -n okg-system --as=$SA:okg-certs &&
   ! can get secrets/other -n okg-system --as=$SA:okg-certs && ! can list secrets -n okg-system --as=$SA:okg-certs &&
   ! can get secrets/okg-webhook-certs -n default --as=$SA:okg-certs &&
   can update validatingwebhookconfigurations/okg-validating-webhook --as=$SA:okg-certs &&
   can patch mutatingwebhookconfigurations/okg-mutating-webhook --as=$SA:okg-certs &&
   ! can update validatingwebhookconfigurations/someone-else --as=$SA:okg-certs &&
   ! can delete validatingwebhookconfigurations/okg-validating-webhook --as=$SA:okg-certs'
e2e_check "RBAC: okg-controller manages sets, servers and pods, and only its own Lease" eval \
  'can update gameserversets.game.kruise.io --subresource=status --as=$SA:okg-controller &&
   can create gameservers.game.kruise.io -n default --as=$SA:okg-controller &&
   can patch gameservers.game.kruise.io --subresource=status --as=$SA:okg-controller &&
   can delete pods -n default --as=$SA:okg-controller && can create events --as=$SA:okg-controller &&
   can update leases.coordination.k8s.io/okg-controller -n okg-system --as=$SA:okg-controller &&
   ! can update leases.coordination.k8s.io/other -n okg-system --as=$SA:okg-controller &&
   ! can get secrets -n okg-system --as=$SA:okg-controller && ! can create gameserversets.game.kruise.io --as=$SA:okg-controller &&
   ! can list nodes --as=$SA:okg-controller'

# A kubeconfig with the okg-certs ServiceAccount's token: okg-certs runs under its own RBAC.
SA_SECRET=""
wait_for 30 eval 'SA_SECRET=$(k -n okg-system get sa okg-certs -o "jsonpath={.secrets[0].name}"); [ -n "$SA_SECRET" ]'
SA_SECRET=$(k -n okg-system get sa okg-certs -o 'jsonpath={.secrets[0].name}' 2>/dev/null)
CERTS_KC="$E2E_TMP/okg-certs.kubeconfig"
cp "$KUBECONFIG" "$CERTS_KC"
if [ -n "$SA_SECRET" ]; then
  TOKEN=$(k -n okg-system get secret "$SA_SECRET" -o 'jsonpath={.data.token}' | base64 -d)
else
  TOKEN=$(k -n okg-system create token okg-certs 2>/dev/null)
fi
KUBECONFIG="$CERTS_KC" "$KUBECTL" config set-credentials okg-admin --token="$TOKEN" >/dev/null

# --- okg-certs ------------------------------------------------------------------------------------
certs() { "$CERTS_BIN" --kubeconfig "$CERTS_KC" --ip 127.0.0.1 --out-dir "$CERT_DIR" "$@"; }
secret_rv() { k -n okg-system get secret okg-webhook-certs -o 'jsonpath={.metadata.resourceVersion}'; }
secret_key() { k -n okg-system get secret okg-webhook-certs -o "jsonpath={.data.${1//./\\.}}" | base64 -d; }
ca_bundle() { jp "$1" '{.webhooks[0].clientConfig.caBundle}' | base64 -d; }
served_serial() {
  openssl s_client -connect "127.0.0.1:$PORT" -servername 127.0.0.1 </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}

certs --once >"$E2E_TMP/certs1.log" 2>&1
RC=$?
e2e_check "okg-certs (as ServiceAccount okg-certs) creates the Secret; configurations missing -> exit 3" eval \
  '[ "$RC" = 3 ] && eq "$(k -n okg-system get secret okg-webhook-certs -o "jsonpath={.type}")" kubernetes.io/tls &&
   grep -q "event=secret_created" "$E2E_TMP/certs1.log" && grep -q "event=config_missing" "$E2E_TMP/certs1.log"'
e2e_check "  ... the Secret holds tls.crt, tls.key, ca.crt and ca.key; the leaf chains to the CA" eval \
  'secret_key tls.crt >"$E2E_TMP/s.crt" && secret_key ca.crt >"$E2E_TMP/s-ca.crt" &&
   [ -n "$(secret_key ca.key)" ] && [ -n "$(secret_key tls.key)" ] &&
   openssl verify -CAfile "$E2E_TMP/s-ca.crt" "$E2E_TMP/s.crt" >/dev/null'
e2e_check "  ... SANs: the Service names and 127.0.0.1" eval \
  'sans=$(openssl x509 -in "$E2E_TMP/s.crt" -noout -ext subjectAltName)
   (for n in okg-webhook okg-webhook.okg-system okg-webhook.okg-system.svc okg-webhook.okg-system.svc.cluster.local; do
     grep -q "DNS:$n\(,\|$\)" <<<"$sans" || exit 1; done) && grep -q "IP Address:127.0.0.1" <<<"$sans"'
e2e_check "  ... --out-dir holds the same files, tls.key mode 0600, no ca.key" eval \
  'cmp -s "$CERT_DIR/tls.crt" "$E2E_TMP/s.crt" && cmp -s "$CERT_DIR/ca.crt" "$E2E_TMP/s-ca.crt" &&
   [ "$(stat -c %a "$CERT_DIR/tls.key")" = 600 ] && [ ! -e "$CERT_DIR/ca.key" ]'

PORT=$(kube_pick_ports 1)
sed "s/@PORT@/$PORT/g" "$TD/configurations.yaml" >"$E2E_TMP/configurations.yaml"
k apply -f "$E2E_TMP/configurations.yaml" >/dev/null
certs --once >"$E2E_TMP/certs2.log" 2>&1
RC=$?
e2e_check "okg-certs then sets caBundle in both configurations (exit 0)" eval \
  '[ "$RC" = 0 ] && [ "$(grep -c "event=cabundle_patched" "$E2E_TMP/certs2.log")" = 2 ] &&
   [ "$(ca_bundle validatingwebhookconfiguration/okg-validating-webhook)" = "$(cat "$CERT_DIR/ca.crt")" ] &&
   [ "$(ca_bundle mutatingwebhookconfiguration/okg-mutating-webhook)" = "$(cat "$CERT_DIR/ca.crt")" ]'
k apply -f "$E2E_TMP/configurations.yaml" >/dev/null
e2e_check "re-applying the configurations keeps the caBundle okg-certs set" eval \
  '[ "$(ca_bundle validatingwebhookconfiguration/okg-validating-webhook)" = "$(cat "$CERT_DIR/ca.crt")" ] &&
   [ "$(ca_bundle mutatingwebhookconfiguration/okg-mutating-webhook)" = "$(cat "$CERT_DIR/ca.crt")" ]'
RV1=$(secret_rv)
VRV1=$(jp validatingwebhookconfiguration/okg-validating-webhook '{.metadata.resourceVersion}')
SERIAL1=$(openssl x509 -in "$CERT_DIR/tls.crt" -noout -serial)
MTIME1=$(stat -c %Y.%i "$CERT_DIR/tls.crt")
certs --once >"$E2E_TMP/certs3.log" 2>&1
RC=$?
e2e_check "a second run changes nothing: same Secret and configuration resourceVersions, same files" eval \
  '[ "$RC" = 0 ] && eq "$(secret_rv)" "$RV1" &&
   eq "$(jp validatingwebhookconfiguration/okg-validating-webhook "{.metadata.resourceVersion}")" "$VRV1" &&
   eq "$(stat -c %Y.%i "$CERT_DIR/tls.crt")" "$MTIME1" &&
   grep -q "event=secret_unchanged" "$E2E_TMP/certs3.log" && ! grep -q "event=cabundle_patched" "$E2E_TMP/certs3.log"'
e2e_check "errors are one line naming the object and the API server's message (no RBAC for another Secret)" eval \
  '! "$CERTS_BIN" --kubeconfig "$CERTS_KC" --secret other --once >"$E2E_TMP/certs-forbidden.log" 2>&1 &&
   grep "level=error" "$E2E_TMP/certs-forbidden.log" | grep -q "object=secret/okg-system/other status=403 .*message=\".*forbidden"'
"$CERTS_BIN" --bogus >/dev/null 2>&1
RC=$?
e2e_check "bad flags exit 2" eval '[ "$RC" = 2 ]'

# Replicas racing end with one CA: four at once on a new Secret (create races), then four at
# once on a Secret without its CA key (update races: each wants a new CA; one wins).
race() { # TAG: runs four okg-certs at once; true when all succeed and report one serial
  local i pids=() rc=0 serials
  for i in 1 2 3 4; do
    "$CERTS_BIN" --secret okg-race --validating-config "" --mutating-config "" --once \
      >"$E2E_TMP/race-$1-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  serials=$(sed -n "s/.*event=done.* serial=\([0-9A-F]*\).*/\1/p" "$E2E_TMP"/race-"$1"-*.log | sort -u)
  [ "$rc" = 0 ] && [ -n "$serials" ] && [ "$(wc -l <<<"$serials")" = 1 ]
}
race_cas() { k -n okg-system get secret okg-race -o 'jsonpath={.data.ca\.crt}' | base64 -d | grep -c BEGIN; }
e2e_check "four okg-certs racing to create a Secret all succeed and agree on one certificate" eval \
  'race create && [ "$(race_cas)" = 1 ]'
k -n okg-system patch secret okg-race --type=json -p '[{"op":"remove","path":"/data/ca.key"}]' >/dev/null
e2e_check "four racing to replace a CA: one new CA (bundle: old + one new), one certificate" eval \
  'race update && [ "$(race_cas)" = 2 ]'
e2e_log "write conflicts met and retried in the races: $(cat "$E2E_TMP"/race-*.log | grep -c "event=conflict")"

# --loop: a renewer notices a Secret whose serving certificate broke; SIGTERM ends it with 0.
e2e_bg loop "$CERTS_BIN" --secret okg-race --validating-config "" --mutating-config "" --loop 1s
LOOP_PID=$E2E_LAST_PID
wait_for 10 grep -q "event=done" "$E2E_TMP/loop.log"
# (a kubernetes.io/tls Secret cannot lose tls.crt: put the CA certificate there instead)
RACE_CA=$(k -n okg-system get secret okg-race -o 'jsonpath={.data.ca\.crt}')
k -n okg-system patch secret okg-race --type=json \
  -p "[{\"op\":\"replace\",\"path\":\"/data/tls.crt\",\"value\":\"$RACE_CA\"}]" >/dev/null
e2e_check "okg-certs --loop replaces a broken serving certificate in the Secret" \
  wait_for 15 eval '[ "$(k -n okg-system get secret okg-race -o "jsonpath={.data.tls\.crt}")" != "$RACE_CA" ] &&
    grep -q "action=new-leaf" "$E2E_TMP/loop.log"'
kill -TERM "$LOOP_PID"
wait "$LOOP_PID"
RC=$?
e2e_check "  ... and exits 0 on SIGTERM" eval '[ "$RC" = 0 ]'

# --- okg-webhook ------------------------------------------------------------------------------------
if [ ! -x "$WEBHOOK_BIN" ]; then
  e2e_log "build/okg-webhook is not built yet: the webhook checks are skipped"
  e2e_finish
  exit $?
fi

start_webhook() {
  e2e_bg "webhook$1" "$WEBHOOK_BIN" --listen "127.0.0.1:$PORT" --cert-dir "$CERT_DIR" \
    --probe-image okg:latest
  WEBHOOK_PID=$E2E_LAST_PID
  wait_for 20 curl -sf --max-time 2 --cacert "$CERT_DIR/ca.crt" "https://127.0.0.1:$PORT/readyz"
}
e2e_check "okg-webhook serves the okg-certs certificate and turns ready" start_webhook 1
e2e_check "  ... the served certificate is the one okg-certs wrote" eval \
  'eq "serial=$(served_serial)" "$SERIAL1"'

# Every GameServerSet example of the seeds is admitted (each applied, checked, deleted again:
# several share a name).
k create namespace sidecar >/dev/null 2>&1
n_examples=0
for f in "$MF"/examples/*.yaml; do
  grep -q '^kind: GameServerSet$' "$f" || continue
  n_examples=$((n_examples + 1))
  ex=$(basename "$f")
  e2e_check "seed example $ex is admitted" eval \
    'k apply -f "$f" >"$E2E_TMP/ex.log" 2>&1 || { cat "$E2E_TMP/ex.log" >&2; false; }'
  k delete -f "$f" --wait=true >/dev/null 2>&1
done
e2e_check "  ... that was every GameServerSet example (at least 8)" eval '[ "$n_examples" -ge 8 ]'

# Bad GameServerSets are refused, with the field paths in kubectl's output.
refused() { # FILE PATH...: apply fails and the output names every PATH
  local f=$1 out; shift
  if out=$(k apply -f "$f" 2>&1); then echo "#   admitted: $f" >&2; return 1; fi
  for p in "$@"; do
    grep -qF -- "$p" <<<"$out" || { echo "#   no [$p] in: $out" >&2; return 1; }
  done
}
e2e_check "bad reserveGameServerIds refused: spec.reserveGameServerIds[1] (and [2], [3])" \
  refused "$TD/bad-reserve-ids.yaml" 'spec.reserveGameServerIds[1]' 'spec.reserveGameServerIds[2]' \
  'spec.reserveGameServerIds[3]'
e2e_check "bad service quality name refused: spec.serviceQualities[0].name" \
  refused "$TD/bad-quality-name.yaml" 'spec.serviceQualities[0].name'
e2e_check "several errors are reported at once" \
  refused "$TD/bad-many.yaml" 'spec.scaleStrategy.scaleDownStrategyType' \
  'spec.serviceQualities[0].containerName' 'spec.serviceQualities[1].name' \
  'spec.serviceQualities[2].httpGet.host'
e2e_check "kubectl apply --dry-run=server of a bad one is refused the same way" eval \
  '! out=$(k apply --dry-run=server -f "$TD/bad-reserve-ids.yaml" 2>&1) &&
   grep -qF "spec.reserveGameServerIds[1]" <<<"$out"'
e2e_check "  ... and nothing was created" eval \
  '! k get gss bad-reserve-ids bad-quality-name bad-many >/dev/null 2>&1 &&
   [ -z "$(k get gss -o name 2>/dev/null)" ]'

# Pod mutation.
k apply -f "$TD/pods.yaml" >/dev/null 2>&1
ctr_names() { jp "pod/$1" '{.spec.containers[*].name}'; }
e2e_check "a pod of a set with probes gets the okg-probe container and shareProcessNamespace" eval \
  'grep -qw okg-probe <<<"$(ctr_names probed)" && eq "$(jp pod/probed "{.spec.shareProcessNamespace}")" true'
e2e_check "  ... injected once, after the game container" eval \
  '[ "$(ctr_names probed | tr " " "\n" | grep -cx okg-probe)" = 1 ] &&
   eq "$(jp pod/probed "{.spec.containers[0].name}")" game'
e2e_check "a pod with the owner label but no probes, and a pod without the label, are untouched" eval \
  'eq "$(ctr_names owned-no-probes)" game && eq "$(ctr_names plain)" game &&
   [ -z "$(jp pod/plain "{.spec.shareProcessNamespace}")" ]'

# Rotation under load: requests straight to the webhook (a new TLS connection each, trusting
# the CA file) and through the API server (trusting the caBundle) while the serving certificate,
# then the CA, are replaced.
load_direct() { # SECONDS RESULT-FILE
  local end=$(($(date +%s) + $1)) ok=0 fail=0 body
  while [ "$(date +%s)" -lt "$end" ]; do
    if body=$(curl -sS --max-time 5 --cacert "$CERT_DIR/ca.crt" -H 'Content-Type: application/json' \
      --data-binary @"$TD/review-gss.json" "https://127.0.0.1:$PORT/validate-v1alpha1-gss" 2>&1) &&
      grep -q '"allowed": *true' <<<"$body"; then
      ok=$((ok + 1))
    else
      fail=$((fail + 1)); echo "direct failure: $body" >&2
    fi
  done
  echo "$ok $fail" >"$2"
}
load_apiserver() { # SECONDS RESULT-FILE
  local end=$(($(date +%s) + $1)) ok=0 fail=0 out
  while [ "$(date +%s)" -lt "$end" ]; do
    if out=$(k apply --dry-run=server -f "$TD/gss-load.yaml" 2>&1); then
      ok=$((ok + 1))
    else
      fail=$((fail + 1)); echo "apiserver failure: $out" >&2
    fi
  done
  echo "$ok $fail" >"$2"
}
SERIAL_A=$(served_serial)
load_direct 20 "$E2E_TMP/load-direct" 2>"$E2E_TMP/load-direct.err" &
LD=$!
load_apiserver 20 "$E2E_TMP/load-api" 2>"$E2E_TMP/load-api.err" &
LA=$!
sleep 4
# renew-before longer than the leaf's lifetime: the leaf is due, a new one comes from the same CA.
certs --once --renew-before 9000 >"$E2E_TMP/rotate-leaf.log" 2>&1
RC_LEAF=$?
wait_for 10 eval '[ "$(served_serial)" != "$SERIAL_A" ]'
SERIAL_B=$(served_serial)
sleep 4
# No CA key in the Secret: a new CA; the caBundle holds old and new during the overlap.
k -n okg-system patch secret okg-webhook-certs --type=json \
  -p '[{"op":"remove","path":"/data/ca.key"}]' >/dev/null
certs --once >"$E2E_TMP/rotate-ca.log" 2>&1
RC_CA=$?
wait_for 10 eval '[ "$(served_serial)" != "$SERIAL_B" ]'
SERIAL_C=$(served_serial)
wait "$LD" "$LA"
read -r D_OK D_FAIL <"$E2E_TMP/load-direct"
read -r A_OK A_FAIL <"$E2E_TMP/load-api"
e2e_log "rotation under load: direct $D_OK ok / $D_FAIL failed, through the API server $A_OK ok / $A_FAIL failed"
e2e_check "rotation: okg-certs re-issued the leaf, then made a new CA (both exit 0)" eval \
  '[ "$RC_LEAF" = 0 ] && grep -q "action=new-leaf" "$E2E_TMP/rotate-leaf.log" &&
   [ "$RC_CA" = 0 ] && grep -q "action=new-ca" "$E2E_TMP/rotate-ca.log"'
e2e_check "  ... the served certificate changed each time (serials $SERIAL_A -> $SERIAL_B -> $SERIAL_C)" eval \
  '[ -n "$SERIAL_A" ] && [ -n "$SERIAL_B" ] && [ -n "$SERIAL_C" ] &&
   [ "$SERIAL_A" != "$SERIAL_B" ] && [ "$SERIAL_B" != "$SERIAL_C" ]'
e2e_check "  ... caBundle holds the old and the new CA; the Secret's ca.crt is the same bundle" eval \
  '[ "$(ca_bundle validatingwebhookconfiguration/okg-validating-webhook | grep -c BEGIN)" = 2 ] &&
   [ "$(ca_bundle mutatingwebhookconfiguration/okg-mutating-webhook)" = "$(secret_key ca.crt)" ]'
e2e_check "  ... zero failed requests, direct and through the API server" eval \
  '[ "$D_FAIL" = 0 ] && [ "$A_FAIL" = 0 ] && [ "$D_OK" -ge 20 ] && [ "$A_OK" -ge 5 ]'

# failurePolicy: with the webhook process stopped, pods are still created (Ignore) and
# GameServerSets are refused (Fail).
kill "$WEBHOOK_PID"
wait "$WEBHOOK_PID" 2>/dev/null
e2e_check "webhook stopped: a labelled pod is still created (failurePolicy Ignore), without helper" eval \
  'sed "s/name: probed/name: down-pod/" "$TD/pods.yaml" | drop_docs "name: (owned-no-probes|plain)" |
     k apply -f - >/dev/null 2>&1 && eq "$(ctr_names down-pod)" game'
e2e_check "webhook stopped: a GameServerSet is refused (failurePolicy Fail)" eval \
  '! out=$(k apply -f "$TD/gss-load.yaml" 2>&1) && grep -q "failed calling webhook" <<<"$out" &&
   ! k get gss e2e-load >/dev/null 2>&1'
e2e_check "webhook restarted: GameServerSets are admitted again" eval \
  'start_webhook 2 && k apply -f "$TD/gss-load.yaml" >/dev/null'

e2e_finish
