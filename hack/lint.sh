#!/usr/bin/env bash
# make lint: formatting, static analysis, banned functions, shell scripts.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
fail=0
mapfile -t C_FILES < <(git ls-files -co --exclude-standard '*.c' '*.h')

echo "lint: clang-format (${#C_FILES[@]} files)"
clang-format --dry-run -Werror "${C_FILES[@]}" || fail=1

echo "lint: banned functions"
# sprintf/strcpy/strcat have no bound; atoi has no error; strtok keeps hidden state; gets overflows.
if grep -nE '(^|[^_a-zA-Z0-9])(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets)[[:space:]]*\(' \
  "${C_FILES[@]}"; then
  echo "lint: use snprintf, memcpy with lengths, strtol, strtok_r or a parser instead" >&2
  fail=1
fi

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
  --inline-suppr --suppress=missingIncludeSystem -I . "${C_FILES[@]}" || fail=1

echo "lint: shellcheck"
mapfile -t SH_FILES < <(git ls-files -co --exclude-standard '*.sh' .ci/run)
shellcheck -x -S warning "${SH_FILES[@]}" || fail=1

if [ "$fail" -ne 0 ]; then
  echo "lint: FAILED"
  exit 1
fi
echo "lint: ok"
