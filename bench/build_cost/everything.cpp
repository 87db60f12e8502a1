// Build-cost probe (bench/build_cost/measure.py): most of what a user file touches at once: a
// PCA fit and scores, a GCR forward pass, a GPM update and projection, a Grassmann SGD step,
// principal angles and a basis.
#include <subspace/subspace.hpp>

#include <cstdio>
#include <random>

int main() {
  std::mt19937_64 rng(3);
  const Eigen::MatrixXd data = Eigen::MatrixXd::Random(500, 32);
  subspace::PCA<> pca;
  pca.fit(data);
  const auto scores = pca.scores(data);

  auto head = subspace::GcrHead<float>::random(64, 4, 5, rng);
  const Eigen::MatrixXf logits = head.logits(Eigen::MatrixXf::Random(64, 8).eval());

  subspace::GradientProjectionMemory<double> memory(32);
  const Eigen::MatrixXd activations = data.topRows(20).transpose();
  memory.update(activations, 0.9);
  Eigen::MatrixXd grad = Eigen::MatrixXd::Random(16, 32);
  memory.project(grad);

  auto x = subspace::Grassmann<double>::random(32, 3, rng);
  subspace::RiemannianSGD<subspace::Grassmann<double>> sgd;
  sgd.step(x, Eigen::MatrixXd::Random(32, 3).eval());

  const Eigen::MatrixXd u = subspace::qr_basis(Eigen::MatrixXd::Random(32, 3).eval());
  const Eigen::VectorXd theta = subspace::principal_angles(u, x.basis());
  std::printf("%.4f %.4f %.4f %.4f\n", scores.combined.mean(), logits.norm(), grad.norm(),
              theta.sum());
  return 0;
}
