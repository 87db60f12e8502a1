// Tests of pca.hpp: every solver against data of constructed spectrum and against Eigen's SVD of
// the centred data, randomized PCA against the Halko-Martinsson-Tropp bound, streaming = batch,
// merge(A, B) = fit(A u B) including a threaded reduction, scores against direct long-double
// formulas, persistence and error paths.
#include <subspace/angles.hpp>
#include <subspace/basis.hpp>
#include <subspace/pca.hpp>

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <thread>
#include <type_traits>
#include <vector>

#include "helpers.hpp"

using namespace test;
using subspace::PcaOptions;
using subspace::PcaSolver;
using subspace::RankRule;

namespace {

/// N x d data whose centred matrix is exactly U diag(sigma) W^T (U orthonormal and orthogonal
/// to the ones vector, W orthonormal d x r), plus the mean `mu`; built in long double.
struct Constructed {
  MatL x;
  MatL w;
  Vec<long double> sigma, mu;
};
Constructed constructed(Rng& rng, Index n, Index d, const Vec<long double>& sigma) {
  const Index r = sigma.size();
  MatL g(n, r + 1);
  g.col(0).setOnes();
  g.rightCols(r) = rng.gaussian<long double>(n, r);
  Eigen::HouseholderQR<MatL> qr(g);
  const MatL q = qr.householderQ() * MatL::Identity(n, r + 1);
  const MatL u = q.rightCols(r);  // orthogonal to the ones column
  const MatL w = haar_orthogonal(rng, d).leftCols(r);
  Vec<long double> mu = rng.gaussian<long double>(d, 1);
  MatL x = u * sigma.asDiagonal() * w.transpose();
  x.rowwise() += mu.transpose();
  return {x, w, sigma, mu};
}

template <class S>
S largest_angle(const Mat<S>& a, const Mat<S>& b) {
  return subspace::principal_angles(a, b).maxCoeff();
}

}  // namespace

TEMPLATE_TEST_CASE("PCA: every exact solver recovers a constructed spectrum", "[pca]", float,
                   double) {
  using S = TestType;
  Rng rng(8101);
  Vec<long double> sigma(6);
  sigma << 40, 20, 10, 5, 2.5, 1;
  for (const auto& shape : std::vector<std::pair<Index, Index>>{{400, 30}, {60, 30}, {20, 50}}) {
    const Index n = shape.first, d = shape.second;
    const Constructed c = constructed(rng, n, d, sigma);
    const Mat<S> x = c.x.template cast<S>();
    for (PcaSolver solver : {PcaSolver::Auto, PcaSolver::SVD, PcaSolver::Covariance}) {
      CAPTURE(n, d, static_cast<int>(solver));
      PcaOptions o;
      o.solver = solver;
      o.rank = RankRule::fixed(6);
      subspace::PCA<S> pca(o);
      pca.fit(x);
      REQUIRE(pca.rank() == 6);
      const bool cov = solver == PcaSolver::Covariance || (solver == PcaSolver::Auto && n >= 4 * d);
      const S tol = S(200) * eps<S>() * std::sqrt(S(n * d));
      CHECK((pca.mean().template cast<long double>() - c.mu).cwiseAbs().maxCoeff() <= tol * 50);
      const Vec<long double> s = pca.singular_values().head(6).template cast<long double>();
      CHECK(((s - sigma).array().abs() / sigma(0)).maxCoeff() <= tol);
      CHECK(largest_angle<S>(Mat<S>(pca.components()), c.w.template cast<S>()) <= tol * 10);
      // The state beyond the rank holds only rounding.
      if (pca.singular_values().size() > 6)
        CHECK(pca.singular_values()(6) <= S(sigma(0)) * (cov ? std::sqrt(eps<S>()) * 10 : tol));
      const Vec<S> ev = pca.explained_variance();
      CHECK(std::abs(ev(0) - S(sigma(0) * sigma(0) / (n - 1))) <= tol * ev(0) * 10);
      const long double total = sigma.squaredNorm();
      CHECK(std::abs(static_cast<long double>(pca.explained_variance_ratio()(2)) -
                     sigma(2) * sigma(2) / total) <= 10 * tol);
      CHECK(std::abs(static_cast<long double>(pca.total_sum_of_squares()) - total) <=
            10 * tol * total);
    }
  }
}

