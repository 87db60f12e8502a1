// Correct over the whole representable range (1e-300 .. 1e300), typed errors where the answer
// is not representable, and the input checks that run before any copy: bases, rank rules,
// residual norms and retractions at extreme scales; NaN rejected by the projections; shapes
// checked before a fixed-size object is filled; transposed inputs named in the error.
#include <subspace/subspace.hpp>

#include <cmath>

#include "helpers.hpp"

using namespace test;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

/// A = Q diag(s) (n x s.size()), Q with orthonormal columns: known singular values.
MatrixXd with_spectrum(Rng& rng, Index n, const VectorXd& s) {
  const MatrixXd q = subspace::qr_basis(rng.gaussian<double>(n, s.size()));
  return q * s.asDiagonal();
}

double max_angle(const MatrixXd& u, const MatrixXd& v) {
  return subspace::principal_angles(u, v).maxCoeff();
}

}  // namespace

TEST_CASE("scale: bases span the same subspace at 1e-300 and 1e300", "[scale]") {
  Rng rng(81);
  const MatrixXd a = rng.gaussian<double>(40, 5);
  const MatrixXd q = subspace::qr_basis(a);
  for (const double scale : {1e-300, 1e-200, 1e200, 1e300}) {
    CAPTURE(scale);
    const MatrixXd qs = subspace::qr_basis(scale * a);
    CHECK(max_angle(q, qs) < 1e-13);
    CHECK((qs - q).cwiseAbs().maxCoeff() < 1e-13);  // the unique Q: the same matrix
    CHECK(max_angle(q, subspace::pivoted_qr_basis(scale * a)) < 1e-13);
    CHECK(max_angle(q, subspace::svd_basis(scale * a).basis) < 1e-13);
  }
}

TEST_CASE("scale: rank rules and residual norms are scale-free", "[scale]") {
  Rng rng(82);
  VectorXd s(6);
  s << 1, 0.5, 0.2, 0.05, 0.01, 1e-3;
  const MatrixXd a = with_spectrum(rng, 30, s);
  // energy(0.999): the smallest r with sum_{i<=r} s_i^2 >= 0.999 sum s_i^2, computed here.
  const double total = s.squaredNorm();
  Index expected = 0;
  for (double acc = 0; acc < 0.999 * total; ++expected) acc += s(expected) * s(expected);
  REQUIRE(expected == 4);
  const MatrixXd u = subspace::qr_basis(rng.gaussian<double>(30, 3));
  const MatrixXd x = rng.gaussian<double>(30, 7);
  const VectorXd q1 = subspace::residual_norms(u, x);
  for (const double scale : {1.0, 1e300, 1e-200, 1e-300}) {
    CAPTURE(scale);
    CHECK(subspace::svd_basis(scale * a, subspace::RankRule::energy(0.999)).rank == expected);
    const VectorXd qs = subspace::residual_norms(u, scale * x);
    REQUIRE(qs.allFinite());
    CHECK(((qs / scale) - q1).cwiseAbs().maxCoeff() < 1e-13 * q1.maxCoeff());
  }
}

TEMPLATE_TEST_CASE("scale: an exploding but finite step keeps the point on the manifold", "[scale]",
                   float, double) {
  using S = TestType;
  Rng rng(83);
  using G = subspace::Grassmann<S>;
  using St = subspace::Stiefel<S>;
  const G x = G::random(20, 3, rng.gen);
  const St y = St::random(20, 3, rng.gen);
  const S big = std::is_same<S, float>::value ? S(1e19) : S(1e154);
  const Mat<S> d = x.project(rng.gaussian<S>(20, 3)) * big;
  const Mat<S> dy = y.project(rng.gaussian<S>(20, 3)) * big;
  const S tol = S(50) * std::numeric_limits<S>::epsilon();
  for (const auto kind :
       {subspace::Retraction::QR, subspace::Retraction::Polar, subspace::Retraction::Exp}) {
    const Mat<S> u = x.retract(d, kind).basis();
    REQUIRE(u.allFinite());
    CHECK(subspace::detail::orthonormality_error(u) < tol);
  }
  for (const auto kind : {subspace::Retraction::QR, subspace::Retraction::Polar}) {
    const Mat<S> u = y.retract(dy, kind).basis();
    REQUIRE(u.allFinite());
    CHECK(subspace::detail::orthonormality_error(u) < tol);
  }
  // The QR retraction of a huge step is span(U + D) = span(D) to working precision.
  CHECK(subspace::principal_angles(x.retract(d).basis(), subspace::qr_basis(d)).maxCoeff() <
        S(100) * std::numeric_limits<S>::epsilon());
}

