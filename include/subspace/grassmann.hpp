// SPDX-License-Identifier: MIT
// grassmann.hpp: the Grassmann manifold Gr(k, n) of k-dimensional subspaces of R^n.
//
// A point is held as an orthonormal n x k basis U (a Stiefel representative); two bases of the
// same subspace differ by a k x k orthogonal factor, and nothing below depends on which one is
// held except where said (representatives of results). A tangent vector at U is an n x k
// matrix D with U^T D = 0 (the horizontal lift). The metric is the canonical one,
// <D1, D2> = tr(D1^T D2), so that distance(U, Y) = sqrt(sum theta_i^2) over the principal
// angles; some libraries (e.g. with the embedded metric of the projector U U^T) scale this by
// sqrt(2): we do not.
//
// References: Edelman, Arias & Smith, "The geometry of algorithms with orthogonality
// constraints", SIMAX 1998 (exp, parallel transport); Bendokat, Zimmermann & Absil, "A Grassmann
// manifold handbook", Adv. Comput. Math. 2024 (log, cut locus); Absil, Mahony & Sepulchre,
// "Optimization Algorithms on Matrix Manifolds", 2008 (retractions, transport).
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <cmath>
#include <random>
#include <vector>

#include "angles.hpp"
#include "basis.hpp"
#include "config.hpp"
#include "detail/checks.hpp"
#include "detail/embedded_metric.hpp"
#include "detail/householder.hpp"
#include "traits.hpp"

namespace subspace {

/// \addtogroup manifolds
/// @{

/// Retractions available on Grassmann and Stiefel points (see each class for its formula).
enum class Retraction {
  QR,     ///< qf(U + D): the Q factor with diag(R) >= 0
  Polar,  ///< (U + D)(I + D^T D)^{-1/2}: the representative nearest U + D
  Exp,    ///< the Riemannian exponential (Grassmann only)
  Cayley  ///< Wen & Yin (2013) Cayley transform (Stiefel only)
};

namespace detail {

/// q <- qf(a) for n x k inputs of one shape, over and over: Householder QR with diag(R) >= 0, no
/// checks. The QR storage and the reflector workspace are kept, so after construction a call
/// allocates nothing for k < 48 (Eigen applies the reflectors one at a time below its block
/// size). `q` may be a block of a larger matrix, and may be `a` itself (the QR copies `a`
/// before `q` is written).
template <class Mat>
class QrOrthonormalizer {
 public:
  using Scalar = typename Mat::Scalar;
  QrOrthonormalizer(Index n, Index k) : qr_(n, k), work_(k) {}
  template <class A, class Q>
  void operator()(const A& a, Q&& q) {
    const Scalar c = unit_scale(a);  // qf(c a) = qf(a); keeps 1e300 steps finite
    if (c == Scalar(1))
      qr_.compute(a);
    else
      qr_.compute(c * a);
    q.resize(a.rows(), a.cols());
    q.setIdentity();
    qr_.householderQ().applyThisOnTheLeft(q, work_);
    for (Index j = 0; j < q.cols(); ++j)
      if (qr_.matrixQR()(j, j) < Scalar(0)) q.col(j) = -q.col(j);
  }

 private:
  Eigen::HouseholderQR<Mat> qr_;
  Eigen::Matrix<Scalar, 1, Mat::ColsAtCompileTime, Eigen::RowMajor, 1, Mat::MaxColsAtCompileTime>
      work_;
};

/// y <- a (a^T a)^{-1/2}: the polar factor (Procrustes-nearest orthonormal matrix) of a, by the
/// k x k eigendecomposition of the Gram matrix. Accurate for a = U + D with U^T D = 0 (Gram
/// = I + D^T D, condition 1 + |D|_2^2). Keeps its k x k workspaces, so repeated calls on one
/// shape allocate nothing; `y` must not alias `a`.
template <class Small>
class PolarOrthonormalizer {
 public:
  using Scalar = typename Small::Scalar;
  explicit PolarOrthonormalizer(Index k) : g_(k, k), t_(k, k), s_(k, k), es_(k) {}
  template <class A, class Y>
  void operator()(const A& a, Y&& y) {
    // polar(c a) = polar(a): the Gram matrix of c a cannot overflow or underflow. c a is
    // formed first (a copy, only at extreme scales): Eigen would pull a scalar factor out of
    // the product and form the overflowing a^T a.
    const Scalar c = unit_scale(a);
    if (c != Scalar(1)) {
      const typename A::PlainObject scaled = c * a;
      apply(scaled, y);
    } else {
      apply(a, y);
    }
  }

