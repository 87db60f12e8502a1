// Build-cost probe (bench/build_cost/measure.py): one GCR training step in float (logits,
// softmax cross-entropy, backward, a Riemannian Adam step of the class bases).
#include <subspace/ml/gcr.hpp>

#include <cstdio>
#include <random>

int main() {
  std::mt19937_64 rng(1);
  auto head = subspace::GcrHead<float>::random(128, 4, 10, rng);
  subspace::GcrHead<float>::Adam adam;
  const Eigen::MatrixXf x = Eigen::MatrixXf::Random(128, 32);
  Eigen::VectorXi y(32);
  for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = static_cast<int>(i % 10);
  const Eigen::MatrixXf logits = head.logits(x);
  Eigen::MatrixXf dlogits;
  const float loss = subspace::softmax_cross_entropy(logits, y, &dlogits);
  const auto g = head.backward(x, dlogits);
  head.step(adam, g.dbases);
  std::printf("loss %.4f\n", static_cast<double>(loss));
  return 0;
}
