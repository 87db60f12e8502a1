// SPDX-License-Identifier: MIT
// line3.hpp: lines in 3-D space in Plucker (direction, moment) form: the points of Gr(2, 4)
// that are not at infinity.
//
// A line through the point a with direction d is the pair (d, m), m = a x d, defined up to a
// common nonzero scale; the Plucker relation d . m = 0 holds for every line and is kept as an
// invariant (enforced on construction from coordinates). Line3 stores the normalized
// representative |d| = 1, so m is the moment about the origin and |m| the distance from the
// origin to the line.
//
// Correspondence with the general coordinates of plucker.hpp: a line through the points a, b
// is the 2-plane of R^4 spanned by the homogeneous points A = (1, a), B = (1, b) (homogeneous
// coordinate first). The six minors of [A B] in lexicographic order (01, 02, 03, 12, 13, 23)
// are (d_x, d_y, d_z, m_z, -m_y, m_x) with d = b - a, m = a x b = a x d, and the Gr(2, 4)
// relation p01 p23 - p02 p13 + p03 p12 = 0 is d . m = 0. `to_plucker` / `from_plucker` use
// exactly this map.
//
// References: Pottmann & Wallner, "Computational Line Geometry" (2001), ch. 2; Shoemake,
// "Plucker coordinate tutorial" (1998); Selig, "Geometric Fundamentals of Robotics", ch. 5.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <Eigen/LU>
#include <cmath>
#include <optional>

#include "config.hpp"
#include "detail/checks.hpp"
#include "traits.hpp"

namespace subspace {

/// \addtogroup plucker
/// @{

/// A line of R^3 as its normalized Plucker pair (d, m): unit direction d, moment m = a x d
/// about the origin for any point a of the line, d . m = 0 kept as an invariant. Distances,
/// closest points and intersections between lines; to_plucker() / from_plucker() convert to
/// the six lexicographic Gr(2, 4) coordinates of plucker.hpp. O(1) storage, never allocates.
template <class Scalar_>
class Line3 {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// A point or a direction of R^3.
  using Vector3 = Eigen::Matrix<Scalar, 3, 1>;
  /// Six Plucker coordinates (d_x, d_y, d_z, m_z, -m_y, m_x).
  using Vector6 = Eigen::Matrix<Scalar, 6, 1>;

  /// The line through two distinct points. Throws InvalidParameter when a == b (to within
  /// eps max(|a|_inf, |b|_inf), in max-norms), NonFiniteInput, OutsideDomain (the moment
  /// overflows: a line farther from the origin than the largest Scalar). Any scale: b - a is formed
  /// as b/2 - a/2 when it would overflow.
  static Line3 through(const Vector3& a, const Vector3& b) {
    constexpr const char* func = "subspace::Line3::through";
    detail::require_finite(a, func, "a");
    detail::require_finite(b, func, "b");
    // Max-norms: no squares, so no overflow or underflow at any scale.
    const Scalar size = std::max(a.cwiseAbs().maxCoeff(), b.cwiseAbs().maxCoeff());
    Vector3 d = b - a;
    Scalar gap = d.cwiseAbs().maxCoeff();
    if (!d.allFinite()) {  // |b - a| overflows: only the direction is used
      d = b / Scalar(2) - a / Scalar(2);
      gap = Scalar(2) * d.cwiseAbs().maxCoeff();
    }
    if (!(gap > eps() * size))
      throw InvalidParameter(detail::message(func, ": the two points coincide"));
    return from_point_direction(a, d);
  }

  /// The line through `a` with direction `d` (any nonzero length). Throws InvalidParameter
  /// (d = 0), NonFiniteInput, OutsideDomain (the moment a x d overflows).
  static Line3 from_point_direction(const Vector3& a, const Vector3& d) {
    constexpr const char* func = "subspace::Line3::from_point_direction";
    detail::require_finite(a, func, "a");
    detail::require_finite(d, func, "d");
    const Scalar len = d.stableNorm();  // no overflow or underflow at extreme scales
    if (!(len > Scalar(0))) throw InvalidParameter(detail::message(func, ": zero direction"));
    Line3 l;
    l.d_ = d / len;
    l.m_ = a.cross(l.d_);
    l.size_ = a.cwiseAbs().maxCoeff();
    return l.require_finite_moment(func);
  }