 private:
  template <class A, class Y>
  void apply(const A& a, Y& y) {
    g_.noalias() = a.transpose() * a;
    es_.compute(g_);
    t_ = es_.eigenvectors() * es_.eigenvalues()
                                  .cwiseMax(std::numeric_limits<Scalar>::min())
                                  .cwiseSqrt()
                                  .cwiseInverse()
                                  .asDiagonal();
    s_.noalias() = t_ * es_.eigenvectors().transpose();
    y.resize(a.rows(), a.cols());
    y.noalias() = a * s_;
  }

  Small g_, t_, s_;
  Eigen::SelfAdjointEigenSolver<Small> es_;
};

/// One-shot forms of the two above.
template <class Mat>
void orthonormalize_qr(const Mat& a, Mat& q) {
  QrOrthonormalizer<Mat>(a.rows(), a.cols())(a, q);
}
template <class Mat, class Small>
void orthonormalize_polar(const Mat& a, Mat& y) {
  PolarOrthonormalizer<Small>(a.cols())(a, y);
}

}  // namespace detail

/// Options and report of the Karcher (Frechet) mean.
struct KarcherOptions {
  /// Most gradient steps x <- exp_x(gradient) taken.
  int max_iterations = 100;
  /// Stop when the Riemannian gradient |sum_i w_i log_x(y_i)| / sum_i w_i <= this; a negative
  /// value means 1000 eps sqrt(k).
  double gradient_tolerance = -1;
};
/// What karcher_mean returns: the mean and how the iteration ended.
template <class Point>
struct KarcherResult {
  /// The weighted Karcher mean (the last iterate).
  Point mean;
  /// Gradient steps taken.
  int iterations = 0;
  /// Norm of the last Riemannian gradient computed (at `mean`, unless max_iterations ran out).
  double gradient_norm = 0;
  /// Whether gradient_norm reached the tolerance (false: stalled or max_iterations).
  bool converged = false;
};

/// A point of Gr(k, n). Invariant: basis() is orthonormal to within
/// Tolerance<Scalar>::orthonormality(n); every operation that returns a point re-orthonormalizes
/// (QR with diag(R) >= 0 or a polar / Newton-Schulz step, a change of representative by
/// I + O(eps)), so the invariant holds
/// after any number of steps without user intervention. Fixed N and K never allocate.
template <class Scalar_, int N = Eigen::Dynamic, int K = Eigen::Dynamic>
class Grassmann : public detail::EmbeddedMetric<Grassmann<Scalar_, N, K>> {
 public:
  /// The scalar type (float, double, long double).
  using Scalar = Scalar_;
  /// An n x k orthonormal basis, the representative of a point.
  using Basis = Eigen::Matrix<Scalar, N, K>;
  /// An n x k tangent vector at U (U^T D = 0).
  using Tangent = Eigen::Matrix<Scalar, N, K>;
  /// A k x k matrix (U^T G, the Q of a change of representative).
  using Small = Eigen::Matrix<Scalar, K, K>;
  /// The k principal angles to another point.
  using Angles = Eigen::Matrix<Scalar, K, 1>;
  /// The compile-time ambient dimension n, or Eigen::Dynamic.
  static constexpr int AmbientAtCompileTime = N;
  /// The compile-time subspace dimension k, or Eigen::Dynamic.
  static constexpr int DimAtCompileTime = K;

  /// An empty point (0 x 0 for dynamic sizes); assign before use.
  Grassmann() = default;

  /// span(A) for any n x k matrix of full column rank k <= n: orthonormalized by `qr_basis`
  /// (so Grassmann(U) keeps U when U is already orthonormal with positive-diagonal R, e.g. the
  /// output of qr_basis). Throws DimensionMismatch, NonFiniteInput, RankDeficient.
  template <class Derived>
  explicit Grassmann(const Eigen::MatrixBase<Derived>& a)
      : u_(qr_basis(detail::fitting<Basis>(a, "subspace::Grassmann", "A"))) {}

