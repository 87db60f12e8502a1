// Benchmarks of the manifold layer (Grassmann, Stiefel, GrassmannProduct, optimiser steps), each
// next to the baseline of the same run and shape: `euclidstep`, a Euclidean SGD step U - lr G
// followed by a QR re-orthonormalization (thin Q) — what ad-hoc code does instead of a
// Riemannian step. Every benchmark also reports `allocs`, the heap allocations per call counted
// at malloc (goal for fixed sizes: 0).
//
// Names are <op>_<variant>/<n>/<k>[/<count>], variant dyn (Eigen::Dynamic), fixed (compile-time
// n and k) or prod (a product of `count` points held in one n x (count k) matrix):
//   ./build/release/bench/bench_grassmann --benchmark_format=json | python3 bench/ratios.py
#include <benchmark/benchmark.h>

#include <Eigen/QR>
#include <cstdlib>
#include <random>
#include <string>
#include <subspace/subspace.hpp>
#include <utility>

#include "common.hpp"

namespace {

using subspace::Index;
using subspace::Retraction;

/// The timing loop of bench/common.hpp.
template <class Body>
void run(benchmark::State& st, Body&& body) {
  bench::measure(st, std::forward<Body>(body));
}

/// A point, a second point at distance about 0.5, a tangent D (|D| = 0.5), a vector to transport
/// and a Euclidean gradient, all of the point type's shape.
template <class P>
struct Setup {
  P x, y;
  typename P::Tangent d, xi, g;
  Setup(Index n, Index k, Index count = 1) {
    std::mt19937_64 rng(42);
    if constexpr (std::is_same<P, subspace::GrassmannProductd>::value)
      x = P::random(n, k, count, rng);
    else
      x = P::random(n, k, rng);
    d = x.random_tangent(rng);
    d *= 0.5 / d.norm();
    xi = x.random_tangent(rng);
    g = x.random_tangent(rng) + x.basis();  // not tangent: what a network hands back
    y = x.retract(d, Retraction::QR);
  }
};

/// Times one optimiser step after a first step has created its state (momentum / moments).
template <class P, class Opt>
void optimizer_steps(benchmark::State& st, const Setup<P>& s, Opt opt) {
  P x = s.x;
  opt.step(x, s.g);
  run(st, [&] { benchmark::DoNotOptimize(opt.step(x, s.g).data()); });
}

template <class Mat>
void euclid_step_into(Mat& u, const Mat& g, Index k) {  // U <- qf(U - lr G), block by block
  u -= 0.01 * g;
  for (Index c = 0; c * k < u.cols(); ++c) {
    auto block = u.middleCols(c * k, k);
    Eigen::HouseholderQR<Eigen::Ref<Mat>> qr(block);  // in place: no copy of the block
    Mat q = qr.householderQ() * Mat::Identity(u.rows(), k);
    block = q;
  }
}
template <class Mat>
void euclid_step_fixed(Mat& u, const Mat& g) {
  u -= 0.01 * g;
  Eigen::HouseholderQR<Mat> qr(u);
  u = qr.householderQ() * Mat::Identity();
}

// ---- Grassmann / Stiefel single points -------------------------------------------------------
template <class P>
void register_point(const std::string& variant, Index n, Index k) {
  const std::string shape = "/" + std::to_string(n) + "/" + std::to_string(k);
  auto reg = [&](const std::string& op, auto fn) {
    // The largest shape (the peer comparison's n = 16384, k = 128) only for the geometry, to
    // keep the program under two minutes.
    if (n > 4096 && op != "exp" && op != "log" && op != "distance" && op != "angles") return;
    benchmark::RegisterBenchmark((op + "_" + variant + shape).c_str(), [=](benchmark::State& st) {
      Setup<P> s(n, k);
      fn(st, s);
    })->MinTime(0.25);  // ~60 benchmarks: 0.25 s each keeps the program under two minutes
  };
  reg("euclidstep", [](benchmark::State& st, Setup<P>& s) {
    typename P::Basis u = s.x.basis();
    run(st, [&] {
      if constexpr (P::AmbientAtCompileTime == Eigen::Dynamic)
        euclid_step_into(u, s.g, u.cols());
      else
        euclid_step_fixed(u, s.g);
      benchmark::DoNotOptimize(u.data());
    });
  });
  reg("project", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.project(s.g).data()); });
  });
  reg("exp", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.exp(s.d).basis().data()); });
  });
  reg("log", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.log(s.y).data()); });
  });
  reg("distance", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.distance(s.y)); });
  });
  reg("angles", [](benchmark::State& st, Setup<P>& s) {  // the free function on the two bases
    run(st, [&] {
      benchmark::DoNotOptimize(subspace::principal_angles(s.x.basis(), s.y.basis()).data());
    });
  });
  reg("retract_qr", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.retract(s.d, Retraction::QR).basis().data()); });
  });
  reg("retract_polar", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.retract(s.d, Retraction::Polar).basis().data()); });
  });
  reg("transport", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.transport(s.xi, s.y).data()); });
  });
  reg("ptransport", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.parallel_transport(s.d, s.xi).data()); });
  });
  reg("sgdstep", [](benchmark::State& st, Setup<P>& s) {
    optimizer_steps(st, s, subspace::RiemannianSGD<P>(subspace::SGDOptions{0.01, 0.9}));
  });
  reg("adamstep", [](benchmark::State& st, Setup<P>& s) {
    optimizer_steps(st, s, subspace::RiemannianAdam<P>(subspace::AdamOptions{0.01}));
  });
}

