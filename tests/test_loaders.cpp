// Loaders of untrusted bytes: PCA (text and binary), RiemannianSGD, RiemannianAdam, GcrHead and
// the examples' IDX reader. Every error path of detail/serialize.hpp's rules, exact round trips,
// objects unchanged after a failed load, and every input the fuzzers (tests/fuzz) found.
#include <subspace/grassmann.hpp>
#include <subspace/ml/gcr.hpp>
#include <subspace/optim/riemannian_adam.hpp>
#include <subspace/optim/riemannian_sgd.hpp>
#include <subspace/pca.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/idx.hpp"
#include "helpers.hpp"

using namespace test;
using subspace::FormatError;
using subspace::PcaOptions;
using subspace::RankRule;

namespace {

/// A PCA text file written by hand, field by field (independent of PCA::save).
template <class S>
std::string pca_text(const Vec<S>& mu, const Vec<S>& s, const Mat<S>& v, const std::string& n,
                     const std::string& total, const std::string& head = "1 0 0 0 -1") {
  std::ostringstream os;
  os.precision(std::numeric_limits<S>::max_digits10);
  os << "subspace::PCA 1\n" << head << '\n' << n << '\n' << total << " 0\n";
  os << mu.size() << " 1\n";
  for (Index i = 0; i < mu.size(); ++i) os << mu(i) << ' ';
  os << '\n' << s.size() << " 1\n";
  for (Index i = 0; i < s.size(); ++i) os << s(i) << ' ';
  os << '\n' << v.rows() << ' ' << v.cols() << '\n';
  for (Index j = 0; j < v.cols(); ++j)
    for (Index i = 0; i < v.rows(); ++i) os << v(i, j) << ' ';
  os << '\n';
  return os.str();
}

template <class S>
subspace::PCA<S> fitted(std::uint64_t seed, const PcaOptions& o = {}) {
  Rng rng(seed);
  subspace::PCA<S> p(o);
  p.fit(rng.gaussian<S>(40, 6) * rng.gaussian<S>(6, 6));
  return p;
}

template <class S>
void require_same(const subspace::PCA<S>& a, const subspace::PCA<S>& b) {
  CHECK(a.samples() == b.samples());
  CHECK(a.rank() == b.rank());
  CHECK(a.options().center == b.options().center);
  CHECK(a.options().max_state_rank == b.options().max_state_rank);
  CHECK(a.options().rank.kind() == b.options().rank.kind());
  CHECK(a.options().rank.value() == b.options().rank.value());
  CHECK(a.options().rank.k() == b.options().rank.k());
  CHECK(a.total_sum_of_squares() == b.total_sum_of_squares());
  CHECK(a.discarded_energy() == b.discarded_energy());
  CHECK(a.mean() == b.mean());
  CHECK(a.singular_values() == b.singular_values());
  CHECK(Mat<S>(a.components()) == Mat<S>(b.components()));
}

template <class T>
void load_text(T& p, const std::string& text) {
  std::istringstream is(text);
  p.load(is);
}

/// A stream buffer that cannot seek (like a pipe) and serves `prefix` then endless "1 ".
class EndlessOnes : public std::streambuf {
 public:
  explicit EndlessOnes(std::string prefix) : prefix_(std::move(prefix)) {}
  std::size_t served = 0;

 protected:
  int_type underflow() override {
    if (pos_ < prefix_.size()) {
      buf_ = prefix_[pos_];
    } else {
      buf_ = (pos_ - prefix_.size()) % 2 == 0 ? '1' : ' ';
      if (served > (std::size_t(1) << 22)) return traits_type::eof();  // 4 MiB, then stop
    }
    ++pos_;
    ++served;
    setg(&buf_, &buf_, &buf_ + 1);
    return traits_type::to_int_type(buf_);
  }

