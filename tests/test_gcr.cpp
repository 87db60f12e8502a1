// Tests of ml/gcr.hpp: forward against the definition, every gradient against central
// differences (with and without feature normalization), the zero-feature and zero-projection
// rules, invariance of the logits to the basis of each class subspace, k = 1 as |cosine|,
// orthonormality through training, a small separable problem learned to 100 %, CLAFIC
// initialization, softmax cross-entropy, persistence and error paths.
#include <subspace/ml/gcr.hpp>
#include <subspace/optim/riemannian_sgd.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include "helpers.hpp"

using namespace test;
using subspace::GcrHead;
using subspace::GcrOptions;

namespace {

double loss_of(const GcrHead<double>& head, const Mat<double>& x, const Eigen::VectorXi& y) {
  return subspace::softmax_cross_entropy(head.logits(x), y);
}

}  // namespace

TEST_CASE("GCR: forward, and every gradient against central differences", "[gcr]") {
  Rng rng(9201);
  std::mt19937_64 gen(9201);
  const Index d = 7, c = 4, k = 2, b = 5;
  for (bool normalize : {true, false}) {
    CAPTURE(normalize);
    GcrOptions o;
    o.scale = 3;
    o.normalize_features = normalize;
    auto head = GcrHead<double>::random(d, k, c, gen, o);
    const Mat<double> x = rng.gaussian<double>(d, b);
    Eigen::VectorXi y(b);
    y << 0, 3, 1, 1, 2;
    // Forward against the definition.
    const Mat<double> lg = head.logits(x);
    for (Index j = 0; j < b; ++j)
      for (Index cl = 0; cl < c; ++cl) {
        const Vec<double> xh =
            normalize ? Vec<double>(x.col(j) / x.col(j).norm()) : Vec<double>(x.col(j));
        const double want = 3 * (head.bases().block(cl).transpose() * xh).norm();
        CHECK(std::abs(lg(cl, j) - want) <= 1e-14 * (1 + want));
      }
    Mat<double> dl;
    subspace::softmax_cross_entropy(lg, y, &dl);
    const auto g = head.backward(x, dl);
    const double h = 1e-6;
    // dL/dX
    for (Index i = 0; i < d; ++i)
      for (Index j = 0; j < b; ++j) {
        Mat<double> xp = x, xm = x;
        xp(i, j) += h;
        xm(i, j) -= h;
        const double fd = (loss_of(head, xp, y) - loss_of(head, xm, y)) / (2 * h);
        CHECK(std::abs(g.dx(i, j) - fd) <= 1e-7 * (1 + std::abs(fd)));
      }
    // dL/dS (Euclidean, entries of the stacked bases treated as free).
    const Mat<double> s0 = head.bases().basis();
    for (Index i = 0; i < d; ++i)
      for (Index j = 0; j < c * k; ++j) {
        Mat<double> sp = s0, sm = s0;
        sp(i, j) += h;
        sm(i, j) -= h;
        // Evaluate with unnormalized bases: the formula s |S_c^T x_hat| itself.
        auto lf = [&](const Mat<double>& s) {
          Mat<double> out(c, b);
          for (Index jj = 0; jj < b; ++jj) {
            const Vec<double> xh =
                normalize ? Vec<double>(x.col(jj) / x.col(jj).norm()) : Vec<double>(x.col(jj));
            for (Index cl = 0; cl < c; ++cl)
              out(cl, jj) = 3 * (s.middleCols(cl * k, k).transpose() * xh).norm();
          }
          return subspace::softmax_cross_entropy(out, y);
        };
        const double fd = (lf(sp) - lf(sm)) / (2 * h);
        CHECK(std::abs(g.dbases(i, j) - fd) <= 1e-7 * (1 + std::abs(fd)));
      }
  }
}

