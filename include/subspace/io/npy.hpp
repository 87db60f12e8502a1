// SPDX-License-Identifier: MIT
// io/npy.hpp: NumPy .npy files <-> Eigen matrices (read_npy, write_npy).
//
// Format (NumPy Enhancement Proposal 1, and numpy/lib/format.py, which is the reference):
//   "\x93NUMPY", major, minor (1.0, 2.0 or 3.0), the header length HEADER_LEN (little-endian
//   uint16 in 1.0, uint32 in 2.0 and 3.0), then HEADER_LEN bytes of header (latin-1 in 1.0/2.0,
//   UTF-8 in 3.0): the repr of a Python dict {'descr': ..., 'fortran_order': ..., 'shape': ...}
//   padded with spaces and ended by '\n', then the raw elements, C (row-major) or Fortran
//   (column-major) order.
//
// No package in Debian 12 offers a C++ reader of these files, so this is the one parser written
// by hand here; it is kept small, and it treats every byte as untrusted (fuzzed by
// tests/fuzz/fuzz_npy.cpp):
//  * the header is parsed by a strict grammar of the dict literal NumPy writes: the three keys
//    in any order, each exactly once, quoted with ' or " (no escapes), True/False, a tuple of
//    non-negative decimal integers with the Python tuple rules ("(3,)", "(3, 4)", "(3, 4,)",
//    "()"; "(3)" is not a tuple), commas and optional trailing comma, whitespace (space, tab,
//    CR, LF) anywhere between tokens. Anything else is a FormatError. Headers above 1 MiB are
//    refused (NumPy itself refuses 10000 bytes by default);
//  * sizes from the header are checked for overflow (rows * cols * itemsize in 64 bits) and
//    against the bytes actually present before anything is allocated; a truncated payload and
//    trailing bytes after it are FormatErrors; std::bad_alloc never escapes (a genuine array
//    too large for memory is subspace::TooLarge).
//
// What is supported, and the choices made:
//  * dtypes float32 and float64 ('<f4', '>f4', '<f8', '>f8') and the integers i1 i2 i4 i8
//    u1 u2 u4 u8 in either byte order ('|i1' / '|u1' for one byte; '<' and '>' accepted there
//    too). Everything else (bool, float16, complex, datetimes, strings, structured and object
//    dtypes '|O') is a FormatError naming the descr.
//  * shapes: (r, c) -> r x c; (n,) -> n x 1 (one column); () (a 0-d scalar) -> 1 x 1. More
//    than two dimensions is a FormatError naming the shape, except that read_npy_stack reads
//    a 3-D stack (C, n, k) as n x (C k), the matrices side by side. Empty dimensions are fine.
//  * conversions to the requested Scalar never change a value silently: an integer that the
//    Scalar cannot hold exactly (int64 beyond 2^53 into double, beyond 2^24 into float, a
//    negative or too-large value into an integer Scalar) is a FormatError naming the element;
//    float64 into float rounds to nearest (NaN and +-Inf are kept, a finite value beyond the
//    float range is a FormatError); floating data into an integer Scalar is a FormatError.
//  * copies: when the dtype is the Scalar's own in the host's byte order and the layout is
//    column-major (fortran_order True, or one row, one column, 1-D or 0-d), the payload is read
//    straight into the matrix storage, nothing else. Otherwise (C order, a byte swap or a
//    conversion) it is read in 64 KiB chunks into a staging buffer and scattered into the
//    matrix: still one pass, and no second full-size buffer. A stream that cannot seek (a
//    pipe) is read into a buffer first, since its size cannot be checked otherwise.
//  * write_npy writes version 1.0 (the header of a 1-D or 2-D array is under 200 bytes, far
//    from the 65535 that would need 2.0), little-endian, the header byte for byte as NumPy 1.24
//    writes it (keys sorted, 21-digit growth padding, data at a multiple of 64 bytes), and
//    fortran_order True for a column-major matrix with more than one row and column (exactly
//    when NumPy would say so for the same memory), so nothing is transposed or copied.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <new>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "error.hpp"

