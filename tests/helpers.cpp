// The long double constructions of helpers.hpp, compiled once for the whole test suite.
#include "helpers.hpp"

#include <Eigen/QR>
#include <cmath>

namespace test {

MatL haar_orthogonal(Rng& rng, Index n) {
  MatL g = rng.gaussian<long double>(n, n);
  Eigen::HouseholderQR<MatL> qr(g);
  MatL q = qr.householderQ() * MatL::Identity(n, n);
  for (Index j = 0; j < n; ++j)
    if (qr.matrixQR()(j, j) < 0) q.col(j) = -q.col(j);
  return q;
}

template <class S>
std::pair<Mat<S>, Mat<S>> subspaces_with_angles(Rng& rng, Index n, Index k,
                                                const Vec<long double>& theta) {
  const Index l = theta.size();
  REQUIRE(n >= k + l);
  REQUIRE(k >= l);
  const MatL q = haar_orthogonal(rng, n);
  MatL u0 = MatL::Zero(n, k), v0 = MatL::Zero(n, l);
  u0.topRows(k).setIdentity();
  for (Index i = 0; i < l; ++i) {
    v0(i, i) = std::cos(theta(i));
    v0(k + i, i) = std::sin(theta(i));
  }
  const MatL r1 = haar_orthogonal(rng, k), r2 = haar_orthogonal(rng, l);
  MatL u = q * u0 * r1, v = q * v0 * r2;
  return {u.template cast<S>(), v.template cast<S>()};
}

template std::pair<Mat<float>, Mat<float>> subspaces_with_angles<float>(Rng&, Index, Index,
                                                                        const Vec<long double>&);
template std::pair<Mat<double>, Mat<double>> subspaces_with_angles<double>(Rng&, Index, Index,
                                                                           const Vec<long double>&);

}  // namespace test
