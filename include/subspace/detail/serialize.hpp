// SPDX-License-Identifier: MIT
// detail/serialize.hpp: the small text format of saved optimiser states.
//
//   <magic> <version>\n  then whitespace-separated tokens: integers, and matrices written as
//   "rows cols" followed by rows*cols values in column-major order, at max_digits10 so that a
//   round trip is exact.
#pragma once

#include <Eigen/Core>
#include <istream>
#include <limits>
#include <ostream>
#include <string>

#include "../config.hpp"
#include "../traits.hpp"

namespace subspace::detail {

inline void write_header(std::ostream& os, const char* magic, int version) {
  os << magic << ' ' << version << '\n';
}

inline void read_header(std::istream& is, const char* magic, int version, const char* func) {
  std::string m;
  int v = -1;
  if (!(is >> m) || m != magic)
    throw FormatError(message(func, ": expected \"", magic, "\", got \"", m, "\""));
  if (!(is >> v) || v != version)
    throw FormatError(message(func, ": unsupported version ", v, " (expected ", version, ")"));
}

template <class T>
T read_value(std::istream& is, const char* func, const char* what) {
  T v{};
  if (!(is >> v)) throw FormatError(message(func, ": truncated or unreadable ", what));
  return v;
}

template <class Mat>
void write_matrix(std::ostream& os, const Mat& m) {
  os.precision(std::numeric_limits<typename Mat::Scalar>::max_digits10);
  os << m.rows() << ' ' << m.cols() << '\n';
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) os << m(i, j) << (i + 1 == m.rows() ? '\n' : ' ');
}

template <class Mat>
void read_matrix(std::istream& is, Mat& m, const char* func, const char* what) {
  const long long rows = read_value<long long>(is, func, what);
  const long long cols = read_value<long long>(is, func, what);
  if (rows < 0 || cols < 0 || rows > (1LL << 31) || cols > (1LL << 31) ||
      (Mat::RowsAtCompileTime != Eigen::Dynamic && rows != Mat::RowsAtCompileTime) ||
      (Mat::ColsAtCompileTime != Eigen::Dynamic && cols != Mat::ColsAtCompileTime))
    throw FormatError(message(func, ": bad shape ", rows, "x", cols, " for ", what));
  m.resize(static_cast<Index>(rows), static_cast<Index>(cols));
  for (Index j = 0; j < m.cols(); ++j)
    for (Index i = 0; i < m.rows(); ++i) {
      m(i, j) = read_value<typename Mat::Scalar>(is, func, what);
      if (!std::isfinite(static_cast<double>(m(i, j))))
        throw FormatError(message(func, ": non-finite value in ", what));
    }
}

}  // namespace subspace::detail