namespace subspace::io {

/// \addtogroup io
/// @{

/// What a .npy header says, as read_npy understood it.
struct NpyHeader {
  /// Format version major.minor (1.0, 2.0 or 3.0).
  int major = 0, minor = 0;  ///< format version
  std::string descr;         ///< dtype as written, e.g. "<f8", "|u1"
  /// Whether the payload is stored column-major (Fortran order).
  bool fortran_order = false;
  int ndim = 0;                      ///< 0, 1 or 2 (3: read_npy_stack only)
  Eigen::Index rows = 0, cols = 0;   ///< the matrix returned: (n,) -> n x 1, (C, n, k) -> n x C k
  std::uint64_t data_offset = 0;     ///< bytes before the payload
  std::vector<std::uint64_t> shape;  ///< the shape as the header gives it
};

/// \var NpyHeader::rows
/// Rows of the matrix read_npy returns ((n,) -> n rows).

/// How write_npy stores a matrix: always 2-D (r, c), 1-D (n,) for a row or column vector, or
/// 0-D () for a 1 x 1 matrix (a Python scalar saved by np.savez, e.g. scikit-learn's n_samples_).
enum class NpyShape { matrix, vector, scalar };

namespace detail {

using subspace::detail::message;

constexpr std::size_t npy_max_header = std::size_t(1) << 20;
constexpr std::size_t npy_chunk = std::size_t(1) << 16;

inline bool host_big_endian() {
  const std::uint16_t one = 1;
  unsigned char b = 0;
  std::memcpy(&b, &one, 1);
  return b == 0;
}

/// A parsed descr: kind 'f', 'i' or 'u', size in bytes, byte order.
struct Dtype {
  char kind = 0;
  int size = 0;
  bool big_endian = false;
};

template <class S>
constexpr bool is_own_dtype(const Dtype& d) {
  if (std::is_floating_point<S>::value) return d.kind == 'f' && d.size == int(sizeof(S));
  return d.kind == (std::is_signed<S>::value ? 'i' : 'u') && d.size == int(sizeof(S));
}

template <class S>
constexpr void check_scalar() {
  static_assert(std::is_same<S, float>::value || std::is_same<S, double>::value ||
                    (std::is_integral<S>::value && !std::is_same<S, bool>::value &&
                     (sizeof(S) == 1 || sizeof(S) == 2 || sizeof(S) == 4 || sizeof(S) == 8)),
                "subspace::io npy: Scalar must be float, double or an 8- to 64-bit integer");
}

/// The descr NumPy writes for S on a little-endian file.
template <class S>
std::string descr_of() {
  const char kind = std::is_floating_point<S>::value ? 'f' : std::is_signed<S>::value ? 'i' : 'u';
  return std::string(1, sizeof(S) == 1 ? '|' : '<') + kind + char('0' + sizeof(S));
}

/// Printable excerpt of header text for messages (non-printable bytes as \xNN, cut at 120).
inline std::string printable(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < 120; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (out.size() >= 120) out += "...";
  return out;
}

/// Strict parser of the header dict (grammar in the file comment).
class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& text, const std::string& name) : h_(text), name_(name) {}

  void parse(NpyHeader& out, std::vector<std::uint64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = string_literal("a key");
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        once(have_descr, key);
        if (peek() == '[') fail("structured dtypes (a list descr) are not supported");
        out.descr = string_literal("the descr string");
      } else if (key == "fortran_order") {
        once(have_order, key);
        out.fortran_order = boolean();
      } else if (key == "shape") {
        once(have_shape, key);
        tuple(shape);
      } else {
        fail(message("unexpected key '", key, "' (expected 'descr', 'fortran_order', 'shape')"));
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' after a value");
    }
    ++pos_;  // '}'
    skip_ws();
    if (pos_ != h_.size()) fail("unexpected text after the closing '}'");
    if (!have_descr) fail("missing key 'descr'");
    if (!have_order) fail("missing key 'fortran_order'");
    if (!have_shape) fail("missing key 'shape'");
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(message("read_npy: ", name_, ": malformed header at byte ", pos_, ": ", what,
                              " (header: ", printable(h_), ")"));
  }

 private:
  int peek() const { return pos_ < h_.size() ? static_cast<unsigned char>(h_[pos_]) : -1; }
  void skip_ws() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(message("expected '", c, "'"));
    ++pos_;
  }
  void once(bool& seen, const std::string& key) {
    if (seen) fail(message("duplicate key '", key, "'"));
    seen = true;
  }
  std::string string_literal(const char* what) {
    const int q = peek();
    if (q != '\'' && q != '"') fail(message("expected ", what, " as a quoted string"));
    ++pos_;
    std::string s;
    for (;;) {
      const int c = peek();
      if (c == q) break;
      if (c < 0) fail("unterminated string");
      if (c == '\\') fail("escape sequences in strings are not supported");
      if (c < 0x20 || c >= 0x7f) fail("non-printable or non-ASCII byte in a string");
      if (s.size() >= 64) fail("string longer than 64 characters");
      s += char(c);
      ++pos_;
    }
    ++pos_;
    return s;
  }
  bool boolean() {
    for (const char* word : {"True", "False"}) {
      const std::size_t n = std::strlen(word);
      if (h_.compare(pos_, n, word) == 0) {
        const std::size_t end = pos_ + n;
        const int next = end < h_.size() ? static_cast<unsigned char>(h_[end]) : -1;
        if (!(std::isalnum(next) || next == '_')) {
          pos_ = end;
          return word[0] == 'T';
        }
      }
    }
    fail("fortran_order must be True or False");
  }
  std::uint64_t integer() {
    if (peek() == '-') fail("negative dimension in shape");
    if (peek() < '0' || peek() > '9') fail("expected a non-negative integer in shape");
    if (peek() == '0' && pos_ + 1 < h_.size() && h_[pos_ + 1] >= '0' && h_[pos_ + 1] <= '9')
      fail("integer with a leading zero in shape");
    std::uint64_t v = 0;
    const std::uint64_t max = std::uint64_t(std::numeric_limits<std::int64_t>::max());
    while (peek() >= '0' && peek() <= '9') {
      const std::uint64_t d = std::uint64_t(peek() - '0');
      if (v > (max - d) / 10) fail("dimension in shape does not fit a signed 64-bit integer");
      v = v * 10 + d;
      ++pos_;
    }
    const int c = peek();
    if (std::isalpha(c) || c == '_' || c == '.') fail("expected a plain decimal integer in shape");
    return v;
  }
  void tuple(std::vector<std::uint64_t>& shape) {
    if (peek() != '(') fail("shape must be a tuple such as (3,) or (3, 4)");
    ++pos_;
    bool comma = false;
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      if (shape.size() >= 64) fail("shape has more than 64 dimensions");
      shape.push_back(integer());
      skip_ws();
      comma = peek() == ',';
      if (comma) {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
    if (shape.size() == 1 && !comma) fail("a 1-element shape needs a trailing comma: (n,)");
    ++pos_;
  }

  const std::string& h_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

inline Dtype parse_descr(const std::string& d, const std::string& name) {
  Dtype t;
  const bool ok_form = d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|') &&
                       (d[1] == 'f' || d[1] == 'i' || d[1] == 'u') &&
                       (d[2] == '1' || d[2] == '2' || d[2] == '4' || d[2] == '8');
  if (ok_form) {
    t.kind = d[1];
    t.size = d[2] - '0';
    t.big_endian = d[0] == '>';
  }
  const bool ok = ok_form && (t.kind != 'f' || t.size >= 4) && (d[0] != '|' || t.size == 1);
  if (!ok)
    throw FormatError(message("read_npy: ", name, ": unsupported dtype '", printable(d),
                              "' (supported: <f4 >f4 <f8 >f8, |i1 |u1, and <i2 <i4 <i8 <u2 <u4 "
                              "<u8 in either byte order)"));
  return t;
}

inline std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// Bytes from memory.
struct MemorySource {
  const std::uint8_t* data;
  std::size_t size, pos = 0;
  std::size_t read(void* dst, std::size_t n) {
    n = std::min(n, size - pos);
    if (n) std::memcpy(dst, data + pos, n);
    pos += n;
    return n;
  }
  bool remaining(std::uint64_t& r) const {
    r = size - pos;
    return true;
  }
  bool at_end() const { return pos == size; }
};

/// Bytes from an istream; `remaining` works when the stream can seek.
struct StreamSource {
  std::istream& is;
  std::size_t read(void* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n && is) {  // in steps that fit std::streamsize on every platform
      const std::size_t step = std::min<std::size_t>(n - got, std::size_t(1) << 30);
      is.read(static_cast<char*>(dst) + got, static_cast<std::streamsize>(step));
      got += static_cast<std::size_t>(is.gcount());
    }
    return got;
  }
  bool remaining(std::uint64_t& r) {
    const std::streampos here = is.tellg();
    if (here == std::streampos(-1)) return false;
    is.seekg(0, std::ios::end);
    const std::streampos end = is.tellg();
    is.seekg(here);
    if (!is || end == std::streampos(-1) || end < here) {
      is.clear();
      is.seekg(here);
      return false;
    }
    r = static_cast<std::uint64_t>(end - here);
    return true;
  }
  bool at_end() { return is.peek() == std::char_traits<char>::eof(); }
};

