// Build-cost probe (bench/build_cost/measure.py): a Grassmann optimisation, the leading
// 4-dimensional invariant subspace of a symmetric matrix by Riemannian SGD on Gr(4, 100).
#include <subspace/grassmann.hpp>
#include <subspace/optim/minimize.hpp>
#include <subspace/optim/riemannian_sgd.hpp>

#include <cstdio>
#include <random>

int main() {
  std::mt19937_64 rng(2);
  const Eigen::MatrixXd b = Eigen::MatrixXd::Random(100, 100);
  const Eigen::MatrixXd a = b.transpose() * b / 100.0;
  auto x = subspace::Grassmann<double>::random(100, 4, rng);
  subspace::SGDOptions options;
  options.learning_rate = 0.1;
  subspace::RiemannianSGD<subspace::Grassmann<double>> sgd(options);
  auto f = [&](const subspace::Grassmann<double>& p, Eigen::MatrixXd& g) {
    g = -2.0 * a * p.basis();
    return -(p.basis().transpose() * a * p.basis()).trace();
  };
  subspace::StopRule stop;
  stop.max_iterations = 200;
  const auto report = subspace::minimize(f, x, sgd, stop);
  std::printf("f = %.6f after %d iterations\n", report.value, report.iterations);
  return 0;
}
