// Tests of plucker.hpp and line3.hpp: coordinates against independently computed minors and
// hand-derived values, the exterior-algebra identities, decomposability and recovery, the pair
// features, and 3-D lines on hand-built configurations.
#include <subspace/angles.hpp>
#include <subspace/basis.hpp>
#include <subspace/line3.hpp>
#include <subspace/plucker.hpp>

#include <Eigen/LU>
#include <cmath>
#include <vector>

#include "helpers.hpp"

using namespace test;
using subspace::Combinations;

namespace {

/// Reference coordinates: one long double LU determinant per lexicographic row subset, with
/// the subsets enumerated by nested recursion (not by the library's Combinations).
void naive_minors(const MatL& u, Index start, std::vector<Index>& rows,
                  std::vector<long double>& out) {
  const Index k = u.cols();
  if (static_cast<Index>(rows.size()) == k) {
    MatL sub(k, k);
    for (Index i = 0; i < k; ++i) sub.row(i) = u.row(rows[static_cast<std::size_t>(i)]);
    out.push_back(sub.determinant());
    return;
  }
  for (Index i = start; i < u.rows(); ++i) {
    rows.push_back(i);
    naive_minors(u, i + 1, rows, out);
    rows.pop_back();
  }
}

Vec<long double> reference_plucker(const MatL& u) {
  std::vector<Index> rows;
  std::vector<long double> out;
  naive_minors(u, 0, rows, out);
  return Eigen::Map<Vec<long double>>(out.data(), static_cast<Index>(out.size()));
}

long double binomial_ld(Index n, Index k) {
  return std::round(std::tgamma(n + 1.0L) / (std::tgamma(k + 1.0L) * std::tgamma(n - k + 1.0L)));
}

/// An orthonormal complement W of U (n x (n-k)) with det [U W] = +1.
template <class S>
Mat<S> oriented_complement(const Mat<S>& u) {
  Mat<S> w = subspace::complement(u);
  Mat<S> full(u.rows(), u.rows());
  full << u, w;
  if (full.template cast<long double>().determinant() < 0) w.col(0) = -w.col(0);
  return w;
}

}  // namespace

TEST_CASE("Combinations: lexicographic order, rank/unrank round trips, binomials, errors",
          "[plucker]") {
  for (const auto& nk : std::vector<std::pair<Index, Index>>{
           {1, 1}, {4, 2}, {6, 3}, {9, 4}, {7, 0}, {5, 5}, {12, 1}}) {
    const Index n = nk.first,
                k = nk.second;  // not a structured binding: clang 14 cannot capture those
    CAPTURE(n, k);
    const Combinations c(n, k);
    CHECK(static_cast<long double>(c.size()) == binomial_ld(n, k));
    std::vector<Index> s(static_cast<std::size_t>(k));
    for (Index m = 0; m < k; ++m) s[static_cast<std::size_t>(m)] = m;
    Index r = 0;
    std::vector<Index> previous;
    do {
      CHECK(c.rank(s) == r);
      CHECK(c.unrank(r) == s);
      if (!previous.empty())
        CHECK(std::lexicographical_compare(previous.begin(), previous.end(), s.begin(), s.end()));
      previous = s;
      ++r;
    } while (k > 0 && Combinations::next(s, n));
    CHECK(r == c.size());
  }
  const Combinations c(5, 2);
  CHECK(c.rank(std::vector<Index>{0, 1}) == 0);
  CHECK(c.rank(std::vector<Index>{1, 2}) == 4);  // 01 02 03 04 12
  CHECK(c.rank(std::vector<Index>{3, 4}) == 9);
  require_throws<subspace::InvalidParameter>(
      [&] {
        (void)c.rank(std::vector<Index>{2, 2});
      },
      "strictly");
  require_throws<subspace::InvalidParameter>(
      [&] {
        (void)c.rank(std::vector<Index>{1, 5});
      },
      "strictly");
  require_throws<subspace::InvalidParameter>([&] { (void)c.rank(std::vector<Index>{1}); },
                                             "need 2");
  require_throws<subspace::InvalidParameter>([&] { (void)c.unrank(10); }, "outside");
  require_throws<subspace::DimensionMismatch>([] { Combinations(3, 4); }, "k <= n");
  // C(68, 34) ~ 2.8e19 does not fit a signed 64-bit index; C(66, 33) ~ 7.2e18 does.
  CHECK(Combinations(66, 33).size() == 7219428434016265740LL);
  require_throws<subspace::TooLarge>([] { Combinations(68, 34); }, "overflows");
}

