// SPDX-License-Identifier: MIT
// detail/compiled.hpp: the compiled mode (CMake target subspace::compiled).
//
// Header-only is the default: every translation unit that uses, say, PCA<double> instantiates
// Eigen's SVD, QR and symmetric eigensolver for MatrixXd again, which is most of what such a
// unit costs to compile. In compiled mode the heavy templates for the dynamic-size double and
// float cases are instantiated once, in the static library subspace::compiled (src/*.cpp),
// and declared `extern template` here and at the end of each public header, so user units only
// parse them. This is the scheme of {fmt} (FMT_HEADER_ONLY) and spdlog (SPDLOG_COMPILED_LIB),
// with C++11 explicit instantiation declarations instead of separate .cpp definitions: the
// headers stay the single source, and header-only behaves exactly as before.
//
// Macros:
//  * SUBSPACE_COMPILED: defined by the subspace::compiled target, for the code that links it
//    and for the library's own sources; turns the extern declarations on. Each source of the
//    library (src/*.cpp) then writes the explicit instantiation definitions of its own lists
//    (a definition may follow the declaration) and sees the other sources' lists as extern,
//    so nothing is instantiated twice.
//
// What is covered: the decompositions (JacobiSVD, BDCSVD, HouseholderQR, ColPivHouseholderQR,
// SelfAdjointEigenSolver of Eigen::MatrixX{d,f}), the class templates PCA, GcrHead,
// GradientProjectionMemory, SpectralProtection, the dynamic Grassmann, Stiefel and
// GrassmannProduct points and RiemannianSGD / RiemannianAdam over them (with their member
// templates called with MatrixX{d,f} arguments and std::mt19937_64), and the public free
// functions called with Eigen::MatrixX{d,f} arguments. Heavy members are defined out of class:
// an in-class member is implicitly inline, and compilers instantiate inline members of an
// extern template anyway in order to inline them. Anything else (fixed sizes, expression arguments,
// other scalar types) is instantiated in the user's unit as in header-only mode, so the compiled
// mode never changes which code runs, only where it is compiled.
//
// The library and its users must agree on everything that changes a function body: NDEBUG,
// SUBSPACE_ENABLE_ASSERTS / SUBSPACE_ASSERT_THROWS / SUBSPACE_CHECK_BASES /
// SUBSPACE_NO_INPUT_CHECKS, EIGEN_* configuration macros and the target instruction set
// (-march). The CMake target builds the library with its users' compiler and flags when it
// is added with add_subdirectory; an installed subspace::compiled carries the flags it was
// built with (see the README, "Header-only or compiled mode").
#pragma once

// The BLAS/LAPACKE backend changes Eigen's function bodies: a unit and the compiled library it
// links must agree on it (CMake's SUBSPACE_USE_BLAS builds both on it and defines both macros).
#if defined(SUBSPACE_COMPILED) && (defined(SUBSPACE_COMPILED_WITH_BLAS) != defined(EIGEN_USE_BLAS))
#error \
    "subspace: this unit and subspace::compiled disagree on EIGEN_USE_BLAS (link subspace::blas only with a package built with SUBSPACE_USE_BLAS)"
#endif

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>

#if defined(SUBSPACE_COMPILED)
/// Defined when this unit uses the compiled library: the lists below become extern
/// declarations (internal; see detail/compiled.hpp).
#define SUBSPACE_EXTERN_TEMPLATES 1
#endif

/// Eigen::Matrix<S, Dynamic, Dynamic> and Eigen::Matrix<S, Dynamic, 1>, for the lists (internal).
#define SUBSPACE_MATX(S) Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>
/// See SUBSPACE_MATX.
#define SUBSPACE_VECX(S) Eigen::Matrix<S, Eigen::Dynamic, 1>

/// The Eigen decompositions of MatrixX<S> that the library instantiates in compiled mode.
/// P is `extern template` (users) or `template` (the library's sources). SelfAdjointEigenSolver's
/// compute and constructor are member templates, which a class instantiation leaves out.
#define SUBSPACE_EIGEN_TEMPLATES(P, S)                                                      \
  P class Eigen::JacobiSVD<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>;               \
  P class Eigen::BDCSVD<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>;                  \
  P class Eigen::HouseholderQR<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>;           \
  P class Eigen::ColPivHouseholderQR<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>;     \
  P class Eigen::SelfAdjointEigenSolver<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>;  \
  P Eigen::SelfAdjointEigenSolver<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>&        \
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>::compute< \
      Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>(                                    \
      const Eigen::EigenBase<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>&, int);      \
  P Eigen::SelfAdjointEigenSolver<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>::       \
      SelfAdjointEigenSolver(                                                               \
          const Eigen::EigenBase<Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>>&, int)

#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_EIGEN_TEMPLATES(extern template, double);
SUBSPACE_EIGEN_TEMPLATES(extern template, float);
#endif
