#!/usr/bin/env bash
# The node simulator on a real kube-apiserver: nodes, pods Running with loopback IPs, processes,
# env and workingDir, logs through the kubelet endpoint, restarts, in-place image changes,
# graceful deletion, client-certificate auth, and recovery after an API server restart.
# Checks are strings run by eval, so shellcheck cannot see the variables they use.
# shellcheck disable=SC2034,SC2016
. "$(dirname "$0")/lib.sh"

e2e_cluster_up
SIM="$BUILD/okg-nodesim"
cat >"$E2E_TMP/images.yaml" <<YAML
images:
  - image: "okg-test/echo:*"
    command: ["sh", "-c", "echo image-mapped \$HOSTNAME; exec sleep 1000"]
YAML
e2e_bg sim "$SIM" --kubeconfig "$KUBECONFIG" --nodes 2 --node-name sim \
  --image-map "$E2E_TMP/images.yaml" --log-dir "$E2E_TMP/ctr-logs" \
  --restart-backoff-ms 200 --restart-backoff-max-ms 1000
SIM_PID=$E2E_LAST_PID

node_ready() { eq "$(jp node/"$1" '{.status.conditions[?(@.type=="Ready")].status}')" True; }
e2e_check "nodes sim-0 and sim-1 register and are Ready" \
  wait_for 30 eval 'node_ready sim-0 && node_ready sim-1'
e2e_check "node advertises a loopback InternalIP and a kubelet port" eval \
  '[ "$(jp node/sim-0 "{.status.addresses[?(@.type==\"InternalIP\")].address}")" = 127.0.0.1 ] &&
   [ "$(jp node/sim-0 "{.status.daemonEndpoints.kubeletEndpoint.Port}")" -gt 0 ]'

k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels: {app: hello}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sh", "-c"]
    args: ["echo \"hello $GREETING from $(pwd) as $POD_NAME at $POD_IP\"; exec sleep 1000"]
    workingDir: /tmp
    env:
    - {name: GREETING, value: world}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
  - name: idle
    image: busybox:1.36
