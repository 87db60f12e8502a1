// SPDX-License-Identifier: MIT
// basis.hpp: orthonormal bases of a column span (QR, column-pivoted QR, SVD with rank rules),
// orthogonal complements and null spaces.
//
// Conventions. A k-dimensional subspace of R^n is represented by an orthonormal n x k matrix U
// (U^T U = I to within Tolerance<Scalar>::orthonormality(n)). Matrices whose span is wanted
// hold the spanning vectors as columns.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

#include "config.hpp"
#include "detail/checks.hpp"
#include "detail/cholesky_qr.hpp"
#include "detail/householder.hpp"
#include "detail/thin_svd.hpp"
#include "traits.hpp"

namespace subspace {

/// \addtogroup basics
/// @{

/// How many leading singular directions of a matrix to keep.
///
/// * `RankRule::automatic()`: numerical rank, sigma_i > sigma_1 * max(m, n) * eps.
/// * `RankRule::tolerance(r)`: sigma_i > r * sigma_1 (relative tolerance, r >= 0).
/// * `RankRule::fixed(k)`: exactly k; throws RankDeficient if sigma_k is below the automatic
///   tolerance (the k-th direction would not be determined by the data).
/// * `RankRule::energy(f)`: the smallest k with sum_{i<=k} sigma_i^2 >= f * sum_i sigma_i^2,
///   0 < f <= 1 (the criterion of PCA "explained variance" and of gradient projection memory,
///   Saha et al. 2021), never more than the numerical rank.
class RankRule {
 public:
  /// Which of the four rules (see the class description); value() or k() holds its parameter.
  enum class Kind { Automatic, Tolerance, Fixed, Energy };

  /// Numerical rank: sigma_i > sigma_1 * max(m, n) * eps.
  static RankRule automatic() { return RankRule(Kind::Automatic, 0.0, 0); }
  /// sigma_i > relative * sigma_1. Throws InvalidParameter unless relative is finite and >= 0.
  static RankRule tolerance(double relative) {
    if (!(relative >= 0.0) || !std::isfinite(relative))
      throw InvalidParameter(detail::message(
          "RankRule::tolerance: tolerance must be finite and >= 0, got ", relative));
    return RankRule(Kind::Tolerance, relative, 0);
  }
  /// Exactly k directions (RankDeficient at use if sigma_k is numerically zero). Throws
  /// InvalidParameter for k < 0.
  static RankRule fixed(Index k) {
    if (k < 0) throw InvalidParameter(detail::message("RankRule::fixed: k must be >= 0, got ", k));
    return RankRule(Kind::Fixed, 0.0, k);
  }
  /// Smallest k whose sigma_i^2 sum to `fraction` of the total, capped at the numerical rank.
  /// Throws InvalidParameter unless 0 < fraction <= 1.
  static RankRule energy(double fraction) {
    if (!(fraction > 0.0 && fraction <= 1.0))
      throw InvalidParameter(
          detail::message("RankRule::energy: fraction must be in (0, 1], got ", fraction));
    return RankRule(Kind::Energy, fraction, 0);
  }

  /// Which rule this is.
  Kind kind() const { return kind_; }
  /// The relative tolerance (Tolerance) or energy fraction (Energy); 0 otherwise.
  double value() const { return value_; }
  /// The fixed rank (Fixed); 0 otherwise.
  Index k() const { return k_; }

