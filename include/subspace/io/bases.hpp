// SPDX-License-Identifier: MIT
#pragma once
/// \file
/// Orthonormal bases trained elsewhere (PyTorch, NumPy) loaded from .npy files into a GcrHead or
/// a GradientProjectionMemory, with their invariants checked. Needs no library beyond npy.hpp.
/// In Python:
///
///     np.save("gcr.npy", head.bases.detach().cpu().numpy())    # C x d x k, as PyTorch holds it
///     np.save("gpm_layer0.npy", feature_mat[0])                  # d x m, as GPM's code holds it
///
/// then `subspace::io::read_gcr_head<float>("gcr.npy")` and
/// `subspace::io::read_gradient_projection_memory<float>("gpm_layer0.npy")`.
///
/// Precision: max|U^T U - I| of each basis is checked against Tolerance<float>::orthonormality(d)
/// when the file is float32 or Scalar is float, and against Tolerance<double> otherwise (a
/// float64 file read as double), so a float32 basis from PyTorch passes as float32 data. Read
/// into a wider Scalar (float32 file, double model) it is then re-orthonormalized by Householder
/// QR with a positive diagonal of R: the same span, vectors that move by at most about the
/// orthonormality error accepted (1e-7 for a basis orthonormal in float32, at most the tolerance
/// 3.5e-4), orthonormal to the Scalar's precision, as the model's invariant requires. A float64
/// file holding float32-accurate values (a float tensor upcast before saving) fails the double
/// check: save it as float32, or re-orthonormalize it in Python first.

#include <cmath>
#include <string>

#include "../config.hpp"
#include "../detail/checks.hpp"
#include "../ml/gcr.hpp"
#include "../ml/gradient_projection.hpp"
#include "npy.hpp"

namespace subspace::io {

namespace detail {

/// Checks the n x k blocks of `u` (orthonormal at the file's precision, finite) and, when the
/// file is coarser than Scalar, re-orthonormalizes each by Householder QR (file comment). Throws
/// FormatError naming the path, the block and the error found.
template <class Scalar>
void accept_file_bases(Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& u, Index k,
                       const NpyHeader& h, const std::string& path, const char* func) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const bool file_float32 = h.descr.size() == 3 && h.descr[1] == 'f' && h.descr[2] == '4';
  const bool widen = file_float32 && sizeof(Scalar) > sizeof(float);
  const Scalar tol = widen ? Scalar(Tolerance<float>::orthonormality(u.rows()))
                           : Tolerance<Scalar>::orthonormality(u.rows());
  if (!u.allFinite())
    throw FormatError(subspace::detail::message(func, ": ", path, ": non-finite entries"));
  for (Index c = 0; k > 0 && c < u.cols() / k; ++c) {
    auto block = u.middleCols(c * k, k);
    const Scalar err = subspace::detail::orthonormality_error(block);
    if (!(err <= tol))
      throw FormatError(subspace::detail::message(
          func, ": ", path, ": basis ", c, " (", u.rows(), " x ", k,
          ") is not orthonormal: max|U^T U - I| = ", err, " > ", tol, " (the tolerance of ",
          widen ? "float32" : "the model's scalar", " data",
          file_float32 || sizeof(Scalar) == sizeof(float) || err > Scalar(1e-5)
              ? ")"
              : "; float32 values saved as float64? save them as float32, or re-orthonormalize)"));
    if (widen) {
      const Eigen::HouseholderQR<Matrix> qr{Matrix(block)};
      Matrix q = qr.householderQ() * Matrix::Identity(u.rows(), k);
      for (Index j = 0; j < k; ++j)
        if (qr.matrixQR()(j, j) < 0) q.col(j) = -q.col(j);
      block = q;
    }
  }
}

}  // namespace detail