 private:
  std::string prefix_;
  std::size_t pos_ = 0;
  char buf_ = 0;
};

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("PCA: text and binary round trips are exact, for every kind of state",
                   "[loaders][pca]", float, double) {
  using S = TestType;
  std::vector<PcaOptions> opts(4);
  opts[1].rank = RankRule::energy(0.7);
  opts[1].max_state_rank = 4;
  opts[2].rank = RankRule::tolerance(1e-3);
  opts[2].center = false;
  opts[3].rank = RankRule::fixed(3);
  for (std::size_t i = 0; i < opts.size(); ++i) {
    CAPTURE(i);
    const auto p = fitted<S>(9100 + i, opts[i]);
    std::stringstream ss;
    p.save(ss);
    subspace::PCA<S> a, b;
    a.load(ss);
    require_same(p, a);
    const std::vector<std::uint8_t> bytes = p.serialize();
    b.deserialize(bytes);
    require_same(p, b);
    CHECK(b.serialize() == bytes);
  }
  // A streamed fixed(5) state that has seen 3 samples holds fewer than 5 directions: it must
  // load back as saved (not be rejected for k beyond the numerical rank).
  PcaOptions o;
  o.rank = RankRule::fixed(5);
  subspace::PCA<S> stream(o);
  Rng rng(9110);
  stream.partial_fit(rng.gaussian<S>(3, 6));
  REQUIRE(stream.rank() < 5);
  std::stringstream ss;
  stream.save(ss);
  subspace::PCA<S> back;
  back.load(ss);
  require_same(stream, back);
  subspace::PCA<S> back2;
  back2.deserialize(stream.serialize());
  require_same(stream, back2);
  // An unfitted model round-trips as unfitted through the binary form.
  subspace::PCA<S> empty, empty_back = fitted<S>(9111);
  empty_back.deserialize(empty.serialize());
  CHECK(empty_back.samples() == 0);
  CHECK(empty_back.dim() == 0);
}

TEST_CASE("PCA::serialize: the documented little-endian layout", "[loaders][pca]") {
  const auto p = fitted<double>(9120);
  const std::vector<std::uint8_t> b = p.serialize();
  const std::size_t d = 6, r = std::size_t(p.singular_values().size());
  REQUIRE(b.size() == 60 + 8 * (2 + d + r + d * r));
  CHECK(std::string(b.begin(), b.begin() + 4) == "sPCA");
  CHECK(b[4] == 1);
  CHECK(b[5] == 0);
  CHECK(b[8] == 8);
  CHECK(b[9] == 1);
  auto u64 = [&](std::size_t off) {
    std::uint64_t x = 0;
    for (int i = 7; i >= 0; --i) x = (x << 8) | b[off + std::size_t(i)];
    return x;
  };
  CHECK(u64(36) == 40);  // n
  CHECK(u64(44) == d);
  CHECK(u64(52) == r);
  CHECK(u64(28) == ~std::uint64_t(0));  // max_state_rank -1
  const std::uint64_t mean0 = u64(60 + 16);
  double m0;
  std::memcpy(&m0, &mean0, 8);
  CHECK(m0 == p.mean()(0));
  CHECK(fitted<float>(9120).serialize()[8] == 4);
}

TEMPLATE_TEST_CASE("PCA::deserialize: every malformed buffer is a FormatError, model unchanged",
                   "[loaders][pca][errors]", float, double) {
  using S = TestType;
  auto p = fitted<S>(9130);
  const std::vector<std::uint8_t> good = p.serialize(), before = good;
  auto expect = [&](std::vector<std::uint8_t> b, const std::string& needle) {
    require_throws<FormatError>([&] { p.deserialize(b); }, needle);
    CHECK(p.serialize() == before);
  };
  expect({}, "header");
  expect(std::vector<std::uint8_t>(good.begin(), good.end() - 1), "bytes");
  auto longer = good;
  longer.push_back(0);
  expect(longer, "bytes");
  auto magic = good;
  magic[0] = 'x';
  expect(magic, "magic");
  auto version = good;
  version[4] = 2;
  expect(version, "version");
  auto tag = good;
  tag[8] = sizeof(S) == 8 ? 4 : 8;
  expect(tag, "scalar tag");
  auto reserved = good;
  reserved[11] = 1;
  expect(reserved, "reserved");
  // d = r = 2^40: must fail on the size check, before any allocation.
  auto huge = good;
  for (std::size_t off : {std::size_t(44), std::size_t(52)})
    for (int i = 0; i < 8; ++i) huge[off + std::size_t(i)] = i == 5 ? 1 : 0;
  expect(huge, "fit");
  // d, r inside the buffer but d r beyond the element limit.
  std::vector<std::uint8_t> wide(60 + 8 * 20000, 0);
  std::copy(good.begin(), good.begin() + 60, wide.begin());
  wide[44 + 1] = 0x40;  // d = 16384
  wide[52 + 1] = 0x40;  // r = 16385: d r > 2^28
  wide[52] = 1;
  expect(wide, "limit");
  // A component entry changed: no longer orthonormal.
  auto bent = good;
  const std::size_t d = 6, r = std::size_t(p.singular_values().size());
  const std::size_t v0 = 60 + sizeof(S) * (2 + d + r);
  S one = S(1.5);
  std::memcpy(&bent[v0], &one, sizeof(S));
  expect(bent, "orthonormal");
  // A NaN in the mean.
  auto nan = good;
  const S q = std::numeric_limits<S>::quiet_NaN();
  std::memcpy(&nan[60 + 2 * sizeof(S)], &q, sizeof(S));
  expect(nan, "non-finite");
  // n = -1 and n = 2^60.
  auto neg = good;
  for (int i = 0; i < 8; ++i) neg[36 + std::size_t(i)] = 0xff;
  expect(neg, "sample count");
  auto big = good;
  for (int i = 0; i < 8; ++i) big[36 + std::size_t(i)] = i == 7 ? 0x10 : 0;
  expect(big, "sample count");
  CHECK_THROWS_AS(p.deserialize(nullptr, 0), FormatError);
}

TEMPLATE_TEST_CASE("PCA::load: invariants of the state are validated", "[loaders][pca][errors]",
                   float, double) {
  using S = TestType;
  auto p = fitted<S>(9140);
  const std::vector<std::uint8_t> before = p.serialize();
  const Mat<S> v = Mat<S>(Mat<S>::Identity(4, 2));
  Vec<S> mu = Vec<S>::Zero(4), s(2);
  s << S(3), S(2);
  auto expect = [&](const std::string& text, const std::string& needle) {
    require_throws<FormatError>([&] { load_text(p, text); }, needle);
    CHECK(p.serialize() == before);
  };
  // The hand-written reference state loads (so the failures below are about one field each).
  subspace::PCA<S> ok;
  load_text(ok, pca_text<S>(mu, s, v, "10", "13"));
  CHECK(ok.samples() == 10);
  CHECK(ok.dim() == 4);
  load_text(ok, pca_text<S>(mu, s, v, "10", "13") + " \n\t\n");  // trailing whitespace is fine

  Mat<S> skew = v;
  skew(1, 0) = S(0.1);
  expect(pca_text<S>(mu, s, skew, "10", "14"), "orthonormal");
  Vec<S> unsorted(2);
  unsorted << S(2), S(3);
  expect(pca_text<S>(mu, unsorted, v, "10", "14"), "descending");
  Vec<S> negative(2);
  negative << S(3), S(-1);
  expect(pca_text<S>(mu, negative, v, "10", "14"), "negative");
  expect(pca_text<S>(mu, s, v, "10", "12.9"), "total sum of squares");
  expect(pca_text<S>(mu, s, v, "10", "-1"), "total sum of squares");
  expect(pca_text<S>(mu, s, v, "10", "1e400"), "total sum of squares");
  expect(pca_text<S>(mu, s, v, "0", "13"), "unfitted");
  expect(pca_text<S>(mu, s, v, "-3", "13"), "sample count");
  expect(pca_text<S>(mu, s, v, "9007199254740993", "13"), "sample count");
  expect(pca_text<S>(mu, s, v, "99999999999999999999", "13"), "parse");
  expect(pca_text<S>(mu, s, v, "10", "13", "2 0 0 0 -1"), "center flag");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 7 0 0 -1"), "rank rule kind");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 3 1.5 0 -1"), "rank rule");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 1 nan 0 -1"), "rank rule");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 0 0 0 1"), "max_state_rank");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 0 0 0 -7"), "max_state_rank");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 2 0 -1 -1"), "rank rule k");
  Vec<S> shifted = mu;
  shifted(0) = S(1);
  expect(pca_text<S>(shifted, s, v, "10", "13", "0 0 0 0 -1"), "uncentred");
  expect(pca_text<S>(mu, s, Mat<S>(Mat<S>::Identity(3, 2)), "10", "13"), "shapes");
  // Singular values whose squares overflow, and a variance too small for finite scores.
  Vec<S> vast(2);
  vast << std::numeric_limits<S>::max(), S(1);
  expect(pca_text<S>(mu, vast, v, "10", "1e30"), "total sum of squares");
  Vec<S> tiny(2);  // lambda_2 = min / 16 > 0, whose inverse overflows
  tiny << S(1), std::sqrt(std::numeric_limits<S>::min()) / S(4);
  expect(pca_text<S>(mu, tiny, v, "2", "2", "1 1 0 0 -1"), "finite scores");
  // Trailing data, and values that do not parse.
  expect(pca_text<S>(mu, s, v, "10", "13") + "x", "trailing");
  expect(pca_text<S>(mu, s, v, "10", "13") + "subspace::PCA 1\n", "trailing");
  expect(pca_text<S>(mu, s, v, "10", "0x10"), "parse");
  expect(pca_text<S>(mu, s, v, "10", "13", "1 0 0 0 " + std::string(100, '1')), "64");
}

