// SPDX-License-Identifier: MIT
// detail/cholesky_qr.hpp: Cholesky QR2, the GEMM-speed thin QR of a well-conditioned tall matrix.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cmath>

#include "../traits.hpp"

namespace subspace::detail {

/// Whether `cholesky_qr2` is worth trying on an n x k input of dynamic size (fixed sizes stay on
/// Householder, which allocates nothing): tall (n >= 4 k) and k >= 8, where Householder QR's
/// panels are bound by matrix-vector products (measured at 1024 x 32: 0.43 ms Householder with
/// Q formed, 0.21 ms Cholesky QR2).
inline bool cholesky_qr2_pays(Index n, Index k) { return k >= 8 && n >= 4 * k; }

/// One Cholesky QR step in place: g <- q^T q (lower triangle), R^T R = g, q <- q R^{-1}, with R
/// left in `llt`. Returns false, before q is written, when the factorization fails or is not
/// finite, or when `accept(g, llt)` (the caller's conditioning test) says no.
template <class Mat, class Accept>
bool cholesky_qr_step(Mat& q, Mat& g, Eigen::LLT<Mat>& llt, Accept&& accept) {
  g.setZero(q.cols(), q.cols());
  g.template selfadjointView<Eigen::Lower>().rankUpdate(q.transpose());
  llt.compute(g);
  if (llt.info() != Eigen::Success || !llt.matrixLLT().diagonal().allFinite() || !accept(g, llt))
    return false;
  llt.matrixU().template solveInPlace<Eigen::OnTheRight>(q);
  return true;
}

/// Cholesky QR2 (Fukaya, Nakatsukasa, Yanagisawa & Yamamoto 2014; error analysis Yamamoto et
/// al., ETNA 2015): with R1^T R1 = A^T A (Cholesky), Q1 = A R1^{-1}, then the same on Q1,
/// A = Q R with Q = Q1 R2^{-1}, R = R2 R1 upper triangular with positive diagonal, so Q is
/// the Q of Householder QR with diag(R) >= 0. Two SYRKs and two TRSMs: 4 n k^2 flops at GEMM
/// speed. Backward stable, with Q orthonormal to O((n k + k^2) eps), when cond(A) is below
/// about eps^{-1/2}; beyond that the first Cholesky factor breaks down or Q1 is far from
/// orthonormal. Both are detected (a failed factorization, non-finite values, or a Q1^T Q1
/// whose Gershgorin discs leave [1/2, 3/2], which bounds cond(Q1) <= sqrt(3) so the second pass
/// is orthonormal to rounding)
/// and the function returns false, leaving q and r unspecified: the caller then runs
/// Householder QR. The factorization is of c a (c a power of two from unit_scale, so that
/// a^T a neither overflows nor underflows; the Q is the same and R is scaled by c).
template <class A, class Mat>
bool cholesky_qr2(const A& a, typename Mat::Scalar c, Mat& q, Mat& r) {
  static_assert(
      Mat::RowsAtCompileTime == Eigen::Dynamic && Mat::ColsAtCompileTime == Eigen::Dynamic,
      "cholesky_qr2: dynamic rows and columns (q is n x k, r and the Gram matrix k x k)");
  using Scalar = typename Mat::Scalar;
  const Index k = a.cols();
  q = a;
  if (c != Scalar(1)) q *= c;
  Mat g(k, k);
  Eigen::LLT<Mat> llt(k);
  auto any = [](const Mat&, const Eigen::LLT<Mat>&) { return true; };
  // Gershgorin: every row of |Q1^T Q1 - I| sums to <= 1/2 (g holds the lower triangle)
  auto near_identity = [k](const Mat& gram, const Eigen::LLT<Mat>&) {
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> rows =
        Eigen::Matrix<Scalar, Eigen::Dynamic, 1>::Zero(k);
    for (Index j = 0; j < k; ++j)
      for (Index i = j; i < k; ++i) {
        const Scalar e = std::abs(gram(i, j) - Scalar(i == j ? 1 : 0));
        rows(i) += e;
        if (i != j) rows(j) += e;
      }
    return rows.maxCoeff() <= Scalar(0.5);
  };
  if (!cholesky_qr_step(q, g, llt, any)) return false;
  r = llt.matrixU();
  if (!cholesky_qr_step(q, g, llt, near_identity)) return false;
  const Mat r2 = llt.matrixU();
  r = r2.template triangularView<Eigen::Upper>() * r;  // evaluated into a temporary first
  return q.allFinite();
}

}  // namespace subspace::detail