TEMPLATE_TEST_CASE("plucker: coordinates equal independently computed minors", "[plucker]", float,
                   double) {
  using S = TestType;
  Rng rng(7101);
  for (const auto& nk : std::vector<std::pair<Index, Index>>{
           {2, 1}, {4, 2}, {9, 2}, {5, 3}, {6, 3}, {7, 4}, {8, 5}, {5, 5}, {12, 3}, {16, 4}}) {
    const Index n = nk.first,
                k = nk.second;  // not a structured binding: clang 14 cannot capture those
    CAPTURE(n, k);
    const Mat<S> u = rng.gaussian<S>(n, k);
    const Vec<S> p = subspace::plucker(u);
    const Vec<long double> ref = reference_plucker(u.template cast<long double>());
    REQUIRE(p.size() == ref.size());
    // Each minor is a sum of k! products of Gaussian entries: compare with the scale of U.
    const long double scale = std::pow(static_cast<long double>(u.cwiseAbs().maxCoeff()), k);
    CHECK((p.template cast<long double>() - ref).cwiseAbs().maxCoeff() <=
          50 * k * k * eps<S>() * scale);
  }
}

TEST_CASE("plucker: hand-computed coordinates, ordering and sign", "[plucker]") {
  Mat<double> u2(4, 2);
  u2 << 1, 0, 2, 1, 0, 3, 4, 0;  // rows 0..3
  // p_ij = u_i0 u_j1 - u_j0 u_i1 for (01, 02, 03, 12, 13, 23)
  Vec<double> expect2(6);
  expect2 << 1 * 1 - 2 * 0, 1 * 3 - 0 * 0, 1 * 0 - 4 * 0, 2 * 3 - 0 * 1, 2 * 0 - 4 * 1,
      0 * 0 - 4 * 3;
  CHECK((subspace::plucker(u2) - expect2).cwiseAbs().maxCoeff() == 0.0);
  Mat<double> u3(4, 3);
  u3 << 1, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 5;
  Vec<double> expect3(4);
  expect3 << 1, 5, -3, 2;  // minors with rows 012, 013, 023, 123, expanded by hand
  CHECK((subspace::plucker(u3) - expect3).cwiseAbs().maxCoeff() <= 1e-14);  // QR path (k > n/2)
  // Hodge star: the normal (2, 3, 5, -1) of span(u3), with the sign rule (-1)^sum(i_m - m).
  Vec<double> star(4);
  star << -2, -3, -5, 1;
  CHECK((subspace::hodge(expect3, 4, 3) - star).cwiseAbs().maxCoeff() == 0.0);
  // Swapping two columns flips the sign; a repeated column gives zero.
  Mat<double> swapped = u3;
  swapped.col(0).swap(swapped.col(2));
  CHECK((subspace::plucker(swapped) + expect3).cwiseAbs().maxCoeff() <= 1e-14);
  Mat<double> repeated = u3;
  repeated.col(1) = repeated.col(0);
  CHECK(subspace::plucker(repeated).cwiseAbs().maxCoeff() <= 1e-15);
}

