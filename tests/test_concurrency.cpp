// Const members are safe to call from several threads on one shared object (README, "Thread
// safety"). Each case runs the same const calls from two threads at once, many times, and
// compares every result with the one computed alone; .ci/run also runs this file under
// ThreadSanitizer (target subspace_concurrency_tests), which reports any data race itself.
#include <subspace/ml/gcr.hpp>
#include <subspace/ml/gradient_projection.hpp>
#include <subspace/pca.hpp>
#include <subspace/projection.hpp>

#include <atomic>
#include <functional>
#include <thread>

#include "helpers.hpp"

using namespace test;
using Eigen::MatrixXd;

namespace {

/// Runs `f(t)` for t = 0, 1 on two threads, `rounds` times each, and counts the calls whose
/// result differs from `expected(t)`.
int races(const std::function<MatrixXd(int)>& f, const std::function<MatrixXd(int)>& expected,
          int rounds = 50) {
  std::atomic<int> wrong{0};
  const MatrixXd e0 = expected(0), e1 = expected(1);
  auto work = [&](int t) {
    for (int i = 0; i < rounds; ++i)
      if (f(t) != (t == 0 ? e0 : e1)) ++wrong;
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  return wrong.load();
}

}  // namespace

TEST_CASE("concurrency: GPM and spectral projections of different gradients at once",
          "[concurrency]") {
  Rng rng(71);
  const Index d = 24;
  for (const Index samples : {Index(4), Index(20)}) {  // m < d/2 and m > d/2 (complement path)
    CAPTURE(samples);
    subspace::GradientProjectionMemory<double> mem(d);
    mem.update(rng.gaussian<double>(d, samples), 0.999);
    const MatrixXd g0 = rng.gaussian<double>(6, d), g1 = rng.gaussian<double>(6, d);
    auto run = [&](int t) {
      MatrixXd g = t == 0 ? g0 : g1;
      mem.project(g);
      return g;
    };
    CHECK(races(run, run) == 0);
    // The projection is the real one: G M = 0 afterwards.
    CHECK((run(0) * mem.basis()).cwiseAbs().maxCoeff() < 1e-12);
  }
  subspace::SpectralProtection<double> sp(6, d, 0.9);
  sp.update(rng.gaussian<double>(6, d));
  const MatrixXd g0 = rng.gaussian<double>(6, d), g1 = rng.gaussian<double>(6, d);
  auto run = [&](int t) {
    MatrixXd g = t == 0 ? g0 : g1;
    sp.project(g);
    return g;
  };
  CHECK(races(run, run) == 0);
}

TEST_CASE("concurrency: PCA scores, GCR logits and a Projector from two threads", "[concurrency]") {
  Rng rng(72);
  const MatrixXd train = rng.gaussian<double>(200, 10);
  const auto pca = subspace::PCA<>(subspace::PcaOptions{subspace::RankRule::fixed(3)}).fit(train);
  const MatrixXd x0 = rng.gaussian<double>(30, 10), x1 = rng.gaussian<double>(30, 10);
  auto scores = [&](int t) { return MatrixXd(pca.scores(t == 0 ? x0 : x1).residual); };
  CHECK(races(scores, scores) == 0);

  std::mt19937_64 gen(73);
  const auto head = subspace::GcrHead<double>::random(10, 2, 4, gen);
  const MatrixXd f0 = rng.gaussian<double>(10, 16), f1 = rng.gaussian<double>(10, 16);
  auto logits = [&](int t) { return head.logits(t == 0 ? f0 : f1); };
  CHECK(races(logits, logits) == 0);

  const subspace::Projectord proj(subspace::qr_basis(rng.gaussian<double>(10, 3)));
  auto res = [&](int t) { return proj.residual(t == 0 ? f0 : f1); };
  CHECK(races(res, res) == 0);
}

TEST_CASE("concurrency: the first reads of a streamed Covariance state, from two threads at once",
          "[concurrency]") {
  // partial_fit with PcaSolver::Covariance defers the factor to the first const read; two
  // threads that read first at the same time factor it once, under the state's lock (a data
  // race here is what ThreadSanitizer would report), and both see the finished factor.
  Rng rng(74);
  const MatrixXd train = rng.gaussian<double>(300, 12), x = rng.gaussian<double>(20, 12);
  subspace::PcaOptions opt{subspace::RankRule::fixed(4)};
  opt.solver = subspace::PcaSolver::Covariance;
  auto streamed = [&] {
    subspace::PCA<> p(opt);
    p.partial_fit(train.topRows(100)).partial_fit(train.bottomRows(200));
    return p;
  };
  const subspace::PCA<> alone = streamed();
  const MatrixXd want_scores = alone.scores(x).combined, want_v = alone.components();
  int wrong = 0;
  for (int round = 0; round < 20; ++round) {
    const subspace::PCA<> shared = streamed();  // pending: nothing read yet
    MatrixXd got_scores, got_v;
    std::thread a([&] { got_scores = shared.scores(x).combined; });
    std::thread b([&] { got_v = shared.components(); });
    a.join();
    b.join();
    wrong += got_scores != want_scores || got_v != want_v;
  }
  CHECK(wrong == 0);
}
