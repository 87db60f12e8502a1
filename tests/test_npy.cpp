// Tests of io/npy.hpp: round trips of every scalar type, shape and layout (through files,
// streams and expressions); hand-built byte buffers (built here, independently of the writer)
// for every dtype, byte order, memory order and format version; the header grammar; every
// error path, each message naming the file. tests/fuzz/fuzz_npy.cpp has found no crash so far
// (2.8 million inputs); any input it finds belongs here as a regression case.
#include <subspace/io/bases.hpp>
#include <subspace/io/npy.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace test;
using subspace::FormatError;
using subspace::io::IoError;
using subspace::io::NpyHeader;
using subspace::io::NpyShape;
using subspace::io::read_npy;
using subspace::io::read_npy_buffer;
using subspace::io::write_npy;
using Bytes = std::vector<std::uint8_t>;

namespace {

namespace fs = std::filesystem;

using test::TempDir;

/// A .npy file by hand: magic, version, header length (u16 for 1.x, u32 otherwise), the header
/// text exactly as given, then the payload.
Bytes npy_bytes(int major, int minor, const std::string& header, const Bytes& payload) {
  Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', std::uint8_t(major), std::uint8_t(minor)};
  const std::size_t n = header.size();
  b.push_back(std::uint8_t(n & 0xff));
  b.push_back(std::uint8_t((n >> 8) & 0xff));
  if (major != 1) {
    b.push_back(std::uint8_t((n >> 16) & 0xff));
    b.push_back(std::uint8_t((n >> 24) & 0xff));
  }
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// The header text NumPy-style: the dict, then spaces and '\n' so the payload is 64-aligned.
std::string padded(const std::string& dict, int major) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string h = dict;
  while ((prefix + h.size() + 1) % 64 != 0) h += ' ';
  return h + '\n';
}

/// Appends the `size` low bytes of the two's-complement / IEEE bit pattern `bits`.
void put(Bytes& b, std::uint64_t bits, int size, bool big_endian) {
  for (int k = 0; k < size; ++k) {
    const int shift = 8 * (big_endian ? size - 1 - k : k);
    b.push_back(std::uint8_t((bits >> shift) & 0xff));
  }
}

/// The bit pattern of value v stored as dtype (kind, size).
std::uint64_t bits_of(double v, char kind, int size) {
  if (kind == 'f') {
    if (size == 4) {
      const float f = static_cast<float>(v);
      std::uint32_t u;
      std::memcpy(&u, &f, 4);
      return u;
    }
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    return u;
  }
  return std::uint64_t(static_cast<std::int64_t>(v));  // two's complement, truncated by put
}

template <class S>
Mat<S> random_matrix(std::mt19937_64& gen, Index r, Index c) {
  Mat<S> m(r, c);
  for (Index i = 0; i < m.size(); ++i) {
    if constexpr (std::is_floating_point<S>::value) {
      m.data()[i] = static_cast<S>(std::normal_distribution<double>(0, 1e3)(gen));
    } else {
      m.data()[i] = static_cast<S>(gen());  // every bit pattern of the type
    }
  }
  return m;
}

template <class S>
bool same_bits(const Mat<S>& a, const Mat<S>& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(S) * std::size_t(a.size())) == 0);
}

template <class S>
Mat<S> from_bytes(const Bytes& b, const std::string& name = "buffer.npy") {
  return read_npy_buffer<S>(b.data(), b.size(), name);
}

template <class S>
Mat<S> from_stream(const std::string& s) {
  std::istringstream is(s);
  return read_npy<S>(is, "stream.npy");
}

/// A read-only streambuf that cannot seek (like a pipe).
class PipeBuf : public std::streambuf {
 public:
  explicit PipeBuf(const Bytes& b) : data_(b.begin(), b.end()) {
    char* p = data_.empty() ? nullptr : data_.data();
    setg(p, p, p + data_.size());
  }

 private:
  std::vector<char> data_;
};

template <class S>
Mat<S> from_pipe(const Bytes& b) {
  PipeBuf buf(b);
  std::istream is(&buf);
  return read_npy<S>(is, "pipe.npy");
}

/// Expects read_npy_buffer<double> to throw FormatError whose message names the buffer and
/// contains `needle`.
void require_format_error(const Bytes& b, const std::string& needle) {
  require_throws<FormatError>([&] { from_bytes<double>(b, "bad.npy"); }, needle);
  require_throws<FormatError>([&] { from_bytes<double>(b, "bad.npy"); }, "bad.npy");
}

Bytes header_only(const std::string& dict, const Bytes& payload = {}) {
  return npy_bytes(1, 0, padded(dict, 1), payload);
}

}  // namespace

