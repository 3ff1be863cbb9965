# shellcheck shell=bash
# Shared functions for hack/kube-up.sh, hack/kube-down.sh and hack/kube-apiserver-restart.sh.
# Sourced, not executed. Callers set `set -euo pipefail` and KUBE_LOG_PREFIX.
#
# State directory layout (all paths absolute, canonical):
#   .okg-kube            marker: this directory was made by kube-up.sh
#   ports                sourceable: ETCD_PORT ETCD_PEER_PORT APISERVER_PORT CM_PORT SCHED_PORT BIN_DIR
#   run-NAME.sh          exact command line of daemon NAME (exec BIN ARGS...)
#   NAME.pid             pid of daemon NAME (written by the daemon's launcher itself)
#   logs/NAME.log        stdout+stderr of daemon NAME

# Daemons in start order; teardown goes in reverse.
KUBE_DAEMONS=(etcd apiserver controller-manager scheduler)

kube_log() { echo "${KUBE_LOG_PREFIX:-kube}: $*" >&2; }
kube_die() { kube_log "error: $*"; exit 1; }

# kube_canon_dir DIR: print the canonical absolute path of an existing directory.
kube_canon_dir() { (cd "$1" && pwd -P); }

# kube_is_state_dir DIR: true when DIR carries kube-up.sh's marker.
kube_is_state_dir() { [ -f "$1/.okg-kube" ]; }

# kube_port_listening PORT: true when something listens on loopback/any TCP PORT.
kube_port_listening() {
  [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# kube_pick_ports N: print N distinct random TCP ports nobody listens on, outside the kernel's
# ephemeral range: a port that some outgoing connection holds as its local port cannot be
# bound either, and a busy machine has thousands of those.
kube_pick_ports() {
  local n=$1 p picked=() tries=0 q dup eph_lo eph_hi lo=10000 hi=32767
  read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph_lo=32768 eph_hi=60999
  if [ "$eph_lo" -gt 15000 ]; then hi=$((eph_lo - 1)); else lo=$((eph_hi + 1)) hi=65000; fi
  [ "$lo" -lt "$hi" ] || { lo=20000 hi=60999; }
  while [ "${#picked[@]}" -lt "$n" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 1000 ] || { kube_log "error: no free ports found"; return 1; }
    p=$(shuf -i "$lo-$hi" -n 1)
    dup=0
    for q in "${picked[@]}"; do [ "$q" != "$p" ] || dup=1; done
    [ "$dup" = 0 ] || continue
    kube_port_listening "$p" && continue
    picked+=("$p")
  done
  echo "${picked[@]}"
}

# kube_pid_of STATE NAME: print the pid of daemon NAME if it is alive and was started from
# STATE (its /proc/PID/cmdline mentions STATE); print nothing and fail otherwise. Zombies
# (empty cmdline) and recycled pids count as dead.
kube_pid_of() {
  local state=$1 name=$2 pid cmd
  [ -f "$state/$name.pid" ] || return 1
  pid=$(cat "$state/$name.pid" 2>/dev/null) || return 1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  case "$cmd" in *"$state/"*) echo "$pid" ;; *) return 1 ;; esac
}

