// basics: orthonormal bases, projections, principal angles and distances on a small problem
// whose answers are known, printed next to what subspace computes.
//
//   ./basics            (no arguments)
#include <subspace/subspace.hpp>

#include <cmath>
#include <cstdio>
#include <random>

int main() {
  using Eigen::MatrixXd;
  using Eigen::VectorXd;
  const double pi = std::acos(-1.0);
  std::mt19937_64 gen(42);
  std::normal_distribution<double> normal;
  auto gaussian = [&](Eigen::Index r, Eigen::Index c) {
    MatrixXd m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(gen);
    return m;
  };

  // 1. A 200 x 30 matrix of rank 5 plus noise at 1e-9: the default tolerance sees the noise,
  //    a relative tolerance or an energy rule sees the rank.
  const MatrixXd a = gaussian(200, 5) * gaussian(5, 30) + 1e-9 * gaussian(200, 30);
  const auto full = subspace::svd_basis(a);
  const auto tol = subspace::svd_basis(a, subspace::RankRule::tolerance(1e-6));
  const auto energy = subspace::svd_basis(a, subspace::RankRule::energy(0.99));
  std::printf("rank of a rank-5 + 1e-9 noise matrix: default %ld, rtol 1e-6 %ld, 99%% energy %ld\n",
              static_cast<long>(full.rank), static_cast<long>(tol.rank),
              static_cast<long>(energy.rank));
  std::printf("singular values 5 and 6: %.3e  %.3e\n", tol.singular_values(4),
              tol.singular_values(5));

  // 2. Two 4-dimensional subspaces of R^12 with prescribed principal angles, rotated at random.
  const double want[4] = {1e-12, 1e-6, pi / 3, pi / 2};
  MatrixXd u0 = MatrixXd::Zero(12, 4), v0 = MatrixXd::Zero(12, 4);
  for (int i = 0; i < 4; ++i) {
    u0(i, i) = 1;
    v0(i, i) = std::cos(want[i]);
    v0(4 + i, i) = std::sin(want[i]);
  }
  const MatrixXd q = subspace::qr_basis(gaussian(12, 12));
  const MatrixXd u = q * u0, v = q * v0 * subspace::qr_basis(gaussian(4, 4));
  const VectorXd theta = subspace::principal_angles(u, v);
  std::printf("\nprincipal angles      wanted            computed          |error|\n");
  for (int i = 0; i < 4; ++i)
    std::printf("  theta_%d           %.10e  %.10e  %.1e\n", i + 1, want[i], theta(i),
                std::abs(theta(i) - want[i]));
  const Eigen::VectorXd naive =
      Eigen::JacobiSVD<MatrixXd>(u.transpose() * v).singularValues().unaryExpr([](double c) {
        return std::acos(std::min(1.0, c));
      });
  std::printf("  (arccos of the cosines alone gives %.3e and %.3e for the two smallest)\n",
              naive(0), naive(1));

  std::printf("\ndistances between the two subspaces\n");
  const std::pair<const char*, subspace::Distance> kinds[] = {
      {"geodesic", subspace::Distance::Geodesic},
      {"chordal", subspace::Distance::Chordal},
      {"projection (Frobenius)", subspace::Distance::ProjectionFrobenius},
      {"projection (spectral)", subspace::Distance::ProjectionSpectral},
      {"Binet-Cauchy", subspace::Distance::BinetCauchy},
      {"Fubini-Study", subspace::Distance::FubiniStudy},
      {"Procrustes", subspace::Distance::Procrustes},
      {"Asimov", subspace::Distance::Asimov},
      {"Martin", subspace::Distance::Martin}};
  for (const auto& [name, kind] : kinds)
    std::printf("  %-24s %.6f\n", name, subspace::distance(u, v, kind));

  // 3. Projection of a batch: residual norms of 1000 vectors, and the error type for bad input.
  const MatrixXd x = gaussian(12, 1000);
  const VectorXd r = subspace::residual_norms(u, x);
  // |residual| of a standard Gaussian vector is chi-distributed with 12 - 4 = 8 degrees of
  // freedom: mean sqrt(2) Gamma(9/2) / Gamma(4).
  const double expected = std::sqrt(2.0) * std::tgamma(4.5) / std::tgamma(4.0);
  std::printf(
      "\nmean residual norm of 1000 Gaussian vectors off a 4-plane in R^12: %.4f"
      " (chi_8 mean %.4f)\n",
      r.mean(), expected);
  try {
    subspace::project(u, gaussian(11, 3));
  } catch (const subspace::DimensionMismatch& e) {
    std::printf("bad input is reported: %s\n", e.what());
  }
  return 0;
}
