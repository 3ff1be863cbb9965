#!/usr/bin/env bash
# Shared helpers for okg's end-to-end tests: a real control plane from hack/kube-up.sh, TAP-like
# "ok N - name" / "not ok N - name" lines, and a closing "N passed, N failed".
# Source it; then call e2e_cluster_up and define checks with e2e_check.
set -uo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD=${OKG_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$E2E_ROOT/$BUILD" ;; esac
E2E_PASSED=0
E2E_FAILED=0
E2E_N=0
E2E_PIDS=()
E2E_STATE=""
# shellcheck disable=SC2034 # read by the test scripts
E2E_LAST_PID=""
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/okg-e2e.XXXXXX")

e2e_log() { echo "# $*"; }

e2e_cleanup() {
  local pid
  for pid in "${E2E_PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${E2E_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  if [ -n "$E2E_STATE" ]; then
    "$E2E_ROOT/hack/kube-down.sh" "$E2E_STATE" >/dev/null 2>&1
  fi
  rm -rf "$E2E_TMP"
}

e2e_finish() {
  e2e_cleanup
  echo "$E2E_PASSED passed, $E2E_FAILED failed"
  [ "$E2E_FAILED" -eq 0 ] && [ "$E2E_PASSED" -gt 0 ]
}

trap 'e2e_cleanup' EXIT
trap 'exit 130' INT TERM

# e2e_cluster_up: starts a control plane and exports KUBECONFIG, KUBECTL.
e2e_cluster_up() {
  local out
  out=$("$E2E_ROOT/hack/kube-up.sh" "$@" 2>"$E2E_TMP/kube-up.log") || {
    cat "$E2E_TMP/kube-up.log" >&2
    echo "not ok - control plane did not start"
    echo "0 passed, 1 failed"
    exit 1
  }
  E2E_STATE=$(printf '%s\n' "$out" | tail -n 1)
  # shellcheck disable=SC1091
  . "$E2E_STATE/env"
  KUBECTL="$OKG_KUBE_BIN/kubectl"
  export KUBECONFIG KUBECTL
  e2e_log "control plane up: $E2E_STATE"
}

k() { "$KUBECTL" "$@"; }

# e2e_bg NAME CMD...: runs a command in the background, output to $E2E_TMP/NAME.log.
e2e_bg() {
  local name=$1; shift
  "$@" >"$E2E_TMP/$name.log" 2>&1 &
  E2E_PIDS+=($!)
  # shellcheck disable=SC2034 # read by the test scripts
  E2E_LAST_PID=$!
}

# e2e_check NAME CMD...: one assertion.
e2e_check() {
  local name=$1; shift
  E2E_N=$((E2E_N + 1))
  if "$@"; then
    E2E_PASSED=$((E2E_PASSED + 1))
    echo "ok $E2E_N - $name"
  else
    E2E_FAILED=$((E2E_FAILED + 1))
    echo "not ok $E2E_N - $name"
  fi
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# jp RESOURCE JSONPATH: kubectl get -o jsonpath.
jp() { k get "$1" -o "jsonpath=$2" 2>/dev/null; }

eq() { [ "$1" = "$2" ] || { echo "#   expected [$2], got [$1]" >&2; return 1; }; }