  /// From a (direction, moment) pair, any common scale. Throws InvalidParameter (d = 0: a line
  /// at infinity; NaN tolerance), NotDecomposable when |d . m| > tolerance |d| |m| (negative
  /// tolerance: the default 1e3 eps; the pair is then no line), NonFiniteInput, OutsideDomain
  /// when |m| / |d| overflows. The moment is then made exactly orthogonal to d.
  static Line3 from_direction_moment(const Vector3& d, const Vector3& m, Scalar tolerance = -1) {
    constexpr const char* func = "subspace::Line3::from_direction_moment";
    detail::require_finite(d, func, "d");
    detail::require_finite(m, func, "m");
    tolerance = detail::resolve_tolerance(tolerance, Scalar(1000) * eps(), func);
    const Scalar len = d.stableNorm(), mlen = m.stableNorm();
    if (!(len > Scalar(0)))
      throw InvalidParameter(detail::message(func, ": zero direction (a line at infinity)"));
    if (std::abs((d / len).dot(mlen > Scalar(0) ? Vector3(m / mlen) : m)) > tolerance)
      throw NotDecomposable(detail::message(func, ": d . m = ", d.dot(m),
                                            " violates the Plucker relation d . m = 0"));
    Line3 l;
    l.d_ = d / len;
    l.m_ = m / len;
    l.m_ -= l.d_ * l.d_.dot(l.m_);         // exact orthogonality
    l.size_ = l.m_.cwiseAbs().maxCoeff();  // |m| / |d| overflowing is refused just below
    return l.require_finite_moment(func);
  }

  /// From the six lexicographic coordinates (p01, p02, p03, p12, p13, p23) of the 2-plane of
  /// R^4 (see the file comment); same checks as from_direction_moment.
  static Line3 from_plucker(const Vector6& p, Scalar tolerance = -1) {
    return from_direction_moment(Vector3(p(0), p(1), p(2)), Vector3(p(5), -p(4), p(3)), tolerance);
  }

  /// The six lexicographic coordinates (d_x, d_y, d_z, m_z, -m_y, m_x) of the normalized line:
  /// equal to plucker([1 1; a b]) / |b - a| for any two points a, b of the line, b - a along d.
  Vector6 to_plucker() const {
    Vector6 p;
    p << d_(0), d_(1), d_(2), m_(2), -m_(1), m_(0);
    return p;
  }

  /// The unit direction d.
  const Vector3& direction() const { return d_; }
  /// The moment m = a x d about the origin (a any point of the line); |m| is the distance from
  /// the origin to the line.
  const Vector3& moment() const { return m_; }
  /// The point of the line nearest the origin: d x m.
  Vector3 point() const { return d_.cross(m_); }
  /// The plane-vs-line relation residual d . m (0 to rounding; exposed for invariant checks).
  Scalar plucker_relation() const { return d_.dot(m_); }

  /// The image under the rigid motion x -> R x + t: d' = R d, m' = R m + t x (R d). Throws
  /// InvalidParameter unless R is a rotation (max|R^T R - I| <= 1e3 eps and det R > 0),
  /// NonFiniteInput, OutsideDomain (the moment overflows).
  Line3 transformed(const Eigen::Matrix<Scalar, 3, 3>& rot, const Vector3& t) const {
    constexpr const char* func = "subspace::Line3::transformed";
    detail::require_finite(rot, func, "R");
    detail::require_finite(t, func, "t");
    if ((rot.transpose() * rot - Eigen::Matrix<Scalar, 3, 3>::Identity()).cwiseAbs().maxCoeff() >
            Scalar(1000) * eps() ||
        !(rot.determinant() > Scalar(0)))
      throw InvalidParameter(detail::message(func, ": R is not a rotation"));
    Line3 l;
    l.d_ = rot * d_;
    l.m_ = rot * m_ + t.cross(l.d_);
    l.size_ = size_ + t.cwiseAbs().maxCoeff();
    return l.require_finite_moment(func);
  }

  /// Reciprocal product d1 . m2 + d2 . m1 (of the normalized lines): zero iff the lines are
  /// coplanar (meet or are parallel); its absolute value is distance * sin(angle).
  Scalar reciprocal_product(const Line3& o) const { return d_.dot(o.m_) + o.d_.dot(m_); }

  /// True when the directions are parallel to within `tolerance` (|d1 x d2| <= tolerance;
  /// negative: the default 1e3 eps).
  bool is_parallel(const Line3& o, Scalar tolerance = -1) const {
    tolerance =
        detail::resolve_tolerance(tolerance, Scalar(1000) * eps(), "subspace::Line3::is_parallel");
    return d_.cross(o.d_).norm() <= tolerance;
  }