  /// The point with the given orthonormal basis, kept as is (checked in O(n k^2): throws
  /// DimensionMismatch, NonFiniteInput, NotOrthonormal).
  template <class Derived>
  static Grassmann from_orthonormal(const Eigen::MatrixBase<Derived>& u_arg) {
    constexpr const char* func = "subspace::Grassmann::from_orthonormal";
    const auto& u = detail::fitting<Basis>(u_arg, func, "U");
    detail::require_basis(u, func, "U");
    Grassmann x;
    x.u_ = u;
    return x;
  }

  /// The point with basis U, unchecked: for callers that know U is orthonormal (the library's
  /// own product manifold). Misuse breaks the class invariant.
  template <class Derived>
  static Grassmann from_unchecked(const Eigen::MatrixBase<Derived>& u) {
    Grassmann x;
    x.u_ = u;
    return x;
  }

  /// Uniform (Haar) random point: qf of an n x k standard Gaussian matrix (Mezzadri 2007,
  /// positive-diagonal R makes the law invariant). Throws DimensionMismatch unless 1 <= k <= n.
  template <class Rng>
  static Grassmann random(Index n, Index k, Rng& rng);

  /// The orthonormal n x k basis U representing the point.
  const Basis& basis() const { return u_; }
  /// n, the dimension of the ambient space.
  Index ambient_dim() const { return u_.rows(); }
  /// k, the dimension of the subspace.
  Index dim() const { return u_.cols(); }
  /// dim Gr(k, n) = k (n - k).
  Index manifold_dim() const { return u_.cols() * (u_.rows() - u_.cols()); }

  /// Tangent projection G - U (U^T G): turns a Euclidean gradient of f(U) into the Riemannian
  /// gradient (for f invariant under U -> U Q). Cost 4 n k^2.
  template <class Derived>
  Tangent project(const Eigen::MatrixBase<Derived>& g_arg) const;

  // random_tangent(rng), inner(D1, D2) = tr(D1^T D2) (the canonical metric) and norm(D) come
  // from detail::EmbeddedMetric.

  /// Riemannian exponential (Edelman et al. 1998, Thm. 2.3): with the thin SVD D = Q S V^T,
  /// exp_U(D) = U V cos(S) V^T + Q sin(S) V^T, then re-orthonormalized.
  /// Written as matrix functions of the k x k Gram matrix G = D^T D (Q sin(S) V^T =
  /// D V sinc(S) V^T), exp_U(D) = U cos(sqrt(G)) + D sinc(sqrt(G)): no n x k factor Q is formed,
  /// and cos(sqrt(x)), sinc(sqrt(x)) are entire functions of x with derivatives below 1/2, so a
  /// backward-stable eigendecomposition of G gives them to eps |D|_2^2 absolutely; a Newton-Schulz
  /// step (the polar factor if Y^T Y is not within sqrt(eps) of I) re-orthonormalizes. That path
  /// is taken when |D|_2 <= 2 (every log and ordinary optimiser steps); longer steps take the
  /// SVD of D as D = Q_D R_D (Householder) and R_D = A S V^T (k x k Jacobi), whose error grows
  /// as eps |D|_2 only, and re-orthonormalize by QR. Fixed sizes stay on the stack. Cost about
  /// 10 n k^2 + O(k^3) (longer steps about 18 n k^2). D must be tangent (not checked; project
  /// first).
  template <class Derived>
  Grassmann exp(const Eigen::MatrixBase<Derived>& d_arg) const;

  /// Riemannian logarithm: the tangent D at U of smallest norm with exp_U(D) = span(Y)
  /// (Bendokat, Zimmermann & Absil 2024, Alg. 5.3, "Procrustes-aligned" form). With
  /// U^T Y = A C B^T (SVD, C = cos theta), P = (I - U U^T) Y B has orthogonal columns of norms
  /// sin theta_i paired with C by construction, theta_i = atan2(|p_i|, c_i), and
  /// D = P diag(theta_i / |p_i|) A^T (the factor is 1 where p_i = 0).
  ///
  /// Accurate (absolute error O(eps)) up to and at the cut locus. When some principal angle is
  /// pi/2 the minimizing geodesic is not unique (the directions paired by a zero cosine can be
  /// followed with either sign, and rotated within a cluster of such angles): log returns the one
  /// of norm sqrt(sum theta^2) that the SVD selects, deterministically for given bases. The
  /// arctan form (I - U U^T) Y (U^T Y)^{-1} is undefined there and inaccurate near it.
  /// Cost about 6 n k^2 + O(k^3). Throws DimensionMismatch if Y is not in Gr(k, n).
  Tangent log(const Grassmann& y) const;

