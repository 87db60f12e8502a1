// SPDX-License-Identifier: MIT
// ml/gcr.hpp: a Grassmann Class Representation head (Wang, Li & Zhang, "Get the Best of Both
// Worlds: Improving Accuracy and Transferability by Grassmann Class Representation", ICCV 2023).
//
// Class c is a k-dimensional subspace with orthonormal basis S_c (d x k); the bases are stored
// side by side, S = [S_1 ... S_C] (d x C k, the GrassmannProduct layout). For a feature x (d),
// with x_hat = x / |x| (feature normalization, as the paper; optional),
//   logit_c(x) = s |S_c^T x_hat|          (s: the logit scale; k = 1: s |cos angle(x, S_1)|).
// A batch X (d x B, one feature per column) costs one GEMM P = S^T X_hat (C k x B) plus the
// grouped column norms of P: the forward pass is GEMM-bound (bench/bench_gcr.cpp).
//
// Backward, for upstream gradients D = dL/dlogits (C x B):
//   Q_cb = D_cb s P_cb / |P_cb|   (C k x B; the blocks of P per class and sample),
//   dL/dS = X_hat Q^T             (d x C k, Euclidean; the Riemannian gradient is its
//                                  blockwise tangent projection, done by the optimiser),
//   dL/dX_hat = S Q,  dL/dx = (I - x_hat x_hat^T) (dL/dx_hat) / |x|   (d x B).
// Non-differentiable points, by a documented rule: where P_cb = 0 (x orthogonal to class c) the
// norm's minimum-norm subgradient 0 is used; a zero feature x = 0 has x_hat = 0, logits 0 and
// gradient 0 with respect to x. Both are measure-zero events in training. Features of any finite
// scale are normalized without overflow or underflow (x / max|x| first); dL/dx, which scales
// like 1 / |x|, can overflow for features near the underflow threshold, as it truly does.
#pragma once

#include <Eigen/Core>
#include <Eigen/SVD>
#include <cmath>
#include <istream>
#include <ostream>
#include <random>
#include <type_traits>
#include <vector>

#include "../basis.hpp"
#include "../config.hpp"
#include "../detail/checks.hpp"
#include "../detail/serialize.hpp"
#include "../grassmann_product.hpp"
#include "../optim/riemannian_adam.hpp"
#include "../optim/riemannian_sgd.hpp"
#include "../traits.hpp"

namespace subspace {

/// \addtogroup ml
/// @{

/// Mean softmax cross-entropy of logits (C x B) against labels (B, values in [0, C)), and its
/// gradient dL/dlogits = (softmax - onehot) / B, computed with the max subtracted (no overflow).
/// Labels have an integer type (checked at compile time). Cost O(C B). Throws DimensionMismatch
/// (sizes, empty batch), InvalidParameter (a label outside [0, C)), NonFiniteInput.
template <class DL, class DY>
typename DL::Scalar softmax_cross_entropy(
    const Eigen::MatrixBase<DL>& logits_arg, const Eigen::MatrixBase<DY>& labels_arg,
    Eigen::Matrix<typename DL::Scalar, Eigen::Dynamic, Eigen::Dynamic>* grad = nullptr) {
  const auto& logits = detail::evaluated(logits_arg);
  const auto& labels = detail::evaluated(labels_arg);
  using Scalar = typename DL::Scalar;
  constexpr const char* func = "subspace::softmax_cross_entropy";
  static_assert(std::is_integral<typename DY::Scalar>::value,
                "softmax_cross_entropy: labels must have an integer type");
  if (labels.size() != logits.cols() || logits.rows() < 1 || logits.cols() < 1)
    throw DimensionMismatch(detail::message(func, ": logits ",
                                            detail::shape(logits.rows(), logits.cols()), " and ",
                                            labels.size(), " labels"));
  detail::require_finite(logits, func, "logits");
  const Index c = logits.rows(), b = logits.cols();
  if (grad) grad->resize(c, b);
  Scalar loss = 0;
  for (Index j = 0; j < b; ++j) {
    const auto y = static_cast<Index>(labels(j));
    if (y < 0 || y >= c)
      throw InvalidParameter(detail::message(func, ": label ", y, " outside [0, ", c, ")"));
    const Scalar mx = logits.col(j).maxCoeff();
    const Scalar sum = (logits.col(j).array() - mx).exp().sum();
    loss += std::log(sum) - (logits(y, j) - mx);
    if (grad) {
      grad->col(j) = ((logits.col(j).array() - mx).exp() / sum).matrix() / Scalar(b);
      (*grad)(y, j) -= Scalar(1) / Scalar(b);
    }
  }
  return loss / Scalar(b);
}

/// Options of a GCR head.
struct GcrOptions {
  double scale = 16;               ///< s, the logit scale (> 0)
  bool normalize_features = true;  ///< x_hat = x / |x| (the paper's choice) or x as given
};

/// The GCR head: C class subspaces of dimension k in R^d (file comment for the formulas).
template <class Scalar_>
class GcrHead {
 public:
  /// The scalar type.
  using Scalar = Scalar_;
  /// A dynamic matrix: features (d x B), logits (C x B), gradients.
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  /// A dynamic column vector.
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  /// The C class subspaces, one point of Gr(k, d) each, as a d x (C k) product point.
  using Bases = GrassmannProduct<Scalar>;
  /// Per feature column j: (max|x_j|, |x_j / max|x_j||), so |x_j| is their product (which may
  /// overflow or underflow when formed); (0, 0) for a zero feature.
  using Norms = Eigen::Matrix<Scalar, 2, Eigen::Dynamic>;
  /// Class indices in [0, C), one per feature column (what `predict` returns).
  using Labels = Eigen::Matrix<Index, Eigen::Dynamic, 1>;
  /// The optimisers `step` takes: Riemannian SGD or Adam over the product of the C bases.
  using SGD = RiemannianSGD<Bases>;
  /// Riemannian Adam over the product of the C bases (see SGD).
  using Adam = RiemannianAdam<Bases>;

