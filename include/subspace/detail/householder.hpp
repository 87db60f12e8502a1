// SPDX-License-Identifier: MIT
// detail/householder.hpp: applying the Q of a Householder QR, the one guard in one place.
#pragma once

#include <Eigen/Core>

namespace subspace::detail {

/// M <- Q M, for the Q of a Householder QR `qr` (Eigen::HouseholderQR or ColPivHouseholderQR)
/// and M with qr.rows() rows, in place; cost about 4 rows k cols flops for k reflectors.
/// An empty M is left alone: Q times an n x 0 (or 0 x m) matrix is that empty matrix, and
/// Eigen 3.4's reflector application would take blocks (bottomRightCorner, bottomRows) at
/// non-zero offsets from the empty matrix's null data pointer, undefined behaviour that clang's
/// UBSan reports (as a rank-0 svd_basis would). Every `householderQ()` applied in place in the
/// library goes through here.
template <class QR, class M>
void apply_householder_q(const QR& qr, M& m) {
  if (m.size() == 0) return;
  m.applyOnTheLeft(qr.householderQ());
}

}  // namespace subspace::detail
