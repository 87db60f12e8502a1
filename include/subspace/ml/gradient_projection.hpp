// SPDX-License-Identifier: MIT
// ml/gradient_projection.hpp: orthogonal-gradient updates for continual learning.
//
// Gradient Projection Memory (GPM; Saha, Garg & Roy, "Gradient Projection Memory for Continual
// Learning", ICLR 2021). A dense layer y = W x with W of shape (out x d) changes its outputs on
// earlier inputs x only through Delta W x. If the inputs of earlier tasks lie (mostly) in
// span(M), M d x m orthonormal, then a step Delta W = G (I - M M^T) leaves W x unchanged for
// every x in span(M): the *input space* of the layer is protected, on the right of G.
//
// After each task the memory grows from a representation matrix R (d x s: the layer's inputs on
// s samples of that task), keeping only what M does not already capture (Saha et al., eq. 8-10):
//   R_hat = R - M M^T R,   R_hat = U S V^T (thin SVD),
//   add the fewest k leading columns of U with  |M^T R|_F^2 + sum_{i<=k} s_i^2 >= eps |R|_F^2,
// so eps is the fraction of the task's representation energy the memory must hold. New
// directions are re-orthogonalized against M (and among themselves, by QR), so M stays
// orthonormal to a few eps however many tasks are added (tested).
//
// SpectralProtection is the second strategy, after "Sculpting Subspaces" (Nayak et al., 2025:
// constrained full fine-tuning for continual learning): it protects the top singular subspaces
// of the *weights* themselves, with the rank chosen per layer from the spectrum (an energy rule),
// and projects gradients off both sides: G <- (I - U U^T) G (I - V V^T). It needs no stored
// activations and no pass over old data, at the price of protecting what the weights emphasize
// rather than what earlier inputs used.
#pragma once

#include <Eigen/Core>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

#include "../basis.hpp"
#include "../config.hpp"
#include "../detail/checks.hpp"
#include "../traits.hpp"

namespace subspace {

/// \addtogroup ml
/// @{

/// GPM's threshold schedule: eps_t = min(max, base + increment * t) for task t = 0, 1, ...
/// (Saha et al. use 0.97 + 0.003 t on 5-datasets / miniImageNet; 0.95 - 0.99 on PMNIST).
struct ThresholdSchedule {
  /// eps_0, the threshold of the first task.
  double base = 0.97, increment = 0.003, max = 1.0;
  /// eps_t for task t (0-based): min(max, base + increment * t). InvalidParameter for t < 0, a
  /// non-finite field, or an eps_t outside (0, 1] (update's range).
  double at(Index task) const {
    const double eps = std::min(max, base + increment * double(task));
    if (task < 0 || !std::isfinite(base) || !std::isfinite(increment) || !std::isfinite(max) ||
        !(eps > 0.0 && eps <= 1.0))
      throw InvalidParameter(detail::message(
          "subspace::ThresholdSchedule::at: need task >= 0 and finite base, increment, max "
          "giving eps in (0, 1]; got task ",
          task, ", base ", base, ", increment ", increment, ", max ", max));
    return eps;
  }
};

/// \var ThresholdSchedule::increment
/// Added to the threshold per task.

/// \var ThresholdSchedule::max
/// The cap of the threshold (at most 1).

/// What one memory update did (sizes and energies: the budget of the method).
struct MemoryUpdate {
  Index added = 0;           ///< directions added by this update
  Index size = 0;            ///< m after the update
  Index dim = 0;             ///< d, the input dimension
  double energy_before = 0;  ///< fraction of |R|_F^2 the memory held before the update
  double energy_after = 0;   ///< ... and after
  bool saturated = false;    ///< m == d: every later projected gradient is zero
  std::size_t bytes = 0;     ///< d m scalars held by the memory after the update
};

/// The GPM memory of one layer: an orthonormal basis M (d x m) of its protected input space.
template <class Scalar_>
class GradientProjectionMemory {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// A dynamic matrix (the basis M, activations, gradients).
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// An empty memory (m = 0) for a layer with d inputs (d >= 1; DimensionMismatch otherwise).
  explicit GradientProjectionMemory(Index d) : m_(checked_dimension(d), 0) {}

