// SPDX-License-Identifier: MIT
// optim/riemannian_adam.hpp: Riemannian Adam and AMSGrad (Becigneul & Ganea, "Riemannian
// adaptive optimization methods", ICLR 2019), on Grassmann, Stiefel and product points.
//
// One step at x with Euclidean gradient G, t = step number from 1:
//   g  = x.project(G)
//   m  = beta1 m + (1 - beta1) g                  first moment, a tangent vector
//   v_c = beta2 v_c + (1 - beta2) |g_c|^2          second moment: one scalar per component point
//   vhat_c = max(vhat_c, v_c) (AMSGrad) or v_c
//   dir_c = (m_c / (1 - beta1^t)) / (sqrt(vhat_c / (1 - beta2^t)) + eps)
//   x' = x.retract(-lr dir);  m = x.transport(m, x')
// A scalar second moment per point keeps the update intrinsic (coordinate-wise second moments
// have no meaning on a manifold).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <istream>
#include <limits>
#include <ostream>

#include "../config.hpp"
#include "../detail/checks.hpp"
#include "../detail/serialize.hpp"
#include "../grassmann.hpp"
#include "components.hpp"

namespace subspace {

/// \addtogroup optim
/// @{

/// Options of RiemannianAdam (the update is in the file comment).
struct AdamOptions {
  /// lr, the step size (> 0).
  double learning_rate = 1e-3;
  double beta1 = 0.9;     ///< in [0, 1)
  double beta2 = 0.999;   ///< in [0, 1)
  double epsilon = 1e-8;  ///< > 0
  /// AMSGrad: divide by the running maximum of the second moment instead of its current value.
  bool amsgrad = false;
  /// The retraction each step uses (see Retraction).
  Retraction retraction = Retraction::QR;
};

/// Riemannian Adam / AMSGrad for a point type `Point` (Grassmann, Stiefel, GrassmannProduct, or
/// any type with project / retract / transport): a tangent first moment moved by vector
/// transport, one scalar second moment per component point. Holds the moments; `step` works in
/// the caller's loop. Cost per step: one projection, one retraction, one transport, plus
/// O(n k) per component for the moments.
template <class Point>
class RiemannianAdam {
 public:
  /// The point's scalar type.
  using Scalar = typename Point::Scalar;
  /// The point's tangent vector type (the first moment and the returned gradient).
  using Tangent = typename Point::Tangent;
  /// One second moment per component point (size 1, fixed, for a single point).
  using Vector = detail::component_vector_t<Point>;

  /// Throws InvalidParameter for parameters outside the ranges documented in AdamOptions.
  explicit RiemannianAdam(const AdamOptions& options = {}) : opt_(options) {
    constexpr const char* f = "subspace::RiemannianAdam";
    if (!(opt_.learning_rate > 0) || !std::isfinite(opt_.learning_rate))
      throw InvalidParameter(
          detail::message(f, ": learning_rate must be > 0, got ", opt_.learning_rate));
    if (!(opt_.beta1 >= 0 && opt_.beta1 < 1) || !(opt_.beta2 >= 0 && opt_.beta2 < 1))
      throw InvalidParameter(
          detail::message(f, ": betas must be in [0, 1), got ", opt_.beta1, ", ", opt_.beta2));
    if (!(opt_.epsilon > 0))
      throw InvalidParameter(detail::message(f, ": epsilon must be > 0, got ", opt_.epsilon));
    detail::require_enum(opt_.retraction, Retraction::QR, Retraction::Cayley, f, "retraction");
    detail::zero_if_fixed(m_);  // so that saving before the first step writes zeros
    detail::zero_if_fixed(v_);
    detail::zero_if_fixed(vmax_);
  }

  /// The options in use (learning_rate as last set).
  const AdamOptions& options() const { return opt_; }
  /// Changes the learning rate (for schedules); same check as the constructor.
  void set_learning_rate(double lr) {
    if (!(lr > 0) || !std::isfinite(lr))
      throw InvalidParameter(detail::message("subspace::RiemannianAdam::set_learning_rate: ", lr));
    opt_.learning_rate = lr;
  }
  /// Steps taken since construction or reset() (t - 1 before the next step).
  long long steps() const { return steps_; }
  /// Forgets the moments and the step count.
  void reset() { steps_ = 0; }

  /// One step; returns the Riemannian gradient at the old x. Throws DimensionMismatch (G not
  /// the shape of x, or x not the shape of the point the moments belong to: one optimiser per
  /// point, reset() to start over) and NonFiniteInput (x unchanged).
  template <class Derived>
  Tangent step(Point& x, const Eigen::MatrixBase<Derived>& egrad_arg);

  /// Writes step count, first moment and second moments (text format of detail/serialize.hpp).
  void save(std::ostream& os) const;
  /// Restores a state written by `save`, read as untrusted input (rules of
  /// detail/serialize.hpp: size limit `max_load_elements`, no trailing data, std::bad_alloc
  /// mapped). Throws FormatError, the optimiser unchanged, on an unreadable stream, a wrong
  /// header, truncation, an unparsable or non-finite value, shapes that do not fit Tangent /
  /// Vector or each other (as many AMSGrad maxima as second moments; after a step, at least
  /// one second moment and a first moment whose columns split evenly among them), a negative
  /// second moment or maximum, or a step count outside [0, 2^63 - 2] (so the next step cannot
  /// overflow). Cost: one pass over the stream.
  void load(std::istream& is);

