#!/usr/bin/env bash
# Starts a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager and
# optionally kube-scheduler) on free loopback ports, with no Docker and no kubelet.
#
#   hack/kube-up.sh [--dir DIR] [--wait] [--scheduler]
#
#   --dir DIR     state directory (created; must be empty or an old stopped okg state dir).
#                 Default: a fresh mktemp -d ${TMPDIR:-/tmp}/okg-kube.XXXXXX
#   --wait        stay in the foreground until SIGINT/SIGTERM, then tear everything down
#   --scheduler   also run kube-scheduler (pods then need a Node to be scheduled to)
#
# Progress goes to stderr. Stdout: `export KUBECONFIG=...`, a hint line, and last the state
# directory path. Stop with hack/kube-down.sh STATE_DIR. See hack/lib-kube.sh for the layout.
#
# Environment: OKG_KUBE_OWN_SERVING_CERT=1 always serves the apiserver with a certificate from
# our own serving CA (otherwise only done if the apiserver's self-signed one does not verify);
# OKG_KUBE_KEEP_ON_FAILURE=1 keeps the state directory when startup fails; OKG_ETCD (default
# etcd from PATH, else /usr/bin/etcd).
set -euo pipefail

HACK_DIR=$(cd "$(dirname "$0")" && pwd -P)
export KUBE_LOG_PREFIX=kube-up
# shellcheck source-path=SCRIPTDIR source=lib-kube.sh
. "$HACK_DIR/lib-kube.sh"

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

DIR_ARG=""
WAIT=0
WITH_SCHED=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || { usage; kube_die "--dir needs an argument"; }; DIR_ARG=$2; shift 2 ;;
    --dir=*) DIR_ARG=${1#--dir=}; shift ;;
    --wait) WAIT=1; shift ;;
    --scheduler) WITH_SCHED=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage; kube_die "unknown argument: $1" ;;
  esac
done

for tool in openssl curl ss setsid shuf base64; do
  command -v "$tool" >/dev/null || kube_die "$tool not found (run hack/install-deps.sh)"
done
ETCD_BIN=${OKG_ETCD:-$(command -v etcd || echo /usr/bin/etcd)}
[ -x "$ETCD_BIN" ] || kube_die "etcd not found at $ETCD_BIN (Debian package etcd-server)"

T0=$(date +%s%N)
elapsed() { local t; t=$(($(date +%s%N) - T0)); printf '%d.%01d' $((t / 1000000000)) $((t / 100000000 % 10)); }

# --- binaries -------------------------------------------------------------------------------
BIN_DIR=$("$HACK_DIR/kube-build.sh" | tail -n 1) || kube_die "hack/kube-build.sh failed"
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [ -x "$BIN_DIR/$b" ] || kube_die "$b missing in '$BIN_DIR' (output of hack/kube-build.sh)"
done
KUBECTL="$BIN_DIR/kubectl"

# --- state directory ------------------------------------------------------------------------
umask 077
OWN_DIR=0
if [ -n "$DIR_ARG" ]; then
  mkdir -p "$DIR_ARG" || kube_die "cannot create $DIR_ARG"
  STATE=$(kube_canon_dir "$DIR_ARG")
  if [ -n "$(ls -A "$STATE")" ]; then
    kube_is_state_dir "$STATE" ||
      kube_die "$STATE is not empty and not an okg state directory; refusing to use it"
    for d in "${KUBE_DAEMONS[@]}"; do
      ! kube_pid_of "$STATE" "$d" >/dev/null ||
        kube_die "$d of $STATE is still running; run hack/kube-down.sh $STATE first"
    done
    kube_log "reusing stopped state directory $STATE (old contents removed)"
    find "$STATE" -mindepth 1 -delete
  fi
else
  STATE=$(mktemp -d "${TMPDIR:-/tmp}/okg-kube.XXXXXX") || kube_die "mktemp failed"
  STATE=$(kube_canon_dir "$STATE")
  OWN_DIR=1
fi
: >"$STATE/.okg-kube"
mkdir -p "$STATE/logs" "$STATE/pki"

