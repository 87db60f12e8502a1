// Tests of basis.hpp: QR, pivoted QR and SVD bases, rank rules, complement, null space.
#include <subspace/basis.hpp>

#include <Eigen/SVD>

#include "helpers.hpp"

using namespace test;
using subspace::RankRule;

namespace {

/// A = Q1 diag(s) Q2^T (n x m) built in long double from Haar factors, cast to S. Returns A and
/// Q1's first s.size() columns (the exact left singular vectors).
template <class S>
std::pair<Mat<S>, MatL> with_singular_values(Rng& rng, Index n, Index m,
                                             const Vec<long double>& s) {
  const MatL q1 = haar_orthogonal(rng, n), q2 = haar_orthogonal(rng, m);
  const Index p = s.size();
  MatL a = q1.leftCols(p) * s.asDiagonal() * q2.leftCols(p).transpose();
  return {a.template cast<S>(), q1.leftCols(p)};
}

/// max-abs difference of the orthogonal projectors onto span(U) and span(W) (test-only, n x n).
template <class S>
long double projector_gap(const Mat<S>& u, const MatL& w) {
  const MatL ul = u.template cast<long double>();
  return (ul * ul.transpose() - w * w.transpose()).cwiseAbs().maxCoeff();
}

/// Modified Gram-Schmidt in long double: the unique thin Q with diag(R) > 0, an independent
/// reference for qr_basis.
MatL mgs(const MatL& a) {
  MatL q = a;
  for (Index j = 0; j < q.cols(); ++j) {
    for (Index i = 0; i < j; ++i) q.col(j) -= q.col(i).dot(q.col(j)) * q.col(i);
    q.col(j).normalize();
  }
  return q;
}

}  // namespace

TEMPLATE_TEST_CASE("qr_basis: orthonormal, same span, diag(R) >= 0, matches Gram-Schmidt",
                   "[basis]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 1001;
  CAPTURE(seed);
  Rng rng(seed);
  for (auto [n, k] : {std::pair<Index, Index>{5, 3}, {50, 10}, {300, 40}, {7, 7}}) {
    CAPTURE(n, k);
    const Mat<S> a = rng.gaussian<S>(n, k);
    const Mat<S> q = subspace::qr_basis(a);
    REQUIRE(q.rows() == n);
    REQUIRE(q.cols() == k);
    CHECK(orthonormality_error(q) <= S(4) * S(n) * eps<S>());
    // R = Q^T A upper triangular with non-negative diagonal, and A = Q R.
    const Mat<S> r = q.transpose() * a;
    const S scale = a.norm();
    for (Index j = 0; j < k; ++j) {
      CHECK(r(j, j) >= S(0));
      for (Index i = j + 1; i < k; ++i) CHECK(std::abs(r(i, j)) <= S(8) * S(n) * eps<S>() * scale);
    }
    CHECK((a - q * q.transpose() * a).norm() <= S(8) * S(n) * eps<S>() * scale);
    // The unique Q: compare with modified Gram-Schmidt in long double (Gaussian A is well
    // conditioned, so the difference is bounded by a modest multiple of eps * cond(A)).
    const MatL ref = mgs(a.template cast<long double>());
    CHECK((q.template cast<long double>() - ref).cwiseAbs().maxCoeff() <= 1e4L * eps<S>());
  }
}

TEMPLATE_TEST_CASE("qr_basis on fixed sizes equals the dynamic result", "[basis]", float, double) {
  using S = TestType;
  Rng rng(1002);
  Eigen::Matrix<S, 6, 3> a = rng.gaussian<S>(6, 3);
  const Eigen::Matrix<S, 6, 3> qf = subspace::qr_basis(a);
  const Mat<S> qd = subspace::qr_basis(Mat<S>(a));
  CHECK((qf - qd).cwiseAbs().maxCoeff() <= S(10) * eps<S>());
  // fixed rows, dynamic columns, and a block of a fixed matrix: tall enough (64 x 10) for the
  // dynamic inputs' Cholesky QR2, which must not see them
  const Eigen::Matrix<S, 64, 64> big = rng.gaussian<S>(64, 64);
  const Eigen::Matrix<S, 64, Eigen::Dynamic> tall = big.leftCols(10);
  const Mat<S> ref = subspace::qr_basis(Mat<S>(tall));
  CHECK((Mat<S>(subspace::qr_basis(tall)) - ref).cwiseAbs().maxCoeff() <= S(100) * eps<S>());
  CHECK((Mat<S>(subspace::qr_basis(big.leftCols(10))) - ref).cwiseAbs().maxCoeff() <=
        S(100) * eps<S>());
}

