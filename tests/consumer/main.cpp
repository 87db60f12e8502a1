// Built by .ci/run against the installed package and through add_subdirectory, twice: linked
// to subspace::subspace (header-only) and to subspace::compiled; the two programs must print
// the same digits.
#include <subspace/subspace.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>

int main() {
  Eigen::MatrixXd a = Eigen::MatrixXd::Random(20, 4);
  const Eigen::MatrixXd u = subspace::orthonormal_basis(a);
  const Eigen::MatrixXd v = subspace::qr_basis(a);
  const Eigen::VectorXd theta = subspace::principal_angles(u, v);
  const double d = subspace::distance(u, v);
  const Eigen::VectorXd r = subspace::residual_norms(u, a);
  try {
    subspace::principal_angles(u, Eigen::MatrixXd::Ones(3, 2));
    return 1;
  } catch (const subspace::DimensionMismatch&) {
  }
  std::cout << "subspace " << SUBSPACE_VERSION_STRING << ": rank " << u.cols() << ", largest angle "
            << theta.maxCoeff() << ", distance " << d << ", residual " << r.maxCoeff() << "\n";

#ifndef SUBSPACE_CONSUMER_BASIC  // (the pkg-config and add_subdirectory builds check flags only)
  // The compiled mode's instantiations, in double and float: every digit printed.
  std::mt19937_64 rng(7);
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(300, 12);
  subspace::PCA<> pca;
  pca.fit(x);
  subspace::PCA<float> pcaf;
  pcaf.partial_fit(x.cast<float>().eval());
  auto g = subspace::Grassmann<double>::random(12, 3, rng);
  subspace::RiemannianAdam<subspace::Grassmann<double>> adam;
  adam.step(g, Eigen::MatrixXd::Random(12, 3).eval());
  subspace::GradientProjectionMemory<float> gpm(12);
  gpm.update(Eigen::MatrixXf::Random(12, 5).eval(), 0.9);
  Eigen::MatrixXf grad = Eigen::MatrixXf::Random(4, 12);
  gpm.project(grad);
  auto head = subspace::GcrHead<float>::random(12, 2, 3, rng);
  const Eigen::MatrixXf logits = head.logits(Eigen::MatrixXf::Random(12, 4).eval());
  std::printf("pca %.17g %.17g, pca<float> %.9g, grassmann %.17g, gpm %.9g, gcr %.9g\n",
              pca.singular_values()(0), pca.scores(x).combined.sum(),
              static_cast<double>(pcaf.singular_values()(0)), g.basis().sum(),
              static_cast<double>(grad.norm()), static_cast<double>(logits.sum()));
#endif
  return (u.cols() == 4 && d < 1e-12 && r.maxCoeff() < 1e-12) ? 0 : 1;
}
