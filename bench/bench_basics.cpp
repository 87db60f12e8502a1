// Benchmarks of the subspace basics, each next to baselines measured in the same run:
//   gemm  — the plain GEMM of the same shape (the speed limit of projection-shaped work);
//   naive — the textbook version (an explicit n x n projector; arccos of the cosines).
// Names are <operation>/<variant>/<n>/<k>; `python3 bench/ratios.py` turns the JSON output into
// ratios against the baselines:
//   ./build/release/bench/bench_basics --benchmark_format=json | python3 bench/ratios.py
#include <benchmark/benchmark.h>

#include <Eigen/QR>
#include <Eigen/SVD>
#include <cmath>
#include <string>
#include <subspace/subspace.hpp>

#include "common.hpp"

namespace {

using Mat = Eigen::MatrixXd;
constexpr Eigen::Index kBatch = 64;  // columns of X in the projection benchmarks

Mat random_basis(Eigen::Index n, Eigen::Index k, unsigned seed) {
  std::srand(seed);
  const Mat a = Mat::Random(n, k);  // evaluated once: a Random expression differs at every read
  return subspace::qr_basis(a);
}

// ---- projection of a batch of 64 vectors -----------------------------------------------------
void project_ours(benchmark::State& st) {
  const Mat u = random_basis(st.range(0), st.range(1), 1);
  const Mat x = Mat::Random(st.range(0), kBatch);
  for (auto _ : st) benchmark::DoNotOptimize(subspace::residual(u, x).data());
}
void project_gemm(benchmark::State& st) {  // the speed limit: U^T X, then U C (two GEMMs)
  const Mat u = random_basis(st.range(0), st.range(1), 1);
  const Mat x = Mat::Random(st.range(0), kBatch);
  Mat c(u.cols(), kBatch), r(x.rows(), kBatch);
  for (auto _ : st) {
    c.noalias() = u.transpose() * x;
    r = x;
    r.noalias() -= u * c;
    benchmark::DoNotOptimize(r.data());
  }
}
void project_naive(benchmark::State& st) {  // I - U U^T formed, then applied
  const Eigen::Index n = st.range(0);
  if (n > 4096) {
    st.SkipWithError("an n x n projector at n = 16384 needs 2 GiB; skipped");
    return;
  }
  const Mat u = random_basis(n, st.range(1), 1);
  const Mat x = Mat::Random(n, kBatch);
  for (auto _ : st) {
    Mat p = Mat::Identity(n, n);
    p.noalias() -= u * u.transpose();
    Mat r = p * x;
    benchmark::DoNotOptimize(r.data());
  }
}
void residual_norms_ours(benchmark::State& st) {
  const Mat u = random_basis(st.range(0), st.range(1), 1);
  const Mat x = Mat::Random(st.range(0), kBatch);
  for (auto _ : st) benchmark::DoNotOptimize(subspace::residual_norms(u, x).data());
}

// ---- principal angles between two k-dimensional subspaces -------------------------------------
void angles_ours(benchmark::State& st) {
  const Mat u = random_basis(st.range(0), st.range(1), 1);
  const Mat v = random_basis(st.range(0), st.range(1), 2);
  for (auto _ : st) benchmark::DoNotOptimize(subspace::principal_angles(u, v).data());
}
void angles_naive(benchmark::State& st) {  // arccos of the singular values of U^T V (inaccurate)
  const Mat u = random_basis(st.range(0), st.range(1), 1);
  const Mat v = random_basis(st.range(0), st.range(1), 2);
  for (auto _ : st) {
    Eigen::VectorXd s = Eigen::JacobiSVD<Mat>(u.transpose() * v).singularValues();
    s = s.cwiseMin(1.0).array().acos();
    benchmark::DoNotOptimize(s.data());
  }
}
void angles_gemm(benchmark::State& st) {  // U^T V alone
  const Mat u = random_basis(st.range(0), st.range(1), 1);
  const Mat v = random_basis(st.range(0), st.range(1), 2);
  Mat m(u.cols(), v.cols());
  for (auto _ : st) {
    m.noalias() = u.transpose() * v;
    benchmark::DoNotOptimize(m.data());
  }
}

// ---- orthonormal bases of an n x k Gaussian matrix --------------------------------------------
void basis_qr_ours(benchmark::State& st) {
  const Mat a = Mat::Random(st.range(0), st.range(1));
  for (auto _ : st) benchmark::DoNotOptimize(subspace::qr_basis(a).data());
}
void basis_pivoted_ours(benchmark::State& st) {
  const Mat a = Mat::Random(st.range(0), st.range(1));
  for (auto _ : st) benchmark::DoNotOptimize(subspace::pivoted_qr_basis(a).data());
}
void basis_svd_ours(benchmark::State& st) {
  const Mat a = Mat::Random(st.range(0), st.range(1));
  for (auto _ : st) benchmark::DoNotOptimize(subspace::svd_basis(a).basis.data());
}
void basis_naive(benchmark::State& st) {  // Eigen's Householder QR + thin Q, no checks or signs
  const Mat a = Mat::Random(st.range(0), st.range(1));
  for (auto _ : st) {
    Eigen::HouseholderQR<Mat> qr(a);
    Mat q = qr.householderQ() * Mat::Identity(a.rows(), a.cols());
    benchmark::DoNotOptimize(q.data());
  }
}

// ---- this machine's GEMM throughput (the reference for "fraction of GEMM speed") -------------
template <class S>
void peakgemm(benchmark::State& st) {  // C = A B, 1024 x 1024; reports GFLOP/s
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  const Eigen::Index n = st.range(0);
  const M a = M::Random(n, n), b = M::Random(n, n);
  M c(n, n);
  for (auto _ : st) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["gflops"] = benchmark::Counter(2e-9 * double(n) * double(n) * double(n),
                                             benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "k"})->Unit(benchmark::kMicrosecond);
  for (int n : {64, 1024, 16384})
    for (int k : {4, 32, 128})
      if (k <= n) b->Args({n, k});
}

}  // namespace

BENCHMARK(project_ours)->Apply(shapes);
BENCHMARK(project_gemm)->Apply(shapes);
BENCHMARK(project_naive)->Apply(shapes);
BENCHMARK(residual_norms_ours)->Apply(shapes);
BENCHMARK(angles_ours)->Apply(shapes);
BENCHMARK(angles_naive)->Apply(shapes);
BENCHMARK(angles_gemm)->Apply(shapes);
BENCHMARK(basis_qr_ours)->Apply(shapes);
BENCHMARK(basis_pivoted_ours)->Apply(shapes);
BENCHMARK(basis_svd_ours)->Apply(shapes);
BENCHMARK(basis_naive)->Apply(shapes);

BENCHMARK_TEMPLATE(peakgemm, double)
    ->Name("peakgemm_double")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(peakgemm, float)
    ->Name("peakgemm_float")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
