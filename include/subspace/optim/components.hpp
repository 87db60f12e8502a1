// SPDX-License-Identifier: MIT
// optim/components.hpp: how the optimisers see a point made of several components (a product
// manifold) or of one: per-component squared norms and scaling.
#pragma once

#include <Eigen/Core>
#include <type_traits>
#include <utility>

namespace subspace::detail {

template <class P, class = void>
struct is_product : std::false_type {};
template <class P>
struct is_product<P, std::void_t<decltype(std::declval<const P&>().component_sq_norms(
                         std::declval<const typename P::Tangent&>()))>> : std::true_type {};

/// One scalar per component: a fixed 1-vector for a single point (so optimisers on fixed-size
/// points never allocate), a dynamic vector for a product.
template <class Point>
using component_vector_t =
    Eigen::Matrix<typename Point::Scalar, is_product<Point>::value ? Eigen::Dynamic : 1, 1>;

/// |D_c|^2 per component (one value for a single point).
template <class Point, class D>
component_vector_t<Point> component_sq_norms(const Point& x, const Eigen::MatrixBase<D>& d) {
  if constexpr (is_product<Point>::value) {
    return x.component_sq_norms(d);
  } else {
    component_vector_t<Point> v;
    v(0) = d.squaredNorm();
    return v;
  }
}

/// Zeroes a fixed-size matrix (whose default constructor leaves it uninitialized); a dynamic one
/// is left empty.
template <class Mat>
void zero_if_fixed(Mat& m) {
  if constexpr (Mat::SizeAtCompileTime != Eigen::Dynamic) m.setZero();
}

/// D_c *= f_c per component.
template <class Point, class D, class V>
void scale_components(const Point& x, Eigen::MatrixBase<D>& d, const V& f) {
  if constexpr (is_product<Point>::value)
    x.scale_components(d, f);
  else
    d *= f(0);
}

}  // namespace subspace::detail