  /// The rank this rule selects from descending singular values `s` of an m x n matrix.
  /// Throws DimensionMismatch / RankDeficient for a fixed k that is not available.
  template <class Vector>
  Index select(const Vector& s, Index m, Index n, const char* func) const {
    using Real = typename Vector::Scalar;
    const Index p = s.size();
    const Real smax = p > 0 ? s(0) : Real(0);
    const Real auto_tol = smax * Tolerance<Real>::rank(m, n);
    auto count_above = [&](Real threshold) {
      Index r = 0;
      while (r < p && s(r) > threshold) ++r;
      return r;
    };
    const Index numerical_rank = count_above(auto_tol);
    switch (kind_) {
      case Kind::Automatic:
        return numerical_rank;
      case Kind::Tolerance:
        return count_above(Real(value_) * smax);
      case Kind::Fixed:
        if (k_ > p)
          throw DimensionMismatch(detail::message(func, ": requested rank ", k_, " of a ",
                                                  detail::shape(m, n), " matrix"));
        if (k_ > numerical_rank)
          throw RankDeficient(detail::message(func, ": requested rank ", k_, " but the ",
                                              detail::shape(m, n), " matrix has numerical rank ",
                                              numerical_rank));
        return k_;
      case Kind::Energy: {
        // Accumulate (s_i / s_1)^2 from the largest value down: scale-free, so neither
        // 1e300 nor 1e-200 over- or underflows; the total is the same sum, so f = 1 reaches
        // it exactly.
        if (!(smax > Real(0))) return 0;
        const auto sq = [&](Index i) {
          const Real t = s(i) / smax;
          return t * t;
        };
        Real total = 0;
        for (Index i = 0; i < p; ++i) total += sq(i);
        const Real target = Real(value_) * total;
        Real acc = 0;
        Index r = 0;
        while (r < p && acc < target) {
          acc += sq(r);
          ++r;
        }
        return std::min(r, numerical_rank);
      }
    }
    return numerical_rank;  // unreachable
  }