TEST_CASE("GCR: zero features, zero projections, basis invariance, k = 1", "[gcr]") {
  Rng rng(9202);
  std::mt19937_64 gen(9202);
  auto head = GcrHead<double>::random(6, 2, 3, gen);
  Mat<double> x = rng.gaussian<double>(6, 3);
  x.col(1).setZero();
  // A feature orthogonal to class 0's subspace: its projection there is exactly zero.
  const Mat<double> s0 = head.bases().block(0);
  x.col(2) = subspace::complement(s0).col(0);
  const Mat<double> lg = head.logits(x);
  CHECK(lg.col(1).cwiseAbs().maxCoeff() == 0.0);
  CHECK(lg(0, 2) <= 1e-13);
  const auto g = head.backward(x, Mat<double>::Ones(3, 3));
  CHECK(g.dx.allFinite());
  CHECK(g.dbases.allFinite());
  CHECK(g.dx.col(1).cwiseAbs().maxCoeff() == 0.0);
  // Normalization is scale-free at every finite scale: denormal and near-overflow features.
  const Mat<double> x3 = rng.gaussian<double>(6, 4);
  for (double scale : {1e-310, 1e-300, 1e300}) {
    CAPTURE(scale);
    const Mat<double> ls = head.logits(Mat<double>(x3 * scale));
    CHECK(ls.allFinite());
    // Denormal inputs carry only about 44 significant bits at 1e-310.
    CHECK((ls - head.logits(x3)).cwiseAbs().maxCoeff() <= (scale < 1e-300 ? 1e-9 : 1e-13));
  }
  // Without normalization, |S_c^T x| of huge features is computed without spurious overflow.
  GcrOptions raw;
  raw.normalize_features = false;
  raw.scale = 1;
  const GcrHead<double> unnormalized(head.bases(), raw);
  const Mat<double> big = unnormalized.logits(Mat<double>(x3 * 1e200));
  CHECK(big.allFinite());
  CHECK((big / 1e200 - unnormalized.logits(x3)).cwiseAbs().maxCoeff() <= 1e-13);
  // Another basis of the same subspaces: the same logits.
  Mat<double> rotated = head.bases().basis();
  for (Index c = 0; c < 3; ++c)
    rotated.middleCols(c * 2, 2) =
        rotated.middleCols(c * 2, 2) * haar_orthogonal(rng, 2).cast<double>();
  const GcrHead<double> same(subspace::GrassmannProduct<double>::from_orthonormal(rotated, 2));
  const Mat<double> x2 = rng.gaussian<double>(6, 10);
  CHECK((same.logits(x2) - head.logits(x2)).cwiseAbs().maxCoeff() <= 1e-13);
  // k = 1: s |cos angle(x, u_c)|.
  GcrOptions o;
  o.scale = 2.5;
  auto vec = GcrHead<double>::random(6, 1, 4, gen, o);
  const Mat<double> l1 = vec.logits(x2);
  for (Index j = 0; j < 10; ++j)
    for (Index c = 0; c < 4; ++c)
      CHECK(std::abs(l1(c, j) - 2.5 * std::abs(vec.bases().basis().col(c).dot(x2.col(j))) /
                                    x2.col(j).norm()) <= 1e-14);
}