// "Without allocating" is checked by the allocator, not a clock: the asan test preset caps a
// single allocation at 1 GiB (ASAN_OPTIONS max_allocation_size_mb=1024, CMakePresets.json), so a
// loader that allocated what a header declares aborts the run there; the fuzzers cap RSS.
TEST_CASE("PCA::load: oversized declared sizes fail on the size checks, without allocating them",
          "[loaders][pca][errors]") {
  subspace::PCAd p = fitted<double>(9150);
  const auto before = p.serialize();
  const std::string head = "subspace::PCA 1\n1 0 0 0 -1\n10\n13 0\n";
  auto rejected = [&](const std::string& text, const std::string& needle) {
    require_throws<FormatError>([&] { load_text(p, text); }, needle);
    CHECK(p.serialize() == before);
  };
  const std::string mean_s = "4 1\n0 0 0 0\n2 1\n3 2\n";
  rejected(head + "1000000000000 1\n1 2 3", "limit");  // a mean of 1e12 elements
  rejected(head + "9223372036854775807 1\n", "limit");
  rejected(head + "-1 1\n", "bad shape");
  rejected(head + mean_s + "1000000 1000000\n1 2 3", "limit");  // 1e12 components
  rejected(head + mean_s + "16384 16384\n1 2 3", "remain");     // under the limit, beyond the bytes
  // A stream that cannot seek: the values are read as they come, storage grows with them, and
  // the declared 2^28 values end at the stream's end (4 MiB) as a truncation.
  EndlessOnes buf(head + "268435456 1\n");
  std::istream is(&buf);
  require_throws<FormatError>([&] { p.load(is); }, "truncated");
  CHECK(buf.served > (std::size_t(1) << 22));
  CHECK(p.serialize() == before);
}