  /// A memory holding the given protected directions: a d x m basis (d >= 1, 0 <= m <= d)
  /// with orthonormal columns, e.g. one exported from PyTorch as .npy, or one built on another
  /// process. Throws DimensionMismatch (d = 0 or m > d), NonFiniteInput, NotOrthonormal
  /// (max|M^T M - I| above Tolerance::orthonormality(d): re-orthonormalize with qr_basis
  /// first). Cost O(d m^2), plus O(d^3) for the complement basis when m > d/2 (as `update`).
  template <class Derived>
  static GradientProjectionMemory from_basis(const Eigen::MatrixBase<Derived>& m_arg) {
    const auto& m = detail::evaluated(m_arg);
    constexpr const char* func = "subspace::GradientProjectionMemory::from_basis";
    GradientProjectionMemory out(m.rows());
    if (m.cols() > 0) {
      detail::require_basis(m, func, "M");
      out.m_ = m;
      out.comp_ = 2 * out.size() > out.dim() ? complement(out.m_) : Matrix(out.dim(), 0);
    }
    return out;
  }

  /// d, the layer's input dimension.
  Index dim() const { return m_.rows(); }
  /// m, the number of protected directions held.
  Index size() const { return m_.cols(); }
  /// Whether m == d: every projected gradient is then zero.
  bool saturated() const { return size() == dim(); }
  /// d x m, orthonormal columns: the protected input directions, oldest first.
  const Matrix& basis() const { return m_; }

  /// Adds to the memory the directions of R (d x s, s >= 1) it does not hold yet, by the energy
  /// criterion above with threshold eps in (0, 1]. Never adds more directions than the numerical
  /// rank of R - M M^T R (directions below it are rounding noise), so eps = 1 on rank-deficient
  /// data adds the whole numerical span and stops. Cost: the thin SVD of the d x s residual,
  /// O(d s min(d, s)), plus 4 d m s for the projections; memory d (m + k) scalars.
  /// Throws DimensionMismatch (R has != d rows or no column), NonFiniteInput, InvalidParameter
  /// (eps outside (0, 1]). When the memory is already saturated it reports so and adds nothing.
  template <class Derived>
  MemoryUpdate update(const Eigen::MatrixBase<Derived>& r_arg, double eps);

  /// In place, G <- G (I - M M^T) for the gradient G (out x d) of a dense layer y = W x with W
  /// out x d (the PyTorch / Eigen layout): the step no longer changes W x for x in span(M).
  /// Cost 4 out d min(m, d - m) flops (two GEMMs): for m > d/2 it is computed as G N N^T with a
  /// orthonormal basis N of the complement (built by `update`, O(d^3)). Thread safety: a
  /// const member that writes nothing but G, so one memory may project gradients from many
  /// threads at once; it allocates one out x min(m, d - m) temporary per call (besides Eigen's
  /// GEMM packing buffers: 3-4 per call at d = 1024), small beside the two GEMMs.
  /// Throws DimensionMismatch (G has != d columns), NonFiniteInput (G holds NaN or Inf: an
  /// exploding gradient is reported, not projected into the weights).
  template <class Derived>
  void project(Eigen::MatrixBase<Derived>& g) const {
    Matrix work;
    project(g, work);
  }
  /// As `project(g)`, with the out x min(m, d - m) temporary in a caller-owned `work` (one
  /// per thread): once `work` has the right size, a call allocates nothing of ours.
  template <class Derived>
  void project(Eigen::MatrixBase<Derived>& g, Matrix& work) const {
    constexpr const char* func = "subspace::GradientProjectionMemory::project";
    if (g.cols() != dim())
      throw DimensionMismatch(detail::message(
          func, ": G must have ", dim(), " columns, got ", detail::shape(g.rows(), g.cols()),
          detail::transposed_hint(g.cols(), g.rows(), dim(), "G")));
    detail::require_finite(g, func, "G");
    if (size() == 0) return;
    if (use_complement()) {  // G N N^T with N the complement: 4 out d (d - m) flops
      work.resize(g.rows(), comp_.cols());
      work.noalias() = g * comp_;
      g.noalias() = work * comp_.transpose();
      return;
    }
    work.resize(g.rows(), size());
    work.noalias() = g * m_;
    g.noalias() -= work * m_.transpose();
  }
  /// project() for a temporary view (a block, a Map): `memory.project(W.block(...))`.
  template <class Derived>
  void project(Eigen::MatrixBase<Derived>&& g) const {
    project(g);
  }