 private:
  RankRule(Kind kind, double value, Index k) : kind_(kind), value_(value), k_(k) {}
  Kind kind_;
  double value_;
  Index k_;
};

/// An orthonormal basis with the singular values it was selected from.
template <class Scalar>
struct BasisResult {
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> basis;  ///< n x rank, orthonormal
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> singular_values;     ///< all min(m, n), descending
  Index rank = 0;                                               ///< == basis.cols()
};

namespace detail {

/// Thin Q (n x k) of a Householder QR and the signs that make diag(R) >= 0 (0 maps to +).
template <class QR, class Out>
void thin_q_nonnegative_diagonal(const QR& qr, Index k, Out& q) {
  using Scalar = typename Out::Scalar;
  const Index n = qr.rows();
  q.setIdentity(n, k);
  apply_householder_q(qr, q);
  for (Index j = 0; j < k; ++j)
    if (qr.matrixQR()(j, j) < Scalar(0)) q.col(j) = -q.col(j);
}

}  // namespace detail

/// Orthonormal basis Q (n x k) of the span of the k linearly independent columns of A
/// (n x k, k <= n), by Householder QR: A = Q R with diag(R) >= 0, which makes Q unique, so
/// the result is deterministic and continuous in A. Q spans the same nested subspaces as
/// Gram-Schmidt: span(q_1..q_j) = span(a_1..a_j).
///
/// Throws DimensionMismatch (k > n or empty), NonFiniteInput, RankDeficient when
/// min|R_jj| <= rtol * max|R_jj| (default rtol = max(n, k) eps). Non-pivoted QR does not
/// reveal every near rank deficiency: use `pivoted_qr_basis` or `svd_basis` when the rank is
/// not known. Fixed-size inputs do not allocate. Cost: 2 n k^2 - 2/3 k^3 flops for R plus
/// 2 n k^2 for Q. Tall inputs of dynamic rows and columns (n >= 4 k, k >= 8) that are
/// well-conditioned (cond(A) below about eps^{-1/2}, detected) take Cholesky QR2 instead, which
/// computes the same Q with the same backward error in two SYRKs and two TRSMs at GEMM speed
/// (Yamamoto et al. 2015); the others take Householder.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Derived::RowsAtCompileTime, Derived::ColsAtCompileTime, 0,
              Derived::MaxRowsAtCompileTime, Derived::MaxColsAtCompileTime>
qr_basis(const Eigen::MatrixBase<Derived>& a_arg, typename Derived::RealScalar rtol = -1) {
  const auto& a = detail::evaluated(a_arg);
  using Scalar = typename Derived::Scalar;
  using Real = typename Derived::RealScalar;
  using Plain = Eigen::Matrix<Scalar, Derived::RowsAtCompileTime, Derived::ColsAtCompileTime, 0,
                              Derived::MaxRowsAtCompileTime, Derived::MaxColsAtCompileTime>;
  constexpr const char* func = "subspace::qr_basis";
  detail::require_nonempty(a, func, "A");
  if (a.cols() > a.rows())
    throw DimensionMismatch(detail::message(func, ": A is ", detail::shape(a.rows(), a.cols()),
                                            "; k linearly independent columns need k <= n"));
  detail::require_finite(a, func, "A");
  rtol = detail::resolve_tolerance(rtol, Tolerance<Real>::rank(a.rows(), a.cols()), func);
  // Factor c A (c a power of two, 1 unless A's scale is extreme): same Q, no under/overflow.
  const Real c = detail::unit_scale(a);
  auto rank_deficient = [&](Real lo, Real hi) {
    return RankDeficient(detail::message(
        func, ": the columns of A (", detail::shape(a.rows(), a.cols()),
        ") are linearly dependent: min|R_jj| / max|R_jj| = ", lo / hi, " <= ", rtol));
  };
  if constexpr (Plain::RowsAtCompileTime == Eigen::Dynamic &&
                Plain::ColsAtCompileTime == Eigen::Dynamic) {
    // Well-conditioned tall input: Cholesky QR2, the same Q at GEMM speed (detail/cholesky_qr).
    if (detail::cholesky_qr2_pays(a.rows(), a.cols())) {
      Plain q, r;
      if (detail::cholesky_qr2(a, c, q, r)) {
        const auto d = r.diagonal();
        if (!(d.minCoeff() > rtol * d.maxCoeff())) throw rank_deficient(d.minCoeff(), d.maxCoeff());
        return q;
      }
    }
  }
  Eigen::HouseholderQR<Plain> qr(a.rows(), a.cols());
  detail::compute_scaled(qr, a, c);
  const auto diag = qr.matrixQR().diagonal().cwiseAbs();
  if (!(diag.minCoeff() > rtol * diag.maxCoeff()))
    throw rank_deficient(diag.minCoeff(), diag.maxCoeff());
  Plain q(a.rows(), a.cols());
  detail::thin_q_nonnegative_diagonal(qr, a.cols(), q);
  return q;
}

/// Rank-revealing orthonormal basis of span(A) (A is n x m) by column-pivoted Householder QR
/// (Businger & Golub 1965): A P = Q R; the rank r is the number of |R_ii| > rtol * |R_11|
/// (default rtol = max(n, m) eps) and the first r columns of Q (signs with diag(R) >= 0) are
/// returned, n x r. Faster than `svd_basis` (about 4 n m r flops), reliable on all but
/// contrived inputs (Kahan's matrix); use `svd_basis` when the rank must be certain. A zero
/// matrix gives an n x 0 basis. Throws NonFiniteInput.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> pivoted_qr_basis(
    const Eigen::MatrixBase<Derived>& a_arg, typename Derived::RealScalar rtol = -1) {
  const auto& a = detail::evaluated(a_arg);
  using Scalar = typename Derived::Scalar;
  using Real = typename Derived::RealScalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  constexpr const char* func = "subspace::pivoted_qr_basis";
  detail::require_finite(a, func, "A");
  rtol = detail::resolve_tolerance(rtol, Tolerance<Real>::rank(a.rows(), a.cols()), func);
  if (a.size() == 0) return Mat(a.rows(), 0);
  const Real c = detail::unit_scale(a);  // as in qr_basis
  Eigen::ColPivHouseholderQR<Mat> qr(a.rows(), a.cols());
  detail::compute_scaled(qr, a, c);
  const auto diag = qr.matrixQR().diagonal().cwiseAbs();
  const Real r11 = diag.size() > 0 ? diag(0) : Real(0);
  Index r = 0;
  while (r < diag.size() && diag(r) > rtol * r11) ++r;
  Mat q(a.rows(), r);
  detail::thin_q_nonnegative_diagonal(qr, r, q);
  return q;
}

