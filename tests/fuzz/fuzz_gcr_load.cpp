// libFuzzer target: GcrHead<double>::load and GcrHead<float>::load on arbitrary bytes. Only
// subspace::InvalidArgument (FormatError) may come out. An accepted head must have orthonormal
// blocks, and its logits on a small random batch must be finite (for scales up to 1e6, beyond
// which s |S^T x| may overflow by design).
#include <subspace/ml/gcr.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

template <class S>
static void run(const std::string& text) {
  std::mt19937_64 gen(11);
  auto head = subspace::GcrHead<S>::random(2, 1, 1, gen);
  std::istringstream is(text);
  try {
    head.load(is);
  } catch (const subspace::InvalidArgument&) {
    if (head.feature_dim() != 2 || head.classes() != 1) std::abort();  // unchanged
    return;
  }
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  const M& u = head.bases().basis();
  const Eigen::Index k = head.subspace_dim(), d = head.feature_dim();
  for (Eigen::Index c = 0; c < head.classes(); ++c) {
    const M b = u.middleCols(c * k, k);
    const S err = (b.transpose() * b - M::Identity(k, k)).cwiseAbs().maxCoeff();
    if (!(err <= subspace::Tolerance<S>::orthonormality(d))) std::abort();
  }
  std::normal_distribution<double> n01;
  M x(d, 3);
  for (Eigen::Index j = 0; j < x.size(); ++j) x.data()[j] = S(n01(gen));
  const M l = head.logits(x);
  if (head.options().scale <= 1e6 && !l.allFinite()) {
    std::fprintf(stderr, "non-finite logits from a loaded head\n");
    std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  run<double>(text);
  run<float>(text);
  return 0;
}
