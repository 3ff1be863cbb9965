#!/usr/bin/env bash
# Runs okg's test suites and ends with one summary line: "N passed, N failed".
#   test/run-tests.sh [--build DIR] unit|e2e|all
# unit: every cmocka binary in DIR/test and every fuzz corpus replayed.
# e2e:  every test/e2e/*.sh against a real kube-apiserver (each script prints its own summary).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

BUILD=build
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    unit|e2e|all) WHAT=$1; shift ;;
    *) echo "usage: $0 [--build DIR] unit|e2e|all" >&2; exit 2 ;;
  esac
done
WHAT=${WHAT:-all}
export OKG_BUILD="$BUILD"

passed=0
failed=0
failures=()

run_unit() {
  local bin out rc p f
  for bin in "$BUILD"/test/test_*; do
    [ -x "$bin" ] || continue
    out=$("$bin" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | tail -n 1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -ne 0 ]; then
      failures+=("${bin##*/}")
      printf '%s\n' "$out" | tail -n 40
    fi
    printf 'unit  %-28s %3d passed, %d failed\n' "${bin##*/}" "$p" "$f"
  done
  for bin in "$BUILD"/fuzz-replay/fuzz_*; do
    [ -x "$bin" ] || continue
    local name=${bin##*/}
    if out=$("$bin" "test/fuzz/corpus/$name" 2>&1); then
      passed=$((passed + 1))
      printf 'fuzz  %-28s corpus ok (%s)\n' "$name" "$(printf '%s' "$out" | tail -n 1)"
    else
      failed=$((failed + 1)); failures+=("$name corpus")
      printf '%s\n' "$out" | tail -n 40
      printf 'fuzz  %-28s corpus FAILED\n' "$name"
    fi
  done
}

# e2e suites run in parallel (each brings up its own control plane on free ports); output is
# kept per suite and shown in order. OKG_E2E_JOBS sets how many at once (default 3).
run_e2e() {
  local t log rc p f jobs=${OKG_E2E_JOBS:-3} i
  local -a tests=() pids=()
  mkdir -p "$BUILD/e2e-logs"
  for t in test/e2e/test_*.sh; do [ -f "$t" ] && tests+=("$t"); done
  for i in "${!tests[@]}"; do
    t=${tests[$i]}
    log="$BUILD/e2e-logs/$(basename "$t" .sh).log"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n 2>/dev/null || true; done
    echo "e2e   ${t##*/} started (log: $log)"
    ( bash "$t" >"$log" 2>&1; echo $? >"$log.rc" ) &
    pids[i]=$!
  done
  for i in "${!tests[@]}"; do
    t=${tests[$i]}
    log="$BUILD/e2e-logs/$(basename "$t" .sh).log"
    wait "${pids[$i]}" 2>/dev/null
    rc=$(cat "$log.rc" 2>/dev/null || echo 1)
    grep -E '^(ok|not ok|#)' "$log"
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -n 1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    [ "$rc" -eq 0 ] || { failures+=("${t##*/}"); tail -n 60 "$log"; }
    printf 'e2e   %-28s %3d passed, %d failed\n' "${t##*/}" "$p" "$f"
  done
}

case "$WHAT" in
  unit) run_unit ;;
  e2e) run_e2e ;;
  all) run_unit; run_e2e ;;
esac

if [ ${#failures[@]} -gt 0 ]; then
  echo "failing: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