/// Orthonormal basis of span(A) (A is n x m) from the thin SVD A = U S V^T: the first r left
/// singular vectors, r chosen by `rule` (see RankRule), with all min(n, m) singular values
/// reported. The basis spans the best rank-r approximation of A's range (Eckart-Young).
/// Uses Eigen's BDCSVD (divide and conquer; Jacobi below 16 columns), or LAPACK's gesdd (the
/// same algorithm class) on the BLAS/LAPACKE backend (detail/thin_svd.hpp). For a tall A (n >= 2 m)
/// it first factors A = Q R (Householder) and takes the SVD of the m x m factor R, U = Q U_R;
/// for a wide A (m >= 2 n), A^T = Q R and U = U of R^T (Q never formed): the reduction LAPACK's
/// gesdd makes for such shapes (Golub & Van Loan, 4th ed., Sec. 8.6.3, "R-SVD"), about half
/// the flops of bidiagonalising A itself and backward stable like it (the singular values are
/// those of A + dA, |dA| = O(eps |A|)). A tall, well-conditioned A (cond below about
/// eps^{-1/2}, detected; k >= 8) is factored by Cholesky QR2 instead of Householder, with the
/// same backward error at GEMM speed (see qr_basis). Cost about 2 n m min(n, m) + 2 n m r +
/// O(min(n, m)^3).
/// Throws NonFiniteInput, and what `rule` throws.
template <class Derived>
BasisResult<typename Derived::Scalar> svd_basis(const Eigen::MatrixBase<Derived>& a_arg,
                                                const RankRule& rule = RankRule::automatic()) {
  const auto& a = detail::evaluated(a_arg);
  using Scalar = typename Derived::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  constexpr const char* func = "subspace::svd_basis";
  detail::require_finite(a, func, "A");
  BasisResult<Scalar> out;
  if (a.size() == 0) {
    out.basis.resize(a.rows(), 0);
    if (rule.kind() == RankRule::Kind::Fixed && rule.k() > 0)
      throw DimensionMismatch(detail::message(func, ": requested rank ", rule.k(), " of an empty ",
                                              detail::shape(a.rows(), a.cols()), " matrix"));
    return out;
  }
  const Index n = a.rows(), m = a.cols();
  if (n < 2 * m && m < 2 * n) {  // near square: bidiagonalise A itself
    auto svd = detail::thin_svd(Mat(a), true, false, func);
    out.singular_values = std::move(svd.s);
    out.rank = rule.select(out.singular_values, n, m, func);
    out.basis = svd.u.leftCols(out.rank);
    return out;
  }
  // Factor c A (c a power of two, 1 unless A's scale is extreme, as in qr_basis): Householder
  // norms neither under- nor overflow; the singular values are divided by c again (exactly).
  using Real = typename Derived::RealScalar;
  const Real c = detail::unit_scale(a);
  const bool tall = n >= 2 * m;
  auto select = [&](const Mat& r) {  // the SVD of the small factor, the rank; returns U of R
    auto svd = detail::thin_svd(r, true, false, func);
    out.singular_values = std::move(svd.s);
    if (c != Real(1)) out.singular_values /= c;
    out.rank = rule.select(out.singular_values, n, m, func);
    return std::move(svd.u);
  };
  if (tall && detail::cholesky_qr2_pays(n, m)) {
    // Well-conditioned input: A = Q R by Cholesky QR2 at GEMM speed (detail/cholesky_qr), the
    // same backward error as Householder; otherwise Householder below.
    Mat q, r;
    if (detail::cholesky_qr2(a, c, q, r)) {
      const Mat ur = select(r);
      out.basis.resize(n, out.rank);
      out.basis.noalias() = q * ur.leftCols(out.rank);
      return out;
    }
  }
  Eigen::HouseholderQR<Mat> qr(tall ? n : m, tall ? m : n);
  if (tall)
    detail::compute_scaled(qr, a, c);
  else
    detail::compute_scaled(qr, a.transpose(), c);
  const Index p = std::min(n, m);
  Mat r = qr.matrixQR().topRows(p).template triangularView<Eigen::Upper>();
  if (!tall) r.transposeInPlace();  // A = R^T Q^T: A's left singular vectors are R^T's
  const Mat ur = select(r);
  if (tall) {
    out.basis.setZero(n, out.rank);
    out.basis.topRows(p) = ur.leftCols(out.rank);
    detail::apply_householder_q(qr, out.basis);
  } else {
    out.basis = ur.leftCols(out.rank);
  }
  return out;
}