# kube_write_cmd STATE NAME BIN ARGS...: save the exact command line as STATE/run-NAME.sh.
kube_write_cmd() {
  local state=$1 name=$2 f
  shift 2
  f="$state/run-$name.sh"
  {
    echo '#!/usr/bin/env bash'
    echo "# $name of the okg local cluster in $state (written by hack/kube-up.sh)."
    printf 'exec %q' "$1"
    shift
    [ $# -eq 0 ] || printf ' \\\n  %q' "$@"
    printf '\n'
  } >"$f.tmp"
  chmod 0700 "$f.tmp"
  mv -f "$f.tmp" "$f"
}

# kube_start STATE NAME: run STATE/run-NAME.sh detached in its own session, output appended
# to STATE/logs/NAME.log. The launcher writes its own pid (kept across exec) to STATE/NAME.pid.
kube_start() {
  local state=$1 name=$2 i
  rm -f "$state/$name.pid"
  mkdir -p "$state/logs"
  echo "---- $(date '+%F %T') starting $name" >>"$state/logs/$name.log"
  # shellcheck disable=SC2016  # $$ and $1 are expanded by the launcher shell.
  setsid bash -c 'echo $$ >"$1.tmp" && mv -f "$1.tmp" "$1" && exec "$2"' okg-launch \
    "$state/$name.pid" "$state/run-$name.sh" >>"$state/logs/$name.log" 2>&1 </dev/null &
  for i in $(seq 50); do
    [ -s "$state/$name.pid" ] && return 0
    sleep 0.1
  done
  kube_log "error: $name did not start (no pid file)"
  return 1
}

# kube_wait_listen STATE NAME PORT TIMEOUT: wait until daemon NAME itself listens on PORT.
# Returns 0 when it does, 2 when it died with "address already in use" (the caller may retry
# with other ports), 1 on any other failure.
kube_wait_listen() {
  local state=$1 name=$2 port=$3 timeout=$4 pid deadline
  deadline=$((SECONDS + timeout))
  while :; do
    # Read the pid each time: the launcher execs into the daemon, so early reads may miss it.
    if ! pid=$(kube_pid_of "$state" "$name"); then
      sleep 0.2
      if ! kube_pid_of "$state" "$name" >/dev/null; then
        if grep -q 'address already in use' "$state/logs/$name.log" 2>/dev/null; then
          kube_log "$name: port conflict"
          return 2
        fi
        kube_log "error: $name exited during startup"
        return 1
      fi
      continue
    fi
    if ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"; then
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kube_log "error: $name is not listening on port $port after ${timeout}s"
      return 1
    fi
    sleep 0.2
  done
}

# kube_stop STATE NAME [GRACE]: SIGTERM daemon NAME, wait up to GRACE seconds (default
# $OKG_KUBE_STOP_GRACE or 10), then SIGKILL. No-op if it is not running (or its pid now belongs
# to a process not started from STATE).
kube_stop() {
  local state=$1 name=$2 grace=${3:-${OKG_KUBE_STOP_GRACE:-10}} pid i
  if pid=$(kube_pid_of "$state" "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq "$((grace * 10))"); do
      kube_pid_of "$state" "$name" >/dev/null || break
      sleep 0.1
    done
    if kube_pid_of "$state" "$name" >/dev/null; then
      kube_log "$name (pid $pid) still running ${grace}s after SIGTERM, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 50); do
        kube_pid_of "$state" "$name" >/dev/null || break
        sleep 0.1
      done
    fi
    # Reap it if it is our child (kube-up.sh); harmless otherwise.
    wait "$pid" 2>/dev/null || true
    kube_log "stopped $name (pid $pid)"
  fi
  rm -f "$state/$name.pid"
}

# kube_stop_all STATE: stop every daemon of STATE, in reverse start order, then any other
# NAME.pid left in STATE.
kube_stop_all() {
  local state=$1 i f name
  for ((i = ${#KUBE_DAEMONS[@]} - 1; i >= 0; i--)); do
    kube_stop "$state" "${KUBE_DAEMONS[$i]}"
  done
  for f in "$state"/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    kube_stop "$state" "$name"
  done
}

# kube_tail_log STATE NAME [LINES]: print the end of NAME's log to stderr.
kube_tail_log() {
  local f="$1/logs/$2.log"
  [ -f "$f" ] || return 0
  echo "----- last lines of $f -----" >&2
  tail -n "${3:-25}" "$f" >&2
  echo "-----" >&2
}

# kube_curl STATE PATH [CURL ARGS...]: GET https://127.0.0.1:APISERVER_PORT/PATH verifying TLS
# with STATE/ca.crt and authenticating with the admin token (kept out of argv).
kube_curl() {
  local state=$1 path=$2
  shift 2
  curl -sS --max-time 5 --cacert "$state/ca.crt" \
    -H @<(printf 'Authorization: Bearer %s\n' "$(cat "$state/token")") \
    "$@" "https://127.0.0.1:$APISERVER_PORT$path"
}

# kube_wait_readyz STATE TIMEOUT: wait until /readyz answers ok; fail if the apiserver dies.
kube_wait_readyz() {
  local state=$1 timeout=$2 deadline out
  deadline=$((SECONDS + timeout))
  while :; do
    out=$(kube_curl "$state" /readyz 2>/dev/null) || true
    [ "$out" = ok ] && return 0
    if ! kube_pid_of "$state" apiserver >/dev/null; then
      kube_log "error: kube-apiserver exited"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kube_log "error: kube-apiserver /readyz not ok after ${timeout}s"
      kube_curl "$state" '/readyz?verbose' 2>&1 | grep -v '^\[+\]' | tail -n 10 >&2 || true
      return 1
    fi
    sleep 0.5
  done
}