TEMPLATE_TEST_CASE("plucker: unit norm, det R scaling, Cauchy-Binet and the Gr(2,4) relation",
                   "[plucker]", float, double) {
  using S = TestType;
  Rng rng(7102);
  const long double pi = 3.141592653589793238462643383279502884L;
  for (auto [n, k] :
       std::vector<std::pair<Index, Index>>{{4, 2}, {7, 3}, {10, 4}, {6, 1}, {9, 2}}) {
    CAPTURE(n, k);
    const Mat<S> u = subspace::qr_basis(rng.gaussian<S>(n, k));
    const Vec<S> p = subspace::plucker(u);
    CHECK(std::abs(p.norm() - S(1)) <= 20 * k * eps<S>());
    // U -> U R scales by det R.
    const Mat<S> r = rng.gaussian<S>(k, k);
    const S det_r = S(r.template cast<long double>().determinant());
    const Vec<S> pr = subspace::plucker(Mat<S>(u * r));
    CHECK((pr - det_r * p).norm() <= 100 * k * eps<S>() * (1 + std::abs(det_r)) * r.norm());
    // <plucker(U), plucker(V)> = det(U^T V) = prod cos(theta_i), on subspaces built with
    // known principal angles.
    if (2 * k <= n) {
      Vec<long double> theta(k);
      for (Index i = 0; i < k; ++i) theta(i) = (i + 1) * pi / (2.5L * k);
      const auto uv = subspaces_with_angles<S>(rng, n, k, theta);
      const S inner = subspace::plucker(uv.first).dot(subspace::plucker(uv.second));
      const S det_uv =
          S((uv.first.transpose() * uv.second).template cast<long double>().determinant());
      long double cos_prod = 1;
      for (Index i = 0; i < k; ++i) cos_prod *= std::cos(theta(i));
      CHECK(std::abs(inner - det_uv) <= 50 * k * eps<S>());
      CHECK(std::abs(std::abs(static_cast<long double>(inner)) - cos_prod) <= 50 * k * eps<S>());
    }
  }
  for (int trial = 0; trial < 20; ++trial) {
    const Vec<S> p = subspace::plucker(rng.gaussian<S>(4, 2));
    // p01 p23 - p02 p13 + p03 p12 = 0
    CHECK(std::abs(p(0) * p(5) - p(1) * p(4) + p(2) * p(3)) <= 50 * eps<S>() * p.squaredNorm());
  }
}

TEST_CASE("plucker: fixed sizes return fixed-size vectors and do not allocate", "[plucker]") {
  Rng rng(7103);
  const Eigen::Matrix<double, 6, 3> u = rng.gaussian<double>(6, 3);
  const Eigen::Matrix<double, 5, 2> v = rng.gaussian<double>(5, 2);
  Eigen::Matrix<double, 20, 1> p;
  Eigen::Matrix<double, 10, 1> q;
  Eigen::internal::set_is_malloc_allowed(false);
  p = subspace::plucker(u);
  q = subspace::plucker(v);
  Eigen::internal::set_is_malloc_allowed(true);
  static_assert(decltype(subspace::plucker(u))::RowsAtCompileTime == 20, "C(6, 3)");
  CHECK((p - subspace::plucker(Mat<double>(u))).cwiseAbs().maxCoeff() == 0.0);
  CHECK((q - subspace::plucker(Mat<double>(v))).cwiseAbs().maxCoeff() == 0.0);
}

TEMPLATE_TEST_CASE("hodge: Plucker vector of the oriented orthogonal complement", "[plucker]",
                   float, double) {
  using S = TestType;
  Rng rng(7104);
  for (const auto& nk :
       std::vector<std::pair<Index, Index>>{{4, 2}, {5, 2}, {6, 3}, {7, 1}, {7, 5}}) {
    const Index n = nk.first,
                k = nk.second;  // not a structured binding: clang 14 cannot capture those
    CAPTURE(n, k);
    const Mat<S> u = subspace::qr_basis(rng.gaussian<S>(n, k));
    const Mat<S> w = oriented_complement(u);
    const Vec<S> star = subspace::hodge(subspace::plucker(u), n, k);
    CHECK((subspace::plucker(w) - star).cwiseAbs().maxCoeff() <= 100 * n * eps<S>());
    // ** = (-1)^(k (n - k))
    const Vec<S> p = subspace::plucker(rng.gaussian<S>(n, k));
    const S sign = (k * (n - k)) % 2 == 0 ? S(1) : S(-1);
    CHECK((subspace::hodge(subspace::hodge(p, n, k), n, n - k) - sign * p).cwiseAbs().maxCoeff() ==
          S(0));
  }
  require_throws<subspace::DimensionMismatch>([] { subspace::hodge(Vec<double>::Ones(5), 4, 2); },
                                              "C(4, 2) = 6");
}

