// SPDX-License-Identifier: MIT
// eigen.cpp: compiled mode (subspace::compiled): the explicit instantiations of Eigen's
// decompositions of MatrixXd / MatrixXf, for double and float. The lists live in the headers
// (detail/compiled.hpp explains the scheme); this unit sees the other units' lists as extern
// declarations and defines its own.

#include <subspace/detail/compiled.hpp>

SUBSPACE_EIGEN_TEMPLATES(template, double);
SUBSPACE_EIGEN_TEMPLATES(template, float);