  /// Principal angles to Y, ascending: subspace::principal_angles on the two bases (the
  /// Knyazev-Argentati hybrid, accurate to O(eps) absolutely on [0, pi/2], also inside clusters
  /// of tiny angles). Fixed sizes do not allocate.
  detail::AnglesOf<Basis, Basis> principal_angles(const Grassmann& y) const {
    check_same_shape(y, "subspace::Grassmann::principal_angles");
    return subspace::principal_angles(u_, y.u_);
  }

  /// Geodesic distance sqrt(sum theta_i^2) (canonical metric): 0 up to O(eps) for the same
  /// subspace held by different bases, pi/2 sqrt(k) for orthogonal subspaces, and accurate
  /// to O(eps) absolutely for nearly equal ones (no arccos floor).
  /// Computed as sqrt(sum atan2(|p_i|, c_i)^2) from the aligned residual of `log` (see there):
  /// within a cluster of equal cosines the individual |p_i| may mix, but their sum of squares,
  /// and so the distance, does not. Cost about 6 n k^2; fixed sizes do not allocate.
  Scalar distance(const Grassmann& y) const;

  /// The point at time t on the geodesic from this point (t = 0) to Y (t = 1):
  /// exp_U(t log_U(Y)).
  Grassmann geodesic(const Grassmann& y, Scalar t) const;

  /// Retraction R_U(D). QR and Polar give the same subspace span(U + D) (they differ only in
  /// the representative: Polar's is the one nearest U + D); Exp is the exponential map. All
  /// agree with exp to first order (Absil et al. 2008, Sec. 4.1). Cost 4 n k^2 (QR, Polar).
  template <class Derived>
  Grassmann retract(const Eigen::MatrixBase<Derived>& d_arg,
                    Retraction kind = Retraction::QR) const;

  /// Inverse retraction: the tangent D at U with retract(D, kind) = span(Y). For QR and Polar
  /// (same subspace): D = Y (U^T Y)^{-1} - U. For Exp: log(Y). Throws OutsideDomain when U^T Y
  /// is singular to working precision (some principal angle is pi/2: no such D exists).
  Tangent inverse_retract(const Grassmann& y, Retraction kind = Retraction::QR) const;

  /// Vector transport by projection onto the tangent space at Y: xi - Y (Y^T xi) (Absil et al.
  /// 2008, Sec. 8.1.3). Cheap (4 n k^2), not an isometry; fine for momentum buffers.
  template <class Derived>
  Tangent transport(const Eigen::MatrixBase<Derived>& xi_arg, const Grassmann& y) const;

  /// Parallel transport of xi along the geodesic t -> exp_U(t D), to t (Edelman et al. 1998,
  /// Thm. 2.4): with D = Q S V^T, tau xi = (-U V sin(S t) Q^T + Q cos(S t) Q^T + I - Q Q^T) xi.
  /// An isometry between tangent spaces; the result is expressed in the basis that
  /// exp(t D) returns (equal to the formula's representative up to O(eps)). Cost about
  /// 14 n k^2.
  template <class DD, class DX>
  Tangent parallel_transport(const Eigen::MatrixBase<DD>& d_arg,
                             const Eigen::MatrixBase<DX>& xi_arg, Scalar t = Scalar(1)) const;

  /// Weighted Karcher (Frechet) mean argmin_x sum_i w_i dist(x, y_i)^2, by Riemannian gradient
  /// descent with unit step x <- exp_x(sum w_i log_x(y_i) / sum w_i) (Karcher 1977; the fixed
  /// point iteration of Absil et al. 2004), started at the point of largest weight. Stops when the
  /// gradient norm reaches options.gradient_tolerance, when it stops decreasing for 3 iterations
  /// (rounding floor), or after max_iterations. Unique and reached when all points lie in a ball
  /// of radius < pi/4 (Afsari 2011); otherwise a critical point is returned and
  /// `converged` says whether the tolerance was met. Empty weights mean equal weights.
  /// Throws InvalidParameter (no points, weights of the wrong size, negative or zero-sum weights)
  /// and DimensionMismatch.
  static KarcherResult<Grassmann> karcher_mean(const std::vector<Grassmann>& points,
                                               const std::vector<Scalar>& weights = {},
                                               const KarcherOptions& options = {});

