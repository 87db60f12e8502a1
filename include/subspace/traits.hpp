// SPDX-License-Identifier: MIT
// traits.hpp: tolerances and compile-time size helpers.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

namespace subspace {

/// \addtogroup basics
/// @{

/// The index and size type of the library, Eigen's (std::ptrdiff_t by default).
using Index = Eigen::Index;

/// Tolerances used throughout the library, from the scalar type, never from literals.
template <class Scalar>
struct Tolerance {
  /// Machine epsilon of Scalar.
  static Scalar epsilon() { return std::numeric_limits<Scalar>::epsilon(); }

  /// Default relative tolerance for numerical rank of an m x n matrix: singular values
  /// <= sigma_max * max(m, n) * eps count as zero (the convention of LAPACK's xGELSS users,
  /// MATLAB's rank and NumPy's matrix_rank).
  static Scalar rank(Index rows, Index cols) {
    return Scalar(std::max<Index>({rows, cols, Index(1)})) * epsilon();
  }

  /// Largest max-abs entry of U^T U - I accepted for "U is an orthonormal n x k basis":
  /// max(sqrt(eps), 10 sqrt(n) eps). Householder QR gives about sqrt(n) eps in practice, so
  /// bases computed in working precision pass; a matrix with unnormalized or visibly
  /// non-orthogonal columns fails (1.5e-8 in double, 3.5e-4 in float for n <= ~10^4).
  static Scalar orthonormality(Index n) {
    using std::sqrt;
    return std::max(sqrt(epsilon()), Scalar(10) * sqrt(Scalar(std::max<Index>(n, 1))) * epsilon());
  }
};

namespace detail {

/// min of two compile-time sizes where Eigen::Dynamic means "unknown" (propagates).
constexpr int min_size(int a, int b) {
  return (a == 0 || b == 0)                             ? 0
         : (a == Eigen::Dynamic || b == Eigen::Dynamic) ? Eigen::Dynamic
                                                        : (a < b ? a : b);
}

/// min of two compile-time max sizes where Eigen::Dynamic means "unbounded".
constexpr int min_max_size(int a, int b) {
  return a == Eigen::Dynamic ? b : b == Eigen::Dynamic ? a : (a < b ? a : b);
}

}  // namespace detail
/// @}
}  // namespace subspace
