#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from Debian's
# `kubernetes` source package with Debian's Go, once, into a cache keyed by version.
# Prints the directory holding the binaries on its last line of stdout.
#
#   OKG_KUBE_CACHE   cache root (default: ~/.cache/okg/kube)
set -euo pipefail

KUBE_VERSION=${OKG_KUBE_VERSION:-1.20.2}
CACHE_ROOT=${OKG_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/okg/kube}
OUT="$CACHE_ROOT/$KUBE_VERSION/bin"
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

log() { echo "kube-build: $*" >&2; }

have_all() {
  local b
  for b in "${BINS[@]}"; do [ -x "$OUT/$b" ] || return 1; done
}

if have_all; then
  log "using cached binaries in $OUT"
  echo "$OUT"
  exit 0
fi

"$(dirname "$0")/install-deps.sh"

# apt-get source needs deb-src lines; Debian 12 images ship only deb lines.
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  log "adding deb-src entries for Debian's archive"
  cat >/etc/apt/sources.list.d/okg-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi

WORK="$CACHE_ROOT/$KUBE_VERSION/src"
mkdir -p "$WORK"
cd "$WORK"
if ! ls kubernetes_*.orig.tar.gz >/dev/null 2>&1; then
  log "downloading Debian's kubernetes source package"
  apt-get source --download-only -qq kubernetes >/dev/null
fi
orig=$(ls kubernetes_*.orig.tar.gz | head -n 1)
rm -rf tree && mkdir tree
log "unpacking $orig"
tar -xzf "$orig" -C tree --strip-components=1

# Kubernetes 1.20 vendors reflect2 v1.0.1, which panics under Go >= 1.18; Debian ships v1.0.2.
log "replacing vendored reflect2 with Debian's v1.0.2"
rm -rf tree/vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 tree/vendor/github.com/modern-go/reflect2

cd tree
mkdir -p .go/src/k8s.io
ln -sfn ../../.. .go/src/k8s.io/kubernetes
log "building ${BINS[*]} (several minutes the first time)"
start=$(date +%s)
(
  cd .go/src/k8s.io/kubernetes
  GOPATH="$WORK/tree/.go" CGO_ENABLED=0 \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubectl" >&2
)
mkdir -p "$OUT.tmp"
for b in "${BINS[@]}"; do cp "_output/bin/$b" "$OUT.tmp/$b"; done
rm -rf "$OUT" && mv "$OUT.tmp" "$OUT"
log "built in $(( $(date +%s) - start ))s into $OUT"
cd "$CACHE_ROOT/$KUBE_VERSION" && rm -rf src
echo "$OUT"