 private:
  AdamOptions opt_;
  Tangent m_;
  Vector v_, vmax_;
  long long steps_ = 0;
};

// ---- RiemannianAdam: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Point>
template <class Derived>
auto RiemannianAdam<Point>::step(Point& x, const Eigen::MatrixBase<Derived>& egrad_arg) -> Tangent {
  const auto& egrad = detail::evaluated(egrad_arg);
  const auto& eg = egrad.eval();  // an expression (even a random one) is evaluated once
  detail::require_finite(eg, "subspace::RiemannianAdam::step", "G");
  Tangent g = x.project(eg);
  const Vector g2 = detail::component_sq_norms(x, g);
  if (steps_ > 0 && (m_.rows() != g.rows() || m_.cols() != g.cols() || v_.size() != g2.size()))
    throw DimensionMismatch(detail::message(
        "subspace::RiemannianAdam::step: the moments are for ", detail::shape(m_.rows(), m_.cols()),
        " with ", v_.size(), " components, the point is ", detail::shape(g.rows(), g.cols()),
        " with ", g2.size(), " (one optimiser per point; reset() to start over)"));
  if (steps_ == 0) {
    m_ = Tangent::Zero(g.rows(), g.cols());
    v_ = Vector::Zero(g2.size());
    vmax_ = Vector::Zero(g2.size());
    steps_ = 0;
  }
  // Saturates (a loaded state may hold any count): never a signed overflow; beyond 2^63
  // steps the bias corrections are exactly 1 either way.
  if (steps_ < std::numeric_limits<long long>::max()) ++steps_;
  const Scalar b1 = Scalar(opt_.beta1), b2 = Scalar(opt_.beta2);
  m_ = b1 * m_ + (1 - b1) * g;
  v_ = b2 * v_ + (1 - b2) * g2;
  const Vector& vh = opt_.amsgrad ? (vmax_ = vmax_.cwiseMax(v_)) : v_;
  const Scalar bc1 = Scalar(1 - std::pow(opt_.beta1, static_cast<double>(steps_)));
  const Scalar bc2 = Scalar(1 - std::pow(opt_.beta2, static_cast<double>(steps_)));
  Vector factor(vh.size());
  for (Index c = 0; c < vh.size(); ++c)
    factor(c) = Scalar(-opt_.learning_rate) / bc1 / (std::sqrt(vh(c) / bc2) + Scalar(opt_.epsilon));
  Tangent dir = m_;
  detail::scale_components(x, dir, factor);
  Point next = x.retract(dir, opt_.retraction);
  m_ = x.transport(m_, next);
  x = std::move(next);
  return g;
}

template <class Point>
auto RiemannianAdam<Point>::save(std::ostream& os) const -> void {
  detail::write_header(os, "subspace::RiemannianAdam", 1);
  os << steps_ << '\n';
  detail::write_matrix(os, m_);
  detail::write_matrix(os, v_);
  detail::write_matrix(os, vmax_);
  if (!os) throw FormatError("subspace::RiemannianAdam::save: the stream failed");
}

template <class Point>
auto RiemannianAdam<Point>::load(std::istream& is) -> void {
  constexpr const char* f = "subspace::RiemannianAdam::load";
  detail::guarded_load(f, [&] {
    detail::read_header(is, "subspace::RiemannianAdam", 1, f);
    const long long steps = detail::read_value<long long>(is, f, "step count");
    Tangent m;
    Vector v, vmax;
    detail::read_matrix(is, m, f, "first moment");
    detail::read_matrix(is, v, f, "second moment");
    detail::read_matrix(is, vmax, f, "AMSGrad maximum");
    detail::expect_end(is, f);
    if (steps < 0 || steps == std::numeric_limits<long long>::max() || v.size() != vmax.size())
      throw FormatError(detail::message(f, ": inconsistent state (step count ", steps, ", ",
                                        v.size(), " second moments, ", vmax.size(), " maxima)"));
    if (steps > 0 && (v.size() == 0 || m.size() == 0 || m.cols() % v.size() != 0))
      throw FormatError(detail::message(f, ": first moment ", detail::shape(m.rows(), m.cols()),
                                        " does not fit ", v.size(), " second moments"));
    if ((v.array() < Scalar(0)).any() || (vmax.array() < Scalar(0)).any())
      throw FormatError(detail::message(f, ": negative second moment"));
    steps_ = steps;
    m_ = std::move(m);
    v_ = std::move(v);
    vmax_ = std::move(vmax);
  });
}
/// \endcond

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_RIEMANNIAN_ADAM_TEMPLATES(P, S)                                    \
  P class subspace::RiemannianAdam<subspace::Grassmann<S>>;                         \
  P SUBSPACE_MATX(S) subspace::RiemannianAdam<subspace::Grassmann<S>>::step(        \
      subspace::Grassmann<S>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);         \
  P class subspace::RiemannianAdam<subspace::Stiefel<S>>;                           \
  P SUBSPACE_MATX(S) subspace::RiemannianAdam<subspace::Stiefel<S>>::step(          \
      subspace::Stiefel<S>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);           \
  P class subspace::RiemannianAdam<subspace::GrassmannProduct<S>>;                  \
  P SUBSPACE_MATX(S) subspace::RiemannianAdam<subspace::GrassmannProduct<S>>::step( \
      subspace::GrassmannProduct<S>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);
#ifdef SUBSPACE_EXTERN_TEMPLATES
#include "../grassmann_product.hpp"
#include "../stiefel.hpp"
SUBSPACE_RIEMANNIAN_ADAM_TEMPLATES(extern template, double)
SUBSPACE_RIEMANNIAN_ADAM_TEMPLATES(extern template, float)
#endif
