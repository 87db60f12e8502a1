// SPDX-License-Identifier: MIT
#pragma once
/// \file
/// IDX files (LeCun's MNIST format, also Fashion-MNIST's), plain or gzip-compressed, and a
/// Fashion-MNIST loader (target subspace::idx, which links zlib; not in the umbrella header).
///
/// IDX: bytes 0-1 zero, byte 2 the element type (only 0x08, unsigned byte, is accepted here),
/// byte 3 the number of dimensions D (1..4), then D big-endian int32 sizes, then the elements
/// in row-major order. A file must hold exactly that many bytes. zlib reads both the plain and
/// the gzip form (it detects which); it is Debian's zlib1g-dev, the one dependency.
///
/// Every byte is untrusted (fuzzed by tests/fuzz/fuzz_idx.cpp): a missing or unreadable file is
/// an IoError naming the path; a wrong magic, an implausible header (a zero size, more than 2^32
/// elements), a truncated or over-long payload or a corrupt gzip stream is a FormatError; the
/// payload is read in 1 MiB pieces into storage that grows with the bytes actually present, so
/// a header that lies about its size costs at most one piece; nothing is returned half-read.

#include <zlib.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "../config.hpp"
#include "error.hpp"

namespace subspace::io {

/// An IDX array of unsigned bytes: sizes (outermost first) and the elements, row-major.
struct IdxArray {
  std::vector<std::int64_t> dims;  ///< sizes, outermost first (1 to 4 of them)
  std::vector<std::uint8_t> data;  ///< the elements, row-major
};

namespace detail {

/// Closes a zlib file handle (for unique_ptr).
struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

/// An open zlib file handle.
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

/// Reads up to n bytes; returns how many were read. Throws IoError (read error) or FormatError
/// (corrupt or truncated compressed data).
inline std::size_t gz_read(gzFile f, std::uint8_t* out, std::size_t n, const std::string& path) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t chunk = std::min<std::size_t>(n - got, std::size_t(1) << 24);
    const int r = gzread(f, out + got, static_cast<unsigned>(chunk));
    if (r < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      if (code == Z_ERRNO)
        throw IoError(
            subspace::detail::message("read_idx: cannot read ", path, " (", msg ? msg : "?", ")"));
      throw FormatError(subspace::detail::message(
          "read_idx: ", path, ": corrupt compressed data (zlib: ", msg ? msg : "?", ")"));
    }
    if (r == 0) {
      // End of input. zlib reports a gzip stream cut short (even inside its CRC / length
      // trailer, which then goes unchecked) as Z_BUF_ERROR, not as a read error.
      int code = 0;
      (void)gzerror(f, &code);
      if (code == Z_BUF_ERROR)
        throw FormatError(
            subspace::detail::message("read_idx: ", path, ": truncated compressed stream"));
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  return got;
}

/// Opens an IDX file and reads its header (the checks of read_idx) into a.dims; `total` gets the
/// element count. Leaves the stream at the first element.
inline GzFile open_idx(const std::string& path, IdxArray& a, std::uint64_t& total) {
  using subspace::detail::message;
  if (!std::ifstream(path, std::ios::binary))
    throw IoError(message("read_idx: cannot open ", path));
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) throw IoError(message("read_idx: cannot open ", path, " through zlib"));
  std::array<std::uint8_t, 4> magic{};
  if (gz_read(f.get(), magic.data(), 4, path) != 4)
    throw FormatError(message("read_idx: ", path, ": truncated header (fewer than 4 bytes)"));
  if (magic[0] != 0 || magic[1] != 0)
    throw FormatError(message("read_idx: ", path, ": wrong magic (not an IDX file)"));
  if (magic[2] != 0x08)
    throw FormatError(message("read_idx: ", path, ": element type code ", int(magic[2]),
                              " (only unsigned bytes, code 8, are supported)"));
  const int d = magic[3];
  if (d < 1 || d > 4)
    throw FormatError(message("read_idx: ", path, ": ", d, " dimensions (expected 1 to 4)"));
  total = 1;
  for (int i = 0; i < d; ++i) {
    std::array<std::uint8_t, 4> b{};
    if (gz_read(f.get(), b.data(), 4, path) != 4)
      throw FormatError(message("read_idx: ", path, ": truncated header"));
    const std::uint32_t size = (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) |
                               (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
    if (size == 0 || size > 0x7fffffffu)
      throw FormatError(message("read_idx: ", path, ": dimension ", i, " has size ", size));
    total *= size;
    if (total > (std::uint64_t(1) << 32))
      throw FormatError(message("read_idx: ", path, ": implausible size (over 2^32 elements)"));
    a.dims.push_back(static_cast<std::int64_t>(size));
  }
  return f;
}

}  // namespace detail

/// Reads an IDX file of unsigned bytes, gzip-compressed or not. Cost: one pass over the file.
/// Throws IoError (missing or unreadable) or FormatError (wrong magic, element type other than
/// 0x08, D outside 1..4, a zero or implausible size (more than 2^32 elements), truncated or
/// trailing data, corrupt gzip, out of memory). Memory: the bytes present plus at most 1 MiB,
/// whatever the header claims.
inline IdxArray read_idx(const std::string& path) {
  using subspace::detail::message;
  IdxArray a;
  std::uint64_t total = 0;
  const auto f = detail::open_idx(path, a, total);
  constexpr std::size_t kChunk = std::size_t(1) << 20;
  std::size_t got = 0;
  try {
    while (got < total) {
      const std::size_t want = std::min<std::size_t>(kChunk, static_cast<std::size_t>(total) - got);
      a.data.resize(got + want);
      const std::size_t r = detail::gz_read(f.get(), a.data.data() + got, want, path);
      got += r;
      if (r < want) break;
    }
  } catch (const std::bad_alloc&) {
    throw FormatError(message("read_idx: ", path, ": out of memory reading ", total, " bytes"));
  }
  if (got != total)
    throw FormatError(message("read_idx: ", path, ": truncated: the header promises ", total,
                              " bytes of data, the file holds ", got));
  std::uint8_t extra = 0;
  if (detail::gz_read(f.get(), &extra, 1, path) != 0)
    throw FormatError(message("read_idx: ", path, ": trailing data after ", total, " elements"));
  return a;
}

/// Reads an IDX file in blocks of rows (a row = one index of the outermost dimension, its
/// dims[1] x ... elements flattened), so that a file larger than memory is processed in bounded
/// memory (subspace-score streams IDX features this way). The header is read and checked when
/// the reader is built, as by read_idx; `next` returns up to `max_rows` rows at a time as
/// Scalar values (the bytes 0..255 as they are). After the last row, `next` checks that the
/// file ends there (trailing data is a FormatError). Throws what read_idx throws. Memory: one
/// block.
class IdxRowReader {
 public:
  /// Opens `path` and reads its header.
  explicit IdxRowReader(const std::string& path) : path_(path) {
    std::uint64_t total = 0;
    f_ = detail::open_idx(path, a_, total);
    row_ = Eigen::Index(total / std::uint64_t(a_.dims[0]));
  }
  /// Rows in the file (dims[0]).
  Eigen::Index rows() const { return Eigen::Index(a_.dims[0]); }
  /// Elements per row (the product of the other sizes; 1 for a 1-D file).
  Eigen::Index cols() const { return row_; }
  /// The sizes the header gives, outermost first.
  const std::vector<std::int64_t>& dims() const { return a_.dims; }
  /// Rows returned so far.
  Eigen::Index rows_read() const { return read_; }

