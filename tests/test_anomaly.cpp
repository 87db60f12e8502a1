// Tests of ml/anomaly.hpp (ROC AUC with ties against hand-computed values and the O(P N)
// definition, ROC curves, thresholds at a target false-positive rate) and of the examples' IDX
// / Fashion-MNIST loader (round trips, plain and gzip, and every error path), plus
// PCA::set_rank_rule, which the anomaly example's rank sweep relies on.
#include <subspace/ml/anomaly.hpp>
#include <subspace/pca.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace test;

namespace {

/// The definition: (#{pos > neg} + #{pos = neg} / 2) / (P N), over all pairs.
template <class S>
double brute_auc(const Vec<S>& s, const Eigen::VectorXi& l) {
  double wins = 0, pairs = 0;
  for (Index i = 0; i < s.size(); ++i)
    for (Index j = 0; j < s.size(); ++j)
      if (l(i) != 0 && l(j) == 0) {
        pairs += 1;
        wins += s(i) > s(j) ? 1.0 : (s(i) == s(j) ? 0.5 : 0.0);
      }
  return wins / pairs;
}

double trapezoid(const subspace::RocCurve& c) {
  double a = 0;
  for (std::size_t i = 1; i < c.fpr.size(); ++i)
    a += (c.fpr[i] - c.fpr[i - 1]) * (c.tpr[i] + c.tpr[i - 1]) / 2;
  return a;
}

Eigen::VectorXi labels(std::initializer_list<int> v) {
  Eigen::VectorXi l(static_cast<Index>(v.size()));
  Index i = 0;
  for (int x : v) l(i++) = x;
  return l;
}

}  // namespace

TEMPLATE_TEST_CASE("roc_auc: hand-computed cases, ties, and the pairwise definition", "[anomaly]",
                   float, double) {
  using S = TestType;
  Vec<S> s(4);
  s << S(0.1), S(0.4), S(0.35), S(0.8);
  CHECK(subspace::roc_auc(s, labels({0, 0, 1, 1})) == 0.75);  // 3 of 4 pairs ordered
  s << 1, 1, 1, 1;
  CHECK(subspace::roc_auc(s, labels({0, 1, 0, 1})) == 0.5);  // all tied
  s << 0, 1, 1, 2;
  CHECK(subspace::roc_auc(s, labels({0, 0, 1, 1})) == 0.875);  // one tie: (3 + 1/2) / 4
  s << 3, 4, 1, 2;
  CHECK(subspace::roc_auc(s, labels({1, 1, 0, 0})) == 1.0);
  CHECK(subspace::roc_auc(Vec<S>(-s), labels({1, 1, 0, 0})) == 0.0);

  Rng rng(8101);
  std::mt19937_64 gen(8101);
  for (int trial = 0; trial < 20; ++trial) {
    const Index n = 5 + trial * 7;
    Vec<S> x(n);
    Eigen::VectorXi l(n);
    std::uniform_int_distribution<int> level(0, trial % 2 == 0 ? 4 : 1000);  // many ties or few
    for (Index i = 0; i < n; ++i) {
      x(i) = S(level(gen)) / 4;
      l(i) = i % 3 == 0 ? 1 : 0;
    }
    const double auc = subspace::roc_auc(x, l);
    CHECK(std::abs(auc - brute_auc(x, l)) <= 1e-12);
    // Order of the samples does not matter; negating the scores gives 1 - AUC.
    std::vector<Index> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), Index(0));
    std::shuffle(perm.begin(), perm.end(), gen);
    Vec<S> xp(n);
    Eigen::VectorXi lp(n);
    for (Index i = 0; i < n; ++i) {
      xp(i) = x(perm[static_cast<std::size_t>(i)]);
      lp(i) = l(perm[static_cast<std::size_t>(i)]);
    }
    CHECK(subspace::roc_auc(xp, lp) == auc);
    CHECK(std::abs(subspace::roc_auc(Vec<S>(-x), l) - (1 - auc)) <= 1e-12);
    // The ROC curve: from (0, 0) to (1, 1), monotone, with the AUC as its trapezoid area.
    const auto c = subspace::roc_curve(x, l);
    CHECK(c.fpr.front() == 0.0);
    CHECK(c.tpr.front() == 0.0);
    CHECK(c.fpr.back() == 1.0);
    CHECK(c.tpr.back() == 1.0);
    for (std::size_t i = 1; i < c.fpr.size(); ++i) {
      CHECK(c.fpr[i] >= c.fpr[i - 1]);
      CHECK(c.tpr[i] >= c.tpr[i - 1]);
      CHECK(c.thresholds[i] < c.thresholds[i - 1]);
    }
    CHECK(std::abs(trapezoid(c) - auc) <= 1e-12);
  }
  // Labels may be any integer vector expression: nonzero is an anomaly.
  s << 3, 4, 1, 2;
  CHECK(subspace::roc_auc(s, Eigen::VectorXi(labels({7, -1, 0, 0}))) == 1.0);
}