TEST_CASE("scale: NaN and Inf are refused by the projections and distances", "[scale]") {
  Rng rng(84);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  subspace::GradientProjectionMemory<double> mem(8);
  mem.update(rng.gaussian<double>(8, 3), 0.99);
  MatrixXd g = rng.gaussian<double>(4, 8);
  g(1, 2) = nan;
  require_throws<subspace::NonFiniteInput>([&] { mem.project(g); }, "G");
  MatrixXd gt = g.transpose();
  require_throws<subspace::NonFiniteInput>([&] { mem.project_transposed(gt); }, "G");
  subspace::SpectralProtection<double> sp(4, 8, 0.9);
  sp.update(rng.gaussian<double>(4, 8));
  require_throws<subspace::NonFiniteInput>([&] { sp.project(g); }, "G");
  // Manifold projections and transports (the transport projects onto the target's tangent).
  const auto gx = subspace::Grassmann<double>::random(8, 2, rng.gen);
  const auto gy = subspace::Grassmann<double>::random(8, 2, rng.gen);
  MatrixXd bad = gx.project(rng.gaussian<double>(8, 2));
  const MatrixXd good = bad;
  bad(3, 1) = nan;
  require_throws<subspace::NonFiniteInput>([&] { gx.project(bad); }, "G");
  require_throws<subspace::NonFiniteInput>([&] { gx.transport(bad, gy); }, "G");
  require_throws<subspace::NonFiniteInput>([&] { gx.parallel_transport(good, bad); }, "xi");
  require_throws<subspace::NonFiniteInput>([&] { gx.parallel_transport(bad, good); }, "D");
  const auto sx = subspace::Stiefel<double>::random(8, 2, rng.gen);
  require_throws<subspace::NonFiniteInput>([&] { sx.project(bad); }, "G");
  VectorXd theta(2);
  theta << 0.1, std::numeric_limits<double>::infinity();
  require_throws<subspace::NonFiniteInput>(
      [&] { subspace::distance_from_angles(theta, subspace::Distance::Geodesic); }, "theta");
}

TEST_CASE("shapes: checked before a fixed-size object is filled; transposed inputs named",
          "[scale]") {
  Rng rng(85);
  const MatrixXd wrong = subspace::qr_basis(rng.gaussian<double>(5, 2));
  require_throws<subspace::DimensionMismatch>(
      [&] { subspace::Grassmann<double, 4, 2>::from_orthonormal(wrong); }, "4x2");
  require_throws<subspace::DimensionMismatch>([&] { subspace::Grassmann<double, 4, 2>{wrong}; },
                                              "4x2");
  require_throws<subspace::DimensionMismatch>(
      [&] { subspace::Stiefel<double, 4, 2>::from_orthonormal(wrong); }, "4x2");
  require_throws<subspace::DimensionMismatch>([&] { subspace::Projector<double, 4, 2>{wrong}; },
                                              "4x2");
  // Components of a product are bounds-checked.
  const auto prod = subspace::GrassmannProduct<double>::random(6, 2, 3, rng.gen);
  require_throws<subspace::DimensionMismatch>([&] { prod.block(3); }, "outside [0, 3)");
  require_throws<subspace::DimensionMismatch>([&] { prod.component(-1); }, "outside [0, 3)");
  MatrixXd tangent = MatrixXd::Zero(6, 6);
  require_throws<subspace::DimensionMismatch>(
      [&] { prod.scale_components(tangent, Eigen::VectorXd::Ones(2)); }, "3 factors");
  // Combinations: no table for absurd sizes, no read outside it.
  require_throws<subspace::TooLarge>(
      [] { subspace::Combinations(std::numeric_limits<Index>::max(), 1); }, "2^27");
  const subspace::Combinations comb(6, 2);
  CHECK(comb.binom(6, 2) == 15);
  require_throws<subspace::InvalidParameter>([&] { comb.binom(7, 1); }, "outside the table");
  require_throws<subspace::InvalidParameter>([&] { comb.binom(3, -1); }, "outside the table");
  // Vectors are columns: a batch given as rows is named as transposed.
  const MatrixXd u = subspace::qr_basis(rng.gaussian<double>(6, 2));
  const MatrixXd rows = rng.gaussian<double>(10, 6);
  require_throws<subspace::DimensionMismatch>([&] { subspace::residual_norms(u, rows); },
                                              "transposed");
  // PCA takes samples as rows: a d x N input is named as transposed.
  subspace::PCA<> pca(subspace::PcaOptions{subspace::RankRule::fixed(2)});
  pca.fit(rows);
  require_throws<subspace::DimensionMismatch>([&] { pca.scores(rows.transpose()); }, "transposed");
  // The NotOrthonormal message says how to fix the input.
  require_throws<subspace::NotOrthonormal>([&] { subspace::principal_angles(2.0 * u, u); },
                                           "qr_basis");
}