TEMPLATE_TEST_CASE("decomposability and recovery of the subspace", "[plucker]", float, double) {
  using S = TestType;
  Rng rng(7105);
  for (const auto& nk : std::vector<std::pair<Index, Index>>{
           {4, 2}, {6, 3}, {8, 2}, {7, 4}, {5, 1}, {5, 5}, {9, 3}}) {
    const Index n = nk.first,
                k = nk.second;  // not a structured binding: clang 14 cannot capture those
    CAPTURE(n, k);
    const Mat<S> a = rng.gaussian<S>(n, k);
    const Vec<S> p = subspace::plucker(a);
    CHECK(subspace::decomposability_residual(p, n, k) <= 100 * n * eps<S>());
    const Mat<S> w = subspace::from_plucker(p, n, k);
    CHECK(orthonormality_error<S>(w) <= 20 * n * eps<S>());
    const Mat<S> ua = subspace::qr_basis(a);
    // Same subspace (largest principal angle ~ 0) and the orientation of p.
    CHECK(subspace::principal_angles(ua, w).maxCoeff() <= S(1000) * eps<S>());
    CHECK((subspace::plucker(w) - p / p.norm()).cwiseAbs().maxCoeff() <= 200 * n * eps<S>());
    // Scale does not matter; small noise moves the answer by about the noise.
    const Mat<S> w2 = subspace::from_plucker(Vec<S>(S(-3.5) * p), n, k);
    CHECK((subspace::plucker(w2) + p / p.norm()).cwiseAbs().maxCoeff() <= 200 * n * eps<S>());
    if (k > 1 && k < n - 1) {
      const S noise = std::is_same<S, float>::value ? S(1e-4) : S(1e-9);
      const Vec<S> noisy = p + noise * p.norm() * rng.gaussian<S>(p.size(), 1);
      const S res = subspace::decomposability_residual(noisy, n, k);
      CHECK(res > S(0));
      const Mat<S> wn = subspace::from_plucker(noisy, n, k, S(100) * noise);
      CHECK(subspace::principal_angles(ua, wn).maxCoeff() <= S(100) * noise);
    }
    if (k > 1 && 2 * k <= n) {
      // p(U) + p(V) with span V orthogonal to span U: the contraction matrix has 2k equal
      // singular values, so the residual is exactly sqrt(k / 2k) = 1 / sqrt(2).
      const Mat<S> v = subspace::complement(ua).leftCols(k);
      const Vec<S> sum = subspace::plucker(ua) + subspace::plucker(v);
      CHECK(std::abs(subspace::decomposability_residual(sum, n, k) - S(1 / std::sqrt(2.0))) <=
            50 * eps<S>());
      require_throws<subspace::NotDecomposable>([&] { subspace::from_plucker(sum, n, k); },
                                                "not decomposable");
    }
  }
  Vec<S> e01_e23 = Vec<S>::Zero(6);
  e01_e23(0) = 1;
  e01_e23(5) = 1;  // the symplectic form: rank 4, all singular values equal
  CHECK(std::abs(subspace::decomposability_residual(e01_e23, 4, 2) - S(1 / std::sqrt(2.0))) <=
        10 * eps<S>());
  CHECK(subspace::decomposability_residual(Vec<S>(Vec<S>::Zero(6)), 4, 2) == S(1));
  require_throws<subspace::NotDecomposable>(
      [] { subspace::from_plucker(Vec<S>(Vec<S>::Zero(6)), 4, 2); }, "zero vector");
  require_throws<subspace::DimensionMismatch>(
      [] { subspace::from_plucker(Vec<S>(Vec<S>::Ones(7)), 4, 2); }, "coordinates");
}

