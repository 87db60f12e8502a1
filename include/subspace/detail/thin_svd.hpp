// SPDX-License-Identifier: MIT
// detail/thin_svd.hpp: the thin SVD of the divide-and-conquer class, on Eigen or on LAPACK.
#pragma once

#include <Eigen/Core>
#include <Eigen/SVD>
#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "../config.hpp"
#include "../traits.hpp"
#include "checks.hpp"

namespace subspace::detail {

/// A = U diag(s) V^T, thin (U is m x p, V is n x p, p = min(m, n)), s descending.
template <class Mat>
struct ThinSvd {
  Eigen::Matrix<typename Mat::Scalar, Eigen::Dynamic, 1> s;
  Mat u, v;
};

/// The thin SVD of a dynamic-size float or double matrix, U and V when asked: Golub-Kahan
/// bidiagonalization and divide and conquer (Gu & Eisenstat 1995), backward stable with
/// singular values to eps |A|_2 absolutely. Eigen's BDCSVD by default; with the BLAS/LAPACKE
/// backend (EIGEN_USE_LAPACKE, which Eigen does not apply to BDCSVD) LAPACK's ?gesdd, the same
/// algorithm class, which on this VM factors a 32 x 32 matrix in a fraction of the time
/// BDCSVD's Jacobi leaves take. Not for callers that need the relative accuracy of small
/// singular values (those use JacobiSVD). Throws NonFiniteInput (as require_svd_ok) when the
/// iteration fails; `func` names the caller.
template <class Mat>
ThinSvd<Mat> thin_svd(const Mat& a, bool want_u, bool want_v, const char* func) {
  static_assert(Mat::RowsAtCompileTime == Eigen::Dynamic &&
                    Mat::ColsAtCompileTime == Eigen::Dynamic && !Mat::IsRowMajor,
                "thin_svd: a dynamic, column-major matrix");
  ThinSvd<Mat> out;
  const Index m = a.rows(), n = a.cols(), p = std::min(m, n);
  if (p == 0) {
    out.s.resize(0);
    out.u.resize(m, 0);
    out.v.resize(n, 0);
    return out;
  }
#if defined(EIGEN_USE_LAPACKE)
  using Scalar = typename Mat::Scalar;
  if constexpr (std::is_same<Scalar, double>::value || std::is_same<Scalar, float>::value) {
    // gesdd's sizes and its workspace (about 4 p^2 + 7 p beyond m n) are lapack_int: sizes whose
    // workspace would not fit take BDCSVD below.
    constexpr double kIntMax = 2147483647.0;
    const bool fits =
        double(m) * double(n) + 4.0 * double(p) * double(p) + 8.0 * double(m + n) < kIntMax;
    if (fits) {
      out.s.resize(p);
      Mat work = a;  // gesdd overwrites its input
      const bool vectors = want_u || want_v;
      Mat u(vectors ? m : 1, vectors ? p : 1), vt(vectors ? p : 1, vectors ? n : 1);
      const char jobz = vectors ? 'S' : 'N';
      lapack_int info;
      if constexpr (std::is_same<Scalar, double>::value)
        info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, jobz, lapack_int(m), lapack_int(n), work.data(),
                              lapack_int(m), out.s.data(), u.data(), lapack_int(u.rows()),
                              vt.data(), lapack_int(vt.rows()));
      else
        info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, jobz, lapack_int(m), lapack_int(n), work.data(),
                              lapack_int(m), out.s.data(), u.data(), lapack_int(u.rows()),
                              vt.data(), lapack_int(vt.rows()));
      if (info < 0)  // a bad argument: a bug of ours, not of the input
        throw std::logic_error(message(func, ": LAPACKE ?gesdd rejected argument ", -info));
      if (info > 0 || !out.s.allFinite())
        throw NonFiniteInput(message(func, ": NaN or Inf reached an internal SVD"));
      if (want_u) out.u = std::move(u);
      if (want_v) out.v = vt.transpose();
      return out;
    }
  }
#endif
  int opts = 0;
  if (want_u) opts |= Eigen::ComputeThinU;
  if (want_v) opts |= Eigen::ComputeThinV;
  Eigen::BDCSVD<Mat> svd(a, opts);
  require_svd_ok(svd, func);
  out.s = svd.singularValues();
  if (want_u) out.u = svd.matrixU();
  if (want_v) out.v = svd.matrixV();
  return out;
}

}  // namespace subspace::detail
