// SPDX-License-Identifier: MIT
// angles.hpp: principal angles and principal vectors between subspaces, and the distances
// between subspaces defined from them.
//
// Inputs are orthonormal bases U (n x k) and V (n x l), checked (O(n (k^2 + l^2))). The q =
// min(k, l) principal angles 0 <= theta_1 <= ... <= theta_q <= pi/2 are returned in radians.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "config.hpp"
#include "detail/checks.hpp"
#include "traits.hpp"

namespace subspace {

/// \addtogroup basics
/// @{

/// Principal angles with the principal vectors that attain them: for every i,
/// cos(angles(i)) = u.col(i) . v.col(i), u.col(i) in span(U), v.col(i) in span(V), and the
/// columns of u (and of v) are orthonormal.
template <class Scalar>
struct PrincipalVectors {
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> angles;          ///< q ascending angles (radians)
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> u;  ///< n x q, in span(U)
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> v;  ///< n x q, in span(V)
};

namespace detail {

/// Compile-time bound for min(a, b) where Eigen::Dynamic means "unbounded".
constexpr int min_bound(int a, int b) {
  return a == Eigen::Dynamic ? b : (b == Eigen::Dynamic ? a : (a < b ? a : b));
}
/// Compile-time bound for the rows shared by two expressions (either may know it).
constexpr int shared_bound(int a, int b) { return a == Eigen::Dynamic ? b : a; }

/// The vector of principal angles between span(U) and span(V): a resizable vector whose
/// capacity is fixed (on the stack) when both column counts have compile-time bounds.
template <class DU, class DV>
using AnglesOf = Eigen::Matrix<typename DU::Scalar, Eigen::Dynamic, 1, 0,
                               min_bound(DU::MaxColsAtCompileTime, DV::MaxColsAtCompileTime), 1>;

// Knyazev & Argentati (2002), "Principal angles between subspaces in an A-based scalar
// product", SIAM J. Sci. Comput. 23(6), Alg. 3.1 (SVD form), for k = u.cols() >= l = v.cols().
//
// 1. M = U^T V = Y diag(sigma) Z^T: cosines, descending, accurate in absolute terms, so the
//    angles theta = acos(sigma) are accurate where sigma^2 < 1/2 (theta > pi/4).
// 2. For the p directions with sigma^2 >= 1/2 (theta <= pi/4): B = (V Z_p) - U (M Z_p), whose
//    singular values are the sines of exactly those angles (B^T B = I - diag(sigma_p)^2), and
//    theta = asin(s) is accurate down to the smallest angles. Restricting B to Z_p pairs each
//    sine with its own cosine by construction; taking all sines of V - U M and pairing by
//    position is the mistake that breaks mixed tiny/large angle sets.
// Cost: n k l (M) + 2 n l p + n k p (B) + O(n p^2 + k l^2) flops. Every temporary takes its
// capacity from the inputs' compile-time bounds, so fixed-size inputs never touch the heap
// (principal vectors, when asked for through `pu` / `pv`, are written to dynamic matrices).
template <class DU, class DV, class AngVec, class Out>
void principal_angles_impl(const Eigen::MatrixBase<DU>& u, const Eigen::MatrixBase<DV>& v,
                           AngVec& angles, Out* pu, Out* pv) {
  using std::acos;
  using std::asin;
  using Scalar = typename DU::Scalar;
  constexpr int MaxN = shared_bound(DU::MaxRowsAtCompileTime, DV::MaxRowsAtCompileTime);
  constexpr int MaxK = DU::MaxColsAtCompileTime, MaxL = DV::MaxColsAtCompileTime;
  using MatKL = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, 0, MaxK, MaxL>;
  using MatLL = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, 0, MaxL, MaxL>;
  using MatNL = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, 0, MaxN, MaxL>;
  using VecL = Eigen::Matrix<Scalar, Eigen::Dynamic, 1, 0, MaxL, 1>;
  const bool want_vectors = pu != nullptr;
  const Index n = u.rows(), k = u.cols(), l = v.cols();
  SUBSPACE_ASSERT(k >= l);

  MatKL m(k, l);
  m.noalias() = u.transpose() * v;
  Eigen::JacobiSVD<MatKL> svd(
      m, want_vectors ? (Eigen::ComputeThinU | Eigen::ComputeThinV) : Eigen::ComputeThinV);
  detail::require_svd_ok(svd, "subspace::principal_angles");
  const VecL sigma = svd.singularValues().cwiseMin(Scalar(1));
  Index p = 0;
  while (p < l && sigma(p) * sigma(p) >= Scalar(0.5)) ++p;

  angles.resize(l);
  for (Index i = p; i < l; ++i) angles(i) = acos(sigma(i));
  if (want_vectors) {
    pu->resize(n, l);
    pv->resize(n, l);
    if (p < l) {
      pu->rightCols(l - p).noalias() = u * svd.matrixU().rightCols(l - p);
      pv->rightCols(l - p).noalias() = v * svd.matrixV().rightCols(l - p);
    }
  }
  if (p > 0) {
    const MatLL zp = svd.matrixV().leftCols(p);
    MatNL vz(n, p);
    MatKL mz(k, p);
    vz.noalias() = v * zp;
    mz.noalias() = m * zp;
    MatNL b = vz;
    b.noalias() -= u * mz;
    // Singular values of the tall n x p matrix B via its R factor.
    Eigen::HouseholderQR<MatNL> qr(b);
    const MatLL r = qr.matrixQR().topRows(p).template triangularView<Eigen::Upper>();
    Eigen::JacobiSVD<MatLL> sv(r, want_vectors ? Eigen::ComputeFullV : 0);
    detail::require_svd_ok(sv, "subspace::principal_angles");
    for (Index i = 0; i < p; ++i)  // sines descend; angles ascend
      angles(i) = asin(std::min(Scalar(1), sv.singularValues()(p - 1 - i)));
    if (want_vectors) {
      const MatLL w = sv.matrixV().rowwise().reverse();  // ascending sines
      pv->leftCols(p).noalias() = vz * w;
      MatKL mw(k, p);
      mw.noalias() = mz * w;
      pu->leftCols(p).noalias() = u * mw;
      for (Index j = 0; j < p; ++j) pu->col(j).normalize();  // norm = cos >= 1/sqrt(2)
    }
  }
  // The two halves meet at pi/4 up to rounding; keep the ascending order exact. Insertion sort
  // on the (nearly sorted) angles, carrying the vectors along; no heap for the angles alone.
  for (Index i = 1; i < l; ++i) {
    for (Index j = i; j > 0 && angles(j) < angles(j - 1); --j) {
      std::swap(angles(j), angles(j - 1));
      if (want_vectors) {
        pu->col(j).swap(pu->col(j - 1));
        pv->col(j).swap(pv->col(j - 1));
      }
    }
  }
}

template <class DU, class DV>
void check_angle_args(const Eigen::MatrixBase<DU>& u, const Eigen::MatrixBase<DV>& v,
                      const char* func) {
  static_assert(std::is_same<typename DU::Scalar, typename DV::Scalar>::value,
                "U and V must have the same scalar type");
  require_same_rows(u, "U", v, "V", func);
  require_basis(u, func, "U");
  require_basis(v, func, "V");
}

}  // namespace detail

/// Principal angles between span(U) and span(V), U (n x k) and V (n x l) orthonormal:
/// min(k, l) angles in radians, ascending, each accurate to a few eps in absolute terms on the
/// whole range [0, pi/2], by the sine/cosine hybrid of Knyazev & Argentati (2002) with
/// sines and cosines paired by construction (see detail::principal_angles_impl).
/// Cost O(n k l + k l^2) flops. Returns a resizable vector whose capacity is min(k, l) at
/// compile time when the inputs' column counts are: fixed-size inputs (Eigen::Matrix<S, N, K>,
/// or dynamic with compile-time maxima) never touch the heap, dynamic ones allocate the usual
/// O(n l + k l) workspace. Throws DimensionMismatch, NonFiniteInput, NotOrthonormal.
template <class DU, class DV>
detail::AnglesOf<DU, DV> principal_angles(const Eigen::MatrixBase<DU>& u_arg,
                                          const Eigen::MatrixBase<DV>& v_arg) {
  const auto& u = detail::evaluated(u_arg);
  const auto& v = detail::evaluated(v_arg);
  detail::check_angle_args(u, v, "subspace::principal_angles");
  detail::AnglesOf<DU, DV> angles;
  using Unused = Eigen::Matrix<typename DU::Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  if (u.cols() >= v.cols())
    detail::principal_angles_impl(u, v, angles, static_cast<Unused*>(nullptr),
                                  static_cast<Unused*>(nullptr));
  else
    detail::principal_angles_impl(v, u, angles, static_cast<Unused*>(nullptr),
                                  static_cast<Unused*>(nullptr));
  return angles;
}

/// Principal angles with principal vectors (see PrincipalVectors): u in span(U), v in
/// span(V), both n x min(k, l) with orthonormal columns, u_i . v_j = cos(theta_i) delta_ij.
/// Small-angle vectors come from the sine step, so they are accurate where the cosine-only
/// method returns an arbitrary basis of the near-shared subspace. Within a cluster of equal
/// angles the vectors are one valid choice among many. Same cost and checks as
/// `principal_angles`, plus 2 n l^2 flops.
template <class DU, class DV>
PrincipalVectors<typename DU::Scalar> principal_vectors(const Eigen::MatrixBase<DU>& u_arg,
                                                        const Eigen::MatrixBase<DV>& v_arg) {
  const auto& u = detail::evaluated(u_arg);
  const auto& v = detail::evaluated(v_arg);
  detail::check_angle_args(u, v, "subspace::principal_vectors");
  PrincipalVectors<typename DU::Scalar> out;
  if (u.cols() >= v.cols()) {
    detail::principal_angles_impl(u, v, out.angles, &out.u, &out.v);
  } else {
    detail::principal_angles_impl(v, u, out.angles, &out.v, &out.u);
  }
  return out;
}

/// The distances between subspaces, all functions of the principal angles theta (q of them)
/// and, for unequal dimensions k != l, of d = |k - l| (Ye & Lim 2016, "Schubert varieties and
/// distances between subspaces of different dimensions", Table 2; Edelman, Arias & Smith 1998,
/// Sec. 4.3). For k != l, the formulas using only theta give the distance from the smaller
/// subspace to the nearest subspace of its own dimension inside (or containing) the other
/// (Ye & Lim, Thm. 7).
enum class Distance {
  Geodesic,             ///< |theta|_2: arc length on Gr(k, n)
  Chordal,              ///< |sin theta|_2 = |U U^T - V V^T|_F / sqrt(2) when k = l
  ProjectionFrobenius,  ///< |U U^T - V V^T|_F = sqrt(d + 2 sum sin^2 theta), any k, l
  ProjectionSpectral,   ///< |U U^T - V V^T|_2 = sin theta_q if k = l, 1 if k != l
  BinetCauchy,          ///< sqrt(1 - prod cos^2 theta)
  FubiniStudy,          ///< acos(prod cos theta) = acos |det(U^T V)|
  Procrustes,           ///< 2 |sin(theta / 2)|_2 = min over orthogonal Q of |U Q - V|_F
  Asimov,               ///< theta_q, the largest angle
  Martin,               ///< sqrt(-sum log cos^2 theta); +inf if some theta = pi/2
};

/// The distance `kind` from principal angles theta (ascending, in [0, pi/2]) and the
/// dimension difference d = |k - l| (used by ProjectionFrobenius and ProjectionSpectral).
/// Products of cosines are formed as exp(sum log cos theta) with log cos theta =
/// log1p(-2 sin^2(theta/2)), so the distances keep full relative accuracy for tiny angles; an
/// angle >= fl(pi/2) is taken as exactly pi/2 (cos = 0), so orthogonal directions give
/// Martin = +inf, Fubini-Study = pi/2 and Binet-Cauchy = 1 exactly.
/// O(q). Throws InvalidParameter for an empty theta, an angle outside [0, pi/2] (beyond a few
/// ulps of rounding), d < 0 or a kind that is not a Distance enumerator, NonFiniteInput for
/// NaN/Inf angles.
template <class DT>
typename DT::Scalar distance_from_angles(const Eigen::MatrixBase<DT>& theta_arg, Distance kind,
                                         Index dim_difference = 0) {
  const auto& theta = detail::evaluated(theta_arg);
  using Scalar = typename DT::Scalar;
  using std::atan2;
  using std::exp;
  using std::expm1;
  using std::log1p;
  using std::sin;
  using std::sqrt;
  if (theta.size() == 0)
    throw InvalidParameter("subspace::distance_from_angles: no principal angles given");
  if (dim_difference < 0)
    throw InvalidParameter(detail::message(
        "subspace::distance_from_angles: dimension difference must be >= 0, got ", dim_difference));
  detail::require_finite(theta, "subspace::distance_from_angles", "theta");
  detail::require_enum(kind, Distance::Geodesic, Distance::Martin, "subspace::distance_from_angles",
                       "kind");
  const auto t = theta.array();
  // sum of log cos(theta_i); -inf when an angle is pi/2 (any theta >= fl(pi/2), the value
  // principal_angles returns for exactly orthogonal directions, counts as pi/2).
  const Scalar half_pi = std::acos(Scalar(0));
  // Principal angles lie in [0, pi/2]; a few ulps above fl(pi/2) is rounding, more is not an
  // angle between subspaces (every formula below would return a number for it, none right).
  if (!(t.minCoeff() >= Scalar(0)) ||
      !(t.maxCoeff() <= half_pi * (Scalar(1) + Scalar(8) * Tolerance<Scalar>::epsilon())))
    throw InvalidParameter(
        detail::message("subspace::distance_from_angles: principal angles lie in [0, pi/2], got [",
                        t.minCoeff(), ", ", t.maxCoeff(), "]"));
  auto sum_log_cos = [&]() {
    Scalar acc = 0;
    for (Index i = 0; i < theta.size(); ++i) {
      if (t(i) >= half_pi) return -std::numeric_limits<Scalar>::infinity();
      const Scalar h = sin(t(i) / 2);
      acc += t(i) < Scalar(1) ? log1p(Scalar(-2) * h * h) : std::log(std::cos(t(i)));
    }
    return acc;
  };
  // Scalar loops (q is small): Eigen's packet paths on a capacity-3 float vector trip a g++ 12
  // -Warray-bounds false positive.
  auto sum_of = [&](auto f) {
    Scalar acc = 0;
    for (Index i = 0; i < theta.size(); ++i) acc += f(t(i));
    return acc;
  };
  auto sin2 = [](Scalar x) { return sin(x) * sin(x); };
  switch (kind) {
    case Distance::Geodesic:
      return sqrt(sum_of([](Scalar x) { return x * x; }));
    case Distance::Chordal:
      return sqrt(sum_of(sin2));
    case Distance::ProjectionFrobenius:
      return sqrt(Scalar(dim_difference) + Scalar(2) * sum_of(sin2));
    case Distance::ProjectionSpectral:
      return dim_difference != 0 ? Scalar(1) : sin(t.maxCoeff());
    case Distance::BinetCauchy:
      return sqrt(-expm1(Scalar(2) * sum_log_cos()));
    case Distance::FubiniStudy: {
      const Scalar slc = sum_log_cos();
      return atan2(sqrt(-expm1(Scalar(2) * slc)), exp(slc));
    }
    case Distance::Procrustes:
      return Scalar(2) * sqrt(sum_of([&](Scalar x) { return sin2(x / Scalar(2)); }));
    case Distance::Asimov:
      return t.maxCoeff();
    case Distance::Martin:
      return sqrt(Scalar(-2) * sum_log_cos());
  }
  return std::numeric_limits<Scalar>::quiet_NaN();  // unreachable
}

/// Distance `kind` between span(U) and span(V) (orthonormal n x k and n x l): the principal
/// angles, then `distance_from_angles`. Same cost and checks as `principal_angles`.
template <class DU, class DV>
typename DU::Scalar distance(const Eigen::MatrixBase<DU>& u_arg, const Eigen::MatrixBase<DV>& v_arg,
                             Distance kind = Distance::Geodesic) {
  const auto& u = detail::evaluated(u_arg);
  const auto& v = detail::evaluated(v_arg);
  const auto theta = principal_angles(u, v);
  const Index k = u.cols(), l = v.cols();
  return distance_from_angles(theta, kind, k > l ? k - l : l - k);
}

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_ANGLES_TEMPLATES(P, S)                                                        \
  P SUBSPACE_VECX(S) subspace::principal_angles(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,    \
                                                const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);   \
  P subspace::PrincipalVectors<S> subspace::principal_vectors(                                 \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&); \
  P S subspace::distance_from_angles(const Eigen::MatrixBase<SUBSPACE_VECX(S)>&,               \
                                     subspace::Distance, subspace::Index);                     \
  P S subspace::distance(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,                           \
                         const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, subspace::Distance);
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_ANGLES_TEMPLATES(extern template, double)
SUBSPACE_ANGLES_TEMPLATES(extern template, float)
#endif
