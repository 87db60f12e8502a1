// libFuzzer target: the examples' IDX reader (examples/common/idx.hpp), plain or gzip, on
// arbitrary bytes written to a per-process temporary file. Only subspace::FormatError may come
// out (DataFileError would mean the temporary file vanished); an accepted array must hold
// exactly the product of its dimensions.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/subspace_fuzz_idx_" +
           std::to_string(::getpid());
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  try {
    const auto a = subspace_examples::read_idx(path);
    std::uint64_t total = 1;
    for (auto n : a.dims) {
      if (n < 1) std::abort();
      total *= std::uint64_t(n);
    }
    if (a.dims.empty() || a.dims.size() > 4 || total != a.data.size()) std::abort();
  } catch (const subspace::FormatError&) {
  }
  return 0;
}
