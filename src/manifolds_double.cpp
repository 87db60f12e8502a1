// SPDX-License-Identifier: MIT
// manifolds_double.cpp: compiled mode (subspace::compiled): the explicit instantiations of the
// Grassmann, Stiefel and product points and their optimisers, for double. One unit per scalar
// (manifolds_float.cpp has the float lists), so that the largest units of the library build in
// parallel. The lists live in the headers (detail/compiled.hpp explains the scheme); this unit
// sees the other units' lists as extern declarations and defines its own.

#include <subspace/grassmann.hpp>
#include <subspace/grassmann_product.hpp>
#include <subspace/optim/riemannian_adam.hpp>
#include <subspace/optim/riemannian_sgd.hpp>
#include <subspace/stiefel.hpp>

SUBSPACE_GRASSMANN_TEMPLATES(template, double)
SUBSPACE_STIEFEL_TEMPLATES(template, double)
SUBSPACE_GRASSMANN_PRODUCT_TEMPLATES(template, double)
SUBSPACE_RIEMANNIAN_SGD_TEMPLATES(template, double)
SUBSPACE_RIEMANNIAN_ADAM_TEMPLATES(template, double)