 private:
  template <class Derived>
  void check_tangent_shape(const Eigen::MatrixBase<Derived>& g, const char* func) const {
    if constexpr (detail::input_checks) {
      if (g.rows() != u_.rows() || g.cols() != u_.cols())
        throw DimensionMismatch(
            detail::message(func, ": the point is ", detail::shape(u_.rows(), u_.cols()),
                            ", the matrix is ", detail::shape(g.rows(), g.cols())));
    }
  }
  void check_same_shape(const Grassmann& y, const char* func) const {
    if constexpr (detail::input_checks) {
      if (y.u_.rows() != u_.rows() || y.u_.cols() != u_.cols() || u_.size() == 0)
        throw DimensionMismatch(detail::message(func, ": points of Gr(", u_.cols(), ", ", u_.rows(),
                                                ") and Gr(", y.u_.cols(), ", ", y.u_.rows(), ")"));
    }
  }

  /// Thin SVD D = Q diag(s) V^T via D = Q_D R_D, R_D = A diag(s) V^T; q = Q_D A.
  template <class Derived>
  void tangent_svd(const Eigen::MatrixBase<Derived>& d, Tangent& q, Angles& s, Small& v) const;

  /// U^T Y = A diag(c) B^T, P = Y B - U (U^T Y B) (columns: sines paired with c) and
  /// theta_i = atan2(|p_i|, c_i).
  void aligned_angles(const Grassmann& y, Small& a, Tangent& p, Angles& theta) const;