  /// A head with the given bases (d x C k, each block orthonormal, checked) and options.
  /// Throws DimensionMismatch (k does not divide the columns), NotOrthonormal, InvalidParameter
  /// (scale <= 0 or not finite).
  explicit GcrHead(const Bases& bases, const GcrOptions& options = {}) : s_(bases), opt_(options) {
    if (!(options.scale > 0) || !std::isfinite(options.scale) ||
        !std::isfinite(static_cast<double>(static_cast<Scalar>(options.scale))))
      throw InvalidParameter(detail::message(
          "subspace::GcrHead: the scale must be finite and > 0, got ", options.scale));
  }

  /// Random initialization: C independent Haar-uniform points of Gr(k, d). Sizes in the
  /// library's one order, ambient dimension, subspace dimension, count (as
  /// `GrassmannProduct::random(n, k, count, rng)`). Cost O(C d k^2).
  template <class Rng>
  static GcrHead random(Index d, Index k, Index classes, Rng& rng, const GcrOptions& options = {});

  /// CLAFIC initialization (Watanabe 1967; the classic subspace classifier): S_c = the k leading
  /// left singular vectors of the class's (normalized, if the options say so) features,
  /// uncentered: the subspace that keeps most of the class's energy. x: d x N features,
  /// labels: N values in [0, C). Cost: one thin SVD per class, O(d N_c min(d, N_c)).
  /// Throws DimensionMismatch, InvalidParameter (bad label), NonFiniteInput, RankDeficient (a
  /// class with fewer than k linearly independent features).
  template <class DX, class DY>
  static GcrHead from_class_pca(const Eigen::MatrixBase<DX>& x_arg,
                                const Eigen::MatrixBase<DY>& labels_arg, Index k, Index classes,
                                const GcrOptions& options = {});

  /// The class subspaces S_1 ... S_C (d x C k).
  const Bases& bases() const { return s_; }
  /// The class subspaces, writable: for an update of one's own or to assign new bases (a
  /// GrassmannProduct keeps each block orthonormal).
  Bases& bases() { return s_; }
  /// The scale and feature normalization the head was built with.
  const GcrOptions& options() const { return opt_; }
  /// d, the feature dimension.
  Index feature_dim() const { return s_.ambient_dim(); }
  /// C, the number of classes.
  Index classes() const { return s_.count(); }
  /// k, the dimension of each class subspace.
  Index subspace_dim() const { return s_.dim(); }

  /// Logits (C x B) of the features X (d x B): s |S_c^T x_hat_b|. One GEMM (2 C k d B flops)
  /// plus O(C k B). Throws DimensionMismatch, NonFiniteInput.
  template <class Derived>
  Matrix logits(const Eigen::MatrixBase<Derived>& x_arg) const;

