// npy_tool: the C++ side of tests/interop/npy_numpy.py.
//   npy_tool copy IN OUT [TYPE]      read IN as TYPE (default f8), write it to OUT as TYPE;
//                                    1-D stays 1-D, 0-d becomes 1 x 1
//   npy_tool write OUT TYPE R C ORD  write the test matrix (below) of TYPE, R x C, ORD = f
//                                    (column-major), c (row-major) or v (1-D; R or C is 1)
//   npy_tool stack IN OUT [TYPE]     read IN with read_npy_stack as TYPE ((C, n, k) becomes
//                                    n x (C k)), write the result to OUT as TYPE
//   npy_tool batch                   one "copy|stack IN OUT TYPE" per line of stdin, answering
//                                    "ok" or "error MESSAGE" per line on stdout
// TYPE: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8. Test matrix, k = i * C + j (C-order index): floats
// (k - 7) / 4 with k = 1..4 replaced by -0, +inf, NaN, the smallest subnormal; integers
// (3 k) mod 100 with k = 0, 1 replaced by the type's max and min. Exit 1 with the message on
// any error.
#include <subspace/io/npy.hpp>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>

namespace io = subspace::io;

template <class S>
int copy(const std::string& in, const std::string& out) {
  io::NpyHeader h;
  const auto m = io::read_npy<S>(in, &h);
  io::write_npy(out, m, h.ndim == 1 ? io::NpyShape::vector : io::NpyShape::matrix);
  return 0;
}

template <class S>
int stack(const std::string& in, const std::string& out) {
  io::write_npy(out, io::read_npy_stack<S>(in));
  return 0;
}

template <class S>
int write(const std::string& out, Eigen::Index r, Eigen::Index c, char order) {
  using L = std::numeric_limits<S>;
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m(r, c);
  for (Eigen::Index k = 0; k < r * c; ++k) {
    S v;
    if constexpr (L::is_integer) {
      v = k == 0 ? L::max() : k == 1 ? L::min() : S((3 * k) % 100);
    } else {
      const S special[] = {-S(0), L::infinity(), L::quiet_NaN(), L::denorm_min()};
      v = k >= 1 && k <= 4 ? special[k - 1] : S(k - 7) / S(4);
    }
    m.data()[k] = v;
  }
  if (order == 'c') io::write_npy(out, m);
  if (order == 'f') io::write_npy(out, Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>(m));
  if (order == 'v') io::write_npy(out, m, io::NpyShape::vector);
  return 0;
}

template <template <class> class F, class... Args>
int dispatch(const std::string& type, Args&&... args) {
  if (type == "f4") return F<float>::run(args...);
  if (type == "f8") return F<double>::run(args...);
  if (type == "i1") return F<std::int8_t>::run(args...);
  if (type == "i2") return F<std::int16_t>::run(args...);
  if (type == "i4") return F<std::int32_t>::run(args...);
  if (type == "i8") return F<std::int64_t>::run(args...);
  if (type == "u1") return F<std::uint8_t>::run(args...);
  if (type == "u2") return F<std::uint16_t>::run(args...);
  if (type == "u4") return F<std::uint32_t>::run(args...);
  if (type == "u8") return F<std::uint64_t>::run(args...);
  std::cerr << "npy_tool: unknown type " << type << "\n";
  return 2;
}
template <class S>
struct Copy {
  static int run(const std::string& in, const std::string& out) { return copy<S>(in, out); }
};
template <class S>
struct Stack {
  static int run(const std::string& in, const std::string& out) { return stack<S>(in, out); }
};
template <class S>
struct Write {
  static int run(const std::string& out, Eigen::Index r, Eigen::Index c, char order) {
    return write<S>(out, r, c, order);
  }
};

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "batch" && argc == 2) {
    std::string line, op, in, out, type;
    while (std::getline(std::cin, line)) {
      std::istringstream ls(line);
      try {
        const bool parsed = bool(ls >> op >> in >> out >> type);
        const int rc = !parsed         ? 2
                       : op == "copy"  ? dispatch<Copy>(type, in, out)
                       : op == "stack" ? dispatch<Stack>(type, in, out)
                                       : 2;
        if (rc != 0) throw std::runtime_error("bad batch line: " + line);
        std::cout << "ok\n";
      } catch (const std::exception& e) {
        std::cout << "error " << e.what() << "\n";
      }
    }
    return 0;
  }
  try {
    if (cmd == "copy" && (argc == 4 || argc == 5))
      return dispatch<Copy>(argc == 5 ? argv[4] : "f8", std::string(argv[2]), std::string(argv[3]));
    if (cmd == "stack" && (argc == 4 || argc == 5))
      return dispatch<Stack>(argc == 5 ? argv[4] : "f8", std::string(argv[2]),
                             std::string(argv[3]));
    if (cmd == "write" && argc == 7)
      return dispatch<Write>(argv[3], std::string(argv[2]), Eigen::Index(std::atol(argv[4])),
                             Eigen::Index(std::atol(argv[5])), argv[6][0]);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  std::cerr
      << "usage: npy_tool copy|stack IN OUT [TYPE] | npy_tool write OUT TYPE ROWS COLS f|c|v\n";
  return 2;
}
