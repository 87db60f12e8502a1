// SPDX-License-Identifier: MIT
// detail/embedded_metric.hpp: the members every point type of this library shares because its
// tangent vectors are n x k (or n x Ck) matrices with the metric of the embedding in R^{n x k}.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <random>

#include "../traits.hpp"
#include "checks.hpp"

namespace subspace::detail {

/// Normal random matrix from any URBG, for sampling.
template <class Mat, class Rng>
void fill_gaussian(Mat& m, Rng& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) m(i, j) = static_cast<typename Mat::Scalar>(normal(rng));
}

/// CRTP base: random_tangent, inner and norm for a point type `Derived` with members basis(),
/// project(G) and a `Tangent` type of basis()'s shape. The canonical metric of Grassmann and the
/// embedded metric of Stiefel are both the Frobenius inner product on these representatives.
template <class Derived>
class EmbeddedMetric {
 public:
  /// A random tangent vector: the projection of a standard Gaussian matrix of basis()'s shape
  /// (so, on Grassmann, a standard Gaussian in the tangent space). Cost: one projection.
  template <class Rng>
  auto random_tangent(Rng& rng) const {
    const Derived& self = static_cast<const Derived&>(*this);
    typename Derived::Tangent g(self.basis().rows(), self.basis().cols());
    fill_gaussian(g, rng);
    return self.project(g);
  }

  /// Inner product of two tangent vectors at this point: tr(D1^T D2). Cost 2 n k. Throws
  /// DimensionMismatch unless both have basis()'s shape, NonFiniteInput for NaN/Inf in either
  /// or a sum that overflows.
  template <class D1, class D2>
  auto inner(const Eigen::MatrixBase<D1>& a_arg, const Eigen::MatrixBase<D2>& b_arg) const {
    constexpr const char* func = "subspace::inner";
    const auto& a = detail::evaluated(a_arg);
    const auto& b = detail::evaluated(b_arg);
    check_shape(a, func, "D1");
    check_shape(b, func, "D2");
    detail::require_finite(a, func, "D1");
    detail::require_finite(b, func, "D2");
    const auto s = a.cwiseProduct(b).sum();
    if (!std::isfinite(s)) throw NonFiniteInput(detail::message(func, ": tr(D1^T D2) overflows"));
    return s;
  }

  /// Norm of a tangent vector: sqrt(tr(D^T D)), the Frobenius norm, without overflow or
  /// underflow of the squares (detail::safe_norm). Throws as `inner`.
  template <class D>
  auto norm(const Eigen::MatrixBase<D>& a_arg) const {
    constexpr const char* func = "subspace::norm";
    const auto& a = detail::evaluated(a_arg);
    check_shape(a, func, "D");
    detail::require_finite(a, func, "D");
    const auto s = detail::safe_norm(a);
    if (!std::isfinite(s)) throw NonFiniteInput(detail::message(func, ": the norm overflows"));
    return s;
  }

 protected:
  EmbeddedMetric() = default;

 private:
  template <class D>
  void check_shape(const Eigen::MatrixBase<D>& a, const char* func, const char* name) const {
    const auto& u = static_cast<const Derived&>(*this).basis();
    if (a.rows() != u.rows() || a.cols() != u.cols())
      throw DimensionMismatch(detail::message(func, ": the point is ", shape(u.rows(), u.cols()),
                                              ", ", name, " is ", shape(a.rows(), a.cols())));
  }
};

}  // namespace subspace::detail
