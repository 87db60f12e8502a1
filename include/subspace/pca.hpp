// SPDX-License-Identifier: MIT
// pca.hpp: principal component analysis, exact, randomized, streaming and mergeable, with the
// anomaly scores built on it (reconstruction residual / Q statistic, Hotelling's T^2).
//
// Data are N x d with one sample per row. The model keeps a *state* from which every fit,
// partial fit and merge is computed:
//   n (samples seen), mean mu (d; zero when uncentered), total sum of squares
//   T = sum_i |x_i - mu|^2 (exact in every mode), and a thin factorization of the centred
//   scatter, scatter = V diag(s)^2 V^T with V d x r orthonormal and s descending (r <= d).
// The reported components are the first `rank()` columns of V, chosen by a RankRule on s
// (RankRule::energy uses T as the total, so it stays exact when the state is truncated).
//
// Merging two states (Chan, Golub & LeVeque 1979 for the mean and scatter; the factorized form
// as in Ross, Lim, Lin & Yang 2008, "Incremental learning for robust visual tracking"):
//   n = n1 + n2,  mu = (n1 mu1 + n2 mu2) / n,  T = T1 + T2 + (n1 n2 / n) |mu1 - mu2|^2,
//   scatter = M^T M  with  M = [diag(s1) V1^T; diag(s2) V2^T; sqrt(n1 n2 / n) (mu1 - mu2)^T],
// so the new (s, V) are the singular values and right vectors of M. This is exact when neither
// state was truncated; with PcaOptions::max_state_rank = m the state keeps the m leading
// directions after every update, which drops sum_{i>m} s_i^2 of scatter per update (reported by
// `discarded_energy()`), the documented approximation of the streaming and merged fits.
//
// Scatter mode (PcaSolver::Covariance, no max_state_rank): streaming and merging keep the d x d
// scatter itself instead of (s, V), updated by the same formulas (scatter = scatter1 + scatter2
// + (n1 n2 / n) (mu1 - mu2)(mu1 - mu2)^T), and (s, V) are its eigendecomposition, computed when
// the state is next read (sync(): under a lock, so const reads stay thread-safe). T is kept in
// the data's own scale, so below about 1e-154 (double) T underflows to 0 while s, V do not (the
// scatter is kept scaled): variance ratios and RankRule::energy need data above that scale.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <limits>
#include <mutex>
#include <ostream>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "basis.hpp"
#include "config.hpp"
#include "detail/checks.hpp"
#include "detail/cholesky_qr.hpp"
#include "detail/householder.hpp"
#include "detail/serialize.hpp"
#include "detail/thin_svd.hpp"
#include "traits.hpp"

namespace subspace {
namespace detail {

/// A "factor is out of date" flag with its lock, for state that a const reader brings up to
/// date (PCA's streamed scatter): readers test it with an acquire load and, when set, take the
/// lock and test again, so the update runs once and its writes are visible to every reader
/// that sees the flag clear. Copying copies the flag's value, never the mutex (a copy gets a
/// lock of its own); the owner makes copies and moves safe (PCA syncs before it copies).
class PendingFlag {
 public:
  PendingFlag() = default;
  PendingFlag(const PendingFlag& o) noexcept : set_(o.get()) {}
  PendingFlag& operator=(const PendingFlag& o) noexcept {
    set(o.get());
    return *this;
  }
  bool get() const noexcept { return set_.load(std::memory_order_acquire); }
  void set(bool v) noexcept { set_.store(v, std::memory_order_release); }
  std::mutex& mutex() const noexcept { return m_; }

 private:
  std::atomic<bool> set_{false};
  mutable std::mutex m_;
};

}  // namespace detail

/// \addtogroup pca
/// @{

/// How `PCA::fit` computes the factorization.
enum class PcaSolver {
  /// Covariance when N >= 4 d (tall data, where forming X^T X is several times cheaper than a
  /// QR of X), SVD otherwise. Never Randomized: Auto is always exact to the precision stated
  /// for the solver it picks.
  Auto,
  /// Householder QR of the centred data then an SVD of the d x d (or N x N) factor: backward
  /// stable, every singular value to ~eps s_1 absolute. Cost ~2 N d^2 + O(d^3).
  SVD,
  /// Eigendecomposition of the d x d scatter X_c^T X_c: one GEMM (N d^2 flops, at GEMM speed)
  /// plus O(d^3); float data are accumulated and decomposed in double (about 2x the GEMM time).
  /// Squares the condition: s_i^2 carries an absolute error ~eps s_1^2 (eps of double for both
  /// scalar types), so singular values below ~sqrt(d eps) s_1 (4e-7 for d = 784) are reported
  /// as 0 and their directions are not resolved; the leading components are.
  /// Streaming (partial_fit, merge) with this solver and no max_state_rank keeps the d x d
  /// scatter itself (Chan, Golub & LeVeque 1979: a SYRK per block plus the rank-one mean
  /// correction, N d^2 flops in all) and factors it once, when the state is next read, saved
  /// or copied. Memory: the scatter, its copy during an update, and at a read the eigensolver's
  /// workspace and the d x d factor, each 8 d^2 bytes (double accumulation, also for float).
  Covariance,
  /// Halko, Martinsson & Tropp (2011), Alg. 4.4: a Gaussian test matrix with `oversampling`
  /// extra columns, `power_iterations` subspace iterations normalized by Cholesky QR
  /// (Householder QR when the sketch is ill-conditioned, and for the last one), then an SVD
  /// of the small projected matrix. Needs RankRule::fixed(k). Cost ~(2 q + 2) N d (k + p).
  /// Accuracy: close to exact when the spectrum decays; see the tests for the stated bounds.
  Randomized
};

/// Options of PCA: the rank rule, centring, the solver and its parameters, the streaming
/// state's truncation.
struct PcaOptions {
  /// How many components rank() reports (from the state's singular values).
  RankRule rank = RankRule::automatic();
  bool center = true;  ///< subtract the mean (false: uncentered PCA, mean = 0)
  /// The factorization fit() uses (see PcaSolver).
  PcaSolver solver = PcaSolver::Auto;
  Index oversampling = 10;      ///< Randomized: extra columns p
  int power_iterations = 2;     ///< Randomized: q
  std::uint64_t seed = 0x5eed;  ///< Randomized: test-matrix seed (fixed: reproducible)
  Index max_state_rank = -1;    ///< streaming / merge: keep at most this many directions
                                ///< (-1: no truncation, exact)
};

/// Principal component analysis of N x d data (samples as rows): fit, partial_fit (streaming)
/// and merge keep one state (n, mean, total sum of squares, a thin factorization of the
/// scatter, or in scatter mode the scatter itself; file comment) from which the components,
/// variances and the anomaly scores (residual / Q, Hotelling's T^2) are read. Exact unless
/// max_state_rank truncates the state. Thread safety: const member functions may run concurrently
/// on one object (a streamed Covariance state is factored under a lock by the first reader,
/// PcaSolver::Covariance); a non-const call needs exclusive access, as for any standard container.
template <class Scalar_ = double>
class PCA {
 public:
  /// The scalar type (double by default).
  using Scalar = Scalar_;
  /// A dynamic matrix (data N x d, components d x k).
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  /// A dynamic column vector (mean, singular values, per-sample scores).
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

  /// Throws InvalidParameter for a negative oversampling or power-iteration count,
  /// max_state_rank = 0 / < -1, or a solver that is not a PcaSolver enumerator.
  explicit PCA(const PcaOptions& options = {}) : opt_(options) {
    constexpr const char* f = "subspace::PCA";
    if (opt_.oversampling < 0 || opt_.power_iterations < 0)
      throw InvalidParameter(
          detail::message(f, ": oversampling and power_iterations must be >= 0"));
    if (opt_.max_state_rank == 0 || opt_.max_state_rank < -1)
      throw InvalidParameter(
          detail::message(f, ": max_state_rank must be -1 or >= 1, got ", opt_.max_state_rank));
    detail::require_enum(opt_.solver, PcaSolver::Auto, PcaSolver::Randomized, f, "solver");
  }
  /// A copy of the state (a pending streamed scatter is factored first, under its lock, so
  /// copying is a const read like any other).
  PCA(const PCA& other) : opt_(other.opt_) {
    other.sync();
    copy_state(other);
  }
  /// As the copy constructor.
  PCA& operator=(const PCA& other) {
    if (this != &other) {
      other.sync();
      opt_ = other.opt_;
      copy_state(other);
    }
    return *this;
  }
  /// Moves the state; `other` is left an unfitted model with its options.
  PCA(PCA&& other) noexcept : opt_(other.opt_) { move_state(other); }
  /// Moves the state; `other` is left an unfitted model with its options.
  PCA& operator=(PCA&& other) noexcept {
    if (this != &other) {
      opt_ = other.opt_;
      move_state(other);
    }
    return *this;
  }
  ~PCA() = default;

