// SPDX-License-Identifier: MIT
// ml.cpp: compiled mode (subspace::compiled): the explicit instantiations of GcrHead,
// GradientProjectionMemory, SpectralProtection, for double and float. The lists live in the headers
// (detail/compiled.hpp explains the scheme); this unit sees the other units' lists as extern
// declarations and defines its own.

#include <subspace/ml/gcr.hpp>
#include <subspace/ml/gradient_projection.hpp>

SUBSPACE_GCR_TEMPLATES(template, double)
SUBSPACE_GCR_TEMPLATES(template, float)
SUBSPACE_GRADIENT_PROJECTION_TEMPLATES(template, double)
SUBSPACE_GRADIENT_PROJECTION_TEMPLATES(template, float)