/// Clears a stream's exception mask for the duration of a read, so that a short read is our
/// FormatError rather than std::ios_base::failure; restores it after.
struct ExceptionMaskGuard {
  std::istream& is;
  std::ios_base::iostate saved;
  explicit ExceptionMaskGuard(std::istream& s) : is(s), saved(s.exceptions()) {
    is.exceptions(std::ios_base::goodbit);
  }
  ~ExceptionMaskGuard() {
    try {
      is.exceptions(saved);
    } catch (...) {  // restoring the mask of a bad stream throws; the read already reported
    }
  }
};

/// Opens the file stream `f` on `path` in binary `mode`; throws IoError "<who>: cannot open
/// '<path>' for <purpose>: <strerror>" if that fails (the one message of every opening here).
template <class FileStream>
void open_file(FileStream& f, const std::string& path, std::ios::openmode mode, const char* who,
               const char* purpose) {
  errno = 0;
  f.open(path, std::ios::binary | mode);
  if (!f)
    throw IoError(message(who, ": cannot open '", path, "' for ", purpose, errno ? ": " : "",
                          errno ? std::strerror(errno) : ""));
}

/// The element at p as T (native), from a file in the given byte order.
template <class T>
T load(const unsigned char* p, bool big_endian) {
  using U = std::conditional_t<
      sizeof(T) == 1, std::uint8_t,
      std::conditional_t<sizeof(T) == 2, std::uint16_t,
                         std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  U u = 0;
  for (std::size_t k = 0; k < sizeof(T); ++k)
    u = static_cast<U>((u << 4 << 4) | U(p[big_endian ? k : sizeof(T) - 1 - k]));
  T v;
  std::memcpy(&v, &u, sizeof(T));
  return v;
}