TEARDOWN=1
SLEEP_PID=""
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$SLEEP_PID" ] || kill "$SLEEP_PID" 2>/dev/null || true
  if [ "$TEARDOWN" = 1 ]; then
    kube_log "stopping the cluster in $STATE"
    kube_stop_all "$STATE"
    if [ "$OWN_DIR" = 1 ] && { [ "$rc" = 0 ] || [ -z "${OKG_KUBE_KEEP_ON_FAILURE:-}" ]; }; then
      rm -rf "$STATE"
    else
      kube_log "state directory kept: $STATE"
    fi
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- credentials ----------------------------------------------------------------------------
ossl() {
  local err
  err=$(openssl "$@" 2>&1 >/dev/null) || { echo "$err" >&2; kube_die "openssl $1 failed"; }
}

# new_ca NAME CN: self-signed CA STATE/NAME.crt + NAME.key
new_ca() {
  ossl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$2" \
    -keyout "$STATE/$1.key" -out "$STATE/$1.crt" -config <(printf '%s\n' \
      '[req]' 'distinguished_name=dn' 'x509_extensions=ext' '[dn]' '[ext]' \
      'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' \
      'subjectKeyIdentifier=hash')
}
# new_cert NAME CA SUBJECT EXTENSION-LINES...: STATE/NAME.crt + NAME.key signed by STATE/CA.*
new_cert() {
  local name=$1 ca=$2 subj=$3
  shift 3
  ossl req -new -newkey rsa:2048 -nodes -subj "$subj" -keyout "$STATE/$name.key" \
    -out "$STATE/$name.csr"
  ossl x509 -req -sha256 -days 3650 -in "$STATE/$name.csr" -CA "$STATE/$ca.crt" \
    -CAkey "$STATE/$ca.key" -set_serial "0x$(openssl rand -hex 16)" -out "$STATE/$name.crt" \
    -extfile <(printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'authorityKeyIdentifier=keyid' "$@")
  rm -f "$STATE/$name.csr"
}
client_cert() { new_cert "$1" client-ca "/O=system:masters/CN=$2" 'extendedKeyUsage=clientAuth'; }

kube_log "generating credentials in $STATE"
ossl genrsa -out "$STATE/sa.key" 2048
new_ca client-ca okg-client-ca
client_cert admin okg-admin
client_cert controller-manager okg-controller-manager
client_cert scheduler okg-scheduler
TOKEN=$(openssl rand -hex 32)
printf '%s\n' "$TOKEN" >"$STATE/token"
printf '%s,okg-admin,okg-admin,system:masters\n' "$TOKEN" >"$STATE/tokens.csv"

# Our own serving CA + apiserver certificate (IP SAN 127.0.0.1, DNS localhost), used when the
# apiserver's self-signed certificate does not verify for https://127.0.0.1 (or when forced).
OWN_SERVING=0
make_serving_cert() {
  [ -f "$STATE/pki/serving-ca.crt" ] && return 0
  new_ca serving-ca okg-serving-ca
  new_cert apiserver-serving serving-ca /CN=okg-apiserver 'extendedKeyUsage=serverAuth' \
    'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
  mv "$STATE"/serving-ca.* "$STATE"/apiserver-serving.* "$STATE/pki/"
}
if [ -n "${OKG_KUBE_OWN_SERVING_CERT:-}" ]; then
  make_serving_cert
  OWN_SERVING=1
fi

# --- daemons --------------------------------------------------------------------------------
write_apiserver_cmd() {
  local tls=()
  if [ "$OWN_SERVING" = 1 ]; then
    tls=(--tls-cert-file="$STATE/pki/apiserver-serving.crt"
      --tls-private-key-file="$STATE/pki/apiserver-serving.key")
  fi
  kube_write_cmd "$STATE" apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" --insecure-port=0 \
    --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
    --cert-dir="$STATE/pki" "${tls[@]}" \
    --token-auth-file="$STATE/tokens.csv" --client-ca-file="$STATE/client-ca.crt" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$STATE/sa.key" --service-account-signing-key-file="$STATE/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true
}

