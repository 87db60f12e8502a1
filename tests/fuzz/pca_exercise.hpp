// Shared by fuzz_pca_load.cpp and fuzz_pca_deserialize.cpp: what must hold of any PCA model a
// loader accepted. A violation aborts (libFuzzer reports it as a crash with the input).
#pragma once

#include <subspace/pca.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <vector>

namespace fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated after a successful load: %s\n", what);
    std::abort();
  }
}

/// Invariants of an accepted model, its round trips through both forms, and finite scores on
/// a small batch at the model's own scale.
template <class S>
void exercise(const subspace::PCA<S>& p) {
  using M = typename subspace::PCA<S>::Matrix;
  // Round trips: whatever loads must save and load back to the same bytes, in both forms.
  const std::vector<std::uint8_t> bytes = p.serialize();
  subspace::PCA<S> q;
  q.deserialize(bytes);  // throws (an uncaught exception: a bug) if the state is not accepted
  require(q.serialize() == bytes, "serialize/deserialize round trip");
  std::stringstream ss;
  p.save(ss);
  subspace::PCA<S> t;
  t.load(ss);
  require(t.serialize() == bytes, "save/load round trip");
  if (p.samples() == 0) return;
  const Eigen::Index d = p.dim(), k = p.rank();
  const M v = p.components();
  if (k > 0) {
    const S err = (v.transpose() * v - M::Identity(k, k)).cwiseAbs().maxCoeff();
    require(err <= subspace::Tolerance<S>::orthonormality(d), "orthonormal components");
  }
  const auto& s = p.singular_values();
  for (Eigen::Index j = 0; j + 1 < s.size(); ++j) require(s(j) >= s(j + 1), "descending");
  require((s.array() >= S(0)).all(), "non-negative singular values");
  // Three samples mean + sum_j sqrt(lambda_j) g_j v_j with |g_j| <= 1: data the model has seen.
  std::mt19937_64 gen(42);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const auto lambda = p.explained_variance();
  M x(3, d);
  for (Eigen::Index i = 0; i < 3; ++i) {
    x.row(i) = p.mean().transpose();
    for (Eigen::Index j = 0; j < k; ++j)
      x.row(i) += S(u(gen)) * std::sqrt(lambda(j)) * v.col(j).transpose();
  }
  const M xc = x.rowwise() - p.mean().transpose();
  if (!x.allFinite() || !std::isfinite(xc.squaredNorm())) return;  // the batch itself overflows
  const auto sc = p.scores(x);
  require(sc.residual.allFinite() && sc.t2.allFinite() && sc.combined.allFinite(), "finite scores");
}

}  // namespace fuzz
