// SPDX-License-Identifier: MIT
// pca_anomaly_mpi: the one-class Fashion-MNIST benchmark of pca_anomaly, distributed. Each of
// P ranks reads only its contiguous shard of the training and test files; for each class as
// "normal", every rank fits a PCA state on its own training images of that class (possibly
// none), subspace::mpi::allreduce merges the states (the union's exact state, on every rank),
// each rank scores its test shard, and rank 0 gathers the scores and prints the AUROCs. They
// equal those of the single-process run (`pca_anomaly`, rank rule energy(0.90)) up to float
// rounding of the scores: a merged state equals a batch fit to working precision.
//
//   mpirun -np 4 ./pca_anomaly_mpi [--data DIR] [--check]
// --check: rank 0 also fits each class on all of its training images in one process (`fit`, as
// pca_anomaly does) and compares the AUROCs; the exit code is 1 if any differs by more than
// 1e-3 (CI runs it so).
#include <subspace/ml/anomaly.hpp>
#include <subspace/mpi.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "common/util.hpp"

namespace {

using subspace::Index;

/// [first, first + count) of n rows for this rank: contiguous, as even as possible.
std::pair<Index, Index> shard(Index n, int rank, int size) {
  const Index base = n / size, extra = n % size;
  const Index first = rank * base + std::min<Index>(rank, extra);
  return {first, base + (rank < extra ? 1 : 0)};
}

/// Rank 0 gets every rank's vector, in rank order (MPI_Gatherv); other ranks get an empty one.
Eigen::VectorXf gather(const Eigen::VectorXf& mine, int rank, int size) {
  const int n = int(mine.size());
  std::vector<int> counts(static_cast<std::size_t>(size)), offsets(counts);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (int i = 0; i < size; ++i) {
    offsets[std::size_t(i)] = total;
    total += counts[std::size_t(i)];
  }
  Eigen::VectorXf all(rank == 0 ? total : 0);
  MPI_Gatherv(mine.data(), n, MPI_FLOAT, all.data(), counts.data(), offsets.data(), MPI_FLOAT, 0,
              MPI_COMM_WORLD);
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int status = 0;
  try {
    std::string data = subspace_examples::default_fashion_mnist_dir();
    bool check = false;
    subspace_examples::Args args(argc, argv,
                                 "usage: mpirun -np P pca_anomaly_mpi [--data DIR] [--check]");
    while (args.next()) {
      if (args.is("--data"))
        data = args.value();
      else if (args.is("--check"))
        check = true;
      else
        args.unknown();
    }
    const auto t0 = subspace_examples::Clock::now();
    const auto [train_first, train_count] = shard(60000, rank, size);
    const auto [test_first, test_count] = shard(10000, rank, size);
    const auto train = subspace_examples::load_fashion_mnist(data, true, train_first, train_count);
    const auto test = subspace_examples::load_fashion_mnist(data, false, test_first, test_count);
    // Rank 0 computes the AUROCs, so it also needs every test label (and for --check, all data).
    subspace_examples::LabelledImages all_test, all_train;
    if (rank == 0) all_test = subspace_examples::load_fashion_mnist(data, false);
    if (rank == 0 && check) all_train = subspace_examples::load_fashion_mnist(data, true);
    const Eigen::VectorXi& all_labels = all_test.labels;
    double worst = 0;  // --check: largest AUROC difference from the single-process fit
    if (rank == 0)
      std::printf("pca_anomaly_mpi on %d ranks: each holds ~%td training and ~%td test images\n",
                  size, train.images.rows(), test.images.rows());
    double sum[3] = {0, 0, 0};
    if (rank == 0) std::printf("class  rank  residual  t2      combined\n");
    for (int c = 0; c < 10; ++c) {
      std::vector<Index> rows;
      for (Index i = 0; i < train.labels.size(); ++i)
        if (train.labels(i) == c) rows.push_back(i);
      Eigen::MatrixXf x(Index(rows.size()), train.images.cols());
      for (std::size_t i = 0; i < rows.size(); ++i) x.row(Index(i)) = train.images.row(rows[i]);
      subspace::PCA<float> pca(subspace::PcaOptions{});  // automatic rank, as pca_anomaly
      if (x.rows() > 0) pca.partial_fit(x);              // a rank may hold no image of class c
      subspace::mpi::allreduce(pca, MPI_COMM_WORLD);
      pca.set_rank_rule(subspace::RankRule::energy(0.90));
      const auto sc = pca.scores(test.images);
      const Eigen::VectorXf* v[3] = {&sc.residual, &sc.t2, &sc.combined};
      double auc[3] = {0, 0, 0};
      for (int s = 0; s < 3; ++s) {
        const Eigen::VectorXf all = gather(*v[s], rank, size);
        if (rank == 0)
          auc[s] = subspace::roc_auc(all, Eigen::VectorXi((all_labels.array() != c).cast<int>()));
      }
      if (rank == 0) {
        std::printf("%5d  %4td  %.4f    %.4f  %.4f\n", c, pca.rank(), auc[0], auc[1], auc[2]);
        for (int s = 0; s < 3; ++s) sum[s] += auc[s] / 10;
      }
      if (rank == 0 && check) {
        std::vector<Index> idx;
        for (Index i = 0; i < all_train.labels.size(); ++i)
          if (all_train.labels(i) == c) idx.push_back(i);
        Eigen::MatrixXf xs(Index(idx.size()), all_train.images.cols());
        for (std::size_t i = 0; i < idx.size(); ++i)
          xs.row(Index(i)) = all_train.images.row(idx[i]);
        subspace::PCA<float> one(subspace::PcaOptions{});
        one.fit(xs).set_rank_rule(subspace::RankRule::energy(0.90));
        const auto ref = one.scores(all_test.images);
        const Eigen::VectorXf* w[3] = {&ref.residual, &ref.t2, &ref.combined};
        const Eigen::VectorXi anomalous = (all_labels.array() != c).cast<int>();
        for (int s = 0; s < 3; ++s)
          worst = std::max(worst, std::abs(subspace::roc_auc(*w[s], anomalous) - auc[s]));
      }
    }
    if (rank == 0)
      std::printf("mean         %.4f    %.4f  %.4f   (%.1f s)\n", sum[0], sum[1], sum[2],
                  subspace_examples::seconds_since(t0));
    if (rank == 0 && check) {
      std::printf("--check: largest AUROC difference from one process fitting all rows: %.1e\n",
                  worst);
      if (!(worst <= 1e-3)) status = 1;
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    std::cerr << "pca_anomaly_mpi (rank " << rank << "): " << e.what() << "\n";
    status = 1;
  }
  MPI_Finalize();
  return status;
}
