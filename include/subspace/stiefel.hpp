// SPDX-License-Identifier: MIT
// stiefel.hpp: the Stiefel manifold St(k, n) of orthonormal k-frames in R^n, with the metric
// induced by the embedding in R^{n x k} (<D1, D2> = tr(D1^T D2)).
//
// A point is an orthonormal n x k matrix U (the frame itself, not a subspace: U and U Q are
// different points). A tangent vector at U is an n x k matrix D with U^T D skew-symmetric.
// References: Edelman, Arias & Smith 1998; Absil, Mahony & Sepulchre 2008, Ex. 3.6.2 and
// Sec. 4.1.1; Wen & Yin, "A feasible method for optimization with orthogonality constraints",
// Math. Program. 2013 (Cayley retraction).
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>
#include <random>

#include "grassmann.hpp"

namespace subspace {

/// \addtogroup manifolds
/// @{

/// A point of St(k, n). Invariant: basis() is orthonormal to within
/// Tolerance<Scalar>::orthonormality(n); every retraction re-orthonormalizes (QR with
/// diag(R) >= 0, which changes the result by O(eps)), so no drift accumulates. Fixed N and K
/// never allocate.
template <class Scalar_, int N = Eigen::Dynamic, int K = Eigen::Dynamic>
class Stiefel : public detail::EmbeddedMetric<Stiefel<Scalar_, N, K>> {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// An n x k orthonormal frame, the point itself.
  using Basis = Eigen::Matrix<Scalar, N, K>;
  /// An n x k tangent vector at U (U^T D skew-symmetric).
  using Tangent = Eigen::Matrix<Scalar, N, K>;
  /// A k x k matrix (U^T G and its symmetric part).
  using Small = Eigen::Matrix<Scalar, K, K>;

  Stiefel() = default;

  /// The Q factor (diag(R) >= 0) of a full-rank n x k matrix; throws as `qr_basis`.
  template <class Derived>
  explicit Stiefel(const Eigen::MatrixBase<Derived>& a)
      : u_(qr_basis(detail::fitting<Basis>(a, "subspace::Stiefel", "A"))) {}

  /// The point U itself (checked, O(n k^2): DimensionMismatch, NonFiniteInput, NotOrthonormal).
  template <class Derived>
  static Stiefel from_orthonormal(const Eigen::MatrixBase<Derived>& u_arg) {
    constexpr const char* func = "subspace::Stiefel::from_orthonormal";
    const auto& u = detail::fitting<Basis>(u_arg, func, "U");
    detail::require_basis(u, func, "U");
    Stiefel x;
    x.u_ = u;
    return x;
  }

  /// Haar-distributed random frame (QR of a Gaussian matrix with diag(R) >= 0, Mezzadri 2007).
  template <class Rng>
  static Stiefel random(Index n, Index k, Rng& rng);

  /// The orthonormal n x k frame U.
  const Basis& basis() const { return u_; }
  /// n, the dimension of the ambient space.
  Index ambient_dim() const { return u_.rows(); }
  /// k, the number of frame vectors.
  Index dim() const { return u_.cols(); }
  /// dim St(k, n) = n k - k (k + 1) / 2.
  Index manifold_dim() const { return ambient_dim() * dim() - dim() * (dim() + 1) / 2; }

  /// Orthogonal projection onto the tangent space: G - U sym(U^T G) (embedded metric). Turns a
  /// Euclidean gradient into the Riemannian one. Cost 4 n k^2.
  template <class Derived>
  Tangent project(const Eigen::MatrixBase<Derived>& g_arg) const;

  // random_tangent(rng), inner(D1, D2) = tr(D1^T D2) (the embedded metric) and norm(D) come
  // from detail::EmbeddedMetric.

  /// Retraction R_U(D):
  ///  * QR: qf(U + D) with diag(R) >= 0 (Absil et al. 2008, Ex. 4.1.2), 4 n k^2;
  ///  * Polar: (U + D)(I + D^T D)^{-1/2}, the frame nearest U + D (Absil & Malick 2012);
  ///  * Cayley: (I - W/2)^{-1} (I + W/2) U with W = P D U^T - U D^T P, P = I - U U^T / 2 (Wen &
  ///    Yin 2013), through the rank-2k form U + A (I - B^T A / 2)^{-1} B^T U, A = [P D, U],
  ///    B = [U, -P D]: about 16 n k^2 + O(k^3), never an n x n matrix; NonFiniteInput when
  ///    |D|^2 overflows (QR and Polar take any finite step).
  /// Exp is not provided on Stiefel (InvalidParameter). D should be tangent.
  template <class Derived>
  Stiefel retract(const Eigen::MatrixBase<Derived>& d_arg, Retraction kind = Retraction::QR) const;

  /// Vector transport by projection onto the tangent space at Y: Y.project(xi).
  template <class Derived>
  Tangent transport(const Eigen::MatrixBase<Derived>& xi_arg, const Stiefel& y) const;

