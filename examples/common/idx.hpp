// SPDX-License-Identifier: MIT
// examples/common/idx.hpp: the IDX file format (LeCun's MNIST format, also Fashion-MNIST's),
// plain or gzip-compressed (read through zlib), and a Fashion-MNIST loader for the examples.
//
// IDX: bytes 0-1 zero, byte 2 the element type (only 0x08, unsigned byte, is accepted here),
// byte 3 the number of dimensions D (1..4), then D big-endian int32 sizes, then the elements in
// row-major order. The file must hold exactly that many bytes.
//
// Errors: a missing or unreadable file throws DataFileError (message names the path and how to
// get the data); a wrong magic, an implausible header, a truncated or over-long payload, or a
// corrupt gzip stream throws subspace::FormatError; nothing is ever returned half-read.
#pragma once

#include <zlib.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "subspace/config.hpp"

namespace subspace_examples {

/// A data file that does not exist or cannot be opened.
class DataFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An IDX array of unsigned bytes: sizes (outermost first) and the elements, row-major.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

namespace detail {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

/// Reads up to n bytes; returns how many were read. Throws FormatError on a zlib error.
inline std::size_t gz_read(gzFile f, std::uint8_t* out, std::size_t n, const std::string& path) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t chunk = std::min<std::size_t>(n - got, std::size_t(1) << 24);
    const int r = gzread(f, out + got, static_cast<unsigned>(chunk));
    if (r < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      if (code == Z_ERRNO)
        throw DataFileError("read_idx: cannot read " + path + " (" + (msg ? msg : "?") + ")");
      throw subspace::FormatError(subspace::detail::message(
          "read_idx: ", path, ": corrupt compressed data (zlib: ", msg ? msg : "?", ")"));
    }
    if (r == 0) {
      // End of input. zlib reports a gzip stream cut short (even inside its CRC / length
      // trailer, which then goes unchecked) as Z_BUF_ERROR, not as a read error.
      int code = 0;
      (void)gzerror(f, &code);
      if (code == Z_BUF_ERROR)
        throw subspace::FormatError(
            subspace::detail::message("read_idx: ", path, ": truncated compressed stream"));
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  return got;
}

}  // namespace detail

namespace detail {
/// Opens an IDX file and reads its header (checks of read_idx); leaves the stream at the data.
inline std::unique_ptr<gzFile_s, GzCloser> open_idx(const std::string& path, IdxArray& a,
                                                    std::uint64_t& total) {
  using subspace::FormatError;
  using subspace::detail::message;
  if (!std::ifstream(path, std::ios::binary)) throw DataFileError("read_idx: cannot open " + path);
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) throw DataFileError("read_idx: cannot open " + path + " through zlib");
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

/// Reads an IDX file of unsigned bytes, gzip-compressed or not (zlib detects which).
/// Cost: one pass over the file. Throws DataFileError (missing/unreadable) or
/// subspace::FormatError (wrong magic, element type other than 0x08, D outside 1..4, a zero or
/// implausible size (more than 2^32 elements), truncated or trailing data, corrupt gzip, or
/// std::bad_alloc). The payload is read in 1 MiB chunks into a buffer that grows with the
/// bytes actually present, so a lying header costs at most one chunk of memory beyond them.
inline IdxArray read_idx(const std::string& path) {
  using subspace::FormatError;
  using subspace::detail::message;
  IdxArray a;
  std::uint64_t total = 0;
  const auto f = detail::open_idx(path, a, total);
  // Read in chunks into storage that grows with what was actually read: a header that lies
  // about the size costs at most one chunk beyond the bytes present, never `total` up front.
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

/// Reads only rows [first, first + count) of an IDX file (a row = one index of the outermost
/// dimension): the header is read and checked as by read_idx, the rows before `first` are
/// decompressed and skipped in 1 MiB pieces, and only the requested rows are stored, so a
/// process that needs a shard holds only the shard. dims[0] of the result is `count`. Throws
/// what read_idx throws, and FormatError when the file holds fewer than first + count rows.
/// The rest of the file is not read (its length is not checked).
inline IdxArray read_idx_rows(const std::string& path, std::int64_t first, std::int64_t count) {
  using subspace::FormatError;
  using subspace::detail::message;
  IdxArray a;
  std::uint64_t total = 0;
  const auto f = detail::open_idx(path, a, total);
  const std::uint64_t row = total / std::uint64_t(a.dims[0]);
  if (first < 0 || count < 0 || first + count > a.dims[0])
    throw FormatError(message("read_idx_rows: ", path, ": rows [", first, ", ", first + count,
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

/// Where the examples look for Fashion-MNIST: $SUBSPACE_FASHION_MNIST if set, else where
/// Debian's `dataset-fashion-mnist` package installs it.
inline std::string default_fashion_mnist_dir() {
  const char* env = std::getenv("SUBSPACE_FASHION_MNIST");
  return env && *env ? std::string(env) : std::string("/usr/share/datasets/fashion-mnist");
}

/// One split of Fashion-MNIST: images N x 784 (row i = image i, pixels row-major, scaled to
/// [0, 1]) and labels 0..9.
struct LabelledImages {
  Eigen::MatrixXf images;
  Eigen::VectorXi labels;
};

/// Loads the training (60 000) or test (10 000) split from `dir`
/// ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; the .gz name is tried first).
/// Throws DataFileError (with the install hint) or subspace::FormatError (a corrupt file, image
/// and label counts that differ, images that are not 28 x 28, a label above 9).
/// Rows [first, first + count) of a split only (read_idx_rows): what one process of a
/// distributed job loads; count = -1 means to the end of the split.
inline LabelledImages load_fashion_mnist(const std::string& dir, bool train, std::int64_t first,
                                         std::int64_t count);

inline LabelledImages load_fashion_mnist(const std::string& dir, bool train) {
  return load_fashion_mnist(dir, train, 0, -1);
}

inline LabelledImages load_fashion_mnist(const std::string& dir, bool train, std::int64_t first,
                                         std::int64_t count) {
  using subspace::FormatError;
  using subspace::detail::message;
  const std::string stem = dir + "/" + (train ? "train" : "t10k");
  auto pick = [](const std::string& base) {
    if (std::ifstream(base + ".gz", std::ios::binary)) return base + ".gz";
    if (std::ifstream(base, std::ios::binary)) return base;
    throw DataFileError("Fashion-MNIST: neither " + base + ".gz nor " + base +
                        " exists. Install Debian's dataset-fashion-mnist package, or pass "
                        "--data DIR (or set SUBSPACE_FASHION_MNIST) to its location.");
  };
  const auto read = [&](const std::string& path) {
    if (first == 0 && count < 0) return read_idx(path);  // the whole file, fully checked
    if (count < 0) {  // to the end: the row count from the header
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

}  // namespace subspace_examples