TEMPLATE_TEST_CASE("threshold_at_fpr and tpr_at_fpr", "[anomaly]", float, double) {
  using S = TestType;
  Vec<S> normal(100);
  for (Index i = 0; i < 100; ++i) normal(i) = S((i * 37) % 100 + 1);  // 1..100 shuffled
  CHECK(subspace::threshold_at_fpr(normal, 0.05) == S(95));           // 5 of 100 above 95
  CHECK(subspace::threshold_at_fpr(normal, 0.0) == S(100));
  CHECK(subspace::threshold_at_fpr(normal, 0.059) == S(95));
  CHECK(subspace::threshold_at_fpr(normal, 1.0) == -std::numeric_limits<S>::infinity());
  CHECK(subspace::threshold_at_fpr(Vec<S>(Vec<S>::Constant(10, S(3))), 0.5) == S(3));
  // Targets whose product with N rounds below an integer (0.29 * 100 = 28.999...).
  for (double target : {0.29, 0.57, 0.58}) {
    const S t = subspace::threshold_at_fpr(normal, target);
    CHECK((normal.array() > t).count() == static_cast<Index>(std::lround(target * 100)));
  }

  // The defining property on random data with ties: #{> t} <= floor(target N) < #{>= t}.
  std::mt19937_64 gen(8102);
  std::uniform_int_distribution<int> level(0, 20);
  for (int trial = 0; trial < 50; ++trial) {
    const Index n = 1 + trial * 3;
    Vec<S> x(n);
    for (Index i = 0; i < n; ++i) x(i) = S(level(gen));
    const double target = (trial % 10) / 10.0 + 0.01;
    const S t = subspace::threshold_at_fpr(x, target);
    const auto m = static_cast<Index>(std::floor(target * double(n)));
    CHECK((x.array() > t).count() <= m);
    if (m < n) CHECK((x.array() >= t).count() > m);
  }

  Vec<S> s(8);
  s << 1, 2, 3, 4, 5, 2.5, 4.5, 6;
  const Eigen::VectorXi l = labels({0, 0, 0, 0, 0, 1, 1, 1});
  const auto op = subspace::tpr_at_fpr(s, l, 0.2);  // 1 of 5 normals may exceed: t = 4
  CHECK(op.threshold == 4.0);
  CHECK(op.fpr == 0.2);
  CHECK(std::abs(op.tpr - 2.0 / 3) <= 1e-15);
  const auto op0 = subspace::tpr_at_fpr(s, l, 0.0);  // t = 5: only 6 is above
  CHECK(op0.fpr == 0.0);
  CHECK(std::abs(op0.tpr - 1.0 / 3) <= 1e-15);
}

