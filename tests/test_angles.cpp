// Tests of angles.hpp: principal angles and vectors on constructed subspaces, against a long
// double reference, and every distance against its definition.
#include <subspace/angles.hpp>

#include <Eigen/LU>
#include <Eigen/SVD>
#include <cmath>

#include "helpers.hpp"

using namespace test;
using subspace::Distance;

namespace {

Vec<long double> angles_of(std::initializer_list<long double> list) {
  Vec<long double> t(static_cast<Index>(list.size()));
  Index i = 0;
  for (long double v : list) t(i++) = v;
  std::sort(t.data(), t.data() + t.size());
  return t;
}

/// Angle sets that break the cosine-only, sine-only and mispaired hybrid formulas.
std::vector<Vec<long double>> hard_angle_sets() {
  return {
      angles_of({1e-12L, 1e-8L, 1e-4L, 0.3L, kPi / 4 - 1e-9L, kPi / 4 + 1e-9L, 1.2L,
                 kPi / 2 - 1e-10L, kPi / 2}),
      angles_of({0, 0, 1e-12L, kPi / 2, kPi / 2}),   // shared directions and orthogonal ones
      angles_of({1e-10L, 1e-10L, 1e-10L, 2e-10L}),   // tight cluster of tiny angles
      angles_of({kPi / 2 - 1e-12L, kPi / 2, 1.5L}),  // near-right angles
      angles_of({1e-11L, 1.5707L}),                  // the pairing trap: tiny and near pi/2
      angles_of({0.7853L, 0.7854L, 0.7855L}),        // around the pi/4 switch
  };
}
}  // namespace

TEMPLATE_TEST_CASE("principal angles of constructed subspaces are accurate in absolute terms",
                   "[angles]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 3001;
  CAPTURE(seed);
  Rng rng(seed);
  for (const auto& theta : hard_angle_sets()) {
    const Index l = theta.size();
    for (Index extra_k : {Index(0), Index(3)}) {
      const Index k = l + extra_k, n = k + l + 4;
      CAPTURE(theta.transpose(), n, k, l);
      auto [u, v] = subspaces_with_angles<S>(rng, n, k, theta);
      const Vec<S> got = subspace::principal_angles(u, v);
      REQUIRE(got.size() == l);
      const Vec<S> got_swapped = subspace::principal_angles(v, u);
      // The rounded inputs move the true angles by about sqrt(n) eps.
      const long double tol = 8.0L * std::sqrt(static_cast<long double>(n)) * eps<S>();
      for (Index i = 0; i < l; ++i) {
        CAPTURE(i, got(i), theta(i));
        CHECK(std::abs(static_cast<long double>(got(i)) - theta(i)) <= tol);
        CHECK(std::abs(static_cast<long double>(got_swapped(i)) - theta(i)) <= tol);
        if (i > 0) CHECK(got(i) >= got(i - 1));
      }
    }
  }
}

TEMPLATE_TEST_CASE("principal angles of fixed-size bases: no heap, same angles as dynamic",
                   "[angles]", float, double) {
  using S = TestType;
  Rng rng(3004);
  // k = 5 > l = 3 and the swapped call, with tiny, pi/4-straddling and near-right angles.
  const Vec<long double> theta = angles_of({1e-6L, kPi / 4 - 1e-7L, kPi / 2 - 1e-6L});
  auto [ud, vd] = subspaces_with_angles<S>(rng, 12, 5, theta);
  const Eigen::Matrix<S, 12, 5> u = ud;
  const Eigen::Matrix<S, 12, 3> v = vd;
  Eigen::Matrix<S, Eigen::Dynamic, 1, 0, 3, 1> a, b;
  S dist = 0;
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(false);
#endif
  a = subspace::principal_angles(u, v);
  b = subspace::principal_angles(v, u);
  dist = subspace::distance(u, v, Distance::Chordal);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(true);
#endif
  const Vec<S> ref = subspace::principal_angles(ud, vd);
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  const long double tol = 8.0L * std::sqrt(12.0L) * eps<S>();
  for (Index i = 0; i < 3; ++i) {
    CAPTURE(i, a(i), b(i), ref(i), theta(i));
    CHECK(std::abs(static_cast<long double>(a(i)) - theta(i)) <= tol);
    CHECK(std::abs(static_cast<long double>(b(i)) - theta(i)) <= tol);
    CHECK(std::abs(a(i) - ref(i)) <= S(4) * eps<S>());
  }
  S chordal = 0;
  for (Index i = 0; i < 3; ++i) chordal += std::sin(a(i)) * std::sin(a(i));
  CHECK(std::abs(dist - std::sqrt(chordal)) <= S(4) * eps<S>());
}