TEST_CASE("loaders: a stream that failed to open says so", "[loaders][errors]") {
  std::ifstream missing("/nonexistent/subspace-state.txt");
  REQUIRE(!missing);
  subspace::PCAd p;
  require_throws<FormatError>([&] { p.load(missing); }, "not readable");
  using G = subspace::Grassmannd;
  subspace::RiemannianSGD<G> sgd;
  std::ifstream m2("/nonexistent/x");
  require_throws<FormatError>([&] { sgd.load(m2); }, "not readable");
  subspace::RiemannianAdam<G> adam;
  std::ifstream m3("/nonexistent/x");
  require_throws<FormatError>([&] { adam.load(m3); }, "not readable");
  std::mt19937_64 gen(1);
  auto head = subspace::GcrHead<double>::random(4, 2, 1, gen);
  std::ifstream m4("/nonexistent/x");
  require_throws<FormatError>([&] { head.load(m4); }, "not readable");
}

TEMPLATE_TEST_CASE("optimiser loaders: invariants, trailing data, sizes",
                   "[loaders][optim][errors]", float, double) {
  using S = TestType;
  using G = subspace::Grassmann<S>;
  using P = subspace::GrassmannProduct<S>;
  std::mt19937_64 gen(9160);
  G x = G::random(5, 2, gen);
  subspace::RiemannianAdam<G> adam(subspace::AdamOptions{0.05, 0.9, 0.99, 1e-8, true});
  subspace::RiemannianSGD<G> sgd(subspace::SGDOptions{0.05, 0.5});
  for (int i = 0; i < 3; ++i) {
    adam.step(x, Mat<S>::Random(5, 2));
    sgd.step(x, Mat<S>::Random(5, 2));
  }
  std::stringstream sa, sg;
  adam.save(sa);
  sgd.save(sg);
  const std::string adam_text = sa.str(), sgd_text = sg.str();
  subspace::RiemannianAdam<G> a2(adam.options());
  subspace::RiemannianSGD<G> s2(sgd.options());
  load_text(a2, adam_text);
  load_text(s2, sgd_text);
  CHECK(a2.steps() == 3);
  auto expect_adam = [&](const std::string& t, const std::string& needle) {
    require_throws<FormatError>([&] { load_text(a2, t); }, needle);
    CHECK(a2.steps() == 3);
    std::stringstream now;
    a2.save(now);
    CHECK(now.str() == adam_text);  // unchanged
  };
  auto expect_sgd = [&](const std::string& t, const std::string& needle) {
    require_throws<FormatError>([&] { load_text(s2, t); }, needle);
    std::stringstream now;
    s2.save(now);
    CHECK(now.str() == sgd_text);
  };
  const std::string m = "5 2\n0 0 0 0 0 0 0 0 0 0\n";
  expect_adam("subspace::RiemannianAdam 1\n3\n" + m + "1 1\n-0.5\n1 1\n0.5\n", "negative");
  expect_adam("subspace::RiemannianAdam 1\n3\n" + m + "1 1\n0.5\n1 1\n-0.5\n", "negative");
  expect_adam("subspace::RiemannianAdam 1\n3\n" + m + "1 1\n0.5\n1 1\ninf\n", "");
  expect_adam("subspace::RiemannianAdam 1\n9223372036854775807\n" + m + "1 1\n0.5\n1 1\n0.5\n",
              "step count");
  expect_adam("subspace::RiemannianAdam 1\n-1\n" + m + "1 1\n0.5\n1 1\n0.5\n", "step count");
  expect_adam("subspace::RiemannianAdam 1\n3\n" + m + "1 1\n0.5\n1 1\n0.5\n!", "trailing");
  expect_adam("subspace::RiemannianAdam 1\n3\n" + m + "0 1\n\n0 1\n\n", "bad shape");
  expect_adam("subspace::RiemannianAdam 1\n3\n5 2000000000\n1", "limit");
  expect_adam(adam_text + "subspace::RiemannianAdam 1\n", "trailing");
  expect_sgd("subspace::RiemannianSGD 1\n3 1\n0 0\n", "empty");
  expect_sgd("subspace::RiemannianSGD 1\n3 2\n" + m, "inconsistent");
  expect_sgd("subspace::RiemannianSGD 1\n-3 1\n" + m, "inconsistent");
  expect_sgd("subspace::RiemannianSGD 1\n3 1\n5 2\n0 0 0 0 0 0 0 0 0 nan\n", "");
  expect_sgd(sgd_text + "0", "trailing");
  expect_sgd("subspace::RiemannianSGD 1\n3 1\n70000 70000\n0", "limit");
  expect_sgd("subspace::RiemannianSGD 1\n3 1\n16000 16000\n0", "remain");

  // Products: as many second moments as points; the first moment must split among them.
  P xp = P::random(5, 2, 3, gen);
  subspace::RiemannianAdam<P> ap;
  ap.step(xp, Mat<S>::Random(5, 6));
  std::stringstream sp;
  ap.save(sp);
  subspace::RiemannianAdam<P> ap2;
  load_text(ap2, sp.str());
  CHECK(ap2.steps() == 1);
  require_throws<FormatError>(
      [&] {
        load_text(ap2, "subspace::RiemannianAdam 1\n1\n5 7\n" + repeat("0 ", 35) +
                           "\n3 1\n1 1 1\n3 1\n1 1 1\n");
      },
      "");
  require_throws<FormatError>(
      [&] {
        load_text(ap2, "subspace::RiemannianAdam 1\n1\n5 6\n" + repeat("0 ", 30) +
                           "\n3 1\n1 1 1\n2 1\n1 1\n");
      },
      "inconsistent");
  CHECK(ap2.steps() == 1);
}

