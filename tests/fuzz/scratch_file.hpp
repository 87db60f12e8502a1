// Shared by the fuzz targets whose readers take a path (fuzz_npz.cpp, fuzz_bases.cpp): one
// scratch directory per fuzzing process with two files, `in` (the input, rewritten for every
// run) and `out` (for round trips), removed at exit; it defines LLVMFuzzerInitialize. Plain char
// arrays, because the atexit cleanup must not touch objects that are already destroyed by then.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace fuzz {

inline char g_dir[] = "/tmp/subspace_fuzz.XXXXXX";
inline char g_in[sizeof g_dir + 8], g_out[sizeof g_dir + 8];

/// Creates the directory; called once, from LLVMFuzzerInitialize below.
inline void make_scratch() {
  if (!mkdtemp(g_dir)) std::abort();
  std::snprintf(g_in, sizeof g_in, "%s/in", g_dir);
  std::snprintf(g_out, sizeof g_out, "%s/out", g_dir);
  std::atexit([] {
    std::remove(g_in);
    std::remove(g_out);
    rmdir(g_dir);
  });
}

/// Writes the fuzz input to g_in.
inline void write_input(const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(g_in, "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) std::abort();
}

}  // namespace fuzz

// libFuzzer calls this once before the first input (this header is included by exactly one
// translation unit of each fuzz target).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::make_scratch();
  return 0;
}