TEMPLATE_TEST_CASE("anomaly metrics: errors", "[anomaly][errors]", float, double) {
  using S = TestType;
  Vec<S> s(4);
  s << 1, 2, 3, 4;
  require_throws<subspace::DimensionMismatch>(
      [&] {
        subspace::roc_auc(s, labels({0, 1, 0}));
      },
      "same length");
  require_throws<subspace::DimensionMismatch>(
      [&] { subspace::roc_auc(Vec<S>(), Eigen::VectorXi()); }, "non-empty");
  require_throws<subspace::InvalidParameter>(
      [&] {
        subspace::roc_auc(s, labels({0, 0, 0, 0}));
      },
      "both");
  require_throws<subspace::InvalidParameter>(
      [&] {
        subspace::roc_curve(s, labels({1, 1, 1, 1}));
      },
      "both");
  Vec<S> bad = s;
  bad(2) = std::numeric_limits<S>::quiet_NaN();
  require_throws<subspace::NonFiniteInput>(
      [&] {
        subspace::roc_auc(bad, labels({0, 1, 0, 1}));
      },
      "NaN");
  require_throws<subspace::NonFiniteInput>([&] { subspace::threshold_at_fpr(bad, 0.1); }, "NaN");
  require_throws<subspace::InvalidParameter>([&] { subspace::threshold_at_fpr(s, 1.5); }, "[0, 1]");
  require_throws<subspace::InvalidParameter>(
      [&] { subspace::threshold_at_fpr(s, std::numeric_limits<double>::quiet_NaN()); }, "[0, 1]");
  require_throws<subspace::InvalidParameter>(
      [&] {
        subspace::tpr_at_fpr(s, labels({0, 1, 0, 1}), -0.1);
      },
      "[0, 1]");
}

