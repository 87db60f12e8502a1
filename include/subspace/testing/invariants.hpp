// SPDX-License-Identifier: MIT
// testing/invariants.hpp: checks any user can run on a manifold point type of this library (or
// their own type with the same members): the identities every point/tangent implementation must
// satisfy. Used by subspace's own tests.
//
//   std::mt19937_64 rng(7);
//   auto x = subspace::Grassmannd::random(50, 4, rng);
//   auto report = subspace::testing::check_invariants(x, rng);
//   if (!report.ok()) std::cerr << report.summary();
//
// Requirements on Point: basis(), ambient_dim(), dim(), project(G), random_tangent(rng),
// inner(a, b), retract(D, Retraction), transport(xi, y); optionally exp(D) and log(y), which
// are then checked too.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../detail/checks.hpp"
#include "../grassmann.hpp"

namespace subspace::testing {

/// \addtogroup testing
/// @{

/// One named check: the error measured and the bound it was held to.
struct Check {
  /// What was checked, e.g. "orthonormality".
  std::string name;
  /// The error measured.
  double error;
  /// The largest error accepted.
  double bound;
  /// error <= bound (false for a NaN error).
  bool passed() const { return error <= bound; }
};

/// The outcome of check_invariants: every check, and whether all passed.
struct InvariantReport {
  /// Every check run, in order.
  std::vector<Check> checks;
  /// Whether at least one check ran and all passed.
  bool ok() const {
    for (const auto& c : checks)
      if (!c.passed()) return false;
    return !checks.empty();
  }
  /// One line per check: "ok" or "FAIL", the name, the error and the bound.
  std::string summary() const {
    std::ostringstream os;
    for (const auto& c : checks)
      os << (c.passed() ? "  ok   " : "  FAIL ") << c.name << ": " << c.error << " (bound "
         << c.bound << ")\n";
    return os.str();
  }
};

namespace detail {
template <class P, class = void>
struct has_exp_log : std::false_type {};
template <class P>
struct has_exp_log<P, std::void_t<decltype(std::declval<const P&>().exp(
                                      std::declval<const typename P::Tangent&>())),
                                  decltype(std::declval<const P&>().log(std::declval<const P&>()))>>
    : std::true_type {};
template <class P, class = void>
struct is_product : std::false_type {};
template <class P>
struct is_product<P, std::void_t<decltype(std::declval<const P&>().count()),
                                 decltype(std::declval<const P&>().block(Index{0}))>>
    : std::true_type {};
/// How far a point's basis is from its invariant: U^T U = I for a single point; the largest
/// such error over the blocks of a product point (blocks are orthonormal one by one, not jointly).
template <class P, class M>
double point_orthonormality(const P& x, const M& u) {
  if constexpr (is_product<P>::value) {
    const Index k = x.basis().cols() / std::max<Index>(x.count(), 1);
    double worst = 0;
    for (Index c = 0; c < x.count(); ++c)
      worst = std::max(worst, static_cast<double>(
                                  subspace::detail::orthonormality_error(u.middleCols(c * k, k))));
    return worst;
  } else {
    return static_cast<double>(subspace::detail::orthonormality_error(u));
  }
}
/// The distance as one number: product manifolds return one distance per component.
template <class T>
double total(const T& d) {
  if constexpr (std::is_arithmetic<T>::value)
    return static_cast<double>(d);
  else
    return static_cast<double>(d.norm());
}
}  // namespace detail

/// Checks at the point x, with random tangents from rng (tangent norm `scale`, < pi/2 so log
/// is defined): orthonormal basis; project is idempotent and lands in the tangent space;
/// retract(0) = x; every retraction keeps the basis orthonormal and agrees with the first one to
/// first order (error O(|t D|^2)); transport lands in the tangent space; and, where the type has
/// them, exp(0) = x, log(x) = 0, log(exp(D)) = D, distance(x, exp(D)) = |D|. Bounds are
/// `slack` (default 100) times eps times sqrt(n k) (order-of-magnitude, not tight).
template <class Point, class Rng>
InvariantReport check_invariants(const Point& x, Rng& rng,
                                 std::vector<Retraction> retractions = {Retraction::QR,
                                                                        Retraction::Polar},
                                 double scale = 0.5, double slack = 100) {
  using Scalar = typename Point::Scalar;
  using Tangent = typename Point::Tangent;
  InvariantReport rep;
  const double eps = static_cast<double>(Tolerance<Scalar>::epsilon());
  const Index n = x.basis().rows(), k = x.basis().cols();
  const double tol = slack * eps * std::sqrt(static_cast<double>(n * k));
  auto add = [&](std::string name, double err, double bound) {
    rep.checks.push_back({std::move(name), err, bound});
  };
  auto orth = [&x](const auto& u) { return detail::point_orthonormality(x, u); };

  add("basis orthonormal", orth(x.basis()), tol);
  Tangent d = x.random_tangent(rng);
  d *= Scalar(scale) / d.norm();
  const Tangent pd = x.project(d);
  add("project idempotent", static_cast<double>((pd - d).norm()), tol);
  Tangent g(n, k);
  subspace::detail::fill_gaussian(g, rng);
  const Tangent pg = x.project(g);
  add("project lands in tangent space",
      static_cast<double>((x.project(pg) - pg).norm() / std::max<Scalar>(pg.norm(), Scalar(1))),
      tol);
  add("project is orthogonal (<G - PG, PG> = 0)",
      static_cast<double>(std::abs(x.inner(g - pg, pg)) /
                          std::max<Scalar>(g.squaredNorm(), Scalar(1))),
      tol);

  const Tangent zero = Tangent::Zero(n, k);
  const Scalar t = Scalar(1e-3);
  const Point first = x.retract(t * d, retractions.front());
  for (Retraction r : retractions) {
    const std::string name = "retraction " + std::to_string(static_cast<int>(r));
    add(name + " at 0 is the identity",
        static_cast<double>((x.retract(zero, r).basis() - x.basis()).norm()), tol);
    const Point y = x.retract(d, r);
    add(name + " keeps the basis orthonormal", orth(y.basis()), tol);
    const Point yt = x.retract(t * d, r);
    // compare subspaces (representatives may differ): |P_1 - P_2| via projection residual
    const auto& a = yt.basis();
    const auto& b = first.basis();
    double gap = 0;
    if constexpr (detail::is_product<Point>::value) {
      const Index kc = k / std::max<Index>(x.count(), 1);
      for (Index c = 0; c < x.count(); ++c) {
        const auto ac = a.middleCols(c * kc, kc);
        const auto bc = b.middleCols(c * kc, kc);
        gap = std::max(gap, static_cast<double>((ac - bc * (bc.transpose() * ac)).norm()));
      }
    } else {
      gap = static_cast<double>((a - b * (b.transpose() * a)).norm());
    }
    add(name + " agrees with the first to first order", gap,
        10.0 * static_cast<double>(t * t) * scale * scale + tol);
    const Tangent moved = x.transport(d, y);
    add(name + ": transport lands in the tangent space",
        static_cast<double>((y.project(moved) - moved).norm()), tol);
  }
  if constexpr (detail::has_exp_log<Point>::value) {
    add("exp(0) = x", static_cast<double>((x.exp(zero).basis() - x.basis()).norm()), tol);
    add("log(x) = 0", static_cast<double>(x.log(x).norm()), tol);
    const Point y = x.exp(d);
    add("exp keeps the basis orthonormal", orth(y.basis()), tol);
    add("log(exp(D)) = D", static_cast<double>((x.log(y) - d).norm()), tol);
    add("distance(x, exp(D)) = |D|",
        std::abs(detail::total(x.distance(y)) - static_cast<double>(d.norm())), tol);
    add("distance symmetric", std::abs(detail::total(x.distance(y)) - detail::total(y.distance(x))),
        tol);
  }
  return rep;
}

/// @}
}  // namespace subspace::testing