TEMPLATE_TEST_CASE("npy: round trips bit for bit, every scalar type and shape", "[npy]", float,
                   double, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                   std::uint32_t, std::int64_t, std::uint64_t) {
  using S = TestType;
  std::mt19937_64 gen(4401);
  TempDir dir("subspace_npy_test_");
  for (const auto& shape : std::vector<std::pair<Index, Index>>{
           {0, 3}, {3, 0}, {0, 0}, {1, 1}, {1, 5}, {5, 1}, {7, 4}, {4, 7}}) {
    const Index r = shape.first, c = shape.second;
    CAPTURE(r, c);
    const Mat<S> m = random_matrix<S>(gen, r, c);
    // column-major through a file (fortran_order True when r, c > 1)
    const std::string path = dir.file("m.npy");
    write_npy(path, m);
    NpyHeader h;
    CHECK(same_bits<S>(read_npy<S>(path, &h), m));
    CHECK(h.fortran_order == (r > 1 && c > 1));
    CHECK(h.ndim == 2);
    CHECK(h.data_offset % 64 == 0);
    // row-major storage (C order), and an expression (evaluated once), through streams
    const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rm = m;
    std::stringstream s1, s2, s3;
    write_npy(s1, rm);
    CHECK(same_bits<S>(from_stream<S>(s1.str()), m));
    write_npy(s2, m.transpose());
    CHECK(same_bits<S>(from_stream<S>(s2.str()), Mat<S>(m.transpose())));
    // (m - m + m, not m + m: the entries cover the whole integer range, and a signed sum would
    // overflow, the undefined behaviour UBSan found in this test)
    write_npy(s3, (m.array() - m.array() + m.array()).matrix());
    CHECK(same_bits<S>(from_stream<S>(s3.str()), m));
    // as seen through a pipe (no seeking)
    const std::string str = s1.str();
    CHECK(same_bits<S>(from_pipe<S>(Bytes(str.begin(), str.end())), m));
    // vectors as 1-D
    if (r == 1 || c == 1) {
      std::stringstream sv;
      write_npy(sv, m, NpyShape::vector);
      const std::string v = sv.str();
      NpyHeader hv;
      const Mat<S> back = read_npy_buffer<S>(reinterpret_cast<const std::uint8_t*>(v.data()),
                                             v.size(), "v.npy", &hv);
      CHECK(hv.ndim == 1);
      CHECK(back.cols() == 1);
      CHECK(back.rows() == m.size());
      CHECK(std::memcmp(back.data(), m.data(), sizeof(S) * std::size_t(m.size())) == 0);
    }
  }
  // A strided block and a Map with an outer stride: written without the padding between columns.
  const Mat<S> big = random_matrix<S>(gen, 9, 8);
  std::stringstream sb, sm;
  write_npy(sb, big.block(2, 1, 5, 6));
  CHECK(same_bits<S>(from_stream<S>(sb.str()), Mat<S>(big.block(2, 1, 5, 6))));
  Eigen::Map<const Mat<S>, 0, Eigen::OuterStride<>> map(big.data(), 4, 8, Eigen::OuterStride<>(9));
  write_npy(sm, map);
  CHECK(same_bits<S>(from_stream<S>(sm.str()), Mat<S>(map)));
}

