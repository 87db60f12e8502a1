// SPDX-License-Identifier: MIT
// detail/serialize.hpp: the small text format of saved states, and the rules every loader of
// untrusted bytes follows.
//
//   <magic> <version>\n  then whitespace-separated tokens: integers, and matrices written as
//   "rows cols" followed by rows*cols values in column-major order, at max_digits10 so that a
//   round trip is exact.
//
// Loader rules (PCA, RiemannianSGD, RiemannianAdam, GcrHead):
//  * a stream that is not readable (failed to open, or already in a failed state) is a
//    FormatError saying so;
//  * every token is at most 64 characters; integers and reals are parsed with std::from_chars
//    over the whole token (no overflow, no wrap of a negative into an unsigned, no locale);
//  * a matrix may declare at most `max_load_elements` elements, and, when the stream is
//    seekable, no more than the bytes left in it can hold (each value takes at least two
//    characters, a digit and a separator); values are read incrementally into storage that
//    grows with what was actually read, so memory is bounded by the size of the input;
//  * std::bad_alloc (and std::length_error) never escape: they become FormatError;
//  * after the object only whitespace may follow until the end of the stream: a stream holds
//    one object. To keep several objects in one file, frame them yourself (save each into its
//    own std::string and write it with its length).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <new>
#include <ostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "../traits.hpp"

namespace subspace {

/// The largest number of elements a loader accepts for one matrix of a saved state (text or
/// binary): 2^28 (2 GiB of doubles). Larger declared sizes are a FormatError before anything
/// is allocated.
inline constexpr std::int64_t max_load_elements = std::int64_t(1) << 28;

}  // namespace subspace

namespace subspace::detail {

inline void write_header(std::ostream& os, const char* magic, int version) {
  os << magic << ' ' << version << '\n';
}

/// The next whitespace-delimited token of `is` (at most 64 characters); FormatError on end of
/// input, an unreadable stream or a longer token. Reads through the stream buffer, one pass.
inline std::string read_token(std::istream& is, const char* func, const char* what) {
  std::streambuf* sb = is.rdbuf();
  if (!is || sb == nullptr) throw FormatError(message(func, ": truncated or unreadable ", what));
  using Traits = std::char_traits<char>;
  int c = sb->sgetc();
  while (c != Traits::eof() && std::isspace(static_cast<unsigned char>(c))) c = sb->snextc();
  std::string tok;
  while (c != Traits::eof() && !std::isspace(static_cast<unsigned char>(c))) {
    if (tok.size() == 64)
      throw FormatError(message(func, ": a token longer than 64 characters in ", what));
    tok.push_back(static_cast<char>(c));
    c = sb->snextc();
  }
  if (tok.empty()) {
    is.setstate(std::ios::eofbit | std::ios::failbit);
    throw FormatError(message(func, ": truncated or unreadable ", what));
  }
  return tok;
}

/// Reads one integer or floating-point value (the whole token must parse: std::from_chars, no
/// overflow, no negative for an unsigned type). Reals may be non-finite here; callers check.
template <class T>
T read_value(std::istream& is, const char* func, const char* what) {
  static_assert(std::is_arithmetic_v<T>, "read_value reads numbers");
  const std::string tok = read_token(is, func, what);
  T v{};
  const char* end = tok.data() + tok.size();
  std::from_chars_result r{};
  if constexpr (std::is_floating_point_v<T>)
    r = std::from_chars(tok.data(), end, v, std::chars_format::general);
  else
    r = std::from_chars(tok.data(), end, v);
  if (r.ec != std::errc() || r.ptr != end)
    throw FormatError(message(func, ": cannot parse \"", tok, "\" as the ", what));
  return v;
}

/// Reads "<magic> <version>"; FormatError for an unreadable stream, a wrong magic or version.
inline void read_header(std::istream& is, const char* magic, int version, const char* func) {
  if (!is || is.rdbuf() == nullptr)
    throw FormatError(message(func,
                              ": the stream is not readable (failed to open, or in a "
                              "failed state)"));
  std::string m;
  try {
    m = read_token(is, func, "header");
  } catch (const FormatError&) {
    m.clear();
  }
  if (m != magic) throw FormatError(message(func, ": expected \"", magic, "\", got \"", m, "\""));
  long long v = -1;
  try {
    v = read_value<long long>(is, func, "version");
  } catch (const FormatError&) {
    v = -1;
  }
  if (v != version)
    throw FormatError(message(func, ": unsupported version ", v, " (expected ", version, ")"));
}

/// Bytes left between the read position and the end of a seekable stream; -1 when the stream
/// cannot seek (a pipe). Leaves the position and the stream state unchanged.
inline long long remaining_bytes(std::istream& is) {
  std::streambuf* sb = is.rdbuf();
  if (sb == nullptr) return -1;
  const std::streampos here = sb->pubseekoff(0, std::ios::cur, std::ios::in);
  if (here == std::streampos(-1)) return -1;
  const std::streampos end = sb->pubseekoff(0, std::ios::end, std::ios::in);
  sb->pubseekpos(here, std::ios::in);
  if (end == std::streampos(-1) || end < here) return -1;
  return static_cast<long long>(end - here);
}

/// The end rule of every loader: only whitespace may follow the object until end of stream.
inline void expect_end(std::istream& is, const char* func) {
  std::streambuf* sb = is.rdbuf();
  if (sb == nullptr) return;
  using Traits = std::char_traits<char>;
  int c = sb->sgetc();
  while (c != Traits::eof() && std::isspace(static_cast<unsigned char>(c))) c = sb->snextc();
  if (c != Traits::eof())
    throw FormatError(message(func,
                              ": trailing data after the object (only whitespace may "
                              "follow it)"));
}

/// Checks a declared shape against max_load_elements and, when `available` >= 0, against the
/// bytes left (at least `min_bytes_per_element` per element). No allocation.
inline void check_declared_size(long long rows, long long cols, long long available,
                                long long min_bytes_per_element, const char* func,
                                const char* what) {
  if (rows < 0 || cols < 0)
    throw FormatError(message(func, ": bad shape ", rows, "x", cols, " for ", what));
  if (rows > max_load_elements || cols > max_load_elements ||
      (rows != 0 && cols > max_load_elements / rows))
    throw FormatError(message(func, ": ", what, " declares ", rows, "x", cols,
                              " elements, more than the limit of ", max_load_elements));
  const long long count = rows * cols;
  if (available >= 0 && count > 0 && count > available / min_bytes_per_element + 1)
    throw FormatError(message(func, ": truncated ", what, ": it declares ", rows, "x", cols,
                              " elements but only ", available, " bytes remain"));
}

/// Runs a loader body; std::bad_alloc and std::length_error become FormatError.
template <class F>
void guarded_load(const char* func, F&& body) {
  try {
    body();
  } catch (const std::bad_alloc&) {
    throw FormatError(message(func, ": out of memory while reading the stream"));
  } catch (const std::length_error&) {
    throw FormatError(message(func, ": a declared size does not fit in memory"));
  }
}

template <class Mat>
void write_matrix(std::ostream& os, const Mat& m) {
  os.precision(std::numeric_limits<typename Mat::Scalar>::max_digits10);
  os << m.rows() << ' ' << m.cols() << '\n';
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) os << m(i, j) << (i + 1 == m.rows() ? '\n' : ' ');
}