TEST_CASE("PCA: against Eigen's JacobiSVD of the centred data (random data)", "[pca]") {
  Rng rng(8102);
  const Mat<double> x = rng.gaussian<double>(150, 12) * rng.gaussian<double>(12, 12);
  MatL xc = x.cast<long double>();
  xc.rowwise() -= xc.colwise().mean();
  Eigen::JacobiSVD<MatL> ref(xc, Eigen::ComputeThinV);
  for (PcaSolver solver : {PcaSolver::SVD, PcaSolver::Covariance}) {
    PcaOptions o;
    o.solver = solver;
    o.rank = RankRule::fixed(5);
    subspace::PCAd pca(o);
    pca.fit(x);
    const long double s1 = ref.singularValues()(0);
    CHECK(((pca.singular_values().cast<long double>() - ref.singularValues()).cwiseAbs() / s1)
              .maxCoeff() <= 1e-12L);
    CHECK(largest_angle<double>(Mat<double>(pca.components()),
                                ref.matrixV().leftCols(5).cast<double>()) <= 1e-10);
  }
}

TEMPLATE_TEST_CASE("PCA: randomized within the Halko-Martinsson-Tropp bound", "[pca]", float,
                   double) {
  using S = TestType;
  Rng rng(8103);
  const Index n = 300, d = 120, k = 10, p = 10;
  // Decay 0.7^i, 1/(1+i) and 0.3^i (the power iterations' blocks then have condition numbers
  // far beyond 1/sqrt(eps), which the QR re-orthonormalization must survive).
  // (In float, 0.3^9 ~ 2e-5 is at the fit's numerical-rank threshold: double only.)
  for (int decay = 0; decay < 3; ++decay) {
    if (decay == 2 && std::is_same<S, float>::value) continue;
    Vec<long double> sigma(d - 1);
    for (Index i = 0; i < sigma.size(); ++i)
      sigma(i) = decay == 0   ? std::pow(0.7L, static_cast<long double>(i))
                 : decay == 1 ? 1.0L / (1 + i)
                              : std::pow(0.3L, static_cast<long double>(i));
    const Constructed c = constructed(rng, n, d, sigma);
    const Mat<S> x = c.x.template cast<S>();
    for (int q : {0, 2, 7}) {
      CAPTURE(decay, q);
      PcaOptions o;
      o.solver = PcaSolver::Randomized;
      o.rank = RankRule::fixed(k);
      o.oversampling = p;
      o.power_iterations = q;
      subspace::PCA<S> pca(o);
      pca.fit(x);
      // Spectral norm of the part of X_c outside the k components, against HMT (2011)
      // Cor. 10.10's expectation bound; a fixed seed makes this deterministic.
      MatL xc = c.x;
      xc.rowwise() -= c.mu.transpose();
      const MatL v = Mat<S>(pca.components()).template cast<long double>();
      const MatL rest = xc - xc * v * v.transpose();
      Eigen::JacobiSVD<MatL> svd(rest);
      const long double err = svd.singularValues()(0);
      const long double e = 2.718281828459045L, m = 2 * q + 1;
      long double tail = 0;
      for (Index j = k; j < sigma.size(); ++j) tail += std::pow(sigma(j), 2 * m);
      const long double bound =
          std::pow((1 + std::sqrt(static_cast<long double>(k) / (p - 1))) * std::pow(sigma(k), m) +
                       e * std::sqrt(static_cast<long double>(k + p)) / p * std::sqrt(tail),
                   1 / m);
      CHECK(err <= bound * 1.01L + 100 * eps<S>() * sigma(0));
      CHECK(err >= sigma(k) * (1 - 1e-3L));  // no method beats the optimal sigma_{k+1}
    }
  }
  PcaOptions bad;
  bad.solver = PcaSolver::Randomized;  // needs a fixed rank
  require_throws<subspace::InvalidParameter>(
      [&] { subspace::PCA<S>(bad).fit(Mat<S>(Mat<S>::Ones(5, 3))); }, "fixed");
}

