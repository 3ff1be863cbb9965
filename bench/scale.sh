#!/usr/bin/env bash
# bench/scale.sh: the scale decision (controller/scale.c sc_compute) at 1k, 10k and 100k game
# servers. Builds bench/scale/bench_scale.c with -O2 against build/libokg.a and
# build/controller/scale.o, runs it, and writes its figures into the "Scale decision" section of
# bench/RESULTS.md (only that section; the others are left as they are).
#   bench/scale.sh             build, run, update bench/RESULTS.md
#   bench/scale.sh --no-write  build and run only
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2

WRITE=1
if [ "${1:-}" = "--no-write" ]; then WRITE=0; fi

make -s build/libokg.a build/controller/scale.o

mkdir -p build/bench
PKGS=(libmicrohttpd gnutls libcurl libcjson openssl yaml-0.1) # as the Makefile links
read -ra PKG_CFLAGS <<<"$(pkg-config --cflags "${PKGS[@]}")"
read -ra PKG_LIBS <<<"$(pkg-config --libs "${PKGS[@]}")"
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I. "${PKG_CFLAGS[@]}" \
  -o build/bench/bench_scale bench/scale/bench_scale.c build/controller/scale.o build/libokg.a \
  "${PKG_LIBS[@]}" -lm -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

out=$(build/bench/bench_scale)
printf '%s\n' "$out"
[ "$WRITE" -eq 1 ] || exit 0

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
if ! git diff --quiet HEAD -- controller/scale.c lib/ordinal.c 2>/dev/null; then
  dirty=" with uncommitted changes to controller/scale.c or lib/ordinal.c"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
section=$(mktemp)
trap 'rm -f "$section" "$section.new"' EXIT
{
  echo "## Scale decision"
  echo
  echo "Command: \`bench/scale.sh\` (builds \`bench/scale/bench_scale.c\` with \`cc -O2\` against"
  echo "\`build/libokg.a\` and \`build/controller/scale.o\`, runs it, rewrites this section)."
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on ${cpu:-unknown CPU} ($(nproc) CPUs, shared with other"
  echo "jobs), commit ${commit}${dirty}."
  echo "History: before sc_compute sorted the ordinals it adds to its sets (2026-11-22), the"
  echo "random-order 100k case took 171 ms median (t(10k)/t(1k) = 45: quadratic insertion)."
  echo
  printf '%s\n' "$out"
  echo
} >"$section"

# Re-read RESULTS.md right before writing: replace our section (up to the next "## " heading),
# or append it; every other section is copied unchanged.
f=bench/RESULTS.md
[ -f "$f" ] || printf '# Benchmarks\n' >"$f"
awk -v sec="$section" '
  function put(   line) { while ((getline line < sec) > 0) print line; close(sec); done = 1 }
  /^## / { if (skip) skip = 0; if ($0 == "## Scale decision") { put(); skip = 1; next } }
  !skip { print }
  END { if (!done) { print ""; put() } }
' "$f" >"$section.new"
mv "$section.new" "$f"
echo "bench/scale.sh: wrote the Scale decision section of $f"