TEST_CASE("plucker: error paths", "[plucker][errors]") {
  require_throws<subspace::DimensionMismatch>([] { subspace::plucker(Mat<double>(3, 4)); },
                                              "1 <= k <= n");
  require_throws<subspace::DimensionMismatch>([] { subspace::plucker(Mat<double>(3, 0)); },
                                              "1 <= k <= n");
  Mat<double> bad = Mat<double>::Ones(5, 2);
  bad(3, 1) = std::nan("");
  require_throws<subspace::NonFiniteInput>([&] { subspace::plucker(bad); }, "NaN");
  // C(70, 35) ~ 1.1e20 coordinates: a clear error, before any allocation of that size.
  require_throws<subspace::TooLarge>([] { subspace::plucker(Mat<double>::Zero(70, 35)); },
                                     "overflows");
  require_throws<subspace::TooLarge>([] { subspace::plucker(Mat<double>::Zero(64, 32)); },
                                     "address space");
}

TEMPLATE_TEST_CASE("pair features: normalized 2-plane coordinates for every token and offset",
                   "[plucker]", float, double) {
  using S = TestType;
  Rng rng(7106);
  const Index r = 5, t_len = 12;
  Mat<S> x = rng.gaussian<S>(r, t_len);
  x.col(4) = S(2.5) * x.col(1);  // parallel to the token 3 before it
  x.col(7).setZero();            // a zero state
  const std::vector<Index> offsets{1, 3, 20};
  const Mat<S> f = subspace::plucker_pair_features(x, offsets);
  REQUIRE(f.rows() == 10);
  REQUIRE(f.cols() == t_len * 3);
  for (std::size_t o = 0; o < offsets.size(); ++o) {
    const Index d = offsets[o];
    for (Index t = 0; t < t_len; ++t) {
      CAPTURE(d, t);
      const Index col = static_cast<Index>(o) * t_len + t;
      const bool degenerate = t - d < 0 || t == 7 || t - d == 7 || (t == 4 && d == 3);
      if (degenerate) {
        CHECK(f.col(col).cwiseAbs().maxCoeff() == S(0));
        continue;
      }
      Mat<long double> pair(r, 2);
      pair << x.col(t).template cast<long double>(), x.col(t - d).template cast<long double>();
      Vec<long double> ref = reference_plucker(pair);
      ref /= ref.norm();
      CHECK((f.col(col).template cast<long double>() - ref).cwiseAbs().maxCoeff() <= 50 * eps<S>());
    }
  }
  // A nearly parallel pair at a known small angle: kept by the default rule (and exact: the
  // plane is span(e0, e1) with the orientation of x_1 ^ x_0), dropped by a looser tolerance.
  const S small = std::is_same<S, float>::value ? S(1e-3) : S(1e-7);
  Mat<S> two = Mat<S>::Zero(3, 2);
  two(0, 0) = 1;
  two(0, 1) = 1;
  two(1, 1) = small;  // x_1 = (1, small, 0), x_0 = (1, 0, 0): x_1 ^ x_0 = -small e0 ^ e1
  const Mat<S> g = subspace::plucker_pair_features(two, {1});
  CHECK(std::abs(g(0, 1) + S(1)) <= 10 * eps<S>());
  CHECK(g.col(1).tail(2).cwiseAbs().maxCoeff() == S(0));
  CHECK(g.col(0).cwiseAbs().maxCoeff() == S(0));  // no predecessor
  CHECK(subspace::plucker_pair_features(two, {1}, S(10) * small).cwiseAbs().maxCoeff() == S(0));
  require_throws<subspace::InvalidParameter>(
      [&] {
        subspace::plucker_pair_features(x, {1, 0});
      },
      ">= 1");
  require_throws<subspace::DimensionMismatch>(
      [] { subspace::plucker_pair_features(Mat<S>(Mat<S>::Ones(1, 4)), {1}); }, "r >= 2");
}

