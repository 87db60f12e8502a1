// SPDX-License-Identifier: MIT
// grassmann_product.hpp: many points of Gr(k, n) held side by side in one n x (C k) matrix
// (the product manifold Gr(k, n)^C), the layout of a GCR head with C class subspaces: the
// projections of a batch onto all C subspaces are one GEMM with this matrix.
#pragma once

#include <Eigen/Core>
#include <random>
#include <vector>

#include "grassmann.hpp"

namespace subspace {

/// \addtogroup manifolds
/// @{

/// C points of Gr(k, n) stored as the column blocks [U_1 ... U_C] of one n x (C k) matrix.
/// Tangent vectors are n x (C k) matrices [D_1 ... D_C], D_c tangent at U_c. The metric is the
/// sum of the components' canonical metrics, so distance() returns the C component distances
/// and their root-sum-square is the product distance.
///
/// Invariant: every block is orthonormal to within Tolerance<Scalar>::orthonormality(n).
/// `project` and the QR / Polar retractions work block by block in place, with one workspace
/// per call (not per block); exp, log and distance go through Grassmann<Scalar> per block.
template <class Scalar_>
class GrassmannProduct : public detail::EmbeddedMetric<GrassmannProduct<Scalar_>> {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// The n x (C k) matrix [U_1 ... U_C] of the C orthonormal blocks.
  using Basis = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  /// An n x (C k) tangent vector [D_1 ... D_C], U_c^T D_c = 0.
  using Tangent = Basis;
  /// One value per component (distance(), component_sq_norms()), length C.
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  /// One component, a point of Gr(k, n).
  using Point = Grassmann<Scalar>;

  GrassmannProduct() = default;

  /// Orthonormalizes each n x k block of A (n x (C k)) by `qr_basis`; throws DimensionMismatch
  /// when k does not divide the columns, and what qr_basis throws.
  template <class Derived>
  GrassmannProduct(const Eigen::MatrixBase<Derived>& a, Index k) : u_(a), k_(k) {
    check_layout("subspace::GrassmannProduct", u_.rows(), u_.cols(), k);
    for (Index c = 0; c < count(); ++c)
      u_.middleCols(c * k_, k_) = qr_basis(u_.middleCols(c * k_, k_));
  }

  /// Keeps the blocks as given, each checked to be orthonormal (O(C n k^2)).
  template <class Derived>
  static GrassmannProduct from_orthonormal(const Eigen::MatrixBase<Derived>& u, Index k) {
    check_layout("subspace::GrassmannProduct::from_orthonormal", u.rows(), u.cols(), k);
    GrassmannProduct x;
    x.u_ = u;  // one evaluation of an expression argument
    x.k_ = k;
    for (Index c = 0; c < x.count(); ++c)
      detail::require_basis(x.block(c), "subspace::GrassmannProduct::from_orthonormal", "block");
    return x;
  }

  /// C independent Haar-random points.
  template <class Rng>
  static GrassmannProduct random(Index n, Index k, Index count, Rng& rng);

  /// The n x (C k) matrix of all blocks, block c in columns [c k, (c + 1) k).
  const Basis& basis() const { return u_; }
  /// n, the dimension of the ambient space.
  Index ambient_dim() const { return u_.rows(); }
  /// k, the dimension of each subspace.
  Index dim() const { return k_; }
  /// C, the number of points.
  Index count() const { return k_ == 0 ? 0 : u_.cols() / k_; }
  /// The n x k basis of point c (a view into basis()). Throws DimensionMismatch unless
  /// 0 <= c < C.
  auto block(Index c) const {
    check_component(c, "subspace::GrassmannProduct::block");
    return u_.middleCols(c * k_, k_);
  }
  /// Point c as a Grassmann point (a copy).
  Point component(Index c) const { return Point::from_orthonormal(block(c)); }

  /// Blockwise tangent projection D_c = G_c - U_c (U_c^T G_c). Cost 4 C n k^2, one k x k
  /// workspace.
  template <class Derived>
  Tangent project(const Eigen::MatrixBase<Derived>& g_arg) const;

  // random_tangent(rng), inner(D1, D2) = sum_c tr(D1_c^T D2_c) and norm(D) come from
  // detail::EmbeddedMetric.

