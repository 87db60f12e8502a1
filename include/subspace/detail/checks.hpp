// SPDX-License-Identifier: MIT
// detail/checks.hpp: input validation at the public boundary (see config.hpp for the policy).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "../config.hpp"
#include "../traits.hpp"
#include "compiled.hpp"

namespace subspace::detail {

inline std::string shape(Index rows, Index cols) { return message(rows, "x", cols); }

#if defined(SUBSPACE_NO_INPUT_CHECKS)
inline constexpr bool input_checks = false;
#else
inline constexpr bool input_checks = true;
#endif

/// True for arguments with their own storage (Matrix, Array, Map, Ref, blocks and transposes of
/// those): reading them again costs nothing and gives the same values.
template <class Derived>
inline constexpr bool has_storage = (int(Derived::Flags) & Eigen::DirectAccessBit) != 0;

/// How a public function holds an argument it reads more than once: a reference to an object
/// with storage, otherwise one evaluated copy (a `Random()` expression gives new numbers at
/// every read, a product `A * B` would be recomputed). This is the intent of Eigen's
/// `internal::nested_eval`, which decides by cost and still re-evaluates cheap but
/// non-repeatable expressions such as `Random()`; the rule here is by storage only, so the
/// values a function checks are the values it computes with.
template <class Derived>
using Evaluated =
    std::conditional_t<has_storage<Derived>, const Derived&, typename Derived::PlainObject>;

/// The argument evaluated at most once: `const auto& a = evaluated(a_arg);` at the top of a
/// public function, then only `a` is read. No copy for a plain matrix, Map or Ref.
template <class Derived>
Evaluated<Derived> evaluated(const Eigen::DenseBase<Derived>& x) {
  return x.derived();
}

/// Throws NonFiniteInput if `a` holds a NaN or an infinity.
template <class Derived>
void require_finite(const Eigen::MatrixBase<Derived>& a, const char* func, const char* name) {
  if constexpr (input_checks) {
    if (!a.allFinite())
      throw NonFiniteInput(
          message(func, ": ", name, " (", shape(a.rows(), a.cols()), ") contains NaN or Inf"));
  }
}

/// Throws InvalidParameter unless `value` is one of the enumerators first..last of a
/// contiguous enum class (a value cast from an integer, or read from memory that was never
/// one, would otherwise fall through a switch or an if chain into some other branch). Runs in
/// release builds too: one comparison.
template <class Enum>
void require_enum(Enum value, Enum first, Enum last, const char* func, const char* name) {
  static_assert(std::is_enum<Enum>::value, "require_enum: not an enum");
  using U = std::underlying_type_t<Enum>;
  if (U(value) < U(first) || U(value) > U(last))
    throw InvalidParameter(message(func, ": ", name, " = ", static_cast<long long>(U(value)),
                                   " is not one of the enumerators"));
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

/// The end of a shape error when a batch looks transposed: it has `dim` columns, not rows.
inline std::string transposed_hint(Index rows, Index cols, Index dim, const char* name) {
  return cols == dim && rows != dim
             ? message(" (", name, " looks transposed: vectors are columns, pass ", name,
                       ".transpose())")
             : std::string();
}

/// Throws DimensionMismatch unless `a` and `b` have the same number of rows.
template <class DA, class DB>
void require_same_rows(const Eigen::MatrixBase<DA>& a, const char* name_a,
                       const Eigen::MatrixBase<DB>& b, const char* name_b, const char* func) {
  if constexpr (input_checks) {
    if (a.rows() != b.rows())
      throw DimensionMismatch(message(func, ": ", name_a, " is ", shape(a.rows(), a.cols()),
                                      " and ", name_b, " is ", shape(b.rows(), b.cols()),
                                      "; their row counts (ambient dimensions) must agree",
                                      transposed_hint(b.rows(), b.cols(), a.rows(), name_b)));
  }
}

/// Throws DimensionMismatch unless `a` fits a matrix of type Target (fixed rows / columns, and
/// the maximum sizes of a bounded type). Checked before any copy into a fixed-size object.
template <class Target, class Derived>
void require_fixed_shape(const Eigen::MatrixBase<Derived>& a, const char* func, const char* name) {
  constexpr int R = Target::RowsAtCompileTime, C = Target::ColsAtCompileTime;
  constexpr int MR = Target::MaxRowsAtCompileTime, MC = Target::MaxColsAtCompileTime;
  const bool ok =
      (R == Eigen::Dynamic || a.rows() == R) && (C == Eigen::Dynamic || a.cols() == C) &&
      (MR == Eigen::Dynamic || a.rows() <= MR) && (MC == Eigen::Dynamic || a.cols() <= MC);
  if (!ok)
    throw DimensionMismatch(
        message(func, ": ", name, " is ", shape(a.rows(), a.cols()), " but this type holds ",
                R == Eigen::Dynamic ? std::string("any") : std::to_string(R), "x",
                C == Eigen::Dynamic ? std::string("any") : std::to_string(C)));
}

/// `evaluated(a)` after `require_fixed_shape<Target>`: for constructors of fixed-size types,
/// so the shape is checked before anything is copied.
template <class Target, class Derived>
Evaluated<Derived> fitting(const Eigen::MatrixBase<Derived>& a, const char* func,
                           const char* name) {
  require_fixed_shape<Target>(a, func, name);
  return evaluated(a);
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
      throw NotOrthonormal(
          message(func, ": ", name, " (", shape(u.rows(), u.cols()),
                  ") is not an orthonormal basis: max|U^T U - I| = ", err, " > ", tol,
                  ". Orthonormalize it first with subspace::qr_basis (same span) or "
                  "subspace::orthonormal_basis (rank-revealing)",
                  (err < Real(1e-5) && sizeof(Real) > sizeof(float))
                      ? "; a basis orthonormal in float and cast to double is off by ~1e-7: "
                        "re-orthonormalize it after the cast"
                      : ""));
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

/// A power of two c such that c * max|a| lies near 1, or 1 when max|a| is already in the range
/// where sums of squares of the entries can neither overflow nor underflow (the common case:
/// no work beyond one max-abs pass). Factorizations (Householder QR, the Gram matrix of the
/// polar factor) run on c * A: the Q factor, the span and the polar factor do not depend on c,
/// and multiplying by a power of two is exact, so results are those of exact arithmetic's
/// scaling (LAPACK's xLASCL idea) instead of NaN or a wrong span at 1e-300 or 1e300.
template <class Derived>
typename Derived::RealScalar unit_scale(const Eigen::MatrixBase<Derived>& a) {
  using Real = typename Derived::RealScalar;
  using Limits = std::numeric_limits<Real>;
  if (a.size() == 0) return Real(1);
  const Real m = a.cwiseAbs().maxCoeff();
  if (!(m > Real(0)) || !(m <= (Limits::max)())) return Real(1);
  int e = 0;
  std::frexp(m, &e);
  constexpr int safe = Limits::max_exponent / 2 - 12;  // 2^500 (double), 2^52 (float)
  if (e > -safe && e < safe) return Real(1);
  // Keep c itself a normal number: c = 2^-e, clamped to the normal exponent range.
  e = std::max(std::min(e, Limits::max_exponent - 2), Limits::min_exponent + 2);
  return std::ldexp(Real(1), -e);
}

/// dec.compute(c x) for a decomposition `dec` and c from unit_scale, without forming c x in the
/// usual case c == 1.
template <class Dec, class X, class Real>
void compute_scaled(Dec& dec, const X& x, Real c) {
  if (c == Real(1))
    dec.compute(x);
  else
    dec.compute(c * x);
}

/// Sum of the squares of the entries, accumulated in double when the entries are float.
/// Eigen's float reduction keeps a few float accumulators, so over N d ~ 1e6 similar positive
/// terms it drifts by ~1e-4 relative (2e-4 measured on 1500 x 784 Fashion-MNIST blocks),
/// which a PCA state's total T then carries into variance ratios and its T >= sum s^2
/// invariant. The cast is lazy: no temporary, one pass.
template <class Derived>
typename Derived::RealScalar accurate_squared_norm(const Eigen::MatrixBase<Derived>& m) {
  using Real = typename Derived::RealScalar;
  if constexpr (sizeof(Real) < sizeof(double))
    return Real(m.template cast<double>().squaredNorm());
  else
    return m.squaredNorm();
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