TEMPLATE_TEST_CASE("PCA: streaming equals batch; truncation is reported", "[pca]", float, double) {
  using S = TestType;
  Rng rng(8104);
  Vec<long double> sigma(8);
  sigma << 50, 30, 20, 10, 5, 3, 2, 1;
  const Constructed c = constructed(rng, 240, 16, sigma);
  Mat<S> x = c.x.template cast<S>();
  x += S(0.01) * rng.gaussian<S>(240, 16);  // full rank
  PcaOptions o;
  o.rank = RankRule::fixed(5);
  subspace::PCA<S> batch(o), stream(o);
  batch.fit(x);
  Index start = 0;
  for (Index b : {1, 7, 50, 2, 100, 80}) {
    stream.partial_fit(x.middleRows(start, b));
    start += b;
  }
  REQUIRE(start == 240);
  const S tol = S(500) * eps<S>();
  CHECK(stream.samples() == 240);
  CHECK((stream.mean() - batch.mean()).cwiseAbs().maxCoeff() <= tol * 10);
  CHECK(((stream.singular_values() - batch.singular_values()).array().abs() /
         batch.singular_values()(0))
            .maxCoeff() <= tol);
  CHECK(largest_angle<S>(Mat<S>(stream.components()), Mat<S>(batch.components())) <= tol * 10);
  CHECK(std::abs(stream.total_sum_of_squares() - batch.total_sum_of_squares()) <=
        tol * batch.total_sum_of_squares());
  CHECK(stream.discarded_energy() == S(0));
  // Truncated state: keeps 6 directions, reports what it drops, leading components still close
  // (the data's spectrum has large gaps relative to the noise).
  PcaOptions t = o;
  t.max_state_rank = 6;
  subspace::PCA<S> trunc(t);
  for (Index s0 = 0; s0 < 240; s0 += 40) trunc.partial_fit(x.middleRows(s0, 40));
  CHECK(trunc.singular_values().size() == 6);
  CHECK(trunc.discarded_energy() > S(0));
  // Energy is conserved: kept + discarded = T exactly; and by Ky Fan the 6 kept directions
  // hold at most the batch's best rank-6 energy, so at least the batch tail is discarded.
  CHECK(std::abs(trunc.singular_values().squaredNorm() + trunc.discarded_energy() -
                 trunc.total_sum_of_squares()) <= tol * trunc.total_sum_of_squares());
  CHECK(trunc.discarded_energy() >=
        batch.singular_values().tail(batch.singular_values().size() - 6).squaredNorm() -
            tol * trunc.total_sum_of_squares());
  CHECK(largest_angle<S>(Mat<S>(trunc.components()), Mat<S>(batch.components())) <= S(1e-2));
  CHECK(std::abs(trunc.total_sum_of_squares() - batch.total_sum_of_squares()) <=
        tol * batch.total_sum_of_squares());
  require_throws<subspace::DimensionMismatch>(
      [&] { stream.partial_fit(Mat<S>(Mat<S>::Ones(3, 15))); }, "dimension 16");
}