  /// The options in use (the rank rule as last set by set_rank_rule).
  const PcaOptions& options() const { return opt_; }

  /// Fits the model to X (N x d, N >= 1, rows are samples), replacing any previous state, with
  /// the solver of the options (see PcaSolver). Throws DimensionMismatch (empty X),
  /// NonFiniteInput, InvalidParameter (Randomized without RankRule::fixed), and RankDeficient
  /// when RankRule::fixed(k) asks for more components than the data have (as svd_basis).
  template <class Derived>
  PCA& fit(const Eigen::MatrixBase<Derived>& x_arg);

  /// Adds a block of samples (b x d) to the state: the exact merge of the current state with the
  /// block's own statistics (file comment), by a thin SVD of an (r + b + 1) x d matrix, so memory
  /// is O(d (r + b)) whatever the total N; cost O((r + b) d^2) per block. With no truncation the
  /// result equals `fit` on all rows seen, to working precision. With PcaSolver::Covariance and
  /// no max_state_rank, the block's centred scatter is added to a kept d x d scatter instead
  /// (one SYRK, b d^2 flops; Chan's update for the means), and the factor is computed once
  /// when the state is next read: then the result equals `fit` with the Covariance solver, at
  /// that solver's accuracy. The first call fixes d. RankRule::fixed(k) keeps min(k, numerical
  /// rank) components while fewer than k directions have been seen (no error, unlike `fit`).
  /// Throws DimensionMismatch (width differs from earlier blocks), NonFiniteInput, and
  /// OutsideDomain (T or the kept scatter overflows); the model is unchanged when it throws.
  template <class Derived>
  PCA& partial_fit(const Eigen::MatrixBase<Derived>& block_arg);

  /// Merges the state of `other`, fitted on data disjoint from ours, into this one: the state of
  /// the union (exact without truncation; file comment). Either may be empty. Options (rank
  /// rule, truncation, solver) are ours: with PcaSolver::Covariance and no max_state_rank the
  /// two scatters are added (Chan's update, O(d^2), or O(d^2 r) for a state held as a factor)
  /// and factored when next read; otherwise by the SVD of the stacked factors. Throws
  /// DimensionMismatch (different d), InvalidParameter (one centred, the other not) and, in
  /// scatter mode, OutsideDomain (the merged scatter or T overflows); the model is unchanged
  /// when it throws.
  PCA& merge(const PCA& other);

  // ---- the fitted model --------------------------------------------------------------------
  /// Re-chooses the number of components with `rule` from the singular values the state
  /// already holds, without refitting: a sweep over rank rules costs one fit (the state keeps
  /// every singular triplet unless max_state_rank truncated it). Replaces options().rank.
  /// Cost O(r), plus the O(d^3) factorization of a pending streamed scatter. Throws
  /// InvalidParameter (not fitted) and RankDeficient (fixed(k) beyond the
  /// numerical rank of the state, as fit does); the model is unchanged when it throws.
  PCA& set_rank_rule(const RankRule& rule) {
    require_fitted("subspace::PCA::set_rank_rule");
    sync();
    const RankRule old = opt_.rank;
    opt_.rank = rule;
    try {
      rank_ = select_rank(s_, n_, mean_.size(), total_ss_, false, "subspace::PCA::set_rank_rule");
    } catch (...) {
      opt_.rank = old;
      throw;
    }
    return *this;
  }

  /// n, the number of samples seen by fit, partial_fit and merge (0 before fitting).
  Index samples() const { return n_; }
  /// d, the data dimension (0 before fitting).
  Index dim() const { return mean_.size(); }
  /// Number of components, chosen by the rank rule from the state's singular values.
  Index rank() const {
    sync();
    return rank_;
  }
  /// The mean of the samples seen (d; zero when options().center is false).
  const Vector& mean() const { return mean_; }
  /// d x rank(), orthonormal columns, by decreasing variance (sign: largest-|entry| positive).
  auto components() const {
    sync();
    return v_.leftCols(rank_);
  }
  /// All singular values held in the state (descending), of the centred data matrix.
  const Vector& singular_values() const {
    sync();
    return s_;
  }
  /// s_i^2 / (N - 1) for the rank() components (sample variance along each; N - 1 >= 1).
  Vector explained_variance() const {
    sync();
    return s_.head(rank_).array().square() / Scalar(std::max<Index>(n_ - 1, 1));
  }
  /// s_i^2 / T: the fraction of the total variance along each component (exact also for a
  /// truncated state, since T is tracked exactly).
  Vector explained_variance_ratio() const {
    sync();
    return total_ss_ > Scalar(0) ? Vector(s_.head(rank_).array().square() / total_ss_)
                                 : Vector(Vector::Zero(rank_));
  }
  /// T = sum_i |x_i - mu|^2 over all samples seen.
  Scalar total_sum_of_squares() const { return total_ss_; }
  /// Scatter dropped by truncation (max_state_rank) over all updates; 0 for exact states.
  Scalar discarded_energy() const { return discarded_; }
  /// Mean squared residual of the training samples, (T - sum_{i<=rank} s_i^2) / N.
  Scalar training_residual_mean() const {
    sync();
    return n_ > 0 ? std::max(Scalar(0), total_ss_ - s_.head(rank_).squaredNorm()) / Scalar(n_)
                  : Scalar(0);
  }

  // ---- using it ----------------------------------------------------------------------------
  /// Z = (X - mu) V_k, N x rank(). Throws DimensionMismatch, NonFiniteInput, InvalidParameter
  /// (not fitted).
  template <class Derived>
  Matrix transform(const Eigen::MatrixBase<Derived>& x_arg) const {
    const auto& x = detail::evaluated(x_arg);
    check_input(x, "subspace::PCA::transform");
    return (x.rowwise() - mean_.transpose()) * components();
  }
  /// X = Z V_k^T + mu, N x d.
  template <class Derived>
  Matrix inverse_transform(const Eigen::MatrixBase<Derived>& z_arg) const {
    const auto& z = detail::evaluated(z_arg);
    constexpr const char* func = "subspace::PCA::inverse_transform";
    require_fitted(func);
    sync();
    if (z.cols() != rank_)
      throw DimensionMismatch(detail::message(func, ": need N x ", rank_, " scores, got ",
                                              detail::shape(z.rows(), z.cols())));
    detail::require_finite(z, func, "Z");
    Matrix out = z * components().transpose();
    out.rowwise() += mean_.transpose();
    return out;
  }

  /// What scores() returns: three N-vectors, one value per sample (row) of X.
  struct Scores {
    /// |x_c - V_k V_k^T x_c|^2 per sample: the Q statistic (squared prediction error).
    Vector residual, t2, combined;
  };

  /// \var Scores::t2
  /// Hotelling's T^2 in the subspace per sample.

  /// \var Scores::combined
  /// residual and t2 each normalized to average about 1 on the training data, then added.

  /// Per-sample anomaly scores of X (N x d), computed in blocks of 1024 rows:
  /// residual = |x_c - V_k V_k^T x_c|^2 (the Q statistic / squared prediction error, from the
  /// explicit residual, so near-subspace samples keep relative accuracy);
  /// t2 = sum_j z_j^2 / lambda_j, z = V_k^T x_c, lambda = explained_variance() (Hotelling's
  /// T^2 in the subspace; components with lambda_j = 0 do not count);
  /// combined = residual / max(training_residual_mean(), eps T / N) + t2 / rank, two terms that
  /// each average about 1 on the training data. Cost 4 N d k flops. OutsideDomain when a score
  /// is not representable (a squared distance beyond the largest finite number).
  template <class Derived>
  Scores scores(const Eigen::MatrixBase<Derived>& x_arg) const;

  // ---- persistence -------------------------------------------------------------------------
  /// Writes options that matter for later use (center, rank rule, truncation) and the state in
  /// the text format of detail/serialize.hpp ("subspace::PCA 1", then tokens); exact round trip.
  void save(std::ostream& os) const;
  /// Reads a model written by `save`, validating it as untrusted input (rules of
  /// detail/serialize.hpp: size limit `max_load_elements`, incremental reads, no trailing data,
  /// std::bad_alloc mapped). Throws FormatError, the model unchanged, on an unreadable stream,
  /// a wrong magic or version, truncation, an unparsable or non-finite value, inconsistent
  /// shapes, or a state that violates an invariant (`validate_state` below: orthonormal
  /// components, singular values finite, >= 0 and descending, T >= sum s^2, counts in range).
  /// Cost: one pass over the stream plus O(d r^2) for the orthonormality check.
  void load(std::istream& is);