TEST_CASE("principal angles resolve 1e-12 to relative accuracy in double", "[angles]") {
  // Absolute accuracy eps means a 1e-12 angle keeps ~4 digits; the cosine formula keeps none.
  Rng rng(3002);
  const Vec<long double> theta = angles_of({1e-12L, 3e-12L, 1.0L});
  auto [u, v] = subspaces_with_angles<double>(rng, 12, 3, theta);
  const Vec<double> got = subspace::principal_angles(u, v);
  CHECK(std::abs(got(0) - 1e-12) <= 1e-15);
  CHECK(std::abs(got(1) - 3e-12) <= 1e-15);
  const Eigen::VectorXd cosines =
      Eigen::JacobiSVD<Eigen::MatrixXd>(u.transpose() * v).singularValues();
  CHECK(std::abs(std::acos(std::min(1.0, cosines(0))) - 1e-12) > 1e-13);  // why we bother
}

TEMPLATE_TEST_CASE("principal angles agree with a long double reference on random subspaces",
                   "[angles]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 3003;
  CAPTURE(seed);
  Rng rng(seed);
  for (auto [n, k, l] :
       {std::tuple<Index, Index, Index>{10, 3, 3}, {50, 8, 5}, {30, 4, 12}, {200, 20, 20}}) {
    CAPTURE(n, k, l);
    const Mat<S> u = haar_orthogonal(rng, n).leftCols(k).template cast<S>();
    const Mat<S> v = haar_orthogonal(rng, n).leftCols(l).template cast<S>();
    const Vec<S> got = subspace::principal_angles(u, v);
    // Reference: orthonormalize the rounded inputs in long double, cosines by Jacobi SVD.
    const MatL ul = Eigen::HouseholderQR<MatL>(u.template cast<long double>()).householderQ() *
                    MatL::Identity(n, k);
    const MatL vl = Eigen::HouseholderQR<MatL>(v.template cast<long double>()).householderQ() *
                    MatL::Identity(n, l);
    const Vec<long double> c = Eigen::JacobiSVD<MatL>(ul.transpose() * vl).singularValues();
    const Index q = std::min(k, l);
    REQUIRE(got.size() == q);
    for (Index i = 0; i < q; ++i)
      CHECK(std::abs(static_cast<long double>(got(i)) - std::acos(std::min(1.0L, c(i)))) <=
            100.0L * eps<S>());
  }
}