TEMPLATE_TEST_CASE("PCA: Covariance streaming keeps the scatter and equals the Covariance fit",
                   "[pca][stream]", float, double) {
  // With PcaSolver::Covariance (no truncation) partial_fit and merge add d x d scatters (Chan's
  // update) and factor once when read. Checked against the constructed spectrum (long double),
  // the batch Covariance fit, every way of getting there (blocks, merge trees, fit then
  // stream, save and load mid-stream), and at 1e-300.
  using S = TestType;
  Rng rng(8131);
  Vec<long double> sigma(5);
  sigma << 50, 20, 8, 3, 1;
  const Index n = 900, d = 24;
  const Constructed c = constructed(rng, n, d, sigma);
  const Mat<S> x = c.x.template cast<S>();
  PcaOptions o;
  o.solver = PcaSolver::Covariance;
  o.rank = RankRule::fixed(5);
  subspace::PCA<S> batch(o), stream(o);
  batch.fit(x);
  Index start = 0;
  for (Index b : {1, 7, 200, 92, 600}) {
    stream.partial_fit(x.middleRows(start, b));
    start += b;
  }
  REQUIRE(start == n);
  // float: x itself is rounded to float (relative 6e-8 of |x| ~ 3); double: the scatter's
  // rounding, eps s_1^2 on s_i^2.
  const double tol = std::is_same<S, float>::value ? 2e-5 : 1e-12;
  const Vec<double> s_true = sigma.cast<double>();
  auto s_err = [&](const subspace::PCA<S>& p) {
    return (p.singular_values().head(5).template cast<double>() - s_true).cwiseAbs().maxCoeff() /
           s_true(0);
  };
  CHECK(stream.samples() == n);
  CHECK(stream.rank() == 5);
  CHECK(s_err(stream) <= tol);
  CHECK(s_err(batch) <= tol);
  CHECK(((stream.singular_values() - batch.singular_values()).template cast<double>())
            .cwiseAbs()
            .maxCoeff() <= tol * s_true(0));
  CHECK(double(largest_angle<S>(Mat<S>(stream.components()), Mat<S>(c.w.template cast<S>()))) <=
        (std::is_same<S, float>::value ? 1e-3 : 1e-10));
  CHECK((stream.mean().template cast<long double>() - c.mu).cwiseAbs().maxCoeff() <= 10 * tol);
  const double t_true = double(sigma.squaredNorm());
  CHECK(std::abs(double(stream.total_sum_of_squares()) - t_true) <= tol * t_true);
  CHECK(stream.discarded_energy() == S(0));
  // Reading again, or through a copy, gives the same numbers (the factor is computed once).
  const Vec<S> first = stream.singular_values();
  const subspace::PCA<S> copy = stream;
  CHECK(copy.singular_values() == first);
  CHECK(Mat<S>(copy.components()) == Mat<S>(stream.components()));
  // Merges, in a tree and in a chain, of states fitted, streamed and empty.
  std::vector<subspace::PCA<S>> parts(4, subspace::PCA<S>(o));
  parts[0].fit(x.topRows(300));
  parts[1].partial_fit(x.middleRows(300, 100)).partial_fit(x.middleRows(400, 200));
  parts[2].partial_fit(x.middleRows(600, 250));
  parts[3].partial_fit(x.bottomRows(50));
  subspace::PCA<S> tree = parts[0], chain(o);
  tree.merge(parts[1]);
  subspace::PCA<S> right = parts[2];
  right.merge(parts[3]);
  tree.merge(right);
  for (const auto& p : parts) chain.merge(p);
  for (const auto* p : {&tree, &chain}) {
    CHECK(p->samples() == n);
    CHECK(s_err(*p) <= tol);
    CHECK(double(largest_angle<S>(Mat<S>(p->components()), Mat<S>(stream.components()))) <=
          (std::is_same<S, float>::value ? 1e-3 : 1e-10));
  }
  // Saved mid-stream and loaded (a state held as a factor), then streamed on: the same.
  subspace::PCA<S> half(o), rest(o);
  half.partial_fit(x.topRows(450));
  std::stringstream ss;
  half.save(ss);
  rest.load(ss);
  rest.partial_fit(x.bottomRows(450));
  CHECK(s_err(rest) <= tol);
  // The SVD-merge path (the other solvers, or max_state_rank) agrees with the scatter path.
  PcaOptions svd = o;
  svd.solver = PcaSolver::SVD;
  subspace::PCA<S> merged(svd);
  merged.partial_fit(x.topRows(450)).partial_fit(x.bottomRows(450));
  CHECK(s_err(merged) <= tol);
  if constexpr (std::is_same<S, double>::value) {
    // At 1e-300 (squares underflow) one row at a time: the scatter is kept scaled by a power
    // of two fixed by the first block, so every singular value scales exactly.
    const Mat<S> tiny = 1e-300 * x;
    subspace::PCA<S> small(o);
    for (Index i = 0; i < n; ++i) small.partial_fit(tiny.row(i));
    CHECK(((small.singular_values().head(5) / 1e-300) - s_true).cwiseAbs().maxCoeff() <=
          tol * s_true(0));
    CHECK(largest_angle<S>(Mat<S>(small.components()), Mat<S>(stream.components())) <= 1e-10);
    // A block whose scatter overflows is refused, and the model is unchanged.
    subspace::PCA<S> kept = stream;
    Mat<S> huge = x.topRows(3);
    huge(1, 2) = 1e200;
    require_throws<subspace::OutsideDomain>([&] { kept.partial_fit(huge); }, "overflows");
    CHECK(kept.samples() == n);
    CHECK(kept.singular_values() == first);
    // The scale follows the data: tiny rows first, then ordinary ones (the tiny ones' scatter
    // is negligible beside them); zeros first, then tiny rows; a tiny state merged with an
    // ordinary one. Each against the fit of the same rows.
    Mat<S> mixed = x;
    mixed.topRows(100) *= 1e-300;
    subspace::PCA<S> up(o), mixed_fit(o);
    mixed_fit.fit(mixed);
    up.partial_fit(mixed.topRows(100)).partial_fit(mixed.bottomRows(n - 100));
    CHECK(((up.singular_values() - mixed_fit.singular_values()).cwiseAbs().maxCoeff()) <=
          tol * mixed_fit.singular_values()(0));
    subspace::PCA<S> tiny_state(o), normal_state(o);
    tiny_state.partial_fit(mixed.topRows(100));
    normal_state.partial_fit(mixed.bottomRows(n - 100));
    tiny_state.merge(normal_state);
    CHECK(((tiny_state.singular_values() - mixed_fit.singular_values()).cwiseAbs().maxCoeff()) <=
          tol * mixed_fit.singular_values()(0));
    Mat<S> zero_first = tiny;
    zero_first.topRows(10).setZero();
    subspace::PCA<S> from_zero(o), zero_fit(o);
    zero_fit.fit(zero_first);
    from_zero.partial_fit(zero_first.topRows(10)).partial_fit(zero_first.bottomRows(n - 10));
    REQUIRE(zero_fit.singular_values()(0) > 0);
    CHECK(((from_zero.singular_values() - zero_fit.singular_values()).cwiseAbs().maxCoeff()) <=
          tol * zero_fit.singular_values()(0));
  }
  // A moved-from model is an unfitted one with the same options, usable again.
  subspace::PCA<S> source(o);
  source.partial_fit(x);
  subspace::PCA<S> target = std::move(source);
  CHECK(target.rank() == 5);
  CHECK(source.samples() == 0);  // NOLINT(bugprone-use-after-move): specified above
  CHECK(source.rank() == 0);
  source.partial_fit(x);
  CHECK(s_err(source) <= tol);
}

