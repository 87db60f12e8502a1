// Benchmarks of ml/gradient_projection.hpp, each beside its baseline measured in the same run:
//   gpmproject_<variant>/<d>/<m>: G <- G (I - M M^T) for a d x d layer gradient (float), memory m;
//     gemm   G M, the plain GEMM of the same shape (the projection is two of them: ratio ~2);
//     naive  G P with the dense projector P = I - M M^T formed once (a d x d x d GEMM per step);
//     ours   GradientProjectionMemory::project(G, work) in place, with a warm caller-owned
//            workspace (the allocs left are Eigen's GEMM packing buffers); the copy that
//            restores G before each call is outside the timing (PauseTiming), as the peer's
//            out-of-place G - (G M) M^T copies nothing.
//   gpmupdate_<variant>/<d>/<s>/<m>: one memory update from s samples of a width-d layer
//     against a memory of m directions, threshold 0.97; gemm = R R^T of the same data.
// Counters: allocs per call, peak_mb above the live heap before the call (bench/common.hpp).
//   ./build/release/bench/bench_gpm --benchmark_format=json | python3 bench/ratios.py
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <random>
#include <string>
#include <subspace/basis.hpp>
#include <subspace/ml/gradient_projection.hpp>
#include <utility>

#include "common.hpp"

namespace {

using subspace::Index;
using Mat = Eigen::MatrixXf;

/// The timing loop of bench/common.hpp with peak heap.
template <class Body>
void run(benchmark::State& st, Body&& body) {
  bench::measure(st, std::forward<Body>(body), true);
}

/// A memory of exactly m directions in R^d.
subspace::GradientProjectionMemory<float> memory(Index d, Index m) {
  subspace::GradientProjectionMemory<float> mem(d);
  if (m > 0) mem.update(bench::gaussian<float>(d, m, 3), 1.0);
  return mem;
}

void register_project(Index d, Index m) {
  const std::string shape = "/" + std::to_string(d) + "/" + std::to_string(m);
  benchmark::RegisterBenchmark(("gpmproject_gemm" + shape).c_str(), [d, m](benchmark::State& st) {
    const Mat g = bench::gaussian<float>(d, d, 1), b = memory(d, m).basis();
    Mat out(d, m);
    run(st, [&] {
      out.noalias() = g * b;
      benchmark::DoNotOptimize(out.data());
    });
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gpmproject_naive" + shape).c_str(), [d, m](benchmark::State& st) {
    const Mat g0 = bench::gaussian<float>(d, d, 1), b = memory(d, m).basis();
    const Mat p = Mat::Identity(d, d) - b * b.transpose();
    Mat g(d, d);
    run(st, [&] {
      g.noalias() = g0 * p;
      benchmark::DoNotOptimize(g.data());
    });
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gpmproject_ours" + shape).c_str(), [d, m](benchmark::State& st) {
    const Mat g0 = bench::gaussian<float>(d, d, 1);
    const auto mem = memory(d, m);
    Mat g = g0, work;
    mem.project(g, work);  // warm the workspace
    run(st, [&] {
      st.PauseTiming();
      g = g0;
      st.ResumeTiming();
      mem.project(g, work);
      benchmark::DoNotOptimize(g.data());
    });
  })->Unit(benchmark::kMicrosecond);
}

void register_update(Index d, Index s, Index m) {
  const std::string shape =
      "/" + std::to_string(d) + "/" + std::to_string(s) + "/" + std::to_string(m);
  benchmark::RegisterBenchmark(("gpmupdate_gemm" + shape).c_str(), [d, s](benchmark::State& st) {
    const Mat r = bench::gaussian<float>(d, s, 2);
    Mat c(d, d);
    run(st, [&] {
      c.noalias() = r * r.transpose();
      benchmark::DoNotOptimize(c.data());
    });
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("gpmupdate_ours" + shape).c_str(), [d, s, m](benchmark::State& st) {
    // Samples with a decaying spectrum, as layer activations have.
    Mat r = bench::gaussian<float>(d, s, 2);
    for (Index i = 0; i < d; ++i) r.row(i) *= 1.0f / (1.0f + float(i) / 8.0f);
    const auto mem0 = memory(d, m);
    run(st, [&] {
      auto mem = mem0;
      const auto rep = mem.update(r, 0.97);
      benchmark::DoNotOptimize(rep.size);
    });
  })->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  for (Index m : {64, 256, 768}) register_project(1024, m);
  register_update(256, 10000, 0);
  register_update(256, 10000, 64);
  register_update(1024, 10000, 256);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