  /// The state in a compact, versioned binary form for transport between processes: the same
  /// content as `save` (options that matter for later use and the state), exact. Every field
  /// is little-endian whatever the host; integers are two's complement, reals IEEE 754.
  ///   offset  size  field
  ///   0       4     magic "sPCA"
  ///   4       4     u32 format version (1)
  ///   8       1     u8 scalar tag: 4 = float (binary32), 8 = double (binary64)
  ///   9       1     u8 center (0 or 1)
  ///   10      1     u8 rank rule kind (RankRule::Kind: 0 automatic, 1 tolerance, 2 fixed,
  ///                 3 energy)
  ///   11      1     u8 reserved, 0
  ///   12      8     f64 rank rule value
  ///   20      8     i64 rank rule k
  ///   28      8     i64 max_state_rank (-1 or >= 1)
  ///   36      8     i64 n, samples seen (0: an unfitted model, then d = r = 0)
  ///   44      8     i64 d, dimension
  ///   52      8     i64 r, singular triplets held
  ///   60      2 S   total sum of squares T, discarded energy (S = sizeof(Scalar))
  ///   60+2S   d S   mean; then r S singular values; then d r S components, column-major.
  /// The size is exactly 60 + S (2 + d + r + d r) bytes. Cost O(d r); one allocation.
  std::vector<std::uint8_t> serialize() const;

  /// Restores a state written by `serialize` (layout in its comment), validated exactly as
  /// `load` validates (the same code): FormatError, the model unchanged, on a wrong magic,
  /// version or scalar tag (a double state does not load into PCA<float>), a size other than
  /// the one the header implies (checked before anything is allocated), or any invariant
  /// violated. `data` may be null when size is 0. Cost O(size) plus O(d r^2).
  void deserialize(const std::uint8_t* data, std::size_t size) {
    constexpr const char* func = "subspace::PCA::deserialize";
    detail::guarded_load(func, [&] {
      if (size < kHeaderBytes || data == nullptr)
        throw FormatError(detail::message(func, ": ", size, " bytes, fewer than the ", kHeaderBytes,
                                          "-byte header"));
      if (!(data[0] == 's' && data[1] == 'P' && data[2] == 'C' && data[3] == 'A'))
        throw FormatError(detail::message(func, ": wrong magic (not a serialized PCA)"));
      const std::uint64_t version = get_le(data + 4, 4);
      if (version != 1) throw FormatError(detail::message(func, ": unsupported version ", version));
      if (data[8] != sizeof(Scalar))
        throw FormatError(detail::message(func, ": scalar tag ", int(data[8]), " (this model has ",
                                          sizeof(Scalar), "-byte scalars)"));
      if (data[11] != 0) throw FormatError(detail::message(func, ": reserved byte is not 0"));
      State st;
      st.center = data[9];
      st.kind = data[10];
      st.value = get_real<double>(data + 12);
      st.k = get_i64(data + 20);
      st.max_rank = get_i64(data + 28);
      st.n = get_i64(data + 36);
      const long long d = get_i64(data + 44), r = get_i64(data + 52);
      const std::size_t avail = (size - kHeaderBytes) / sizeof(Scalar);
      if (d < 0 || r < 0 || static_cast<unsigned long long>(d) > avail ||
          static_cast<unsigned long long>(r) > avail)
        throw FormatError(
            detail::message(func, ": d = ", d, ", r = ", r, " do not fit in ", size, " bytes"));
      detail::check_declared_size(d, r, -1, 1, func, "components");
      const std::uint64_t count = 2 + std::uint64_t(d) + std::uint64_t(r) +
                                  std::uint64_t(d) * std::uint64_t(r);  // < 2^29 + 2^33
      if ((size - kHeaderBytes) % sizeof(Scalar) != 0 || count != avail)
        throw FormatError(detail::message(func, ": ", size, " bytes, but d = ", d, ", r = ", r,
                                          " need ", kHeaderBytes + count * sizeof(Scalar)));
      const std::uint8_t* p = data + kHeaderBytes;
      auto next = [&p] {
        const Scalar x = get_real<Scalar>(p);
        p += sizeof(Scalar);
        return x;
      };
      st.total = next();
      st.discarded = next();
      st.mu.resize(static_cast<Index>(d));
      for (Index i = 0; i < st.mu.size(); ++i) st.mu(i) = next();
      st.s.resize(static_cast<Index>(r));
      for (Index i = 0; i < st.s.size(); ++i) st.s(i) = next();
      st.v.resize(static_cast<Index>(d), static_cast<Index>(r));
      for (Index j = 0; j < st.v.cols(); ++j)
        for (Index i = 0; i < st.v.rows(); ++i) st.v(i, j) = next();
      adopt(std::move(st), func);
    });
  }
  /// `deserialize(bytes.data(), bytes.size())`.
  void deserialize(const std::vector<std::uint8_t>& bytes) {
    deserialize(bytes.data(), bytes.size());
  }

  // ---- models from their parts, compact models ------------------------------------------------
  /// A model from the parts scoring needs, as another library stores them (scikit-learn's
  /// fitted PCA: io/sklearn.hpp): the mean (d), r orthonormal components (d x r, by decreasing
  /// singular value; their signs are kept as given), the singular values s (r, descending) of
  /// the centred data, the sample count n >= 1 and the total sum of squares T = sum |x - mu|^2
  /// (>= sum s^2; T - sum s^2 is the scatter outside the components, which the `combined`
  /// score's normalizer and the variance ratios use). The rank rule is `options.rank`,
  /// applied to the r values (RankRule::fixed(r) keeps them all). Validated as `load`
  /// validates (orthonormal components, finite values, s >= 0 descending, T >= sum s^2, n in
  /// range): FormatError naming what failed, since the parts usually come from a file.
  /// Cost O(d r^2).
  static PCA from_parts(const Vector& mean, const Matrix& components, const Vector& singular_values,
                        Index samples, Scalar total, const PcaOptions& options = {}) {
    constexpr const char* func = "subspace::PCA::from_parts";
    if (mean.size() < 1 || components.rows() != mean.size() ||
        components.cols() != singular_values.size())
      throw FormatError(detail::message(func, ": a mean of size ", mean.size(), ", components ",
                                        detail::shape(components.rows(), components.cols()),
                                        " and ", singular_values.size(),
                                        " singular values do not fit together (d, d x r, r)"));
    State st;
    st.center = options.center ? 1 : 0;
    st.kind = static_cast<int>(options.rank.kind());
    st.value = options.rank.value();
    st.k = options.rank.k();
    st.max_rank = options.max_state_rank;
    st.n = samples;
    st.total = total;
    st.mu = mean;
    st.s = singular_values;
    st.v = components;
    PCA p(options);
    p.adopt(std::move(st), func);
    for (Index j = 0; j < p.v_.cols(); ++j)  // the given signs (install made its own)
      if (p.v_.col(j).dot(components.col(j)) < Scalar(0)) p.v_.col(j) = -p.v_.col(j);
    return p;
  }

  /// Drops every singular triplet beyond rank() from the state: what is left is what scoring
  /// needs, so `serialize` (or `save`) then writes a compact model of 60 + S (2 + d + k + d k)
  /// bytes, about the size of the k components alone (a Fashion-MNIST model at energy(0.90):
  /// 0.5 MB in float64 instead of 4.9 MB for the full 784 x 784 state). T stays exact and the
  /// dropped scatter is added to discarded_energy(), so scores and variance ratios do not
  /// change; a later merge or partial_fit sees a truncated state (as with max_state_rank).
  /// Cost O(d k), plus the O(d^3) factorization of a pending streamed scatter.
  PCA& truncate_to_rank() {
    sync();
    if (s_.size() > rank_) {
      scatter_.resize(0, 0);  // no longer the exact scatter: re-formed from the factor
      discarded_ += s_.tail(s_.size() - rank_).squaredNorm();
      s_.conservativeResize(rank_);
      v_.conservativeResize(Eigen::NoChange, rank_);
    }
    return *this;
  }