TEST_CASE("PCA<float>: the covariance solver resolves what float data hold", "[pca]") {
  // Found in the boundary sweep: the float covariance solver accumulated the scatter in float
  // and zeroed eigenvalues under d eps_f lambda_1, so at d = 3000 data of full rank came back as
  // rank 1 and at d = 1000 4 % of the energy was lost. Here d = 200 with one direction 1000x
  // the others (s_2 / s_1 ~ 1e-3, far above float's resolution): the old code kept only s_1.
  std::mt19937_64 gen(78);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const Index n = 801, d = 200;
  Eigen::MatrixXf x = Eigen::MatrixXf::NullaryExpr(n, d, [&] { return uniform(gen); });
  x.col(0) *= 1000.0f;
  PcaOptions opt;
  opt.solver = PcaSolver::Covariance;
  subspace::PCA<float> pca(opt);
  pca.fit(x);
  // Reference: Eigen's JacobiSVD, in double, of the same float data centred in double.
  const Eigen::MatrixXd xd = x.cast<double>();
  const Eigen::MatrixXd xc = xd.rowwise() - xd.colwise().mean();
  const Eigen::VectorXd ref = Eigen::JacobiSVD<Eigen::MatrixXd>(xc).singularValues();
  CHECK(pca.rank() == d);  // the automatic rule sees the full rank the data have
  const Eigen::VectorXd s = pca.singular_values().cast<double>();
  REQUIRE(s.size() == d);
  // Every singular value to float rounding relative to s_1 (squared-condition loss included).
  CHECK((s - ref).cwiseAbs().maxCoeff() <= 1e-5 * ref(0));
  CHECK((s.tail(d - 1) - ref.tail(d - 1)).cwiseQuotient(ref.tail(d - 1)).cwiseAbs().maxCoeff() <=
        1e-3);
  CHECK(std::abs(s.squaredNorm() / double(pca.total_sum_of_squares()) - 1) <= 1e-6);
}