 private:
  template <class Derived>
  void check_shape(const Eigen::MatrixBase<Derived>& g, const char* func) const {
    if constexpr (detail::input_checks) {
      if (g.rows() != u_.rows() || g.cols() != u_.cols())
        throw DimensionMismatch(
            detail::message(func, ": the point is ", detail::shape(u_.rows(), u_.cols()),
                            ", the matrix is ", detail::shape(g.rows(), g.cols())));
    }
  }
  Basis u_;
};

// ---- Stiefel: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_, int N, int K>
template <class Rng>
auto Stiefel<Scalar_, N, K>::random(Index n, Index k, Rng& rng) -> Stiefel {
  Stiefel x;
  x.u_ = Grassmann<Scalar, N, K>::random(n, k, rng).basis();
  return x;
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Stiefel<Scalar_, N, K>::project(const Eigen::MatrixBase<Derived>& g_arg) const -> Tangent {
  const auto& g = detail::evaluated(g_arg);
  check_shape(g, "subspace::Stiefel::project");
  detail::require_finite(g, "subspace::Stiefel::project", "G");
  Small c(dim(), dim());
  c.noalias() = u_.transpose() * g;
  Small sym = (c + c.transpose()) / Scalar(2);
  Tangent d = g;
  d.noalias() -= u_ * sym;
  return d;
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Stiefel<Scalar_, N, K>::retract(const Eigen::MatrixBase<Derived>& d_arg, Retraction kind) const
    -> Stiefel {
  const auto& d = detail::evaluated(d_arg);
  constexpr const char* func = "subspace::Stiefel::retract";
  check_shape(d, func);
  detail::require_finite(d, func, "D");
  Tangent a = u_ + d;
  Stiefel out;
  out.u_.resize(ambient_dim(), dim());
  switch (kind) {
    case Retraction::QR:
      detail::orthonormalize_qr(a, out.u_);
      return out;
    case Retraction::Polar:
      detail::orthonormalize_polar<Tangent, Small>(a, out.u_);
      return out;
    case Retraction::Cayley: {
      constexpr int K2 = K == Eigen::Dynamic ? Eigen::Dynamic : 2 * K;
      using Wide = Eigen::Matrix<Scalar, N, K2>;
      using Sq = Eigen::Matrix<Scalar, K2, K2>;
      const Index n = ambient_dim(), k = dim();
      Small utd(k, k);
      utd.noalias() = u_.transpose() * d;
      Wide aa(n, 2 * k), bb(n, 2 * k);
      aa.leftCols(k) = d;
      aa.leftCols(k).noalias() -= u_ * (Scalar(0.5) * utd);  // P D
      aa.rightCols(k) = u_;
      bb.leftCols(k) = u_;
      bb.rightCols(k) = -aa.leftCols(k);
      Sq m(2 * k, 2 * k);
      m.noalias() = bb.transpose() * aa;
      m *= Scalar(-0.5);
      m.diagonal().array() += Scalar(1);
      Eigen::Matrix<Scalar, K2, K> btu(2 * k, k);
      btu.noalias() = bb.transpose() * u_;
      const Eigen::Matrix<Scalar, K2, K> z = Eigen::PartialPivLU<Sq>(m).solve(btu);
      Tangent y = u_;
      y.noalias() += aa * z;
      // D^T D enters the small system: a step beyond ~sqrt(max) overflows it. An error, not a
      // NaN point (QR and Polar rescale and take any finite step).
      if (!y.allFinite())
        throw NonFiniteInput(detail::message(
            func, ": the Cayley transform of this step overflows (|D| = ", detail::safe_norm(d),
            "); use QR or Polar for steps this large"));
      detail::orthonormalize_qr(y, out.u_);
      return out;
    }
    case Retraction::Exp:
      break;
  }
  throw InvalidParameter(
      "subspace::Stiefel::retract: use Retraction::QR, Polar or Cayley on Stiefel");
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Stiefel<Scalar_, N, K>::transport(const Eigen::MatrixBase<Derived>& xi_arg,
                                       const Stiefel& y) const -> Tangent {
  const auto& xi = detail::evaluated(xi_arg);
  return y.project(xi);
}
/// \endcond

/// A point of St(k, n) of dynamic size in double precision.
using Stiefeld = Stiefel<double>;
/// A point of St(k, n) of dynamic size in single precision.
using Stiefelf = Stiefel<float>;

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_STIEFEL_TEMPLATES(P, S)                                                           \
  P subspace::Stiefel<S> subspace::Stiefel<S>::random(subspace::Index, subspace::Index,            \
                                                      std::mt19937_64&);                           \
  P class subspace::Stiefel<S>;                                                                    \
  P subspace::Stiefel<S>::Stiefel(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);                     \
  P subspace::Stiefel<S> subspace::Stiefel<S>::from_orthonormal(                                   \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);                                                 \
  P SUBSPACE_MATX(S) subspace::Stiefel<S>::project(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&)     \
      const;                                                                                       \
  P subspace::Stiefel<S> subspace::Stiefel<S>::retract(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, \
                                                       subspace::Retraction) const;                \
  P SUBSPACE_MATX(S) subspace::Stiefel<S>::transport(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,   \
                                                     const subspace::Stiefel<S>&) const;
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_STIEFEL_TEMPLATES(extern template, double)
SUBSPACE_STIEFEL_TEMPLATES(extern template, float)
#endif
