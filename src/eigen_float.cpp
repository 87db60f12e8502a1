// SPDX-License-Identifier: MIT
// eigen_float.cpp: compiled mode (subspace::compiled): the explicit instantiations of Eigen's
// decompositions of MatrixXf. One unit per scalar (eigen_double.cpp has the double list), so that
// the largest units of the library build in parallel. The lists live in the headers
// (detail/compiled.hpp explains the scheme); this unit sees the other units' lists as extern
// declarations and defines its own.

#include <subspace/detail/compiled.hpp>

SUBSPACE_EIGEN_TEMPLATES(template, float);
