// sklearn_tool MODEL.npz X.npy TRANSFORM.npy EXPORT.npz: reads a scikit-learn PCA saved with
// np.savez (io/sklearn.hpp), writes our transform of X, and exports the model back in
// scikit-learn's attributes; tests/interop/sklearn_score.py compares both with scikit-learn.
#include <subspace/io/sklearn.hpp>

#include <cstdio>

int main(int argc, char** argv) try {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sklearn_tool MODEL.npz X.npy TRANSFORM.npy EXPORT.npz\n");
    return 2;
  }
  const auto pca = subspace::io::read_sklearn_pca<double>(argv[1]);
  const Eigen::MatrixXd x = subspace::io::read_npy<double>(argv[2]);
  subspace::io::write_npy(argv[3], pca.transform(x));
  subspace::io::write_sklearn_pca(argv[4], pca);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sklearn_tool: %s\n", e.what());
  return 1;
}
