// Shared test utilities: seeded random matrices, Haar-distributed orthogonal matrices,
// subspace pairs with prescribed principal angles, and exception-message checks.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "catch.hpp"

namespace test {

using Index = Eigen::Index;
template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;
using MatL = Mat<long double>;

/// pi to long double precision (the references below are built in long double).
inline constexpr long double kPi = 3.141592653589793238462643383279502884L;

/// Deterministic generator; every test prints its seed through CAPTURE/INFO.
struct Rng {
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  std::mt19937_64 gen;
  std::normal_distribution<double> normal{0.0, 1.0};
  template <class S>
  Mat<S> gaussian(Index rows, Index cols) {
    Mat<S> a(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) a(i, j) = static_cast<S>(normal(gen));
    return a;
  }
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(gen);
  }
};

/// Haar-distributed n x n orthogonal matrix in long double (QR of a Gaussian matrix with the
/// sign fix of Mezzadri 2007), computed independently of the library.
///
/// Defined once, in tests/helpers.cpp: an inline body here made every test translation unit
/// instantiate Eigen's long double QR and matrix product (seconds of compiler time each).
MatL haar_orthogonal(Rng& rng, Index n);

/// A pair (U, V) of orthonormal bases, U n x k and V n x l with k >= l, n >= k + l, whose
/// principal angles are exactly `theta` (ascending, l of them) up to the rounding of the final
/// cast to S. Built in long double: U = Q [I_k; 0] R1, V = Q [diag(cos); 0; diag(sin); 0] R2 with
/// Q Haar and R1, R2 random rotations, so nothing about the construction leaks into the test.
/// S is float or double (instantiated in tests/helpers.cpp).
template <class S>
std::pair<Mat<S>, Mat<S>> subspaces_with_angles(Rng& rng, Index n, Index k,
                                                const Vec<long double>& theta);
extern template std::pair<Mat<float>, Mat<float>> subspaces_with_angles<float>(
    Rng&, Index, Index, const Vec<long double>&);
extern template std::pair<Mat<double>, Mat<double>> subspaces_with_angles<double>(
    Rng&, Index, Index, const Vec<long double>&);

/// Asserts that `f()` throws E whose message contains `needle`.
template <class E, class F>
void require_throws(F&& f, const std::string& needle) {
  bool thrown = false;
  try {
    f();
  } catch (const E& e) {
    thrown = true;
    const std::string what = e.what();
    INFO("message: " << what);
    CHECK(what.find(needle) != std::string::npos);
  }
  CHECK(thrown);
}

template <class S>
S eps() {
  return std::numeric_limits<S>::epsilon();
}

template <class S>
S orthonormality_error(const Mat<S>& u) {
  if (u.cols() == 0) return 0;
  return (u.transpose() * u - Mat<S>::Identity(u.cols(), u.cols())).cwiseAbs().maxCoeff();
}

}  // namespace test