  /// Shortest distance between the lines: |d1 . m2 + d2 . m1| / |d1 x d2| for skew lines,
  /// |m1 - (d1 . d2) m2| (the moment difference with the directions aligned) for parallel ones.
  Scalar distance(const Line3& o) const {
    if (is_parallel(o)) {
      const Scalar s = d_.dot(o.d_) >= Scalar(0) ? Scalar(1) : Scalar(-1);
      return (m_ - s * o.m_).stableNorm();
    }
    return std::abs(reciprocal_product(o)) / d_.cross(o.d_).norm();
  }

  /// The closest points (on this line, on o). For parallel lines every point is closest to
  /// some point: the answer is (point(), its projection onto o).
  std::pair<Vector3, Vector3> closest_points(const Line3& o) const {
    const Vector3 p1 = point(), p2 = o.point();
    if (is_parallel(o)) return {p1, p2 + o.d_ * o.d_.dot(p1 - p2)};
    // p1 + s d1 - (p2 + t d2) orthogonal to d1 and d2 (|d1| = |d2| = 1):
    const Vector3 w = p1 - p2;
    const Scalar b = d_.dot(o.d_), dd = d_.dot(w), e = o.d_.dot(w);
    const Scalar den = d_.cross(o.d_).squaredNorm();  // = 1 - b^2 without cancellation
    const Scalar s = (b * e - dd) / den, t = (e - b * dd) / den;
    return {p1 + s * d_, p2 + t * o.d_};
  }

  /// The point where the lines meet, or nothing when they are parallel or skew. The lines
  /// meet when their common-normal distance |d1 . m2 + d2 . m1| / |d1 x d2| is <= tolerance;
  /// the answer is then the midpoint of the closest points. Negative tolerance: the default
  /// eps (1000 (|c1| + |c2|) + 64 (s1 + s2 + |m1| + |m2|) / |d1 x d2|), with c1, c2 the
  /// closest points and s1, s2 the sizes of the data each line was built from (the largest
  /// entry of the point given, or of the moment): relative, so the answer is the same in any
  /// unit of length.
  /// The last term is the conditioning of the question: rounding the stored moments by eps
  /// moves the computed distance of lines at angle theta by about eps |m| / sin(theta), so
  /// lines meeting at a small angle (far from the origin, or not) are still found to meet.
  /// The point itself is accurate to about eps |c| / sin(theta) along the lines.
  std::optional<Vector3> intersection(const Line3& o, Scalar tolerance = -1) const {
    if (is_parallel(o)) return std::nullopt;
    const Scalar sine = d_.cross(o.d_).norm();
    const auto cp = closest_points(o);
    // Relative to the lines' own lengths, no absolute term, so that the answer does not depend
    // on the unit of length. The moments' rounding is relative to the points the lines were
    // built from (size_), not to |m|: lines through points of size 1 that meet at the origin
    // have |m| ~ 0 but moments rounded by ~eps.
    tolerance = detail::resolve_tolerance(
        tolerance,
        eps() * (Scalar(1000) * (cp.first.stableNorm() + cp.second.stableNorm()) +
                 Scalar(64) * (size_ + o.size_ + m_.stableNorm() + o.m_.stableNorm()) / sine),
        "subspace::Line3::intersection");
    if (std::abs(reciprocal_product(o)) / sine > tolerance) return std::nullopt;
    return Vector3((cp.first + cp.second) / 2);
  }

  /// Distance from a point x to the line: |x x d - m| (a norm that neither overflows nor
  /// underflows in the squares).
  Scalar distance(const Vector3& x) const { return (x.cross(d_) - m_).stableNorm(); }

 private:
  static Scalar eps() { return Tolerance<Scalar>::epsilon(); }

  /// Throws OutsideDomain when the moment overflowed (a line farther from the origin than the
  /// largest Scalar); returns the line.
  const Line3& require_finite_moment(const char* func) const {
    if (!m_.allFinite())
      throw OutsideDomain(detail::message(func, ": the moment (the distance of the line from ",
                                          "the origin) overflows the scalar type"));
    return *this;
  }

  Vector3 d_ = Vector3::UnitX(), m_ = Vector3::Zero();
  Scalar size_ = 0;  // the scale of the data the line came from: its moment's rounding unit
};

/// A line of R^3 in single precision.
using Line3f = Line3<float>;
/// A line of R^3 in double precision.
using Line3d = Line3<double>;

/// @}
}  // namespace subspace
