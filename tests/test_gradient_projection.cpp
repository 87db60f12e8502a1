// Tests of ml/gradient_projection.hpp: projected gradients are orthogonal to the memory, a
// projected step leaves a layer's outputs on protected inputs unchanged, GPM's energy rule adds
// exactly the minimal number of directions on constructed spectra (also when the memory already
// holds part of the energy), the memory stays orthonormal up to saturation, spectral protection
// keeps the protected block of W, no allocation once warmed up, and the error paths.
#include <subspace/basis.hpp>
#include <subspace/ml/gradient_projection.hpp>

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "helpers.hpp"

using namespace test;
using subspace::GradientProjectionMemory;
using subspace::SpectralProtection;

namespace {

/// The smallest k with held + sum_{i<k} sigma_i^2 >= eps total (the definition, by brute force).
Index minimal_k(const std::vector<double>& sigma, double held, double total, double eps) {
  double acc = held;
  Index k = 0;
  while (acc < eps * total * (1 - 1e-12) && k < Index(sigma.size())) {
    acc += sigma[std::size_t(k)] * sigma[std::size_t(k)];
    ++k;
  }
  return k;
}

}  // namespace

TEMPLATE_TEST_CASE("GPM: the energy rule adds the minimal number of directions", "[gpm]", float,
                   double) {
  using S = TestType;
  Rng rng(9101);
  const Index d = 30, s = 12;
  const std::vector<double> sigma = {8, 5, 4, 3, 2, 1.5, 1, 0.5, 0.25, 0.1};
  double total = 0;
  for (double x : sigma) total += x * x;
  for (double frac : {0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    CAPTURE(frac);
    // R = U diag(sigma) W^T, U d x 10 and W s x 10 orthonormal: singular values known exactly.
    const MatL u = haar_orthogonal(rng, d).leftCols(10), w = haar_orthogonal(rng, s).leftCols(10);
    Vec<long double> sg(10);
    for (Index i = 0; i < 10; ++i) sg(i) = sigma[std::size_t(i)];
    const Mat<S> r = (u * sg.asDiagonal() * w.transpose()).template cast<S>();
    GradientProjectionMemory<S> mem(d);
    const auto rep = mem.update(r, frac);
    const Index want = std::min<Index>(minimal_k(sigma, 0, total, frac), 10);
    CHECK(rep.added == want);
    CHECK(mem.size() == want);
    CHECK(rep.energy_before == 0.0);
    CHECK(rep.energy_after >= frac - 1e-4);
    // It spans the leading left singular directions.
    if (want > 0) {
      const Mat<S> lead = u.leftCols(want).template cast<S>();
      CHECK((mem.basis() * (mem.basis().transpose() * lead) - lead).cwiseAbs().maxCoeff() <=
            S(2e3) * eps<S>());
    }
  }

  // The rule does not depend on the scale of R, even where |R|_F^2 would overflow or
  // underflow in S.
  {
    const Mat<S> r = rng.gaussian<S>(d, 5) * rng.gaussian<S>(5, s);
    const S big = std::is_same<S, float>::value ? S(1e20) : S(1e160);
    const S small = std::is_same<S, float>::value ? S(1e-25) : S(1e-170);
    for (S scale : {S(1), big, small}) {
      CAPTURE(scale);
      GradientProjectionMemory<S> m(d);
      const auto rep = m.update(Mat<S>(r * scale), 1.0);
      CHECK(rep.added == 5);
      CHECK(rep.energy_after >= 0.999);
    }
  }

  // Second task: R2 = M C + N diag(tau) V^T with N orthogonal to M. The residual has singular
  // values tau exactly, the held energy is |C|_F^2, and the rule counts both.
  GradientProjectionMemory<S> mem(d);
  const MatL basis = haar_orthogonal(rng, d);
  const Mat<S> first = (basis.leftCols(4) * haar_orthogonal(rng, 4).leftCols(4)).template cast<S>();
  REQUIRE(mem.update(first, 1.0).added == 4);
  const std::vector<double> tau = {3, 2, 1, 0.5};
  const MatL c = MatL::Constant(4, s, 0.25L);  // |C|_F^2 = 4 * 12 / 16 = 3
  Vec<long double> tv(4);
  for (Index i = 0; i < 4; ++i) tv(i) = tau[std::size_t(i)];
  const MatL v = haar_orthogonal(rng, s).leftCols(4);
  const Mat<S> m_now = mem.basis();
  // N: orthonormal, orthogonal to the memory as stored (so the construction is exact in S).
  const Mat<S> n_basis = subspace::complement(m_now).leftCols(4);
  const Mat<S> r2 =
      m_now * c.template cast<S>() + n_basis * (tv.asDiagonal() * v.transpose()).template cast<S>();
  double total2 = 3;
  for (double x : tau) total2 += x * x;
  for (double frac : {0.3, 0.6, 0.9, 0.97, 1.0}) {
    CAPTURE(frac);
    GradientProjectionMemory<S> copy = mem;
    const auto rep = copy.update(r2, frac);
    CHECK(std::abs(rep.energy_before - 3 / total2) <= 1e-4);
    CHECK(rep.added == minimal_k(tau, 3, total2, frac));
  }
}

TEMPLATE_TEST_CASE("GPM: projected steps leave protected outputs unchanged", "[gpm]", float,
                   double) {
  using S = TestType;
  Rng rng(9102);
  const Index d = 24, out = 7;
  const Mat<S> r = rng.gaussian<S>(d, 6) * rng.gaussian<S>(6, 40);  // rank 6 inputs
  GradientProjectionMemory<S> mem(d);
  const auto rep = mem.update(r, 1.0);
  CHECK(rep.added == 6);  // the numerical rank, not more: the rest is rounding
  CHECK(rep.saturated == false);
  CHECK(rep.bytes == std::size_t(d * 6) * sizeof(S));
  Mat<S> g = rng.gaussian<S>(out, d);
  const Mat<S> g0 = g;
  mem.project(g);
  CHECK((g * mem.basis()).cwiseAbs().maxCoeff() <= 50 * eps<S>() * g0.norm());
  // What remains is exactly the part of G outside span(M): G0 = G + (G0 M) M^T.
  CHECK((g + g0 * mem.basis() * mem.basis().transpose() - g0).cwiseAbs().maxCoeff() <=
        50 * eps<S>() * g0.norm());
  const Mat<S> w = rng.gaussian<S>(out, d);
  const Mat<S> w2 = w - S(0.3) * g;
  const Mat<S> x = r * rng.gaussian<S>(40, 5);  // inputs of the earlier task
  CHECK((w2 * x - w * x).cwiseAbs().maxCoeff() <=
        200 * eps<S>() * (w.norm() + g0.norm()) * x.norm());
  // The transposed layout gives the transposed answer.
  Mat<S> gt = g0.transpose();
  mem.project_transposed(gt);
  CHECK((gt - g.transpose()).cwiseAbs().maxCoeff() <= 50 * eps<S>() * g0.norm());
  // R already inside the memory: nothing is added.
  const auto again = mem.update(r * rng.gaussian<S>(40, 9), 0.99);
  CHECK(again.added == 0);
  CHECK(again.energy_before >= 0.99999);
  // Warm caller-owned workspace: projecting again allocates nothing (at this size Eigen's GEMM
  // packs on the stack; larger products take packing buffers from the heap, see bench_gpm).
  Mat<S> g2 = rng.gaussian<S>(out, d);
  Mat<S> work;
  Mat<S> g3 = g2;
  mem.project(g3, work);  // sizes the workspace
  Eigen::internal::set_is_malloc_allowed(false);
  mem.project(g2, work);
  Eigen::internal::set_is_malloc_allowed(true);
  CHECK(g2 == g3);
  CHECK((g2 * mem.basis()).cwiseAbs().maxCoeff() <= 50 * eps<S>() * g2.norm() * 10);
}

TEMPLATE_TEST_CASE("GPM: memories beyond half the dimension project through the complement",
                   "[gpm]", float, double) {
  using S = TestType;
  Rng rng(9106);
  const Index d = 20, out = 6;
  GradientProjectionMemory<S> mem(d);
  mem.update(rng.gaussian<S>(d, 8), 1.0);  // m = 8 <= d / 2: direct path
  const Mat<S> g0 = rng.gaussian<S>(out, d);
  for (int round = 0; round < 2; ++round) {
    const Mat<S> m = mem.basis();
    const Mat<S> want = g0 - (g0 * m) * m.transpose();
    Mat<S> g = g0;
    mem.project(g);
    CHECK((g - want).cwiseAbs().maxCoeff() <= 100 * eps<S>() * g0.norm());
    CHECK((g * m).cwiseAbs().maxCoeff() <= 100 * eps<S>() * g0.norm());
    Mat<S> gt = g0.transpose();
    mem.project_transposed(gt);
    CHECK((gt - want.transpose()).cwiseAbs().maxCoeff() <= 100 * eps<S>() * g0.norm());
    if (round == 0) {
      mem.update(rng.gaussian<S>(d, 6), 1.0);  // m = 14 > d / 2: complement path
      REQUIRE(mem.size() == 14);
    }
  }
}

TEMPLATE_TEST_CASE("GPM: the memory stays orthonormal up to saturation", "[gpm]", float, double) {
  using S = TestType;
  Rng rng(9103);
  const Index d = 40;
  GradientProjectionMemory<S> mem(d);
  Index updates = 0;
  while (!mem.saturated() && updates < 100) {
    // Inputs correlated with what is held already (half of each sample inside the memory).
    Mat<S> r = rng.gaussian<S>(d, 5);
    if (mem.size() > 0) r += mem.basis() * rng.gaussian<S>(mem.size(), 5) * S(10);
    const Index before = mem.size();
    const auto rep = mem.update(r, 1.0);  // the whole new span: saturates after d / 5 updates
    CHECK(rep.size == before + rep.added);
    CHECK(rep.added == std::min<Index>(5, d - before));
    CHECK(orthonormality_error(mem.basis()) <= 100 * eps<S>());
    ++updates;
  }
  CHECK(mem.saturated());
  CHECK(mem.size() == d);
  const auto rep = mem.update(rng.gaussian<S>(d, 3), 0.99);
  CHECK(rep.added == 0);
  CHECK(rep.saturated);
  Mat<S> g = rng.gaussian<S>(3, d);
  const S gnorm = g.norm();
  mem.project(g);
  CHECK(g.cwiseAbs().maxCoeff() <= 100 * eps<S>() * gnorm);  // every step is now zero
}

TEMPLATE_TEST_CASE("Spectral protection keeps the protected block of W", "[gpm]", float, double) {
  using S = TestType;
  Rng rng(9104);
  const Index out = 8, d = 12;
  const MatL u = haar_orthogonal(rng, out).leftCols(8), v = haar_orthogonal(rng, d).leftCols(8);
  Vec<long double> sg(8);
  sg << 10, 6, 3, 1, 0.5, 0.2, 0.1, 0.05;  // energies 100, 36, 9, 1, ...
  const Mat<S> w = (u * sg.asDiagonal() * v.transpose()).template cast<S>();
  SpectralProtection<S> sp(out, d, 0.9);
  CHECK(sp.update(w) == 2);  // 136 / 146.3 >= 0.9 > 100 / 146.3
  SpectralProtection<S> sp3(out, d, 0.97);
  CHECK(sp3.update(w) == 3);
  Mat<S> g = rng.gaussian<S>(out, d);
  const S scale = g.norm();
  sp.project(g);
  CHECK((sp.left().transpose() * g).cwiseAbs().maxCoeff() <= 50 * eps<S>() * scale);
  CHECK((g * sp.right()).cwiseAbs().maxCoeff() <= 50 * eps<S>() * scale);
  // The top singular values of W + step are those of W (U_r^T step = 0 and step V_r = 0).
  const Mat<S> w2 = w - S(0.1) * g;
  const Mat<S> block = sp.left().transpose() * w2 * sp.right();
  CHECK(std::abs(block(0, 0) - S(10)) <= 100 * eps<S>() * 10);
  CHECK(std::abs(block(1, 1) - S(6)) <= 100 * eps<S>() * 10);
}

TEMPLATE_TEST_CASE("GPM and spectral protection: errors", "[gpm][errors]", float, double) {
  using S = TestType;
  Rng rng(9105);
  require_throws<subspace::DimensionMismatch>([] { GradientProjectionMemory<S> m(0); }, ">= 1");
  GradientProjectionMemory<S> mem(6);
  require_throws<subspace::DimensionMismatch>([&] { mem.update(rng.gaussian<S>(5, 3), 0.9); },
                                              "6 x s");
  require_throws<subspace::DimensionMismatch>([&] { mem.update(Mat<S>(6, 0), 0.9); }, "s >= 1");
  for (double bad : {0.0, -0.5, 1.5, std::numeric_limits<double>::quiet_NaN()})
    require_throws<subspace::InvalidParameter>([&] { mem.update(rng.gaussian<S>(6, 3), bad); },
                                               "(0, 1]");
  Mat<S> nan = rng.gaussian<S>(6, 3);
  nan(1, 1) = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>([&] { mem.update(nan, 0.9); }, "NaN");
  CHECK(mem.size() == 0);  // unchanged by the failed updates
  Mat<S> g = rng.gaussian<S>(3, 5);
  require_throws<subspace::DimensionMismatch>([&] { mem.project(g); }, "6 columns");
  require_throws<subspace::DimensionMismatch>([&] { mem.project_transposed(g); }, "6 rows");
  require_throws<subspace::InvalidParameter>([] { SpectralProtection<S> s(3, 4, 1.5); }, "(0, 1]");
  require_throws<subspace::DimensionMismatch>([] { SpectralProtection<S> s(0, 4, 0.5); }, "shape");
  SpectralProtection<S> sp(3, 4, 0.5);
  require_throws<subspace::DimensionMismatch>([&] { sp.update(rng.gaussian<S>(4, 3)); }, "3x4");
  require_throws<subspace::DimensionMismatch>([&] { sp.project(g); }, "3x4");
}
