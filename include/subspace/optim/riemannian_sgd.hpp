// SPDX-License-Identifier: MIT
// optim/riemannian_sgd.hpp: Riemannian stochastic gradient descent with momentum, dampening and
// Nesterov momentum, on Grassmann, Stiefel and product points.
//
// One step at x with Euclidean gradient G (Bonnabel 2013; momentum as in PyTorch's SGD and
// Geoopt's RiemannianSGD, with the buffer moved by vector transport):
//   g   = x.project(G)                                    Riemannian gradient
//   m   = g on the first step, else mu * m + (1 - dampening) g
//   dir = g + mu * m (Nesterov) or m (momentum) or g (mu = 0)
//   x'  = x.retract(-lr * dir, retraction)
//   m   = x.transport(m, x')                              the buffer lives at x'
#pragma once

#include <Eigen/Core>
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

/// Options of RiemannianSGD (the update is in the file comment).
struct SGDOptions {
  /// lr, the step size (> 0).
  double learning_rate = 1e-2;
  double momentum = 0;    ///< mu in [0, 1)
  double dampening = 0;   ///< in [0, 1]; must be 0 with Nesterov
  bool nesterov = false;  ///< needs momentum > 0
  /// The retraction each step uses (see Retraction).
  Retraction retraction = Retraction::QR;
};

/// Riemannian SGD for a point type `Point` (Grassmann, Stiefel, GrassmannProduct, or any type
/// with project / retract / transport). Holds the momentum buffer; `step` works in the caller's
/// loop. Cost per step: one projection, one retraction, one transport (about 12 n k^2 per
/// component with QR).
template <class Point>
class RiemannianSGD {
 public:
  /// The point's scalar type.
  using Scalar = typename Point::Scalar;
  /// The point's tangent vector type (the momentum buffer and the returned gradient).
  using Tangent = typename Point::Tangent;

  /// Throws InvalidParameter for a non-positive or non-finite learning rate, momentum outside
  /// [0, 1), dampening outside [0, 1], Nesterov without momentum or with dampening, or a
  /// retraction that is not a Retraction enumerator.
  explicit RiemannianSGD(const SGDOptions& options = {}) : opt_(options) {
    constexpr const char* f = "subspace::RiemannianSGD";
    if (!(opt_.learning_rate > 0) || !std::isfinite(opt_.learning_rate))
      throw InvalidParameter(
          detail::message(f, ": learning_rate must be > 0, got ", opt_.learning_rate));
    if (!(opt_.momentum >= 0 && opt_.momentum < 1))
      throw InvalidParameter(
          detail::message(f, ": momentum must be in [0, 1), got ", opt_.momentum));
    if (!(opt_.dampening >= 0 && opt_.dampening <= 1))
      throw InvalidParameter(
          detail::message(f, ": dampening must be in [0, 1], got ", opt_.dampening));
    if (opt_.nesterov && (opt_.momentum == 0 || opt_.dampening != 0))
      throw InvalidParameter(detail::message(f, ": Nesterov needs momentum > 0 and dampening 0"));
    detail::require_enum(opt_.retraction, Retraction::QR, Retraction::Cayley, f, "retraction");
    detail::zero_if_fixed(buf_);  // so that saving before the first step writes zeros
  }

  /// The options in use (learning_rate as last set).
  const SGDOptions& options() const { return opt_; }
  /// Changes the learning rate (for schedules); same check as the constructor.
  void set_learning_rate(double lr) {
    if (!(lr > 0) || !std::isfinite(lr))
      throw InvalidParameter(detail::message("subspace::RiemannianSGD::set_learning_rate: ", lr));
    opt_.learning_rate = lr;
  }
  /// Steps taken since construction or reset().
  long long steps() const { return steps_; }
  /// Forgets the momentum buffer and the step count.
  void reset() {
    steps_ = 0;
    has_buf_ = false;
  }

  /// One step: x <- R_x(-lr * dir). Returns the Riemannian gradient g at the old x. Throws
  /// DimensionMismatch (G not the shape of x, or x not the shape of the point the momentum
  /// buffer belongs to: one optimiser per point, reset() to start over) and NonFiniteInput
  /// (G has NaN/Inf; x unchanged).
  template <class Derived>
  Tangent step(Point& x, const Eigen::MatrixBase<Derived>& egrad_arg);

  /// Writes the state (step count and momentum buffer) in the text format of
  /// detail/serialize.hpp; options are not saved (they belong to the caller's configuration).
  void save(std::ostream& os) const;
  /// Restores a state written by `save`, read as untrusted input (rules of
  /// detail/serialize.hpp: size limit `max_load_elements`, no trailing data, std::bad_alloc
  /// mapped). Throws FormatError, the optimiser unchanged, on an unreadable stream, a wrong
  /// header, truncation, an unparsable or non-finite value, a buffer whose shape does not fit
  /// Tangent, a step count outside [0, 2^63 - 2] (so the next step cannot overflow), or a
  /// buffer flagged present but empty. Cost: one pass over the stream.
  void load(std::istream& is);