  /// The predicted class of every feature column of X (d x B): argmax_c of the logits (the
  /// smallest c among ties), B indices in [0, C). Cost of `logits`. Throws as `logits`.
  template <class Derived>
  Labels predict(const Eigen::MatrixBase<Derived>& x) const {
    const Matrix l = logits(x);
    Labels out(l.cols());
    for (Index j = 0; j < l.cols(); ++j) l.col(j).maxCoeff(&out(j));
    return out;
  }

  /// What backward returns: the gradients of the loss with respect to the features and the
  /// bases.
  struct Gradients {
    /// dL/dX, d x B, for the backbone.
    Matrix dx, dbases;
  };

  /// \var Gradients::dbases
  /// dL/dS, d x C k, Euclidean (the optimiser projects it to the tangent space).

  /// Gradients of a loss L through the head, given D = dL/dlogits (C x B) for the batch X:
  /// `dx` (d x B, for the backbone) and `dbases` (d x C k, Euclidean, for the optimiser, which
  /// projects it to the tangent space). Two more GEMMs than `logits`. Throws DimensionMismatch,
  /// NonFiniteInput.
  template <class DX, class DD>
  Gradients backward(const Eigen::MatrixBase<DX>& x_arg,
                     const Eigen::MatrixBase<DD>& dlogits_arg) const;

  /// One Riemannian step of the bases with an optimiser over GrassmannProduct (RiemannianSGD or
  /// RiemannianAdam) from the Euclidean gradient `dbases`; every block stays orthonormal.
  template <class Optimizer, class Derived>
  void step(Optimizer& opt, const Eigen::MatrixBase<Derived>& dbases_arg) {
    const auto& dbases = detail::evaluated(dbases_arg);
    opt.step(s_, dbases);
  }

  /// Text format of detail/serialize.hpp: "subspace::GcrHead 1", options, k, the bases.
  void save(std::ostream& os) const;
  /// Reads a head written by `save`, as untrusted input (rules of detail/serialize.hpp: size
  /// limit `max_load_elements`, no trailing data, std::bad_alloc mapped). FormatError, the head
  /// unchanged, on an unreadable stream, a wrong header, truncation, an unparsable or
  /// non-finite value, a scale that is not finite and > 0 (in Scalar too), a layout that is not
  /// d x (C k) with 1 <= k <= d and C >= 1, or a block that is not orthonormal to within
  /// Tolerance<Scalar>::orthonormality(d). Cost: one pass plus O(d C k^2).
  void load(std::istream& is);

 private:
  /// In place, x_j <- (x_j / a) / |x_j / a| with a = max|x_j| for every column: no overflow or
  /// underflow at any finite scale; zero columns stay zero. With `norms`, their factors.
  static void normalize_columns(Matrix& x, Norms* norms = nullptr) {
    if (norms) norms->setZero(2, x.cols());
    for (Index j = 0; j < x.cols(); ++j) {
      const Scalar a = x.col(j).cwiseAbs().maxCoeff();
      if (!(a > Scalar(0))) continue;  // the zero feature: x_hat = 0
      x.col(j) /= a;
      const Scalar nrm = x.col(j).norm();
      x.col(j) /= nrm;
      if (norms) norms->col(j) << a, nrm;
    }
  }

  template <class Derived>
  void forward(const Eigen::MatrixBase<Derived>& x, Matrix& xh, Norms& norms, Matrix& p,
               Matrix& out) const;