/// Reads "rows cols" and the values (column-major) into m, every value finite. The shape is
/// checked first (compile-time sizes, max_load_elements, bytes left in a seekable stream) and
/// the values are read into storage that grows as they come, so a lying header costs no
/// memory. FormatError on any violation.
template <class Mat>
void read_matrix(std::istream& is, Mat& m, const char* func, const char* what) {
  using S = typename Mat::Scalar;
  const long long rows = read_value<long long>(is, func, what);
  const long long cols = read_value<long long>(is, func, what);
  if ((Mat::RowsAtCompileTime != Eigen::Dynamic && rows != Mat::RowsAtCompileTime) ||
      (Mat::ColsAtCompileTime != Eigen::Dynamic && cols != Mat::ColsAtCompileTime))
    throw FormatError(message(func, ": bad shape ", rows, "x", cols, " for ", what));
  check_declared_size(rows, cols, remaining_bytes(is), 2, func, what);
  const std::size_t count = static_cast<std::size_t>(rows * cols);
  std::vector<S> values;
  values.reserve(std::min<std::size_t>(count, 4096));
  for (std::size_t i = 0; i < count; ++i) {
    const S x = read_value<S>(is, func, what);
    if (!std::isfinite(x)) throw FormatError(message(func, ": non-finite value in ", what));
    values.push_back(x);
  }
  m.resize(static_cast<Index>(rows), static_cast<Index>(cols));
  // Over the values, not over rows and columns: a 0 x 2^28 shape costs nothing (found by
  // fuzz_pca_load: a loop over 2^28 empty columns took seconds).
  for (std::size_t next = 0; next < count; ++next)
    m(static_cast<Index>(next % static_cast<std::size_t>(rows)),
      static_cast<Index>(next / static_cast<std::size_t>(rows))) = values[next];
}

}  // namespace subspace::detail
