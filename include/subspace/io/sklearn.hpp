#pragma once
/// \file
/// scikit-learn PCA models in and out, as .npz archives of the fitted attributes under their
/// own names (target subspace::npz). In Python:
///
///     p = sklearn.decomposition.PCA(n_components=0.9).fit(X)
///     np.savez("model.npz", mean_=p.mean_, components_=p.components_,
///              explained_variance_=p.explained_variance_,
///              explained_variance_ratio_=p.explained_variance_ratio_,
///              n_samples_=p.n_samples_, noise_variance_=p.noise_variance_)
///
/// then `subspace::io::read_sklearn_pca("model.npz")` scores as scikit-learn does:
/// `scores(X).residual` is |X - p.inverse_transform(p.transform(X))|^2 per row and `transform`
/// equals p.transform (whiten=False; with whiten=True the reconstruction, so the residual, is
/// the same, but our transform is the unwhitened projection).

#include <cmath>
#include <string>

#include "../basis.hpp"
#include "../pca.hpp"
#include "npz.hpp"

namespace subspace::io {

/// Builds a PCA model from a scikit-learn PCA saved with np.savez (file comment). Required
/// arrays: `mean_` (d), `components_` (k x d), `explained_variance_` (k), `n_samples_` (>= 2);
/// the total variance comes from `explained_variance_ratio_` when present (sum ev / sum ratio),
/// else from `noise_variance_` (sum ev + noise (min(n, d) - k)). Mapping: components = the
/// transpose of components_, singular values s_i = sqrt(ev_i (n - 1)), T = (n - 1) total
/// variance, rank rule fixed(k). Components stored in float32 and read as double are
/// re-orthonormalized (QR, signs and order kept: their float rounding, ~1e-7, is above
/// double's orthonormality tolerance). Validated as PCA::load validates. Throws IoError,
/// FormatError (a missing or malformed array, shapes that do not fit, n_samples_ < 2, a
/// non-positive ratio, any invariant), TooLarge. Cost O(d k^2).
template <class Scalar = double>
PCA<Scalar> read_sklearn_pca(const std::string& path) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  constexpr const char* func = "read_sklearn_pca";
  const std::vector<std::string> names = npz_names(path);
  const auto has = [&](const char* n) {
    for (const auto& s : names)
      if (s == n) return true;
    return false;
  };
  const auto vec = [&](const char* n) {
    if (!has(n))
      throw FormatError(subspace::detail::message(func, ": ", path, ": no array '", n, "'"));
    const Eigen::MatrixXd m = read_npz<double>(path, n);
    if (m.cols() != 1)
      throw FormatError(subspace::detail::message(
          func, ": ", path, ": '", n, "' must be a vector, got ", m.rows(), " x ", m.cols()));
    return Eigen::VectorXd(m.col(0));
  };
  const auto scalar = [&](const char* n) {
    const Eigen::VectorXd v = vec(n);
    if (v.size() != 1)
      throw FormatError(
          subspace::detail::message(func, ": ", path, ": '", n, "' must be a single number"));
    return v(0);
  };
  if (!has("components_"))
    throw FormatError(subspace::detail::message(func, ": ", path, ": no array 'components_'"));
  NpyHeader ch;
  const Eigen::MatrixXd comp = read_npz<double>(path, "components_", &ch);  // k x d
  const Eigen::VectorXd mean = vec("mean_"), ev = vec("explained_variance_");
  const double n = scalar("n_samples_");
  const Index k = comp.rows(), d = comp.cols();
  if (mean.size() != d || ev.size() != k || k > d)
    throw FormatError(subspace::detail::message(
        func, ": ", path, ": components_ is ", k, " x ", d, ", mean_ has ", mean.size(),
        " and explained_variance_ ", ev.size(), " values (expected k x d, d, k with k <= d)"));
  if (!(n >= 2 && n <= 9007199254740992.0 && n == std::floor(n)))
    throw FormatError(
        subspace::detail::message(func, ": ", path, ": n_samples_ = ", n, " (an integer >= 2)"));
  if (!ev.allFinite() || (ev.array() < 0).any())
    throw FormatError(subspace::detail::message(func, ": ", path,
                                                ": explained_variance_ must be finite and >= 0"));
  double total_var = 0;
  if (has("explained_variance_ratio_")) {
    const Eigen::VectorXd ratio = vec("explained_variance_ratio_");
    if (ratio.size() != k || !ratio.allFinite() || !(ratio.sum() > 0) || (ratio.array() < 0).any())
      throw FormatError(subspace::detail::message(
          func, ": ", path, ": explained_variance_ratio_ must hold k values >= 0, not all 0"));
    total_var = ev.sum() / ratio.sum();
  } else {
    const double noise = scalar("noise_variance_");
    if (!(std::isfinite(noise) && noise >= 0))
      throw FormatError(subspace::detail::message(func, ": ", path, ": noise_variance_ = ", noise));
    total_var = ev.sum() + noise * double(std::max<Index>(std::min<Index>(Index(n), d) - k, 0));
  }
  Matrix v = comp.transpose().cast<Scalar>();
  const bool float_data = ch.descr.size() == 3 && ch.descr[1] == 'f' && ch.descr[2] == '4';
  if (float_data && sizeof(Scalar) > sizeof(float) && k > 0) {
    const Matrix q = qr_basis(v);  // diag(R) >= 0 and R ~ I: same order and signs
    v = q;
  }
  const Vector s = (ev * (n - 1)).cwiseSqrt().cast<Scalar>();
  PcaOptions opt;
  opt.rank = RankRule::fixed(k);
  return PCA<Scalar>::from_parts(mean.cast<Scalar>(), v, s, Index(n), Scalar(total_var * (n - 1)),
                                 opt);
}

