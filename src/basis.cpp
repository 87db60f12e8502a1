// SPDX-License-Identifier: MIT
// basis.cpp: compiled mode (subspace::compiled): the explicit instantiations of bases, principal
// angles, projections, Plücker coordinates, for double and float. The lists live in the headers
// (detail/compiled.hpp explains the scheme); this unit sees the other units' lists as extern
// declarations and defines its own.

#include <subspace/angles.hpp>
#include <subspace/basis.hpp>
#include <subspace/plucker.hpp>
#include <subspace/projection.hpp>

SUBSPACE_BASIS_TEMPLATES(template, double)
SUBSPACE_BASIS_TEMPLATES(template, float)
SUBSPACE_ANGLES_TEMPLATES(template, double)
SUBSPACE_ANGLES_TEMPLATES(template, float)
SUBSPACE_PROJECTION_TEMPLATES(template, double)
SUBSPACE_PROJECTION_TEMPLATES(template, float)
SUBSPACE_PLUCKER_TEMPLATES(template, double)
SUBSPACE_PLUCKER_TEMPLATES(template, float)
