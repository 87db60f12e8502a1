// SPDX-License-Identifier: MIT
// optim/minimize.hpp: a small driver for users who do not own a training loop.
#pragma once

#include <cmath>
#include <functional>

#include "../config.hpp"
#include "../detail/checks.hpp"

namespace subspace {

/// \addtogroup optim
/// @{

/// When `minimize` stops.
struct StopRule {
  /// Most optimiser steps taken (>= 0).
  int max_iterations = 1000;
  /// Stop when the Riemannian gradient norm |x.project(G)| <= this.
  double gradient_tolerance = 1e-6;
};

/// Why `minimize` stopped (MinimizeReport::reason).
enum class StopReason {
  GradientTolerance,  ///< the gradient norm reached StopRule::gradient_tolerance
  MaxIterations,      ///< StopRule::max_iterations steps were taken
  NonFinite           ///< f returned NaN/Inf; x is the last point where f was finite
};

/// A short English description of the reason, e.g. "gradient tolerance reached".
inline const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::GradientTolerance:
      return "gradient tolerance reached";
    case StopReason::MaxIterations:
      return "maximum number of iterations reached";
    case StopReason::NonFinite:
      return "objective returned a non-finite value or gradient";
  }
  return "?";
}

/// What `minimize` returns: where and why it stopped.
struct MinimizeReport {
  int iterations = 0;        ///< optimiser steps taken
  double value = 0;          ///< objective at the returned point
  double gradient_norm = 0;  ///< Riemannian gradient norm at the returned point
  /// Which stopping criterion ended the run.
  StopReason reason = StopReason::MaxIterations;
};

/// Minimizes f over the manifold of x, in place, with `optimizer` (RiemannianSGD or
/// RiemannianAdam of the point type). f(x, G) returns the value at x and writes the Euclidean
/// gradient into G (shaped like x's basis). Each iteration costs one evaluation of f, one
/// projection and one optimiser step, plus one copy of x (kept so that a failed evaluation can
/// be undone). Stops at the first of: Riemannian gradient norm <= stop.gradient_tolerance,
/// stop.max_iterations steps, or a NaN/Inf value or gradient; in the last case x is put back to
/// the last point where f was finite and the report describes that point. Throws
/// InvalidParameter for a negative max_iterations or a negative / NaN tolerance.
template <class Point, class Optimizer, class Objective>
MinimizeReport minimize(const Objective& f, Point& x, Optimizer& optimizer,
                        const StopRule& stop = {}) {
  if (stop.max_iterations < 0 || !(stop.gradient_tolerance >= 0))
    throw InvalidParameter(detail::message(
        "subspace::minimize: StopRule needs max_iterations >= 0 and gradient_tolerance >= 0, got ",
        stop.max_iterations, " and ", stop.gradient_tolerance));
  typename Point::Tangent g(x.basis().rows(), x.basis().cols());
  Point last = x;
  MinimizeReport rep;
  for (int it = 0;; ++it) {
    const double value = static_cast<double>(f(static_cast<const Point&>(x), g));
    if (!std::isfinite(value) || !g.allFinite()) {
      rep.reason = StopReason::NonFinite;
      if (it > 0) x = last;
      return rep;
    }
    rep.value = value;
    rep.gradient_norm = static_cast<double>(x.project(g).norm());
    rep.iterations = it;
    if (rep.gradient_norm <= stop.gradient_tolerance) {
      rep.reason = StopReason::GradientTolerance;
      return rep;
    }
    if (it >= stop.max_iterations) {
      rep.reason = StopReason::MaxIterations;
      return rep;
    }
    last = x;
    optimizer.step(x, g);
  }
}

/// @}
}  // namespace subspace
