// SPDX-License-Identifier: MIT
// optim/minimize.hpp: a small driver for users who do not own a training loop.
#pragma once

#include <cmath>
#include <functional>

#include "../config.hpp"

namespace subspace {

/// When `minimize` stops.
struct StopRule {
  int max_iterations = 1000;
  /// Stop when the Riemannian gradient norm |x.project(G)| <= this.
  double gradient_tolerance = 1e-6;
};

enum class StopReason {
  GradientTolerance,  ///< the gradient norm reached StopRule::gradient_tolerance
  MaxIterations,      ///< StopRule::max_iterations steps were taken
  NonFinite  ///< the objective returned a NaN/Inf value or gradient (x is the last finite point)
};

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

struct MinimizeReport {
  int iterations = 0;        ///< optimiser steps taken
  double value = 0;          ///< objective at the returned point
  double gradient_norm = 0;  ///< Riemannian gradient norm at the returned point
  StopReason reason = StopReason::MaxIterations;
};

/// Minimizes f over the manifold of x, in place, with `optimizer` (RiemannianSGD or
/// RiemannianAdam of the point type). f(x, G) returns the value at x and writes the Euclidean
/// gradient into G (shaped like x's basis). Each iteration costs one evaluation of f and one
/// optimiser step. Returns why it stopped, the iteration count, and the final value and
/// gradient norm.
template <class Point, class Optimizer, class Objective>
MinimizeReport minimize(const Objective& f, Point& x, Optimizer& optimizer,
                        const StopRule& stop = {}) {
  typename Point::Tangent g(x.basis().rows(), x.basis().cols());
  MinimizeReport rep;
  for (int it = 0;; ++it) {
    const double value = static_cast<double>(f(static_cast<const Point&>(x), g));
    if (!std::isfinite(value) || !g.allFinite()) {
      rep.reason = StopReason::NonFinite;
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
    optimizer.step(x, g);
  }
}

}  // namespace subspace
