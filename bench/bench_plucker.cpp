// Benchmarks of plucker.hpp, each next to its naive baseline measured in the same run:
//   plucker_{ours,fixed,naive}/<n>/<k>: all C(n, k) Plucker coordinates of an n x k matrix;
//     naive = one fixed-size k x k determinant per lexicographic row subset (Eigen's closed
//     forms for k <= 4: no pivoting, no allocation), the strongest naive baseline;
//   pairfeatures_{ours,naive}/<r>/<T>/<offsets>: normalized pair features of T tokens in R^r;
//     naive = a scalar loop over (t, offset, i < j) with the norm from the Lagrange identity
//     (less accurate than ours near parallel pairs, and faster per flop: a demanding baseline).
//   ./build/dev/bench/bench_plucker --benchmark_format=json | python3 bench/ratios.py
#include <benchmark/benchmark.h>

#include <Eigen/LU>
#include <cmath>
#include <string>
#include <subspace/plucker.hpp>
#include <vector>

namespace {

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;
using subspace::Index;

/// One determinant per lexicographic row subset, on a fixed-size K x K matrix: Eigen's closed
/// forms for K <= 4 (no pivoting, no allocation), the strongest form of the naive method.
template <int K>
Vec naive_plucker(const Mat& u) {
  const Index n = u.rows();
  const subspace::Combinations c(n, K);
  Vec p(c.size());
  std::vector<Index> s(static_cast<std::size_t>(K));
  for (Index m = 0; m < K; ++m) s[static_cast<std::size_t>(m)] = m;
  Eigen::Matrix<double, K, K> sub;
  Index r = 0;
  do {
    for (Index m = 0; m < K; ++m) sub.row(m) = u.row(s[static_cast<std::size_t>(m)]);
    p(r++) = sub.determinant();
  } while (subspace::Combinations::next(s, n));
  return p;
}

template <int N, int K>
void register_plucker() {
  const std::string shape = "/" + std::to_string(N) + "/" + std::to_string(K);
  benchmark::RegisterBenchmark(("plucker_ours" + shape).c_str(), [](benchmark::State& st) {
    std::srand(1);
    const Mat u = Mat::Random(N, K);
    for (auto _ : st) benchmark::DoNotOptimize(subspace::plucker(u).data());
  });
  benchmark::RegisterBenchmark(("plucker_naive" + shape).c_str(), [](benchmark::State& st) {
    std::srand(1);
    const Mat u = Mat::Random(N, K);
    for (auto _ : st) benchmark::DoNotOptimize(naive_plucker<K>(u).data());
  });
  if constexpr (N <= 16) {
    benchmark::RegisterBenchmark(("plucker_fixed" + shape).c_str(), [](benchmark::State& st) {
      std::srand(1);
      const Eigen::Matrix<double, N, K> u = Eigen::Matrix<double, N, K>::Random();
      for (auto _ : st) {
        auto p = subspace::plucker(u);
        benchmark::DoNotOptimize(p.data());
      }
    });
  }
}

void pairfeatures_ours(benchmark::State& st) {
  std::srand(2);
  const Mat x = Mat::Random(st.range(0), st.range(1));
  std::vector<Index> offsets;
  for (Index d = 1; d <= st.range(2); ++d) offsets.push_back(d * d);  // 1, 4, 9, 16
  for (auto _ : st) benchmark::DoNotOptimize(subspace::plucker_pair_features(x, offsets).data());
  st.SetItemsProcessed(st.iterations() * st.range(1) * st.range(2));
}

void pairfeatures_naive(benchmark::State& st) {
  std::srand(2);
  const Index r = st.range(0), t_len = st.range(1), n_off = st.range(2);
  const Mat x = Mat::Random(r, t_len);
  const Index c = r * (r - 1) / 2;
  for (auto _ : st) {
    Mat out = Mat::Zero(c, t_len * n_off);
    for (Index o = 0; o < n_off; ++o) {
      const Index d = (o + 1) * (o + 1);
      for (Index t = d; t < t_len; ++t) {
        double xx = 0, yy = 0, xy = 0;
        for (Index i = 0; i < r; ++i) {
          xx += x(i, t) * x(i, t);
          yy += x(i, t - d) * x(i, t - d);
          xy += x(i, t) * x(i, t - d);
        }
        const double nrm = std::sqrt(std::max(xx * yy - xy * xy, 0.0));
        if (nrm <= 1e-14 * std::sqrt(xx * yy)) continue;
        Index idx = 0;
        for (Index i = 0; i < r; ++i)
          for (Index j = i + 1; j < r; ++j)
            out(idx++, o * t_len + t) = (x(i, t) * x(j, t - d) - x(j, t) * x(i, t - d)) / nrm;
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations() * t_len * n_off);
}

}  // namespace

BENCHMARK(pairfeatures_ours)->Args({16, 4096, 4})->Unit(benchmark::kMicrosecond);
BENCHMARK(pairfeatures_naive)->Args({16, 4096, 4})->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  register_plucker<4, 2>();
  register_plucker<16, 2>();
  register_plucker<64, 2>();
  register_plucker<12, 3>();
  register_plucker<32, 3>();
  register_plucker<16, 4>();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
