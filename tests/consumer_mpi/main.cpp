// A user's MPI program: each rank holds a block of rows of one tall matrix; the distributed
// basis, principal angles and PCA must agree with the serial functions on the whole matrix
// (which every rank can rebuild here, since the data come from a fixed seed). Exit code 0 on
// every rank when they do.
#include <subspace/mpi.hpp>

#include <cstdio>
#include <random>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const Eigen::Index n = 300, d = 12, per = n / size;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(n, d);
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index i = 0; i < n; ++i) x(i, j) = normal(rng) * double(j + 1);
  const Eigen::Index first = rank * per, rows = rank == size - 1 ? n - first : per;
  const Eigen::MatrixXd mine = x.middleRows(first, rows);

  const auto basis =
      subspace::mpi::orthonormal_basis(mine, subspace::RankRule::fixed(4), MPI_COMM_WORLD);
  const auto serial = subspace::svd_basis(x, subspace::RankRule::fixed(4));
  double sv_err = (basis.singular_values - serial.singular_values).cwiseAbs().maxCoeff();

  subspace::PCA<double> pca(subspace::PcaOptions{});
  pca.fit(mine);
  subspace::mpi::allreduce(pca, MPI_COMM_WORLD);
  subspace::PCA<double> whole;
  whole.fit(x);
  const double pca_err = (pca.singular_values() - whole.singular_values()).cwiseAbs().maxCoeff();

  const bool ok = basis.rank == 4 && sv_err <= 1e-10 * serial.singular_values(0) &&
                  pca.samples() == n && pca_err <= 1e-10 * whole.singular_values()(0);
  int all_ok = ok ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (rank == 0)
    std::printf("consumer_mpi on %d ranks: singular values %.1e, PCA %.1e off: %s\n", size, sv_err,
                pca_err, all_ok ? "ok" : "FAILED");
  MPI_Finalize();
  return all_ok ? 0 : 1;
}