/// Writes `pca` as the fitted attributes of a scikit-learn PCA with rank() components (the
/// reverse of read_sklearn_pca): mean_, components_ (k x d), explained_variance_,
/// explained_variance_ratio_, singular_values_, n_samples_, n_features_in_, n_components_ and
/// noise_variance_ (the mean variance outside the components over min(n, d) - k directions,
/// as scikit-learn defines it; 0 when k = min(n, d)). In Python a model is rebuilt by setting
/// those attributes on `PCA(n_components=k)` (see tests/interop/sklearn_score.py). Throws
/// InvalidParameter (an unfitted or uncentred model) and IoError.
template <class Scalar>
void write_sklearn_pca(const std::string& path, const PCA<Scalar>& pca, bool compress = false) {
  if (pca.samples() < 2 || !pca.options().center)
    throw InvalidParameter(subspace::detail::message(
        "write_sklearn_pca: ", path, ": needs a centred model fitted on at least 2 samples"));
  const Index k = pca.rank(), d = pca.dim(), n = pca.samples();
  const double dof = double(n - 1);
  const Eigen::VectorXd s = pca.singular_values().head(k).template cast<double>();
  const Eigen::VectorXd ev = s.array().square() / dof;
  const double total = double(pca.total_sum_of_squares());
  const Index rest = std::min(n, d) - k;
  const double noise = rest > 0 ? std::max(0.0, total - s.squaredNorm()) / dof / double(rest) : 0.0;
  using One = Eigen::Matrix<std::int64_t, 1, 1>;
  const One n_samples = One::Constant(std::int64_t(n)), n_features = One::Constant(std::int64_t(d)),
            n_components = One::Constant(std::int64_t(k));
  const Eigen::Matrix<double, 1, 1> noise_var = Eigen::Matrix<double, 1, 1>::Constant(noise);
  NpzWriter w(path, compress);
  w.add("mean_", pca.mean().template cast<double>(), NpyShape::vector);
  w.add("components_", Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>(
                           pca.components().transpose().template cast<double>()));
  w.add("explained_variance_", ev, NpyShape::vector);
  w.add("explained_variance_ratio_",
        Eigen::VectorXd(total > 0 ? Eigen::VectorXd(ev / (total / dof)) : Eigen::VectorXd::Zero(k)),
        NpyShape::vector);
  w.add("singular_values_", s, NpyShape::vector);
  w.add("n_samples_", n_samples, NpyShape::scalar);
  w.add("n_features_in_", n_features, NpyShape::scalar);
  w.add("n_components_", n_components, NpyShape::scalar);
  w.add("noise_variance_", noise_var, NpyShape::scalar);
  w.close();
}

}  // namespace subspace::io