TEMPLATE_TEST_CASE("Line3: hand-built skew, parallel and intersecting lines", "[plucker][line3]",
                   float, double) {
  using S = TestType;
  using L = subspace::Line3<S>;
  using V3 = typename L::Vector3;
  const S tol = 100 * eps<S>();
  // The x-axis and the line x = 5, z = 2 (along y): skew, distance 2, closest points known.
  const L x_axis = L::through(V3(0, 0, 0), V3(3, 0, 0));
  const L skew = L::from_point_direction(V3(5, 7, 2), V3(0, -4, 0));
  CHECK(std::abs(x_axis.distance(skew) - S(2)) <= tol);
  CHECK(std::abs(std::abs(x_axis.reciprocal_product(skew)) - S(2)) <= tol);  // d sin(90 deg)
  const auto cp = x_axis.closest_points(skew);
  CHECK((cp.first - V3(5, 0, 0)).norm() <= tol);
  CHECK((cp.second - V3(5, 0, 2)).norm() <= tol);
  CHECK(!x_axis.intersection(skew).has_value());
  // A parallel line (opposite direction) through (0, 3, 4): distance 5.
  const L par = L::from_point_direction(V3(-1, 3, 4), V3(-2, 0, 0));
  CHECK(x_axis.is_parallel(par));
  CHECK(std::abs(x_axis.distance(par) - S(5)) <= tol);
  CHECK(std::abs(x_axis.reciprocal_product(par)) <= tol);
  CHECK(!x_axis.intersection(par).has_value());
  CHECK((par.closest_points(x_axis).second - V3(0, 0, 0)).norm() <= tol);
  // Two lines through (1, 1, 1): coplanar, meeting there.
  const L a = L::from_point_direction(V3(4, 1, 1), V3(1, 0, 0));
  const L b = L::through(V3(1, 0, 0), V3(1, 2, 2));
  CHECK(std::abs(a.reciprocal_product(b)) <= tol);
  CHECK(a.distance(b) <= tol);
  const auto meet = a.intersection(b);
  REQUIRE(meet.has_value());
  CHECK((*meet - V3(1, 1, 1)).norm() <= 10 * tol);
  // Distance from a point; the point nearest the origin; the invariant.
  CHECK(std::abs(x_axis.distance(V3(9, 3, 4)) - S(5)) <= tol);
  CHECK((par.point() - V3(0, 3, 4)).norm() <= tol);
  CHECK(std::abs(b.plucker_relation()) <= tol);
}

TEMPLATE_TEST_CASE("Line3: rigid motions and the six-coordinate form", "[plucker][line3]", float,
                   double) {
  using S = TestType;
  using L = subspace::Line3<S>;
  using V3 = typename L::Vector3;
  Rng rng(7107);
  const S tol = 200 * eps<S>();
  for (int trial = 0; trial < 10; ++trial) {
    const Mat<S> pts = rng.gaussian<S>(3, 4);
    const V3 a = pts.col(0), b = pts.col(1), c = pts.col(2), e = pts.col(3);
    const L l1 = L::through(a, b), l2 = L::through(c, e);
    // A rigid motion preserves distances and reciprocal products and maps points to points.
    const Eigen::Matrix<S, 3, 3> rot =
        Eigen::AngleAxis<S>(S(0.3 + trial), V3(1, 2, -1).normalized()).toRotationMatrix();
    const V3 t(S(1), S(-2), S(0.5));
    const L m1 = l1.transformed(rot, t), m2 = l2.transformed(rot, t);
    CHECK(std::abs(m1.distance(m2) - l1.distance(l2)) <= tol * (1 + l1.distance(l2)) * 10);
    CHECK(m1.distance(V3(rot * a + t)) <= tol * 10 * (1 + a.norm()));
    CHECK(m1.distance(V3(rot * b + t)) <= tol * 10 * (1 + b.norm()));
    // Six coordinates: the general Plucker vector of the homogeneous points [1 1; a b].
    Mat<S> hom(4, 2);
    hom << S(1), S(1), a, b;
    const Vec<S> general = subspace::plucker(hom) / (b - a).norm();
    const auto six = l1.to_plucker();
    CHECK((six - general).cwiseAbs().maxCoeff() <= tol * (1 + a.norm() * b.norm()) * 10);
    CHECK(std::abs(six(0) * six(5) - six(1) * six(4) + six(2) * six(3)) <=
          tol * (1 + six.squaredNorm()));
    const L back = L::from_plucker(S(-2) * six);  // any scale, either sign: the same line
    CHECK(back.distance(a) <= tol * 10 * (1 + a.norm()));
    CHECK(back.distance(b) <= tol * 10 * (1 + b.norm()));
  }
  using V6 = typename L::Vector6;
  V6 bad;
  bad << 1, 0, 0, 0, 0, 1;  // d = e_x, m = e_x: d . m = 1
  require_throws<subspace::NotDecomposable>([&] { L::from_plucker(bad); }, "Plucker relation");
  require_throws<subspace::InvalidParameter>(
      [] { L::from_direction_moment(V3::Zero(), V3(0, 0, 1)); }, "infinity");
  require_throws<subspace::InvalidParameter>([] { L::through(V3(1, 2, 3), V3(1, 2, 3)); },
                                             "coincide");
}