 private:
  /// What `load` and `deserialize` read, before validation.
  struct State {
    int center = 0, kind = 0;
    double value = 0;
    long long k = 0, max_rank = -1, n = 0;
    Scalar total = 0, discarded = 0;
    Vector mu, s;
    Matrix v;
  };
  static constexpr std::size_t kHeaderBytes = 60;  ///< fixed part of the binary form

  /// The one validation of a state read from untrusted bytes (load and deserialize), then
  /// installs it. FormatError, *this unchanged, unless: center is 0 or 1, the rank rule kind is
  /// 0..3 with a valid value (finite) and k in [0, max_load_elements]; max_state_rank is -1 or
  /// in [1, max_load_elements] and >= r; n in [0, 2^53] (exact in a double); n = 0 only for an
  /// unfitted model (d = r = 0, T = discarded = 0); otherwise d >= 1, mean d, singular values
  /// r <= d, components d x r; every value finite; the mean zero for an uncentred model;
  /// T, discarded finite and >= 0; s >= 0 and descending; sum s^2 finite and
  /// <= T (1 + Tolerance<Scalar>::orthonormality(d)); max|V^T V - I| <=
  /// Tolerance<Scalar>::orthonormality(d); the rank rule selects a rank; and scores are
  /// computable: every explained variance lambda_j > 0 has 1 / lambda_j and lambda_1 / lambda_j
  /// finite. Cost O(d r^2).
  void adopt(State st, const char* func);

  static void put_le(std::vector<std::uint8_t>& out, std::uint64_t x, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
  }
  static std::uint64_t get_le(const std::uint8_t* p, int bytes) {
    std::uint64_t x = 0;
    for (int i = 0; i < bytes; ++i) x |= std::uint64_t(p[i]) << (8 * i);
    return x;
  }
  static long long get_i64(const std::uint8_t* p) {
    const std::uint64_t u = get_le(p, 8);
    std::int64_t x;
    std::memcpy(&x, &u, 8);
    return x;
  }
  template <class R>
  using bits_t = std::conditional_t<sizeof(R) == 4, std::uint32_t, std::uint64_t>;
  template <class R>
  static void put_real(std::vector<std::uint8_t>& out, R x) {
    static_assert(std::numeric_limits<R>::is_iec559 && (sizeof(R) == 4 || sizeof(R) == 8),
                  "the binary PCA form holds float or double");
    bits_t<R> u;
    std::memcpy(&u, &x, sizeof(R));
    put_le(out, u, int(sizeof(R)));
  }
  template <class R>
  static R get_real(const std::uint8_t* p) {
    static_assert(std::numeric_limits<R>::is_iec559 && (sizeof(R) == 4 || sizeof(R) == 8),
                  "the binary PCA form holds float or double");
    const bits_t<R> u = static_cast<bits_t<R>>(get_le(p, int(sizeof(R))));
    R x;
    std::memcpy(&x, &u, sizeof(R));
    return x;
  }

  template <class Derived>
  void check_data(const Eigen::MatrixBase<Derived>& x, const char* func, bool any_width) const {
    if (x.rows() < 1 || x.cols() < 1)
      throw DimensionMismatch(detail::message(func,
                                              ": need at least one sample of dimension >= 1, got ",
                                              detail::shape(x.rows(), x.cols())));
    if (!any_width && x.cols() != dim())
      throw DimensionMismatch(detail::message(func, ": the model has dimension ", dim(),
                                              ", the block is ", detail::shape(x.rows(), x.cols()),
                                              transposed_hint(x.rows(), x.cols())));
    detail::require_finite(x, func, "X");
  }
  /// The end of a shape error when X looks transposed (its rows match the model's dimension).
  std::string transposed_hint(Index rows, Index cols) const {
    return rows == dim() && cols != dim()
               ? "; it looks transposed: PCA takes samples as rows (N x d), pass X.transpose()"
               : "";
  }
  void require_fitted(const char* func) const {
    if (n_ == 0) throw InvalidParameter(detail::message(func, ": the model is not fitted"));
  }
  template <class Derived>
  void check_input(const Eigen::MatrixBase<Derived>& x, const char* func) const {
    require_fitted(func);
    if (x.cols() != dim())
      throw DimensionMismatch(detail::message(func, ": the model has dimension ", dim(), ", X is ",
                                              detail::shape(x.rows(), x.cols()),
                                              transposed_hint(x.rows(), x.cols())));
    detail::require_finite(x, func, "X");
  }

  /// Singular values and right singular vectors of a (m x d): QR first when m > d.
  template <class M>
  static void detail_svd(const M& a, Eigen::Matrix<typename M::Scalar, Eigen::Dynamic, 1>& s, M& v);
  /// The SVD of a streaming or merge update (detail_svd of the stacked state and block). A
  /// float state is updated in double: each update would otherwise add the float SVD's error
  /// (~eps s_1 absolute) to the state, a drift that after 1e5 merges moved singular values by
  /// percents; in double an update only rounds the new s and V to float (a random walk of
  /// relative eps per update). Costs about twice a float SVD of the same (r + b + 1) x d matrix.
  static void update_svd(const Matrix& m, Vector& s, Matrix& v);
  /// The accumulation type of scatters: double for float data (see covariance_factor).
  using Acc = std::conditional_t<std::is_same<Scalar, float>::value, double, Scalar>;
  using AccMatrix = Eigen::Matrix<Acc, Eigen::Dynamic, Eigen::Dynamic>;
  static void covariance_factor(const Matrix& xc, Vector& s, Matrix& v);
  /// Adds c^2 xc^T xc (xc centred rows, c a power of two) to the lower triangle of `acc`: one
  /// SYRK when no scaling or widening is needed, else in blocks of 1024 rows. The one
  /// accumulation of the batch Covariance fit and of a streamed block.
  static void add_centred_scatter(const Matrix& xc, Acc c, AccMatrix& acc);
  /// s, V from the eigendecomposition of a scatter c^2 S held in the lower triangle of `c2s`
  /// (c a power of two): s = sqrt(lambda) / c, eigenvalues within rounding reported as 0.
  static void factor_scatter(const AccMatrix& c2s, Acc c, Vector& s, Matrix& v);
  /// The sign convention of components: each column's largest-|entry| positive.
  static void fix_signs(Matrix& v);
  /// Scatter mode: streaming and merging keep the d x d scatter (PcaSolver::Covariance, no
  /// truncation).
  bool scatter_mode() const {
    return opt_.solver == PcaSolver::Covariance && opt_.max_state_rank == -1;
  }
  /// Whether a scatter sum (finite data, lower triangle) is finite, from its diagonal alone:
  /// |S_ij| <= (S_ii + S_jj) / 2 for every partial sum, so off-diagonal entries are finite when
  /// the diagonal is finite and below max / 4. O(d).
  static bool scatter_is_finite(const AccMatrix& s) {
    const auto diag = s.diagonal();
    return diag.allFinite() && !(diag.maxCoeff() > (std::numeric_limits<Acc>::max)() / 4);
  }
  /// Forms scatter_ from the factor when the state has none (fitted, loaded or truncated).
  void ensure_scatter();
  /// Adds c^2 times the scatter of `other` (kept, or V diag(s)^2 V^T from its factor, which
  /// must be in sync) to the lower triangle of `acc`.
  static void add_scatter_of(const PCA& other, AccMatrix& acc, Acc c);
  /// The power of two that brings entries of magnitude `mag` near 1 (1 in the usual range).
  static Acc scale_for(Acc mag) {
    return detail::unit_scale(Eigen::Matrix<Acc, 1, 1>::Constant(mag));
  }
  /// scatter_ at scale c instead of scatter_scale_ (exact: a power of two; entries negligible at
  /// the new scale may underflow).
  AccMatrix rescaled_scatter(Acc c) const {
    const Acc r = c / scatter_scale_;
    return r == Acc(1) ? scatter_ : AccMatrix(r * (r * scatter_));
  }
  /// A bound on the entries the state's scatter was summed from: tracked in scatter mode, s_1
  /// for a factored state (sync first). 0 for an empty or all-zero state.
  Acc magnitude() const {
    if (scatter_.size() > 0) return scatter_mag_;
    return s_.size() > 0 ? Acc(s_(0)) : Acc(0);
  }
  /// Brings s_, v_, rank_ up to date with a pending scatter (const: the first reader factors,
  /// under the lock; detail::PendingFlag). O(d^3) once per batch of updates.
  void sync() const;
  void copy_state(const PCA& o) {
    n_ = o.n_;
    rank_ = o.rank_;
    mean_ = o.mean_;
    s_ = o.s_;
    v_ = o.v_;
    total_ss_ = o.total_ss_;
    discarded_ = o.discarded_;
    scatter_ = o.scatter_;
    scatter_scale_ = o.scatter_scale_;
    scatter_mag_ = o.scatter_mag_;
    pending_.set(false);
  }
  /// Takes the state of `o` and leaves `o` an unfitted model with its options.
  void move_state(PCA& o) noexcept {
    n_ = o.n_;
    rank_ = o.rank_;
    mean_.swap(o.mean_);
    s_.swap(o.s_);
    v_.swap(o.v_);
    total_ss_ = o.total_ss_;
    discarded_ = o.discarded_;
    scatter_.swap(o.scatter_);
    scatter_scale_ = o.scatter_scale_;
    scatter_mag_ = o.scatter_mag_;
    pending_.set(o.pending_.get());
    o.n_ = 0;
    o.rank_ = 0;
    o.mean_.resize(0);
    o.s_.resize(0);
    o.v_.resize(0, 0);
    o.total_ss_ = o.discarded_ = 0;
    o.scatter_.resize(0, 0);
    o.scatter_scale_ = 1;
    o.scatter_mag_ = 0;
    o.pending_.set(false);
  }
  void randomized_factor(const Matrix& xc, Vector& s, Matrix& v, const char* func) const;

