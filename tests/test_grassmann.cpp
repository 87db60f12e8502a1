// Tests of grassmann.hpp: identities of exp/log/retractions/transports on random and
// constructed points (incl. the cut locus), Haar sampling, Karcher means, fixed sizes.
#include <subspace/grassmann.hpp>
#include <subspace/testing/invariants.hpp>

#include "helpers.hpp"

using namespace test;
using subspace::Retraction;

namespace {

template <class G>
G point_from(const Mat<typename G::Scalar>& u) {
  return G::from_orthonormal(u);
}

/// Subspace distance of two bases through the projector difference (test-only).
template <class S>
long double subspace_gap(const Mat<S>& a, const Mat<S>& b) {
  const MatL al = a.template cast<long double>(), bl = b.template cast<long double>();
  return (al * al.transpose() - bl * bl.transpose()).norm();
}
}  // namespace

TEMPLATE_TEST_CASE("Grassmann invariants hold on random points, dynamic sizes", "[grassmann]",
                   float, double) {
  using S = TestType;
  const std::uint64_t seed = 4001;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  for (auto [n, k] : {std::pair<Index, Index>{4, 2}, {64, 4}, {40, 13}, {10, 1}, {9, 8}}) {
    CAPTURE(n, k);
    const auto x = subspace::Grassmann<S>::random(n, k, rng);
    for (double scale : {0.5, 1e-4, 1.4}) {
      const auto rep = subspace::testing::check_invariants(
          x, rng, {Retraction::QR, Retraction::Polar, Retraction::Exp}, scale);
      INFO(rep.summary());
      CHECK(rep.ok());
    }
  }
}

TEMPLATE_TEST_CASE("Grassmann invariants hold on fixed sizes, which do not allocate", "[grassmann]",
                   float, double) {
  using S = TestType;
  using G = subspace::Grassmann<S, 8, 3>;
  std::mt19937_64 rng(4002);
  const G x = G::random(8, 3, rng);
  const auto rep = subspace::testing::check_invariants(
      x, rng, {Retraction::QR, Retraction::Polar, Retraction::Exp});
  INFO(rep.summary());
  CHECK(rep.ok());
  typename G::Tangent d = x.random_tangent(rng), xi = x.random_tangent(rng);
  d *= S(0.7) / d.norm();
  const G y0 = G::random(8, 3, rng);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(false);
#endif
  const G y = x.exp(d);
  const typename G::Tangent back = x.log(y);
  const S dist = x.distance(y0);
  const auto angles = x.principal_angles(y0);
  const G r1 = x.retract(d, Retraction::QR);
  const G r2 = x.retract(d, Retraction::Polar);
  const typename G::Tangent pt = x.parallel_transport(d, xi);
  const typename G::Tangent tr = x.transport(xi, y);
  const typename G::Tangent ir = x.inverse_retract(r1);
#if defined(EIGEN_RUNTIME_NO_MALLOC)
  Eigen::internal::set_is_malloc_allowed(true);
#endif
  CHECK((back - d).norm() <= S(100) * eps<S>());
  CHECK(dist > S(0));
  CHECK(std::abs(Vec<S>(angles).norm() - dist) <= S(100) * eps<S>());
  CHECK(subspace_gap<S>(r1.basis(), r2.basis()) <= S(100) * eps<S>());
  CHECK(std::abs(pt.norm() - xi.norm()) <= S(100) * eps<S>());
  CHECK((y.project(tr) - tr).norm() <= S(100) * eps<S>());
  CHECK((ir - d).norm() <= S(1000) * eps<S>());
}

TEMPLATE_TEST_CASE("log(exp(v)) = v and distance = |v| from 1e-10 to just below pi/2",
                   "[grassmann]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 4003;
  CAPTURE(seed);
  std::mt19937_64 rng(seed);
  const auto x = subspace::Grassmann<S>::random(30, 5, rng);
  const bool is_double = std::is_same<S, double>::value;
  for (long double top : {1e-10L, 1e-6L, 0.1L, 1.0L, 1.5L, 1.57L}) {
    if (!is_double && top < 1e-6L) continue;
    CAPTURE(top);
    auto d = x.random_tangent(rng);
    Eigen::JacobiSVD<Mat<S>> svd(d);
    d *= S(top / svd.singularValues()(0));  // largest singular value = top < pi/2
    const auto y = x.exp(d);
    const S dn = d.norm();
    CHECK((x.log(y) - d).norm() <= S(200) * eps<S>() / S(kPi / 2 - top) + S(50) * eps<S>() * dn);
    // tiny steps: the rounded basis of y pins the subspace to O(eps) absolutely
    CHECK(std::abs(x.distance(y) - dn) <= S(50) * eps<S>() + S(20) * eps<S>() * dn);
    CHECK(std::abs(y.distance(x) - dn) <= S(50) * eps<S>() + S(20) * eps<S>() * dn);
  }
}