  /// Skips up to n rows; returns how many were skipped. Throws FormatError (truncated).
  Eigen::Index skip(Eigen::Index n) {
    if (n < 0) throw InvalidParameter("IdxRowReader::skip: negative count");
    const Eigen::Index todo = std::min(n, rows() - read_);
    std::vector<std::uint8_t> scratch(std::size_t(1) << 20);
    for (std::uint64_t left = std::uint64_t(todo) * std::uint64_t(row_); left > 0;) {
      const std::size_t want = std::size_t(std::min<std::uint64_t>(left, scratch.size()));
      if (detail::gz_read(f_.get(), scratch.data(), want, path_) != want) truncated();
      left -= want;
    }
    read_ += todo;
    return todo;
  }

  /// Reads the next min(max_rows, rows left) rows into `block` (that many rows x cols());
  /// returns how many (0 at the end, after checking that nothing follows the last row).
  /// Throws InvalidParameter (max_rows < 1) and FormatError (truncated, trailing data, corrupt).
  template <class Scalar>
  Eigen::Index next(Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& block,
                    Eigen::Index max_rows) {
    if (max_rows < 1) throw InvalidParameter("IdxRowReader::next: max_rows must be >= 1");
    const Eigen::Index b = std::min(max_rows, rows() - read_);
    if (b == 0) {
      if (!checked_end_) {
        std::uint8_t extra = 0;
        if (detail::gz_read(f_.get(), &extra, 1, path_) != 0)
          throw FormatError(
              subspace::detail::message("read_idx: ", path_, ": trailing data after the last row"));
        checked_end_ = true;
      }
      block.resize(0, row_);
      return 0;
    }
    buf_.resize(std::size_t(b) * std::size_t(row_));
    if (detail::gz_read(f_.get(), buf_.data(), buf_.size(), path_) != buf_.size()) truncated();
    block.resize(b, row_);
    for (Eigen::Index i = 0; i < b; ++i)
      for (Eigen::Index j = 0; j < row_; ++j)
        block(i, j) = Scalar(buf_[std::size_t(i) * std::size_t(row_) + std::size_t(j)]);
    read_ += b;
    return b;
  }

