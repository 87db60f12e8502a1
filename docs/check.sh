#!/usr/bin/env bash
# Builds the Doxygen reference in a throwaway build dir and fails on any Doxygen warning (an
# undocumented public entity included: WARN_AS_ERROR = FAIL_ON_WARNINGS in docs/Doxyfile.in).
# Output: build/docs/docs/html/index.html. Needs cmake, Eigen 3.4 and doxygen; no compiler run.
#   docs/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v doxygen >/dev/null || { echo "docs/check.sh: doxygen not found"; exit 1; }
cmake -S . -B build/docs -DSUBSPACE_BUILD_TESTS=OFF -DSUBSPACE_BUILD_EXAMPLES=OFF \
  -DSUBSPACE_BUILD_BENCHMARKS=OFF >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cmake --build build/docs --target docs >"$log" 2>&1 || status=$?
# FAIL_ON_WARNINGS makes doxygen exit non-zero; the grep also catches a warning that did not.
if [ "$status" -ne 0 ] || grep -qE '(warning|error):' "$log"; then
  grep -E '(warning|error):' "$log" || cat "$log"
  echo "docs/check.sh: the reference has $(grep -cE '(warning|error):' "$log") Doxygen warning(s)"
  exit 1
fi
echo "docs/check.sh: reference built without warnings: build/docs/docs/html/index.html"