TEMPLATE_TEST_CASE("exp against Edelman's closed form in long double, both sides of |D|_2 = 2",
                   "[grassmann]", float, double) {
  // exp takes the Gram-matrix path up to |D|_2 = 2 and the SVD path beyond: both must reach
  // U V cos(S) V^T + W sin(S) V^T for D = W S V^T (W orthonormal, orthogonal to U).
  using S = TestType;
  const std::uint64_t seed = 4010;
  CAPTURE(seed);
  Rng rng(seed);
  using G = subspace::Grassmann<S>;
  const Index n = 11, k = 3;
  const MatL q = haar_orthogonal(rng, n), v = haar_orthogonal(rng, k);
  const MatL u = q.leftCols(k), w = q.middleCols(k, k);
  const G x = G::from_orthonormal(Mat<S>(u.template cast<S>()));
  for (long double top : {1e-9L, 0.3L, 1.999L, 2.001L, 3.0L, 7.5L}) {
    CAPTURE(top);
    const Vec<long double> s = (Vec<long double>(k) << top, top / 2, top * 1e-3L).finished();
    const MatL d = w * s.asDiagonal() * v.transpose();
    const MatL want = u * v * s.array().cos().matrix().asDiagonal() * v.transpose() +
                      w * s.array().sin().matrix().asDiagonal() * v.transpose();
    const G y = x.exp(Mat<S>(d.template cast<S>()));
    CHECK(subspace_gap<S>(y.basis(), Mat<S>(want.template cast<S>())) <=
          50.0L * eps<S>() * (1 + top));
    const Mat<S> gram = y.basis().transpose() * y.basis();
    CHECK((gram - Mat<S>::Identity(k, k)).norm() <= S(20) * eps<S>());
  }
}

TEMPLATE_TEST_CASE("distance: zero for one subspace in two bases, pi/2 sqrt(k) when orthogonal",
                   "[grassmann]", float, double) {
  using S = TestType;
  const std::uint64_t seed = 4004;
  CAPTURE(seed);
  Rng rng(seed);
  using G = subspace::Grassmann<S>;
  const Index n = 20, k = 4;
  const MatL q = haar_orthogonal(rng, n);
  const MatL rot = haar_orthogonal(rng, k);
  const G x = G::from_orthonormal(Mat<S>(q.leftCols(k).template cast<S>()));
  const G same = G::from_orthonormal(Mat<S>((q.leftCols(k) * rot).template cast<S>()));
  const G orth = G::from_orthonormal(Mat<S>(q.middleCols(k, k).template cast<S>()));
  CHECK(x.distance(same) <= S(20) * eps<S>());
  CHECK(x.log(same).norm() <= S(20) * eps<S>());
  CHECK(std::abs(x.distance(orth) - S(kPi / 2 * std::sqrt(4.0L))) <= S(20) * eps<S>());
  CHECK(std::abs(orth.distance(x) - S(kPi / 2 * std::sqrt(4.0L))) <= S(20) * eps<S>());
  // the general constructor orthonormalizes any full-rank matrix of the same span
  const G from_any(Mat<S>(x.basis() * rng.gaussian<S>(k, k)));
  CHECK(x.distance(from_any) <= S(200) * eps<S>());
}

TEMPLATE_TEST_CASE("log at and near the cut locus, against constructed geodesics", "[grassmann]",
                   float, double) {
  using S = TestType;
  const std::uint64_t seed = 4005;
  CAPTURE(seed);
  Rng rng(seed);
  using G = subspace::Grassmann<S>;
  for (const auto& theta :
       {Vec<long double>((Vec<long double>(3) << 0.3L, 1.0L, kPi / 2).finished()),
        Vec<long double>((Vec<long double>(2) << kPi / 2, kPi / 2).finished()),
        Vec<long double>((Vec<long double>(3) << 1e-9L, kPi / 2 - 1e-9L, kPi / 2).finished())}) {
    const Index k = theta.size(), n = 2 * k + 3;
    CAPTURE(theta.transpose());
    auto [u, v] = subspaces_with_angles<S>(rng, n, k, theta);
    const G x = G::from_orthonormal(u), y = G::from_orthonormal(v);
    const auto d = x.log(y);
    const long double want = theta.norm();
    CHECK(std::abs(static_cast<long double>(d.norm()) - want) <= 50.0L * eps<S>());
    CHECK((u.transpose() * d).cwiseAbs().maxCoeff() <= S(20) * eps<S>());  // tangent
    CHECK(subspace_gap<S>(x.exp(d).basis(), v) <= 100.0L * eps<S>());      // reaches Y
    CHECK(std::abs(static_cast<long double>(x.distance(y)) - want) <= 50.0L * eps<S>());
    // singular values of log are the angles
    Vec<S> sv = Eigen::JacobiSVD<Mat<S>>(d).singularValues();
    std::sort(sv.data(), sv.data() + k);
    for (Index i = 0; i < k; ++i) CHECK(std::abs(sv(i) - theta(i)) <= 50.0L * eps<S>());
    require_throws<subspace::OutsideDomain>([&] { x.inverse_retract(y); }, "cut locus");
  }
}

