// bench/peers/angles_cli.cpp: reads "n k l", then U (n x k) and V (n x l) row by row as text
// from stdin, prints subspace::principal_angles(U, V) with 17 significant digits, one per line.
// Used by bench/peers/peers.py to put our accuracy beside SciPy's on the same inputs.
#include <cstdio>
#include <iostream>
#include <subspace/angles.hpp>

int main() {
  Eigen::Index n = 0, k = 0, l = 0;
  if (!(std::cin >> n >> k >> l) || n < 1 || k < 1 || l < 1) return 2;
  Eigen::MatrixXd u(n, k), v(n, l);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < k; ++j) std::cin >> u(i, j);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < l; ++j) std::cin >> v(i, j);
  if (!std::cin) return 2;
  try {
    const Eigen::VectorXd theta = subspace::principal_angles(u, v);
    for (Eigen::Index i = 0; i < theta.size(); ++i) std::printf("%.17g\n", theta(i));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