  /// In place, G <- (I - M M^T) G for the layout y = W^T x, W d x out (inputs on the rows).
  /// Cost 4 d out min(m, d - m) flops; same complement, thread-safety and allocation rules.
  /// Throws DimensionMismatch, NonFiniteInput.
  template <class Derived>
  void project_transposed(Eigen::MatrixBase<Derived>& g) const;

 private:
  // Checked before any member is sized (a negative size is an Eigen assertion, not an error).
  static Index checked_dimension(Index d) {
    if (d < 1)
      throw DimensionMismatch(detail::message(
          "subspace::GradientProjectionMemory: the input dimension must be >= 1, got ", d));
    return d;
  }

  /// For m > d/2 the projections use the orthonormal basis N of the complement (I - M M^T =
  /// N N^T) that `update` computed.
  bool use_complement() const { return 2 * size() > dim(); }

  Matrix m_;
  Matrix comp_;  ///< d x (d - m) complement basis when m > d/2, else d x 0
};

// ---- GradientProjectionMemory: out-of-class definitions (not implicitly inline, so that compiled
// mode instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_>
template <class Derived>
auto GradientProjectionMemory<Scalar_>::update(const Eigen::MatrixBase<Derived>& r_arg, double eps)
    -> MemoryUpdate {
  const auto& r = detail::evaluated(r_arg);
  constexpr const char* func = "subspace::GradientProjectionMemory::update";
  if (r.rows() != dim() || r.cols() < 1)
    throw DimensionMismatch(detail::message(
        func, ": R must be ", dim(), " x s with s >= 1, got ", detail::shape(r.rows(), r.cols()),
        detail::transposed_hint(r.rows(), r.cols(), dim(), "R")));
  if (!(eps > 0.0 && eps <= 1.0))
    throw InvalidParameter(detail::message(func, ": the threshold must be in (0, 1], got ", eps));
  detail::require_finite(r, func, "R");
  MemoryUpdate rep;
  rep.dim = dim();
  // Energies and directions do not depend on the scale of R: divide by max|R| first, so
  // |R|_F^2 neither overflows nor underflows whatever the activations' magnitude.
  Matrix rr = r;
  const Scalar amax = rr.cwiseAbs().maxCoeff();
  if (amax > Scalar(0)) rr /= amax;
  const Scalar total = detail::accurate_squared_norm(rr);
  Matrix resid = rr;
  Scalar held = 0;
  if (size() > 0) {
    Matrix mr(size(), rr.cols());
    mr.noalias() = m_.transpose() * rr;
    held = detail::accurate_squared_norm(mr);
    resid.noalias() -= m_ * mr;
  }
  rep.energy_before = total > 0 ? double(std::min(Scalar(1), held / total)) : 1.0;
  Index k = 0;
  Scalar held_after = held;
  if (!saturated() && total > 0 && rep.energy_before < eps) {
    const auto res = svd_basis(resid, RankRule::automatic());
    // The numerical rank of the residual is judged against the scale of R, not of the
    // residual itself: directions below max(d, s) eps |R|_2 are rounding of what M holds.
    const Scalar floor =
        Scalar(std::max(rr.rows(), rr.cols())) * Tolerance<Scalar>::epsilon() * std::sqrt(total);
    Scalar acc = held;
    const Scalar target = Scalar(eps) * total * (Scalar(1) - 10 * Tolerance<Scalar>::epsilon());
    while (k < res.rank && k < dim() - size() && acc < target && res.singular_values(k) > floor) {
      acc += res.singular_values(k) * res.singular_values(k);
      ++k;
    }
    if (k > 0) {
      Matrix add = res.basis.leftCols(k);
      if (size() > 0) {  // one more Gram-Schmidt pass against M, then QR among themselves
        Matrix ma(size(), k);
        ma.noalias() = m_.transpose() * add;
        add.noalias() -= m_ * ma;
      }
      Eigen::HouseholderQR<Matrix> qr(add);
      add = qr.householderQ() * Matrix::Identity(dim(), k);
      Matrix ar(k,
                rr.cols());  // the grown memory holds |M^T R|^2 + |A^T R|^2 (A orthogonal to M)
      ar.noalias() = add.transpose() * rr;
      held_after += detail::accurate_squared_norm(ar);
      Matrix grown(dim(), size() + k);
      grown << m_, add;
      m_.swap(grown);
      // For m > d/2 the projections go through a basis N of the complement (I - M M^T =
      // N N^T), built here once per update (O(d^3)), so that `project` stays a pure const
      // function, safe to call from several threads.
      comp_ = 2 * size() > dim() ? complement(m_) : Matrix(dim(), 0);
    }
  }
  rep.added = k;
  rep.size = size();
  rep.saturated = saturated();
  rep.energy_after =
      total > 0 ? double(std::min(Scalar(1), held_after / total)) : rep.energy_before;
  rep.bytes = std::size_t(dim()) * std::size_t(size()) * sizeof(Scalar);
  return rep;
}

template <class Scalar_>
template <class Derived>
auto GradientProjectionMemory<Scalar_>::project_transposed(Eigen::MatrixBase<Derived>& g) const
    -> void {
  constexpr const char* func = "subspace::GradientProjectionMemory::project_transposed";
  if (g.rows() != dim())
    throw DimensionMismatch(detail::message(func, ": G must have ", dim(), " rows, got ",
                                            detail::shape(g.rows(), g.cols())));
  detail::require_finite(g, func, "G");
  if (size() == 0) return;
  if (use_complement()) {
    const Matrix work = comp_.transpose() * g;
    g.noalias() = comp_ * work;
    return;
  }
  const Matrix work = m_.transpose() * g;
  g.noalias() -= m_ * work;
}
/// \endcond

/// The second strategy (file comment): protection of the top singular subspaces of a layer's
/// weights. After a task, `update(W)` takes the SVD W = U S V^T (W out x d) and keeps the
/// smallest r with sum_{i<=r} s_i^2 >= f sum_i s_i^2 (RankRule::energy(f): the rank adapts to
/// each layer's spectrum); `project(G)` then removes from a gradient every component that
/// would change W along those directions: G <- (I - U_r U_r^T) G (I - V_r V_r^T).
template <class Scalar_>
class SpectralProtection {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// A dynamic matrix (weights, gradients, the protected bases).
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// Protection for a layer of shape out x d with energy fraction f in (0, 1].
  SpectralProtection(Index out, Index d, double fraction)
      : u_(checked_shape(out, d), 0), v_(d, 0), f_(fraction) {
    (void)RankRule::energy(fraction);  // validates f: InvalidParameter outside (0, 1]
  }

