// Tests of stiefel.hpp, grassmann_product.hpp and optim/: invariants, blockwise consistency,
// optimiser convergence to known eigenspaces, state save/restore (drift over 100 000 steps:
// test_stress.cpp).
#include <subspace/grassmann_product.hpp>
#include <subspace/optim/minimize.hpp>
#include <subspace/optim/riemannian_adam.hpp>
#include <subspace/optim/riemannian_sgd.hpp>
#include <subspace/stiefel.hpp>
#include <subspace/testing/invariants.hpp>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <sstream>
#include <vector>

#include "helpers.hpp"

using namespace test;
using subspace::Retraction;

namespace {
/// Symmetric A = Q diag(lambda) Q^T with lambda = n, n-1, ..., 1 (gap 1 everywhere).
template <class S>
Mat<S> spd(Rng& rng, Index n) {
  const MatL q = haar_orthogonal(rng, n);
  Vec<long double> lam(n);
  for (Index i = 0; i < n; ++i) lam(i) = static_cast<long double>(n - i);
  return (q * lam.asDiagonal() * q.transpose()).template cast<S>();
}
/// The dominant k-dimensional eigenspace from Eigen's symmetric eigensolver.
template <class S>
Mat<S> top_eigenspace(const Mat<S>& a, Index k) {
  Eigen::SelfAdjointEigenSolver<Mat<S>> es(a);
  return es.eigenvectors().rightCols(k);
}
}  // namespace

TEMPLATE_TEST_CASE("Stiefel invariants and tangent space", "[stiefel]", float, double) {
  using S = TestType;
  std::mt19937_64 rng(5001);
  for (auto [n, k] : {std::pair<Index, Index>{4, 2}, {30, 5}, {6, 6}}) {
    CAPTURE(n, k);
    const auto x = subspace::Stiefel<S>::random(n, k, rng);
    const auto rep = subspace::testing::check_invariants(
        x, rng, {Retraction::QR, Retraction::Polar, Retraction::Cayley});
    INFO(rep.summary());
    CHECK(rep.ok());
    const auto d = x.random_tangent(rng);
    const Mat<S> utd = x.basis().transpose() * d;
    CHECK((utd + utd.transpose()).cwiseAbs().maxCoeff() <= S(50) * eps<S>());  // skew
    // Cayley is exactly a curve on St(k, n) with velocity D at 0
    const S t = S(1e-3);
    const auto yc = x.retract(t * d, Retraction::Cayley);
    CHECK((yc.basis() - x.basis() - t * d).norm() <=
          S(10) * t * t * d.squaredNorm() + S(100) * eps<S>());
  }
  using F = subspace::Stiefel<S, 8, 3>;  // the shape the drift test uses: one instantiation
  const F xf = F::random(8, 3, rng);
  const typename F::Tangent df = xf.random_tangent(rng);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(false);
#endif
  const F yq = xf.retract(df, Retraction::QR);
  const F yc = xf.retract(df, Retraction::Cayley);
  const F yp = xf.retract(df, Retraction::Polar);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(true);
#endif
  CHECK(orthonormality_error<S>(yq.basis()) <= S(50) * eps<S>());
  CHECK(orthonormality_error<S>(yc.basis()) <= S(50) * eps<S>());
  CHECK(orthonormality_error<S>(yp.basis()) <= S(50) * eps<S>());
  require_throws<subspace::InvalidParameter>([&] { xf.retract(df, Retraction::Exp); }, "Cayley");
  require_throws<subspace::DimensionMismatch>(
      [&] { subspace::Stiefel<S>::random(5, 2, rng).project(Mat<S>::Zero(5, 3)); }, "5x3");
}

TEMPLATE_TEST_CASE("GrassmannProduct: invariants, and blockwise equal to single points",
                   "[product]", float, double) {
  using S = TestType;
  std::mt19937_64 rng(5002);
  using P = subspace::GrassmannProduct<S>;
  const P x = P::random(10, 2, 5, rng);
  REQUIRE(x.count() == 5);
  REQUIRE(x.basis().cols() == 10);
  const auto rep = subspace::testing::check_invariants(
      x, rng, {Retraction::QR, Retraction::Polar, Retraction::Exp});
  INFO(rep.summary());
  CHECK(rep.ok());
  Mat<S> g(10, 10);
  subspace::detail::fill_gaussian(g, rng);
  const Mat<S> pg = x.project(g);
  auto d = x.random_tangent(rng);
  d *= S(0.5) / d.norm();
  const P y = x.retract(d, Retraction::QR), z = x.exp(d);
  const auto dist = x.distance(z);
  for (Index c = 0; c < 5; ++c) {
    const auto xc = x.component(c);
    CHECK((pg.middleCols(2 * c, 2) - xc.project(g.middleCols(2 * c, 2))).norm() <=
          S(50) * eps<S>());
    CHECK((y.block(c) - xc.retract(d.middleCols(2 * c, 2)).basis()).norm() <= S(50) * eps<S>());
    CHECK(std::abs(dist(c) - d.middleCols(2 * c, 2).norm()) <= S(100) * eps<S>());
  }
  CHECK((x.log(z) - d).norm() <= S(200) * eps<S>());
  const P same(x.basis() * 2, 2);  // general constructor orthonormalizes each block
  CHECK(x.distance(same).maxCoeff() <= S(100) * eps<S>());
  require_throws<subspace::DimensionMismatch>([&] { P(Mat<S>::Random(10, 9), 2); }, "k = 2");
  require_throws<subspace::NotOrthonormal>([&] { P::from_orthonormal(Mat<S>::Ones(10, 4), 2); },
                                           "block");
  require_throws<subspace::DimensionMismatch>([&] { x.log(P::random(10, 1, 10, rng)); }, "k = 1");
}

