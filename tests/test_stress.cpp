// The long-running cases: many thousands of updates or a million entries, where the sanitized
// suite (compiled at -O0, tests/CMakeLists.txt) spent minutes. This file alone is compiled at
// -O1 in every build (and without the sanitizers: tests/CMakeLists.txt): the -O0 sanitized suite
// ran these three in 367 s, 67 s and 2 x 43 s.
#include <subspace/angles.hpp>
#include <subspace/basis.hpp>
#include <subspace/grassmann.hpp>
#include <subspace/optim/riemannian_sgd.hpp>
#include <subspace/pca.hpp>
#include <subspace/stiefel.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <utility>

#include "helpers.hpp"

using namespace test;
using subspace::PcaOptions;
using subspace::PcaSolver;
using subspace::Retraction;

TEST_CASE("PCA<float>: 2000 streamed blocks stay within 10x of a float batch fit", "[pca]") {
  // Each update of a float state is an SVD; in float, each added ~eps s_1 to the state and
  // after N updates the leading singular values had drifted by ~N eps (measured: 1.9e-3 after
  // 5000 blocks, 4 % after 1e5). The update SVD now runs in double (pca.hpp, update_svd).
  // Reference: a double fit of the same (float-representable) rows.
  std::mt19937_64 gen(2024);
  std::normal_distribution<double> normal;
  const int blocks = 2000, b = 4, d = 32, k = 8;
  const Eigen::MatrixXd q =
      subspace::qr_basis(Eigen::MatrixXd::NullaryExpr(d, d, [&] { return normal(gen); }).eval());
  Eigen::MatrixXd x(Index(blocks) * b, d);
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j < d; ++j) x(i, j) = normal(gen) * std::pow(0.8, double(j));
  x = (x * q.transpose()).eval();
  x.array() += 3.0;  // a mean far from 0, as real features have
  const Eigen::MatrixXf xf = x.cast<float>();
  subspace::PCA<double> ref;
  ref.fit(xf.cast<double>().eval());
  // The float batch fit is the SVD solver's, all in float: Covariance now accumulates float
  // data in double and is far more accurate than float storage (3e-8 here).
  subspace::PcaOptions svd;
  svd.solver = PcaSolver::SVD;
  subspace::PCA<float> batch(svd), stream;
  batch.fit(xf);
  for (int i = 0; i < blocks; ++i) stream.partial_fit(xf.middleRows(Index(i) * b, b));
  auto errors = [&](const subspace::PCA<float>& p) {
    double es = 0;
    for (int i = 0; i < k; ++i)
      es = std::max(es, std::abs(double(p.singular_values()(i)) - ref.singular_values()(i)) /
                            ref.singular_values()(i));
    const Eigen::MatrixXd vk = p.components().leftCols(k).cast<double>();
    const double angle =
        subspace::principal_angles(subspace::qr_basis(vk), ref.components().leftCols(k).eval())
            .maxCoeff();
    return std::make_pair(es, angle);
  };
  const auto eb = errors(batch), es = errors(stream);
  CAPTURE(eb.first, eb.second, es.first, es.second);
  // A batch error can be ~0 by luck, and the streamed state is stored in float after each of
  // the 2000 updates: its roundings (eps/2 each) walk to ~sqrt(2000) eps / 2 = 22 eps, so the
  // floor is that walk (measured 10.6 eps; the bug this guards against drifted by 1.6e4 eps).
  const double floor = std::sqrt(double(blocks)) / 2 * std::numeric_limits<float>::epsilon();
  CHECK(es.first <= 10 * std::max(eb.first, floor));
  CHECK(es.second <= 10 * std::max(eb.second, floor));
  CHECK(stream.samples() == Index(blocks) * b);
}

TEST_CASE("PCA<float>: the total sum of squares is accurate over a million entries", "[pca]") {
  // Found by the MPI example: Eigen's float squaredNorm of a 1500 x 784 block of centred
  // pixels was 2e-4 off, so a merged state failed its own invariant T >= sum s^2. T is now
  // accumulated in double. Uniform [0, 1] data of that size, against a double computation.
  std::mt19937_64 gen(77);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const Eigen::MatrixXf x = Eigen::MatrixXf::NullaryExpr(1500, 700, [&] { return uniform(gen); });
  const Eigen::MatrixXd xd = x.cast<double>();
  const double truth = (xd.rowwise() - xd.colwise().mean()).squaredNorm();
  for (const auto solver : {PcaSolver::SVD, PcaSolver::Covariance}) {
    PcaOptions opt;
    opt.solver = solver;
    subspace::PCA<float> batch(opt), stream(opt), a(opt), b(opt);
    batch.fit(x);
    stream.partial_fit(x.topRows(700)).partial_fit(x.bottomRows(800));
    a.fit(x.topRows(700));
    b.fit(x.bottomRows(800));
    a.merge(b);
    for (const auto* p : {&batch, &stream, &a}) {
      CHECK(std::abs(double(p->total_sum_of_squares()) - truth) <= 1e-6 * truth);
      // The invariant the loaders check (sum s^2 <= T (1 + sqrt(eps))), with room to spare:
      // the SVD solver's s^2 sum to T within 1e-5; the covariance solver's eigenvalues carry
      // ~d eps of the trace (measured 2.6e-5 here).
      const double room = solver == PcaSolver::Covariance ? 1e-4 : 1e-5;
      CHECK(p->singular_values().cast<double>().squaredNorm() <=
            double(p->total_sum_of_squares()) * (1 + room));
    }
    std::stringstream ss;
    a.save(ss);
    subspace::PCA<float> back;
    CHECK_NOTHROW(back.load(ss));
    CHECK_NOTHROW(back.deserialize(a.serialize()));
  }
}

TEMPLATE_TEST_CASE("orthonormality does not drift over 100 000 optimiser steps", "[optim]", float,
                   double) {
  using S = TestType;
  std::mt19937_64 gen(5005);
  using G = subspace::Grassmann<S, 8, 3>;
  using St = subspace::Stiefel<S, 8, 3>;
  G x = G::random(8, 3, gen);
  St y = St::random(8, 3, gen);
  subspace::RiemannianSGD<G> sgd(subspace::SGDOptions{0.05, 0.9, 0.0, true, Retraction::QR});
  subspace::RiemannianSGD<St> sgd2(subspace::SGDOptions{0.05, 0.9, 0.0, false, Retraction::Cayley});
  typename G::Tangent g;
  for (int i = 0; i < 100000; ++i) {
    subspace::detail::fill_gaussian(g, gen);
    sgd.step(x, g);
    sgd2.step(y, g);
  }
  CHECK(orthonormality_error<S>(x.basis()) <= S(20) * eps<S>());
  CHECK(orthonormality_error<S>(y.basis()) <= S(20) * eps<S>());
}
