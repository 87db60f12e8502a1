// libFuzzer target: PCA<double>::deserialize and PCA<float>::deserialize on arbitrary bytes
// (the scalar tag of the buffer picks which one can succeed). Only subspace::InvalidArgument
// (FormatError) may come out; an accepted model must satisfy pca_exercise.hpp.
#include <cstdint>

#include "pca_exercise.hpp"

template <class S>
static void run(const std::uint8_t* data, std::size_t size) {
  subspace::PCA<S> p;
  try {
    p.deserialize(data, size);
  } catch (const subspace::InvalidArgument&) {
    fuzz::require(p.samples() == 0 && p.dim() == 0, "model unchanged after a failed load");
    return;
  }
  fuzz::exercise(p);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run<double>(data, size);
  run<float>(data, size);
  return 0;
}
