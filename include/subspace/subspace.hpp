// SPDX-License-Identifier: MIT
// subspace.hpp: umbrella header; includes every public header of the library.
#pragma once

#include "angles.hpp"
#include "basis.hpp"
#include "config.hpp"
#include "grassmann.hpp"
#include "grassmann_product.hpp"
#include "line3.hpp"
#include "ml/anomaly.hpp"
#include "ml/gcr.hpp"
#include "ml/gradient_projection.hpp"
#include "optim/minimize.hpp"
#include "optim/riemannian_adam.hpp"
#include "optim/riemannian_sgd.hpp"
#include "pca.hpp"
#include "plucker.hpp"
#include "projection.hpp"
#include "stiefel.hpp"
#include "traits.hpp"