TEST_CASE("npy: large-ish round trips in both orders and the header NumPy writes", "[npy]") {
  std::mt19937_64 gen(4402);
  const Mat<double> m = random_matrix<double>(gen, 1000, 300);
  std::stringstream sc, sr;
  write_npy(sc, m);
  write_npy(sr, Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>(m));
  CHECK(same_bits<double>(from_stream<double>(sc.str()), m));
  CHECK(same_bits<double>(from_stream<double>(sr.str()), m));
  CHECK(same_bits<float>(from_stream<float>(sr.str()), Mat<float>(m.cast<float>())));
  // The header, byte for byte as numpy 1.24 np.save(np.asfortranarray(a)) writes it for a
  // 1000 x 300 float64 array: keys sorted, 21 - len("300") growth spaces, padded to 128.
  std::string expect = "{'descr': '<f8', 'fortran_order': True, 'shape': (1000, 300), }";
  expect += std::string(18, ' ');
  while ((10 + expect.size() + 1) % 64) expect += ' ';
  expect += '\n';
  const std::string s = sc.str();
  CHECK(s.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(std::size_t(std::uint8_t(s[8])) + 256 * std::size_t(std::uint8_t(s[9])) == expect.size());
  CHECK(s.substr(10, expect.size()) == expect);
  CHECK(s.size() == 10 + expect.size() + 8 * 300000);
}

TEST_CASE("npy: hand-built buffers of every dtype, byte order, memory order and version", "[npy]") {
  // A 2 x 3 array a(i, j) = 10 i + j + 1, with a(1, 2) = -5 for the signed kinds.
  struct D {
    char kind;
    int size;
  };
  for (const D d : {D{'f', 4}, D{'f', 8}, D{'i', 1}, D{'i', 2}, D{'i', 4}, D{'i', 8}, D{'u', 1},
                    D{'u', 2}, D{'u', 4}, D{'u', 8}}) {
    Mat<double> expect(2, 3);
    for (Index i = 0; i < 2; ++i)
      for (Index j = 0; j < 3; ++j) expect(i, j) = double(10 * i + j + 1);
    if (d.kind != 'u') expect(1, 2) = -5;
    const std::vector<char> orders =
        d.size == 1 ? std::vector<char>{'|', '<', '>'} : std::vector<char>{'<', '>'};
    for (const char order : orders)
      for (const bool fortran : {false, true})
        for (const int major : {1, 2, 3}) {
          const std::string descr = std::string(1, order) + d.kind + char('0' + d.size);
          CAPTURE(descr, fortran, major);
          Bytes payload;
          for (Index o = 0; o < (fortran ? 3 : 2); ++o)
            for (Index t = 0; t < (fortran ? 2 : 3); ++t)
              put(payload, bits_of(fortran ? expect(t, o) : expect(o, t), d.kind, d.size), d.size,
                  order == '>');
          const std::string dict = "{'descr': '" + descr +
                                   "', 'fortran_order': " + (fortran ? "True" : "False") +
                                   ", 'shape': (2, 3), }";
          const Bytes b = npy_bytes(major, 0, padded(dict, major), payload);
          NpyHeader h;
          const Mat<double> md = read_npy_buffer<double>(b.data(), b.size(), "hand.npy", &h);
          CHECK(md == expect);
          CHECK(h.major == major);
          CHECK(h.descr == descr);
          CHECK(h.fortran_order == fortran);
          CHECK(from_bytes<float>(b) == expect.cast<float>());
          if (d.kind != 'f') {
            CHECK(from_bytes<std::int64_t>(b) == expect.cast<std::int64_t>());
            CHECK(from_bytes<std::int16_t>(b) == expect.cast<std::int16_t>());
          }
          CHECK(from_pipe<double>(b) == expect);
          // 1-D (the first row) and 0-d (the first element) of the same dtype
          Bytes p1;
          for (Index j = 0; j < 3; ++j)
            put(p1, bits_of(expect(0, j), d.kind, d.size), d.size, order == '>');
          const Bytes b1 = npy_bytes(
              major, 0,
              padded("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (3,), }", major),
              p1);
          CHECK(from_bytes<double>(b1) == Mat<double>(expect.row(0).transpose()));
          const Bytes b0 = npy_bytes(
              major, 0,
              padded("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (), }", major),
              Bytes(p1.begin(), p1.begin() + d.size));
          CHECK(from_bytes<double>(b0) == Mat<double>::Constant(1, 1, 1.0));
        }
  }
}

TEST_CASE("npy: conversions are exact or refused", "[npy][errors]") {
  auto one = [](const std::string& descr, std::uint64_t bits) {
    Bytes p;
    const int size = descr[2] - '0';
    put(p, bits, size, descr[0] == '>');
    return header_only("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }", p);
  };
  const std::uint64_t two53 = std::uint64_t(1) << 53;
  CHECK(from_bytes<double>(one("<i8", two53))(0) == 9007199254740992.0);
  CHECK(from_bytes<double>(one("<i8", std::uint64_t(1) << 62))(0) == std::ldexp(1.0, 62));
  CHECK(from_bytes<double>(one("<i8", std::uint64_t(std::numeric_limits<std::int64_t>::min())))(
            0) == -std::ldexp(1.0, 63));
  require_throws<FormatError>([&] { from_bytes<double>(one("<i8", two53 + 1), "c.npy"); },
                              "element (0, 0) = 9007199254740993");
  require_throws<FormatError>([&] { from_bytes<double>(one("<u8", ~std::uint64_t(0)), "c.npy"); },
                              "c.npy");
  CHECK(from_bytes<float>(one("<i4", 1 << 24))(0) == 16777216.0f);
  require_throws<FormatError>([&] { from_bytes<float>(one("<i4", (1 << 24) + 1)); },
                              "does not convert exactly");
  require_throws<FormatError>([&] { from_bytes<std::int8_t>(one("|u1", 255)); }, "= 255");
  require_throws<FormatError>([&] { from_bytes<std::uint32_t>(one("|i1", 0xff)); }, "= -1");
  require_throws<FormatError>([&] { from_bytes<std::int16_t>(one("<u4", 40000)); }, "40000");
  CHECK(from_bytes<std::uint8_t>(one("<i8", 200))(0) == 200);
  double big = 1e300, nan = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t u;
  std::memcpy(&u, &big, 8);
  require_throws<FormatError>([&] { from_bytes<float>(one("<f8", u)); }, "element (0, 0)");
  std::memcpy(&u, &nan, 8);
  CHECK(std::isnan(from_bytes<float>(one("<f8", u))(0)));
  CHECK(from_bytes<float>(one(">f8", bits_of(0.1, 'f', 8)))(0) == 0.1f);
  require_throws<FormatError>([&] { from_bytes<std::int32_t>(one("<f8", 0), "c.npy"); },
                              "cannot be read into an integer matrix");
}

TEST_CASE("npy: the header grammar accepts what Python's dict literal allows here", "[npy]") {
  const Bytes pay = {1, 0, 0, 0, 2, 0, 0, 0};  // two <i4
  for (const std::string& dict : std::vector<std::string>{
           "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
           "{'shape': (2,), 'descr': '<i4', 'fortran_order': False}",
           "{\"fortran_order\": True, \"shape\": (2, ), \"descr\": \"<i4\"}",
           "{'descr':'<i4','fortran_order':False,'shape':(2,)}",
           " \t{\n 'descr' : '<i4' ,\r\n 'fortran_order' : False , 'shape' : ( 2 , ) , } \n",
           "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }",
           "{'descr': '<i4', 'fortran_order': True, 'shape': (1, 2,), }",
           "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"}) {
    CAPTURE(dict);
    CHECK(from_bytes<double>(npy_bytes(1, 0, dict, pay)).sum() == 3);  // unpadded, no newline
    CHECK(from_bytes<double>(header_only(dict, pay)).sum() == 3);
  }
}

TEST_CASE("npy: every malformed header is a FormatError naming the file and the fault",
          "[npy][errors]") {
  const Bytes p8(8, 0);
  auto dict = [](const std::string& descr, const std::string& order, const std::string& shape) {
    return "{'descr': " + descr + ", 'fortran_order': " + order + ", 'shape': " + shape + ", }";
  };
  // keys
  require_format_error(header_only("{'fortran_order': False, 'shape': (1,), }", p8),
                       "missing key 'descr'");
  require_format_error(header_only("{'descr': '<f8', 'shape': (1,), }", p8),
                       "missing key 'fortran_order'");
  require_format_error(header_only("{'descr': '<f8', 'fortran_order': False}", p8),
                       "missing key 'shape'");
  require_format_error(
      header_only("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'descr': '<f8'}", p8),
      "duplicate key 'descr'");
  require_format_error(
      header_only("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", p8),
      "unexpected key 'extra'");
  require_format_error(header_only("{}", p8), "missing key");
  require_format_error(header_only("", p8), "expected '{'");
  require_format_error(header_only("[1]", p8), "expected '{'");
  require_format_error(header_only(dict("'<f8'", "False", "(1,)") + " x", p8),
                       "unexpected text after");
  require_format_error(header_only("{'descr' '<f8'}", p8), "expected ':'");
  require_format_error(header_only("{'descr': '<f8' 'fortran_order': False}", p8),
                       "expected ',' or '}'");
  require_format_error(header_only("{descr: '<f8'}", p8), "quoted string");
  require_format_error(npy_bytes(1, 0, "{'descr': '<f8", p8), "unterminated string");
  require_format_error(header_only("{'descr': '<\\x66", p8), "escape");
  require_format_error(header_only("{'descr': '<f\xc3\xa9'}", p8), "non-ASCII");
  require_format_error(header_only("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", p8),
                       "expected ',' or '}'");
  // values
  require_format_error(header_only(dict("'<f8'", "false", "(1,)"), p8), "True or False");
  require_format_error(header_only(dict("'<f8'", "Truely", "(1,)"), p8), "True or False");
  require_format_error(header_only(dict("'<f8'", "1", "(1,)"), p8), "True or False");
  require_format_error(header_only(dict("'<f8'", "False", "(1)"), p8), "trailing comma");
  require_format_error(header_only(dict("'<f8'", "False", "1"), p8), "must be a tuple");
  require_format_error(header_only(dict("'<f8'", "False", "[1]"), p8), "must be a tuple");
  require_format_error(header_only(dict("'<f8'", "False", "(1 1)"), p8), "expected ',' or ')'");
  require_format_error(header_only(dict("'<f8'", "False", "(1,,)"), p8), "non-negative integer");
  require_format_error(header_only(dict("'<f8'", "False", "(a,)"), p8), "non-negative integer");
  require_format_error(header_only(dict("'<f8'", "False", "(-1, 3)"), p8), "negative dimension");
  require_format_error(header_only(dict("'<f8'", "False", "(01,)"), p8), "leading zero");
  require_format_error(header_only(dict("'<f8'", "False", "(1.0,)"), p8), "plain decimal");
  require_format_error(header_only(dict("'<f8'", "False", "(1L,)"), p8), "plain decimal");
  require_format_error(header_only(dict("'<f8'", "False", "(99999999999999999999,)"), p8),
                       "does not fit a signed 64-bit");
  require_format_error(header_only(dict("'<f8'", "False", "(2, 2, 2)"), Bytes(64, 0)),
                       "shape (2, 2, 2) has 3 dimensions");
  CHECK(from_bytes<double>(header_only(dict("'<f8'", "False", "(  )"), p8)).size() == 1);
  std::string many = "(";
  for (int i = 0; i < 65; ++i) many += "1, ";
  require_format_error(header_only(dict("'<f8'", "False", many + ")"), p8), "more than 64");
  // dtypes
  for (const char* d : {"'<c16'", "'|O'", "'<f2'", "'<f16'", "'|i4'", "'=f8'", "'<b1'", "'<U3'",
                        "'f8'", "'<M8[ns]'", "''"})
    require_format_error(header_only(dict(d, "False", "(1,)"), p8), "unsupported dtype");
  require_format_error(header_only(dict("[('a', '<f8')]", "False", "(1,)"), p8), "structured");
}

TEST_CASE("npy: prefix, length and payload errors", "[npy][errors]") {
  const std::string good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  const Bytes ok = header_only(good, Bytes(16, 0));
  CHECK(from_bytes<double>(ok).size() == 2);
  // magic and version
  require_format_error(Bytes{}, "shorter than the 8-byte prefix");
  require_format_error(Bytes(ok.begin(), ok.begin() + 7), "shorter than the 8-byte prefix");
  Bytes bad = ok;
  bad[1] = 'n';
  require_format_error(bad, "not \\x93NUMPY");
  for (const auto& v : std::vector<std::pair<int, int>>{{0, 0}, {4, 0}, {1, 1}, {2, 5}, {255, 0}}) {
    bad = ok;
    bad[6] = std::uint8_t(v.first);
    bad[7] = std::uint8_t(v.second);
    require_format_error(bad, "unsupported .npy format version " + std::to_string(v.first) + "." +
                                  std::to_string(v.second));
  }
  // header length
  require_format_error(Bytes(ok.begin(), ok.begin() + 9), "inside the header length");
  require_format_error(npy_bytes(2, 0, "", {}), "header");
  bad = npy_bytes(1, 0, padded(good, 1), {});
  bad[8] = 0xff;
  bad[9] = 0xff;
  require_format_error(bad, "header length 65535 exceeds the");
  bad = npy_bytes(2, 0, padded(good, 2), Bytes(16, 0));
  bad[11] = 0x7f;
  require_format_error(bad, "above the 1 MiB");
  // payload
  require_format_error(header_only(good, Bytes(15, 0)), "truncated payload");
  require_format_error(header_only(good, Bytes(15, 0)), "needs 16 bytes, 15 present");
  require_format_error(header_only(good, Bytes(17, 0)), "1 bytes of trailing data");
  require_format_error(header_only(good, {}), "truncated");
  // overflow of rows * cols * itemsize, and huge shapes that would need terabytes: rejected
  // before anything is allocated (Eigen allocations are forbidden around the read).
  require_format_error(
      header_only("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
      "more bytes than fit a 64-bit size");
  require_format_error(header_only("{'descr': '<f8', 'fortran_order': False, 'shape': "
                                   "(9223372036854775807, 2), }"),
                       "more bytes than fit");
  require_format_error(
      header_only("{'descr': '|u1', 'fortran_order': False, 'shape': (9223372036854775807,), }"),
      "truncated payload");
  Eigen::internal::set_is_malloc_allowed(false);
  require_format_error(
      header_only("{'descr': '<f8', 'fortran_order': True, 'shape': (1000000, 1000000), }",
                  Bytes(64, 0)),
      "needs 8000000000000 bytes, 64 present");
  Eigen::internal::set_is_malloc_allowed(true);
}

TEST_CASE("npy: streams, pipes, files and their errors", "[npy][errors]") {
  const std::string good = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }";
  const Bytes ok = header_only(good, {1, 0, 2, 0, 3, 0, 4, 0});
  Mat<double> expect(2, 2);
  expect << 1, 2, 3, 4;
  CHECK(from_pipe<double>(ok) == expect);
  // a pipe cannot be measured first: truncation and trailing data are found while reading
  require_throws<FormatError>([&] { from_pipe<double>(Bytes(ok.begin(), ok.end() - 1)); },
                              "pipe.npy: truncated payload");
  Bytes longer = ok;
  longer.push_back(0);
  require_throws<FormatError>([&] { from_pipe<double>(longer); }, "pipe.npy: trailing data");
  require_throws<FormatError>(
      [&] {
        from_pipe<double>(header_only(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", Bytes(9, 0)));
      },
      "truncated payload");
  // a stream whose exception mask is set still reports FormatError, and keeps its mask
  std::istringstream is(std::string(ok.begin(), ok.end() - 1));
  is.exceptions(std::ios::failbit | std::ios::badbit);
  require_throws<FormatError>([&] { read_npy<double>(is, "masked.npy"); }, "masked.npy");
  CHECK(is.exceptions() == (std::ios::failbit | std::ios::badbit));
  // files
  TempDir dir("subspace_npy_test_");
  const std::string path = dir.file("x.npy");
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(ok.data()), std::streamsize(ok.size() - 2));
  }
  require_throws<FormatError>([&] { read_npy<double>(path); }, path + ": truncated payload");
  const std::string missing = dir.file("does_not_exist.npy");
  require_throws<IoError>([&] { read_npy<double>(missing); }, "cannot open '" + missing + "'");
  require_throws<subspace::InvalidArgument>([&] { read_npy<float>(missing); }, missing);
  const std::string nowhere = dir.file("no/such/dir/y.npy");
  require_throws<IoError>([&] { write_npy(nowhere, expect); }, "cannot open '" + nowhere + "'");
  require_throws<subspace::DimensionMismatch>([&] { write_npy(path, expect, NpyShape::vector); },
                                              "needs a row or column vector");
  // a null buffer is an empty one
  require_throws<FormatError>([&] { read_npy_buffer<double>(nullptr, 100, "null"); }, "null");
}

TEST_CASE("npy: writing plain matrices and Maps allocates nothing through Eigen", "[npy]") {
  std::mt19937_64 gen(4403);
  const Mat<double> m = random_matrix<double>(gen, 64, 32);
  std::stringstream s1, s2;
  write_npy(s1, m);
  Eigen::internal::set_is_malloc_allowed(false);
  write_npy(s2, m);
  write_npy(s2, Eigen::Map<const Mat<double>>(m.data(), 32, 64));
  Eigen::internal::set_is_malloc_allowed(true);
  const std::string one = s1.str(), two = s2.str();
  CHECK(two.substr(0, one.size()) == one);
  const Mat<double> back =
      read_npy_buffer<double>(reinterpret_cast<const std::uint8_t*>(two.data()) + one.size(),
                              two.size() - one.size(), "map.npy");
  CHECK(back == Eigen::Map<const Mat<double>>(m.data(), 32, 64));
}

TEST_CASE("npy: NpyRowReader streams a C-order file in blocks; scalars; Fortran order refused",
          "[npy]") {
  TempDir dir("subspace_npy_rows_");
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> c(11, 4);
  for (Index i = 0; i < c.rows(); ++i)
    for (Index j = 0; j < c.cols(); ++j) c(i, j) = double(10 * i + j) + 0.25;
  write_npy(dir.file("c.npy"), c);  // row-major storage: C order
  subspace::io::NpyRowReader<float> reader(dir.file("c.npy"));
  CHECK(reader.rows() == 11);
  CHECK(reader.cols() == 4);
  Eigen::MatrixXf block;
  Index seen = 0;
  for (Index b; (b = reader.next(block, 3)) > 0; seen += b) {
    CHECK(block.rows() == std::min<Index>(3, 11 - seen));
    for (Index i = 0; i < b; ++i)
      for (Index j = 0; j < 4; ++j) CHECK(block(i, j) == float(c(seen + i, j)));
  }
  CHECK(seen == 11);
  CHECK(reader.rows_read() == 11);
  CHECK_THROWS_AS(reader.next(block, 0), subspace::InvalidParameter);
  // A column-major matrix is written in Fortran order: not streamable by rows.
  write_npy(dir.file("f.npy"), Eigen::MatrixXd(c));
  CHECK_THROWS_AS(subspace::io::NpyRowReader<double>(dir.file("f.npy")), FormatError);
  CHECK_THROWS_AS(subspace::io::NpyRowReader<double>(dir.file("missing.npy")), IoError);
  // 0-D arrays: written with shape (), read back as 1 x 1.
  write_npy(dir.file("s.npy"), Eigen::Matrix<std::int64_t, 1, 1>::Constant(42), NpyShape::scalar);
  NpyHeader h;
  const auto s = read_npy<std::int64_t>(dir.file("s.npy"), &h);
  CHECK(h.ndim == 0);
  CHECK(s.rows() == 1);
  CHECK(s(0, 0) == 42);
  CHECK_THROWS_AS(write_npy(dir.file("bad.npy"), Eigen::MatrixXd::Zero(2, 1), NpyShape::scalar),
                  subspace::DimensionMismatch);
}

namespace {

/// Writes bytes to a file.
void write_file(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  REQUIRE(f.good());
}

/// The .npy bytes of a 3-D array t[c][i][j] = value(c, i, j) of shape (C, n, k), built by hand
/// in C or Fortran order (float64 or float32, little-endian).
template <class F>
Bytes stack_bytes(Index count, Index n, Index k, bool fortran, int size, F value) {
  Bytes payload;
  auto put_one = [&](Index c, Index i, Index j) {
    put(payload, bits_of(value(c, i, j), 'f', size), size, false);
  };
  if (fortran) {
    for (Index j = 0; j < k; ++j)
      for (Index i = 0; i < n; ++i)
        for (Index c = 0; c < count; ++c) put_one(c, i, j);
  } else {
    for (Index c = 0; c < count; ++c)
      for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < k; ++j) put_one(c, i, j);
  }
  const std::string dict = std::string("{'descr': '<f") + char('0' + size) +
                           "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" +
                           std::to_string(count) + ", " + std::to_string(n) + ", " +
                           std::to_string(k) + "), }";
  return npy_bytes(1, 0, padded(dict, 1), payload);
}

}  // namespace

