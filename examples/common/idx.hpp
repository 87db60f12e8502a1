// SPDX-License-Identifier: MIT
// examples/common/idx.hpp: the examples' names for the installed IDX / Fashion-MNIST reader,
// subspace/io/idx.hpp (target subspace::idx), which is where the code lives.
#pragma once

#include <subspace/io/idx.hpp>

namespace subspace_examples {

/// A data file that does not exist or cannot be opened (subspace::io::IoError).
using DataFileError = subspace::io::IoError;
using subspace::io::default_fashion_mnist_dir;
using subspace::io::IdxArray;
using subspace::io::LabelledImages;
using subspace::io::load_fashion_mnist;
using subspace::io::read_idx;
using subspace::io::read_idx_rows;

}  // namespace subspace_examples