TEST_CASE("PCA: compact models (truncate_to_rank) and models from their parts (from_parts)",
          "[pca]") {
  Rng rng(4242);
  const Mat<double> x = rng.gaussian<double>(300, 12) * rng.gaussian<double>(12, 12);
  PcaOptions opt;
  opt.rank = RankRule::fixed(4);
  subspace::PCA<double> full(opt);
  full.fit(x);
  subspace::PCA<double> compact = full;
  compact.truncate_to_rank();
  CHECK(compact.singular_values().size() == 4);
  const auto bytes = compact.serialize();
  CHECK(bytes.size() == 60 + 8 * (2 + 12 + 4 + 12 * 4));  // the documented size
  const auto a = full.scores(x), b = compact.scores(x);
  CHECK((a.residual - b.residual).cwiseAbs().maxCoeff() <= 1e-12 * a.residual.maxCoeff());
  CHECK((a.combined - b.combined).cwiseAbs().maxCoeff() <= 1e-12 * a.combined.maxCoeff());
  CHECK(compact.total_sum_of_squares() == full.total_sum_of_squares());
  CHECK(std::abs(compact.explained_variance_ratio().sum() - full.explained_variance_ratio().sum()) <
        1e-14);
  subspace::PCA<double> back;
  back.deserialize(bytes);
  CHECK(back.serialize() == bytes);
  // from_parts keeps the given signs and reproduces the scores.
  Mat<double> v = full.components();
  v.col(1) = -v.col(1);
  const auto parts =
      subspace::PCA<double>::from_parts(full.mean(), v, Vec<double>(full.singular_values().head(4)),
                                        full.samples(), full.total_sum_of_squares(), opt);
  CHECK(Mat<double>(parts.components()) == v);
  const auto c = parts.scores(x);
  CHECK((a.residual - c.residual).cwiseAbs().maxCoeff() <= 1e-12 * a.residual.maxCoeff());
  CHECK((a.t2 - c.t2).cwiseAbs().maxCoeff() <= 1e-12 * a.t2.maxCoeff());
  // Invalid parts are FormatErrors naming the fault.
  Mat<double> skew = v;
  skew(0, 0) += 1e-3;
  CHECK_THROWS_AS(subspace::PCA<double>::from_parts(full.mean(), skew,
                                                    Vec<double>(full.singular_values().head(4)),
                                                    full.samples(), full.total_sum_of_squares()),
                  subspace::FormatError);
  CHECK_THROWS_AS(
      subspace::PCA<double>::from_parts(full.mean(), v, Vec<double>(full.singular_values().head(4)),
                                        full.samples(), 1e-3),
      subspace::FormatError);  // T below sum s^2
  CHECK_THROWS_AS(subspace::PCA<double>::from_parts(Vec<double>(full.mean().head(5)), v,
                                                    Vec<double>(full.singular_values().head(4)),
                                                    full.samples(), full.total_sum_of_squares()),
                  subspace::FormatError);
}

TEST_CASE("PCA: merge of shards fitted on threads equals the fit of the union", "[pca]") {
  Rng rng(8105);
  const Mat<double> x = rng.gaussian<double>(1000, 20) * rng.gaussian<double>(20, 20) +
                        Mat<double>::Constant(1000, 20, 3.0);
  PcaOptions o;
  o.rank = RankRule::energy(0.9);
  const int shards = 4;
  std::vector<subspace::PCAd> parts(shards, subspace::PCAd(o));
  std::vector<std::thread> threads;
  const Index sizes[shards] = {100, 400, 1, 499};
  Index offsets[shards] = {0, 100, 500, 501};
  for (int i = 0; i < shards; ++i)
    threads.emplace_back(
        [&, i] { parts[static_cast<std::size_t>(i)].fit(x.middleRows(offsets[i], sizes[i])); });
  for (auto& t : threads) t.join();
  // A reduction tree: (0 + 1) + (2 + 3).
  parts[0].merge(parts[1]);
  parts[2].merge(parts[3]);
  parts[0].merge(parts[2]);
  subspace::PCAd all(o);
  all.fit(x);
  const subspace::PCAd& merged = parts[0];
  CHECK(merged.samples() == 1000);
  CHECK(merged.rank() == all.rank());
  CHECK((merged.mean() - all.mean()).cwiseAbs().maxCoeff() <= 1e-12);
  CHECK(((merged.singular_values().head(20) - all.singular_values().head(20)).cwiseAbs() /
         all.singular_values()(0))
            .maxCoeff() <= 1e-12);
  CHECK(largest_angle<double>(Mat<double>(merged.components()), Mat<double>(all.components())) <=
        1e-9);
  // Merging with an empty model is the identity, in either direction.
  subspace::PCAd empty(o);
  subspace::PCAd copy = all;
  copy.merge(empty);
  CHECK((copy.singular_values() - all.singular_values()).cwiseAbs().maxCoeff() == 0.0);
  empty.merge(all);
  CHECK((empty.singular_values() - all.singular_values()).cwiseAbs().maxCoeff() == 0.0);
  subspace::PCAd other(o);
  other.fit(Mat<double>(Mat<double>::Ones(3, 5)));
  require_throws<subspace::DimensionMismatch>([&] { copy.merge(other); }, "dimension");
  PcaOptions unc = o;
  unc.center = false;
  subspace::PCAd uncentred(unc);
  uncentred.fit(x);
  require_throws<subspace::InvalidParameter>([&] { copy.merge(uncentred); }, "uncentred");
}

