#!/usr/bin/env python3
"""Latency from a probe outcome change to the GameServer's new opsState, for bench/sq.sh.

Flips one server at a time: creates DOWN_DIR/<pod IP> (bench/sq/gamehttp.c then answers that
pod's httpGet probe with 503: the quality turns False, opsState Maintaining), waits until a
watch on the GameServers shows spec.opsState Maintaining, removes the file (probe True again,
opsState None) and waits for None. Each of the two is one change. The next server follows.
Times are time.time() on this machine for the flip and for the watch event; the probe helper's
own "quality_changed" log line (millisecond timestamps, same clock) splits each change into
"flip -> helper saw it" (the probe period) and "helper saw it -> opsState".

  flips.py NAMESPACE SET DOWN_DIR CHANGES LOG_DIR OUT_TSV
Environment: OKG_KUBE_SERVER, OKG_KUBE_CA, OKG_KUBE_TOKEN_FILE (hack/kube-up.sh's env).
Writes one line per change to OUT_TSV: server, to, flip, seen, helper (epoch s; helper empty
when its log line was not found), and prints a summary.
"""
import calendar
import json
import math
import os
import random
import ssl
import sys
import threading
import time
import urllib.request

NS, SET, DOWN_DIR, CHANGES, LOG_DIR, OUT = sys.argv[1:7]
CHANGES = int(CHANGES)
SERVER = os.environ["OKG_KUBE_SERVER"]
TOKEN = open(os.environ["OKG_KUBE_TOKEN_FILE"]).read().strip()
CTX = ssl.create_default_context(cafile=os.environ["OKG_KUBE_CA"])
GS_PATH = f"/apis/game.kruise.io/v1alpha1/namespaces/{NS}/gameservers"
SEL = f"labelSelector=game.kruise.io/owner-gss%3D{SET}"


def get(path, timeout=30):
    req = urllib.request.Request(SERVER + path, headers={"Authorization": "Bearer " + TOKEN})
    return urllib.request.urlopen(req, context=CTX, timeout=timeout)


lock = threading.Condition()
ops = {}  # GameServer name -> (opsState, time first seen with it)


def note(gs, t):
    name = gs["metadata"]["name"]
    state = (gs.get("spec") or {}).get("opsState") or "None"
    with lock:
        if name not in ops or ops[name][0] != state:
            ops[name] = (state, t)
            lock.notify_all()


def watcher():
    while True:
        try:
            lst = json.load(get(f"{GS_PATH}?{SEL}"))
            now = time.time()
            for it in lst["items"]:
                note(it, now)
            rv = lst["metadata"]["resourceVersion"]
            with get(f"{GS_PATH}?{SEL}&watch=1&resourceVersion={rv}&timeoutSeconds=3600",
                     timeout=3700) as w:
                for line in w:
                    t = time.time()
                    ev = json.loads(line)
                    if ev.get("type") in ("ADDED", "MODIFIED"):
                        note(ev["object"], t)
        except Exception as e:  # a dropped watch: list and watch again
            print(f"# watch restarted: {e}", file=sys.stderr)
            time.sleep(0.5)


def wait_state(name, state, since, timeout=60.0):
    deadline = time.time() + timeout
    with lock:
        while True:
            cur = ops.get(name)
            if cur and cur[0] == state and cur[1] >= since:
                return cur[1]
            left = deadline - time.time()
            if left <= 0:
                return None
            lock.wait(left)


def helper_time(pod, state, since):
    """The first quality_changed line of the pod's helper at or after `since` with that state."""
    path = os.path.join(LOG_DIR, f"{NS}_{pod}_okg-probe.log")
    want = "state=" + ("true" if state else "false")
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return None
    for ln in lines:
        if "event=quality_changed" not in ln or want not in ln:
            continue
        ts = ln.split()[0]
        if not ts.startswith("ts="):
            continue
        ts = ts[3:].rstrip("Z")
        base, _, frac = ts.partition(".")
        t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))
        if t >= since - 0.002:
            return t
    return None


pods = json.load(get(f"/api/v1/namespaces/{NS}/pods?{SEL}"))["items"]
ips = {p["metadata"]["name"]: p["status"].get("podIP") for p in pods}
names = sorted((n for n in ips if ips[n]), key=lambda n: int(n.rsplit("-", 1)[1]))
if not names:
    sys.exit("flips.py: no pods with an IP")
threading.Thread(target=watcher, daemon=True).start()
deadline = time.time() + 60
while time.time() < deadline:
    with lock:
        if all(ops.get(n, ("",))[0] == "None" for n in names[:1]):
            break
    time.sleep(0.2)

rows = []
missed = 0
i = 0
while len(rows) + missed < CHANGES:
    name = names[i % len(names)]
    i += 1
    marker = os.path.join(DOWN_DIR, ips[name])
    for down in (True, False):
        # a random phase against the helper's 1 s probe tick
        time.sleep(0.3 + random.random())
        flip = time.time()
        if down:
            open(marker, "w").close()
        else:
            os.unlink(marker)
        want = "Maintaining" if down else "None"
        seen = wait_state(name, want, flip)
        if seen is None:
            missed += 1
            print(f"# {name}: no opsState {want} within 60 s", file=sys.stderr)
            if down:
                os.unlink(marker)
            break
        rows.append((name, want, flip, seen))
        if len(rows) + missed >= CHANGES:
            break
    # the server is back up (None) before the next one goes down

time.sleep(1.5)  # let the helpers flush their log lines
with open(OUT, "w") as f:
    for name, want, flip, seen in rows:
        h = helper_time(name, want == "None", flip)
        f.write(f"{name}\t{want}\t{flip:.6f}\t{seen:.6f}\t{'' if h is None else f'{h:.3f}'}\n")


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[max(0, math.ceil(p / 100.0 * len(xs)) - 1)]  # nearest rank


helper = []
after = []
with open(OUT) as f:
    for ln in f:
        name, want, flip, seen, h = ln.rstrip("\n").split("\t")
        if h:
            helper.append((float(h) - float(flip)) * 1000)
            after.append((float(seen) - float(h)) * 1000)
total = [(s - f) * 1000 for _, _, f, s in rows]


def line(key, xs):
    if not xs:
        print(f"{key}: n=0")
        return
    print(f"{key}: n={len(xs)} p50_ms={pct(xs, 50):.0f} p90_ms={pct(xs, 90):.0f} "
          f"p99_ms={pct(xs, 99):.0f} max_ms={max(xs):.0f} mean_ms={sum(xs) / len(xs):.0f}")


print(f"missed={missed}")
line("flip_to_opsstate", total)
line("flip_to_helper", helper)
line("helper_to_opsstate", after)
