// libFuzzer target: RiemannianSGD::load and RiemannianAdam::load on arbitrary bytes, for a
// dynamic Grassmann point, a fixed-size Gr(2, 5) point and (Adam) a product of three points.
// Only subspace::InvalidArgument (FormatError) may come out. After a successful load, steps on
// a 5 x 2 point (5 x 6 for the product) must work: the point stays finite and orthonormal, or,
// when the loaded state is for another shape, the step throws DimensionMismatch and leaves the
// point unchanged.
#include <subspace/grassmann.hpp>
#include <subspace/grassmann_product.hpp>
#include <subspace/optim/riemannian_adam.hpp>
#include <subspace/optim/riemannian_sgd.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

namespace {

/// Every 5 x 2 block of the point (one for a single point, three for the product) orthonormal.
template <class Point>
void check_point(const Point& x) {
  const auto& u = x.basis();
  if (!u.allFinite()) std::abort();  // a step from a loaded state must not give garbage
  for (Eigen::Index c = 0; c < u.cols() / 2; ++c) {
    const Eigen::MatrixXd b = u.middleCols(c * 2, 2).template cast<double>();
    const double err = (b.transpose() * b - Eigen::MatrixXd::Identity(2, 2)).cwiseAbs().maxCoeff();
    if (!(err <= 1e-8)) {
      std::fprintf(stderr, "step after a load left a non-orthonormal point (%g)\n", err);
      std::abort();
    }
  }
}

template <class Opt, class Point>
void run(const std::string& text, Point x, Eigen::Index cols) {
  Opt opt;
  std::istringstream is(text);
  const long long before = opt.steps();
  try {
    opt.load(is);
  } catch (const subspace::InvalidArgument&) {
    if (opt.steps() != before) std::abort();  // unchanged
    return;
  }
  std::mt19937_64 gen(7);
  std::normal_distribution<double> n01;
  for (int i = 0; i < 2; ++i) {
    Eigen::MatrixXd g(5, cols);
    for (Eigen::Index j = 0; j < g.size(); ++j) g.data()[j] = n01(gen);
    const Eigen::MatrixXd before_step = x.basis();
    try {
      opt.step(x, g);
    } catch (const subspace::DimensionMismatch&) {
      // A state loaded for another shape than x (a 5 x 2 state and the product point): refused,
      // one optimiser per point, and x unchanged.
      if (Eigen::MatrixXd(x.basis()) != before_step) std::abort();
      return;
    }
    check_point(x);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::mt19937_64 gen(3);
  using Gd = subspace::Grassmannd;
  using G52 = subspace::Grassmann<double, 5, 2>;
  using Pd = subspace::GrassmannProductd;
  run<subspace::RiemannianSGD<Gd>>(text, Gd::random(5, 2, gen), 2);
  run<subspace::RiemannianAdam<Gd>>(text, Gd::random(5, 2, gen), 2);
  run<subspace::RiemannianSGD<G52>>(text, G52::random(5, 2, gen), 2);
  run<subspace::RiemannianAdam<G52>>(text, G52::random(5, 2, gen), 2);
  run<subspace::RiemannianAdam<Pd>>(text, Pd::random(5, 2, 3, gen), 6);
  return 0;
}
