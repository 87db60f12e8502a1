// Built by .ci/run against the installed package and through add_subdirectory.
#include <subspace/subspace.hpp>

#include <cmath>
#include <iostream>

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
  return (u.cols() == 4 && d < 1e-12 && r.maxCoeff() < 1e-12) ? 0 : 1;
}