TEMPLATE_TEST_CASE("optimisers reach the dominant eigenspace (-tr U^T A U on Grassmann)", "[optim]",
                   float, double) {
  using S = TestType;
  const std::uint64_t seed = 5003;
  CAPTURE(seed);
  Rng rng(seed);
  std::mt19937_64 gen(seed);
  using G = subspace::Grassmann<S>;
  const Index n = 12, k = 3;
  const Mat<S> a = spd<S>(rng, n) / S(n);  // eigenvalues 1, 11/12, ...: gap 1/12
  const Mat<S> target = top_eigenspace<S>(a, k);
  auto f = [&](const G& x, Mat<S>& grad) {
    grad.noalias() = -a * x.basis();
    return -S(0.5) * (x.basis().transpose() * a * x.basis()).trace();
  };
  const S angle_tol = std::is_same<S, float>::value ? S(2e-3) : S(1e-6);
  const subspace::StopRule stop{20000, std::is_same<S, float>::value ? 1e-5 : 1e-10};
  auto check_reached = [&](const G& x, const subspace::MinimizeReport& rep) {
    INFO(subspace::to_string(rep.reason)
         << " after " << rep.iterations << ", |g| = " << rep.gradient_norm);
    CHECK(rep.reason == subspace::StopReason::GradientTolerance);
    CHECK(subspace::principal_angles(x.basis(), target).maxCoeff() <= angle_tol);
    CHECK(orthonormality_error<S>(x.basis()) <= S(20) * eps<S>());
  };
  for (auto [mu, nesterov] : {std::pair<double, bool>{0.0, false}, {0.9, false}, {0.9, true}}) {
    CAPTURE(mu, nesterov);
    G x = G::random(n, k, gen);
    subspace::SGDOptions o;
    o.learning_rate = 1.0;
    o.momentum = mu;
    o.nesterov = nesterov;
    subspace::RiemannianSGD<G> opt(o);
    check_reached(x, subspace::minimize(f, x, opt, stop));
  }
  for (bool ams : {false, true}) {
    CAPTURE(ams);
    G x = G::random(n, k, gen);
    subspace::AdamOptions o;
    o.learning_rate = 0.02;
    o.amsgrad = ams;
    subspace::RiemannianAdam<G> opt(o);
    check_reached(x, subspace::minimize(f, x, opt, stop));
  }
}

TEST_CASE("SGD on Stiefel (Brockett cost) finds ordered eigenvectors; products converge per block",
          "[optim]") {
  Rng rng(5004);
  std::mt19937_64 gen(5004);
  const Index n = 10, k = 3;
  const Eigen::MatrixXd a = spd<double>(rng, n) / double(n);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a);
  const Eigen::Vector3d w(3, 2, 1);
  using St = subspace::Stiefeld;
  for (Retraction r : {Retraction::QR, Retraction::Polar, Retraction::Cayley}) {
    St x = St::random(n, k, gen);
    subspace::SGDOptions o;
    o.learning_rate = 0.5;
    o.momentum = 0.5;
    o.retraction = r;
    subspace::RiemannianSGD<St> opt(o);
    auto f = [&](const St& p, Eigen::MatrixXd& g) {
      g.noalias() = -a * p.basis() * w.asDiagonal();
      return -0.5 * (p.basis().transpose() * a * p.basis() * w.asDiagonal()).trace();
    };
    const auto rep = subspace::minimize(f, x, opt, {50000, 1e-10});
    CHECK(rep.reason == subspace::StopReason::GradientTolerance);
    for (Index i = 0; i < k; ++i)  // column i -> eigenvector of the (i+1)-th largest eigenvalue
      CHECK(std::abs(std::abs(x.basis().col(i).dot(es.eigenvectors().col(n - 1 - i))) - 1.0) <=
            1e-8);
  }
  // a product of 4 independent problems, one matrix per block
  using P = subspace::GrassmannProductd;
  std::vector<Eigen::MatrixXd> as;
  for (int c = 0; c < 4; ++c) as.push_back(spd<double>(rng, n) / double(n));
  P x = P::random(n, 2, 4, gen);
  subspace::RiemannianAdam<P> adam(
      subspace::AdamOptions{0.02, 0.9, 0.999, 1e-8, false, Retraction::QR});
  auto f = [&](const P& p, Eigen::MatrixXd& g) {
    double v = 0;
    for (int c = 0; c < 4; ++c) {
      g.middleCols(2 * c, 2).noalias() = -as[c] * p.block(c);
      v -= 0.5 * (p.block(c).transpose() * as[c] * p.block(c)).trace();
    }
    return v;
  };
  const auto rep = subspace::minimize(f, x, adam, {20000, 1e-10});
  CHECK(rep.reason == subspace::StopReason::GradientTolerance);
  for (int c = 0; c < 4; ++c)
    CHECK(subspace::principal_angles(x.block(c), top_eigenspace<double>(as[c], 2)).maxCoeff() <=
          1e-7);
}

