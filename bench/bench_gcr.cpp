// Benchmarks of ml/gcr.hpp at the shape of a GCR head on a ResNet-style feature: C = 1000
// classes of dimension k = 8 in R^512, batch 256 (float), each beside its baselines:
//   gcrforward_<variant>/<C>/<k>/<d>/<B>:
//     gemm   S^T X, the plain GEMM of the same shape (the speed limit; goal: ours <= 1.15x);
//     naive  a per-class loop: |S_c^T x_hat| for c = 1..C, one small product per class;
//     ours   GcrHead::logits (normalization, one GEMM, grouped norms).
//   gcrbackward_<variant>/...: gemm = the two GEMMs of the backward pass (X Q^T and S Q);
//     ours = GcrHead::backward (which also recomputes the forward pass).
//   gcrstep_<variant>/...: one Riemannian SGD step (momentum 0.9, QR retraction) of all C
//     bases; gemm = one plain SGD update S - lr G plus the blockwise QR (a Euclidean step).
//   ./build/release/bench/bench_gcr --benchmark_format=json | python3 bench/ratios.py
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <Eigen/QR>
#include <random>
#include <string>
#include <subspace/ml/gcr.hpp>
#include <subspace/optim/riemannian_sgd.hpp>
#include <utility>

#include "common.hpp"

namespace {

using subspace::Index;
using Mat = Eigen::MatrixXf;

/// The timing loop of bench/common.hpp.
template <class Body>
void run(benchmark::State& st, Body&& body) {
  bench::measure(st, std::forward<Body>(body));
}

constexpr Index kC = 1000, kK = 8, kD = 512, kB = 256;

subspace::GcrHead<float> head() {
  std::mt19937_64 gen(5);
  return subspace::GcrHead<float>::random(kD, kK, kC, gen);
}

const std::string kShape = "/" + std::to_string(kC) + "/" + std::to_string(kK) + "/" +
                           std::to_string(kD) + "/" + std::to_string(kB);

void forward_gemm(benchmark::State& st) {
  const auto h = head();
  const Mat x = bench::gaussian<float>(kD, kB, 1);
  Mat p(kC * kK, kB);
  run(st, [&] {
    p.noalias() = h.bases().basis().transpose() * x;
    benchmark::DoNotOptimize(p.data());
  });
}
void forward_naive(benchmark::State& st) {
  const auto h = head();
  const Mat x = bench::gaussian<float>(kD, kB, 1);
  Mat out(kC, kB);
  run(st, [&] {
    for (Index j = 0; j < kB; ++j) {
      const Eigen::VectorXf xh = x.col(j).normalized();
      for (Index c = 0; c < kC; ++c)
        out(c, j) = 16.0f * (h.bases().block(c).transpose() * xh).norm();
    }
    benchmark::DoNotOptimize(out.data());
  });
}
void forward_ours(benchmark::State& st) {
  const auto h = head();
  const Mat x = bench::gaussian<float>(kD, kB, 1);
  run(st, [&] {
    const Mat lg = h.logits(x);
    benchmark::DoNotOptimize(lg.data());
  });
}
void backward_gemm(benchmark::State& st) {
  const auto h = head();
  const Mat x = bench::gaussian<float>(kD, kB, 1), q = bench::gaussian<float>(kC * kK, kB, 2);
  Mat ds(kD, kC * kK), dx(kD, kB);
  run(st, [&] {
    ds.noalias() = x * q.transpose();
    dx.noalias() = h.bases().basis() * q;
    benchmark::DoNotOptimize(ds.data());
    benchmark::DoNotOptimize(dx.data());
  });
}
void backward_ours(benchmark::State& st) {
  const auto h = head();
  const Mat x = bench::gaussian<float>(kD, kB, 1), dl = bench::gaussian<float>(kC, kB, 2);
  run(st, [&] {
    const auto g = h.backward(x, dl);
    benchmark::DoNotOptimize(g.dx.data());
  });
}
void step_gemm(benchmark::State& st) {
  auto h = head();
  const Mat g = bench::gaussian<float>(kD, kC * kK, 3) * 1e-3f;
  Mat s = h.bases().basis();
  run(st, [&] {
    s -= 0.1f * g;
    for (Index c = 0; c < kC; ++c) {
      Eigen::HouseholderQR<Mat> qr(s.middleCols(c * kK, kK));
      s.middleCols(c * kK, kK) = qr.householderQ() * Mat::Identity(kD, kK);
    }
    benchmark::DoNotOptimize(s.data());
  });
}
void step_ours(benchmark::State& st) {
  auto h = head();
  const Mat g = bench::gaussian<float>(kD, kC * kK, 3) * 1e-3f;
  subspace::SGDOptions o;
  o.learning_rate = 0.1;
  o.momentum = 0.9;
  subspace::RiemannianSGD<subspace::GrassmannProduct<float>> opt(o);
  run(st, [&] {
    h.step(opt, g);
    benchmark::DoNotOptimize(h.bases().basis().data());
  });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark(("gcrforward_gemm" + kShape).c_str(), forward_gemm)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gcrforward_naive" + kShape).c_str(), forward_naive)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gcrforward_ours" + kShape).c_str(), forward_ours)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gcrbackward_gemm" + kShape).c_str(), backward_gemm)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gcrbackward_ours" + kShape).c_str(), backward_ours)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gcrstep_gemm" + kShape).c_str(), step_gemm)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("gcrstep_ours" + kShape).c_str(), step_ours)
      ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