  /// The rank rule of the options applied to singular values s of a state (n samples, width
  /// d, total scatter T).
  Index select_rank(const Vector& s, Index n, Index d, Scalar total, bool clamp,
                    const char* func) const;

  /// Installs a new state: fixes signs, truncates to max_state_rank, selects the rank.
  /// With `clamp` (streaming and merging), RankRule::fixed(k) gives min(k, numerical rank)
  /// instead of throwing, so early blocks with fewer than k samples are accepted.
  void install(Index n, Vector mu, Scalar total, Vector s, Matrix v, Scalar discarded,
               const char* func, bool clamp = false);

  PcaOptions opt_;
  Index n_ = 0;
  // The factor: mutable because sync() (const) computes it from a pending scatter; written
  // only under pending_'s lock by const members, or by non-const ones.
  mutable Index rank_ = 0;
  Vector mean_;
  mutable Vector s_;
  mutable Matrix v_;
  Scalar total_ss_ = 0, discarded_ = 0;
  // Scatter mode: scatter_ = c^2 sum (x_i - mu)(x_i - mu)^T (lower triangle), c =
  // scatter_scale_ a power of two (scale_for the largest entry seen, rescaled when that grows),
  // so that squares of data near 1e-300 or 1e300 neither under- nor overflow; empty when not
  // formed.
  AccMatrix scatter_;
  Acc scatter_scale_ = 1;
  Acc scatter_mag_ = 0;  ///< largest entry (centred, or mean-shift row) the scatter summed
  mutable detail::PendingFlag pending_;  ///< scatter_ is newer than (s_, v_, rank_)
};

// ---- PCA: out-of-class definitions (not implicitly inline, so that compiled mode
// instantiates them once; detail/compiled.hpp). Documented at their declarations. ----
/// \cond OUT_OF_CLASS_DEFINITIONS
template <class Scalar_>
template <class Derived>
auto PCA<Scalar_>::fit(const Eigen::MatrixBase<Derived>& x_arg) -> PCA& {
  const auto& x = detail::evaluated(x_arg);
  constexpr const char* func = "subspace::PCA::fit";
  check_data(x, func, /*any_width=*/true);
  const Index n = x.rows(), d = x.cols();
  Vector mu = opt_.center ? Vector(x.colwise().mean().transpose()) : Vector(Vector::Zero(d));
  Matrix xc = x.rowwise() - mu.transpose();
  const Scalar total = detail::accurate_squared_norm(xc);
  PcaSolver solver = opt_.solver;
  if (solver == PcaSolver::Auto) solver = n >= 4 * d ? PcaSolver::Covariance : PcaSolver::SVD;
  Vector s;
  Matrix v;
  switch (solver) {
    case PcaSolver::Covariance:
      covariance_factor(xc, s, v);
      break;
    case PcaSolver::Randomized:
      randomized_factor(xc, s, v, func);
      break;
    default:
      detail_svd(xc, s, v);
  }
  install(n, std::move(mu), total, std::move(s), std::move(v), Scalar(0), func);
  scatter_.resize(0, 0);
  return *this;
}

template <class Scalar_>
template <class Derived>
auto PCA<Scalar_>::partial_fit(const Eigen::MatrixBase<Derived>& block_arg) -> PCA& {
  const auto& block = detail::evaluated(block_arg);
  constexpr const char* func = "subspace::PCA::partial_fit";
  check_data(block, func, /*any_width=*/n_ == 0);
  const Index b = block.rows(), d = block.cols();
  Vector mu_b = opt_.center ? Vector(block.colwise().mean().transpose()) : Vector(Vector::Zero(d));
  const Scalar nn = Scalar(n_), nb = Scalar(b), ntot = nn + nb;
  if (scatter_mode()) {
    const Matrix xc = block.rowwise() - mu_b.transpose();
    const Vector delta = n_ == 0 ? Vector(Vector::Zero(d)) : Vector(mean_ - mu_b);
    const Scalar w = nn * nb / ntot;
    const Scalar total = total_ss_ + detail::accurate_squared_norm(xc) + w * delta.squaredNorm();
    if (!std::isfinite(total))
      throw OutsideDomain(detail::message(func, ": the total scatter sum |x - mu|^2 overflows"));
    // The block's scatter and the mean correction go into a rescaled copy of the d x d sum
    // first, so that a throw leaves the model unchanged (b d^2 flops dominate the extra d^2).
    // The scale follows the largest entry seen (of a centred block or a mean-shift row).
    if (n_ > 0) ensure_scatter();
    const Acc mag = std::max({scatter_mag_, Acc(xc.cwiseAbs().maxCoeff()),
                              Acc(std::sqrt(w)) * Acc(delta.cwiseAbs().maxCoeff())});
    const Acc c = scale_for(mag);
    AccMatrix add = n_ > 0 ? rescaled_scatter(c) : AccMatrix(AccMatrix::Zero(d, d));
    add_centred_scatter(xc, c, add);
    if (n_ > 0)
      add.template selfadjointView<Eigen::Lower>().rankUpdate(
          (c * delta.template cast<Acc>()).eval(), Acc(w));
    if (!scatter_is_finite(add))
      throw OutsideDomain(detail::message(func, ": the scatter overflows"));
    Vector mu = n_ == 0 ? mu_b : Vector((nn * mean_ + nb * mu_b) / ntot);
    if (n_ == 0) {
      s_.resize(0);
      v_.resize(d, 0);
      rank_ = 0;
    }
    scatter_ = std::move(add);
    scatter_scale_ = c;
    scatter_mag_ = mag;
    n_ += b;
    mean_ = std::move(mu);
    total_ss_ = total;
    pending_.set(true);
    return *this;
  }
  if (n_ == 0) {
    v_.resize(d, 0);
    s_.resize(0);
    mean_ = Vector::Zero(d);
  }
  const Vector delta = mean_ - mu_b;
  Matrix m(s_.size() + b + 1, d);
  m.topRows(s_.size()) = s_.asDiagonal() * v_.transpose();
  m.middleRows(s_.size(), b) = block.rowwise() - mu_b.transpose();
  const Scalar c = std::sqrt(nn * nb / ntot);
  m.bottomRows(1) = c * delta.transpose();
  const Scalar total = total_ss_ + detail::accurate_squared_norm(m.middleRows(s_.size(), b)) +
                       c * c * delta.squaredNorm();
  Vector mu = (nn * mean_ + nb * mu_b) / ntot;
  Vector s;
  Matrix v;
  update_svd(m, s, v);
  install(n_ + b, std::move(mu), total, std::move(s), std::move(v), discarded_, func,
          /*clamp=*/true);
  return *this;
}

template <class Scalar_>
auto PCA<Scalar_>::merge(const PCA& other) -> PCA& {
  constexpr const char* func = "subspace::PCA::merge";
  if (other.n_ == 0) return *this;
  if (other.opt_.center != opt_.center)
    throw InvalidParameter(detail::message(func, ": cannot merge centred and uncentred states"));
  if (n_ == 0) {
    const PcaOptions mine = opt_;
    *this = other;
    opt_ = mine;
    install(n_, mean_, total_ss_, Vector(s_), Matrix(v_), discarded_, func, /*clamp=*/true);
    if (!scatter_mode()) scatter_.resize(0, 0);
    return *this;
  }
  if (other.dim() != dim())
    throw DimensionMismatch(
        detail::message(func, ": states of dimension ", dim(), " and ", other.dim()));
  const Index d = dim();
  const Scalar n1 = Scalar(n_), n2 = Scalar(other.n_), n = n1 + n2;
  const Vector delta = mean_ - other.mean_;
  if (scatter_mode()) {
    const Scalar w = n1 * n2 / n;
    const Scalar total = total_ss_ + other.total_ss_ + w * delta.squaredNorm();
    if (!std::isfinite(total))
      throw OutsideDomain(detail::message(func, ": the total scatter sum |x - mu|^2 overflows"));
    ensure_scatter();
    other.sync();
    const Acc mag = std::max(
        {scatter_mag_, other.magnitude(), Acc(std::sqrt(w)) * Acc(delta.cwiseAbs().maxCoeff())});
    const Acc c = scale_for(mag);
    AccMatrix add = rescaled_scatter(c);
    add_scatter_of(other, add, c);
    add.template selfadjointView<Eigen::Lower>().rankUpdate((c * delta.template cast<Acc>()).eval(),
                                                            Acc(w));
    if (!scatter_is_finite(add))
      throw OutsideDomain(detail::message(func, ": the merged scatter overflows"));
    scatter_ = std::move(add);
    scatter_scale_ = c;
    scatter_mag_ = mag;
    mean_ = (n1 * mean_ + n2 * other.mean_) / n;
    n_ += other.n_;
    total_ss_ = total;
    discarded_ += other.discarded_;
    pending_.set(true);
    return *this;
  }
  other.sync();
  const Scalar c = std::sqrt(n1 * n2 / n);
  Matrix m(s_.size() + other.s_.size() + 1, d);
  m.topRows(s_.size()) = s_.asDiagonal() * v_.transpose();
  m.middleRows(s_.size(), other.s_.size()) = other.s_.asDiagonal() * other.v_.transpose();
  m.bottomRows(1) = c * delta.transpose();
  const Scalar total = total_ss_ + other.total_ss_ + c * c * delta.squaredNorm();
  Vector mu = (n1 * mean_ + n2 * other.mean_) / n;
  Vector s;
  Matrix v;
  update_svd(m, s, v);
  install(n_ + other.n_, std::move(mu), total, std::move(s), std::move(v),
          discarded_ + other.discarded_, func, /*clamp=*/true);
  return *this;
}

template <class Scalar_>
template <class Derived>
auto PCA<Scalar_>::scores(const Eigen::MatrixBase<Derived>& x_arg) const -> Scores {
  const auto& x = detail::evaluated(x_arg);
  check_input(x, "subspace::PCA::scores");
  sync();
  const Index n = x.rows(), k = rank_;
  Scores out{Vector(n), Vector(n), Vector(n)};
  const Vector lambda = explained_variance();
  Vector inv_lambda(k);
  for (Index j = 0; j < k; ++j)
    inv_lambda(j) = lambda(j) > Scalar(0) ? Scalar(1) / lambda(j) : Scalar(0);
  const Scalar q_scale =
      std::max(training_residual_mean(),
               Tolerance<Scalar>::epsilon() * total_ss_ / Scalar(std::max<Index>(n_, 1)));
  const auto vk = components();
  constexpr Index kBlock = 1024;
  Matrix xc, z;
  for (Index start = 0; start < n; start += kBlock) {
    const Index b = std::min(kBlock, n - start);
    xc = x.middleRows(start, b).rowwise() - mean_.transpose();
    z.noalias() = xc * vk;
    xc.noalias() -= z * vk.transpose();
    out.residual.segment(start, b) = xc.rowwise().squaredNorm();
    out.t2.segment(start, b) = z.array().square().matrix() * inv_lambda;
  }
  const Scalar t2_scale = k > 0 ? Scalar(1) / Scalar(k) : Scalar(0);
  out.combined = out.residual / (q_scale > Scalar(0) ? q_scale : Scalar(1)) + t2_scale * out.t2;
  if (!out.residual.allFinite() || !out.t2.allFinite() || !out.combined.allFinite())
    throw OutsideDomain(
        "subspace::PCA::scores: a score overflows (squared distances of samples near the "
        "overflow threshold, or far outside the training scale, are not representable)");
  return out;
}

template <class Scalar_>
auto PCA<Scalar_>::save(std::ostream& os) const -> void {
  sync();
  detail::write_header(os, "subspace::PCA", 1);
  os << (opt_.center ? 1 : 0) << ' ' << static_cast<int>(opt_.rank.kind()) << ' ';
  os.precision(17);
  os << opt_.rank.value() << ' ' << opt_.rank.k() << ' ' << opt_.max_state_rank << '\n';
  os << n_ << '\n';
  os.precision(std::numeric_limits<Scalar>::max_digits10);
  os << total_ss_ << ' ' << discarded_ << '\n';
  detail::write_matrix(os, mean_);
  detail::write_matrix(os, s_);
  detail::write_matrix(os, v_);
  if (!os) throw FormatError("subspace::PCA::save: the stream failed");
}

template <class Scalar_>
auto PCA<Scalar_>::load(std::istream& is) -> void {
  constexpr const char* func = "subspace::PCA::load";
  detail::guarded_load(func, [&] {
    detail::read_header(is, "subspace::PCA", 1, func);
    State st;
    st.center = detail::read_value<int>(is, func, "center flag");
    st.kind = detail::read_value<int>(is, func, "rank rule");
    st.value = detail::read_value<double>(is, func, "rank rule value");
    st.k = detail::read_value<long long>(is, func, "rank rule k");
    st.max_rank = detail::read_value<long long>(is, func, "max_state_rank");
    st.n = detail::read_value<long long>(is, func, "sample count");
    st.total = detail::read_value<Scalar>(is, func, "total sum of squares");
    st.discarded = detail::read_value<Scalar>(is, func, "discarded energy");
    detail::read_matrix(is, st.mu, func, "mean");
    detail::read_matrix(is, st.s, func, "singular values");
    detail::read_matrix(is, st.v, func, "components");
    detail::expect_end(is, func);
    adopt(std::move(st), func);
  });
}

template <class Scalar_>
auto PCA<Scalar_>::serialize() const -> std::vector<std::uint8_t> {
  sync();
  std::vector<std::uint8_t> out;
  const Index d = mean_.size(), r = s_.size();
  out.reserve(kHeaderBytes + sizeof(Scalar) * static_cast<std::size_t>(2 + d + r + d * r));
  // Byte by byte: g++ 12 at -O3 reports a false stringop-overflow on vector::insert here.
  for (const char c : {'s', 'P', 'C', 'A'}) out.push_back(static_cast<std::uint8_t>(c));
  put_le(out, std::uint32_t(1), 4);
  out.push_back(std::uint8_t(sizeof(Scalar)));
  out.push_back(opt_.center ? 1 : 0);
  out.push_back(static_cast<std::uint8_t>(opt_.rank.kind()));
  out.push_back(0);
  put_real(out, opt_.rank.value());
  put_le(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(opt_.rank.k())), 8);
  put_le(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(opt_.max_state_rank)), 8);
  put_le(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(n_)), 8);
  put_le(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(d)), 8);
  put_le(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(r)), 8);
  put_real(out, total_ss_);
  put_real(out, discarded_);
  for (Index i = 0; i < d; ++i) put_real(out, mean_(i));
  for (Index i = 0; i < r; ++i) put_real(out, s_(i));
  for (Index j = 0; j < r; ++j)
    for (Index i = 0; i < d; ++i) put_real(out, v_(i, j));
  return out;
}