template <class P>
void register_stiefel(const std::string& variant, Index n, Index k) {
  const std::string shape = "/" + std::to_string(n) + "/" + std::to_string(k);
  for (auto [name, kind] : {std::pair<const char*, Retraction>{"stiefel_qr", Retraction::QR},
                            {"stiefel_polar", Retraction::Polar},
                            {"stiefel_cayley", Retraction::Cayley}}) {
    const Retraction r = kind;
    benchmark::RegisterBenchmark(
        (std::string(name) + "_" + variant + shape).c_str(), [=](benchmark::State& st) {
          Setup<P> s(n, k);
          run(st, [&] { benchmark::DoNotOptimize(s.x.retract(s.d, r).basis().data()); });
        });
  }
}

// ---- a product of many points ------------------------------------------------------------------
void register_product(Index n, Index k, Index count) {
  using P = subspace::GrassmannProductd;
  const std::string shape =
      "/" + std::to_string(n) + "/" + std::to_string(k) + "/" + std::to_string(count);
  auto reg = [&](const std::string& op, auto fn) {
    benchmark::RegisterBenchmark((op + "_prod" + shape).c_str(), [=](benchmark::State& st) {
      Setup<P> s(n, k, count);
      fn(st, s);
    })->Unit(benchmark::kMillisecond);
  };
  reg("euclidstep", [k](benchmark::State& st, Setup<P>& s) {
    Eigen::MatrixXd u = s.x.basis();
    run(st, [&] {
      euclid_step_into(u, s.g, k);
      benchmark::DoNotOptimize(u.data());
    });
  });
  reg("project", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.project(s.g).data()); });
  });
  reg("retract_qr", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.retract(s.d, Retraction::QR).basis().data()); });
  });
  reg("exp", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.exp(s.d).basis().data()); });
  });
  reg("log", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.log(s.y).data()); });
  });
  reg("distance", [](benchmark::State& st, Setup<P>& s) {
    run(st, [&] { benchmark::DoNotOptimize(s.x.distance(s.y).data()); });
  });
  reg("sgdstep", [](benchmark::State& st, Setup<P>& s) {
    optimizer_steps(st, s, subspace::RiemannianSGD<P>(subspace::SGDOptions{0.01, 0.9}));
  });
  reg("adamstep", [](benchmark::State& st, Setup<P>& s) {
    optimizer_steps(st, s, subspace::RiemannianAdam<P>(subspace::AdamOptions{0.01}));
  });
}

}  // namespace

int main(int argc, char** argv) {
  using Gd = subspace::Grassmannd;
  for (auto [n, k] : {std::pair<Index, Index>{4, 2}, {64, 4}, {512, 16}, {4096, 64}}) {
    register_point<Gd>("dyn", n, k);
    register_stiefel<subspace::Stiefeld>("dyn", n, k);
  }
  register_point<subspace::Grassmann<double, 4, 2>>("fixed", 4, 2);
  register_point<subspace::Grassmann<double, 64, 4>>("fixed", 64, 4);
  register_point<subspace::Grassmann<double, 512, 16>>("fixed", 512, 16);
  register_point<Gd>("dyn", 16384, 128);
  register_stiefel<subspace::Stiefel<double, 4, 2>>("fixed", 4, 2);
  register_stiefel<subspace::Stiefel<double, 64, 4>>("fixed", 64, 4);
  register_product(512, 8, 1000);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