 private:
  [[noreturn]] void truncated() const {
    throw FormatError(subspace::detail::message("read_idx: ", path_, ": truncated: the header ",
                                                "promises ", rows(), " rows of ", row_, " bytes"));
  }

  std::string path_;
  IdxArray a_;
  detail::GzFile f_;
  Eigen::Index row_ = 0, read_ = 0;
  bool checked_end_ = false;
  std::vector<std::uint8_t> buf_;
};

/// Reads only rows [first, first + count) of an IDX file: the header is read and checked as by
/// read_idx, the rows before `first` are decompressed and skipped in 1 MiB pieces, and only the
/// requested rows are stored, so a process that needs a shard holds only the shard. dims[0] of
/// the result is `count`. Throws what read_idx throws, and FormatError when the file holds
/// fewer than first + count rows. The rest of the file is not read (its length is not checked).
inline IdxArray read_idx_rows(const std::string& path, std::int64_t first, std::int64_t count) {
  using subspace::detail::message;
  IdxArray a;
  std::uint64_t total = 0;
  const auto f = detail::open_idx(path, a, total);
  const std::uint64_t row = total / std::uint64_t(a.dims[0]);
  if (first < 0 || count < 0 || first > a.dims[0] || count > a.dims[0] - first)
    throw FormatError(message("read_idx_rows: ", path, ": rows [", first, ", ", first, " + ", count,
                              ") requested, the file has ", a.dims[0]));
  std::vector<std::uint8_t> scratch(std::size_t(1) << 20);
  for (std::uint64_t skip = std::uint64_t(first) * row; skip > 0;) {
    const std::size_t want = std::size_t(std::min<std::uint64_t>(skip, scratch.size()));
    if (detail::gz_read(f.get(), scratch.data(), want, path) != want)
      throw FormatError(message("read_idx_rows: ", path, ": truncated"));
    skip -= want;
  }
  a.data.resize(std::size_t(std::uint64_t(count) * row));
  if (detail::gz_read(f.get(), a.data.data(), a.data.size(), path) != a.data.size())
    throw FormatError(message("read_idx_rows: ", path, ": truncated"));
  a.dims[0] = count;
  return a;
}

/// Where Fashion-MNIST is looked for: $SUBSPACE_FASHION_MNIST if set, else where Debian's
/// `dataset-fashion-mnist` package installs it (/usr/share/datasets/fashion-mnist).
inline std::string default_fashion_mnist_dir() {
  const char* env = std::getenv("SUBSPACE_FASHION_MNIST");
  return env && *env ? std::string(env) : std::string("/usr/share/datasets/fashion-mnist");
}

/// One split of Fashion-MNIST: images N x 784 (row i = image i, pixels row-major, scaled to
/// [0, 1]) and labels 0..9.
struct LabelledImages {
  Eigen::MatrixXf images;  ///< N x 784, pixel / 255
  Eigen::VectorXi labels;  ///< N labels in 0..9
};

/// Loads rows [first, first + count) of the training (60 000) or test (10 000) split of
/// Fashion-MNIST from `dir` ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; the .gz name
/// is tried first); count = -1 means to the end of the split. The whole split (first = 0,
/// count = -1) is read with read_idx's full checks, a shard with read_idx_rows. Throws IoError
/// (neither file exists: the message says how to get the data) or FormatError (a corrupt file,
/// image and label counts that differ, images that are not 28 x 28, a label above 9, rows out
/// of range). Cost: one pass over the two files (up to the shard's end).
inline LabelledImages load_fashion_mnist(const std::string& dir, bool train, std::int64_t first,
                                         std::int64_t count) {
  using subspace::detail::message;
  const std::string stem = dir + "/" + (train ? "train" : "t10k");
  auto pick = [](const std::string& base) {
    if (std::ifstream(base + ".gz", std::ios::binary)) return base + ".gz";
    if (std::ifstream(base, std::ios::binary)) return base;
    throw IoError("Fashion-MNIST: neither " + base + ".gz nor " + base +
                  " exists. Install Debian's dataset-fashion-mnist package, or pass "
                  "--data DIR (or set SUBSPACE_FASHION_MNIST) to its location.");
  };
  const auto read = [&](const std::string& path) {
    if (first == 0 && count < 0) return read_idx(path);  // the whole file, fully checked
    if (count < 0) {                                     // to the end: the count from the header
      IdxArray head;
      std::uint64_t total = 0;
      detail::open_idx(path, head, total);
      count = head.dims[0] - first;
    }
    return read_idx_rows(path, first, count);
  };
  const IdxArray img = read(pick(stem + "-images-idx3-ubyte"));
  const IdxArray lab = read(pick(stem + "-labels-idx1-ubyte"));
  if (img.dims.size() != 3 || img.dims[1] != 28 || img.dims[2] != 28)
    throw FormatError(message("Fashion-MNIST: ", stem, ": the images are not N x 28 x 28"));
  if (lab.dims.size() != 1 || lab.dims[0] != img.dims[0])
    throw FormatError(message("Fashion-MNIST: ", stem, ": ", img.dims[0], " images but ",
                              lab.dims.empty() ? 0 : lab.dims[0], " labels"));
  const Eigen::Index n = img.dims[0], d = 784;
  LabelledImages out;
  out.images.resize(n, d);
  out.labels.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::uint8_t y = lab.data[static_cast<std::size_t>(i)];
    if (y > 9) throw FormatError(message("Fashion-MNIST: ", stem, ": label ", int(y), " at ", i));
    out.labels(i) = y;
    for (Eigen::Index j = 0; j < d; ++j)
      out.images(i, j) = float(img.data[static_cast<std::size_t>(i * d + j)]) / 255.0f;
  }
  return out;
}

/// The whole training or test split (load_fashion_mnist(dir, train, 0, -1)).
inline LabelledImages load_fashion_mnist(const std::string& dir, bool train) {
  return load_fashion_mnist(dir, train, 0, -1);
}

}  // namespace subspace::io