/// v converted to S if exact (integers) or in range (float64 -> float); false otherwise.
template <class S, class T>
bool convert(T v, S& out) {
  if constexpr (std::is_floating_point<T>::value) {
    static_assert(std::is_floating_point<S>::value, "checked before reading");
    if (sizeof(S) < sizeof(T) && std::isfinite(v) && std::abs(v) > T(std::numeric_limits<S>::max()))
      return false;
    out = static_cast<S>(v);
    return true;
  } else if constexpr (std::is_floating_point<S>::value) {
    // |v| as uint64 (no overflow for INT64_MIN), exact iff its odd part has <= digits bits.
    std::uint64_t m = std::uint64_t(v);
    if constexpr (std::is_signed<T>::value)
      if (v < 0) m = std::uint64_t(0) - m;
    if (m != 0)
      while ((m & 1) == 0) m >>= 1;
    if (m >> (std::numeric_limits<S>::digits - 1) > 1) return false;
    out = static_cast<S>(v);
    return true;
  } else {
    if constexpr (std::is_signed<T>::value) {
      if (v < 0) {
        if (!std::is_signed<S>::value ||
            std::int64_t(v) < std::int64_t(std::numeric_limits<S>::min()))
          return false;
      } else if (std::uint64_t(v) > std::uint64_t(std::numeric_limits<S>::max())) {
        return false;
      }
    } else if (std::uint64_t(v) > std::uint64_t(std::numeric_limits<S>::max())) {
      return false;
    }
    out = static_cast<S>(v);
    return true;
  }
}

[[noreturn]] inline void truncated(const std::string& name, std::uint64_t need, std::uint64_t got) {
  throw FormatError(message("read_npy: ", name, ": truncated payload: the shape needs ", need,
                            " bytes, only ", got, " present"));
}

/// Reads rows*cols elements of T (file order) into dst (column-major rows x cols), converting.
template <class S, class T, class Src>
void fill(Src& src, S* dst, Eigen::Index rows, Eigen::Index cols, bool c_order, bool big_endian,
          const std::string& name) {
  const std::uint64_t total = std::uint64_t(rows) * std::uint64_t(cols);
  const std::size_t per = npy_chunk / sizeof(T);
  std::vector<unsigned char> buf(std::size_t(std::min<std::uint64_t>(total, per)) * sizeof(T));
  Eigen::Index i = 0, j = 0;  // C-order position of the next element
  for (std::uint64_t e = 0; e < total;) {
    const std::size_t n = std::size_t(std::min<std::uint64_t>(per, total - e));
    const std::size_t got = src.read(buf.data(), n * sizeof(T));
    if (got != n * sizeof(T)) truncated(name, total * sizeof(T), e * sizeof(T) + got);
    for (std::size_t t = 0; t < n; ++t, ++e) {
      const T v = load<T>(buf.data() + t * sizeof(T), big_endian);
      const Eigen::Index at = c_order ? j * rows + i : Eigen::Index(e);
      if (!convert(v, dst[at])) {
        const Eigen::Index r = c_order ? i : Eigen::Index(e) % rows;
        const Eigen::Index c = c_order ? j : Eigen::Index(e) / rows;
        throw FormatError(message("read_npy: ", name, ": element (", r, ", ", c, ") = ", +v,
                                  " does not convert exactly to the requested ", sizeof(S) * 8,
                                  "-bit ", std::is_floating_point<S>::value ? "float" : "integer",
                                  " type"));
      }
      if (c_order && ++j == cols) {
        j = 0;
        ++i;
      }
    }
  }
}

template <class S, class Src>
void fill_dtype(Src& src, S* dst, Eigen::Index rows, Eigen::Index cols, bool c_order,
                const Dtype& d, const std::string& name) {
  const bool be = d.big_endian;
  switch (d.kind == 'f' ? 10 + d.size : d.kind == 'i' ? d.size : 20 + d.size) {
    case 14:
      if constexpr (std::is_floating_point<S>::value)
        return fill<S, float>(src, dst, rows, cols, c_order, be, name);
      break;
    case 18:
      if constexpr (std::is_floating_point<S>::value)
        return fill<S, double>(src, dst, rows, cols, c_order, be, name);
      break;
    case 1:
      return fill<S, std::int8_t>(src, dst, rows, cols, c_order, be, name);
    case 2:
      return fill<S, std::int16_t>(src, dst, rows, cols, c_order, be, name);
    case 4:
      return fill<S, std::int32_t>(src, dst, rows, cols, c_order, be, name);
    case 8:
      return fill<S, std::int64_t>(src, dst, rows, cols, c_order, be, name);
    case 21:
      return fill<S, std::uint8_t>(src, dst, rows, cols, c_order, be, name);
    case 22:
      return fill<S, std::uint16_t>(src, dst, rows, cols, c_order, be, name);
    case 24:
      return fill<S, std::uint32_t>(src, dst, rows, cols, c_order, be, name);
    case 28:
      return fill<S, std::uint64_t>(src, dst, rows, cols, c_order, be, name);
    default:
      break;
  }
  SUBSPACE_ASSERT(false && "dtype checked before reading");
}