namespace {

namespace fs = std::filesystem;

using test::TempDir;

std::vector<std::uint8_t> idx_bytes(std::vector<std::uint32_t> dims, std::uint8_t type = 8) {
  std::vector<std::uint8_t> b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  std::size_t total = 1;
  for (auto d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    total *= d;
  }
  for (std::size_t i = 0; i < total; ++i) b.push_back(static_cast<std::uint8_t>(i * 7 + 3));
  return b;
}

void write_raw(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_gz(const std::string& path, const std::vector<std::uint8_t>& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  gzclose(f);
}

}  // namespace

TEST_CASE("IDX loader: round trips and every error path", "[anomaly][loader][errors]") {
  using subspace_examples::read_idx;
  TempDir dir("subspace_idx_test_");
  const auto good = idx_bytes({3, 4, 5});
  write_raw(dir.file("a.idx"), good);
  write_gz(dir.file("a.idx.gz"), good);
  for (const auto& name : {"a.idx", "a.idx.gz"}) {
    const auto a = read_idx(dir.file(name));
    CHECK(a.dims == std::vector<std::int64_t>{3, 4, 5});
    REQUIRE(a.data.size() == 60);
    for (std::size_t i = 0; i < 60; ++i) CHECK(a.data[i] == static_cast<std::uint8_t>(i * 7 + 3));
  }
  require_throws<subspace_examples::DataFileError>([&] { read_idx(dir.file("missing.gz")); },
                                                   "cannot open");
  auto wrong_magic = good;
  wrong_magic[0] = 0x1f;
  write_raw(dir.file("magic"), wrong_magic);
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("magic")); }, "magic");
  write_raw(dir.file("type"), idx_bytes({3}, 0x0d));  // float elements
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("type")); }, "element type");
  auto truncated = good;
  truncated.resize(good.size() - 7);
  write_raw(dir.file("trunc"), truncated);
  write_gz(dir.file("trunc.gz"), truncated);
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("trunc")); }, "truncated");
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("trunc.gz")); }, "truncated");
  write_raw(dir.file("short"), {0, 0, 8});
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("short")); }, "header");
  auto trailing = good;
  trailing.push_back(1);
  write_raw(dir.file("trailing"), trailing);
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("trailing")); }, "trailing");
  write_raw(dir.file("huge"), {0, 0, 8, 2, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff});
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("huge")); }, "implausible");
  write_raw(dir.file("zero"), {0, 0, 8, 1, 0, 0, 0, 0});
  require_throws<subspace::FormatError>([&] { read_idx(dir.file("zero")); }, "size 0");
  // A gzip stream cut in the middle, and one whose deflate data are garbage.
  std::ifstream in(dir.file("a.idx.gz"), std::ios::binary);
  std::vector<std::uint8_t> gz((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(gz.size() > 20);
  write_raw(dir.file("cut.gz"), std::vector<std::uint8_t>(gz.begin(), gz.begin() + 20));
  CHECK_THROWS_AS(read_idx(dir.file("cut.gz")), subspace::FormatError);
  // Cut inside the 8-byte CRC / length trailer: zlib would return every byte of data.
  for (std::size_t cut : {1, 4, 8}) {
    write_raw(dir.file("trailer.gz"), std::vector<std::uint8_t>(gz.begin(), gz.end() - long(cut)));
    require_throws<subspace::FormatError>([&] { read_idx(dir.file("trailer.gz")); }, "truncated");
  }
  auto garbage = gz;
  for (std::size_t i = 10; i < garbage.size(); ++i) garbage[i] = 0xff;
  write_raw(dir.file("garbage.gz"), garbage);
  CHECK_THROWS_AS(read_idx(dir.file("garbage.gz")), subspace::FormatError);

  // Fashion-MNIST layout: counts must agree, images must be 28 x 28, labels 0..9.
  auto images = idx_bytes({2, 28, 28});
  write_gz(dir.file("t10k-images-idx3-ubyte.gz"), images);
  auto labs = idx_bytes({3});
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), labs);
  require_throws<subspace::FormatError>(
      [&] { subspace_examples::load_fashion_mnist(dir.path.string(), false); }, "labels");
  write_raw(dir.file("t10k-labels-idx1-ubyte.gz"), {0, 0, 8, 1, 0, 0, 0, 2, 4, 9});
  const auto ok = subspace_examples::load_fashion_mnist(dir.path.string(), false);
  CHECK(ok.images.rows() == 2);
  CHECK(ok.images.cols() == 784);
  CHECK(ok.labels(1) == 9);
  CHECK(ok.images(0, 1) == float(10) / 255.0f);  // byte 1 = 1 * 7 + 3
  write_raw(dir.file("t10k-labels-idx1-ubyte.gz"), {0, 0, 8, 1, 0, 0, 0, 2, 4, 10});
  require_throws<subspace::FormatError>(
      [&] { subspace_examples::load_fashion_mnist(dir.path.string(), false); }, "label 10");
  require_throws<subspace_examples::DataFileError>(
      [&] { subspace_examples::load_fashion_mnist(dir.path.string(), true); },
      "dataset-fashion-mnist");

  // The real data, where Debian's dataset-fashion-mnist installed it (the README's commands do).
  const std::string real = subspace_examples::default_fashion_mnist_dir();
  if (fs::exists(real + "/t10k-labels-idx1-ubyte.gz")) {
    const auto t = subspace_examples::load_fashion_mnist(real, false);
    CHECK(t.images.rows() == 10000);
    CHECK(t.images.minCoeff() >= 0.0f);
    CHECK(t.images.maxCoeff() <= 1.0f);
    for (int c = 0; c < 10; ++c) CHECK((t.labels.array() == c).count() == 1000);
  } else {
    WARN("Fashion-MNIST not installed at " << real << ": real-data loader check skipped");
  }
}