TEMPLATE_TEST_CASE("principal vectors: orthonormal, in their spans, paired with the angles",
                   "[angles]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 3004;
  CAPTURE(seed);
  Rng rng(seed);
  for (const auto& theta : hard_angle_sets()) {
    const Index l = theta.size();
    for (bool u_larger : {true, false}) {
      const Index k = l + 2, n = k + l + 3;
      CAPTURE(theta.transpose(), u_larger);
      auto [a, b] = subspaces_with_angles<S>(rng, n, k, theta);
      const Mat<S> u = u_larger ? a : b, v = u_larger ? b : a;
      const auto pv = subspace::principal_vectors(u, v);
      REQUIRE(pv.u.cols() == l);
      REQUIRE(pv.v.cols() == l);
      const S tol = S(16) * std::sqrt(S(n)) * eps<S>();
      CHECK(orthonormality_error<S>(pv.u) <= tol);
      CHECK(orthonormality_error<S>(pv.v) <= tol);
      CHECK((pv.u - u * (u.transpose() * pv.u)).cwiseAbs().maxCoeff() <= tol);  // in span(U)
      CHECK((pv.v - v * (v.transpose() * pv.v)).cwiseAbs().maxCoeff() <= tol);  // in span(V)
      const Mat<S> g = pv.u.transpose() * pv.v;
      for (Index i = 0; i < l; ++i) {
        CHECK(std::abs(g(i, i) - std::cos(pv.angles(i))) <= tol);
        // the sine of each angle is the distance of v_i from span(U): meaningful for tiny angles
        const Vec<S> off = pv.v.col(i) - u * (u.transpose() * pv.v.col(i));
        CHECK(std::abs(off.norm() - std::sin(pv.angles(i))) <= tol);
        for (Index j = 0; j < l; ++j)
          if (j != i) CHECK(std::abs(g(i, j)) <= tol);
      }
    }
  }
}

TEMPLATE_TEST_CASE("distances: hand-derived values for lines in the plane and a line vs a plane",
                   "[angles][distances]", float, double) {
  using S = TestType;
  const S a = S(0.7);
  Mat<S> u(2, 1), v(2, 1);
  u << 1, 0;
  v << std::cos(a), std::sin(a);
  const S tol = S(8) * eps<S>();
  CHECK(std::abs(subspace::distance(u, v) - a) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::Chordal) - std::sin(a)) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::ProjectionFrobenius) -
                 std::sqrt(S(2)) * std::sin(a)) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::ProjectionSpectral) - std::sin(a)) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::BinetCauchy) - std::sin(a)) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::FubiniStudy) - a) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::Procrustes) - S(2) * std::sin(a / 2)) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::Asimov) - a) <= tol);
  CHECK(std::abs(subspace::distance(u, v, Distance::Martin) -
                 std::sqrt(-S(2) * std::log(std::cos(a)))) <= tol);
  // A line at angle a to the xy-plane in R^3: one angle a, dimensions differ by 1.
  Mat<S> plane(3, 2), line(3, 1);
  plane << 1, 0, 0, 1, 0, 0;
  line << std::cos(a), 0, std::sin(a);
  CHECK(std::abs(subspace::distance(plane, line) - a) <= tol);
  CHECK(std::abs(subspace::distance(line, plane) - a) <= tol);
  // |P_plane - P_line|_F^2 = 1 + 2 sin^2 a; spectral norm is 1 for different dimensions.
  CHECK(std::abs(subspace::distance(plane, line, Distance::ProjectionFrobenius) -
                 std::sqrt(1 + 2 * std::sin(a) * std::sin(a))) <= tol);
  CHECK(subspace::distance(plane, line, Distance::ProjectionSpectral) == S(1));
  // Orthogonal lines: Martin distance is infinite, Fubini-Study pi/2, Binet-Cauchy 1.
  Mat<S> w(2, 1);
  w << 0, 1;
  CHECK(std::isinf(subspace::distance(u, w, Distance::Martin)));
  CHECK(std::abs(subspace::distance(u, w, Distance::FubiniStudy) - S(kPi / 2)) <= tol);
  CHECK(std::abs(subspace::distance(u, w, Distance::BinetCauchy) - S(1)) <= tol);
  CHECK(subspace::distance(u, u, Distance::Geodesic) == S(0));
}

