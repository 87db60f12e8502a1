// SPDX-License-Identifier: MIT
// projection.hpp: orthogonal projection onto span(U) and its residual, for one vector or a
// batch of columns, without ever forming the n x n projector U U^T.
//
// U is an orthonormal n x k basis; X is n x m (m vectors as columns, m = 1 for a vector).
// Costs: coordinates 2 n k m flops (one GEMM), project and residual 4 n k m (two GEMMs).
// Accuracy: residual r = X - U (U^T X) has |U^T r| <= c k eps |x| per column (one pass of
// classical Gram-Schmidt). When x lies almost in span(U) and r must be orthogonal to U
// relative to |r| itself, apply `residual` twice ("twice is enough", Giraud et al. 2005).
#pragma once

#include <Eigen/Core>

#include "config.hpp"
#include "detail/checks.hpp"
#include "traits.hpp"

namespace subspace {

/// \addtogroup basics
/// @{

namespace detail {
template <class DU, class DX>
void check_projection_args(const Eigen::MatrixBase<DU>& u, const Eigen::MatrixBase<DX>& x,
                           const char* func) {
  require_basis_cheap(u, func, "U");
  require_same_rows(u, "U", x, "X", func);
  require_finite(x, func, "X");
}

template <class DU, class DX>
using CoordinatesType =
    Eigen::Matrix<typename DU::Scalar, DU::ColsAtCompileTime, DX::ColsAtCompileTime, 0,
                  DU::MaxColsAtCompileTime, DX::MaxColsAtCompileTime>;
template <class DU, class DX>
using ProjectionType =
    Eigen::Matrix<typename DU::Scalar, DX::RowsAtCompileTime, DX::ColsAtCompileTime, 0,
                  DX::MaxRowsAtCompileTime, DX::MaxColsAtCompileTime>;
}  // namespace detail

/// Coordinates C = U^T X (k x m) of the columns of X in the orthonormal basis U (n x k).
/// Throws DimensionMismatch, NonFiniteInput (NotOrthonormal in debug builds).
template <class DU, class DX>
detail::CoordinatesType<DU, DX> coordinates(const Eigen::MatrixBase<DU>& u_arg,
                                            const Eigen::MatrixBase<DX>& x_arg) {
  const auto& u = detail::evaluated(u_arg);
  const auto& x = detail::evaluated(x_arg);
  detail::check_projection_args(u, x, "subspace::coordinates");
  detail::CoordinatesType<DU, DX> c(u.cols(), x.cols());
  c.noalias() = u.transpose() * x;
  return c;
}

/// Orthogonal projection U (U^T X) of the columns of X (n x m) onto span(U). Same checks as
/// `coordinates`.
template <class DU, class DX>
detail::ProjectionType<DU, DX> project(const Eigen::MatrixBase<DU>& u_arg,
                                       const Eigen::MatrixBase<DX>& x_arg) {
  const auto& u = detail::evaluated(u_arg);
  const auto& x = detail::evaluated(x_arg);
  detail::check_projection_args(u, x, "subspace::project");
  detail::CoordinatesType<DU, DX> c(u.cols(), x.cols());
  c.noalias() = u.transpose() * x;
  detail::ProjectionType<DU, DX> p(x.rows(), x.cols());
  p.noalias() = u * c;
  return p;
}

/// Residual X - U (U^T X) (n x m): the component of each column orthogonal to span(U).
/// Same checks as `coordinates`.
template <class DU, class DX>
detail::ProjectionType<DU, DX> residual(const Eigen::MatrixBase<DU>& u_arg,
                                        const Eigen::MatrixBase<DX>& x_arg) {
  const auto& u = detail::evaluated(u_arg);
  const auto& x = detail::evaluated(x_arg);
  detail::check_projection_args(u, x, "subspace::residual");
  detail::CoordinatesType<DU, DX> c(u.cols(), x.cols());
  c.noalias() = u.transpose() * x;
  detail::ProjectionType<DU, DX> r = x;
  r.noalias() -= u * c;
  return r;
}

/// Euclidean norms |x_j - U U^T x_j| of the residual of every column of X (a vector of m).
/// Computed from the explicit residual, in column blocks of 256 (memory O(n * 256)), so a
/// small residual keeps its relative accuracy; the shortcut sqrt(|x|^2 - |U^T x|^2) would lose
/// all digits when x is close to span(U). Cost 4 n k m flops. Same checks as `coordinates`.
template <class DU, class DX>
Eigen::Matrix<typename DU::Scalar, DX::ColsAtCompileTime, 1, 0, DX::MaxColsAtCompileTime, 1>
residual_norms(const Eigen::MatrixBase<DU>& u_arg, const Eigen::MatrixBase<DX>& x_arg) {
  const auto& u = detail::evaluated(u_arg);
  const auto& x = detail::evaluated(x_arg);
  using Scalar = typename DU::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  detail::check_projection_args(u, x, "subspace::residual_norms");
  Eigen::Matrix<Scalar, DX::ColsAtCompileTime, 1, 0, DX::MaxColsAtCompileTime, 1> out(x.cols());
  constexpr Index block = 256;
  if (x.cols() <= block) {
    detail::ProjectionType<DU, DX> r = x;
    detail::CoordinatesType<DU, DX> c(u.cols(), x.cols());
    c.noalias() = u.transpose() * x;
    r.noalias() -= u * c;
    for (Index j = 0; j < x.cols(); ++j) out(j) = detail::safe_norm(r.col(j));
    return out;
  }
  Mat c(u.cols(), block), r(x.rows(), block);
  for (Index j0 = 0; j0 < x.cols(); j0 += block) {
    const Index b = std::min(block, x.cols() - j0);
    c.leftCols(b).noalias() = u.transpose() * x.middleCols(j0, b);
    r.leftCols(b) = x.middleCols(j0, b);
    r.leftCols(b).noalias() -= u * c.leftCols(b);
    for (Index j = 0; j < b; ++j) out(j0 + j) = detail::safe_norm(r.col(j));
  }
  return out;
}

/// A projector onto span(U) kept for repeated use: holds a copy of the orthonormal basis
/// (checked once at construction, O(n k^2)) and a coordinate buffer, so that per-call checks
/// are the O(n m) shape and finiteness checks of X only, and the `*_into` calls on single
/// vectors do not allocate.
///
/// Invariant: basis() is orthonormal to within Tolerance<Scalar>::orthonormality(n).
template <class Scalar_, int N = Eigen::Dynamic, int K = Eigen::Dynamic>
class Projector {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// The n x k orthonormal basis U.
  using Basis = Eigen::Matrix<Scalar, N, K>;
  /// A vector of R^n (the single-vector `*_into` calls).
  using Vector = Eigen::Matrix<Scalar, N, 1>;
  /// The k coordinates U^T x of one vector.
  using Coords = Eigen::Matrix<Scalar, K, 1>;
  /// A dynamic matrix: the results of the batch calls (k x m or n x m).
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// Checks, then copies U (n x k, orthonormal; n == N and k == K for fixed sizes). Throws
  /// as `require_basis`, and DimensionMismatch for a shape the fixed sizes cannot hold.
  template <class Derived>
  explicit Projector(const Eigen::MatrixBase<Derived>& u_arg) {
    const auto& u = detail::evaluated(u_arg);
    detail::require_fixed_shape<Basis>(u, "subspace::Projector", "U");
    detail::require_basis(u, "subspace::Projector", "U");
    u_ = u;
    c_.resize(u.cols());
  }

