#!/usr/bin/env bash
# Restarts only the kube-apiserver of a local control plane started by hack/kube-up.sh, with
# its saved command line (STATE_DIR/run-apiserver.sh), on the same port, and waits for /readyz.
#
#   hack/kube-apiserver-restart.sh STATE_DIR [DOWN_SECONDS]
#
# DOWN_SECONDS (default 0, fractions allowed) is how long the apiserver stays down.
# kube-apiserver 1.20 stops listening at once on SIGTERM but then keeps open watches going for
# up to its --request-timeout (60 s); it gets OKG_KUBE_STOP_GRACE seconds (default 3) to finish,
# then SIGKILL, which resets the remaining connections.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "$0")" && pwd -P)
export KUBE_LOG_PREFIX=kube-apiserver-restart
# shellcheck source-path=SCRIPTDIR source=lib-kube.sh
. "$HACK_DIR/lib-kube.sh"

usage() { echo "usage: $0 STATE_DIR [DOWN_SECONDS]" >&2; }

case "${1:-}" in
  "") usage; exit 2 ;;
  -h | --help) usage; exit 0 ;;
esac
[ $# -le 2 ] || { usage; exit 2; }
DOWN=${2:-0}
[[ "$DOWN" =~ ^[0-9]+(\.[0-9]+)?$ ]] || kube_die "DOWN_SECONDS must be a number, got '$DOWN'"
[ -d "$1" ] || kube_die "$1 is not a directory"
STATE=$(kube_canon_dir "$1")
kube_is_state_dir "$STATE" || kube_die "$STATE is not an okg state directory"
{ [ -f "$STATE/ports" ] && [ -x "$STATE/run-apiserver.sh" ]; } ||
  kube_die "$STATE has no saved apiserver command (ports, run-apiserver.sh)"
# shellcheck source=/dev/null
. "$STATE/ports"
kube_pid_of "$STATE" etcd >/dev/null || kube_die "etcd of $STATE is not running"

start=$(date +%s%N)
kube_log "stopping kube-apiserver on port $APISERVER_PORT"
kube_stop "$STATE" apiserver "${OKG_KUBE_STOP_GRACE:-3}"
sleep "$DOWN"
if kube_port_listening "$APISERVER_PORT"; then
  kube_die "port $APISERVER_PORT was taken by another process while kube-apiserver was down"
fi
kube_log "starting kube-apiserver again"
kube_start "$STATE" apiserver || kube_die "cannot start kube-apiserver"
if ! kube_wait_listen "$STATE" apiserver "$APISERVER_PORT" 60 || ! kube_wait_readyz "$STATE" 60; then
  kube_tail_log "$STATE" apiserver
  kube_die "kube-apiserver did not come back"
fi
t=$(($(date +%s%N) - start))
kube_log "kube-apiserver ready again after $((t / 1000000)) ms (down ${DOWN}s)"
