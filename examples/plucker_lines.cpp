// Plucker coordinates in both of their uses:
//  1. the pair features of a causal Grassmann layer: a short "sequence" of token states in R^4,
//     each pair (x_t, x_{t-d}) written as the normalized Plucker vector of the plane it spans;
//  2. lines in 3-D space (points of Gr(2, 4)): distance, closest points, intersection, and the
//     six-coordinate form, checked against the general exterior-power embedding.
// Run: ./build/release/examples/plucker_lines
#include <cmath>
#include <iomanip>
#include <iostream>
#include <subspace/line3.hpp>
#include <subspace/plucker.hpp>

int main() {
  using subspace::Index;
  std::cout << std::fixed << std::setprecision(4);

  // 1. Six token states in R^4 on a slowly turning trajectory, plus one that repeats a
  //    direction (a degenerate pair gives a zero feature column, by the documented rule).
  const Index r = 4, t_len = 6;
  Eigen::MatrixXd x(r, t_len);
  for (Index t = 0; t < t_len; ++t) {
    const double a = 0.4 * static_cast<double>(t);
    x.col(t) << std::cos(a), std::sin(a), 0.3 * std::cos(2 * a), 0.2;
  }
  x.col(5) = 2.0 * x.col(4);  // parallel to its predecessor
  const std::vector<Index> offsets{1, 2};
  const Eigen::MatrixXd f = subspace::plucker_pair_features(x, offsets);
  std::cout << "pair features: C(" << r << ", 2) = " << f.rows() << " coordinates x " << f.cols()
            << " (token, offset) pairs; lexicographic pairs 01 02 03 12 13 23\n";
  for (std::size_t o = 0; o < offsets.size(); ++o)
    for (Index t = 0; t < t_len; ++t) {
      const auto col = f.col(static_cast<Index>(o) * t_len + t);
      std::cout << "  t=" << t << " d=" << offsets[o] << "  [" << col.transpose()
                << "]  |p| = " << col.norm()
                << (col.norm() == 0 ? (t < offsets[o] ? "  (no predecessor)" : "  (parallel)") : "")
                << '\n';
    }
  // The features of any pair satisfy the Gr(2, 4) Plucker relation p01 p23 - p02 p13 + p03 p12.
  double worst = 0;
  for (Index c = 0; c < f.cols(); ++c) {
    const auto p = f.col(c);
    worst = std::max(worst, std::abs(p(0) * p(5) - p(1) * p(4) + p(2) * p(3)));
  }
  std::cout << "largest Plucker-relation residual over all features: " << std::scientific << worst
            << std::fixed << "\n\n";

  // 2. Lines in space.
  using L = subspace::Line3d;
  using V = L::Vector3;
  const L a = L::through(V(0, 0, 0), V(1, 0, 0));                // the x-axis
  const L b = L::from_point_direction(V(5, 7, 2), V(0, 1, 0));   // x = 5, z = 2: skew to a
  const L c = L::from_point_direction(V(-3, 4, 0), V(0, 0, 1));  // skew to the x-axis, 4 apart
  const L d = L::through(V(2, -1, 0), V(2, 1, 0));               // crosses the x-axis at x = 2
  const auto cp = a.closest_points(b);
  std::cout << "x-axis vs (x=5, z=2) line: distance " << a.distance(b) << ", closest points ["
            << cp.first.transpose() << "] and [" << cp.second.transpose()
            << "], reciprocal product " << a.reciprocal_product(b) << '\n';
  std::cout << "x-axis vs vertical line through (-3, 4): distance " << a.distance(c) << '\n';
  if (const auto p = a.intersection(d))
    std::cout << "x-axis meets the line through (2, -1, 0), (2, 1, 0) at [" << p->transpose()
              << "]\n";
  // The six coordinates equal the general Plucker vector of the homogeneous points [1 1; p q].
  Eigen::Matrix<double, 4, 2> hom;
  hom << 1, 1, 2, 2, -1, 1, 0, 0;
  const Eigen::Matrix<double, 6, 1> general = subspace::plucker(hom) / 2.0;  // |q - p| = 2
  std::cout << "line d as (d, m) six-vector:       [" << d.to_plucker().transpose() << "]\n"
            << "plucker([1 1; p q]) / |q - p|:     [" << general.transpose() << "]\n";
  return 0;
}
