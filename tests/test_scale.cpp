// Correct over the whole representable range (1e-300 .. 1e300), typed errors where the answer
// is not representable, and the input checks that run before any copy: bases, rank rules,
// residual norms and retractions at extreme scales; NaN rejected by the projections; shapes
// checked before a fixed-size object is filled; transposed inputs named in the error.
#include <subspace/subspace.hpp>

#include <cmath>
#include <limits>

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

TEST_CASE("enums: a value that is no enumerator is refused, not taken as another branch",
          "[scale][enum]") {
  Rng rng(31);
  // An integer cast to an enum class (or memory that never held one) used to fall through:
  // distance_from_angles returned NaN, Grassmann::retract ran Polar, PCA::fit ran SVD.
  const auto bogus_distance = static_cast<subspace::Distance>(97);
  const auto bogus_retraction = static_cast<subspace::Retraction>(-1);
  const VectorXd theta = VectorXd::Constant(2, 0.25);
  require_throws<subspace::InvalidParameter>(
      [&] { subspace::distance_from_angles(theta, bogus_distance); }, "97");
  const MatrixXd u = subspace::qr_basis(rng.gaussian<double>(6, 2));
  const MatrixXd v = subspace::qr_basis(rng.gaussian<double>(6, 2));
  require_throws<subspace::InvalidParameter>([&] { subspace::distance(u, v, bogus_distance); },
                                             "not one of the enumerators");
  // The named values still work (Martin is the last one: the range check is inclusive).
  CHECK(subspace::distance_from_angles(theta, subspace::Distance::Martin) ==
        Approx(std::sqrt(-4 * std::log(std::cos(0.25)))).epsilon(1e-14));
  const auto x = subspace::Grassmann<double>::from_orthonormal(u);
  const MatrixXd d = x.project(rng.gaussian<double>(6, 2));
  require_throws<subspace::InvalidParameter>([&] { x.retract(0.1 * d, bogus_retraction); }, "-1");
  require_throws<subspace::InvalidParameter>(
      [&] { x.retract(0.1 * d, static_cast<subspace::Retraction>(4)); }, "4");
  require_throws<subspace::InvalidParameter>(
      [&] { x.inverse_retract(x, subspace::Retraction::Cayley); }, "for Stiefel");
  require_throws<subspace::InvalidParameter>(
      [&] { x.inverse_retract(x, static_cast<subspace::Retraction>(5)); }, "enumerators");
  // Valid kinds still run: the projective inverse undoes the QR retraction exactly.
  CHECK((x.inverse_retract(x.retract(0.1 * d)) - 0.1 * d).norm() < 1e-13);
  const auto prod = subspace::GrassmannProduct<double>::random(6, 2, 2, rng.gen);
  require_throws<subspace::InvalidParameter>(
      [&] { prod.retract(MatrixXd::Zero(6, 4), bogus_retraction); }, "kind");
  subspace::PcaOptions po;
  po.solver = static_cast<subspace::PcaSolver>(9);
  require_throws<subspace::InvalidParameter>([&] { subspace::PCA<> p(po); }, "solver");
  subspace::SGDOptions so;
  so.retraction = bogus_retraction;
  require_throws<subspace::InvalidParameter>(
      [&] { subspace::RiemannianSGD<subspace::Grassmann<double>> opt(so); }, "retraction");
  subspace::AdamOptions ao;
  ao.retraction = static_cast<subspace::Retraction>(12);
  require_throws<subspace::InvalidParameter>(
      [&] { subspace::RiemannianAdam<subspace::Grassmann<double>> opt(ao); }, "retraction");
}

