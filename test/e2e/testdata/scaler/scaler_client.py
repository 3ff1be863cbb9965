#!/usr/bin/python3
"""A KEDA-like gRPC client for okg's external scaler, on Debian's python3-grpcio.

Run it with the system interpreter (/usr/bin/python3): python3-grpcio, python3-protobuf and
python3-grpc-tools are Debian packages. The stubs are generated from externalscaler.proto (next
to this file) into --stubs DIR the first time.

  scaler_client.py --addr HOST:PORT [--stubs DIR] COMMAND NAMESPACE NAME [KEY=VALUE ...]

  is-active    prints true or false
  metric-spec  prints "METRIC_NAME TARGET_SIZE TARGET_SIZE_FLOAT" per spec
  get-metrics  prints "METRIC_VALUE METRIC_VALUE_FLOAT" (metricName gssReplicas)
  stream       StreamIsActive: prints "MONOTONIC_SECONDS true|false" per message as it arrives;
               ends after --max messages or --timeout seconds (exit 0), or when the server ends
               the stream
  stream-metric-spec  StreamMetricSpec: prints each spec (okg answers UNIMPLEMENTED)

A gRPC error prints "ERROR CODE_NAME DETAILS" and exits 3; a usage error exits 2.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load_stubs(stubs_dir):
    """Imports externalscaler_pb2(_grpc), generating them with grpc_tools when missing."""
    if not os.path.exists(os.path.join(stubs_dir, "externalscaler_pb2_grpc.py")):
        os.makedirs(stubs_dir, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", "-I", HERE,
             "--python_out=" + stubs_dir, "--grpc_python_out=" + stubs_dir,
             os.path.join(HERE, "externalscaler.proto")],
            check=True)
    sys.path.insert(0, stubs_dir)
    import externalscaler_pb2  # noqa: E402  pylint: disable=import-outside-toplevel
    import externalscaler_pb2_grpc  # noqa: E402  pylint: disable=import-outside-toplevel
    return externalscaler_pb2, externalscaler_pb2_grpc


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--addr", required=True)
    p.add_argument("--stubs", default=None, help="directory for the generated stubs")
    p.add_argument("--max", type=int, default=0, help="stream: stop after N messages")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per call / stream")
    p.add_argument("command", choices=["is-active", "metric-spec", "get-metrics", "stream",
                                       "stream-metric-spec"])
    p.add_argument("namespace")
    p.add_argument("name")
    p.add_argument("metadata", nargs="*", help="KEY=VALUE scalerMetadata entries")
    a = p.parse_args()

    import grpc  # pylint: disable=import-outside-toplevel

    stubs = a.stubs or os.path.join(tempfile.gettempdir(), "okg-scaler-stubs-%d" % os.getuid())
    pb, pb_grpc = load_stubs(stubs)
    meta = {}
    for kv in a.metadata:
        if "=" not in kv:
            print("metadata must be KEY=VALUE: %s" % kv, file=sys.stderr)
            return 2
        k, v = kv.split("=", 1)
        meta[k] = v
    ref = pb.ScaledObjectRef(name=a.name, namespace=a.namespace, scalerMetadata=meta)

    with grpc.insecure_channel(a.addr) as ch:
        stub = pb_grpc.ExternalScalerStub(ch)
        try:
            if a.command == "is-active":
                r = stub.IsActive(ref, timeout=a.timeout)
                print("true" if r.result else "false")
            elif a.command == "metric-spec":
                r = stub.GetMetricSpec(ref, timeout=a.timeout)
                for s in r.metricSpecs:
                    print("%s %d %r" % (s.metricName, s.targetSize, s.targetSizeFloat))
            elif a.command == "get-metrics":
                r = stub.GetMetrics(
                    pb.GetMetricsRequest(scaledObjectRef=ref, metricName="gssReplicas"),
                    timeout=a.timeout)
                for v in r.metricValues:
                    print("%d %r" % (v.metricValue, v.metricValueFloat))
            elif a.command == "stream-metric-spec":
                for r in stub.StreamMetricSpec(ref, timeout=a.timeout):
                    for s in r.metricSpecs:
                        print("%s %d %r" % (s.metricName, s.targetSize, s.targetSizeFloat))
            else:
                return stream(stub, ref, a)
        except grpc.RpcError as e:
            print("ERROR %s %s" % (e.code().name, e.details()))
            sys.stdout.flush()
            return 3
    return 0


def stream(stub, ref, a):
    """StreamIsActive until --max messages or --timeout; each message on its own line."""
    import grpc  # pylint: disable=import-outside-toplevel

    call = stub.StreamIsActive(ref)
    deadline = time.monotonic() + a.timeout
    n = 0
    # a timer cancels the call at the deadline: the client ends the stream, as KEDA does
    import threading  # pylint: disable=import-outside-toplevel
    timer = threading.Timer(a.timeout, call.cancel)
    timer.daemon = True
    timer.start()
    try:
        for msg in call:
            n += 1
            print("%.3f %s" % (time.monotonic(), "true" if msg.result else "false"))
            sys.stdout.flush()
            if a.max and n >= a.max:
                call.cancel()
                break
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.CANCELLED and (
                time.monotonic() >= deadline - 0.05 or (a.max and n >= a.max)):
            return 0
        print("ERROR %s %s" % (e.code().name, e.details()))
        sys.stdout.flush()
        return 3
    finally:
        timer.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
