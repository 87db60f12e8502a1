// SPDX-License-Identifier: MIT
// ml/anomaly.hpp: the metrics of score-based anomaly detection: ROC AUC with ties, the ROC
// curve, and thresholds / detection rates at a target false-positive rate.
//
// Convention: a larger score means "more anomalous" (float or double); labels have an integer
// or bool type, nonzero for anomalies (positives) and zero for normal samples (negatives).
// threshold_at_fpr / tpr_at_fpr flag a sample when its score is strictly greater than the
// threshold; the points of roc_curve are indexed by score values v, each flagging the samples
// with score >= v (the usual ROC convention; equivalently > the next lower value). Scores are
// PCA::scores(X).residual / .t2 / .combined or anything else. Every function takes float or double
// scores (any Eigen vector expression) and accumulates counts in integers, so results are exact up
// to the final division.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "../detail/checks.hpp"
#include "../traits.hpp"

namespace subspace {

/// \addtogroup pca
/// @{

namespace detail {

template <class DS, class DL>
void check_types() {
  static_assert(std::is_floating_point<typename DS::Scalar>::value,
                "anomaly metrics: scores must be float or double");
  static_assert(std::is_integral<typename DL::Scalar>::value,
                "anomaly metrics: labels must have an integer (or bool) type");
}

/// Validates (scores, labels) and counts the anomalies (positives) and normal samples.
template <class DS, class DL>
void count_labels(const Eigen::DenseBase<DS>& scores, const Eigen::DenseBase<DL>& labels,
                  const char* func, Index& positives, Index& negatives) {
  check_types<DS, DL>();
  if constexpr (input_checks) {
    if (scores.size() != labels.size() || scores.size() == 0 ||
        (scores.rows() != 1 && scores.cols() != 1))
      throw DimensionMismatch(message(func, ": scores (", shape(scores.rows(), scores.cols()),
                                      ") and labels (", shape(labels.rows(), labels.cols()),
                                      ") must be non-empty vectors of the same length"));
    if (!scores.derived().allFinite())
      throw NonFiniteInput(message(func, ": the scores hold NaN or Inf"));
  }
  const Index n = scores.size();
  positives = 0;
  for (Index i = 0; i < n; ++i) positives += labels.derived()(i) != 0 ? 1 : 0;
  negatives = n - positives;
  if (positives == 0 || negatives == 0)
    throw InvalidParameter(message(func, ": needs both anomalies (nonzero labels) and normal ",
                                   "samples; got ", positives, " and ", negatives));
}

/// count_labels, then the sample order by decreasing score (stable).
template <class DS, class DL>
std::vector<Index> roc_order(const Eigen::DenseBase<DS>& scores, const Eigen::DenseBase<DL>& labels,
                             const char* func, Index& positives, Index& negatives) {
  count_labels(scores, labels, func, positives, negatives);
  std::vector<Index> order(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Index(0));
  const auto& s = scores.derived();
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return s(a) > s(b); });
  return order;
}

/// Calls f(score, anomalies, normals) for each group of equal scores, from the highest score
/// down (`order` from roc_order).
template <class DS, class DL, class F>
void for_each_tie_group(const std::vector<Index>& order, const DS& s, const DL& l, F&& f) {
  std::size_t i = 0;
  while (i < order.size()) {
    const auto v = s(order[i]);
    Index gp = 0, gn = 0;
    for (; i < order.size() && s(order[i]) == v; ++i) (l(order[i]) != 0 ? gp : gn) += 1;
    f(v, gp, gn);
  }
}

template <class DS>
void require_score_vector(const Eigen::DenseBase<DS>& scores, const char* func, const char* name) {
  if constexpr (input_checks) {
    if (scores.size() == 0 || (scores.rows() != 1 && scores.cols() != 1))
      throw DimensionMismatch(message(func, ": ", name, " must be a non-empty vector, got ",
                                      shape(scores.rows(), scores.cols())));
    if (!scores.derived().allFinite())
      throw NonFiniteInput(message(func, ": ", name, " hold NaN or Inf"));
  }
}