TEMPLATE_TEST_CASE("PCA: scores, transform and inverse transform against direct formulas", "[pca]",
                   float, double) {
  using S = TestType;
  Rng rng(8106);
  const Mat<S> train = rng.gaussian<S>(200, 10) * rng.gaussian<S>(10, 10);
  PcaOptions o;
  o.rank = RankRule::fixed(4);
  subspace::PCA<S> pca(o);
  pca.fit(train);
  const Mat<S> test = rng.gaussian<S>(2100, 10) * S(2);  // more than two scoring blocks
  const auto sc = pca.scores(test);
  const MatL v = Mat<S>(pca.components()).template cast<long double>();
  const Vec<long double> mu = pca.mean().template cast<long double>();
  const Vec<long double> lambda = pca.explained_variance().template cast<long double>();
  const long double q_mean = static_cast<long double>(pca.training_residual_mean());
  for (Index i = 0; i < test.rows(); i += 97) {
    const Vec<long double> xc = test.row(i).transpose().template cast<long double>() - mu;
    const Vec<long double> z = v.transpose() * xc;
    const long double res = (xc - v * z).squaredNorm();
    long double t2 = 0;
    for (Index j = 0; j < 4; ++j) t2 += z(j) * z(j) / lambda(j);
    CAPTURE(i);
    CHECK(std::abs(sc.residual(i) - res) <= 1e3L * eps<S>() * xc.squaredNorm());
    CHECK(std::abs(sc.t2(i) - t2) <= 1e3L * eps<S>() * (1 + t2));
    CHECK(std::abs(sc.combined(i) - (res / q_mean + t2 / 4)) <=
          1e3L * eps<S>() * (1 + res / q_mean + t2));
  }
  // On the training data each term of the combined score averages about 1.
  const auto tr = pca.scores(train);
  CHECK(std::abs(tr.residual.mean() / pca.training_residual_mean() - S(1)) <= S(1e-3));
  CHECK(std::abs(tr.t2.mean() / S(4) - S(199) / S(200)) <= S(1e-3));
  // transform / inverse_transform: a point of mu + span(V) comes back exactly (to rounding).
  const Mat<S> z = rng.gaussian<S>(5, 4);
  const Mat<S> on = pca.inverse_transform(z);
  CHECK((pca.transform(on) - z).cwiseAbs().maxCoeff() <=
        S(100) * eps<S>() * (1 + on.cwiseAbs().maxCoeff()));
  CHECK(pca.scores(on).residual.maxCoeff() <= S(1e3) * eps<S>() * on.squaredNorm());
  require_throws<subspace::DimensionMismatch>([&] { pca.transform(Mat<S>(Mat<S>::Ones(2, 9))); },
                                              "dimension 10");
  require_throws<subspace::DimensionMismatch>(
      [&] { pca.inverse_transform(Mat<S>(Mat<S>::Ones(2, 3))); }, "N x 4");
  require_throws<subspace::InvalidParameter>(
      [] { subspace::PCA<S>().scores(Mat<S>(Mat<S>::Ones(2, 3))); }, "not fitted");
}

