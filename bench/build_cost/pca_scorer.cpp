// Build-cost probe (bench/build_cost/measure.py): a PCA anomaly scorer. Fits on normal data,
// scores new samples (residual / Q, Hotelling's T^2), saves the model.
#include <subspace/pca.hpp>

#include <cstdio>
#include <sstream>

int main() {
  const Eigen::MatrixXd train = Eigen::MatrixXd::Random(2000, 64);
  const Eigen::MatrixXd test = Eigen::MatrixXd::Random(100, 64);
  subspace::PcaOptions options;
  options.rank = subspace::RankRule::energy(0.95);
  subspace::PCA<> pca(options);
  pca.fit(train);
  const auto s = pca.scores(test);
  std::ostringstream saved;
  pca.save(saved);
  std::printf("rank %ld, mean residual %.4f\n", static_cast<long>(pca.rank()), s.residual.mean());
  return 0;
}