template <class Real>
void require_rate(Real rate, const char* func) {
  if (!(rate >= Real(0) && rate <= Real(1)))
    throw InvalidParameter(
        message(func, ": the target false-positive rate must be in [0, 1], got ", rate));
}

}  // namespace detail

/// Area under the ROC curve: the probability that a random anomaly scores higher than a random
/// normal sample, ties counting one half (the Mann-Whitney U statistic over P N):
///   AUC = (#{s_a > s_n} + 0.5 #{s_a = s_n}) / (P N)   over anomalies a and normal samples n.
/// Equal scores form one step of the curve (the trapezoid), never an order-dependent staircase.
/// scores: N-vector; labels: N-vector, nonzero = anomaly. Cost O(N log N).
/// Throws DimensionMismatch (sizes), NonFiniteInput (NaN/Inf score), InvalidParameter (no
/// anomaly or no normal sample: the AUC is undefined).
template <class DS, class DL>
double roc_auc(const Eigen::DenseBase<DS>& scores_arg, const Eigen::DenseBase<DL>& labels_arg) {
  const auto& scores = detail::evaluated(scores_arg);
  const auto& labels = detail::evaluated(labels_arg);
  Index pos = 0, neg = 0;
  const auto order = detail::roc_order(scores, labels, "subspace::roc_auc", pos, neg);
  // Walk groups of equal scores from the top: each normal sample of a group loses to the
  // anomalies above it and ties with those in its group. The half-integer sums are exact in
  // long double (64-bit significand) while 2 P N < 2^64.
  long double wins = 0;
  Index pos_above = 0;
  detail::for_each_tie_group(
      order, scores.derived(), labels.derived(), [&](auto, Index gp, Index gn) {
        wins += static_cast<long double>(gn) *
                (static_cast<long double>(pos_above) + static_cast<long double>(gp) / 2);
        pos_above += gp;
      });
  return static_cast<double>(wins /
                             (static_cast<long double>(pos) * static_cast<long double>(neg)));
}

/// The ROC curve: one point per distinct score value, from (0, 0) (threshold +inf: nothing
/// flagged) to (1, 1). Point i flags the samples with score >= thresholds[i] (so thresholds[0]
/// = +inf). Ties form a single diagonal step; the trapezoid area under (fpr, tpr) equals
/// roc_auc. Sizes: D + 1 for D distinct scores. Cost O(N log N). Throws as roc_auc.
struct RocCurve {
  /// False-positive rate of each point, ascending from 0 to 1 (D + 1 values).
  std::vector<double> fpr, tpr, thresholds;
};

/// \var RocCurve::tpr
/// True-positive rate of each point, ascending from 0 to 1 (D + 1 values).

/// \var RocCurve::thresholds
/// Score threshold of each point (flag when score >= it), descending from +inf.

/// The ROC curve (see RocCurve) of N scores against N labels (nonzero = anomaly).
/// Cost O(N log N). Throws as roc_auc.
template <class DS, class DL>
RocCurve roc_curve(const Eigen::DenseBase<DS>& scores_arg, const Eigen::DenseBase<DL>& labels_arg) {
  const auto& scores = detail::evaluated(scores_arg);
  const auto& labels = detail::evaluated(labels_arg);
  Index pos = 0, neg = 0;
  const auto order = detail::roc_order(scores, labels, "subspace::roc_curve", pos, neg);
  RocCurve c;
  c.fpr.push_back(0);
  c.tpr.push_back(0);
  c.thresholds.push_back(std::numeric_limits<double>::infinity());
  Index tp = 0, fp = 0;
  detail::for_each_tie_group(order, scores.derived(), labels.derived(),
                             [&](auto v, Index gp, Index gn) {
                               tp += gp;
                               fp += gn;
                               c.fpr.push_back(static_cast<double>(fp) / static_cast<double>(neg));
                               c.tpr.push_back(static_cast<double>(tp) / static_cast<double>(pos));
                               c.thresholds.push_back(static_cast<double>(v));
                             });
  return c;
}