  /// The basis U (a copy of the one given, checked at construction).
  const Basis& basis() const { return u_; }
  /// n, the dimension of the ambient space.
  Index ambient_dim() const { return u_.rows(); }
  /// k, the dimension of the subspace.
  Index dim() const { return u_.cols(); }

  /// U^T X (k x m).
  template <class DX>
  Matrix coordinates(const Eigen::MatrixBase<DX>& x_arg) const {
    const auto& x = detail::evaluated(x_arg);
    check(x, "subspace::Projector::coordinates");
    return u_.transpose() * x;
  }
  /// U U^T X (n x m).
  template <class DX>
  Matrix project(const Eigen::MatrixBase<DX>& x_arg) const {
    const auto& x = detail::evaluated(x_arg);
    check(x, "subspace::Projector::project");
    Matrix c = u_.transpose() * x;
    return u_ * c;
  }
  /// X - U U^T X (n x m).
  template <class DX>
  Matrix residual(const Eigen::MatrixBase<DX>& x_arg) const {
    const auto& x = detail::evaluated(x_arg);
    check(x, "subspace::Projector::residual");
    Matrix c = u_.transpose() * x;
    Matrix r = x;
    r.noalias() -= u_ * c;
    return r;
  }
  /// |x_j - U U^T x_j| for every column (see the free `residual_norms`).
  template <class DX>
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> residual_norms(
      const Eigen::MatrixBase<DX>& x_arg) const {
    const auto& x = detail::evaluated(x_arg);
    check(x, "subspace::Projector::residual_norms");
    return subspace::residual_norms(u_, x);
  }
  /// out = U U^T x for one vector x (n), without allocating.
  template <class DX, class DOut>
  void project_into(const Eigen::MatrixBase<DX>& x_arg, Eigen::MatrixBase<DOut>& out) {
    const auto& x = detail::evaluated(x_arg);
    check_vector(x, out, "subspace::Projector::project_into");
    c_.noalias() = u_.transpose() * x;
    out.noalias() = u_ * c_;
  }
  /// out = x - U U^T x for one vector x (n), without allocating. `out` may not alias `x`.
  template <class DX, class DOut>
  void residual_into(const Eigen::MatrixBase<DX>& x_arg, Eigen::MatrixBase<DOut>& out) {
    const auto& x = detail::evaluated(x_arg);
    check_vector(x, out, "subspace::Projector::residual_into");
    c_.noalias() = u_.transpose() * x;
    out = x;
    out.noalias() -= u_ * c_;
  }