  /// r, the number of protected singular directions (0 before the first update).
  Index rank() const { return u_.cols(); }
  /// U_r, out x r: the protected left singular vectors of W.
  const Matrix& left() const { return u_; }
  /// V_r, d x r: the protected right singular vectors of W.
  const Matrix& right() const { return v_; }

  /// Recomputes the protected subspaces from the current weights W (out x d). Cost: the SVD of
  /// W, O(out d min(out, d)). Throws DimensionMismatch, NonFiniteInput.
  template <class Derived>
  Index update(const Eigen::MatrixBase<Derived>& w_arg);

  /// In place, G <- (I - U U^T) G (I - V V^T) for G out x d. Cost 4 out d r flops (two rank-r
  /// corrections). Thread-safe const member, as GradientProjectionMemory::project (one r x d
  /// and one out x r temporary per call). Throws DimensionMismatch, NonFiniteInput.
  template <class Derived>
  void project(Eigen::MatrixBase<Derived>& g) const {
    constexpr const char* func = "subspace::SpectralProtection::project";
    if (g.rows() != u_.rows() || g.cols() != v_.rows())
      throw DimensionMismatch(detail::message(func, ": G must be ",
                                              detail::shape(u_.rows(), v_.rows()), ", got ",
                                              detail::shape(g.rows(), g.cols())));
    detail::require_finite(g, func, "G");
    if (rank() == 0) return;
    const Matrix left = u_.transpose() * g;
    g.noalias() -= u_ * left;
    const Matrix right = g * v_;
    g.noalias() -= right * v_.transpose();
  }
  /// project() for a temporary view (a block, a Map).
  template <class Derived>
  void project(Eigen::MatrixBase<Derived>&& g) const {
    project(g);
  }

