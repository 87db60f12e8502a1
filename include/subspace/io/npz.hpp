#pragma once
/// \file
/// NumPy .npz archives (np.savez, np.savez_compressed): a zip of .npy members. The zip
/// container is Debian's libzip (target subspace::npz, which links libzip::zip); each member
/// is parsed by io/npy.hpp. Opt-in: not included by subspace.hpp.

#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "npy.hpp"

namespace subspace::io {

namespace detail {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }  // read-only: nothing to write back
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

/// Opens an archive for reading. IoError if it cannot be opened, FormatError if it is not a
/// zip archive.
inline std::unique_ptr<zip_t, ZipCloser> open_zip(const std::string& path) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    const std::string what = zip_error_strerror(&e);
    zip_error_fini(&e);
    if (err == ZIP_ER_NOENT || err == ZIP_ER_OPEN || err == ZIP_ER_READ)
      throw IoError(message("read_npz: cannot open '", path, "': ", what));
    throw FormatError(message("read_npz: ", path, ": not a .npz (zip) archive: ", what));
  }
  return std::unique_ptr<zip_t, ZipCloser>(z);
}

}  // namespace detail

/// The names of the arrays in the .npz archive at `path` (member names without the ".npy"
/// suffix), in archive order. Members that are not .npy files are skipped. Throws IoError
/// (cannot open) and FormatError (not a zip archive).
inline std::vector<std::string> npz_names(const std::string& path) {
  const auto z = detail::open_zip(path);
  std::vector<std::string> out;
  const zip_int64_t n = zip_get_num_entries(z.get(), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(z.get(), zip_uint64_t(i), 0);
    if (!name) continue;
    const std::string s(name);
    if (s.size() > 4 && s.compare(s.size() - 4, 4, ".npy") == 0)
      out.push_back(s.substr(0, s.size() - 4));
  }
  return out;
}

/// Whether the archive at `path` holds an array called `name`.
inline bool npz_contains(const std::string& path, const std::string& name) {
  const auto z = detail::open_zip(path);
  return zip_name_locate(z.get(), (name + ".npy").c_str(), 0) >= 0;
}

/// Reads array `name` (member `name.npy`, stored or deflated) of the .npz archive at `path`,
/// with read_npy's rules for the array (dtypes, orders, shapes, conversions). The member is
/// decompressed in pieces of its claimed size (4 KiB to 1 MiB) into a buffer that grows with
/// the bytes actually produced, so a size in the zip directory that lies costs nothing up
/// front; libzip checks the CRC.
/// Throws IoError (cannot open), FormatError naming archive and member (not a zip archive, no
/// such member, a corrupt member, an invalid .npy), TooLarge. Cost: one decompression of the
/// member plus read_npy_buffer's pass.
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> read_npz(const std::string& path,
                                                               const std::string& name,
                                                               NpyHeader* header = nullptr) {
  const auto z = detail::open_zip(path);
  const std::string member = name + ".npy";
  const std::string label = path + "[" + member + "]";
  const zip_int64_t index = zip_name_locate(z.get(), member.c_str(), 0);
  if (index < 0) throw FormatError(detail::message("read_npz: ", path, ": no array '", name, "'"));
  std::unique_ptr<zip_file_t, detail::ZipFileCloser> f(
      zip_fopen_index(z.get(), zip_uint64_t(index), 0));
  if (!f)
    throw FormatError(
        detail::message("read_npz: ", label, ": cannot open the member: ", zip_strerror(z.get())));
  // Pieces sized from the directory's claim (at least 4 KiB, at most 1 MiB), so a small member
  // costs a small buffer and a size that lies costs at most one 1 MiB piece; `bytes` grows only
  // with what decompression actually produced.
  zip_stat_t st;
  zip_stat_init(&st);
  zip_uint64_t claimed = 0;
  if (zip_stat_index(z.get(), zip_uint64_t(index), 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE))
    claimed = st.size;
  constexpr zip_uint64_t kMinPiece = zip_uint64_t(1) << 12, kMaxPiece = zip_uint64_t(1) << 20;
  const std::size_t piece =
      std::size_t(std::clamp(claimed < kMaxPiece ? claimed + 1 : kMaxPiece, kMinPiece, kMaxPiece));
  std::vector<std::uint8_t> bytes;
  try {
    std::vector<std::uint8_t> chunk(piece);
    for (;;) {
      const zip_int64_t got = zip_fread(f.get(), chunk.data(), chunk.size());
      if (got < 0)
        throw FormatError(
            detail::message("read_npz: ", label, ": corrupt member: ", zip_file_strerror(f.get())));
      if (got == 0) break;
      bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + std::ptrdiff_t(got));
    }
  } catch (const std::bad_alloc&) {
    throw TooLarge(detail::message("read_npz: ", label, ": out of memory decompressing"));
  }
  return read_npy_buffer<Scalar>(bytes.data(), bytes.size(), label, header);
}

/// Writes a new .npz archive that NumPy's np.load reads: `add` arrays, then `close` (the
/// archive is written at close; the destructor discards an unclosed archive). Members are
/// deflated when `compress` is true (as np.savez_compressed), else stored (as np.savez).
/// Each array is encoded by write_npy when added (evaluated once), so the matrices need not
/// outlive the call. Throws IoError when the file cannot be created or written.
class NpzWriter {
 public:
  /// Creates (or truncates) the archive at `path`.
  explicit NpzWriter(const std::string& path, bool compress = false)
      : path_(path), compress_(compress) {
    int err = 0;
    zip_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!zip_) throw IoError(detail::message("write_npz: cannot create '", path, "'"));
  }
  NpzWriter(const NpzWriter&) = delete;
  NpzWriter& operator=(const NpzWriter&) = delete;
  ~NpzWriter() {
    if (zip_) zip_discard(zip_);
  }

  /// Adds array `name` (member `name.npy`), written as write_npy writes it with `shape`.
  /// Throws IoError, and DimensionMismatch for a shape the matrix does not have.
  template <class Derived>
  NpzWriter& add(const std::string& name, const Eigen::DenseBase<Derived>& m,
                 NpyShape shape = NpyShape::matrix) {
    if (!zip_) throw IoError(detail::message("write_npz: ", path_, ": already closed"));
    std::ostringstream os(std::ios::binary);
    write_npy(os, m, shape, name);
    buffers_.push_back(std::make_unique<std::string>(os.str()));
    const std::string& b = *buffers_.back();
    zip_source_t* src = zip_source_buffer(zip_, b.data(), b.size(), 0);
    if (!src) throw IoError(detail::message("write_npz: ", path_, ": ", zip_strerror(zip_)));
    const zip_int64_t idx =
        zip_file_add(zip_, (name + ".npy").c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      throw IoError(detail::message("write_npz: ", path_, ": ", zip_strerror(zip_)));
    }
    zip_set_file_compression(zip_, zip_uint64_t(idx), compress_ ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    return *this;
  }

  /// Writes the archive. Throws IoError when it cannot be written.
  void close() {
    if (!zip_) return;
    if (zip_close(zip_) != 0) {
      const std::string what = zip_strerror(zip_);
      zip_discard(zip_);
      zip_ = nullptr;
      throw IoError(detail::message("write_npz: cannot write '", path_, "': ", what));
    }
    zip_ = nullptr;
    buffers_.clear();
  }

 private:
  std::string path_;
  bool compress_;
  zip_t* zip_ = nullptr;
  std::vector<std::unique_ptr<std::string>> buffers_;  // libzip reads them at close
};

}  // namespace subspace::io