/// Reads and validates everything up to the payload; returns the header and leaves `src` at
/// the first payload byte. `payload` gets the payload size, checked against what is present
/// when the source can tell (`known`).
/// Up to `max_ndim` dimensions (2, or 3 for read_npy_stack). A 3-D array (a, b, c) is described
/// as the 2-D array its payload also is: (a b, c) in C order, (a, b c) in Fortran order.
template <class Src>
NpyHeader read_header(Src& src, const std::string& name, Dtype& dtype, std::uint64_t& payload,
                      bool& known, std::uint64_t& present, int max_ndim = 2) {
  unsigned char pre[12];
  const std::size_t got = src.read(pre, 8);
  if (got < 8 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
    throw FormatError(message(
        "read_npy: ", name, ": not a .npy file (",
        got < 8 ? "shorter than the 8-byte prefix" : "the first 6 bytes are not \\x93NUMPY", ")"));
  NpyHeader h;
  h.major = pre[6];
  h.minor = pre[7];
  if (h.major < 1 || h.major > 3 || h.minor != 0)
    throw FormatError(message("read_npy: ", name, ": unsupported .npy format version ", h.major,
                              ".", h.minor, " (supported: 1.0, 2.0, 3.0)"));
  const std::size_t len_bytes = h.major == 1 ? 2 : 4;
  if (src.read(pre + 8, len_bytes) != len_bytes)
    throw FormatError(message("read_npy: ", name, ": file ends inside the header length"));
  std::uint64_t hlen = 0;
  for (std::size_t k = len_bytes; k-- > 0;) hlen = (hlen << 8) | pre[8 + k];
  std::uint64_t left = 0;
  known = src.remaining(left);
  if (hlen > npy_max_header)
    throw FormatError(message("read_npy: ", name, ": header length ", hlen,
                              " is above the 1 MiB this reader accepts"));
  if (known && hlen > left)
    throw FormatError(message("read_npy: ", name, ": header length ", hlen, " exceeds the ", left,
                              " bytes after the prefix"));
  std::string text(std::size_t(hlen), '\0');
  if (src.read(&text[0], text.size()) != text.size())
    throw FormatError(message("read_npy: ", name, ": file ends inside the ", hlen, "-byte header"));
  h.data_offset = 8 + len_bytes + hlen;

  std::vector<std::uint64_t> shape;
  NpyHeaderParser(text, name).parse(h, shape);
  dtype = parse_descr(h.descr, name);
  if (shape.size() > std::size_t(max_ndim))
    throw FormatError(message(
        "read_npy: ", name, ": shape ", shape_text(shape), " has ", shape.size(),
        " dimensions; only 0- to ", max_ndim, "-D arrays are read here",
        max_ndim == 2 && shape.size() == 3 ? " (a stack of matrices: subspace::io::read_npy_stack)"
                                           : ""));
  h.ndim = int(shape.size());
  h.shape = shape;
  // Every size formed from the shape (rows and columns of the matrix read, the payload, and
  // the n x (C k) matrix of a stack) must fit an Index in bytes, whether or not another
  // dimension is zero: a shape (0, 3, 2^62) holds no bytes but would still overflow them.
  const std::uint64_t max_elems =
      std::uint64_t(std::numeric_limits<Eigen::Index>::max()) / std::uint64_t(dtype.size);
  const auto mul = [&](std::uint64_t a, std::uint64_t b) {
    if (a > max_elems || b > max_elems || (b != 0 && a > max_elems / b))
      throw FormatError(message("read_npy: ", name, ": shape ", shape_text(shape),
                                " has more bytes than fit a 64-bit size"));
    return a * b;
  };
  std::uint64_t r = shape.empty() ? 1 : shape[0];
  std::uint64_t c = shape.size() >= 2 ? shape[1] : 1;
  if (shape.size() == 3) {
    (void)mul(shape[0], shape[2]);  // the stack's columns, C k
    if (h.fortran_order) {
      c = mul(c, shape[2]);
    } else {
      r = mul(r, shape[1]);
      c = shape[2];
    }
  }
  (void)mul(r, c);
  h.rows = Eigen::Index(r);
  h.cols = Eigen::Index(c);
  payload = r * c * std::uint64_t(dtype.size);
  if (known) {
    present = left - hlen;
    if (present < payload)
      throw FormatError(message("read_npy: ", name, ": truncated payload: shape ",
                                shape_text(shape), " of ", h.descr, " needs ", payload, " bytes, ",
                                present, " present"));
    if (present > payload)
      throw FormatError(message("read_npy: ", name, ": ", present - payload,
                                " bytes of trailing data after the ", payload,
                                "-byte payload of shape ", shape_text(shape)));
  }
  return h;
}

template <class S, class Src>
Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> read_payload(Src& src, const NpyHeader& h,
                                                              const Dtype& d, std::uint64_t payload,
                                                              const std::string& name) {
  if (std::is_integral<S>::value && d.kind == 'f')
    throw FormatError(message("read_npy: ", name, ": floating-point data (", h.descr,
                              ") cannot be read into an integer matrix"));
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> m;
  try {
    m.resize(h.rows, h.cols);
  } catch (const std::bad_alloc&) {
    throw TooLarge(message("read_npy: ", name, ": cannot allocate ", h.rows, " x ", h.cols,
                           " elements (", payload, " bytes)"));
  }
  const bool c_order = !h.fortran_order && h.rows > 1 && h.cols > 1;
  if (is_own_dtype<S>(d) && d.big_endian == host_big_endian() && !c_order) {
    const std::size_t got = payload ? src.read(m.data(), std::size_t(payload)) : 0;
    if (got != payload) truncated(name, payload, got);
  } else {
    fill_dtype(src, m.data(), h.rows, h.cols, c_order, d, name);
  }
  return m;
}

template <class S, class Src>
Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> read_any(Src& src, const std::string& name,
                                                          NpyHeader* header_out, int max_ndim = 2) {
  check_scalar<S>();
  Dtype d;
  std::uint64_t payload = 0, present = 0;
  bool known = false;
  const NpyHeader h = read_header(src, name, d, payload, known, present, max_ndim);
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> m;
  if (known) {
    m = read_payload<S>(src, h, d, payload, name);
  } else {
    // A stream of unknown length: buffer what is actually there (growth bounded by the data),
    // then check the size, then decode.
    std::vector<std::uint8_t> bytes;
    try {
      while (bytes.size() < payload) {
        const std::size_t old = bytes.size();
        const std::size_t step = std::size_t(
            std::min<std::uint64_t>(payload - old, std::max<std::size_t>(old, npy_chunk)));
        bytes.resize(old + step);
        const std::size_t got = src.read(bytes.data() + old, step);
        bytes.resize(old + got);
        if (got < step) truncated(name, payload, bytes.size());
      }
    } catch (const std::bad_alloc&) {
      throw TooLarge(message("read_npy: ", name, ": cannot buffer a ", payload, "-byte payload"));
    }
    if (!src.at_end())
      throw FormatError(
          message("read_npy: ", name, ": trailing data after the ", payload, "-byte payload"));
    MemorySource mem{bytes.data(), bytes.size()};
    m = read_payload<S>(mem, h, d, payload, name);
  }
  if (header_out) *header_out = h;
  return m;
}

}  // namespace detail

