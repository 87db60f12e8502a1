// SPDX-License-Identifier: MIT
// bench_mpi: time and bytes of subspace::mpi's reductions against the number of ranks P and
// the state's size (d, r), under mpirun:
//   mpirun -np P ./bench_mpi [--benchmark_filter=...]
//
// Each row is timed on every rank with MPI_Wtime; the time reported is the slowest rank's
// (what the caller waits for). Its baseline, measured in the same run, is the serial work
// that the reduction cannot avoid: for allreduce, ceil(log2 P) PCA::merge calls of two states
// of that size on one rank (the tree's critical path), so `ratio` - 1 is the share of the time
// spent communicating and (de)serializing; for tsqr, the Householder QR of this rank's rows.
// Counters: `state_bytes` (one serialized state), `bytes_up` (the most any rank sends up the
// tree: one state), `bytes_bcast` (the broadcast of the result), `depth` (tree levels).
//
// Iteration counts are fixed (every rank must make the same collective calls), and only rank
// 0 prints.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <subspace/mpi.hpp>

namespace {

int g_rank = 0, g_size = 1;

Eigen::MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n;
  return Eigen::MatrixXd::NullaryExpr(rows, cols, [&] { return n(rng); });
}

double slowest(double seconds) {
  MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return seconds;
}

int depth() { return g_size > 1 ? int(std::ceil(std::log2(double(g_size)))) : 0; }

/// Times one iteration of a collective call (the slowest rank's time) and reports it.
template <class F>
void timed(benchmark::State& st, double& total, F&& f) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  f();
  const double t = slowest(MPI_Wtime() - t0);
  st.SetIterationTime(t);
  total += t;
}

/// The counters every row has: ranks, tree depth, baseline and ratio = time / baseline.
void common_counters(benchmark::State& st, double base, double total) {
  const double b = slowest(base);
  st.counters["P"] = g_size;
  st.counters["depth"] = depth();
  st.counters["baseline_ms"] = 1e3 * b;
  st.counters["ratio"] = total / double(st.iterations()) / b;
}

/// A PCA state of dimension d holding r directions (a fit of r + 1 rows of rank r).
subspace::PCA<double> state(Eigen::Index d, Eigen::Index r, std::uint64_t seed) {
  subspace::PCA<double> p;
  p.fit(gaussian(r + 1, d, seed));
  return p;
}

void BM_pca_allreduce(benchmark::State& st) {
  const Eigen::Index d = st.range(0), r = st.range(1);
  const auto mine = state(d, r, 100 + std::uint64_t(g_rank));
  // Baseline: the tree's critical path done serially, ceil(log2 P) merges of such states.
  const auto other = state(d, r, 7);
  double base = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = MPI_Wtime();
    auto acc = mine;
    for (int l = 0; l < std::max(depth(), 1); ++l) acc.merge(other);
    base += (MPI_Wtime() - t0) / 3;
  }
  subspace::PCA<double> p;
  double total = 0;
  for (auto _ : st) {
    p = mine;
    timed(st, total, [&] { subspace::mpi::allreduce(p, MPI_COMM_WORLD); });
    benchmark::DoNotOptimize(p.singular_values().data());
  }
  common_counters(st, base, total);
  const double bytes = double(mine.serialize().size());
  st.counters["state_bytes"] = bytes;
  st.counters["bytes_up"] = g_size > 1 ? bytes : 0;
  st.counters["bytes_bcast"] = double(p.serialize().size());  // the union's state
}

void BM_tsqr(benchmark::State& st) {
  const Eigen::Index m = st.range(0), n = st.range(1);
  const Eigen::MatrixXd a = gaussian(m, n, 200 + std::uint64_t(g_rank));
  double base = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = MPI_Wtime();
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
    Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(m, n);
    benchmark::DoNotOptimize(q.data());
    base += (MPI_Wtime() - t0) / 3;
  }
  double total = 0;
  for (auto _ : st) {
    subspace::mpi::Tsqr<double> t;
    timed(st, total, [&] { t = subspace::mpi::tsqr(a, MPI_COMM_WORLD); });
    benchmark::DoNotOptimize(t.q.data());
  }
  common_counters(st, base, total);
  st.counters["bytes_up"] = g_size > 1 ? 8.0 * double(n * n) : 0;
}

BENCHMARK(BM_pca_allreduce)
    ->Args({64, 16})
    ->Args({256, 32})
    ->Args({784, 80})
    ->Args({784, 784})
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tsqr)
    ->Args({20000, 16})
    ->Args({20000, 64})
    ->Args({5000, 256})
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

/// Ranks other than 0 run the same benchmarks (the collective calls must match) and print
/// nothing.
class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  benchmark::Initialize(&argc, argv);
  if (g_rank == 0) {
    std::printf("bench_mpi: %d ranks; times are the slowest rank's\n", g_size);
    benchmark::RunSpecifiedBenchmarks();
  } else {
    Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  MPI_Finalize();
  return 0;
}