TEMPLATE_TEST_CASE("plucker: k > n/2 through the complement, against minors and identities",
                   "[plucker]", float, double) {
  using S = TestType;
  Rng rng(7108);
  for (const auto& nk : std::vector<std::pair<Index, Index>>{{5, 3}, {7, 5}, {9, 8}, {10, 6}}) {
    const Index n = nk.first, k = nk.second;
    CAPTURE(n, k);
    const Mat<S> u = rng.gaussian<S>(n, k);
    const Vec<long double> ref = reference_plucker(u.template cast<long double>());
    const Vec<S> p = subspace::plucker(u);
    const long double scale = std::pow(static_cast<long double>(u.cwiseAbs().maxCoeff()), k);
    CHECK((p.template cast<long double>() - ref).cwiseAbs().maxCoeff() <=
          200 * k * k * eps<S>() * scale);
  }
  // Large n with k near n: few coordinates, no overflow of intermediate binomials, fast.
  const Mat<double> u = subspace::qr_basis(rng.gaussian<double>(70, 68));
  const Vec<double> p = subspace::plucker(u);
  CHECK(p.size() == 2415);  // C(70, 68)
  CHECK(std::abs(p.norm() - 1) <= 1e-12);
  const Mat<double> v = subspace::qr_basis(rng.gaussian<double>(70, 68));
  const double det_uv = (u.transpose() * v).determinant();
  CHECK(std::abs(p.dot(subspace::plucker(v)) - det_uv) <= 1e-12);  // Cauchy-Binet
  CHECK(subspace::Combinations(200, 199).size() == 200);
  CHECK(subspace::hodge(Vec<double>(Vec<double>::Ones(200)), 200, 1).size() == 200);
  // A rank-deficient U gives zero coordinates on this path too.
  Mat<double> w = rng.gaussian<double>(7, 5);
  w.col(4) = w.col(0) - w.col(2);
  CHECK(subspace::plucker(w).cwiseAbs().maxCoeff() <= 1e-13);
  // An expression argument is evaluated once and gives the same coordinates.
  const Mat<double> a = rng.gaussian<double>(8, 3), b = rng.gaussian<double>(3, 3);
  CHECK((subspace::plucker(a * b) - subspace::plucker(Mat<double>(a * b))).cwiseAbs().maxCoeff() ==
        0.0);
}