TEMPLATE_TEST_CASE("retractions, inverses and geodesics", "[grassmann]", float, double) {
  using S = TestType;
  std::mt19937_64 rng(4006);
  using G = subspace::Grassmann<S>;
  const G x = G::random(25, 6, rng);
  auto d = x.random_tangent(rng);
  d *= S(0.8) / d.norm();
  for (Retraction r : {Retraction::QR, Retraction::Polar, Retraction::Exp}) {
    const G y = x.retract(d, r);
    CHECK((x.inverse_retract(y, r) - d).norm() <= S(500) * eps<S>());
  }
  // QR and polar give one subspace; polar's basis is the one nearest U + D
  const G yq = x.retract(d, Retraction::QR), yp = x.retract(d, Retraction::Polar);
  CHECK(subspace_gap<S>(yq.basis(), yp.basis()) <= 100.0L * eps<S>());
  const Mat<S> target = x.basis() + d;
  CHECK((yp.basis() - target).norm() <= (yq.basis() - target).norm() + S(10) * eps<S>());
  // geodesic: endpoints, and the point at t is at distance t * dist from x
  const G y = G::random(25, 6, rng);
  const S dist = x.distance(y);
  CHECK(subspace_gap<S>(x.geodesic(y, S(0)).basis(), x.basis()) <= 100.0L * eps<S>());
  CHECK(subspace_gap<S>(x.geodesic(y, S(1)).basis(), y.basis()) <= 1000.0L * eps<S>());
  for (S t : {S(0.25), S(0.5), S(0.9)}) {
    const G m = x.geodesic(y, t);
    CHECK(std::abs(x.distance(m) - t * dist) <= S(1000) * eps<S>());
    CHECK(std::abs(m.distance(y) - (1 - t) * dist) <= S(1000) * eps<S>());
  }
}

TEMPLATE_TEST_CASE("parallel transport: isometry, and it carries the velocity", "[grassmann]",
                   float, double) {
  using S = TestType;
  std::mt19937_64 rng(4007);
  using G = subspace::Grassmann<S>;
  const G x = G::random(20, 4, rng);
  auto d = x.random_tangent(rng);
  d *= S(1.1) / d.norm();
  const auto a = x.random_tangent(rng), b = x.random_tangent(rng);
  const G y = x.exp(d);
  const auto ta = x.parallel_transport(d, a), tb = x.parallel_transport(d, b);
  const S tol = S(200) * eps<S>();
  CHECK((y.project(ta) - ta).norm() <= tol * a.norm());  // tangent at y
  CHECK(std::abs(y.inner(ta, tb) - x.inner(a, b)) <= tol * a.norm() * b.norm());
  CHECK(std::abs(y.norm(ta) - x.norm(a)) <= tol * a.norm());
  // transporting the initial velocity gives the final velocity: -log_y(x)
  const auto td = x.parallel_transport(d, d);
  CHECK((td + y.log(x)).norm() <= S(500) * eps<S>());
  // t = 0 is the identity; the projection transport is tangent too
  CHECK((x.parallel_transport(d, a, S(0)) - a).norm() <= tol * a.norm());
  const auto pa = x.transport(a, y);
  CHECK((y.project(pa) - pa).norm() <= tol * a.norm());
}