TEST_CASE("PCA: rank rules, uncentred PCA, input errors", "[pca][errors]") {
  Rng rng(8107);
  Vec<long double> sigma(5);
  sigma << 4, 3, 2, 1, 0.5;  // energies 16, 9, 4, 1, 0.25 of 30.25
  const Constructed c = constructed(rng, 50, 8, sigma);
  const Mat<double> x = c.x.cast<double>();
  PcaOptions o;
  o.rank = RankRule::energy(25.0 / 30.25);  // exactly the first two
  subspace::PCAd pca(o);
  CHECK(pca.fit(x).rank() == 2);
  o.rank = RankRule::energy(25.5 / 30.25);
  CHECK(subspace::PCAd(o).fit(x).rank() == 3);
  o.rank = RankRule::automatic();
  CHECK(subspace::PCAd(o).fit(x).rank() == 5);
  o.rank = RankRule::fixed(6);
  require_throws<subspace::RankDeficient>([&] { subspace::PCAd(o).fit(x); }, "");
  // Rank 0, every solver, the randomized one also with no oversampling (an empty sketch):
  // no components, and the residual of a sample is all of |x - mean|^2.
  const Vec<double> centred_ss = (x.rowwise() - x.colwise().mean()).rowwise().squaredNorm();
  for (const subspace::PcaSolver solver :
       {subspace::PcaSolver::Auto, subspace::PcaSolver::SVD, subspace::PcaSolver::Covariance,
        subspace::PcaSolver::Randomized}) {
    for (const Index p : {Index(0), Index(3)}) {
      PcaOptions z;
      z.rank = RankRule::fixed(0);
      z.solver = solver;
      z.oversampling = p;
      subspace::PCAd zero(z);
      zero.fit(x);
      CHECK(zero.rank() == 0);
      CHECK(zero.components().rows() == 8);
      CHECK(zero.components().cols() == 0);
      CHECK((zero.scores(x).residual - centred_ss).cwiseAbs().maxCoeff() <=
            1e-12 * centred_ss.maxCoeff());
    }
  }
  // Uncentred: the singular values are those of X itself.
  PcaOptions u;
  u.center = false;
  u.rank = RankRule::fixed(3);
  subspace::PCAd unc(u);
  unc.fit(x);
  CHECK(unc.mean().cwiseAbs().maxCoeff() == 0.0);
  Eigen::JacobiSVD<Mat<double>> ref(x);
  CHECK((unc.singular_values().head(6) - ref.singularValues().head(6)).cwiseAbs().maxCoeff() <=
        1e-12 * ref.singularValues()(0));
  Mat<double> bad = x;
  bad(3, 3) = std::numeric_limits<double>::infinity();
  require_throws<subspace::NonFiniteInput>([&] { pca.fit(bad); }, "NaN or Inf");
  require_throws<subspace::DimensionMismatch>([&] { pca.fit(Mat<double>(0, 4)); },
                                              "at least one sample");
  PcaOptions neg;
  neg.max_state_rank = 0;
  require_throws<subspace::InvalidParameter>([&] { subspace::PCAd{neg}; }, "max_state_rank");
}

TEMPLATE_TEST_CASE("PCA: save and load round trip exactly; corrupt files are errors",
                   "[pca][errors]", float, double) {
  using S = TestType;
  Rng rng(8108);
  PcaOptions o;
  o.rank = RankRule::energy(0.8);
  o.max_state_rank = 7;
  subspace::PCA<S> pca(o);
  pca.fit(rng.gaussian<S>(60, 9) * rng.gaussian<S>(9, 9));
  std::stringstream ss;
  pca.save(ss);
  const std::string text = ss.str();
  subspace::PCA<S> back;
  back.load(ss);
  CHECK(back.rank() == pca.rank());
  CHECK(back.options().max_state_rank == 7);
  CHECK(back.options().rank.kind() == RankRule::Kind::Energy);
  const Mat<S> probe = rng.gaussian<S>(4, 9);
  CHECK((back.scores(probe).combined - pca.scores(probe).combined).cwiseAbs().maxCoeff() == S(0));
  std::stringstream truncated(text.substr(0, text.size() / 2));
  require_throws<subspace::FormatError>([&] { back.load(truncated); }, "");
  std::stringstream magic("subspace::PCAX 1\n");
  require_throws<subspace::FormatError>([&] { back.load(magic); }, "expected");
  std::string wrong_shape = text;
  wrong_shape.replace(wrong_shape.find("\n9 1\n"), 5, "\n8 1\n");  // the mean loses a row
  std::stringstream ws(wrong_shape);
  require_throws<subspace::FormatError>([&] { back.load(ws); }, "");
  CHECK(back.rank() == pca.rank());  // unchanged by the failed loads
}
