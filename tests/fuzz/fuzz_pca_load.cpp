// libFuzzer target: PCA<double>::load and PCA<float>::load on arbitrary bytes. Only
// subspace::InvalidArgument (FormatError) may come out; an accepted model must satisfy the
// invariants of pca_exercise.hpp.
#include <cstdint>
#include <sstream>
#include <string>

#include "pca_exercise.hpp"

template <class S>
static void run(const std::string& text) {
  subspace::PCA<S> p;
  std::istringstream is(text);
  try {
    p.load(is);
  } catch (const subspace::InvalidArgument&) {
    fuzz::require(p.samples() == 0 && p.dim() == 0, "model unchanged after a failed load");
    return;
  }
  fuzz::exercise(p);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  run<double>(text);
  run<float>(text);
  return 0;
}