/// Reads a .npy array from `size` bytes at `data` (a .npz member, a fuzzer input) into a
/// column-major matrix: (r, c) -> r x c, (n,) -> n x 1, () -> 1 x 1. The buffer must hold
/// exactly one array (trailing bytes are an error). `name` is used in messages. If `header` is
/// not null it receives what the header said.
/// Supported dtypes, conversions and errors: see the file comment. Throws FormatError (message
/// names `name` and what is wrong) for anything that is not a valid supported .npy array, and
/// TooLarge if the array does not fit in memory; never reads past data + size.
/// Cost: one pass over the payload; memory: the result plus a 64 KiB staging buffer when the
/// bytes cannot be copied as they are (C order, byte swap, conversion).
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npy_buffer(const std::uint8_t* data,
                                                                      std::size_t size,
                                                                      const std::string& name,
                                                                      NpyHeader* header = nullptr) {
  detail::MemorySource src{data, data ? size : 0};
  return detail::read_any<Scalar>(src, name, header);
}

/// Reads one .npy array from a binary stream positioned at its first byte; the stream must
/// end right after the array (trailing bytes are FormatError). A seekable stream (file, string
/// stream) is checked against its remaining size before anything is allocated and read
/// straight into the matrix; a non-seekable one (a pipe) is buffered first (one extra copy,
/// growth bounded by the bytes actually present). The stream's exception mask is ignored during
/// the read and restored after. Result, errors and cost as read_npy_buffer; `name` is used in
/// messages.
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npy(std::istream& is,
                                                               const std::string& name,
                                                               NpyHeader* header = nullptr) {
  detail::ExceptionMaskGuard guard(is);
  detail::StreamSource src{is};
  return detail::read_any<Scalar>(src, name, header);
}

/// Reads the .npy file at `path` (NumPy's np.save output, any of format versions 1.0, 2.0,
/// 3.0) into a column-major matrix: (r, c) -> r x c, (n,) -> n x 1, () -> 1 x 1. Throws IoError
/// if the file cannot be opened, FormatError (naming the path) if it is not a valid supported
/// .npy file, TooLarge if the array does not fit in memory. Cost: one read of the file; a
/// float64 Fortran-order file read as double goes straight into the matrix storage.
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npy(const std::string& path,
                                                               NpyHeader* header = nullptr) {
  std::ifstream f;
  detail::open_file(f, path, std::ios::in, "read_npy", "reading");
  return read_npy<Scalar>(f, path, header);
}

/// Reads a stack of matrices, the 3-D .npy array (C, n, k) at `path` (PyTorch's C x d x k
/// tensor of class bases, saved with np.save(t.numpy())), into the n x (C k) matrix whose
/// columns [c k, (c + 1) k) are the matrix [c, :, :], the layout of GrassmannProduct::basis()
/// and GcrHead. A 2-D array (n, m) is returned as read_npy returns it (one matrix of the stack,
/// or a stack already side by side), and 0-D and 1-D arrays as there too. Any dtype, byte order
/// and conversion of read_npy, C or Fortran order. `header`, if not null, receives the header
/// (`shape` as the file gives it). Throws IoError, FormatError (naming the path; more than 3
/// dimensions) and TooLarge as read_npy. Cost: one read of the file and, for a 3-D array with
/// C > 1, one copy into the side-by-side layout (memory: twice the array).
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npy_stack(const std::string& path,
                                                                     NpyHeader* header = nullptr) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  std::ifstream f;
  detail::open_file(f, path, std::ios::in, "read_npy_stack", "reading");
  NpyHeader h;
  Matrix raw;
  {
    detail::ExceptionMaskGuard guard(f);
    detail::StreamSource src{f};
    raw = detail::read_any<Scalar>(src, path, &h, 3);
  }
  if (h.ndim != 3) {
    if (header) *header = h;
    return raw;
  }
  // The payload was read as the 2-D array it also is: (C n, k) in C order, element [c, i, j] at
  // row c n + i; (C, n k) in Fortran order, element [c, i, j] at (c, i + n j).
  const auto count = Eigen::Index(h.shape[0]), n = Eigen::Index(h.shape[1]),
             k = Eigen::Index(h.shape[2]);
  h.rows = n;  // the header as it describes the result
  h.cols = count * k;
  if (header) *header = h;
  if (count == 1 && !h.fortran_order) return raw;
  // Nothing to copy: return before the loop (a (2^59, 0, 1) stack must not spin 2^59 times).
  if (n == 0 || count * k == 0) return Matrix(n, count * k);
  Matrix out;
  try {
    out.resize(n, count * k);
  } catch (const std::bad_alloc&) {
    throw TooLarge(detail::message("read_npy_stack: ", path, ": cannot allocate ", n, " x ",
                                   count * k, " elements"));
  }
  for (Eigen::Index c = 0; c < count; ++c) {
    if (h.fortran_order) {
      for (Eigen::Index j = 0; j < k; ++j)
        for (Eigen::Index i = 0; i < n; ++i) out(i, c * k + j) = raw(c, i + n * j);
    } else {
      out.middleCols(c * k, k) = raw.middleRows(c * n, n);
    }
  }
  return out;
}

