// SPDX-License-Identifier: MIT
// detail/checks.hpp: input validation at the public boundary (see config.hpp for the policy).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <string>

#include "../config.hpp"
#include "../traits.hpp"

namespace subspace::detail {

inline std::string shape(Index rows, Index cols) { return message(rows, "x", cols); }

#if defined(SUBSPACE_NO_INPUT_CHECKS)
inline constexpr bool input_checks = false;
#else
inline constexpr bool input_checks = true;
#endif

/// Throws NonFiniteInput if `a` holds a NaN or an infinity.
template <class Derived>
void require_finite(const Eigen::MatrixBase<Derived>& a, const char* func, const char* name) {
  if constexpr (input_checks) {
    if (!a.allFinite())
      throw NonFiniteInput(
          message(func, ": ", name, " (", shape(a.rows(), a.cols()), ") contains NaN or Inf"));
  }
}

/// Throws DimensionMismatch if `a` has no columns or no rows.
template <class Derived>
void require_nonempty(const Eigen::MatrixBase<Derived>& a, const char* func, const char* name) {
  if constexpr (input_checks) {
    if (a.rows() == 0 || a.cols() == 0)
      throw DimensionMismatch(
          message(func, ": ", name, " must be non-empty, got ", shape(a.rows(), a.cols())));
  }
}

/// Throws DimensionMismatch unless `a` and `b` have the same number of rows.
template <class DA, class DB>
void require_same_rows(const Eigen::MatrixBase<DA>& a, const char* name_a,
                       const Eigen::MatrixBase<DB>& b, const char* name_b, const char* func) {
  if constexpr (input_checks) {
    if (a.rows() != b.rows())
      throw DimensionMismatch(message(func, ": ", name_a, " is ", shape(a.rows(), a.cols()),
                                      " and ", name_b, " is ", shape(b.rows(), b.cols()),
                                      "; their row counts (ambient dimensions) must agree"));
  }
}

/// Max-abs entry of U^T U - I (O(n k^2)).
template <class Derived>
typename Derived::RealScalar orthonormality_error(const Eigen::MatrixBase<Derived>& u) {
  using Scalar = typename Derived::Scalar;
  if (u.cols() == 0) return 0;
  Eigen::Matrix<Scalar, Derived::ColsAtCompileTime, Derived::ColsAtCompileTime, 0,
                Derived::MaxColsAtCompileTime, Derived::MaxColsAtCompileTime>
      g(u.cols(), u.cols());
  g.noalias() = u.adjoint() * u;
  g.diagonal().array() -= Scalar(1);
  return g.cwiseAbs().maxCoeff();
}

/// Checks that `u` is an n x k orthonormal basis with 1 <= k <= n and finite entries.
/// Throws DimensionMismatch, NonFiniteInput or NotOrthonormal. Cost O(n k^2).
template <class Derived>
void require_basis(const Eigen::MatrixBase<Derived>& u, const char* func, const char* name) {
  if constexpr (input_checks) {
    using Real = typename Derived::RealScalar;
    require_nonempty(u, func, name);
    if (u.cols() > u.rows())
      throw DimensionMismatch(message(func, ": ", name, " is ", shape(u.rows(), u.cols()),
                                      "; an orthonormal basis needs k <= n"));
    require_finite(u, func, name);
    const Real err = orthonormality_error(u);
    const Real tol = Tolerance<Real>::orthonormality(u.rows());
    if (!(err <= tol))
      throw NotOrthonormal(message(func, ": ", name, " (", shape(u.rows(), u.cols()),
                                   ") is not an orthonormal basis: max|U^T U - I| = ", err, " > ",
                                   tol));
  }
}

/// Shape and finiteness checks of a basis always; its orthonormality only when
/// SUBSPACE_CHECK_BASES is defined (debug builds): for the O(n k) per-vector functions.
template <class Derived>
void require_basis_cheap(const Eigen::MatrixBase<Derived>& u, const char* func, const char* name) {
#if defined(SUBSPACE_CHECK_BASES)
  require_basis(u, func, name);
#else
  if constexpr (input_checks) {
    require_nonempty(u, func, name);
    if (u.cols() > u.rows())
      throw DimensionMismatch(message(func, ": ", name, " is ", shape(u.rows(), u.cols()),
                                      "; an orthonormal basis needs k <= n"));
    require_finite(u, func, name);
  }
#endif
}

/// Euclidean norm without overflow or harmful underflow, at the cost of squaredNorm when the
/// sum of squares is safely in range (the usual case), else Eigen's stableNorm (scaled).
template <class Derived>
typename Derived::RealScalar safe_norm(const Eigen::MatrixBase<Derived>& v) {
  using Real = typename Derived::RealScalar;
  const Real sq = v.squaredNorm();
  const Real tiny = (std::numeric_limits<Real>::min)() / std::numeric_limits<Real>::epsilon();
  if (sq >= tiny && sq <= (std::numeric_limits<Real>::max)()) return std::sqrt(sq);
  return v.stableNorm();
}

/// A tolerance argument: negative means `fallback` (the documented default); NaN is an error.
template <class Real>
Real resolve_tolerance(Real tolerance, Real fallback, const char* func) {
  if (std::isnan(tolerance)) throw InvalidParameter(message(func, ": the tolerance is NaN"));
  return tolerance < Real(0) ? fallback : tolerance;
}

/// Eigen's SVDs return with info() == InvalidInput, and singular values left unset, when the
/// matrix holds NaN or Inf. Every SVD in the library goes through this check (always on: a
/// comparison per call), so non-finite values that slip past the entry checks (a non-finite
/// tangent, an overflowing product) raise NonFiniteInput instead of reading garbage.
template <class Svd>
const Svd& require_svd_ok(const Svd& svd, const char* func) {
  if (svd.info() != Eigen::Success)
    throw NonFiniteInput(message(func, ": NaN or Inf reached an internal SVD"));
  return svd;
}

}  // namespace subspace::detail