YAML
running() { eq "$(jp pod/"$1" '{.status.phase}')" Running; }
ready() { eq "$(jp pod/"$1" '{.status.conditions[?(@.type=="Ready")].status}')" True; }
e2e_check "an unscheduled pod is bound, Running and Ready" wait_for 30 eval 'running hello && ready hello'
IP=$(jp pod/hello '{.status.podIP}')
e2e_check "pod IP is in 127.0.0.0/8 and not the node's" eval '[[ "$IP" == 127.* ]] && [ "$IP" != 127.0.0.1 ]'
e2e_check "containerStatuses: ready, started, containerID, restartCount 0" eval \
  '[ "$(jp pod/hello "{.status.containerStatuses[*].ready}")" = "true true" ] &&
   [ "$(jp pod/hello "{.status.containerStatuses[*].started}")" = "true true" ] &&
   [ "$(jp pod/hello "{.status.containerStatuses[*].restartCount}")" = "0 0" ] &&
   [[ "$(jp pod/hello "{.status.containerStatuses[0].containerID}")" == okg-sim://* ]]'
e2e_check "kubectl get pods -o wide shows the IP and node" eval \
  'k get pods -o wide | grep -E "^hello +2/2 +Running +0 .* $IP +sim-[01] "'
e2e_check "kubectl logs (through the kubelet endpoint) shows env, workingDir, fieldRefs" \
  wait_for 10 eval 'k logs hello -c main | grep -qx "hello world from /tmp as hello at $IP"'
pgroup() { ps -e -o pgid=,args= | awk -v g="$1" '$1 == g { $1 = ""; print }'; }
SANDBOX=$(curl -sk "https://127.0.0.1:$(jp node/sim-0 '{.status.daemonEndpoints.kubeletEndpoint.Port}')/pods" |
  python3 -c 'import json,sys; print([p["sandboxPid"] for p in json.load(sys.stdin)["items"] if p["name"]=="hello"][0])')
e2e_check "the pod's processes share one process group (sleep 1000 and the idle placeholder)" eval \
  '[ "$(pgroup "$SANDBOX" | wc -l)" -ge 3 ] && pgroup "$SANDBOX" | grep -q "sleep 1000"'

k run pstest --image=busybox --restart=Never --command -- sh -c 'sleep 0.5; ps -e -o pid=,args=' >/dev/null
e2e_check "each pod has its own PID namespace: ps in a pod sees only that pod (init, itself)" \
  wait_for 30 eval 'eq "$(jp pod/pstest "{.status.phase}")" Succeeded &&
    k logs pstest | grep -qx " *1 /pause" && [ "$(k logs pstest | wc -l)" -le 4 ] &&
    ! k logs pstest | grep -q "sleep 1000"'

# A second pod gets a different IP; the image map plays an image without a command.
k run mapped --image=okg-test/echo:v1 --restart=Always >/dev/null
e2e_check "image map: a command-less image runs the mapped local command" \
  wait_for 30 eval 'running mapped && k logs mapped | grep -qx "image-mapped mapped"'
e2e_check "two pods have two different IPs" eval '[ "$(jp pod/mapped "{.status.podIP}")" != "$IP" ]'

# Restarts by restartPolicy.
k run crasher --image=busybox --restart=Always --command -- sh -c 'sleep 0.3; exit 3' >/dev/null
e2e_check "restartPolicy Always: an exiting container restarts (restartCount grows, lastState kept)" \
  wait_for 30 eval '[ "$(jp pod/crasher "{.status.containerStatuses[0].restartCount}")" -ge 2 ] &&
    [ "$(jp pod/crasher "{.status.containerStatuses[0].lastState.terminated.exitCode}")" = 3 ]'
k run oneshot --image=busybox --restart=Never --command -- sh -c 'exit 0' >/dev/null
e2e_check "restartPolicy Never: exit 0 makes the pod Succeeded" \
  wait_for 30 eval 'eq "$(jp pod/oneshot "{.status.phase}")" Succeeded'
k run failing --image=busybox --restart=Never --command -- sh -c 'exit 7' >/dev/null
e2e_check "restartPolicy Never: exit 7 makes the pod Failed with exitCode 7" \
  wait_for 30 eval 'eq "$(jp pod/failing "{.status.phase}")" Failed &&
    eq "$(jp pod/failing "{.status.containerStatuses[0].state.terminated.exitCode}")" 7'
k run missing --image=busybox --restart=Always --command -- /nonexistent/game-binary >/dev/null
e2e_check "a command that cannot run shows a waiting reason with the cause" \
  wait_for 30 eval 'jp pod/missing "{.status.containerStatuses[0].state.waiting.message}" | grep -q "No such file"'

# In-place image change: only that container restarts, with the new image.
OLD_CID=$(jp pod/hello '{.status.containerStatuses[?(@.name=="main")].containerID}')
k set image pod/hello main=busybox:1.37 >/dev/null
e2e_check "in-place image change restarts that container with the new image" \
  wait_for 30 eval 'eq "$(jp pod/hello "{.status.containerStatuses[?(@.name==\"main\")].image}")" busybox:1.37 &&
    eq "$(jp pod/hello "{.status.containerStatuses[?(@.name==\"main\")].restartCount}")" 1 &&
    [ -n "$(jp pod/hello "{.status.containerStatuses[?(@.name==\"main\")].state.running.startedAt}")" ] &&
    ready hello'
e2e_check "  ... the other container kept running (restartCount 0) and the ID changed" eval \
  'eq "$(jp pod/hello "{.status.containerStatuses[?(@.name==\"idle\")].restartCount}")" 0 &&
   [ "$(jp pod/hello "{.status.containerStatuses[?(@.name==\"main\")].containerID}")" != "$OLD_CID" ]'

# Graceful deletion: a process that ignores SIGTERM is killed after the grace period.
k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap '' TERM; echo stubborn-marker-$$; while :; do sleep 0.2; done"]
YAML
wait_for 30 running stubborn
T0=$(date +%s.%N)
k delete pod stubborn --wait=true --timeout=30s >/dev/null
T1=$(date +%s.%N)
e2e_check "deletion honours the grace period (2 s) and then removes the pod" eval \
  'python3 -c "import sys; d=$T1-$T0; sys.exit(0 if 1.8 <= d <= 10 else 1)" && ! k get pod stubborn 2>/dev/null'
e2e_check "  ... and its processes are gone" eval '! pgrep -f "stubborn-marker" >/dev/null'
k delete pod mapped --wait=true --timeout=30s >/dev/null
e2e_check "a plain delete is quick and leaves no process" eval \
  '! k get pod mapped 2>/dev/null && ! pgrep -f "image-mapped" >/dev/null'

# Client-certificate authentication with the project's API client.
e2e_bg simcert "$SIM" --kubeconfig "$E2E_STATE/kubeconfig-cert" --node-name cert-node --bind=false \
  --log-dir "$E2E_TMP/ctr-logs-cert"
e2e_check "a second simulator authenticates with a client certificate" wait_for 30 node_ready cert-node

# API server restart: the simulator re-watches and keeps working.
"$E2E_ROOT/hack/kube-apiserver-restart.sh" "$E2E_STATE" 3 >/dev/null 2>&1
k run after-restart --image=busybox --restart=Always --command -- sleep 1000 >/dev/null
e2e_check "after an API server restart, a new pod becomes Running" wait_for 60 running after-restart
e2e_check "  ... and pods from before keep running and Ready" eval 'running hello && ready hello'
k delete pod after-restart --wait=true --timeout=30s >/dev/null
e2e_check "  ... and deletion still works" eval '! k get pod after-restart 2>/dev/null'

# Stopping the simulator stops every pod process.
kill "$SIM_PID"
wait "$SIM_PID" 2>/dev/null
e2e_check "stopping the simulator leaves no container process behind" eval \
  '[ -z "$(pgroup "$SANDBOX")" ] && ! kill -0 "$SANDBOX" 2>/dev/null'
e2e_check "the simulator log has one key=value line per event" eval \
  'grep -q "event=pod_started" "$E2E_TMP/sim.log" && ! grep -v "^ts=" "$E2E_TMP/sim.log" | grep -q .'

e2e_finish