template <class Scalar_>
auto PCA<Scalar_>::adopt(State st, const char* func) -> void {
  auto fail = [func](const auto&... what) {
    throw FormatError(detail::message(func, ": ", what...));
  };
  if (st.center != 0 && st.center != 1) fail("center flag ", st.center, " (expected 0 or 1)");
  if (st.kind < 0 || st.kind > 3) fail("rank rule kind ", st.kind, " (expected 0 to 3)");
  if (!std::isfinite(st.value)) fail("non-finite rank rule value");
  if (!(st.k >= 0 && st.k <= max_load_elements)) fail("rank rule k = ", st.k, " out of range");
  if (st.max_rank != -1 && !(st.max_rank >= 1 && st.max_rank <= max_load_elements))
    fail("max_state_rank = ", st.max_rank, " (expected -1 or >= 1)");
  if (!(st.n >= 0 && st.n <= (1LL << 53))) fail("sample count ", st.n, " outside [0, 2^53]");
  if (!std::isfinite(st.total) || !(st.total >= 0) || !std::isfinite(st.discarded) ||
      !(st.discarded >= 0))
    fail("total sum of squares and discarded energy must be finite and >= 0");
  const Index d = st.mu.size(), r = st.s.size();
  if (st.v.rows() != d || st.v.cols() != r || r > d)
    fail("inconsistent shapes: mean of size ", d, ", ", r, " singular values, components ",
         detail::shape(st.v.rows(), st.v.cols()));
  if (st.max_rank != -1 && r > st.max_rank)
    fail(r, " singular triplets but max_state_rank = ", st.max_rank);
  PcaOptions o = opt_;
  o.center = st.center == 1;
  o.max_state_rank = static_cast<Index>(st.max_rank);
  try {
    switch (static_cast<RankRule::Kind>(st.kind)) {
      case RankRule::Kind::Automatic:
        o.rank = RankRule::automatic();
        break;
      case RankRule::Kind::Tolerance:
        o.rank = RankRule::tolerance(st.value);
        break;
      case RankRule::Kind::Fixed:
        o.rank = RankRule::fixed(static_cast<Index>(st.k));
        break;
      case RankRule::Kind::Energy:
        o.rank = RankRule::energy(st.value);
        break;
    }
  } catch (const InvalidArgument& e) {
    fail("bad rank rule: ", e.what());
  }
  PCA tmp(o);
  if (st.n == 0) {
    if (d != 0 || st.total != Scalar(0) || st.discarded != Scalar(0))
      fail("an unfitted state (n = 0) must be empty");
    *this = std::move(tmp);
    return;
  }
  if (d < 1) fail("a fitted state needs dimension >= 1");
  if (!st.mu.allFinite() || !st.s.allFinite() || !st.v.allFinite()) fail("non-finite values");
  if (!o.center && (st.mu.array() != Scalar(0)).any()) fail("an uncentred state has a mean");
  for (Index j = 0; j < r; ++j) {
    if (!(st.s(j) >= Scalar(0))) fail("negative singular value ", st.s(j));
    if (j > 0 && st.s(j) > st.s(j - 1)) fail("singular values not in descending order");
  }
  const Scalar tol = Tolerance<Scalar>::orthonormality(d);
  const Scalar ss = st.s.squaredNorm();
  if (!std::isfinite(ss) || ss > st.total * (Scalar(1) + tol))
    fail("total sum of squares ", st.total, " < sum of squared singular values ", ss);
  if (r > 0) {
    const Scalar err = (st.v.transpose() * st.v - Matrix::Identity(r, r)).cwiseAbs().maxCoeff();
    if (!(err <= tol)) fail("components not orthonormal: max|V^T V - I| = ", err, " > ", tol);
  }
  try {  // clamp: a fixed(k) streamed state may hold fewer than k directions, as saved
    tmp.install(static_cast<Index>(st.n), std::move(st.mu), st.total, std::move(st.s),
                std::move(st.v), st.discarded, func, /*clamp=*/true);
  } catch (const InvalidArgument& e) {
    fail(e.what());
  }
  const Vector lambda = tmp.explained_variance();
  for (Index j = 0; j < lambda.size(); ++j)
    if (lambda(j) > Scalar(0) &&
        !(std::isfinite(Scalar(1) / lambda(j)) && std::isfinite(lambda(0) / lambda(j))))
      fail("explained variance ", lambda(j), " of component ", j, " too small for finite scores");
  *this = std::move(tmp);
}