TEMPLATE_TEST_CASE("Karcher mean: geodesic midpoint, weights, symmetric clouds", "[grassmann]",
                   float, double) {
  using S = TestType;
  std::mt19937_64 rng(4008);
  using G = subspace::Grassmann<S>;
  const G x = G::random(15, 3, rng), y = G::random(15, 3, rng);
  const auto mid = G::karcher_mean({x, y});
  CHECK(mid.converged);
  CHECK(mid.mean.distance(x.geodesic(y, S(0.5))) <= S(2000) * eps<S>());
  const auto w = G::karcher_mean({x, y}, {S(1), S(3)});
  CHECK(w.mean.distance(x.geodesic(y, S(0.75))) <= S(2000) * eps<S>());
  // points exp_c(+-v_i) around a center c have mean c
  const G c = G::random(15, 3, rng);
  std::vector<G> cloud;
  for (int i = 0; i < 4; ++i) {
    auto v = c.random_tangent(rng);
    v *= S(0.3) / v.norm();
    cloud.push_back(c.exp(v));
    cloud.push_back(c.exp(-v));
  }
  const auto cm = G::karcher_mean(cloud);
  CHECK(cm.converged);
  CHECK(cm.iterations < 50);
  CHECK(cm.mean.distance(c) <= S(2000) * eps<S>());
  require_throws<subspace::InvalidParameter>([] { G::karcher_mean({}); }, "no points");
  require_throws<subspace::InvalidParameter>([&] { G::karcher_mean({x, y}, {S(1)}); }, "weights");
  require_throws<subspace::InvalidParameter>(
      [&] {
        G::karcher_mean({x, y}, {S(1), S(-1)});
      },
      "weight 1");
  require_throws<subspace::InvalidParameter>(
      [&] {
        G::karcher_mean({x, y}, {S(0), S(0)});
      },
      "sum to 0");
}

TEMPLATE_TEST_CASE("exp keeps the basis orthonormal over many steps", "[grassmann]", float,
                   double) {
  using S = TestType;
  std::mt19937_64 rng(4009);
  using G = subspace::Grassmann<S>;
  G x = G::random(32, 4, rng);
  for (int i = 0; i < 5000; ++i) {
    auto v = x.random_tangent(rng);
    x = x.exp(S(0.3) / v.norm() * v);
  }
  CHECK(orthonormality_error<S>(x.basis()) <= S(20) * eps<S>());
}

TEST_CASE("Haar sampling: E[U U^T] = k/n I and unbiased signs", "[grassmann]") {
  std::mt19937_64 rng(4010);
  const int samples = 4000;
  Eigen::MatrixXd mean_p = Eigen::MatrixXd::Zero(5, 5);
  double mean_u00 = 0;
  for (int i = 0; i < samples; ++i) {
    const auto x = subspace::Grassmannd::random(5, 2, rng);
    mean_p += x.basis() * x.basis().transpose();
    mean_u00 += x.basis()(0, 0);
  }
  mean_p /= samples;
  mean_u00 /= samples;
  // standard errors are about 0.3 / sqrt(4000) = 0.005
  CHECK((mean_p - 0.4 * Eigen::MatrixXd::Identity(5, 5)).cwiseAbs().maxCoeff() <= 0.03);
  CHECK(std::abs(mean_u00) <= 0.03);
}

TEMPLATE_TEST_CASE("Grassmann errors", "[grassmann][errors]", float, double) {
  using S = TestType;
  using G = subspace::Grassmann<S>;
  std::mt19937_64 rng(4011);
  const G x = G::random(6, 2, rng), y = G::random(7, 2, rng), z = G::random(6, 3, rng);
  require_throws<subspace::DimensionMismatch>([&] { x.log(y); }, "Gr(2, 6) and Gr(2, 7)");
  require_throws<subspace::DimensionMismatch>([&] { x.distance(z); }, "distance");
  require_throws<subspace::DimensionMismatch>([&] { x.exp(Mat<S>::Zero(6, 3)); }, "6x3");
  require_throws<subspace::DimensionMismatch>([&] { x.project(Mat<S>::Zero(5, 2)); }, "project");
  require_throws<subspace::DimensionMismatch>([&] { G::random(3, 4, rng); }, "k <= n");
  require_throws<subspace::DimensionMismatch>([&] { G::random(3, 0, rng); }, "random");
  require_throws<subspace::NotOrthonormal>([&] { G::from_orthonormal(Mat<S>::Ones(4, 2)); },
                                           "from_orthonormal");
  require_throws<subspace::RankDeficient>([&] { G(Mat<S>::Ones(4, 2)); }, "linearly dependent");
  require_throws<subspace::InvalidParameter>(
      [&] { x.retract(Mat<S>::Zero(6, 2), Retraction::Cayley); }, "Stiefel");
  Mat<S> bad = Mat<S>::Zero(6, 2);
  bad(0, 0) = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>([&] { x.exp(bad); }, "exp");
  require_throws<subspace::NonFiniteInput>([&] { x.retract(bad); }, "retract");
}