 private:
  SGDOptions opt_;
  Tangent buf_;
  bool has_buf_ = false;
  long long steps_ = 0;
};

// ---- RiemannianSGD: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Point>
template <class Derived>
auto RiemannianSGD<Point>::step(Point& x, const Eigen::MatrixBase<Derived>& egrad_arg) -> Tangent {
  const auto& egrad = detail::evaluated(egrad_arg);
  const auto& eg = egrad.eval();  // an expression (even a random one) is evaluated once
  detail::require_finite(eg, "subspace::RiemannianSGD::step", "G");
  Tangent g = x.project(eg);
  const Scalar mu = Scalar(opt_.momentum);
  Tangent dir;
  if (mu > Scalar(0)) {
    if (has_buf_ && (buf_.rows() != g.rows() || buf_.cols() != g.cols()))
      throw DimensionMismatch(detail::message(
          "subspace::RiemannianSGD::step: the momentum buffer is ",
          detail::shape(buf_.rows(), buf_.cols()), ", the point ",
          detail::shape(g.rows(), g.cols()), " (one optimiser per point; reset() to start over)"));
    if (!has_buf_)
      buf_ = g;
    else
      buf_ = mu * buf_ + Scalar(1 - opt_.dampening) * g;
    dir = opt_.nesterov ? Tangent(g + mu * buf_) : buf_;
  } else {
    dir = g;
  }
  Point next = x.retract(Scalar(-opt_.learning_rate) * dir, opt_.retraction);
  if (mu > Scalar(0)) {
    buf_ = x.transport(buf_, next);
    has_buf_ = true;
  }
  x = std::move(next);
  // Saturates (a loaded state may hold any count): never a signed overflow; beyond 2^63
  // steps the bias corrections are exactly 1 either way.
  if (steps_ < std::numeric_limits<long long>::max()) ++steps_;
  return g;
}

template <class Point>
auto RiemannianSGD<Point>::save(std::ostream& os) const -> void {
  detail::write_header(os, "subspace::RiemannianSGD", 1);
  os << steps_ << ' ' << (has_buf_ ? 1 : 0) << '\n';
  detail::write_matrix(os, buf_);
  if (!os) throw FormatError("subspace::RiemannianSGD::save: the stream failed");
}

template <class Point>
auto RiemannianSGD<Point>::load(std::istream& is) -> void {
  constexpr const char* f = "subspace::RiemannianSGD::load";
  detail::guarded_load(f, [&] {
    detail::read_header(is, "subspace::RiemannianSGD", 1, f);
    const long long steps = detail::read_value<long long>(is, f, "step count");
    const int has_buf = detail::read_value<int>(is, f, "buffer flag");
    Tangent buf;
    detail::read_matrix(is, buf, f, "momentum buffer");
    detail::expect_end(is, f);
    if (steps < 0 || steps == std::numeric_limits<long long>::max() ||
        (has_buf != 0 && has_buf != 1))
      throw FormatError(detail::message(f, ": inconsistent state (step count ", steps,
                                        ", buffer flag ", has_buf, ")"));
    if (has_buf == 1 && buf.size() == 0)
      throw FormatError(detail::message(f, ": a momentum buffer flagged present is empty"));
    steps_ = steps;
    has_buf_ = has_buf == 1;
    buf_ = std::move(buf);
  });
}
/// \endcond

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_RIEMANNIAN_SGD_TEMPLATES(P, S)                                    \
  P class subspace::RiemannianSGD<subspace::Grassmann<S>>;                         \
  P SUBSPACE_MATX(S) subspace::RiemannianSGD<subspace::Grassmann<S>>::step(        \
      subspace::Grassmann<S>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);        \
  P class subspace::RiemannianSGD<subspace::Stiefel<S>>;                           \
  P SUBSPACE_MATX(S) subspace::RiemannianSGD<subspace::Stiefel<S>>::step(          \
      subspace::Stiefel<S>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);          \
  P class subspace::RiemannianSGD<subspace::GrassmannProduct<S>>;                  \
  P SUBSPACE_MATX(S) subspace::RiemannianSGD<subspace::GrassmannProduct<S>>::step( \
      subspace::GrassmannProduct<S>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);
#ifdef SUBSPACE_EXTERN_TEMPLATES
#include "../grassmann_product.hpp"
#include "../stiefel.hpp"
SUBSPACE_RIEMANNIAN_SGD_TEMPLATES(extern template, double)
SUBSPACE_RIEMANNIAN_SGD_TEMPLATES(extern template, float)
#endif