 private:
  template <class DX>
  void check(const Eigen::MatrixBase<DX>& x, const char* func) const {
    detail::require_same_rows(u_, "U", x, "X", func);
    detail::require_finite(x, func, "X");
  }
  template <class DX, class DOut>
  void check_vector(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DOut>& out,
                    const char* func) const {
    check(x, func);
    if constexpr (detail::input_checks) {
      if (x.cols() != 1 || out.rows() != x.rows() || out.cols() != 1)
        throw DimensionMismatch(detail::message(
            func, ": x must be a vector of ", u_.rows(), " and out the same, got x ",
            detail::shape(x.rows(), x.cols()), " and out ", detail::shape(out.rows(), out.cols())));
    }
  }
  Basis u_;
  Coords c_;
};

/// A Projector of dynamic size in double precision.
using Projectord = Projector<double>;
/// A Projector of dynamic size in single precision.
using Projectorf = Projector<float>;

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_PROJECTION_TEMPLATES(P, S)                                                \
  P SUBSPACE_MATX(S) subspace::coordinates(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,     \
                                           const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);    \
  P SUBSPACE_MATX(S) subspace::project(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,         \
                                       const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);        \
  P SUBSPACE_MATX(S) subspace::residual(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,        \
                                        const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);       \
  P SUBSPACE_VECX(S) subspace::residual_norms(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,  \
                                              const Eigen::MatrixBase<SUBSPACE_MATX(S)>&); \
  P SUBSPACE_VECX(S) subspace::coordinates(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,     \
                                           const Eigen::MatrixBase<SUBSPACE_VECX(S)>&);    \
  P SUBSPACE_VECX(S) subspace::project(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,         \
                                       const Eigen::MatrixBase<SUBSPACE_VECX(S)>&);        \
  P SUBSPACE_VECX(S) subspace::residual(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,        \
                                        const Eigen::MatrixBase<SUBSPACE_VECX(S)>&);
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_PROJECTION_TEMPLATES(extern template, double)
SUBSPACE_PROJECTION_TEMPLATES(extern template, float)
#endif