TEMPLATE_TEST_CASE("GCR: training keeps bases orthonormal and learns a separable problem", "[gcr]",
                   float, double) {
  using S = TestType;
  Rng rng(9203);
  std::mt19937_64 gen(9203);
  // 3 classes in R^8, class c's features in its own random 2-plane, plus 5 % noise.
  const Index d = 8, c = 3, n = 60;
  const MatL q = haar_orthogonal(rng, d);
  Mat<S> x(d, n);
  Eigen::VectorXi y(n);
  for (Index j = 0; j < n; ++j) {
    y(j) = int(j % c);
    const Mat<S> plane = q.middleCols(2 * y(j), 2).template cast<S>();
    x.col(j) = plane * rng.gaussian<S>(2, 1) + S(0.05) * rng.gaussian<S>(d, 1);
  }
  auto accuracy = [&](const GcrHead<S>& h) {
    const Mat<S> lg = h.logits(x);
    Index ok = 0;
    for (Index j = 0; j < n; ++j) {
      Index best = 0;
      lg.col(j).maxCoeff(&best);
      ok += best == y(j) ? 1 : 0;
    }
    return double(ok) / double(n);
  };
  GcrOptions o;
  o.scale = 8;
  auto head = GcrHead<S>::random(d, 2, c, gen, o);
  subspace::SGDOptions so;
  so.learning_rate = 0.5;
  so.momentum = 0.9;
  subspace::RiemannianSGD<subspace::GrassmannProduct<S>> opt(so);
  Mat<S> dl;
  for (int it = 0; it < 300; ++it) {
    subspace::softmax_cross_entropy(head.logits(x), y, &dl);
    head.step(opt, head.backward(x, dl).dbases);
  }
  for (Index cl = 0; cl < c; ++cl)
    CHECK(orthonormality_error(Mat<S>(head.bases().block(cl))) <= 50 * eps<S>());
  CHECK(accuracy(head) == 1.0);
  // CLAFIC (per-class PCA) is exact on this data from the start.
  const auto clafic = GcrHead<S>::from_class_pca(x, y, 2, c, o);
  CHECK(accuracy(clafic) == 1.0);
  for (Index cl = 0; cl < c; ++cl) {  // and recovers each class's plane
    const Mat<S> plane = q.middleCols(2 * cl, 2).template cast<S>();
    const Mat<S> b = clafic.bases().block(cl);
    CHECK((b * (b.transpose() * plane) - plane).norm() <= S(0.1));
  }
}

TEST_CASE("GCR: softmax cross-entropy, persistence and errors", "[gcr][errors]") {
  Rng rng(9204);
  std::mt19937_64 gen(9204);
  Mat<double> lg(3, 2);
  lg << 1, 1000, 2, 1000, 3, -1000;  // column 2 would overflow a naive exp
  Eigen::VectorXi y(2);
  y << 2, 0;
  Mat<double> g;
  const double loss = subspace::softmax_cross_entropy(lg, y, &g);
  const double l1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  const double l2 = std::log(2.0);
  CHECK(std::abs(loss - (l1 + l2) / 2) <= 1e-14);
  CHECK(std::abs(g.sum()) <= 1e-15);         // softmax - onehot sums to 0 per column
  CHECK(std::abs(g(1, 1) - 0.25) <= 1e-15);  // (1/2) / B
  y(1) = 3;
  require_throws<subspace::InvalidParameter>([&] { subspace::softmax_cross_entropy(lg, y); },
                                             "label 3");
  require_throws<subspace::DimensionMismatch>(
      [&] { subspace::softmax_cross_entropy(Mat<double>(3, 0), Eigen::VectorXi(0)); }, "logits");

  auto head = GcrHead<double>::random(5, 2, 3, gen);
  std::stringstream ss;
  head.save(ss);
  GcrHead<double> back = GcrHead<double>::random(4, 1, 2, gen);
  back.load(ss);
  const Mat<double> x = rng.gaussian<double>(5, 4);
  CHECK((back.logits(x) - head.logits(x)).cwiseAbs().maxCoeff() == 0.0);
  std::stringstream bad("subspace::GcrHead 1\n16 1 2\n5 6\n1 2 3");
  require_throws<subspace::FormatError>([&] { back.load(bad); }, "truncated");
  CHECK(back.feature_dim() == 5);  // unchanged

  require_throws<subspace::DimensionMismatch>([&] { head.logits(rng.gaussian<double>(4, 2)); },
                                              "5 rows");
  require_throws<subspace::DimensionMismatch>([&] { head.backward(x, Mat<double>::Zero(2, 4)); },
                                              "3x4");
  Mat<double> nan = x;
  nan(0, 0) = std::numeric_limits<double>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>([&] { head.logits(nan); }, "NaN");
  require_throws<subspace::DimensionMismatch>([&] { GcrHead<double>::random(3, 4, 2, gen); },
                                              "k <= d");
  GcrOptions o;
  o.scale = -1;
  require_throws<subspace::InvalidParameter>([&] { GcrHead<double>::random(5, 2, 2, gen, o); },
                                             "scale");
  Eigen::VectorXi few(3);
  few << 0, 0, 1;
  require_throws<subspace::RankDeficient>(
      [&] { GcrHead<double>::from_class_pca(rng.gaussian<double>(5, 3), few, 2, 2); }, "class 1");
}
