#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.cpp) with clang++ in build/fuzz and runs each,
# FUZZ_JOBS (default 2) at a time, for FUZZ_SECONDS (default 20) on a scratch copy of its seed
# corpus tests/fuzz/corpus/<target>
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
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DSUBSPACE_BUILD_FUZZERS=ON \
  -DSUBSPACE_BUILD_TESTS=OFF -DSUBSPACE_BUILD_EXAMPLES=OFF -DSUBSPACE_BUILD_BENCHMARKS=OFF \
  "${launcher[@]}" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
  cmake --build "$build" -j2 --target subspace_fuzzers  # all of them, two files at a time
else
  # (targets named together are built one after another: CMake's Makefiles are .NOTPARALLEL)
  cmake --build "$build" -j2 --target "${targets[@]}"
fi
echo "fuzz: built ${#targets[@]} targets in $(($(date +%s) - start))s"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One fuzzer per core ($FUZZ_JOBS, default 2): each is single-threaded and bounded in time.
jobs=${FUZZ_JOBS:-2}
run() {
  local t=$1 work="$build/corpus/$1" art="$build/artifacts/$1"
  rm -rf "$work"
  mkdir -p "$work" "$art"
  [ -d "tests/fuzz/corpus/$t" ] && cp -r "tests/fuzz/corpus/$t/." "$work/"
  # -rss_limit_mb: a loader that allocates what a header declares fails here, not silently.
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=1024 \
      -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
      "$work" 2>"$build/$t.log"; then
    echo "FAIL: $t (see $build/$t.log and $art/)" >"$build/$t.summary"
    tail -n 40 "$build/$t.log" >>"$build/$t.summary"
    return 1
  fi
  grep -E "stat::number_of_executed_units|Done " "$build/$t.log" | tail -n 2 >"$build/$t.summary" || true
}
status=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  echo "=== $t: ${seconds}s, -max_len=$max_len"
  run "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
for t in "${targets[@]}"; do
  echo "--- $t"
  cat "$build/$t.summary"
done
echo "fuzz: done in $(($(date +%s) - start))s"
exit $status