/// Reads a .npy file in blocks of rows, so that a file larger than memory is processed in
/// bounded memory (the `subspace-score` tool streams its features this way). The header is
/// read and checked when the reader is built, exactly as by read_npy (including the payload
/// size against the file size), then `next` returns up to `max_rows` rows at a time, converted
/// to Scalar with read_npy's rules. A 1-D array (n,) is n rows of one column, a 0-D array one
/// row. C order (NumPy's default) is streamed; a Fortran-order array with more than one row and
/// column is a FormatError here (its rows are not contiguous: read it whole with read_npy).
/// Throws IoError (cannot open) and FormatError (naming the path). Memory: one block plus a
/// 64 KiB staging buffer.
template <class Scalar>
class NpyRowReader {
 public:
  /// The matrix type of a block.
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// Opens `path` and reads its header.
  explicit NpyRowReader(const std::string& path) : path_(path) {
    detail::check_scalar<Scalar>();
    detail::open_file(f_, path, std::ios::in, "read_npy", "reading");
    detail::StreamSource src{f_};
    std::uint64_t payload = 0, present = 0;
    bool known = false;
    h_ = detail::read_header(src, path_, dtype_, payload, known, present);
    if (std::is_integral<Scalar>::value && dtype_.kind == 'f')
      throw FormatError(detail::message("read_npy: ", path_, ": floating-point data (", h_.descr,
                                        ") cannot be read into an integer matrix"));
    if (h_.fortran_order && h_.rows > 1 && h_.cols > 1)
      throw FormatError(
          detail::message("read_npy: ", path_,
                          ": a Fortran-order array cannot be read in blocks of rows; save "
                          "it in C order (np.ascontiguousarray) or read it whole with read_npy"));
  }
  /// The header as read (shape, dtype, version).
  const NpyHeader& header() const { return h_; }
  /// Rows and columns of the whole array.
  Eigen::Index rows() const { return h_.rows; }
  /// Columns of every block.
  Eigen::Index cols() const { return h_.cols; }
  /// Rows returned so far.
  Eigen::Index rows_read() const { return done_; }

  /// Reads the next min(max_rows, rows left) rows into `block` (resized to b x cols) and
  /// returns b; 0 at the end. Throws InvalidParameter (max_rows < 1) and FormatError (a
  /// truncated file, or a value that does not convert). Cost O(b cols).
  Eigen::Index next(Matrix& block, Eigen::Index max_rows) {
    if (max_rows < 1)
      throw InvalidParameter(detail::message("NpyRowReader::next: max_rows = ", max_rows));
    const Eigen::Index b = std::min(max_rows, h_.rows - done_);
    block.resize(b, h_.cols);
    if (b == 0) return 0;
    detail::ExceptionMaskGuard guard(f_);
    detail::StreamSource src{f_};
    detail::fill_dtype(src, block.data(), b, h_.cols, b > 1 && h_.cols > 1, dtype_, path_);
    done_ += b;
    return b;
  }

 private:
  std::string path_;
  std::ifstream f_;
  detail::Dtype dtype_;
  NpyHeader h_;
  Eigen::Index done_ = 0;
};