TEST_CASE("GcrHead::load: orthonormal bases, scale, layout, trailing data", "[loaders][gcr]") {
  std::mt19937_64 gen(9170);
  auto head = subspace::GcrHead<double>::random(4, 2, 2, gen);
  std::stringstream ss;
  head.save(ss);
  const std::string good = ss.str();
  auto back = subspace::GcrHead<double>::random(3, 1, 1, gen);
  load_text(back, good);
  CHECK(back.bases().basis() == head.bases().basis());
  auto expect = [&](const std::string& t, const std::string& needle) {
    require_throws<FormatError>([&] { load_text(back, t); }, needle);
    CHECK(back.bases().basis() == head.bases().basis());
  };
  expect("subspace::GcrHead 1\n16 1 2\n4 4\n1 0 0 0 1 0 0 0 0 0 1 0 0 0 0 1\n", "orthonormal");
  expect("subspace::GcrHead 1\n16 1 2\n4 2\n1 0 0 0 0 2 0 0\n", "orthonormal");
  expect("subspace::GcrHead 1\n0 1 1\n2 1\n1 0\n", "inconsistent");
  expect("subspace::GcrHead 1\n16 1 3\n2 3\n1 0 0 1 1 0\n", "inconsistent");  // k > d
  expect("subspace::GcrHead 1\n16 1 1\n2 1\n1 0\n2", "trailing");
  expect("subspace::GcrHead 1\n16 1 1\n100000 100000\n", "limit");
  expect(good + good, "trailing");
  subspace::GcrHead<float> hf = subspace::GcrHead<float>::random(2, 1, 1, gen);
  require_throws<FormatError>([&] { load_text(hf, "subspace::GcrHead 1\n1e300 1 1\n2 1\n1 0\n"); },
                              "scale");
}