/// Reads a GCR head's class bases from the .npy file at `path`: either the 3-D array (C, d, k)
/// (PyTorch's C x d x k parameter tensor, saved with np.save) or the 2-D array (d, C k) with the
/// bases side by side, as GcrHead::bases().basis() holds them, in which case `k` must be given.
/// For a 3-D file, `k` is taken from the shape (a k > 0 that differs is a DimensionMismatch).
/// Each basis is checked as in the file comment (orthonormal at the file's precision, finite,
/// 1 <= k <= d) and re-orthonormalized when the file is coarser than Scalar. Any dtype and
/// layout of read_npy. Throws InvalidParameter (k < 0; a 2-D file without k; options.scale as
/// GcrHead, checked before the file is read), IoError (cannot open), FormatError (not a valid
/// .npy; 0-, 1- or more than 3-D; a basis that is not orthonormal or not finite; no bases),
/// DimensionMismatch (k does not fit the shape, k > d). Cost: one read, O(C d k^2) for the
/// checks (and the QR); memory about three times the array (the file's layout, the stack, the
/// head's copy).
template <class Scalar>
GcrHead<Scalar> read_gcr_head(const std::string& path, Index k = 0,
                              const GcrOptions& options = {}) {
  constexpr const char* func = "subspace::io::read_gcr_head";
  if (k < 0)
    throw InvalidParameter(
        subspace::detail::message(func, ": k must be >= 0 (0: from the file), got ", k));
  if (!(options.scale > 0) || !std::isfinite(options.scale))
    throw InvalidParameter(
        subspace::detail::message(func, ": the scale must be finite and > 0, got ", options.scale));
  NpyHeader h;
  auto u = read_npy_stack<Scalar>(path, &h);
  if (h.ndim == 3) {
    const auto file_k = Index(h.shape[2]);
    if (k > 0 && k != file_k)
      throw DimensionMismatch(
          subspace::detail::message(func, ": ", path, ": asked for k = ", k, ", the file's shape ",
                                    detail::shape_text(h.shape), " has k = ", file_k));
    k = file_k;
  } else if (h.ndim != 2) {
    throw FormatError(subspace::detail::message(
        func, ": ", path, ": shape ", detail::shape_text(h.shape), "; need (C, d, k) or (d, C k)"));
  } else if (k <= 0) {
    throw InvalidParameter(subspace::detail::message(
        func, ": ", path, ": a 2-D file (d, C k) needs the subspace dimension k (> 0)"));
  }
  if (u.size() == 0 || k == 0)
    throw FormatError(subspace::detail::message(func, ": ", path, ": empty bases (shape ",
                                                detail::shape_text(h.shape), ")"));
  if (u.cols() % k != 0 || k > u.rows())
    throw DimensionMismatch(
        subspace::detail::message(func, ": ", path, ": k = ", k, " does not fit ", u.rows(), " x ",
                                  u.cols(), " bases (k must divide the columns and be <= d)"));
  detail::accept_file_bases(u, k, h, path, func);
  return GcrHead<Scalar>(GrassmannProduct<Scalar>::from_orthonormal(u, k), options);
}

/// Reads a gradient projection memory from the .npy file at `path`: the 2-D array (d, m) of
/// protected directions, orthonormal columns (GPM's feature matrices, saved with np.save), or a
/// 1-D array (d,) as one direction. Checked as in the file comment, then as
/// GradientProjectionMemory::from_basis. Throws IoError, FormatError (not a valid .npy; not 1-
/// or 2-D; not orthonormal or not finite; d = 0; m > d). Cost: one read, O(d m^2), plus O(d^3)
/// when m > d / 2 (the complement basis).
template <class Scalar>
GradientProjectionMemory<Scalar> read_gradient_projection_memory(const std::string& path) {
  constexpr const char* func = "subspace::io::read_gradient_projection_memory";
  NpyHeader h;
  auto m = read_npy<Scalar>(path, &h);
  if (h.ndim == 0 || m.rows() == 0 || m.cols() > m.rows())
    throw FormatError(subspace::detail::message(func, ": ", path, ": shape ",
                                                detail::shape_text(h.shape),
                                                " is not a (d, m) basis with 1 <= d and m <= d"));
  detail::accept_file_bases(m, m.cols(), h, path, func);
  return GradientProjectionMemory<Scalar>::from_basis(m);
}

}  // namespace subspace::io
