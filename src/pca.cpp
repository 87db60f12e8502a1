// SPDX-License-Identifier: MIT
// pca.cpp: compiled mode (subspace::compiled): the explicit instantiations of PCA,
// for double and float. The lists live in the headers (detail/compiled.hpp explains the scheme);
// this unit sees the other units' lists as extern declarations and defines its own.

#include <subspace/pca.hpp>

SUBSPACE_PCA_TEMPLATES(template, double)
SUBSPACE_PCA_TEMPLATES(template, float)
