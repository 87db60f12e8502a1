// Tests of projection.hpp: project / residual / coordinates / residual norms, the Projector.
#include <subspace/projection.hpp>

#include "helpers.hpp"

using namespace test;

TEMPLATE_TEST_CASE("projection: idempotent, residual orthogonal, X = P X + R X", "[projection]",
                   float, double) {
  using S = TestType;
  const std::uint64_t seed = 2001;
  CAPTURE(seed);
  Rng rng(seed);
  for (auto [n, k, m] : {std::tuple<Index, Index, Index>{8, 3, 1}, {100, 10, 30}, {64, 64, 5}}) {
    CAPTURE(n, k, m);
    const MatL ql = haar_orthogonal(rng, n).leftCols(k);
    const Mat<S> u = ql.template cast<S>();
    const Mat<S> x = rng.gaussian<S>(n, m);
    const Mat<S> p = subspace::project(u, x);
    const Mat<S> r = subspace::residual(u, x);
    const Mat<S> c = subspace::coordinates(u, x);
    const S tol = S(8) * S(n) * eps<S>() * x.norm();
    CHECK((subspace::project(u, p) - p).norm() <= tol);  // idempotent
    CHECK((u.transpose() * r).norm() <= tol);            // residual orthogonal to span(U)
    CHECK((p + r - x).norm() <= tol);
    CHECK((u * c - p).norm() <= tol);
    // Independent reference: the explicit n x n projector in long double.
    const MatL xl = x.template cast<long double>();
    const MatL pref = ql * ql.transpose() * xl;
    CHECK((p.template cast<long double>() - pref).norm() <= tol);
    const Vec<S> norms = subspace::residual_norms(u, x);
    const Vec<long double> nref = (xl - pref).colwise().norm().transpose();
    CHECK((norms.template cast<long double>() - nref).norm() <= tol);
  }
}

TEMPLATE_TEST_CASE("residual_norms keep relative accuracy near the subspace, over blocks",
                   "[projection]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 2002;
  CAPTURE(seed);
  Rng rng(seed);
  const Index n = 50, k = 5, m = 600;  // m > 256 exercises the blocked path
  const MatL q = haar_orthogonal(rng, n);
  const Mat<S> u = q.leftCols(k).template cast<S>();
  // x = U a + delta w, w orthonormal-complement direction: |residual| = delta exactly.
  const long double delta = std::is_same<S, float>::value ? 1e-2L : 1e-6L;
  MatL xl = q.leftCols(k) * rng.gaussian<long double>(k, m);
  for (Index j = 0; j < m; ++j) xl.col(j) += delta * q.col(k + j % (n - k));
  const Mat<S> x = xl.template cast<S>();
  // the exact residual norms of the rounded x
  const MatL xr = x.template cast<long double>();
  const MatL ql = q.leftCols(k);
  const Vec<long double> ref = (xr - ql * (ql.transpose() * xr)).colwise().norm().transpose();
  const Vec<S> got = subspace::residual_norms(u, x);
  REQUIRE(got.size() == m);
  const long double rel =
      ((got.template cast<long double>() - ref).array() / ref.array()).abs().maxCoeff();
  CHECK(rel <= 1e3L * eps<S>() / delta);
}

TEMPLATE_TEST_CASE("Projector matches the free functions and does not allocate per vector",
                   "[projection]", float, double) {
  using S = TestType;
  Rng rng(2003);
  const Index n = 40, k = 6;
  const Mat<S> u = haar_orthogonal(rng, n).leftCols(k).template cast<S>();
  const Mat<S> x = rng.gaussian<S>(n, 7);
  subspace::Projector<S> proj(u);
  CHECK(proj.dim() == k);
  CHECK(proj.ambient_dim() == n);
  const S tol = S(10) * S(n) * eps<S>() * x.norm();
  CHECK((proj.project(x) - subspace::project(u, x)).norm() <= tol);
  CHECK((proj.residual(x) - subspace::residual(u, x)).norm() <= tol);
  CHECK((proj.coordinates(x) - subspace::coordinates(u, x)).norm() <= tol);
  CHECK((proj.residual_norms(x) - subspace::residual_norms(u, x)).norm() <= tol);
  Vec<S> v = x.col(0), out(n), out2(n);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(false);
#endif
  proj.project_into(v, out);
  proj.residual_into(v, out2);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(true);
#endif
  CHECK((out + out2 - v).norm() <= tol);
  CHECK((out - subspace::project(u, v)).norm() <= tol);
  // Fixed sizes: no heap at all.
  Eigen::Matrix<S, 4, 2> uf = haar_orthogonal(rng, 4).leftCols(2).template cast<S>();
  Eigen::Matrix<S, 4, 1> xf = rng.gaussian<S>(4, 1), pf;
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(false);
#endif
  pf = subspace::project(uf, xf);
  const Eigen::Matrix<S, 4, 1> rf = subspace::residual(uf, xf);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(true);
#endif
  CHECK((pf + rf - xf).norm() <= S(20) * eps<S>() * xf.norm());
}

TEMPLATE_TEST_CASE("projection errors", "[projection][errors]", float, double) {
  using S = TestType;
  Rng rng(2004);
  const Mat<S> u = haar_orthogonal(rng, 6).leftCols(2).template cast<S>();
  const Mat<S> x = rng.gaussian<S>(5, 3);
  require_throws<subspace::DimensionMismatch>([&] { subspace::project(u, x); }, "6x2");
  require_throws<subspace::DimensionMismatch>([&] { subspace::residual(u, x); }, "5x3");
  require_throws<subspace::DimensionMismatch>([&] { subspace::coordinates(u, x); }, "coordinates");
  require_throws<subspace::DimensionMismatch>([&] { subspace::residual_norms(u, x); },
                                              "residual_norms");
  Mat<S> xn = rng.gaussian<S>(6, 3);
  xn(2, 1) = std::numeric_limits<S>::infinity();
  require_throws<subspace::NonFiniteInput>([&] { subspace::project(u, xn); }, "X");
  const Mat<S> notbasis = S(2) * u;
  require_throws<subspace::NotOrthonormal>([&] { subspace::project(notbasis, xn); },
                                           "not an orthonormal basis");
  require_throws<subspace::NotOrthonormal>([&] { subspace::Projector<S> p(notbasis); },
                                           "Projector");
  require_throws<subspace::DimensionMismatch>(
      [&] { subspace::project(Mat<S>(rng.gaussian<S>(2, 3)), Mat<S>(2, 1)); }, "k <= n");
  subspace::Projector<S> p(u);
  Vec<S> out(6);
  require_throws<subspace::DimensionMismatch>([&] { p.project_into(Mat<S>(6, 2), out); }, "vector");
  require_throws<subspace::DimensionMismatch>([&] { p.project(x); }, "Projector::project");
  require_throws<subspace::NonFiniteInput>([&] { p.residual(xn); }, "Projector::residual");
}
