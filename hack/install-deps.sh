#!/usr/bin/env bash
# Installs every Debian package okg needs to build, test and run its local control plane.
# Idempotent: when everything is present it only checks and exits (well under a second).
set -euo pipefail

# What building the binaries needs.
BUILD_PKGS=(
  gcc make pkg-config binutils
  libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libcjson-dev libssl-dev libyaml-dev
  libnghttp2-dev
  openssl ca-certificates curl procps iproute2
)
# The local control plane: etcd, and Go plus what the Kubernetes build needs.
CLUSTER_PKGS=(
  etcd-server golang-go golang-github-modern-go-reflect2-dev rsync jq dpkg-dev
)
# Benchmarks: the load generator and the reference TLS server.
BENCH_PKGS=(wrk nginx-light)

# Tools that only the tests and the local control plane need (not the container build).
TEST_PKGS=(clang clang-format cppcheck shellcheck libclang-rt-14-dev libcmocka-dev
  python3-grpcio python3-grpc-tools python3-protobuf)

case "${1:-}" in
  --build-only) want=("${BUILD_PKGS[@]}") ;;
  --with-bench) want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${CLUSTER_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
  "") want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${CLUSTER_PKGS[@]}") ;;
  *) echo "usage: $0 [--build-only|--with-bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