  Bases s_;
  GcrOptions opt_;
};

// ---- GcrHead: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_>
template <class Rng>
auto GcrHead<Scalar_>::random(Index d, Index k, Index classes, Rng& rng, const GcrOptions& options)
    -> GcrHead {
  if (k < 1 || k > d || classes < 1)
    throw DimensionMismatch(
        detail::message("subspace::GcrHead::random: need 1 <= k <= d and C >= 1, got d = ", d,
                        ", C = ", classes, ", k = ", k));
  return GcrHead(Bases::random(d, k, classes, rng), options);
}

template <class Scalar_>
template <class DX, class DY>
auto GcrHead<Scalar_>::from_class_pca(const Eigen::MatrixBase<DX>& x_arg,
                                      const Eigen::MatrixBase<DY>& labels_arg, Index k,
                                      Index classes, const GcrOptions& options) -> GcrHead {
  const auto& x = detail::evaluated(x_arg);
  const auto& labels = detail::evaluated(labels_arg);
  constexpr const char* func = "subspace::GcrHead::from_class_pca";
  static_assert(std::is_integral<typename DY::Scalar>::value,
                "GcrHead::from_class_pca: labels must have an integer type");
  if (labels.size() != x.cols() || k < 1 || k > x.rows() || classes < 1)
    throw DimensionMismatch(detail::message(func, ": features ", detail::shape(x.rows(), x.cols()),
                                            ", ", labels.size(), " labels, C = ", classes,
                                            ", k = ", k));
  detail::require_finite(x, func, "features");
  std::vector<std::vector<Index>> members(static_cast<std::size_t>(classes));
  for (Index j = 0; j < labels.size(); ++j) {
    const auto y = static_cast<Index>(labels(j));
    if (y < 0 || y >= classes)
      throw InvalidParameter(detail::message(func, ": label ", y, " outside [0, ", classes, ")"));
    members[static_cast<std::size_t>(y)].push_back(j);
  }
  Matrix s(x.rows(), classes * k);
  for (Index c = 0; c < classes; ++c) {
    const auto& m = members[static_cast<std::size_t>(c)];
    Matrix xc(x.rows(), static_cast<Index>(m.size()));
    for (std::size_t i = 0; i < m.size(); ++i) xc.col(static_cast<Index>(i)) = x.col(m[i]);
    if (options.normalize_features) normalize_columns(xc);
    if (xc.cols() < k)
      throw RankDeficient(detail::message(func, ": class ", c, " has ", xc.cols(),
                                          " features, fewer than k = ", k));
    s.middleCols(c * k, k) = svd_basis(xc, RankRule::fixed(k)).basis;
  }
  return GcrHead(Bases::from_orthonormal(s, k), options);
}

template <class Scalar_>
template <class Derived>
auto GcrHead<Scalar_>::logits(const Eigen::MatrixBase<Derived>& x_arg) const -> Matrix {
  const auto& x = detail::evaluated(x_arg);
  Matrix p, xh, out;
  Norms norms;
  forward(x, xh, norms, p, out);
  return out;
}

template <class Scalar_>
template <class DX, class DD>
auto GcrHead<Scalar_>::backward(const Eigen::MatrixBase<DX>& x_arg,
                                const Eigen::MatrixBase<DD>& dlogits_arg) const -> Gradients {
  const auto& x = detail::evaluated(x_arg);
  const auto& dlogits = detail::evaluated(dlogits_arg);
  constexpr const char* func = "subspace::GcrHead::backward";
  if (dlogits.rows() != classes() || dlogits.cols() != x.cols())  // before any GEMM
    throw DimensionMismatch(detail::message(func, ": dL/dlogits must be ",
                                            detail::shape(classes(), x.cols()), ", got ",
                                            detail::shape(dlogits.rows(), dlogits.cols())));
  detail::require_finite(dlogits, func, "dL/dlogits");
  Matrix p, xh, out;
  Norms norms;
  forward(x, xh, norms, p, out);
  const Index k = subspace_dim(), b = x.cols();
  const Scalar sc = Scalar(opt_.scale);
  // Q = D s P / |P| blockwise (0 where P = 0), in place of P.
  for (Index j = 0; j < b; ++j)
    for (Index c = 0; c < classes(); ++c) {
      auto blk = p.col(j).segment(c * k, k);
      const Scalar nrm = out(c, j) / sc;  // |P_cb|
      if (nrm > Scalar(0))
        blk *= dlogits(c, j) * sc / nrm;
      else
        blk.setZero();
    }
  Gradients g;
  g.dbases.noalias() = xh * p.transpose();
  g.dx.noalias() = s_.basis() * p;  // dL/dx_hat
  if (opt_.normalize_features) {
    for (Index j = 0; j < b; ++j) {  // (I - x_hat x_hat^T) g / |x|, |x| = a nrm; 0 for x = 0
      auto col = g.dx.col(j);
      if (!(norms(0, j) > Scalar(0))) {
        col.setZero();
        continue;
      }
      col -= xh.col(j) * xh.col(j).dot(col);
      col = (col / norms(1, j)) / norms(0, j);
    }
    // dL/dx scales as 1/|x|: for features near the smallest normal number it is not
    // representable, which is an error rather than an Inf in the gradient.
    if (!g.dx.allFinite())
      throw OutsideDomain(detail::message(
          func, ": dL/dx overflows (a feature of norm near the underflow threshold)"));
  }
  return g;
}

template <class Scalar_>
auto GcrHead<Scalar_>::save(std::ostream& os) const -> void {
  detail::write_header(os, "subspace::GcrHead", 1);
  os.precision(17);
  os << opt_.scale << ' ' << (opt_.normalize_features ? 1 : 0) << ' ' << subspace_dim() << '\n';
  detail::write_matrix(os, s_.basis());
  if (!os) throw FormatError("subspace::GcrHead::save: the stream failed");
}

template <class Scalar_>
auto GcrHead<Scalar_>::load(std::istream& is) -> void {
  constexpr const char* func = "subspace::GcrHead::load";
  detail::guarded_load(func, [&] {
    detail::read_header(is, "subspace::GcrHead", 1, func);
    GcrOptions o;
    o.scale = detail::read_value<double>(is, func, "scale");
    const int norm = detail::read_value<int>(is, func, "normalization flag");
    const long long k = detail::read_value<long long>(is, func, "k");
    Matrix s;
    detail::read_matrix(is, s, func, "bases");
    detail::expect_end(is, func);
    if (!(o.scale > 0) || !std::isfinite(o.scale) || (norm != 0 && norm != 1) || k < 1 ||
        k > s.rows() || s.cols() % k != 0 || s.cols() == 0)
      throw FormatError(detail::message(func, ": inconsistent head"));
    o.normalize_features = norm == 1;
    const Index kk = static_cast<Index>(k);
    const Scalar tol = Tolerance<Scalar>::orthonormality(s.rows());
    for (Index c = 0; c < s.cols() / kk; ++c) {  // always, even with SUBSPACE_NO_INPUT_CHECKS
      const auto b = s.middleCols(c * kk, kk);
      const Scalar err = (b.transpose() * b - Matrix::Identity(kk, kk)).cwiseAbs().maxCoeff();
      if (!(err <= tol))
        throw FormatError(detail::message(func, ": basis of class ", c,
                                          " is not orthonormal: max|S^T S - I| = ", err));
    }
    try {
      *this = GcrHead(Bases::from_orthonormal(s, kk), o);
    } catch (const InvalidArgument& e) {
      throw FormatError(detail::message(func, ": ", e.what()));
    }
  });
}

template <class Scalar_>
template <class Derived>
auto GcrHead<Scalar_>::forward(const Eigen::MatrixBase<Derived>& x, Matrix& xh, Norms& norms,
                               Matrix& p, Matrix& out) const -> void {
  constexpr const char* func = "subspace::GcrHead::logits";
  if (x.rows() != feature_dim())
    throw DimensionMismatch(
        detail::message(func, ": features must have ", feature_dim(), " rows, got ",
                        detail::shape(x.rows(), x.cols()),
                        detail::transposed_hint(x.rows(), x.cols(), feature_dim(), "X")));
  detail::require_finite(x, func, "features");
  const Index b = x.cols(), k = subspace_dim(), c = classes();
  xh = x;
  if (opt_.normalize_features) normalize_columns(xh, &norms);
  p.resize(c * k, b);
  p.noalias() = s_.basis().transpose() * xh;
  // Grouped column norms: P viewed as k x (C B), column norms, viewed back as C x B.
  out.resize(c, b);
  Eigen::Map<const Matrix> blocks(p.data(), k, c * b);
  Eigen::Map<Eigen::Matrix<Scalar, 1, Eigen::Dynamic>> flat(out.data(), c * b);
  flat = blocks.colwise().norm() * Scalar(opt_.scale);
  if (!flat.allFinite())  // |P_cb| overflowed in the sum of squares (unnormalized features)
    flat = blocks.colwise().stableNorm() * Scalar(opt_.scale);
}
/// \endcond

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_GCR_TEMPLATES(P, S)                                                          \
  P subspace::GcrHead<S> subspace::GcrHead<S>::random(subspace::Index, subspace::Index,       \
                                                      subspace::Index, std::mt19937_64&,      \
                                                      const subspace::GcrOptions&);           \
  P class subspace::GcrHead<S>;                                                               \
  P SUBSPACE_MATX(S) subspace::GcrHead<S>::logits(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) \
      const;                                                                                  \
  P subspace::GcrHead<S>::Labels subspace::GcrHead<S>::predict(                               \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) const;                                      \
  P subspace::GcrHead<S>::Gradients subspace::GcrHead<S>::backward(                           \
      const Eigen::MatrixBase<SUBSPACE_MATX(S)>&, const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) \
      const;                                                                                  \
  P void subspace::GcrHead<S>::step(subspace::GcrHead<S>::SGD&,                               \
                                    const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);              \
  P void subspace::GcrHead<S>::step(subspace::GcrHead<S>::Adam&,                              \
                                    const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_GCR_TEMPLATES(extern template, double)
SUBSPACE_GCR_TEMPLATES(extern template, float)
#endif
