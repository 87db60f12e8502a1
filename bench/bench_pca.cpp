// Benchmarks of pca.hpp, each beside the plain GEMM of the same data measured in the same run:
//   pcafit_<variant>/<N>/<d>/<k>: fitting N x d data, k = 64 components;
//     gemm    X^T X, the N d^2 product at the heart of every exact solver (the speed reference);
//     cov     PcaSolver::Covariance (one GEMM-like scatter + a d x d eigensolver);
//     svd     PcaSolver::SVD (Householder QR of X, then the SVD of the d x d factor);
//     rand    PcaSolver::Randomized (Halko-Martinsson-Tropp, p = 10, q = 2);
//     randqseven  the same with q = 7 power iterations (scikit-learn's count at this rank);
//     stream  partial_fit in blocks of 1000 rows with max_state_rank = k (memory O(d (k + b)));
//     streamcov  partial_fit in blocks of 1000 rows with PcaSolver::Covariance, exact (the kept
//             d x d scatter, one SYRK per block, factored once when read);
//   pcascore_<variant>/<N>/<d>/<k>: scoring 10 000 rows; gemm = X V_k, ours = PCA::scores.
// Counters: `allocs` (heap allocations per call) and `peak_mb`, the peak live heap during one
// call above what was live before it (data excluded), counted at malloc (bench/common.hpp).
// Shapes: 10000 x 256 and 60000 x 784 in double, 50000 x 768 in float (the list).
//   ./build/release/bench/bench_pca --benchmark_format=json | python3 bench/ratios.py
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <subspace/pca.hpp>
#include <type_traits>
#include <utility>

#include "common.hpp"

namespace {

using subspace::Index;

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

/// The timing loop of bench/common.hpp with peak heap.
template <class Body>
void run(benchmark::State& st, Body&& body) {
  bench::measure(st, std::forward<Body>(body), true);
}

/// N x d data with a decaying spectrum (singular values ~ 1 / (1 + j / 8)) plus noise: the
/// shape of image or embedding data, where k = 64 captures most of the energy.
template <class S>
Mat<S> data(Index n, Index d, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> g;
  Mat<S> z(n, d), w(d, d);
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < n; ++i) z(i, j) = S(g(gen) / (1.0 + double(j) / 8.0));
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i) w(i, j) = S(g(gen) / std::sqrt(double(d)));
  Mat<S> x = z * w;
  x.array() += S(3);  // a mean to remove
  return x;
}