template <class Scalar_>
template <class M>
auto PCA<Scalar_>::detail_svd(const M& a, Eigen::Matrix<typename M::Scalar, Eigen::Dynamic, 1>& s,
                              M& v) -> void {
  detail::ThinSvd<M> svd;
  if (a.rows() > a.cols()) {
    Eigen::HouseholderQR<M> qr(a);
    const M r = qr.matrixQR().topRows(a.cols()).template triangularView<Eigen::Upper>();
    svd = detail::thin_svd(r, false, true, "subspace::PCA");
  } else {
    svd = detail::thin_svd(a, false, true, "subspace::PCA");
  }
  s = std::move(svd.s);
  v = std::move(svd.v);
}

template <class Scalar_>
auto PCA<Scalar_>::update_svd(const Matrix& m, Vector& s, Matrix& v) -> void {
  if constexpr (std::is_same<Scalar, float>::value) {
    Eigen::VectorXd sd;
    Eigen::MatrixXd vd;
    // No rescale here: float data, widened, lie far inside double's safe range.
    detail_svd(Eigen::MatrixXd(m.template cast<double>()), sd, vd);
    s = sd.cast<float>();
    v = vd.cast<float>();
  } else {
    // Householder QR and the SVD square entries: at 1e-300 (or 1e300) that underflows (or
    // overflows) and the singular values came out wrong (measured: 3.3e-300 for 6.4e-300). An
    // exact power-of-two rescale first (detail::unit_scale; free in the usual range).
    const Scalar c = detail::unit_scale(m);
    if (c == Scalar(1)) {
      detail_svd(m, s, v);
    } else {
      detail_svd(Matrix(c * m), s, v);
      s /= c;
    }
  }
}

template <class Scalar_>
auto PCA<Scalar_>::covariance_factor(const Matrix& xc, Vector& s, Matrix& v) -> void {
  // Float data are accumulated and decomposed in double: a float scatter over N rows carries
  // relative errors ~sqrt(N) eps_f and the eigenvalue floor below would be d eps_f lambda_1,
  // which at d = 3000 zeroed every singular value under 2 % of s_1 (measured: rank 1 reported
  // for data of rank 3000, 4 % of the energy lost at d = 1000). Double costs about 2x the
  // GEMM time; memory: one 1024-row block, the d x d scatter and its eigenvectors in double
  // (about 3 x 8 d^2 bytes at the peak).
  // Entries beyond about 1e+-150 (double) would under- or overflow when squared: the scatter is
  // then summed from blocks scaled by a power of two (exact) and the singular values divided
  // by it again (factor_scatter).
  const Acc scale = scale_for(Acc(xc.cwiseAbs().maxCoeff()));
  AccMatrix c = AccMatrix::Zero(xc.cols(), xc.cols());
  add_centred_scatter(xc, scale, c);
  factor_scatter(c, scale, s, v);
}

template <class Scalar_>
auto PCA<Scalar_>::add_centred_scatter(const Matrix& xc, Acc c, AccMatrix& acc) -> void {
  if constexpr (std::is_same<Acc, Scalar>::value) {
    if (c == Acc(1)) {  // the usual case: one SYRK, no copy
      acc.template selfadjointView<Eigen::Lower>().rankUpdate(xc.transpose());
      return;
    }
  }
  constexpr Index kBlock = 1024;  // a scaled (or, for float, widened) copy of one block at a time
  const Index n = xc.rows();
  AccMatrix b;
  for (Index r = 0; r < n; r += kBlock) {
    b = c * xc.middleRows(r, std::min(kBlock, n - r)).template cast<Acc>();
    acc.template selfadjointView<Eigen::Lower>().rankUpdate(b.transpose());
  }
}

template <class Scalar_>
auto PCA<Scalar_>::factor_scatter(const AccMatrix& c2s, Acc c, Vector& s, Matrix& v) -> void {
  using AccVector = Eigen::Matrix<Acc, Eigen::Dynamic, 1>;
  const Index d = c2s.rows();
  Eigen::SelfAdjointEigenSolver<AccMatrix> es(c2s);  // reads the lower triangle
  const AccVector lambda = es.eigenvalues().reverse();
  v = es.eigenvectors().rowwise().reverse().template cast<Scalar>();
  // Eigenvalues within the rounding of the scatter (d eps lambda_1, eps of the accumulating
  // type) carry no information: report them as 0, so that the rank rules see the rank the data
  // have.
  const Acc floor = Acc(d) * Tolerance<Acc>::epsilon() * lambda(0);
  s = (lambda.array() > floor)
          .select(lambda.cwiseMax(Acc(0)).cwiseSqrt() / c, Acc(0))
          .matrix()
          .template cast<Scalar>();
}

template <class Scalar_>
auto PCA<Scalar_>::fix_signs(Matrix& v) -> void {
  for (Index j = 0; j < v.cols(); ++j) {  // deterministic sign: largest-|entry| positive
    Index i = 0;
    v.col(j).cwiseAbs().maxCoeff(&i);
    if (v(i, j) < Scalar(0)) v.col(j) = -v.col(j);
  }
}