TEMPLATE_TEST_CASE("qr_basis errors", "[basis][errors]", float, double) {
  using S = TestType;
  Rng rng(1003);
  Mat<S> a = rng.gaussian<S>(8, 3);
  a.col(2) = S(2) * a.col(0);  // exactly dependent
  require_throws<subspace::RankDeficient>([&] { subspace::qr_basis(a); }, "linearly dependent");
  require_throws<subspace::RankDeficient>([&] { subspace::qr_basis(Mat<S>::Zero(4, 2)); },
                                          "qr_basis");
  require_throws<subspace::DimensionMismatch>([&] { subspace::qr_basis(rng.gaussian<S>(3, 4)); },
                                              "3x4");
  require_throws<subspace::DimensionMismatch>([&] { subspace::qr_basis(Mat<S>(5, 0)); },
                                              "non-empty");
  Mat<S> b = rng.gaussian<S>(5, 2);
  b(1, 1) = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>([&] { subspace::qr_basis(b); }, "NaN or Inf");
  b(1, 1) = std::numeric_limits<S>::infinity();
  require_throws<subspace::NonFiniteInput>([&] { subspace::qr_basis(b); }, "qr_basis");
  // all typed errors are std::invalid_argument
  CHECK_THROWS_AS(subspace::qr_basis(b), std::invalid_argument);
}

TEMPLATE_TEST_CASE("svd_basis: rank detection on exact, near and clearly rank-deficient input",
                   "[basis]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 1004;
  CAPTURE(seed);
  Rng rng(seed);
  const Index n = 60, m = 25, r = 7;
  Vec<long double> s(m);
  for (Index i = 0; i < r; ++i) s(i) = 1.0L - 0.1L * i;  // 1 .. 0.4
  const long double tiny = std::sqrt(static_cast<long double>(eps<S>()));

  SECTION("exactly rank r: automatic tolerance finds r, basis spans the singular vectors") {
    s.tail(m - r).setZero();
    auto [a, q1] = with_singular_values<S>(rng, n, m, s);
    const auto res = subspace::svd_basis(a);
    CHECK(res.rank == r);
    CHECK(res.basis.cols() == r);
    CHECK(res.singular_values.size() == m);
    CHECK(orthonormality_error<S>(res.basis) <= S(4) * S(n) * eps<S>());
    CHECK(projector_gap<S>(res.basis, q1.leftCols(r)) <= 100.0L * eps<S>());
    for (Index i = 0; i < m; ++i)
      CHECK(std::abs(static_cast<long double>(res.singular_values(i)) - s(i)) <= 20.0L * eps<S>());
    CHECK(subspace::orthonormal_basis(a).cols() == r);
    CHECK(subspace::pivoted_qr_basis(a).cols() == r);
  }
  SECTION("nearly rank r (tail sqrt(eps)): full rank by default, r with a tolerance") {
    for (Index i = r; i < m; ++i) s(i) = tiny * (1.0L + 0.01L * i);
    auto [a, q1] = with_singular_values<S>(rng, n, m, s);
    CHECK(subspace::svd_basis(a).rank == m);
    const auto res = subspace::svd_basis(a, RankRule::tolerance(1e-2));
    CHECK(res.rank == r);
    CHECK(projector_gap<S>(res.basis, q1.leftCols(r)) <= 100.0L * tiny);
    CHECK(subspace::pivoted_qr_basis(a, S(1e-2)).cols() == r);
  }
  SECTION("fixed rank") {
    s.tail(m - r).setZero();
    const auto made = with_singular_values<S>(rng, n, m, s);
    const auto& a = made.first;  // not a structured binding: clang 14 cannot capture those
    const auto& q1 = made.second;
    CHECK(subspace::svd_basis(a, RankRule::fixed(3)).basis.cols() == 3);
    CHECK(projector_gap<S>(subspace::orthonormal_basis(a, RankRule::fixed(3)), q1.leftCols(3)) <=
          100.0L * eps<S>() / 0.1L);
    require_throws<subspace::RankDeficient>([&] { subspace::svd_basis(a, RankRule::fixed(r + 1)); },
                                            "numerical rank 7");
    require_throws<subspace::DimensionMismatch>(
        [&] { subspace::svd_basis(a, RankRule::fixed(m + 1)); }, "requested rank 26");
  }
}

