// The installed IDX reader (find_package(subspace COMPONENTS idx), target subspace::idx): the
// Fashion-MNIST test split, streamed by rows and loaded whole, must agree.
#include <subspace/io/idx.hpp>

#include <cstdio>

int main() {
  const std::string dir = subspace::io::default_fashion_mnist_dir();
  const auto split = subspace::io::load_fashion_mnist(dir, false);
  subspace::io::IdxRowReader reader(dir + "/t10k-images-idx3-ubyte.gz");
  Eigen::MatrixXf block;
  Eigen::Index row = 0, mismatches = 0;
  for (Eigen::Index b; (b = reader.next(block, 1000)) > 0; row += b)
    mismatches += ((block / 255.0f - split.images.middleRows(row, b)).array() != 0.0f).count();
  std::printf("Fashion-MNIST test split: %td images x %td pixels, %td streamed, %td mismatches\n",
              split.images.rows(), split.images.cols(), row, mismatches);
  return split.images.rows() == 10000 && row == 10000 && mismatches == 0 ? 0 : 1;
}