template <class Scalar_>
auto PCA<Scalar_>::add_scatter_of(const PCA& other, AccMatrix& acc, Acc c) -> void {
  if (other.scatter_.size() > 0) {
    acc.template triangularView<Eigen::Lower>() += other.rescaled_scatter(c);
    return;
  }
  // A factored state: V diag(c s)^2 V^T, one SYRK of d x r.
  const AccMatrix vs =
      other.v_.template cast<Acc>() * (c * other.s_.template cast<Acc>()).asDiagonal();
  acc.template selfadjointView<Eigen::Lower>().rankUpdate(vs);
}

template <class Scalar_>
auto PCA<Scalar_>::ensure_scatter() -> void {
  if (scatter_.size() > 0) return;
  sync();
  // A factored state: s_1 bounds the entries, and fixes the scale as a block would.
  const Acc mag = magnitude();
  const Acc c = scale_for(mag);
  AccMatrix acc = AccMatrix::Zero(dim(), dim());
  add_scatter_of(*this, acc, c);  // scatter_ is still empty: adds V diag(c s)^2 V^T
  scatter_ = std::move(acc);
  scatter_scale_ = c;
  scatter_mag_ = mag;
}

template <class Scalar_>
auto PCA<Scalar_>::sync() const -> void {
  if (!pending_.get()) return;
  std::lock_guard<std::mutex> lock(pending_.mutex());
  if (!pending_.get()) return;  // another reader factored it meanwhile
  Vector s;
  Matrix v;
  factor_scatter(scatter_, scatter_scale_, s, v);
  fix_signs(v);
  rank_ = select_rank(s, n_, dim(), total_ss_, /*clamp=*/true, "subspace::PCA");
  s_ = std::move(s);
  v_ = std::move(v);
  pending_.set(false);
}

template <class Scalar_>
auto PCA<Scalar_>::randomized_factor(const Matrix& xc, Vector& s, Matrix& v, const char* func) const
    -> void {
  if (opt_.rank.kind() != RankRule::Kind::Fixed)
    throw InvalidParameter(
        detail::message(func, ": the randomized solver needs RankRule::fixed(k)"));
  const Index n = xc.rows(), d = xc.cols();
  const Index l = std::min<Index>({opt_.rank.k() + opt_.oversampling, n, d});
  if (l == 0) {  // fixed(0) and no oversampling: the empty sketch (Eigen's SVDs assert on 0 x d)
    s.resize(0);
    v.resize(d, 0);
    return;
  }
  std::mt19937_64 gen(opt_.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix omega(d, l);
  for (Index j = 0; j < l; ++j)
    for (Index i = 0; i < d; ++i) omega(i, j) = Scalar(normal(gen));
  // The n x l and d x l blocks and their QR factorizations are allocated once and reused by
  // every power iteration: a fresh 60000 x 74 temporary per product measured 0.45 s against
  // 0.16 s for the product into a kept buffer (first-touch page faults, on a VM with 4 KiB
  // pages); reusing them took q = 7 on 60000 x 784 from 8.6 s to 5.5 s (README, Performance).
  Matrix y(n, l), z(d, l);
  Eigen::HouseholderQR<Matrix> qr_n(n, l), qr_d(d, l);
  auto orth = [](Eigen::HouseholderQR<Matrix>& qr, Matrix& a) {  // a <- thin Q of a
    qr.compute(a);
    a.setIdentity();
    detail::apply_householder_q(qr, a);
  };
  // Between power iterations any well-conditioned basis of the range will do (Halko et al.
  // 2011, Sec. 4.5; scikit-learn normalizes by LU there): Cholesky QR, a <- a R^{-1} with
  // R^T R = a^T a, one SYRK and one TRSM (2 m l^2 flops at GEMM speed) against Householder's
  // 4 m l^2 flops in BLAS-2-bound panels (Eigen has no tall LU with partial pivoting). It loses
  // orthogonality as eps cond(a)^2, so a Gram matrix whose estimated reciprocal condition
  // number (LLT::rcond, 1-norm estimate of 1/cond(a)^2) is below 100 l eps (cond(a) beyond
  // ~0.1 (l eps)^{-1/2}, e.g. data of rank < l) takes the Householder step instead. The last
  // normalization, whose Q projects the data, is always Householder (orthonormal to rounding).
  Matrix gram(l, l);
  Eigen::LLT<Matrix> llt(l);
  const Scalar min_rcond = Scalar(100) * Scalar(l) * Tolerance<Scalar>::epsilon();
  auto conditioned = [min_rcond](const Matrix&, const Eigen::LLT<Matrix>& f) {
    return f.rcond() > min_rcond;
  };
  auto normalize = [&](Eigen::HouseholderQR<Matrix>& qr, Matrix& a) {
    const Scalar c = detail::unit_scale(a);  // keeps a^T a finite at any data scale
    if (c != Scalar(1)) a *= c;
    if (!detail::cholesky_qr_step(a, gram, llt, conditioned)) orth(qr, a);
  };
  y.noalias() = xc * omega;
  if (opt_.power_iterations == 0) {
    orth(qr_n, y);
  } else {
    normalize(qr_n, y);
  }
  for (int it = 0; it < opt_.power_iterations; ++it) {
    z.noalias() = xc.transpose() * y;
    normalize(qr_d, z);
    y.noalias() = xc * z;
    if (it + 1 == opt_.power_iterations)
      orth(qr_n, y);
    else
      normalize(qr_n, y);
  }
  const Matrix& q = y;
  const Matrix b = q.transpose() * xc;  // l x d
  detail_svd(b, s, v);
}

template <class Scalar_>
auto PCA<Scalar_>::install(Index n, Vector mu, Scalar total, Vector s, Matrix v, Scalar discarded,
                           const char* func, bool clamp) -> void {
  if (!std::isfinite(total))
    throw OutsideDomain(detail::message(
        func, ": the total scatter sum |x - mu|^2 overflows (data beyond about 1e",
        std::numeric_limits<Scalar>::max_exponent10 / 2, " in magnitude); rescale the data"));
  Index keep = s.size();
  if (opt_.max_state_rank > 0 && keep > opt_.max_state_rank) {
    keep = opt_.max_state_rank;
    discarded += s.tail(s.size() - keep).squaredNorm();
  }
  s.conservativeResize(keep);
  Matrix vk = v.leftCols(keep);
  fix_signs(vk);
  const Index rank = select_rank(s, n, mu.size(), total, clamp, func);
  n_ = n;
  mean_ = std::move(mu);
  total_ss_ = total;
  s_ = std::move(s);
  v_ = std::move(vk);
  discarded_ = discarded;
  rank_ = rank;
  pending_.set(false);
}

template <class Scalar_>
auto PCA<Scalar_>::select_rank(const Vector& s, Index n, Index d, Scalar total, bool clamp,
                               const char* func) const -> Index {
  Index rank = 0;
  if (opt_.rank.kind() == RankRule::Kind::Energy) {
    const Scalar target = Scalar(opt_.rank.value()) * total;
    Scalar acc = 0;
    while (rank < s.size() && acc < target * (Scalar(1) - Tolerance<Scalar>::epsilon() * 10))
      acc += s(rank) * s(rank), ++rank;
  } else {
    const bool soft = clamp && opt_.rank.kind() == RankRule::Kind::Fixed;
    rank = soft ? std::min(opt_.rank.k(),
                           RankRule::automatic().select(s, std::max<Index>(n, 1), d, func))
                : opt_.rank.select(s, std::max<Index>(n, 1), d, func);
  }
  return rank;
}
/// \endcond

/// PCA in single precision.
using PCAf = PCA<float>;
/// PCA in double precision (= PCA<>).
using PCAd = PCA<double>;

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_PCA_TEMPLATES(P, S)                                                              \
  P class subspace::PCA<S>;                                                                       \
  P subspace::PCA<S>& subspace::PCA<S>::fit(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);          \
  P subspace::PCA<S>& subspace::PCA<S>::partial_fit(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);  \
  P SUBSPACE_MATX(S) subspace::PCA<S>::transform(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&)      \
      const;                                                                                      \
  P SUBSPACE_MATX(S)                                                                              \
      subspace::PCA<S>::inverse_transform(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) const;      \
  P subspace::PCA<S>::Scores subspace::PCA<S>::scores(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&) \
      const;
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_PCA_TEMPLATES(extern template, double)
SUBSPACE_PCA_TEMPLATES(extern template, float)
#endif