/// The smallest threshold t whose false-positive rate #{normal scores > t} / N is at most
/// `target_fpr`, read off the scores of normal (held-out) samples: t is the (m+1)-th largest
/// normal score with m = floor(target_fpr N); ties at t can only lower the achieved rate.
/// target_fpr = 1 gives -inf (flag everything); target_fpr = 0 gives the largest normal score.
/// normal_scores: N-vector. Cost O(N) (nth_element). Throws DimensionMismatch (empty),
/// NonFiniteInput, InvalidParameter (target outside [0, 1] or NaN).
template <class DS>
typename DS::Scalar threshold_at_fpr(const Eigen::DenseBase<DS>& normal_scores_arg,
                                     double target_fpr) {
  const auto& normal_scores = detail::evaluated(normal_scores_arg);
  using Scalar = typename DS::Scalar;
  static_assert(std::is_floating_point<Scalar>::value,
                "threshold_at_fpr: scores must be float or double");
  const char* func = "subspace::threshold_at_fpr";
  detail::require_score_vector(normal_scores, func, "the normal scores");
  detail::require_rate(target_fpr, func);
  const Index n = normal_scores.size();
  auto m = static_cast<Index>(std::floor(target_fpr * static_cast<double>(n)));
  // The product can round below an integer (0.29 * 100 = 28.999...): take the largest m with
  // m / N <= target, the same test tpr_at_fpr reports.
  while (m < n && static_cast<double>(m + 1) / static_cast<double>(n) <= target_fpr) ++m;
  if (m >= n) return -std::numeric_limits<Scalar>::infinity();
  std::vector<Scalar> v(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = normal_scores.derived()(i);
  std::nth_element(v.begin(), v.begin() + m, v.end(), std::greater<Scalar>());
  return v[static_cast<std::size_t>(m)];
}

/// Detection at a target false-positive rate: the threshold from the normal samples' scores
/// (threshold_at_fpr), then the fraction of anomalies scoring strictly above it (the true
/// positive rate) and the false-positive rate actually achieved (<= target_fpr).
/// Cost O(N). Throws as roc_auc and threshold_at_fpr.
struct OperatingPoint {
  /// The score threshold: a sample is flagged when its score is strictly above it.
  double threshold = 0, tpr = 0, fpr = 0;
};

/// \var OperatingPoint::tpr
/// Fraction of the anomalies flagged at the threshold.

/// \var OperatingPoint::fpr
/// Fraction of the normal samples flagged at the threshold (<= the target).

/// The OperatingPoint of N scores against N labels (nonzero = anomaly) at target_fpr in
/// [0, 1]: threshold from the normal samples' scores, then the rates achieved. Cost O(N).
template <class DS, class DL>
OperatingPoint tpr_at_fpr(const Eigen::DenseBase<DS>& scores_arg,
                          const Eigen::DenseBase<DL>& labels_arg, double target_fpr) {
  const auto& scores = detail::evaluated(scores_arg);
  const auto& labels = detail::evaluated(labels_arg);
  const char* func = "subspace::tpr_at_fpr";
  Index pos = 0, neg = 0;
  detail::count_labels(scores, labels, func, pos, neg);  // no sort: O(N) besides selection
  detail::require_rate(target_fpr, func);
  using Scalar = typename DS::Scalar;
  const auto& s = scores.derived();
  const auto& l = labels.derived();
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> normal(neg);
  for (Index i = 0, j = 0; i < s.size(); ++i)
    if (l(i) == 0) normal(j++) = s(i);
  const Scalar t = threshold_at_fpr(normal, target_fpr);
  Index tp = 0, fp = 0;
  for (Index i = 0; i < s.size(); ++i)
    if (s(i) > t) (l(i) != 0 ? tp : fp) += 1;
  OperatingPoint op;
  op.threshold = static_cast<double>(t);
  op.tpr = static_cast<double>(tp) / static_cast<double>(pos);
  op.fpr = static_cast<double>(fp) / static_cast<double>(neg);
  return op;
}

/// @}
}  // namespace subspace