  /// |D_c|^2 for every component (C values): what Riemannian Adam keeps per point.
  template <class D>
  Vector component_sq_norms(const Eigen::MatrixBase<D>& a_arg) const {
    const auto& a = detail::evaluated(a_arg);
    check_tangent(a, "subspace::GrassmannProduct::component_sq_norms");
    Vector out(count());
    for (Index c = 0; c < count(); ++c) out(c) = a.middleCols(c * k_, k_).squaredNorm();
    return out;
  }
  /// D_c *= f_c for every component. Throws DimensionMismatch unless D has the point's shape
  /// and f has C entries.
  template <class D, class V>
  void scale_components(Eigen::MatrixBase<D>& a, const Eigen::MatrixBase<V>& f) const {
    check_tangent(a, "subspace::GrassmannProduct::scale_components");
    if (f.size() != count())
      throw DimensionMismatch(detail::message("subspace::GrassmannProduct::scale_components: need ",
                                              count(), " factors, got ", f.size()));
    for (Index c = 0; c < count(); ++c) a.middleCols(c * k_, k_) *= f(c);
  }

  /// Blockwise retraction (see Grassmann::retract). QR and Polar run in place in one output
  /// matrix; Exp goes through Grassmann::exp per block.
  template <class Derived>
  GrassmannProduct retract(const Eigen::MatrixBase<Derived>& d_arg,
                           Retraction kind = Retraction::QR) const;

  /// Blockwise exponential map.
  template <class Derived>
  GrassmannProduct exp(const Eigen::MatrixBase<Derived>& d_arg) const;

  /// Blockwise logarithm (see Grassmann::log).
  Tangent log(const GrassmannProduct& y) const;

  /// The C component distances; the product distance is their Euclidean norm.
  Vector distance(const GrassmannProduct& y) const;

  /// Projection transport to Y, blockwise.
  template <class Derived>
  Tangent transport(const Eigen::MatrixBase<Derived>& xi_arg, const GrassmannProduct& y) const;