TEST_CASE("npy: read_npy_stack lays a (C, n, k) stack side by side, both orders", "[npy]") {
  TempDir dir("subspace_npy_bases_");
  auto value = [](Index c, Index i, Index j) { return double(100 * c + 10 * i + j) + 0.5; };
  for (const bool fortran : {false, true}) {
    for (const Index count : {Index(1), Index(3)}) {
      write_file(dir.file("s.npy"), stack_bytes(count, 4, 2, fortran, 8, value));
      NpyHeader h;
      const Eigen::MatrixXd m = subspace::io::read_npy_stack<double>(dir.file("s.npy"), &h);
      CHECK(h.ndim == 3);
      CHECK(h.shape == std::vector<std::uint64_t>{std::uint64_t(count), 4, 2});
      REQUIRE(m.rows() == 4);
      REQUIRE(m.cols() == 2 * count);
      for (Index c = 0; c < count; ++c)
        for (Index i = 0; i < 4; ++i)
          for (Index j = 0; j < 2; ++j) CHECK(m(i, c * 2 + j) == value(c, i, j));
    }
  }
  // read_npy refuses 3-D and says where to go; 2-D files come back as read_npy reads them.
  write_file(dir.file("s.npy"), stack_bytes(2, 3, 2, false, 8, value));
  require_throws<FormatError>([&] { read_npy<double>(dir.file("s.npy")); }, "read_npy_stack");
  const Eigen::MatrixXd two = Eigen::MatrixXd::Random(3, 5);
  write_npy(dir.file("two.npy"), two);
  CHECK(subspace::io::read_npy_stack<double>(dir.file("two.npy")) == two);
  // Four dimensions, a short payload, a missing file.
  write_file(
      dir.file("4d.npy"),
      npy_bytes(1, 0,
                padded("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1), }", 1),
                Bytes(8, 0)));
  CHECK_THROWS_AS(subspace::io::read_npy_stack<double>(dir.file("4d.npy")), FormatError);
  Bytes cut = stack_bytes(2, 3, 2, false, 8, value);
  cut.resize(cut.size() - 8);
  write_file(dir.file("cut.npy"), cut);
  CHECK_THROWS_AS(subspace::io::read_npy_stack<double>(dir.file("cut.npy")), FormatError);
  CHECK_THROWS_AS(subspace::io::read_npy_stack<double>(dir.file("missing.npy")), IoError);
  // Shapes with no bytes whose other sizes still overflow are refused; an empty stack with a
  // huge count returns at once (no loop over the count), and the header describes the result.
  write_file(dir.file("over.npy"),
             npy_bytes(1, 0,
                       padded("{'descr': '<f8', 'fortran_order': True, 'shape': (0, 3, "
                              "4611686018427387904), }",
                              1),
                       {}));
  CHECK_THROWS_AS(subspace::io::read_npy_stack<double>(dir.file("over.npy")), FormatError);
  write_file(
      dir.file("many.npy"),
      npy_bytes(1, 0,
                padded("{'descr': '<f8', 'fortran_order': False, 'shape': (576460752303423488, "
                       "0, 1), }",
                       1),
                {}));
  NpyHeader hm;
  const Eigen::MatrixXd many = subspace::io::read_npy_stack<double>(dir.file("many.npy"), &hm);
  CHECK(many.rows() == 0);
  CHECK(many.cols() == Index(1) << 59);
  CHECK(hm.rows == 0);
  CHECK(hm.cols == Index(1) << 59);
}