TEMPLATE_TEST_CASE("qr_basis and svd_basis on tall input from well- to ill-conditioned", "[basis]",
                   float, double) {
  // 400 x 16 takes Cholesky QR2 while cond(A) allows it and Householder beyond (and on rank
  // deficiency): the contract is the same on both sides of the switch.
  using S = TestType;
  const std::uint64_t seed = 1010;
  CAPTURE(seed);
  Rng rng(seed);
  const Index n = 400, k = 16;
  const bool is_double = std::is_same<S, double>::value;
  const std::vector<long double> conds = is_double
                                             ? std::vector<long double>{1, 1e3L, 1e6L, 1e9L, 1e12L}
                                             : std::vector<long double>{1, 1e2L, 1e3L, 5e3L};
  for (long double cond : conds) {
    CAPTURE(cond);
    Vec<long double> s(k);
    for (Index i = 0; i < k; ++i) s(i) = std::pow(cond, -static_cast<long double>(i) / (k - 1));
    auto [a, q1] = with_singular_values<S>(rng, n, k, s);
    const Mat<S> q = subspace::qr_basis(a);
    CHECK(orthonormality_error<S>(q) <= S(4) * S(n) * eps<S>());
    const Mat<S> r = q.transpose() * a;
    for (Index j = 0; j < k; ++j) {
      CHECK(r(j, j) >= S(0));
      for (Index i = j + 1; i < k; ++i) CHECK(std::abs(r(i, j)) <= S(8) * S(n) * eps<S>());
    }
    CHECK((a - q * r).norm() <= S(8) * S(n) * eps<S>());
    const auto res = subspace::svd_basis(a);
    CHECK(res.rank == k);
    CHECK(orthonormality_error<S>(res.basis) <= S(4) * S(n) * eps<S>());
    for (Index i = 0; i < k; ++i)
      CHECK(std::abs(static_cast<long double>(res.singular_values(i)) - s(i)) <= 20.0L * eps<S>());
    CHECK(projector_gap<S>(res.basis, q1) <= 100.0L * eps<S>() * cond);
  }
  Vec<long double> s = Vec<long double>::LinSpaced(k, 1.0L, 0.5L);
  s.tail(4).setZero();  // exactly rank 12
  const auto made = with_singular_values<S>(rng, n, k, s);
  const auto& a = made.first;  // not a structured binding: clang 14 cannot capture those
  require_throws<subspace::RankDeficient>([&] { subspace::qr_basis(a); }, "linearly dependent");
  const auto res = subspace::svd_basis(a);
  CHECK(res.rank == k - 4);
  CHECK(projector_gap<S>(res.basis, made.second.leftCols(k - 4)) <= 100.0L * eps<S>());
}

TEMPLATE_TEST_CASE("svd_basis: energy rule counts squared singular values", "[basis]", float,
                   double) {
  using S = TestType;
  Rng rng(1005);
  Vec<long double> s(4);
  s << 4, 2, 1, 1;  // energies 16, 4, 1, 1 of 22: cumulative 0.727, 0.909, 0.955, 1
  const auto a = with_singular_values<S>(rng, 10, 6, s).first;
  auto rank_for = [&](double f) { return subspace::svd_basis(a, RankRule::energy(f)).rank; };
  CHECK(rank_for(0.5) == 1);
  CHECK(rank_for(0.72) == 1);
  CHECK(rank_for(0.73) == 2);
  CHECK(rank_for(0.90) == 2);
  CHECK(rank_for(0.92) == 3);
  CHECK(rank_for(0.96) == 4);
  CHECK(rank_for(1.0) == 4);  // never beyond the numerical rank 4 of the 10 x 6 matrix
  CHECK(subspace::svd_basis(Mat<S>::Zero(5, 3), RankRule::energy(0.9)).rank == 0);
}