/// Writes `m` (any dense Eigen expression of float, double or integer scalars, evaluated once)
/// as one .npy array (format 1.0, little-endian, header exactly as NumPy 1.24 writes it) to a
/// binary stream. `shape = NpyShape::matrix` writes (rows, cols); `NpyShape::vector` writes a
/// row or column vector as (n,) (DimensionMismatch otherwise). A column-major matrix with more
/// than one row and column is written with fortran_order True, everything else in C order, so
/// storage is written as it lies (no transpose); a byte swap on big-endian hosts and
/// expressions without direct storage go through a 64 KiB buffer. Throws IoError when the
/// stream fails, InvalidParameter for a `shape` that is not an NpyShape enumerator. Cost:
/// O(rows * cols) writes.
template <class Derived>
void write_npy(std::ostream& os, const Eigen::DenseBase<Derived>& m,
               NpyShape shape = NpyShape::matrix, const std::string& name = "stream") {
  using S = typename Derived::Scalar;
  detail::check_scalar<S>();
  using Nested = typename Eigen::internal::nested_eval<Derived, 1>::type;
  const Nested a(m.derived());
  using A = std::decay_t<Nested>;
  const Eigen::Index rows = a.rows(), cols = a.cols();
  if (shape != NpyShape::matrix && shape != NpyShape::vector && shape != NpyShape::scalar)
    throw InvalidParameter(detail::message("write_npy: ", name, ": shape = ", int(shape),
                                           " is not an NpyShape enumerator"));
  if (shape == NpyShape::vector && rows != 1 && cols != 1)
    throw DimensionMismatch(detail::message("write_npy: ", name,
                                            ": NpyShape::vector needs a row or column vector, "
                                            "got ",
                                            rows, " x ", cols));
  if (shape == NpyShape::scalar && (rows != 1 || cols != 1))
    throw DimensionMismatch(detail::message(
        "write_npy: ", name, ": NpyShape::scalar needs a 1 x 1 matrix, got ", rows, " x ", cols));
  const bool fortran = shape == NpyShape::matrix && !A::IsRowMajor && rows > 1 && cols > 1;
  std::string h = "{'descr': '" + detail::descr_of<S>() +
                  "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (";
  std::string growth;
  if (shape == NpyShape::scalar) {
    h += "), }";  // NumPy adds no room to grow to a 0-D header
  } else if (shape == NpyShape::vector) {
    growth = std::to_string(rows * cols);
    h += growth + ",), }";
  } else {
    growth = std::to_string(fortran ? cols : rows);
    h += std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  }
  if (shape != NpyShape::scalar)
    h.append(21 - growth.size(), ' ');  // NumPy's room for the growth axis to grow in place
  const std::size_t hlen = h.size() + 1;
  const std::size_t pad = 64 - (10 + hlen) % 64;
  const std::size_t total = hlen + pad;
  const char prefix[10] = {'\x93',          'N', 'U', 'M', 'P', 'Y', 1, 0, char(total & 0xff),
                           char(total >> 8)};
  os.write(prefix, 10);
  h.append(pad, ' ');
  h += '\n';
  os.write(h.data(), std::streamsize(h.size()));

  bool done = false;
  if constexpr (bool(Eigen::internal::traits<A>::Flags & Eigen::DirectAccessBit)) {
    if (!detail::host_big_endian() && a.innerStride() == 1) {
      const Eigen::Index inner = A::IsRowMajor ? cols : rows, outer = A::IsRowMajor ? rows : cols;
      const S* p = a.data();
      if (a.outerStride() == inner || outer <= 1) {
        if (rows * cols != 0)
          os.write(reinterpret_cast<const char*>(p),
                   std::streamsize(rows * cols * Eigen::Index(sizeof(S))));
      } else {
        for (Eigen::Index k = 0; k < outer; ++k)
          os.write(reinterpret_cast<const char*>(p + k * a.outerStride()),
                   std::streamsize(inner * Eigen::Index(sizeof(S))));
      }
      done = true;
    }
  }
  if (!done) {
    // Element by element, in the file's order, little-endian, through a small buffer.
    std::vector<unsigned char> buf;
    buf.reserve(detail::npy_chunk);
    const bool col_major_walk = fortran || (!A::IsRowMajor && (rows <= 1 || cols <= 1));
    const Eigen::Index outer = col_major_walk ? cols : rows, inner = col_major_walk ? rows : cols;
    for (Eigen::Index k = 0; k < outer; ++k)
      for (Eigen::Index t = 0; t < inner; ++t) {
        const S v = col_major_walk ? a.coeff(t, k) : a.coeff(k, t);
        using U = std::conditional_t<
            sizeof(S) == 1, std::uint8_t,
            std::conditional_t<sizeof(S) == 2, std::uint16_t,
                               std::conditional_t<sizeof(S) == 4, std::uint32_t, std::uint64_t>>>;
        U u;
        std::memcpy(&u, &v, sizeof(S));
        for (std::size_t b = 0; b < sizeof(S); ++b)
          buf.push_back(static_cast<unsigned char>((std::uint64_t(u) >> (8 * b)) & 0xff));
        if (buf.size() + sizeof(S) > detail::npy_chunk) {
          os.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size()));
          buf.clear();
        }
      }
    os.write(reinterpret_cast<const char*>(buf.data()), std::streamsize(buf.size()));
  }
  if (!os) throw IoError(detail::message("write_npy: ", name, ": the stream failed"));
}

/// Writes `m` to the file `path` (created or truncated) as write_npy(std::ostream&, ...) does;
/// the result is what np.save would write for the same array. Throws IoError naming the path
/// if the file cannot be opened or written.
template <class Derived>
void write_npy(const std::string& path, const Eigen::DenseBase<Derived>& m,
               NpyShape shape = NpyShape::matrix) {
  std::ofstream f;
  detail::open_file(f, path, std::ios::out | std::ios::trunc, "write_npy", "writing");
  write_npy(f, m, shape, path);
  f.close();
  if (!f) throw IoError(detail::message("write_npy: ", path, ": writing failed"));
}

/// @}
}  // namespace subspace::io
