// libFuzzer target for io/npz.hpp and io/sklearn.hpp: the input is written to a scratch file
// and read as a .npz archive (the zip container is libzip's, the members io/npy.hpp's), then as
// a scikit-learn PCA model. Every input must either read or throw a subspace::InvalidArgument
// (IoError, FormatError, TooLarge, the model invariants); any other exception, a crash, a leak
// or a sanitizer report is a bug. A model that loads must score a batch (to finite values
// when its numbers are moderate), and every member that reads must survive NpzWriter -> read_npz
// bit for bit.
//   .ci/fuzz.sh fuzz_npz        (seeds: tests/fuzz/corpus/fuzz_npz, written by NumPy)
#include <subspace/io/npz.hpp>
#include <subspace/io/sklearn.hpp>

#include "scratch_file.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

template <class S>
void members(const std::string& path) {
  std::vector<std::string> names;
  try {
    names = subspace::io::npz_names(path);
  } catch (const subspace::InvalidArgument&) {
    return;
  }
  if (names.size() > 8) names.resize(8);
  for (const auto& name : names) {
    try {
      const auto m = subspace::io::read_npz<S>(path, name);
      {
        subspace::io::NpzWriter w(fuzz::g_out, /*compress=*/true);
        w.add(name, m);
        w.close();
      }
      const auto back = subspace::io::read_npz<S>(fuzz::g_out, name);
      if (back.rows() != m.rows() || back.cols() != m.cols() ||
          (m.size() && std::memcmp(back.data(), m.data(), sizeof(S) * std::size_t(m.size()))))
        std::abort();
    } catch (const subspace::InvalidArgument&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::write_input(data, size);
  const std::string path = fuzz::g_in;
  members<double>(path);
  members<float>(path);
  try {
    const auto model = subspace::io::read_sklearn_pca<double>(path);
    const Eigen::MatrixXd x = Eigen::MatrixXd::Ones(3, model.dim());
    const auto s = model.scores(x);
    // Scores of moderate data against a moderate model are finite (huge values may overflow
    // the squared norms to inf, which is the right answer there, so only then is it checked).
    const auto sv = model.singular_values().head(model.rank());
    // t2 ~ |x - mean|^2 (n - 1) / s_min^2 and n <= 2^53: 1e50-sized limits keep it < 1e220.
    const bool moderate = model.mean().cwiseAbs().maxCoeff() < 1e50 &&
                          (sv.size() == 0 || (sv.minCoeff() > 1e-50 && sv.maxCoeff() < 1e50)) &&
                          model.total_sum_of_squares() < 1e100;
    if (moderate && (!s.residual.allFinite() || !s.t2.allFinite())) std::abort();
  } catch (const subspace::InvalidArgument&) {
  }
  return 0;
}