  Basis u_;
};

// ---- Grassmann: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_, int N, int K>
template <class Rng>
auto Grassmann<Scalar_, N, K>::random(Index n, Index k, Rng& rng) -> Grassmann {
  if (k < 1 || k > n || (N != Eigen::Dynamic && n != N) || (K != Eigen::Dynamic && k != K))
    throw DimensionMismatch(detail::message("subspace::Grassmann::random: need 1 <= k <= n ",
                                            "matching the compile-time sizes, got n = ", n,
                                            ", k = ", k));
  Basis g(n, k);
  detail::fill_gaussian(g, rng);
  Grassmann x;
  x.u_.resize(n, k);
  detail::orthonormalize_qr(g, x.u_);
  return x;
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Grassmann<Scalar_, N, K>::project(const Eigen::MatrixBase<Derived>& g_arg) const -> Tangent {
  const auto& g = detail::evaluated(g_arg);
  check_tangent_shape(g, "subspace::Grassmann::project");
  detail::require_finite(g, "subspace::Grassmann::project", "G");
  Small c(dim(), dim());
  c.noalias() = u_.transpose() * g;
  Tangent d = g;
  d.noalias() -= u_ * c;
  return d;
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Grassmann<Scalar_, N, K>::exp(const Eigen::MatrixBase<Derived>& d_arg) const -> Grassmann {
  const auto& d = detail::evaluated(d_arg);
  check_tangent_shape(d, "subspace::Grassmann::exp");
  detail::require_finite(d, "subspace::Grassmann::exp", "D");
  const Index n = ambient_dim(), k = dim();
  Grassmann out;
  out.u_.resize(n, k);
  if (k == 0) return out;
  Tangent y(n, k);
  // |D|_2 <= 2: exp_U(D) = U cos(sqrt(G)) + D sinc(sqrt(G)), G = D^T D. Entries of D below
  // ~1e-154 underflow in G, harmlessly: cos and sinc are 1 to rounding there.
  constexpr Scalar kGramLimit = 4;  // on |D|_2^2 = lambda_max(G)
  Small g(k, k);
  g.noalias() = d.transpose() * d;  // tr(G) = |D|_F^2 >= lambda_max(G) >= tr(G) / k
  if (g.trace() <= Scalar(k) * kGramLimit) {
    const Eigen::SelfAdjointEigenSolver<Small> es(g);
    if (es.info() == Eigen::Success && es.eigenvalues()(k - 1) <= kGramLimit) {
      Angles cs(k), sc(k);
      for (Index i = 0; i < k; ++i) {
        const Scalar s = std::sqrt(std::max(es.eigenvalues()(i), Scalar(0)));
        cs(i) = std::cos(s);
        sc(i) = s > Scalar(0) ? std::sin(s) / s : Scalar(1);
      }
      Small fc(k, k), fs(k, k);
      fc.noalias() = es.eigenvectors() * cs.asDiagonal() * es.eigenvectors().transpose();
      fs.noalias() = es.eigenvectors() * sc.asDiagonal() * es.eigenvectors().transpose();
      y.noalias() = u_ * fc;
      y.noalias() += d * fs;
      // Y^T Y = I + E with E at rounding level for a tangent D: the polar factor
      // Y (I + E)^{-1/2} = Y (I - E/2) + O(|E|_2^2) (one Newton-Schulz step), exact to rounding
      // when |E|_F <= sqrt(eps); otherwise (D not quite tangent) the full polar factor.
      fc.noalias() = y.transpose() * y;
      fc.diagonal().array() -= Scalar(1);
      if (fc.norm() <= std::sqrt(Tolerance<Scalar>::epsilon())) {
        fs.setIdentity();
        fs.noalias() -= Scalar(0.5) * fc;
        out.u_.noalias() = y * fs;
      } else {
        detail::orthonormalize_polar<Tangent, Small>(y, out.u_);
      }
      return out;
    }
  }
  Tangent q;
  Small v;
  Angles s;
  tangent_svd(d, q, s, v);
  y.noalias() = u_ * (v * s.array().cos().matrix().asDiagonal());
  y.noalias() += q * s.array().sin().matrix().asDiagonal();
  Tangent yv(n, k);
  yv.noalias() = y * v.transpose();
  detail::orthonormalize_qr(yv, out.u_);
  return out;
}

template <class Scalar_, int N, int K>
auto Grassmann<Scalar_, N, K>::log(const Grassmann& y) const -> Tangent {
  check_same_shape(y, "subspace::Grassmann::log");
  Small a;
  Tangent p;
  Angles theta;
  aligned_angles(y, a, p, theta);
  for (Index i = 0; i < dim(); ++i) {
    const Scalar sn = p.col(i).norm();
    p.col(i) *= sn > Scalar(0) ? theta(i) / sn : Scalar(1);
  }
  Tangent d(ambient_dim(), dim());
  d.noalias() = p * a.transpose();
  return d;
}

template <class Scalar_, int N, int K>
auto Grassmann<Scalar_, N, K>::distance(const Grassmann& y) const -> Scalar {
  check_same_shape(y, "subspace::Grassmann::distance");
  Small a;
  Tangent p;
  Angles theta;
  aligned_angles(y, a, p, theta);
  return theta.norm();
}

template <class Scalar_, int N, int K>
auto Grassmann<Scalar_, N, K>::geodesic(const Grassmann& y, Scalar t) const -> Grassmann {
  const Tangent d = log(y);
  return exp(t * d);
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Grassmann<Scalar_, N, K>::retract(const Eigen::MatrixBase<Derived>& d_arg,
                                       Retraction kind) const -> Grassmann {
  const auto& d = detail::evaluated(d_arg);
  check_tangent_shape(d, "subspace::Grassmann::retract");
  detail::require_finite(d, "subspace::Grassmann::retract", "D");
  detail::require_enum(kind, Retraction::QR, Retraction::Cayley, "subspace::Grassmann::retract",
                       "kind");
  if (kind == Retraction::Exp) return exp(d);
  if (kind == Retraction::Cayley)
    throw InvalidParameter("subspace::Grassmann::retract: the Cayley retraction is for Stiefel");
  Tangent a = u_ + d;
  Grassmann out;
  out.u_.resize(ambient_dim(), dim());
  if (kind == Retraction::QR)
    detail::orthonormalize_qr(a, out.u_);
  else
    detail::orthonormalize_polar<Tangent, Small>(a, out.u_);
  return out;
}

template <class Scalar_, int N, int K>
auto Grassmann<Scalar_, N, K>::inverse_retract(const Grassmann& y, Retraction kind) const
    -> Tangent {
  check_same_shape(y, "subspace::Grassmann::inverse_retract");
  if (kind == Retraction::Cayley)
    throw InvalidParameter(
        "subspace::Grassmann::inverse_retract: the Cayley retraction is for Stiefel");
  detail::require_enum(kind, Retraction::QR, Retraction::Exp,
                       "subspace::Grassmann::inverse_retract", "kind");
  if (kind == Retraction::Exp) return log(y);
  Small m(dim(), dim());
  m.noalias() = u_.transpose() * y.u_;
  Eigen::JacobiSVD<Small> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  detail::require_svd_ok(svd, "subspace::Grassmann");
  const Angles s = svd.singularValues();
  if (!(s(dim() - 1) > Scalar(dim()) * Tolerance<Scalar>::epsilon()))
    throw OutsideDomain(
        detail::message("subspace::Grassmann::inverse_retract: U^T Y is singular (smallest cosine ",
                        s(dim() - 1), "): Y is at the cut locus, where no tangent retracts to it"));
  Small minv = svd.matrixV() * s.cwiseInverse().asDiagonal() * svd.matrixU().transpose();
  Tangent d(ambient_dim(), dim());
  d.noalias() = y.u_ * minv;
  d -= u_;
  return d;
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Grassmann<Scalar_, N, K>::transport(const Eigen::MatrixBase<Derived>& xi_arg,
                                         const Grassmann& y) const -> Tangent {
  const auto& xi = detail::evaluated(xi_arg);
  check_same_shape(y, "subspace::Grassmann::transport");
  return y.project(xi);
}

template <class Scalar_, int N, int K>
template <class DD, class DX>
auto Grassmann<Scalar_, N, K>::parallel_transport(const Eigen::MatrixBase<DD>& d_arg,
                                                  const Eigen::MatrixBase<DX>& xi_arg,
                                                  Scalar t) const -> Tangent {
  const auto& d = detail::evaluated(d_arg);
  const auto& xi = detail::evaluated(xi_arg);
  check_tangent_shape(d, "subspace::Grassmann::parallel_transport");
  check_tangent_shape(xi, "subspace::Grassmann::parallel_transport");
  detail::require_finite(d, "subspace::Grassmann::parallel_transport", "D");
  detail::require_finite(xi, "subspace::Grassmann::parallel_transport", "xi");
  if (!std::isfinite(t))
    throw NonFiniteInput(detail::message("subspace::Grassmann::parallel_transport: t is ", t));
  Tangent q;
  Small v;
  Angles s;
  tangent_svd(d, q, s, v);
  Small qx(dim(), dim());
  qx.noalias() = q.transpose() * xi;
  Tangent out = xi;
  out.noalias() -= q * qx;
  Small c1 = (s * t).array().cos().matrix().asDiagonal() * qx;
  out.noalias() += q * c1;
  Small c2 = v * ((s * t).array().sin().matrix().asDiagonal() * qx);
  out.noalias() -= u_ * c2;
  return out;
}

template <class Scalar_, int N, int K>
auto Grassmann<Scalar_, N, K>::karcher_mean(const std::vector<Grassmann>& points,
                                            const std::vector<Scalar>& weights,
                                            const KarcherOptions& options)
    -> KarcherResult<Grassmann> {
  constexpr const char* func = "subspace::Grassmann::karcher_mean";
  if (points.empty()) throw InvalidParameter(detail::message(func, ": no points"));
  if (!weights.empty() && weights.size() != points.size())
    throw InvalidParameter(
        detail::message(func, ": ", weights.size(), " weights for ", points.size(), " points"));
  std::vector<Scalar> w = weights.empty() ? std::vector<Scalar>(points.size(), Scalar(1)) : weights;
  Scalar total = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!(w[i] >= Scalar(0)) || !std::isfinite(static_cast<double>(w[i])))
      throw InvalidParameter(detail::message(func, ": weight ", i, " is ", w[i]));
    points[i].check_same_shape(points[0], func);
    total += w[i];
    if (w[i] > w[start]) start = i;
  }
  if (!(total > Scalar(0))) throw InvalidParameter(detail::message(func, ": weights sum to 0"));
  const double tol = options.gradient_tolerance >= 0
                         ? options.gradient_tolerance
                         : 1000.0 * static_cast<double>(Tolerance<Scalar>::epsilon()) *
                               std::sqrt(static_cast<double>(points[0].dim()));
  KarcherResult<Grassmann> res{points[start], 0, 0.0, false};
  double best = std::numeric_limits<double>::infinity();
  int stalls = 0;
  for (int it = 0; it < options.max_iterations; ++it) {
    Tangent g = Tangent::Zero(res.mean.ambient_dim(), res.mean.dim());
    for (std::size_t i = 0; i < points.size(); ++i)
      if (w[i] > Scalar(0)) g += (w[i] / total) * res.mean.log(points[i]);
    res.gradient_norm = static_cast<double>(g.norm());
    res.iterations = it;
    if (res.gradient_norm <= tol) {
      res.converged = true;
      return res;
    }
    if (res.gradient_norm < best) {
      best = res.gradient_norm;
      stalls = 0;
    } else if (++stalls >= 3) {
      return res;
    }
    res.mean = res.mean.exp(g);
    res.iterations = it + 1;
  }
  return res;
}

template <class Scalar_, int N, int K>
template <class Derived>
auto Grassmann<Scalar_, N, K>::tangent_svd(const Eigen::MatrixBase<Derived>& d, Tangent& q,
                                           Angles& s, Small& v) const -> void {
  const Index n = ambient_dim(), k = dim();
  // D = (D c) / c: the QR of c D cannot overflow; the singular values are rescaled below,
  // and a D whose norm is not representable is refused rather than turned into NaN.
  const Scalar c = detail::unit_scale(d);
  Eigen::HouseholderQR<Tangent> qr(n, k);
  detail::compute_scaled(qr, d, c);
  Tangent qd(n, k);
  qd.setIdentity(n, k);
  detail::apply_householder_q(qr, qd);
  Small r = qr.matrixQR().topRows(k).template triangularView<Eigen::Upper>();
  Eigen::JacobiSVD<Small> svd(r, Eigen::ComputeFullU | Eigen::ComputeFullV);
  detail::require_svd_ok(svd, "subspace::Grassmann");
  q.resize(n, k);
  q.noalias() = qd * svd.matrixU();
  s = svd.singularValues();
  if (c != Scalar(1)) s /= c;
  if (!s.allFinite())
    throw NonFiniteInput(
        "subspace::Grassmann: the tangent vector's norm overflows the scalar type");
  v = svd.matrixV();
}

template <class Scalar_, int N, int K>
auto Grassmann<Scalar_, N, K>::aligned_angles(const Grassmann& y, Small& a, Tangent& p,
                                              Angles& theta) const -> void {
  Small m(dim(), dim());
  m.noalias() = u_.transpose() * y.u_;
  Eigen::JacobiSVD<Small> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  detail::require_svd_ok(svd, "subspace::Grassmann");
  a = svd.matrixU();
  p.resize(ambient_dim(), dim());
  p.noalias() = y.u_ * svd.matrixV();
  Small mb(dim(), dim());
  mb.noalias() = m * svd.matrixV();
  p.noalias() -= u_ * mb;
  theta.resize(dim());
  for (Index i = 0; i < dim(); ++i)
    theta(i) = std::atan2(p.col(i).norm(), std::min(Scalar(1), svd.singularValues()(i)));
}
/// \endcond

/// A point of Gr(k, n) of dynamic size in double precision.
using Grassmannd = Grassmann<double>;
/// A point of Gr(k, n) of dynamic size in single precision.
using Grassmannf = Grassmann<float>;

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_GRASSMANN_TEMPLATES(P, S)                                                         \
  P subspace::Grassmann<S> subspace::Grassmann<S>::random(subspace::Index, subspace::Index,        \
                                                          std::mt19937_64&);                       \
  P class subspace::Grassmann<S>;                                                                  \
  P subspace::Grassmann<S>::Grassmann(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);                 \
  P subspace::Grassmann<S> subspace::Grassmann<S>::from_orthonormal(                               \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);                                                 \
  P SUBSPACE_MATX(S) subspace::Grassmann<S>::project(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&)   \
      const;                                                                                       \
  P subspace::Grassmann<S> subspace::Grassmann<S>::exp(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) \
      const;                                                                                       \
  P subspace::Grassmann<S> subspace::Grassmann<S>::retract(                                        \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, subspace::Retraction) const;                     \
  P SUBSPACE_MATX(S) subspace::Grassmann<S>::transport(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, \
                                                       const subspace::Grassmann<S>&) const;       \
  P SUBSPACE_MATX(S) subspace::Grassmann<S>::parallel_transport(                                   \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, S)   \
      const;
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_GRASSMANN_TEMPLATES(extern template, double)
SUBSPACE_GRASSMANN_TEMPLATES(extern template, float)
#endif