TEST_CASE("IdxRowReader (subspace/io/idx.hpp): blocks, skip, the end checked, errors",
          "[anomaly][loader][errors]") {
  TempDir dir("subspace_idx_rows_");
  const auto good = idx_bytes({7, 2, 3});  // byte i = i * 7 + 3
  write_gz(dir.file("a.idx.gz"), good);
  const auto whole = subspace::io::read_idx(dir.file("a.idx.gz"));
  subspace::io::IdxRowReader reader(dir.file("a.idx.gz"));
  CHECK(reader.rows() == 7);
  CHECK(reader.cols() == 6);
  CHECK(reader.dims() == std::vector<std::int64_t>{7, 2, 3});
  Eigen::MatrixXd block;
  Index seen = 0;
  for (Index b; (b = reader.next(block, 3)) > 0; seen += b) {
    CHECK(block.rows() == std::min<Index>(3, 7 - seen));
    CHECK(block.cols() == 6);
    for (Index i = 0; i < b; ++i)
      for (Index j = 0; j < 6; ++j)
        CHECK(block(i, j) == double(whole.data[std::size_t((seen + i) * 6 + j)]));
  }
  CHECK(seen == 7);
  CHECK(reader.rows_read() == 7);
  CHECK(reader.next(block, 3) == 0);  // again: still the end
  CHECK_THROWS_AS(reader.next(block, 0), subspace::InvalidParameter);
  // skip, then the rest, equals read_idx_rows of the same rows.
  subspace::io::IdxRowReader skipper(dir.file("a.idx.gz"));
  CHECK(skipper.skip(5) == 5);
  Eigen::MatrixXf tail;
  CHECK(skipper.next(tail, 10) == 2);
  const auto rows = subspace::io::read_idx_rows(dir.file("a.idx.gz"), 5, 2);
  REQUIRE(rows.data.size() == 12);
  for (Index j = 0; j < 12; ++j) CHECK(tail(j / 6, j % 6) == float(rows.data[std::size_t(j)]));
  CHECK(skipper.skip(3) == 0);
  CHECK_THROWS_AS(subspace::io::read_idx_rows(dir.file("a.idx.gz"), 6, 2), subspace::FormatError);
  CHECK_THROWS_AS(subspace::io::read_idx_rows(dir.file("a.idx.gz"), 1,
                                              std::numeric_limits<std::int64_t>::max()),
                  subspace::FormatError);
  // Trailing data is found at the end of the stream; a truncated file when its rows run out.
  auto trailing = good;
  trailing.push_back(0);
  write_raw(dir.file("trailing.idx"), trailing);
  subspace::io::IdxRowReader t(dir.file("trailing.idx"));
  CHECK(t.next(block, 100) == 7);
  require_throws<subspace::FormatError>([&] { t.next(block, 100); }, "trailing");
  auto cut = good;
  cut.resize(good.size() - 4);
  write_raw(dir.file("cut.idx"), cut);
  subspace::io::IdxRowReader c(dir.file("cut.idx"));
  CHECK(c.next(block, 6) == 6);
  require_throws<subspace::FormatError>([&] { c.next(block, 6); }, "truncated");
  require_throws<subspace::io::IoError>(
      [&] { subspace::io::IdxRowReader missing(dir.file("missing.idx")); }, "cannot open");
}

TEMPLATE_TEST_CASE("PCA::set_rank_rule equals a fit with that rule", "[pca][anomaly]", float,
                   double) {
  using S = TestType;
  Rng rng(8103);
  const Mat<S> x = rng.gaussian<S>(60, 12) * rng.gaussian<S>(12, 12);
  subspace::PCA<S> all;
  all.fit(x);
  REQUIRE(all.rank() == 12);
  for (const auto& rule : {subspace::RankRule::fixed(4), subspace::RankRule::energy(0.8),
                           subspace::RankRule::tolerance(0.1)}) {
    subspace::PcaOptions o;
    o.rank = rule;
    subspace::PCA<S> direct(o);
    direct.fit(x);
    all.set_rank_rule(rule);
    REQUIRE(all.rank() == direct.rank());
    const auto a = all.scores(x), b = direct.scores(x);
    CHECK((a.residual - b.residual).cwiseAbs().maxCoeff() <=
          100 * eps<S>() * b.residual.maxCoeff());
    CHECK((a.t2 - b.t2).cwiseAbs().maxCoeff() <= 1000 * eps<S>() * b.t2.maxCoeff());
  }
  all.set_rank_rule(subspace::RankRule::fixed(5));
  require_throws<subspace::DimensionMismatch>(
      [&] { all.set_rank_rule(subspace::RankRule::fixed(13)); }, "requested rank 13");
  CHECK(all.rank() == 5);  // unchanged
  CHECK(all.options().rank.k() == 5);
  subspace::PCA<S> empty;
  require_throws<subspace::InvalidParameter>(
      [&] { empty.set_rank_rule(subspace::RankRule::fixed(1)); }, "not fitted");
}
