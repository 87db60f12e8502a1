// Test runner entry point. Catch2 v3 provides main() through Catch2::Catch2WithMain.
#if !defined(SUBSPACE_CATCH3)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
