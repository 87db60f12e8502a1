// libFuzzer target for io/npy.hpp: any input must either parse or throw a
// subspace::InvalidArgument (FormatError, TooLarge); any other exception, a crash or a sanitizer
// report is a bug. What parses must survive write_npy -> read_npy unchanged, bit for bit.
//   clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -I include \
//     -I /usr/include/eigen3 tests/fuzz/fuzz_npy.cpp -o /tmp/fuzz_npy
//   /tmp/fuzz_npy -max_total_time=300 tests/fuzz/corpus/fuzz_npy
#include <subspace/io/npy.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

namespace {

template <class S>
void round_trip(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& m) {
  std::stringstream ss;
  subspace::io::write_npy(ss, m);
  const auto back = subspace::io::read_npy<S>(ss, "round trip");
  if (back.rows() != m.rows() || back.cols() != m.cols() ||
      (m.size() != 0 && std::memcmp(back.data(), m.data(), sizeof(S) * std::size_t(m.size()))))
    std::abort();
}

template <class S>
void one(const std::uint8_t* data, std::size_t size) {
  try {
    const auto m = subspace::io::read_npy_buffer<S>(data, size, "fuzz input");
    round_trip<S>(m);
  } catch (const subspace::InvalidArgument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  one<double>(data, size);
  one<float>(data, size);
  one<std::int64_t>(data, size);
  // The stream path (seekable) must agree with the buffer path on acceptance.
  bool buffer_ok = true, stream_ok = true;
  try {
    subspace::io::read_npy_buffer<double>(data, size, "fuzz input");
  } catch (const subspace::InvalidArgument&) {
    buffer_ok = false;
  }
  try {
    std::istringstream is(std::string(reinterpret_cast<const char*>(data), size));
    subspace::io::read_npy<double>(is, "fuzz input");
  } catch (const subspace::InvalidArgument&) {
    stream_ok = false;
  }
  if (buffer_ok != stream_ok) std::abort();
  return 0;
}
