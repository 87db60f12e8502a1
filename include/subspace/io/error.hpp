// SPDX-License-Identifier: MIT
#pragma once
/// \file
/// The error the file readers and writers of subspace/io/ throw when a file or stream fails
/// (as opposed to FormatError, for bytes that are not what the format allows).

#include "../config.hpp"

namespace subspace::io {

/// \addtogroup io
/// @{

/// A file that cannot be opened, or a stream that fails while reading or writing (not a format
/// problem: the message names the path and the operation).
class IoError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

/// @}

}  // namespace subspace::io