TEST_CASE("minimize: stopping rules, a failing objective, bad rules", "[optim][errors]") {
  std::mt19937_64 gen(5007);
  using G = subspace::Grassmannd;
  const Eigen::MatrixXd a = Eigen::VectorXd::LinSpaced(6, 1, 6).asDiagonal();
  int fail_at = -1;
  std::vector<Eigen::MatrixXd> seen;  // the point of every evaluation
  std::vector<double> values;
  auto f = [&](const G& x, Eigen::MatrixXd& g) {
    seen.push_back(x.basis());
    g.noalias() = -a * x.basis();
    values.push_back(-0.5 * (x.basis().transpose() * a * x.basis()).trace());
    if (static_cast<int>(seen.size()) == fail_at) g(0, 0) = std::nan("");
    return values.back();
  };
  G x = G::random(6, 2, gen);
  subspace::RiemannianSGD<G> sgd(subspace::SGDOptions{0.1});
  auto rep = subspace::minimize(f, x, sgd, {3, 0.0});
  CHECK(rep.reason == subspace::StopReason::MaxIterations);
  CHECK(rep.iterations == 3);
  CHECK(seen.size() == 4);  // evaluations at the start and after each of 3 steps
  CHECK(rep.value == values.back());

  fail_at = 8;  // evaluations 5, 6, 7 succeed (iterations 0, 1, 2), the 8th returns NaN
  rep = subspace::minimize(f, x, sgd, {100, 0.0});
  CHECK(rep.reason == subspace::StopReason::NonFinite);
  REQUIRE(seen.size() == 8);
  CHECK(rep.iterations == 2);
  CHECK(x.basis() == seen[6]);  // put back to the last point where f was finite
  CHECK(rep.value == values[6]);
  CHECK((seen[7] - seen[6]).norm() > 0);  // and that was a different point from the failed one

  rep = subspace::minimize(f, x, sgd, {0, 0.0});
  CHECK(rep.reason == subspace::StopReason::MaxIterations);
  CHECK(rep.iterations == 0);
  rep = subspace::minimize(f, x, sgd, {10, 1e9});
  CHECK(rep.reason == subspace::StopReason::GradientTolerance);
  require_throws<subspace::InvalidParameter>(
      [&] {
        subspace::minimize(f, x, sgd, {-1, 0.0});
      },
      "max_iterations");
  require_throws<subspace::InvalidParameter>(
      [&] {
        subspace::minimize(f, x, sgd, {10, std::nan("")});
      },
      "gradient_tolerance");
}