/// Orthonormal basis of span(A) (n x r) with the numerical rank r found by the default
/// tolerance (sigma_i > sigma_1 max(n, m) eps), by SVD: the robust default. For a rank rule,
/// or to see the singular values, call `svd_basis`.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> orthonormal_basis(
    const Eigen::MatrixBase<Derived>& a) {
  return svd_basis(a, RankRule::automatic()).basis;
}

/// Orthonormal basis of span(A) with the rank chosen by `rule`; see `svd_basis`.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> orthonormal_basis(
    const Eigen::MatrixBase<Derived>& a, const RankRule& rule) {
  return svd_basis(a, rule).basis;
}

/// Orthonormal basis (n x (n - k)) of the orthogonal complement of span(U), for an
/// orthonormal n x k basis U (checked, O(n k^2)). Computed from the Householder reflectors of
/// U: columns k..n-1 of the full Q, never an n x n projector; cost about 4 n k (n - k) flops.
/// k = n gives an n x 0 matrix. Throws DimensionMismatch, NonFiniteInput, NotOrthonormal.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> complement(
    const Eigen::MatrixBase<Derived>& u_arg) {
  const auto& u = detail::evaluated(u_arg);
  using Scalar = typename Derived::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  detail::require_basis(u, "subspace::complement", "U");
  const Index n = u.rows(), k = u.cols();
  if (k == n) return Mat(n, 0);  // span(U) is everything: no QR to compute
  Eigen::HouseholderQR<Mat> qr(u);
  Mat c = Mat::Zero(n, n - k);
  c.bottomRows(n - k).setIdentity();
  detail::apply_householder_q(qr, c);
  return c;
}

/// Orthonormal basis of the null space {x : A x = 0} of A (m x n), as an n x (n - r) matrix:
/// the right singular vectors beyond the rank r that `rule` selects (default: numerical rank).
/// Cost O(m n min(m, n) + n^3) (full V). Throws NonFiniteInput, and what `rule` throws.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> null_space(
    const Eigen::MatrixBase<Derived>& a_arg, const RankRule& rule = RankRule::automatic()) {
  const auto& a = detail::evaluated(a_arg);
  using Scalar = typename Derived::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  constexpr const char* func = "subspace::null_space";
  detail::require_finite(a, func, "A");
  const Index n = a.cols();
  if (a.rows() == 0) return Mat::Identity(n, n);
  if (n == 0) return Mat(0, 0);
  Eigen::BDCSVD<Mat> svd(a, Eigen::ComputeFullV);
  detail::require_svd_ok(svd, "subspace::null_space");
  const Index r = rule.select(svd.singularValues(), a.rows(), a.cols(), func);
  return svd.matrixV().rightCols(n - r);
}

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_BASIS_TEMPLATES(P, S)                                                          \
  P SUBSPACE_MATX(S) subspace::qr_basis(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, S);         \
  P SUBSPACE_MATX(S) subspace::pivoted_qr_basis(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, S); \
  P subspace::BasisResult<S> subspace::svd_basis(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,    \
                                                 const subspace::RankRule&);                    \
  P SUBSPACE_MATX(S) subspace::orthonormal_basis(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);   \
  P SUBSPACE_MATX(S) subspace::orthonormal_basis(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,    \
                                                 const subspace::RankRule&);                    \
  P SUBSPACE_MATX(S) subspace::complement(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);          \
  P SUBSPACE_MATX(S)                                                                            \
      subspace::null_space(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, const subspace::RankRule&);
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_BASIS_TEMPLATES(extern template, double)
SUBSPACE_BASIS_TEMPLATES(extern template, float)
#endif