template <class S>
void register_shape(Index n, Index d, Index k) {
  const std::string shape =
      "/" + std::to_string(n) + "/" + std::to_string(d) + "/" + std::to_string(k);
  auto add = [&](const std::string& name, auto fn) {
    auto* b = benchmark::RegisterBenchmark((name + shape).c_str(), fn);
    b->Unit(benchmark::kMillisecond)->UseRealTime();
    if (n * d > 10'000'000) b->Iterations(2);
  };
  // The data are built once per shape, on first use, and shared by every variant.
  auto x = std::make_shared<Mat<S>>();
  auto get = [x, n, d]() -> const Mat<S>& {
    if (x->size() == 0) *x = data<S>(n, d, 7);
    return *x;
  };
  add("pcafit_gemm", [get, d](benchmark::State& st) {
    const Mat<S>& a = get();
    Mat<S> c(d, d);
    run(st, [&] {
      c.noalias() = a.transpose() * a;
      benchmark::DoNotOptimize(c.data());
    });
  });
  // Accuracy beside speed: var_deficit = 1 - tr(V^T C V) / (sum of the k largest eigenvalues of
  // C), C the centred scatter in double, V the fitted components (0 for the exact top-k space).
  struct Exact {
    Mat<double> c;
    double top = 0;
  };
  auto exact = std::make_shared<Exact>();
  auto deficit = [get, exact, k](benchmark::State& st, const Mat<S>& v) {
    if (exact->c.size() == 0) {
      Mat<double> xc = get().template cast<double>();
      xc.rowwise() -= xc.colwise().mean();
      exact->c.noalias() = xc.transpose() * xc;
      Eigen::SelfAdjointEigenSolver<Mat<double>> es(exact->c, Eigen::EigenvaluesOnly);
      exact->top = es.eigenvalues().tail(k).sum();
    }
    const Mat<double> vd = v.template cast<double>();
    st.counters["var_deficit"] = 1.0 - (vd.transpose() * exact->c * vd).trace() / exact->top;
  };
  auto fit = [get, k, deficit](subspace::PcaSolver solver, int power_iterations = 2) {
    return [get, k, solver, deficit, power_iterations](benchmark::State& st) {
      const Mat<S>& a = get();
      subspace::PcaOptions o;
      o.rank = subspace::RankRule::fixed(k);
      o.solver = solver;
      o.power_iterations = power_iterations;
      subspace::PCA<S> pca(o);
      run(st, [&] {
        pca = subspace::PCA<S>(o);
        pca.fit(a);
        benchmark::DoNotOptimize(pca.components().data());
      });
      deficit(st, pca.components());
    };
  };
  add("pcafit_cov", fit(subspace::PcaSolver::Covariance));
  add("pcafit_svd", fit(subspace::PcaSolver::SVD));
  add("pcafit_rand", fit(subspace::PcaSolver::Randomized));
  // scikit-learn's randomized PCA runs 7 power iterations at this rank (n_iter="auto").
  add("pcafit_randqseven", fit(subspace::PcaSolver::Randomized, 7));
  // Streaming in blocks of 1000 rows; reading the components at the end is the read that
  // factors a kept scatter (Covariance).
  auto stream = [get, k, deficit](subspace::PcaSolver solver, Index max_state_rank) {
    return [get, k, deficit, solver, max_state_rank](benchmark::State& st) {
      const Mat<S>& a = get();
      subspace::PcaOptions o;
      o.rank = subspace::RankRule::fixed(k);
      o.solver = solver;
      o.max_state_rank = max_state_rank;
      const Index block = 1000;
      subspace::PCA<S> pca(o);
      run(st, [&] {
        pca = subspace::PCA<S>(o);
        for (Index r = 0; r < a.rows(); r += block)
          pca.partial_fit(a.middleRows(r, std::min(block, a.rows() - r)));
        benchmark::DoNotOptimize(pca.components().data());
      });
      deficit(st, pca.components());
    };
  };
  add("pcafit_stream", stream(subspace::PcaSolver::Auto, k));
  add("pcafit_streamcov", stream(subspace::PcaSolver::Covariance, -1));
  const std::string score_shape = "/10000/" + std::to_string(d) + "/" + std::to_string(k);
  auto add_score = [&](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark((name + score_shape).c_str(), fn)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  if (n == 10000 || std::is_same<S, float>::value) {  // one scoring benchmark per d and scalar
    add_score("pcascore_gemm", [get, d, k](benchmark::State& st) {
      const Mat<S> a = get().topRows(10000);
      const Mat<S> v = Mat<S>::Random(d, k);
      Mat<S> z(10000, k);
      run(st, [&] {
        z.noalias() = a * v;
        benchmark::DoNotOptimize(z.data());
      });
    });
    add_score("pcascore_ours", [get, k](benchmark::State& st) {
      const Mat<S> a = get().topRows(10000);
      subspace::PcaOptions o;
      o.rank = subspace::RankRule::fixed(k);
      subspace::PCA<S> pca(o);
      pca.fit(get());
      run(st, [&] {
        const auto s = pca.scores(a);
        benchmark::DoNotOptimize(s.residual.data());
      });
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_shape<double>(10000, 256, 64);
  register_shape<double>(60000, 784, 64);
  register_shape<float>(50000, 768, 64);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