TEMPLATE_TEST_CASE("distances match their matrix definitions on random subspaces",
                   "[angles][distances]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 3005;
  CAPTURE(seed);
  Rng rng(seed);
  for (auto [n, k, l] : {std::tuple<Index, Index, Index>{9, 3, 3}, {12, 5, 2}, {12, 2, 5}}) {
    CAPTURE(n, k, l);
    const Mat<S> u = haar_orthogonal(rng, n).leftCols(k).template cast<S>();
    const Mat<S> v = haar_orthogonal(rng, n).leftCols(l).template cast<S>();
    const MatL ul = u.template cast<long double>(), vl = v.template cast<long double>();
    const MatL dp = ul * ul.transpose() - vl * vl.transpose();
    const long double tol = 200.0L * eps<S>();
    CHECK(std::abs(subspace::distance(u, v, Distance::ProjectionFrobenius) - dp.norm()) <= tol);
    CHECK(std::abs(subspace::distance(u, v, Distance::ProjectionSpectral) -
                   Eigen::JacobiSVD<MatL>(dp).singularValues()(0)) <= tol);
    if (k != l) continue;
    CHECK(std::abs(subspace::distance(u, v, Distance::Chordal) - dp.norm() / std::sqrt(2.0L)) <=
          tol);
    const MatL m = ul.transpose() * vl;
    const long double det = std::abs(m.determinant());
    CHECK(std::abs(subspace::distance(u, v, Distance::FubiniStudy) - std::acos(det)) <= tol);
    CHECK(std::abs(subspace::distance(u, v, Distance::BinetCauchy) - std::sqrt(1 - det * det)) <=
          tol);
    // Procrustes: min over orthogonal Q of |U Q - V|_F, Q = A B^T from M = A S B^T.
    Eigen::JacobiSVD<MatL> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
    const MatL qopt = svd.matrixU() * svd.matrixV().transpose();
    CHECK(std::abs(subspace::distance(u, v, Distance::Procrustes) - (ul * qopt - vl).norm()) <=
          tol);
  }
}

TEMPLATE_TEST_CASE("distance_from_angles keeps relative accuracy for tiny angles",
                   "[angles][distances]", float, double) {
  using S = TestType;
  Vec<S> theta(2);
  theta << S(1e-9), S(2e-9);
  const long double t1 = theta(0), t2 = theta(1);
  const long double geo = std::sqrt(t1 * t1 + t2 * t2);
  const long double rel = 16.0L * eps<S>();
  auto close = [&](Distance d, long double ref) {
    return std::abs(subspace::distance_from_angles(theta, d) - ref) <= rel * ref;
  };
  CHECK(close(Distance::BinetCauchy, geo));
  CHECK(close(Distance::FubiniStudy, geo));
  CHECK(close(Distance::Martin, geo));
  CHECK(close(Distance::Chordal, geo));
  CHECK(close(Distance::Procrustes, geo));
  require_throws<subspace::InvalidParameter>(
      [] { subspace::distance_from_angles(Vec<S>(0), Distance::Geodesic); }, "no principal angles");
  require_throws<subspace::InvalidParameter>(
      [&] { subspace::distance_from_angles(theta, Distance::Geodesic, -1); }, ">= 0");
}

TEMPLATE_TEST_CASE("principal angle errors", "[angles][errors]", float, double) {
  using S = TestType;
  Rng rng(3006);
  const Mat<S> u = haar_orthogonal(rng, 6).leftCols(2).template cast<S>();
  const Mat<S> v5 = haar_orthogonal(rng, 5).leftCols(2).template cast<S>();
  require_throws<subspace::DimensionMismatch>([&] { subspace::principal_angles(u, v5); }, "6x2");
  require_throws<subspace::DimensionMismatch>([&] { subspace::principal_vectors(u, v5); },
                                              "principal_vectors");
  require_throws<subspace::DimensionMismatch>([&] { subspace::principal_angles(u, Mat<S>(6, 0)); },
                                              "non-empty");
  const Mat<S> wide = rng.gaussian<S>(2, 3);
  require_throws<subspace::DimensionMismatch>([&] { subspace::principal_angles(wide, wide); },
                                              "k <= n");
  Mat<S> bad = u;
  bad(0, 0) = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>([&] { subspace::principal_angles(u, bad); }, "V");
  const Mat<S> scaled = S(1.01) * u;
  require_throws<subspace::NotOrthonormal>([&] { subspace::distance(scaled, u); }, "U");
}