TEST_CASE("read_gcr_head: PyTorch's C x d x k float32 stack, the side-by-side 2-D form, errors",
          "[npy][gcr]") {
  TempDir dir("subspace_npy_bases_");
  test::Rng rng(7);
  const Index d = 10, k = 2, count = 3;
  // Reference bases in double (Haar), and the float32 values a PyTorch model would hold.
  Eigen::MatrixXd u(d, count * k);
  for (Index c = 0; c < count; ++c)
    u.middleCols(c * k, k) = haar_orthogonal(rng, d).leftCols(k).template cast<double>();
  const Eigen::MatrixXd uf = u.cast<float>().cast<double>();
  auto at = [&](const Eigen::MatrixXd& m) {
    return [&m](Index c, Index i, Index j) { return m(i, c * k + j); };
  };
  write_file(dir.file("gcr_f4.npy"), stack_bytes(count, d, k, false, 4, at(uf)));
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(d, 5);
  const subspace::GcrHead<double> reference(
      subspace::GrassmannProduct<double>::from_orthonormal(u, k));

  // float32 into double: checked at float32 precision, re-orthonormalized in double.
  const auto head = subspace::io::read_gcr_head<double>(dir.file("gcr_f4.npy"));
  CHECK(head.classes() == count);
  CHECK(head.subspace_dim() == k);
  CHECK(head.feature_dim() == d);
  for (Index c = 0; c < count; ++c) {
    const Eigen::MatrixXd b = head.bases().block(c);
    CHECK(orthonormality_error<double>(b) <= 50 * eps<double>());
    // Same span as the file's basis, and the same vectors, to float32 rounding.
    CHECK((b - u.middleCols(c * k, k)).cwiseAbs().maxCoeff() <= 10 * eps<float>());
  }
  CHECK((head.logits(x) - reference.logits(x)).cwiseAbs().maxCoeff() <= 16 * 20 * eps<float>());
  CHECK(head.predict(x) == reference.predict(x));
  // Read as float: the file's own precision, nothing to widen.
  const auto headf = subspace::io::read_gcr_head<float>(dir.file("gcr_f4.npy"));
  CHECK(Eigen::MatrixXd(headf.bases().basis().cast<double>()) == uf);

  // The 2-D side-by-side form (d, C k), float64: read as it is (bit for bit), k required.
  write_npy(dir.file("gcr_2d.npy"), u);
  const auto head2 = subspace::io::read_gcr_head<double>(dir.file("gcr_2d.npy"), k);
  CHECK(head2.bases().basis() == u);
  CHECK(head2.logits(x) == reference.logits(x));
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("gcr_2d.npy")),
                  subspace::InvalidParameter);
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("gcr_2d.npy"), 4),
                  subspace::DimensionMismatch);
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("gcr_f4.npy"), 3),
                  subspace::DimensionMismatch);
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("gcr_f4.npy"), -1),
                  subspace::InvalidParameter);
  subspace::GcrOptions bad_scale;
  bad_scale.scale = 0;
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("gcr_f4.npy"), 0, bad_scale),
                  subspace::InvalidParameter);
  // The same float32 stack in Fortran order gives the same head.
  write_file(dir.file("gcr_f4_fortran.npy"), stack_bytes(count, d, k, true, 4, at(uf)));
  CHECK(subspace::io::read_gcr_head<double>(dir.file("gcr_f4_fortran.npy")).bases().basis() ==
        head.bases().basis());
  // Values accurate to float32 only (here: each basis's first column 2e-6 too long) saved as
  // float64 are checked at double's tolerance and refused with a hint; as float32 they pass:
  // the tolerance follows the file's dtype.
  Eigen::MatrixXd coarse = u;
  for (Index c = 0; c < count; ++c) coarse.col(c * k) *= 1 + 2e-6;
  write_file(dir.file("coarse_f8.npy"), stack_bytes(count, d, k, false, 8, at(coarse)));
  require_throws<FormatError>(
      [&] { subspace::io::read_gcr_head<double>(dir.file("coarse_f8.npy")); }, "saved as float64");
  write_file(dir.file("coarse_f4.npy"), stack_bytes(count, d, k, false, 4, at(coarse)));
  CHECK(subspace::io::read_gcr_head<double>(dir.file("coarse_f4.npy")).classes() == count);
  // A basis that is not orthonormal even at float32 precision, and a NaN.
  Eigen::MatrixXd bad = u;
  bad.col(3) *= 1.01;
  write_npy(dir.file("bad.npy"), bad);
  require_throws<FormatError>([&] { subspace::io::read_gcr_head<double>(dir.file("bad.npy"), k); },
                              "basis 1");
  bad = u;
  bad(0, 0) = std::numeric_limits<double>::quiet_NaN();
  write_npy(dir.file("nan.npy"), bad);
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("nan.npy"), k), FormatError);
  write_npy(dir.file("vec.npy"), Eigen::VectorXd::Ones(4));
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("vec.npy"), 1), FormatError);
  CHECK_THROWS_AS(subspace::io::read_gcr_head<double>(dir.file("missing.npy"), 1), IoError);
}