TEST_CASE("fixed-size optimiser state: saved before and after steps, shape-checked on load",
          "[optim][errors]") {
  using G = subspace::Grassmann<double, 8, 3>;  // a shape other tests instantiate already
  std::mt19937_64 gen(5007);
  G x = G::random(8, 3, gen);
  const Eigen::Matrix<double, 8, 3> egrad = Eigen::Matrix<double, 8, 3>::Random();
  subspace::RiemannianAdam<G> adam(subspace::AdamOptions{0.05});
  subspace::RiemannianSGD<G> sgd(subspace::SGDOptions{0.05, 0.5});
  std::stringstream fresh_adam, fresh_sgd;
  adam.save(fresh_adam);  // before any step: a zero state, which must load back
  sgd.save(fresh_sgd);
  subspace::RiemannianAdam<G> adam_b(adam.options());
  subspace::RiemannianSGD<G> sgd_b(sgd.options());
  adam_b.load(fresh_adam);
  sgd_b.load(fresh_sgd);
  CHECK(adam_b.steps() == 0);
  CHECK(sgd_b.steps() == 0);
  G xa = x, xb = x;
  for (int i = 0; i < 5; ++i) {
    adam.step(xa, egrad);
    adam_b.step(xb, egrad);
  }
  CHECK((xa.basis() - xb.basis()).cwiseAbs().maxCoeff() == 0.0);

  // A state saved from a product of three points has three second moments: not ours to load.
  using P = subspace::GrassmannProductd;
  P xp = P::random(8, 3, 3, gen);
  subspace::RiemannianAdam<P> adam_p(subspace::AdamOptions{0.05});
  adam_p.step(xp, Eigen::MatrixXd::Random(8, 9));
  std::stringstream product_state;
  adam_p.save(product_state);
  require_throws<subspace::FormatError>([&] { adam_b.load(product_state); }, "bad shape");
  CHECK(adam_b.steps() == 5);
}

TEMPLATE_TEST_CASE("optimiser state saves and restores exactly; corrupt states are errors",
                   "[optim][errors]", float, double) {
  using S = TestType;
  std::mt19937_64 gen(5006);
  using G = subspace::Grassmann<S>;
  const Mat<S> a = Mat<S>::Random(9, 9);
  auto grad = [&](const G& x) { return Mat<S>(-(a + a.transpose()) * x.basis()); };
  auto run = [&](auto& opt, G& x, int steps) {
    for (int i = 0; i < steps; ++i) opt.step(x, grad(x));
  };
  G x = G::random(9, 2, gen);
  subspace::RiemannianSGD<G> sgd(subspace::SGDOptions{0.01, 0.9, 0.1, false, Retraction::Polar});
  subspace::RiemannianAdam<G> adam(
      subspace::AdamOptions{0.01, 0.9, 0.99, 1e-8, true, Retraction::QR});
  run(sgd, x, 20);
  G xa = x;
  run(adam, xa, 20);
  std::stringstream s1, s2;
  sgd.save(s1);
  adam.save(s2);
  const Mat<S> saved_x = x.basis(), saved_xa = xa.basis();
  run(sgd, x, 20);
  run(adam, xa, 20);
  subspace::RiemannianSGD<G> sgd_b(sgd.options());
  subspace::RiemannianAdam<G> adam_b(adam.options());
  sgd_b.load(s1);
  adam_b.load(s2);
  CHECK(sgd_b.steps() == 20);
  G xb = G::from_orthonormal(saved_x), xab = G::from_orthonormal(saved_xa);
  run(sgd_b, xb, 20);
  run(adam_b, xab, 20);
  CHECK((xb.basis() - x.basis()).cwiseAbs().maxCoeff() == S(0));
  CHECK((xab.basis() - xa.basis()).cwiseAbs().maxCoeff() == S(0));

  std::stringstream wrong("subspace::RiemannianAdam 1\n3\n");
  require_throws<subspace::FormatError>([&] { sgd_b.load(wrong); }, "expected");
  std::stringstream truncated("subspace::RiemannianSGD 1\n5 1\n9 2\n0.1 0.2");
  require_throws<subspace::FormatError>([&] { sgd_b.load(truncated); }, "truncated");
  std::stringstream version("subspace::RiemannianSGD 7\n");
  require_throws<subspace::FormatError>([&] { sgd_b.load(version); }, "version 7");
  CHECK(sgd_b.steps() == 40);  // unchanged by the failed loads

  using SGD = subspace::RiemannianSGD<G>;
  require_throws<subspace::InvalidParameter>([] { SGD(subspace::SGDOptions{0.0}); },
                                             "learning_rate");
  require_throws<subspace::InvalidParameter>(
      [] {
        SGD(subspace::SGDOptions{0.1, 1.0});
      },
      "momentum");
  require_throws<subspace::InvalidParameter>(
      [] {
        SGD(subspace::SGDOptions{0.1, 0.0, 0.0, true});
      },
      "Nesterov");
  require_throws<subspace::InvalidParameter>(
      [] {
        subspace::RiemannianAdam<G>(subspace::AdamOptions{0.1, 1.0});
      },
      "betas");
  Mat<S> bad = Mat<S>::Zero(9, 2);
  bad(3, 1) = std::numeric_limits<S>::quiet_NaN();
  const Mat<S> before = x.basis();
  require_throws<subspace::NonFiniteInput>([&] { sgd.step(x, bad); }, "RiemannianSGD::step");
  CHECK((x.basis() - before).norm() == S(0));
  require_throws<subspace::DimensionMismatch>([&] { sgd.step(x, Mat<S>::Zero(9, 3)); }, "9x3");
}
