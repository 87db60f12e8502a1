// libFuzzer target: the IDX reader (subspace/io/idx.hpp), plain or gzip, on arbitrary bytes
// written to a per-process temporary file. Only subspace::FormatError may come out (IoError
// would mean the temporary file vanished); an accepted array must hold exactly the product of
// its dimensions, and IdxRowReader must return the same bytes in blocks, or fail as read_idx did.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <subspace/io/idx.hpp>

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
    const auto a = subspace::io::read_idx(path);
    std::uint64_t total = 1;
    for (auto n : a.dims) {
      if (n < 1) std::abort();
      total *= std::uint64_t(n);
    }
    if (a.dims.empty() || a.dims.size() > 4 || total != a.data.size()) std::abort();
    // An accepted file streams to the same bytes and ends cleanly.
    subspace::io::IdxRowReader reader(path);
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic> block;
    std::size_t at = 0;
    for (Eigen::Index b; (b = reader.next(block, 3)) > 0;)
      for (Eigen::Index i = 0; i < b; ++i)
        for (Eigen::Index j = 0; j < block.cols(); ++j)
          if (block(i, j) != double(a.data[at++])) std::abort();
    if (at != a.data.size()) std::abort();
  } catch (const subspace::FormatError&) {
  }
  return 0;
}