TEST_CASE("read_gradient_projection_memory: d x m bases from .npy, float32 widened, errors",
          "[npy][gpm]") {
  TempDir dir("subspace_npy_bases_");
  test::Rng rng(8);
  const Index d = 12, m = 4;
  const Eigen::MatrixXd basis = haar_orthogonal(rng, d).leftCols(m).cast<double>();
  write_npy(dir.file("gpm.npy"), basis);
  const auto memory = subspace::io::read_gradient_projection_memory<double>(dir.file("gpm.npy"));
  CHECK(memory.basis() == basis);
  Eigen::MatrixXd g = Eigen::MatrixXd::Random(3, d), g_ref = g;
  memory.project(g);
  subspace::GradientProjectionMemory<double>::from_basis(basis).project(g_ref);
  CHECK(g == g_ref);
  CHECK((g * basis).cwiseAbs().maxCoeff() <= 100 * eps<double>());

  // float32 data: accepted at its precision, orthonormal in double after the load.
  write_npy(dir.file("gpm_f4.npy"), Eigen::MatrixXf(basis.cast<float>()));
  const auto widened =
      subspace::io::read_gradient_projection_memory<double>(dir.file("gpm_f4.npy"));
  CHECK(orthonormality_error<double>(widened.basis()) <= 50 * eps<double>());
  CHECK((widened.basis() - basis).cwiseAbs().maxCoeff() <= 10 * eps<float>());
  // ... which a double memory from the same values refuses without the loader's widening.
  CHECK_THROWS_AS(
      subspace::GradientProjectionMemory<double>::from_basis(basis.cast<float>().cast<double>()),
      subspace::NotOrthonormal);

  write_npy(dir.file("wide.npy"), Eigen::MatrixXd::Identity(3, 5));
  CHECK_THROWS_AS(subspace::io::read_gradient_projection_memory<double>(dir.file("wide.npy")),
                  FormatError);
  Eigen::MatrixXd skew = basis;
  skew.col(0) += 1e-3 * skew.col(1);
  write_npy(dir.file("skew.npy"), skew);
  CHECK_THROWS_AS(subspace::io::read_gradient_projection_memory<double>(dir.file("skew.npy")),
                  FormatError);
  // An empty memory (d, 0) is a valid memory.
  write_npy(dir.file("empty.npy"), Eigen::MatrixXd(d, 0));
  CHECK(subspace::io::read_gradient_projection_memory<double>(dir.file("empty.npy")).size() == 0);
}

TEST_CASE("npy: write_npy refuses a shape that is no NpyShape enumerator", "[npy][enum]") {
  std::ostringstream os;
  const Eigen::MatrixXd m = Eigen::MatrixXd::Ones(2, 2);
  require_throws<subspace::InvalidParameter>([&] { write_npy(os, m, static_cast<NpyShape>(7)); },
                                             "not an NpyShape enumerator");
  CHECK(os.str().empty());  // nothing written before the check
}