# write_kubeconfig FILE USER-LINES...: kubeconfig for https://127.0.0.1:APISERVER_PORT trusting
# STATE/ca.crt; USER-LINES are the `user:` fields.
write_kubeconfig() {
  local f=$1 line
  shift
  {
    echo 'apiVersion: v1'
    echo 'kind: Config'
    echo 'clusters:'
    echo '- name: okg-local'
    echo '  cluster:'
    echo "    server: https://127.0.0.1:$APISERVER_PORT"
    echo "    certificate-authority-data: $(base64 -w0 "$STATE/ca.crt")"
    echo 'users:'
    echo '- name: okg-admin'
    echo '  user:'
    for line in "$@"; do echo "    $line"; done
    echo 'contexts:'
    echo '- name: okg-local'
    echo '  context:'
    echo '    cluster: okg-local'
    echo '    user: okg-admin'
    echo 'current-context: okg-local'
  } >"$f"
}
cert_kubeconfig() {
  write_kubeconfig "$1" "client-certificate-data: $(base64 -w0 "$STATE/$2.crt")" \
    "client-key-data: $(base64 -w0 "$STATE/$2.key")"
}

# Component whose log to show when startup fails.
FAILED=""

# start_apiserver: (re)start kube-apiserver and wait until it answers TLS at all.
start_apiserver() {
  local deadline
  FAILED=apiserver
  write_apiserver_cmd
  kube_start "$STATE" apiserver || return 1
  kube_wait_listen "$STATE" apiserver "$APISERVER_PORT" 60 || return $?
  deadline=$((SECONDS + 60))
  until curl -sk --max-time 2 -o /dev/null "https://127.0.0.1:$APISERVER_PORT/readyz"; do
    kube_pid_of "$STATE" apiserver >/dev/null || { kube_log "error: kube-apiserver exited"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { kube_log "error: kube-apiserver does not answer"; return 1; }
    sleep 0.3
  done
}

# attempt: one try at starting everything on freshly picked ports. Returns 2 on a port
# conflict (worth retrying with other ports), 1 on other failures.
attempt() {
  local ports deadline
  ports=$(kube_pick_ports 5) || return 1
  read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT CM_PORT SCHED_PORT <<<"$ports"
  printf '%s\n' "ETCD_PORT=$ETCD_PORT" "ETCD_PEER_PORT=$ETCD_PEER_PORT" \
    "APISERVER_PORT=$APISERVER_PORT" "CM_PORT=$CM_PORT" "SCHED_PORT=$SCHED_PORT" \
    "BIN_DIR=$(printf %q "$BIN_DIR")" >"$STATE/ports"
  rm -rf "$STATE/etcd" "$STATE"/logs/*.log

  FAILED=etcd
  kube_write_cmd "$STATE" etcd "$ETCD_BIN" --name=okg --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="okg=http://127.0.0.1:$ETCD_PEER_PORT"
  kube_start "$STATE" etcd || return 1
  kube_wait_listen "$STATE" etcd "$ETCD_PEER_PORT" 20 || return $?
  kube_wait_listen "$STATE" etcd "$ETCD_PORT" 20 || return $?
  deadline=$((SECONDS + 20))
  until curl -s --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; do
    [ "$SECONDS" -lt "$deadline" ] || { kube_log "error: etcd not healthy after 20s"; return 1; }
    sleep 0.2
  done
  kube_log "etcd up on 127.0.0.1:$ETCD_PORT ($(elapsed)s)"

  start_apiserver || return $?
  if [ "$OWN_SERVING" = 0 ]; then
    cp "$STATE/pki/apiserver.crt" "$STATE/ca.crt"
    if ! curl -s --max-time 5 -o /dev/null --cacert "$STATE/ca.crt" \
      "https://127.0.0.1:$APISERVER_PORT/readyz"; then
      kube_log "the apiserver's self-signed certificate does not verify for 127.0.0.1;" \
        "switching to a certificate from our own serving CA"
      make_serving_cert
      OWN_SERVING=1
      kube_stop "$STATE" apiserver
      start_apiserver || return $?
    fi
  fi
  [ "$OWN_SERVING" = 0 ] || cp "$STATE/pki/serving-ca.crt" "$STATE/ca.crt"
  curl -s --max-time 5 -o /dev/null --cacert "$STATE/ca.crt" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" ||
    { kube_log "error: TLS verification against $STATE/ca.crt fails"; return 1; }
  kube_wait_readyz "$STATE" 60 || return 1
  kube_log "kube-apiserver ready on https://127.0.0.1:$APISERVER_PORT ($(elapsed)s)"

  write_kubeconfig "$STATE/kubeconfig" "token: $TOKEN"
  cert_kubeconfig "$STATE/kubeconfig-cert" admin
  cert_kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager
  cert_kubeconfig "$STATE/scheduler.kubeconfig" scheduler

  FAILED=controller-manager
  local cm_kc="$STATE/controller-manager.kubeconfig"
  kube_write_cmd "$STATE" controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig="$cm_kc" --authentication-kubeconfig="$cm_kc" --authorization-kubeconfig="$cm_kc" \
    --service-account-private-key-file="$STATE/sa.key" --root-ca-file="$STATE/ca.crt" \
    --bind-address=127.0.0.1 --secure-port="$CM_PORT" --port=0 \
    --cert-dir="$STATE/pki/controller-manager" --leader-elect=false \
    '--controllers=*,-nodelifecycle,-nodeipam,-route,-service,-cloud-node-lifecycle,-persistentvolume-binder,-attachdetach'
  kube_start "$STATE" controller-manager || return 1
  kube_wait_listen "$STATE" controller-manager "$CM_PORT" 30 || return $?

  if [ "$WITH_SCHED" = 1 ]; then
    FAILED=scheduler
    local s_kc="$STATE/scheduler.kubeconfig"
    kube_write_cmd "$STATE" scheduler "$BIN_DIR/kube-scheduler" \
      --kubeconfig="$s_kc" --authentication-kubeconfig="$s_kc" --authorization-kubeconfig="$s_kc" \
      --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --port=0 \
      --cert-dir="$STATE/pki/scheduler" --leader-elect=false
    kube_start "$STATE" scheduler || return 1
    kube_wait_listen "$STATE" scheduler "$SCHED_PORT" 30 || return $?
  fi

  # Pods are refused until the default ServiceAccount has a token (minted by the
  # controller-manager), so wait for it.
  FAILED=controller-manager
  deadline=$((SECONDS + 60))
  until [ -n "$("$KUBECTL" --kubeconfig "$STATE/kubeconfig" -n default get serviceaccount default \
    -o 'jsonpath={.secrets[0].name}' 2>/dev/null)" ]; do
    kube_pid_of "$STATE" controller-manager >/dev/null ||
      { kube_log "error: kube-controller-manager exited"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] ||
      { kube_log "error: no token for ServiceAccount default/default after 60s"; return 1; }
    sleep 0.3
  done
  return 0
}

kube_log "starting etcd, kube-apiserver, kube-controller-manager$([ "$WITH_SCHED" = 0 ] || echo ', kube-scheduler')"
for try in 1 2 3; do
  rc=0
  attempt || rc=$?
  [ "$rc" != 0 ] || break
  if [ "$rc" = 2 ] && [ "$try" -lt 3 ]; then
    kube_log "port conflict (another cluster starting?); retrying with other ports"
    kube_stop_all "$STATE"
    continue
  fi
  kube_tail_log "$STATE" "$FAILED"
  kube_die "startup failed (try $try)"
done

# --- done -----------------------------------------------------------------------------------
{
  printf 'export KUBECONFIG=%q\n' "$STATE/kubeconfig"
  printf 'export OKG_KUBE_DIR=%q\n' "$STATE"
  printf 'export OKG_KUBE_BIN=%q\n' "$BIN_DIR"
  # shellcheck disable=SC2016  # $PATH is expanded when env is sourced.
  printf 'export PATH=%q:"$PATH"\n' "$BIN_DIR"
  printf 'export OKG_KUBE_SERVER=%q\n' "https://127.0.0.1:$APISERVER_PORT"
  printf 'export OKG_KUBE_CA=%q\n' "$STATE/ca.crt"
  printf 'export OKG_KUBE_TOKEN_FILE=%q\n' "$STATE/token"
} >"$STATE/env"

kube_log "cluster up in $(elapsed)s: https://127.0.0.1:$APISERVER_PORT, state in $STATE"
printf 'export KUBECONFIG=%q\n' "$STATE/kubeconfig"
printf '# source %q/env to use it; stop it with: %q %q\n' "$STATE" "$HACK_DIR/kube-down.sh" "$STATE"
echo "$STATE"

if [ "$WAIT" = 1 ]; then
  kube_log "running in the foreground; Ctrl-C (SIGINT) or SIGTERM stops the cluster"
  while :; do
    sleep 3600 &
    SLEEP_PID=$!
    wait "$SLEEP_PID" || true
    SLEEP_PID=""
  done
fi
TEARDOWN=0
