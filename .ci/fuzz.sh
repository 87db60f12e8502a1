#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.cpp) with clang++ in build/fuzz and runs each
# for FUZZ_SECONDS (default 20) on a scratch copy of its seed corpus tests/fuzz/corpus/<target>
# (the committed corpus is never modified). Fails on any crash, sanitizer report, leak or
# uncaught exception; libFuzzer writes the reproducer to build/fuzz/artifacts/<target>/.
# Usage: .ci/fuzz.sh [target ...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
max_len=${FUZZ_MAX_LEN:-4096}
build=build/fuzz
start=$(date +%s)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DSUBSPACE_BUILD_FUZZERS=ON \
  -DSUBSPACE_BUILD_TESTS=OFF -DSUBSPACE_BUILD_EXAMPLES=OFF -DSUBSPACE_BUILD_BENCHMARKS=OFF \
  "${launcher[@]}" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
cmake --build "$build" -j2 --target "${targets[@]}"
echo "fuzz: built ${#targets[@]} targets in $(($(date +%s) - start))s"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  art="$build/artifacts/$t"
  rm -rf "$work"
  mkdir -p "$work" "$art"
  [ -d "tests/fuzz/corpus/$t" ] && cp -r "tests/fuzz/corpus/$t/." "$work/"
  echo "=== $t: ${seconds}s, -max_len=$max_len"
  # -rss_limit_mb: a loader that allocates what a header declares fails here, not silently.
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=1024 \
      -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
      "$work" 2>"$build/$t.log"; then
    echo "FAIL: $t (see $build/$t.log and $art/)"
    tail -n 40 "$build/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done " "$build/$t.log" | tail -n 2 || true
  fi
done
echo "fuzz: done in $(($(date +%s) - start))s"
exit $status
