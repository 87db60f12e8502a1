// Catch2 v2 (Debian 12) / v3 compatibility: include this, never Catch2 directly.
#pragma once
#if defined(SUBSPACE_CATCH3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