TEMPLATE_TEST_CASE("Plucker functions at extreme scales and with bad tolerances",
                   "[plucker][errors]", float, double) {
  using S = TestType;
  Rng rng(7109);
  const S tiny = std::is_same<S, float>::value ? S(1e-20) : S(1e-155);
  const S huge = std::is_same<S, float>::value ? S(1e20) : S(1e150);
  const Mat<S> x = rng.gaussian<S>(6, 9);
  const Mat<S> f = subspace::plucker_pair_features(x, {1, 2});
  for (S scale : {tiny, huge}) {
    CAPTURE(scale);
    const Mat<S> g = subspace::plucker_pair_features(Mat<S>(scale * x), {1, 2});
    CHECK(g.allFinite());
    CHECK((g - f).cwiseAbs().maxCoeff() <= 50 * eps<S>());
  }
  // Features have unit norm to a few eps even for nearly parallel pairs.
  Mat<S> near(5, 2);
  near.col(0) = rng.gaussian<S>(5, 1);
  near.col(1) = near.col(0) + S(1e3) * eps<S>() * rng.gaussian<S>(5, 1);
  const Mat<S> h = subspace::plucker_pair_features(near, {1});
  CHECK(std::abs(h.col(1).norm() - S(1)) <= 10 * eps<S>());
  // The decomposability residual and from_plucker do not depend on the scale of p.
  const Vec<S> p = subspace::plucker(rng.gaussian<S>(6, 3));
  for (S scale : {tiny, huge}) {
    const Vec<S> q = scale * p;
    CHECK(subspace::decomposability_residual(q, 6, 3) <= 100 * eps<S>());
    const Mat<S> w = subspace::from_plucker(q, 6, 3);
    CHECK((subspace::plucker(w) - p / p.norm()).cwiseAbs().maxCoeff() <= 100 * eps<S>());
  }
  const S nan = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::InvalidParameter>([&] { subspace::from_plucker(p, 6, 3, nan); }, "NaN");
  require_throws<subspace::InvalidParameter>([&] { subspace::plucker_pair_features(x, {1}, nan); },
                                             "NaN");
  Vec<S> bad = p;
  bad(3) = nan;
  require_throws<subspace::NonFiniteInput>([&] { subspace::hodge(bad, 6, 3); }, "NaN");
  require_throws<subspace::NonFiniteInput>([&] { subspace::contraction_matrix(bad, 6, 3); }, "NaN");
}

TEMPLATE_TEST_CASE("Line3: small angles, far intersections, extreme scales, bad motions",
                   "[plucker][line3][errors]", float, double) {
  using S = TestType;
  using L = subspace::Line3<S>;
  using V3 = typename L::Vector3;
  // Two lines through (100, 60, -50) at an angle of 1e-3 (float) / 1e-6 (double): they meet.
  const S angle = std::is_same<S, float>::value ? S(1e-3) : S(1e-6);
  const V3 meet(100, 60, -50);
  const L a = L::from_point_direction(meet + V3(3, 0, 0), V3(1, 0, 0));
  const V3 dir(std::cos(angle), std::sin(angle), 0);
  const L b = L::from_point_direction(meet - S(7) * dir, dir);
  const auto at = a.intersection(b);
  REQUIRE(at.has_value());
  CHECK((*at - meet).norm() <= S(1e3) * std::numeric_limits<S>::epsilon() * meet.norm() / angle);
  // The same pair moved apart along the common normal (z) by well over the conditioning
  // eps |m| / sin(angle) is skew.
  const S apart = S(2000) * std::numeric_limits<S>::epsilon() * meet.norm() / angle;
  const L c = L::from_point_direction(meet - S(7) * dir + V3(0, 0, apart), dir);
  CHECK(!a.intersection(c).has_value());
  CHECK(std::abs(a.distance(c) - apart) <= S(0.1) * apart);
  // Huge and tiny directions are fine; the stored direction is a unit vector.
  const S huge = std::is_same<S, float>::value ? S(1e30) : S(1e200);
  const L big = L::from_point_direction(V3(0, 0, 0), V3(huge, huge, 0));
  CHECK(std::abs(big.direction().norm() - S(1)) <= 10 * std::numeric_limits<S>::epsilon());
  const L small = L::from_point_direction(V3(0, 0, 1), V3(1 / huge, 1 / huge, 0));
  CHECK(std::abs(small.direction().norm() - S(1)) <= 10 * std::numeric_limits<S>::epsilon());
  Eigen::Matrix<S, 3, 3> twice = Eigen::Matrix<S, 3, 3>::Identity() * S(2);
  require_throws<subspace::InvalidParameter>([&] { a.transformed(twice, V3::Zero()); }, "rotation");
  Eigen::Matrix<S, 3, 3> mirror = Eigen::Matrix<S, 3, 3>::Identity();
  mirror(2, 2) = -1;
  require_throws<subspace::InvalidParameter>([&] { a.transformed(mirror, V3::Zero()); },
                                             "rotation");
  require_throws<subspace::InvalidParameter>(
      [&] { (void)a.is_parallel(b, std::numeric_limits<S>::quiet_NaN()); }, "NaN");
}