TEST_CASE("RankRule parameter errors", "[basis][errors]") {
  require_throws<subspace::InvalidParameter>([] { RankRule::energy(0.0); }, "(0, 1]");
  require_throws<subspace::InvalidParameter>([] { RankRule::energy(1.5); }, "1.5");
  require_throws<subspace::InvalidParameter>([] { RankRule::energy(std::nan("")); }, "energy");
  require_throws<subspace::InvalidParameter>([] { RankRule::tolerance(-1.0); }, ">= 0");
  require_throws<subspace::InvalidParameter>([] { RankRule::fixed(-2); }, "-2");
}

TEMPLATE_TEST_CASE("zero and empty matrices give empty bases", "[basis]", float, double) {
  using S = TestType;
  CHECK(subspace::orthonormal_basis(Mat<S>::Zero(6, 3)).cols() == 0);
  CHECK(subspace::orthonormal_basis(Mat<S>::Zero(6, 3)).rows() == 6);
  CHECK(subspace::pivoted_qr_basis(Mat<S>::Zero(6, 3)).cols() == 0);
  CHECK(subspace::svd_basis(Mat<S>(6, 0)).rank == 0);
  Mat<S> bad = Mat<S>::Ones(3, 3);
  bad(0, 0) = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>([&] { subspace::svd_basis(bad); }, "svd_basis");
  require_throws<subspace::NonFiniteInput>([&] { subspace::pivoted_qr_basis(bad); }, "pivoted");
  require_throws<subspace::NonFiniteInput>([&] { subspace::null_space(bad); }, "null_space");
}

TEMPLATE_TEST_CASE("complement: orthonormal, orthogonal to U, fills the space", "[basis]", float,
                   double) {
  using S = TestType;
  const std::uint64_t seed = 1006;
  CAPTURE(seed);
  Rng rng(seed);
  for (auto [n, k] : {std::pair<Index, Index>{5, 2}, {40, 13}, {9, 9}, {9, 1}}) {
    CAPTURE(n, k);
    const Mat<S> u = haar_orthogonal(rng, n).leftCols(k).template cast<S>();
    const Mat<S> c = subspace::complement(u);
    REQUIRE(c.rows() == n);
    REQUIRE(c.cols() == n - k);
    if (n == k) continue;
    CHECK(orthonormality_error(c) <= S(4) * S(n) * eps<S>());
    CHECK((u.transpose() * c).cwiseAbs().maxCoeff() <= S(4) * S(n) * eps<S>());
    Mat<S> full(n, n);
    full << u, c;
    CHECK(orthonormality_error(full) <= S(4) * S(n) * eps<S>());
  }
  Mat<S> notbasis = rng.gaussian<S>(6, 2);
  require_throws<subspace::NotOrthonormal>([&] { subspace::complement(notbasis); }, "U^T U - I");
}

TEMPLATE_TEST_CASE("null_space: A N = 0, orthonormal, dimension n - rank", "[basis]", float,
                   double) {
  using S = TestType;
  const std::uint64_t seed = 1007;
  CAPTURE(seed);
  Rng rng(seed);
  for (auto [m, n, r] : {std::tuple<Index, Index, Index>{4, 7, 4}, {10, 6, 3}, {5, 5, 5}}) {
    CAPTURE(m, n, r);
    const MatL al = rng.gaussian<long double>(m, r) * rng.gaussian<long double>(r, n);
    const Mat<S> a = al.template cast<S>();
    const Mat<S> ns = subspace::null_space(a);
    REQUIRE(ns.rows() == n);
    REQUIRE(ns.cols() == n - r);
    if (ns.cols() == 0) continue;
    CHECK(orthonormality_error(ns) <= S(4) * S(n) * eps<S>());
    CHECK((a * ns).norm() <= S(20) * S(n) * eps<S>() * a.norm());
  }
  CHECK(subspace::null_space(Mat<S>(0, 4)).cols() == 4);
}
