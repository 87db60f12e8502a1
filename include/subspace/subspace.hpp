// SPDX-License-Identifier: MIT
// subspace.hpp: umbrella header; includes every public header of the library.
#pragma once

#include "angles.hpp"
#include "basis.hpp"
#include "config.hpp"
#include "grassmann.hpp"
#include "projection.hpp"
#include "traits.hpp"
