// libFuzzer target for io/bases.hpp and read_npy_stack (io/npy.hpp), the loaders of bases
// trained in PyTorch / NumPy: the input is written to a scratch .npy file and read as a stack,
// a GCR head (double and float) and a gradient projection memory. Every input must either
// load or throw a subspace::InvalidArgument; any other exception, a crash, a leak or a
// sanitizer report is a bug. What loads must hold its invariants: the stack is the file's
// array side by side (checked against read_npy_buffer), every basis orthonormal to the
// Scalar's tolerance.
//   .ci/fuzz.sh fuzz_bases      (seeds: tests/fuzz/corpus/fuzz_bases, written by NumPy)
#include <subspace/io/bases.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "scratch_file.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

template <class S>
void orthonormal(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& u, Eigen::Index k) {
  require(k >= 1 && u.cols() % k == 0 && u.allFinite());
  for (Eigen::Index c = 0; c < u.cols(); c += k) {
    const auto b = u.middleCols(c, k);
    const S err =
        (b.transpose() * b - Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>::Identity(k, k))
            .cwiseAbs()
            .maxCoeff();
    // Twice the tolerance: the loader measured in its own summation order.
    require(err <= 2 * subspace::Tolerance<S>::orthonormality(u.rows()));
  }
}

template <class S>
void one(const std::string& path, const std::uint8_t* data, std::size_t size) {
  try {
    subspace::io::NpyHeader h;
    const auto m = subspace::io::read_npy_stack<S>(path, &h);
    require(m.rows() == h.rows && m.cols() == h.cols);
    if (h.ndim <= 2) {  // a 0- to 2-D file reads as read_npy reads it
      const auto direct = subspace::io::read_npy_buffer<S>(data, size, "fuzz input");
      require(direct.rows() == m.rows() && direct.cols() == m.cols() &&
              (direct.array() == m.array() || (direct.array() != direct.array())).all());
    } else {
      require(h.shape.size() == 3 && m.rows() == Eigen::Index(h.shape[1]) &&
              m.cols() == Eigen::Index(h.shape[0] * h.shape[2]));
    }
  } catch (const subspace::InvalidArgument&) {
  }
  for (const Eigen::Index k : {0, 2}) {  // k from a 3-D shape; k given for a 2-D file
    try {
      const auto head = subspace::io::read_gcr_head<S>(path, k);
      orthonormal<S>(head.bases().basis(), head.bases().dim());
    } catch (const subspace::InvalidArgument&) {
    }
  }
  try {
    const auto mem = subspace::io::read_gradient_projection_memory<S>(path);
    if (mem.size() > 0) orthonormal<S>(mem.basis(), mem.size());
  } catch (const subspace::InvalidArgument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::write_input(data, size);
  one<double>(fuzz::g_in, data, size);
  one<float>(fuzz::g_in, data, size);
  return 0;
}