TEST_CASE("scale: Plucker coordinates at any column scale, OutsideDomain beyond the range",
          "[scale][plucker]") {
  Rng rng(41);
  const MatrixXd u = rng.gaussian<double>(6, 3);
  const VectorXd p0 = subspace::plucker(u);
  // Power-of-two column scales far apart: the result is the same bits (the scaled path
  // multiplies every minor by an exact 2^(sum e_j), which here is 2^0).
  MatrixXd w = u;
  w.col(0) *= std::ldexp(1.0, 700);
  w.col(1) *= std::ldexp(1.0, -700);
  const VectorXd p1 = subspace::plucker(w);
  CHECK((p1.array() == p0.array()).all());
  // Decimal scales 1e250 / 1e-250: products ~1, rounding-level agreement. Unscaled, the
  // j = 2 minors of the first two columns were fine but 1e250 x 1e250 products are not.
  w = u;
  w.col(0) *= 1e250;
  w.col(1) *= 1e250;
  w.col(2) *= 1e-300;
  CHECK((subspace::plucker(w) / 1e200 - p0).norm() <= 1e-14 * p0.norm());
  // A 2-plane of 1e160-sized vectors has coordinates ~1e320 (inf); of 1e-160-sized ones
  // ~1e-320 (subnormal): refused, never inf, NaN or 0.
  const MatrixXd v = rng.gaussian<double>(5, 2);
  require_throws<subspace::OutsideDomain>([&] { subspace::plucker(MatrixXd(1e160 * v)); },
                                          "outside the normal range");
  require_throws<subspace::OutsideDomain>([&] { subspace::plucker(MatrixXd(1e-160 * v)); },
                                          "rescale U");
  require_throws<subspace::OutsideDomain>(
      [&] { subspace::plucker(Eigen::MatrixXf(1e20f * v.cast<float>())); }, "normal range");
  // Just inside the range: 1e150-sized columns give ~1e300 coordinates, correct digits.
  const VectorXd pv = subspace::plucker(v);
  CHECK((subspace::plucker(MatrixXd(1e150 * v)) / 1e300 - pv).norm() <= 1e-14 * pv.norm());
  CHECK((subspace::plucker(MatrixXd(1e-150 * v)) / 1e-300 - pv).norm() <= 1e-14 * pv.norm());
  // An exactly rank-deficient matrix (a zero column: no cancellation, so no dependence on
  // FMA contraction) is the zero vector at any scale, not an error. A matrix rank-deficient
  // only to rounding gives minors of rounding size ~eps |u| |v|, here ~1e384: refused too.
  MatrixXd r = v;
  r.col(1).setZero();
  CHECK(subspace::plucker(MatrixXd(1e200 * r)).cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("scale: Line3 is the same line in any unit of length", "[scale][plucker]") {
  using L = subspace::Line3<double>;
  const Eigen::Vector3d a(1, 2, 3), b(-2, 0.5, 4), c(0.3, -1, 2), e(2, 2, -1);
  const L l1 = L::through(a, b), m1 = L::through(c, e);
  for (const double s : {1e-300, 1e-160, 1e160, 1e300}) {
    INFO("scale " << s);
    const L l = L::through(s * a, s * b), m = L::through(s * c, s * e),
            q = L::through(s * a, s * c);
    CHECK((l.direction() - l1.direction()).norm() < 1e-15);
    CHECK((l.moment() / s - l1.moment()).norm() < 1e-14);
    CHECK(l.distance(m) / s == Approx(l1.distance(m1)).epsilon(1e-13));
    CHECK(l.distance(Eigen::Vector3d(s * c)) / s == Approx(l1.distance(c)).epsilon(1e-13));
    const L par = L::from_point_direction(s * (a + Eigen::Vector3d(0.1, 0, 0)), b - a);
    const L par1 = L::from_point_direction(a + Eigen::Vector3d(0.1, 0, 0), b - a);
    CHECK(l.distance(par) / s == Approx(l1.distance(par1)).epsilon(1e-12));
    // Skew lines do not meet at small scales either (the tolerance had an absolute term);
    // lines through a common point meet there.
    CHECK_FALSE(l.intersection(m).has_value());
    const auto x = l.intersection(q);
    REQUIRE(x.has_value());
    CHECK((*x / s - a).norm() < 1e-13);
    const auto cp = l.closest_points(m), cp1 = l1.closest_points(m1);
    CHECK((cp.first / s - cp1.first).norm() < 1e-13);
    const L back = L::from_plucker(Eigen::Matrix<double, 6, 1>(s * l1.to_plucker()));
    CHECK((back.direction() - l1.direction()).norm() < 1e-15);
  }
  // Lines through points of size ~1 that meet at (or near) the origin: |m| ~ 0 there, but
  // the moments carry the rounding of the points they were built from (the relative
  // tolerance first used |m| and missed 9 in 10 such pairs).
  {
    Rng rng(43);
    int missed = 0;
    for (int i = 0; i < 200; ++i) {
      const Eigen::Vector3d meet = (i % 2 ? 1e-5 : 0.0) * rng.gaussian<double>(3, 1);
      const Eigen::Vector3d p = rng.gaussian<double>(3, 1), q = rng.gaussian<double>(3, 1);
      const auto hit = L::through(p, meet).intersection(L::through(q, meet));
      if (!hit || (*hit - meet).norm() > 1e-12) ++missed;
    }
    CHECK(missed == 0);
  }
  // b - a overflows: the direction is still found.
  const L wide = L::through(Eigen::Vector3d(-1e308, 0, 0), Eigen::Vector3d(1e308, 1e300, 0));
  CHECK((wide.direction() - Eigen::Vector3d::UnitX()).norm() < 1e-7);
  require_throws<subspace::InvalidParameter>(
      [&] { L::through(Eigen::Vector3d(1e300, 0, 0), Eigen::Vector3d(1e300, 0, 0)); }, "coincide");
  // A moment a x d that overflows is refused, not stored as inf.
  require_throws<subspace::OutsideDomain>(
      [&] {
        L::through(Eigen::Vector3d(0, 1.5e308, -1.5e308), Eigen::Vector3d(0, 1.6e308, -1.4e308));
      },
      "overflows");
  // A line whose distance from the origin |m| / |d| overflows is refused.
  require_throws<subspace::OutsideDomain>(
      [&] { L::from_direction_moment(Eigen::Vector3d(1e-300, 0, 0), Eigen::Vector3d(0, 1e10, 0)); },
      "overflows");
}
