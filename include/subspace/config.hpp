// subspace: linear algebra on subspaces, header-only, on Eigen.
// SPDX-License-Identifier: MIT
//
// config.hpp: version, the error policy and the exception types.
//
// Error policy (three kinds, three mechanisms):
//  * Programmer errors inside the library: SUBSPACE_ASSERT. Compiled out under NDEBUG unless
//    SUBSPACE_ENABLE_ASSERTS is defined; throws subspace::AssertionError when
//    SUBSPACE_ASSERT_THROWS is defined (the test suite does this), std::assert otherwise.
//  * Invalid input at the public boundary: a typed exception derived from
//    std::invalid_argument (subspace::InvalidArgument and its subclasses below) whose message
//    names the function, what was expected and what came.
//  * Numerical trouble detected during a solve: a documented status or result, never garbage.
//
// Which input checks run in release builds (NDEBUG):
//  * always: shapes (dimension mismatch, k > n, empty where meaningless), rank rules, NaN/Inf
//    in inputs (one O(size) pass: cheaper than any operation that reads the input), rank
//    deficiency where a basis is required (read off a factorization the function computes
//    anyway), and orthonormality of a basis argument wherever the function already costs
//    O(n k^2) or more (principal angles, distances, complement, Projector construction);
//  * debug builds only (or with SUBSPACE_CHECK_BASES defined): orthonormality of a basis
//    passed to the O(n k)-per-vector functions (project, residual, coordinates), where the
//    O(n k^2) check would dominate the work.
//  * SUBSPACE_NO_INPUT_CHECKS turns every boundary check off (for callers that validated
//    their inputs already); then bad input gives unspecified results.
#pragma once

#if !defined(_MSVC_LANG) && __cplusplus < 201703L
#error "subspace needs C++17 or later: compile with -std=c++17 (or newer)"
#elif defined(_MSVC_LANG) && _MSVC_LANG < 201703L
#error "subspace needs C++17 or later: compile with /std:c++17 (or newer)"
#endif

#include <cassert>
#include <sstream>
#include <stdexcept>
#include <string>

#define SUBSPACE_VERSION_MAJOR 0
#define SUBSPACE_VERSION_MINOR 1
#define SUBSPACE_VERSION_PATCH 0
#define SUBSPACE_VERSION_STRING "0.1.0"

namespace subspace {

/// \addtogroup errors
/// @{

/// Base of every input-validation error thrown by the library.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Shapes that do not fit together (rows of U vs rows of X, k > n, empty input, ...).
class DimensionMismatch : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// An input holds NaN or +-Inf.
class NonFiniteInput : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A matrix passed as an orthonormal basis is not orthonormal to within
/// Tolerance<Scalar>::orthonormality(n).
class NotOrthonormal : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A matrix whose columns must be linearly independent (or whose requested rank exceeds its
/// numerical rank) is rank-deficient.
class RankDeficient : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A parameter outside its documented domain (a negative tolerance, an energy fraction
/// outside (0, 1], ...).
class InvalidParameter : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A point outside the domain of a map that is not globally defined: the inverse of a
/// retraction at or beyond the cut locus (a principal angle of pi/2), the Cayley retraction
/// when I - W/2 is singular; also an input whose exact result lies outside the scalar type's
/// normal range (Plucker coordinates of a matrix with 1e160-sized columns), which would
/// otherwise come back as inf, NaN or a silent 0.
class OutsideDomain : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A stream or file that is not in the documented format (wrong magic or version, truncated,
/// values that do not parse or are out of range).
class FormatError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A k-vector that is not decomposable (not the wedge product of k vectors, so not the Plucker
/// vector of any subspace) to within the stated tolerance, where a subspace is required.
class NotDecomposable : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// A requested result whose size does not fit the index type or the address space (C(n, k)
/// Plucker coordinates for large n and k). Never an overflow or a silent wrap.
class TooLarge : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// Thrown by SUBSPACE_ASSERT when SUBSPACE_ASSERT_THROWS is defined: an internal invariant
/// failed, which is a bug in subspace, not in the caller's input.
class AssertionError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

/// Builds "func: what" messages from streamable pieces.
template <class... Parts>
std::string message(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

[[noreturn]] inline void assertion_failed(const char* expr, const char* file, int line) {
  throw AssertionError(
      message("subspace internal assertion failed: ", expr, " at ", file, ":", line));
}

}  // namespace detail
/// @}
}  // namespace subspace

#if defined(NDEBUG) && !defined(SUBSPACE_ENABLE_ASSERTS)
#define SUBSPACE_ASSERT(expr) static_cast<void>(0)
#elif defined(SUBSPACE_ASSERT_THROWS)
#define SUBSPACE_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : ::subspace::detail::assertion_failed(#expr, __FILE__, __LINE__))
#else
#define SUBSPACE_ASSERT(expr) assert(expr)
#endif

#if !defined(SUBSPACE_CHECK_BASES) && !defined(NDEBUG)
#define SUBSPACE_CHECK_BASES
#endif