 private:
  // Checked before any member is sized (a negative size is an Eigen assertion, not an error).
  static Index checked_shape(Index out, Index d) {
    if (out < 1 || d < 1)
      throw DimensionMismatch(
          detail::message("subspace::SpectralProtection: shape ", detail::shape(out, d)));
    return out;
  }
  Matrix u_, v_;
  double f_;
};

// ---- SpectralProtection: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_>
template <class Derived>
auto SpectralProtection<Scalar_>::update(const Eigen::MatrixBase<Derived>& w_arg) -> Index {
  const auto& w = detail::evaluated(w_arg);
  constexpr const char* func = "subspace::SpectralProtection::update";
  if (w.rows() != u_.rows() || w.cols() != v_.rows())
    throw DimensionMismatch(detail::message(func, ": W must be ",
                                            detail::shape(u_.rows(), v_.rows()), ", got ",
                                            detail::shape(w.rows(), w.cols())));
  detail::require_finite(w, func, "W");
  const Matrix wm = w;
  Eigen::BDCSVD<Matrix> svd(wm, Eigen::ComputeThinU | Eigen::ComputeThinV);
  detail::require_svd_ok(svd, func);
  const Index r = RankRule::energy(f_).select(svd.singularValues(), wm.rows(), wm.cols(), func);
  u_ = svd.matrixU().leftCols(r);
  v_ = svd.matrixV().leftCols(r);
  return r;
}
/// \endcond

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_GRADIENT_PROJECTION_TEMPLATES(P, S)                                          \
  P class subspace::GradientProjectionMemory<S>;                                              \
  P subspace::MemoryUpdate subspace::GradientProjectionMemory<S>::update(                     \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, double);                                    \
  P void subspace::GradientProjectionMemory<S>::project(Eigen::MatrixBase<SUBSPACE_MATX(S)>&) \
      const;                                                                                  \
  P void subspace::GradientProjectionMemory<S>::project(Eigen::MatrixBase<SUBSPACE_MATX(S)>&, \
                                                        SUBSPACE_MATX(S)&) const;             \
  P void subspace::GradientProjectionMemory<S>::project(Eigen::MatrixBase<SUBSPACE_VECX(S)>&) \
      const;                                                                                  \
  P void subspace::GradientProjectionMemory<S>::project_transposed(                           \
      Eigen::MatrixBase<SUBSPACE_MATX(S)>&) const;                                            \
  P class subspace::SpectralProtection<S>;                                                    \
  P subspace::Index subspace::SpectralProtection<S>::update(                                  \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);                                            \
  P void subspace::SpectralProtection<S>::project(Eigen::MatrixBase<SUBSPACE_MATX(S)>&) const;
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_GRADIENT_PROJECTION_TEMPLATES(extern template, double)
SUBSPACE_GRADIENT_PROJECTION_TEMPLATES(extern template, float)
#endif
