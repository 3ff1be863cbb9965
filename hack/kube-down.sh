#!/usr/bin/env bash
# Stops a local control plane started by hack/kube-up.sh and removes its state directory.
#
#   hack/kube-down.sh STATE_DIR [--keep]
#
# Sends SIGTERM to every daemon with a pid file in STATE_DIR (waits up to 10 s, then SIGKILL),
# but only to processes whose command line mentions STATE_DIR. Then removes STATE_DIR unless
# --keep. Idempotent: a missing directory or already dead daemons are fine.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "$0")" && pwd -P)
export KUBE_LOG_PREFIX=kube-down
# shellcheck source-path=SCRIPTDIR source=lib-kube.sh
. "$HACK_DIR/lib-kube.sh"

usage() { echo "usage: $0 STATE_DIR [--keep]" >&2; }

STATE_ARG=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage; kube_die "unknown option: $1" ;;
    *) [ -z "$STATE_ARG" ] || { usage; kube_die "more than one state directory given"; }; STATE_ARG=$1 ;;
  esac
  shift
done
[ -n "$STATE_ARG" ] || { usage; exit 2; }

if [ ! -e "$STATE_ARG" ]; then
  kube_log "$STATE_ARG does not exist; nothing to do"
  exit 0
fi
[ -d "$STATE_ARG" ] || kube_die "$STATE_ARG is not a directory"
STATE=$(kube_canon_dir "$STATE_ARG")
kube_is_state_dir "$STATE" ||
  kube_die "$STATE is not an okg state directory (no .okg-kube marker); not touching it"

kube_stop_all "$STATE"
if [ "$KEEP" = 1 ]; then
  kube_log "stopped; state kept in $STATE"
else
  rm -rf "$STATE"
  kube_log "stopped; removed $STATE"
fi