 private:
  void check_component(Index c, const char* func) const {
    if (c < 0 || c >= count())
      throw DimensionMismatch(
          detail::message(func, ": component ", c, " outside [0, ", count(), ")"));
  }
  static void check_layout(const char* func, Index n, Index cols, Index k) {
    if (k < 1 || k > n || cols == 0 || cols % k != 0)
      throw DimensionMismatch(detail::message(func, ": need n x (C k) with 1 <= k <= n, got ",
                                              detail::shape(n, cols), " and k = ", k));
  }
  template <class Derived>
  void check_tangent(const Eigen::MatrixBase<Derived>& g, const char* func) const {
    if constexpr (detail::input_checks) {
      if (g.rows() != u_.rows() || g.cols() != u_.cols())
        throw DimensionMismatch(
            detail::message(func, ": the point is ", detail::shape(u_.rows(), u_.cols()),
                            ", the matrix is ", detail::shape(g.rows(), g.cols())));
    }
  }
  void check_same(const GrassmannProduct& y, const char* func) const {
    if (y.u_.rows() != u_.rows() || y.u_.cols() != u_.cols() || y.k_ != k_)
      throw DimensionMismatch(detail::message(
          func, ": products of different shapes: ", detail::shape(u_.rows(), u_.cols()),
          " (k = ", k_, ") and ", detail::shape(y.u_.rows(), y.u_.cols()), " (k = ", y.k_, ")"));
  }
  Basis u_;
  Index k_ = 0;
};

// ---- GrassmannProduct: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_>
template <class Rng>
auto GrassmannProduct<Scalar_>::random(Index n, Index k, Index count, Rng& rng)
    -> GrassmannProduct {
  if (count < 1)
    throw DimensionMismatch(
        detail::message("subspace::GrassmannProduct::random: count must be >= 1, got ", count));
  GrassmannProduct x;
  x.u_.resize(n, k * count);
  x.k_ = k;
  for (Index c = 0; c < count; ++c) x.u_.middleCols(c * k, k) = Point::random(n, k, rng).basis();
  return x;
}

template <class Scalar_>
template <class Derived>
auto GrassmannProduct<Scalar_>::project(const Eigen::MatrixBase<Derived>& g_arg) const -> Tangent {
  const auto& g = detail::evaluated(g_arg);
  check_tangent(g, "subspace::GrassmannProduct::project");
  detail::require_finite(g, "subspace::GrassmannProduct::project", "G");
  Tangent d = g;
  Basis w(k_, k_);
  for (Index c = 0; c < count(); ++c) {
    w.noalias() = block(c).transpose() * g.middleCols(c * k_, k_);
    d.middleCols(c * k_, k_).noalias() -= block(c) * w;
  }
  return d;
}

template <class Scalar_>
template <class Derived>
auto GrassmannProduct<Scalar_>::retract(const Eigen::MatrixBase<Derived>& d_arg,
                                        Retraction kind) const -> GrassmannProduct {
  const auto& d = detail::evaluated(d_arg);
  constexpr const char* func = "subspace::GrassmannProduct::retract";
  check_tangent(d, func);
  detail::require_finite(d, func, "D");
  detail::require_enum(kind, Retraction::QR, Retraction::Cayley, func, "kind");
  GrassmannProduct out;
  out.k_ = k_;
  out.u_ = u_ + d;
  if (kind == Retraction::Cayley)
    throw InvalidParameter(detail::message(func, ": the Cayley retraction is for Stiefel"));
  const Index n = u_.rows();
  if (kind == Retraction::Exp) {
    for (Index c = 0; c < count(); ++c)
      out.u_.middleCols(c * k_, k_) =
          Point::from_unchecked(block(c)).exp(d.middleCols(c * k_, k_)).basis();
  } else if (kind == Retraction::QR) {
    detail::QrOrthonormalizer<Basis> qf(n, k_);  // one workspace for all blocks
    for (Index c = 0; c < count(); ++c) {
      auto b = out.u_.middleCols(c * k_, k_);
      qf(b, b);  // in place: the QR copies its input first
    }
  } else {
    detail::PolarOrthonormalizer<Basis> polar(k_);
    Basis a(n, k_);
    for (Index c = 0; c < count(); ++c) {
      a = out.u_.middleCols(c * k_, k_);
      polar(a, out.u_.middleCols(c * k_, k_));
    }
  }
  return out;
}

template <class Scalar_>
template <class Derived>
auto GrassmannProduct<Scalar_>::exp(const Eigen::MatrixBase<Derived>& d_arg) const
    -> GrassmannProduct {
  const auto& d = detail::evaluated(d_arg);
  return retract(d, Retraction::Exp);
}

template <class Scalar_>
auto GrassmannProduct<Scalar_>::log(const GrassmannProduct& y) const -> Tangent {
  check_same(y, "subspace::GrassmannProduct::log");
  Tangent d(u_.rows(), u_.cols());
  for (Index c = 0; c < count(); ++c)
    d.middleCols(c * k_, k_) =
        Point::from_unchecked(block(c)).log(Point::from_unchecked(y.block(c)));
  return d;
}

template <class Scalar_>
auto GrassmannProduct<Scalar_>::distance(const GrassmannProduct& y) const -> Vector {
  check_same(y, "subspace::GrassmannProduct::distance");
  Vector out(count());
  for (Index c = 0; c < count(); ++c)
    out(c) = Point::from_unchecked(block(c)).distance(Point::from_unchecked(y.block(c)));
  return out;
}

template <class Scalar_>
template <class Derived>
auto GrassmannProduct<Scalar_>::transport(const Eigen::MatrixBase<Derived>& xi_arg,
                                          const GrassmannProduct& y) const -> Tangent {
  const auto& xi = detail::evaluated(xi_arg);
  check_same(y, "subspace::GrassmannProduct::transport");
  return y.project(xi);
}
/// \endcond

/// C points of Gr(k, n) in double precision.
using GrassmannProductd = GrassmannProduct<double>;
/// C points of Gr(k, n) in single precision.
using GrassmannProductf = GrassmannProduct<float>;

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_GRASSMANN_PRODUCT_TEMPLATES(P, S)                                              \
  P subspace::GrassmannProduct<S> subspace::GrassmannProduct<S>::random(                        \
      subspace::Index, subspace::Index, subspace::Index, std::mt19937_64&);                     \
  P class subspace::GrassmannProduct<S>;                                                        \
  P subspace::GrassmannProduct<S> subspace::GrassmannProduct<S>::from_orthonormal(              \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, subspace::Index);                             \
  P SUBSPACE_MATX(S)                                                                            \
      subspace::GrassmannProduct<S>::project(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) const; \
  P subspace::GrassmannProduct<S> subspace::GrassmannProduct<S>::exp(                           \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) const;                                        \
  P subspace::GrassmannProduct<S> subspace::GrassmannProduct<S>::retract(                       \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, subspace::Retraction) const;                  \
  P SUBSPACE_MATX(S) subspace::GrassmannProduct<S>::transport(                                  \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, const subspace::GrassmannProduct<S>&) const;
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_GRASSMANN_PRODUCT_TEMPLATES(extern template, double)
SUBSPACE_GRASSMANN_PRODUCT_TEMPLATES(extern template, float)
#endif
