// Build-cost probe (bench/build_cost/measure.py): gradient projection memory (GPM) for
// continual learning: grow the memory from a task's activations, project a gradient off it.
#include <subspace/ml/gradient_projection.hpp>

#include <cstdio>

int main() {
  subspace::GradientProjectionMemory<double> memory(256);
  const Eigen::MatrixXd activations = Eigen::MatrixXd::Random(256, 40);
  const auto update = memory.update(activations, 0.97);
  Eigen::MatrixXd gradient = Eigen::MatrixXd::Random(64, 256);
  memory.project(gradient);
  std::printf("memory %ld directions (+%ld), |g| %.4f\n", static_cast<long>(memory.size()),
              static_cast<long>(update.added), gradient.norm());
  return 0;
}
