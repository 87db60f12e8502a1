// SPDX-License-Identifier: MIT
// bench/common.hpp: what every benchmark program shares: heap allocations and peak live heap
// bytes counted at malloc, the timing loop that reports them, and seeded Gaussian data.
// Include from exactly one translation unit per benchmark program (it defines malloc & co).
//
// Eigen allocates through std::malloc (not operator new), so the count is taken at malloc itself:
// on glibc this header defines malloc / calloc / realloc / free on top of glibc's __libc_*
// entry points (operator new calls malloc too, so it is counted), and tracks live bytes with
// malloc_usable_size. Under AddressSanitizer, or off glibc, nothing is installed and
// SUBSPACE_BENCH_NO_MALLOC_COUNT is defined: benchmarks then report no counters.
#pragma once

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <random>
#include <string>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SUBSPACE_BENCH_NO_MALLOC_COUNT
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || !defined(__GLIBC__)
#define SUBSPACE_BENCH_NO_MALLOC_COUNT
#endif

namespace bench {
inline std::atomic<long> g_allocs{0};
inline std::atomic<long long> g_live{0}, g_peak{0};

/// Restarts peak tracking from the bytes live now; returns them.
inline long long reset_peak() {
  const long long live = g_live.load();
  g_peak.store(live);
  return live;
}
}  // namespace bench

#ifndef SUBSPACE_BENCH_NO_MALLOC_COUNT
#include <malloc.h>
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}
namespace bench::detail {
inline void note_alloc(void* p) {
  if (!p) return;
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  const long long live =
      g_live.fetch_add(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed) +
      static_cast<long long>(malloc_usable_size(p));
  long long peak = g_peak.load(std::memory_order_relaxed);
  while (live > peak && !g_peak.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}
inline void note_free(void* p) {
  if (p) g_live.fetch_sub(static_cast<long long>(malloc_usable_size(p)), std::memory_order_relaxed);
}
}  // namespace bench::detail
extern "C" {
void* malloc(std::size_t n) {
  void* p = __libc_malloc(n);
  bench::detail::note_alloc(p);
  return p;
}
void* calloc(std::size_t a, std::size_t b) {
  void* p = __libc_calloc(a, b);
  bench::detail::note_alloc(p);
  return p;
}
void* realloc(void* p, std::size_t n) {
  bench::detail::note_free(p);
  void* q = __libc_realloc(p, n);
  bench::detail::note_alloc(q);
  return q;
}
void free(void* p) {
  bench::detail::note_free(p);
  __libc_free(p);
}
}
#endif

namespace bench {

/// Threads for Eigen's products: $SUBSPACE_BENCH_THREADS, default 1 (a no-op unless the program
/// is built with OpenMP). Set before main; the thread count and Eigen's SIMD instruction sets
/// are written into the benchmark context (JSON "context"), so every result says how it ran.
inline const int g_threads = [] {
  const char* env = std::getenv("SUBSPACE_BENCH_THREADS");
  Eigen::setNbThreads(env ? std::max(1, std::atoi(env)) : 1);
  benchmark::AddCustomContext("eigen_threads", std::to_string(Eigen::nbThreads()));
  benchmark::AddCustomContext("eigen_simd", Eigen::SimdInstructionSetsInUse());
  return Eigen::nbThreads();
}();

/// Runs `body` in the benchmark loop and reports `allocs` (heap allocations per call) and, with
/// `peak`, `peak_mb` (the largest live heap of one call above what was live before it).
template <class Body>
void measure(benchmark::State& st, Body&& body, bool peak = false) {
  [[maybe_unused]] const long before = g_allocs.load();
  [[maybe_unused]] long long top = 0;
  for (auto _ : st) {
    [[maybe_unused]] const long long base = peak ? reset_peak() : 0;
    body();
#ifndef SUBSPACE_BENCH_NO_MALLOC_COUNT
    if (peak) top = std::max(top, g_peak.load() - base);
#endif
  }
#ifndef SUBSPACE_BENCH_NO_MALLOC_COUNT
  st.counters["allocs"] =
      static_cast<double>(g_allocs.load() - before) / static_cast<double>(st.iterations());
  if (peak) st.counters["peak_mb"] = static_cast<double>(top) / 1e6;
#endif
}

/// rows x cols standard normal entries from a seeded generator.
template <class S>
Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> gaussian(Eigen::Index rows, Eigen::Index cols,
                                                          unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> g;
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> a(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) a(i, j) = static_cast<S>(g(gen));
  return a;
}

}  // namespace bench
