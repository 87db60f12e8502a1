#!/bin/sh
# Installs the Debian 12 packages subspace needs, only those that are missing.
#   scripts/install-deps.sh        build, tests, examples, benchmarks
#   scripts/install-deps.sh ci     also clang-format, doxygen and NumPy (what .ci/run checks)
#   scripts/install-deps.sh peers  also NumPy, SciPy, scikit-learn and OpenBLAS (bench/peers/)
#   scripts/install-deps.sh mpi    also Open MPI (subspace::mpi, SUBSPACE_WITH_MPI)
#   scripts/install-deps.sh blas   also OpenBLAS and LAPACKE (subspace::blas, SUBSPACE_USE_BLAS)
set -eu
# clang++ and its sanitizer runtimes (libclang-rt) build the tests (preset asan, the README's test
# command): under ASan + UBSan it compiles them in about half of g++'s time.
pkgs="cmake make g++ clang libclang-rt-14-dev pkg-config libeigen3-dev catch2 libbenchmark-dev zlib1g-dev libzip-dev dataset-fashion-mnist"
# ci: clang-format, doxygen, NumPy.
if [ "${1:-}" = ci ]; then
  pkgs="$pkgs clang-format doxygen python3-numpy"
fi
if [ "${1:-}" = mpi ]; then
  pkgs="$pkgs libopenmpi-dev openmpi-bin"
fi
if [ "${1:-}" = blas ]; then
  pkgs="$pkgs libopenblas-dev liblapacke-dev"
fi
# OpenBLAS: NumPy on Debian otherwise runs on the reference BLAS, which no one benchmarks against.
if [ "${1:-}" = peers ]; then
  pkgs="$pkgs python3-numpy python3-scipy python3-sklearn python3-threadpoolctl libopenblas0-pthread"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