TEST_CASE("read_idx: a header declaring 4 GiB in a 25-byte file fails without allocating it",
          "[loaders][idx]") {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path = (dir / ("subspace_idx_" + std::to_string(::getpid()))).string();
  // 3 dimensions 65536 x 65536 x 1 = 2^32 bytes promised; 9 bytes of payload present.
  const std::vector<std::uint8_t> bytes = {0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0,
                                           0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  REQUIRE(bytes.size() == 25);
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  require_throws<FormatError>([&] { subspace_examples::read_idx(path); }, "truncated");
  std::remove(path.c_str());
}

TEST_CASE("inputs the fuzzers found stay fixed", "[loaders][fuzz]") {
  // fuzz_pca_load, timeout: components declared 0 x 249538124 (no values, so no byte check
  // could catch it) made read_matrix loop over 2.5e8 empty columns. Now the loop runs over the
  // values; the load fails at once on the shapes. Also in tests/fuzz/corpus/fuzz_pca_load/.
  const std::string timeout_empty_columns =
      "subspace::PCA 1\n1 0 0 0 -0\n10\n1 0\n4 1\n0 03\n13 0\n4 1\n0 0 0 0 0\n249538124 0\n3 "
      "1\n0 0 0\n3 1\n3.7354477262379944 2.3111691796922895 1.151547423\n3 3\n"
      "-0.39286323267481121 -0.32939115117530426 0.85858019423913157\n0.74350727306703257 "
      "-0.66320428020233169 0.085773058810627634\n0.54116117313488188 0.6720577008885013 "
      "0.50545320 ub";
  for (const std::string& text :
       {timeout_empty_columns,
        std::string("subspace::PCA 1\n1 0 0 0 -1\n10\n13 0\n4 1\n0 0 0 0\n0 1\n\n0 268435456\n")}) {
    subspace::PCAf pf;
    subspace::PCAd pd;
    CHECK_THROWS_AS(load_text(pf, text), FormatError);
    CHECK_THROWS_AS(load_text(pd, text), FormatError);
    CHECK(pd.samples() == 0);
  }
}
