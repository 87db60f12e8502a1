// Every public function evaluates an expression argument exactly once.
//
// Two properties, for every function named in the README's tables:
//  * a counting expression (a NullaryExpr whose functor counts its calls) passed in each matrix
//    slot is read exactly rows x cols times: once;
//  * a `Random()` expression gives the same result as the plain matrix it evaluates to (same
//    std::rand seed), so a function never checks one set of numbers and computes with another
//    (the README Quick start used to throw NonFiniteInput this way).
// The registry below is keyed by the names in README.md's tables; the last test reads the
// README and fails for any name that has neither an entry nor a stated reason, so a new
// function cannot be forgotten here.
#include <subspace/subspace.hpp>

#include <cfloat>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "helpers.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/wait.h>
#include <unistd.h>
#define SUBSPACE_TEST_FORK 1
#endif

using namespace test;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

/// Reads a plain matrix, counting every coefficient read.
struct CountingOp {
  const MatrixXd* src;
  long* count;
  double operator()(Index i, Index j) const {
    ++*count;
    return (*src)(i, j);
  }
};

auto counted_matrix(const MatrixXd& m, long& count) {
  return MatrixXd::NullaryExpr(m.rows(), m.cols(), CountingOp{&m, &count});
}
/// A column vector's counting expression has a vector type (functions taking vectors need one).
auto counted_vector(const MatrixXd& m, long& count) {
  return VectorXd::NullaryExpr(m.rows(), [&m, &count](Index i) {
    ++count;
    return m(i, 0);
  });
}

/// What a registry entry returns: the numbers of its result, to compare two calls.
MatrixXd numbers(const MatrixXd& m) { return m; }
MatrixXd numbers(double v) { return MatrixXd::Constant(1, 1, v); }
template <class S, int R, int C>
MatrixXd numbers(const Eigen::Matrix<S, R, C>& m) {
  return m.template cast<double>();
}

/// One entry: the inputs of a call, and the call itself with argument i replaced by whatever
/// `arg(i)` gives (a plain matrix, a counting expression or a Random() expression).
struct Entry {
  std::vector<MatrixXd> inputs;  // the plain values of the matrix arguments, in order
  // Calls the function; `slot` is the argument given as `expr`, the others are plain.
  std::function<MatrixXd(const std::vector<MatrixXd>&, int slot, long* count)> call;
  bool vector = false;  // the single argument has a vector type (one column, always)
};

/// Builds the argument of position `i`: a counting expression for the slot under test, the
/// plain matrix otherwise. `F` is a generic lambda taking the arguments.
template <bool Vector, class F>
MatrixXd dispatch1(const std::vector<MatrixXd>& in, int slot, long* count, F f) {
  if constexpr (Vector) {
    if (slot == 0) return numbers(f(counted_vector(in[0], *count)));
    return numbers(f(VectorXd(in[0])));
  } else {
    if (slot == 0) return numbers(f(counted_matrix(in[0], *count)));
    return numbers(f(in[0]));
  }
}
template <class F>
MatrixXd dispatch2(const std::vector<MatrixXd>& in, int slot, long* count, F f) {
  if (slot == 0) return numbers(f(counted_matrix(in[0], *count), in[1]));
  if (slot == 1) return numbers(f(in[0], counted_matrix(in[1], *count)));
  return numbers(f(in[0], in[1]));
}

template <class F>
Entry one(MatrixXd a, F f) {
  return {{std::move(a)}, [f](const std::vector<MatrixXd>& in, int s, long* c) {
            return dispatch1<false>(in, s, c, f);
          }};
}
/// For functions whose argument must have a vector type.
template <class F>
Entry one_vector(VectorXd a, F f) {
  return {
      {MatrixXd(std::move(a))},
      [f](const std::vector<MatrixXd>& in, int s, long* c) { return dispatch1<true>(in, s, c, f); },
      true};
}
template <class F>
Entry two(MatrixXd a, MatrixXd b, F f) {
  return {{std::move(a), std::move(b)},
          [f](const std::vector<MatrixXd>& in, int s, long* c) { return dispatch2(in, s, c, f); }};
}

MatrixXd gaussian(std::uint64_t seed, Index r, Index c) {
  Rng rng(seed);
  return rng.gaussian<double>(r, c);
}
MatrixXd basis(std::uint64_t seed, Index n, Index k) {
  return subspace::qr_basis(gaussian(seed, n, k));
}
/// A tangent vector at span(u): (I - U U^T) G, scaled small.
MatrixXd tangent(const MatrixXd& u, std::uint64_t seed) {
  MatrixXd g = gaussian(seed, u.rows(), u.cols());
  return 0.1 * (g - u * (u.transpose() * g));
}

using subspace::Index;
constexpr Index kN = 12, kK = 3;

std::map<std::string, std::vector<Entry>> registry() {
  namespace s = subspace;
  std::map<std::string, std::vector<Entry>> r;
  const MatrixXd a = gaussian(1, kN, kK), wide = gaussian(2, kN, 7), u = basis(3, kN, kK),
                 v = basis(4, kN, 2), x = gaussian(5, kN, 9);
  // ---- basis.hpp
  r["qr_basis"] = {one(a, [](const auto& m) { return MatrixXd(s::qr_basis(m)); })};
  r["pivoted_qr_basis"] = {one(wide, [](const auto& m) { return s::pivoted_qr_basis(m); })};
  r["svd_basis"] = {
      one(wide, [](const auto& m) { return s::svd_basis(m, s::RankRule::fixed(3)).basis; })};
  r["orthonormal_basis"] = {
      one(wide, [](const auto& m) { return s::orthonormal_basis(m); }),
      one(wide, [](const auto& m) { return s::orthonormal_basis(m, s::RankRule::energy(0.9)); })};
  r["complement"] = {one(u, [](const auto& m) { return s::complement(m); })};
  r["null_space"] = {one(gaussian(6, 3, 7), [](const auto& m) { return s::null_space(m); })};
  // ---- projection.hpp
  r["coordinates"] = {
      two(u, x, [](const auto& p, const auto& q) { return MatrixXd(s::coordinates(p, q)); })};
  r["project"] = {
      two(u, x, [](const auto& p, const auto& q) { return MatrixXd(s::project(p, q)); })};
  r["residual"] = {
      two(u, x, [](const auto& p, const auto& q) { return MatrixXd(s::residual(p, q)); })};
  r["residual_norms"] = {
      two(u, x, [](const auto& p, const auto& q) { return VectorXd(s::residual_norms(p, q)); })};
  const s::Projectord proj(u);
  r["Projector<Scalar, N, K>"] = {one(u, [](const auto& m) { return s::Projectord(m).basis(); }),
                                  one(x, [proj](const auto& m) { return proj.coordinates(m); }),
                                  one(x, [proj](const auto& m) { return proj.project(m); }),
                                  one(x, [proj](const auto& m) { return proj.residual(m); }),
                                  one(x, [proj](const auto& m) { return proj.residual_norms(m); }),
                                  one_vector(x.col(0),
                                             [proj](const auto& m) {
                                               auto p = proj;
                                               VectorXd out(kN);
                                               p.project_into(m, out);
                                               return out;
                                             }),
                                  one_vector(x.col(0), [proj](const auto& m) {
                                    auto p = proj;
                                    VectorXd out(kN);
                                    p.residual_into(m, out);
                                    return out;
                                  })};
  // ---- angles.hpp
  r["principal_angles"] = {
      two(u, v, [](const auto& p, const auto& q) { return VectorXd(s::principal_angles(p, q)); })};
  r["principal_vectors"] = {two(u, v, [](const auto& p, const auto& q) {
    const auto pv = s::principal_vectors(p, q);
    MatrixXd out(pv.u.rows(), pv.u.cols() + pv.v.cols());
    out << pv.u, pv.v;
    return out;
  })};
  r["distance"] = {two(
      u, v, [](const auto& p, const auto& q) { return s::distance(p, q, s::Distance::Chordal); })};
  r["distance_from_angles"] = {one_vector(VectorXd::LinSpaced(3, 0.1, 0.5), [](const auto& t) {
    return s::distance_from_angles(t, s::Distance::BinetCauchy, 1);
  })};
  // ---- manifolds: every member taking a matrix, for each point type
  using G = s::Grassmann<double>;
  using St = s::Stiefel<double>;
  using P = s::GrassmannProduct<double>;
  const G gx = G::from_orthonormal(u);
  const St sx = St::from_orthonormal(u);
  const MatrixXd d = tangent(u, 7), xi = tangent(u, 8);
  const MatrixXd pu = basis(9, kN, 2 * kK);  // two blocks of kK
  const P px = P::from_orthonormal(pu, kK);
  const MatrixXd pd = px.project(gaussian(10, kN, 2 * kK)) * 0.1;
  const G gy = gx.retract(d);
  const St sy = sx.retract(sx.project(d));
  const P py = px.retract(pd);
  r["Grassmann"] = {one(a, [](const auto& m) { return G(m).basis(); }),
                    one(u, [](const auto& m) { return G::from_orthonormal(m).basis(); })};
  r["Stiefel"] = {one(a, [](const auto& m) { return St(m).basis(); }),
                  one(u, [](const auto& m) { return St::from_orthonormal(m).basis(); })};
  r["GrassmannProduct<S>"] = {
      one(pu, [](const auto& m) { return P(m, kK).basis(); }),
      one(pu, [](const auto& m) { return P::from_orthonormal(m, kK).basis(); })};
  r["x.project"] = {one(d, [gx](const auto& m) { return gx.project(m); }),
                    one(d, [sx](const auto& m) { return sx.project(m); }),
                    one(pd, [px](const auto& m) { return px.project(m); })};
  r["Stiefel<S, N, K>::project"] = r["x.project"];
  r["x.exp"] = {one(d, [gx](const auto& m) { return gx.exp(m).basis(); }),
                one(pd, [px](const auto& m) { return px.exp(m).basis(); })};
  r["x.retract"] = {
      one(d, [gx](const auto& m) { return gx.retract(m, s::Retraction::Polar).basis(); }),
      one(d, [sx](const auto& m) { return sx.retract(sx.project(m)).basis(); }),
      one(pd, [px](const auto& m) { return px.retract(m).basis(); })};
  r["Stiefel::retract"] = {
      one(d, [sx](const auto& m) { return sx.retract(m, s::Retraction::Cayley).basis(); })};
  r["x.transport"] = {one(xi, [gx, gy](const auto& m) { return gx.transport(m, gy); }),
                      one(xi, [sx, sy](const auto& m) { return sx.transport(m, sy); }),
                      one(pd, [px, py](const auto& m) { return px.transport(m, py); })};
  r["x.parallel_transport"] = {
      two(d, xi, [gx](const auto& p, const auto& q) { return gx.parallel_transport(p, q, 0.5); })};
  r["x.inner"] = {two(d, xi, [gx](const auto& p, const auto& q) { return gx.inner(p, q); }),
                  two(d, xi, [sx](const auto& p, const auto& q) { return sx.inner(p, q); })};
  r["x.norm"] = {one(d, [gx](const auto& m) { return gx.norm(m); })};
  // ---- optimisers
  r["RiemannianSGD<Point>"] = {one(d, [gx](const auto& m) {
    G p = gx;
    s::RiemannianSGD<G> opt(s::SGDOptions{0.1, 0.9});
    opt.step(p, m);  // one step: each step reads its gradient once
    return p.basis();
  })};
  r["RiemannianAdam<Point>"] = {one(pd, [px](const auto& m) {
    P p = px;
    s::RiemannianAdam<P> opt(s::AdamOptions{});
    opt.step(p, m);
    return p.basis();
  })};
  r[".step"] = r["RiemannianSGD<Point>"];
  r[".step"].push_back(r["RiemannianAdam<Point>"].front());
  // ---- plucker.hpp
  const VectorXd pl = s::plucker(u);
  r["plucker"] = {one(u, [](const auto& m) { return VectorXd(s::plucker(m)); })};
  r["hodge"] = {one_vector(pl, [](const auto& m) { return s::hodge(m, kN, kK); })};
  r["contraction_matrix"] = {
      one_vector(pl, [](const auto& m) { return s::contraction_matrix(m, kN, kK); })};
  r["decomposability_residual"] = {
      one_vector(pl, [](const auto& m) { return s::decomposability_residual(m, kN, kK); })};
  r["from_plucker"] = {
      one_vector(pl, [](const auto& m) { return MatrixXd(s::from_plucker(m, kN, kK)); })};
  r["plucker_pair_features"] = {one(gaussian(11, 4, 20), [](const auto& m) {
    return s::plucker_pair_features(m, std::vector<Index>{1, 3});
  })};
  // ---- pca.hpp (rows are samples)
  const MatrixXd rows = gaussian(12, 40, 6);
  const s::PCA<double> fitted = s::PCA<double>(s::PcaOptions{s::RankRule::fixed(3)}).fit(rows);
  r["PCA"] = {one(rows, [](const auto& m) {
    return MatrixXd(s::PCA<double>(s::PcaOptions{s::RankRule::fixed(3)}).fit(m).components());
  })};
  r["pca.partial_fit"] = {one(rows, [](const auto& m) {
    s::PCA<double> p(s::PcaOptions{s::RankRule::fixed(3)});
    p.partial_fit(m);
    return MatrixXd(p.components());
  })};
  r["transform"] = {one(rows, [fitted](const auto& m) { return fitted.transform(m); })};
  r["inverse_transform"] = {
      one(gaussian(13, 5, 3), [fitted](const auto& m) { return fitted.inverse_transform(m); })};
  r["scores"] = {one(rows, [fitted](const auto& m) {
    const auto sc = fitted.scores(m);
    MatrixXd out(m.rows(), 3);
    out << sc.residual, sc.t2, sc.combined;
    return out;
  })};
  // ---- ml/anomaly.hpp: scores as an expression, labels plain (integers)
  const Eigen::VectorXi labels = (Eigen::VectorXi(8) << 0, 1, 0, 1, 1, 0, 0, 1).finished();
  const VectorXd sv = gaussian(14, 8, 1);
  r["roc_auc"] = {one_vector(sv, [labels](const auto& m) { return s::roc_auc(m, labels); })};
  r["roc_curve"] = {one_vector(sv, [labels](const auto& m) {
    const auto c = s::roc_curve(m, labels);
    return VectorXd(Eigen::Map<const VectorXd>(c.tpr.data(), Index(c.tpr.size())));
  })};
  r["threshold_at_fpr"] = {
      one_vector(sv, [](const auto& m) { return s::threshold_at_fpr(m, 0.25); })};
  r["tpr_at_fpr"] = {
      one_vector(sv, [labels](const auto& m) { return s::tpr_at_fpr(m, labels, 0.25).tpr; })};
  // ---- ml/gcr.hpp (samples are columns)
  std::mt19937_64 gen(15);
  const auto head = s::GcrHead<double>::random(kN, kK, 4, gen);
  const MatrixXd feats = gaussian(16, kN, 10);
  const Eigen::VectorXi ylab = (Eigen::VectorXi(10) << 0, 1, 2, 3, 0, 1, 2, 3, 0, 1).finished();
  r["GcrHead<S>::logits"] = {one(feats, [head](const auto& m) { return head.logits(m); })};
  r["head.backward"] = {two(feats, gaussian(17, 4, 10), [head](const auto& p, const auto& q) {
    const auto g = head.backward(p, q);
    MatrixXd out(g.dx.rows(), g.dx.cols() + g.dbases.cols());
    out << g.dx, g.dbases;
    return out;
  })};
  r["head.step"] = {one(gaussian(18, kN, 4 * kK), [head](const auto& m) {
    auto h = head;
    s::GcrHead<double>::SGD opt(s::SGDOptions{0.05});
    h.step(opt, m);
    return h.bases().basis();
  })};
  r["head.predict"] = {
      one(feats, [head](const auto& m) { return head.predict(m).template cast<double>().eval(); })};
  r["GcrHead::from_class_pca"] = {one(feats, [ylab](const auto& m) {
    return s::GcrHead<double>::from_class_pca(m, ylab, 2, 4).bases().basis();
  })};
  r["softmax_cross_entropy"] = {one(gaussian(19, 4, 10), [ylab](const auto& m) {
    MatrixXd grad;
    const double loss = s::softmax_cross_entropy(m, ylab, &grad);
    return (grad.array() + loss).matrix().eval();
  })};
  // ---- ml/gradient_projection.hpp (samples are columns)
  r["mem.update"] = {one(gaussian(20, kN, 30), [](const auto& m) {
    s::GradientProjectionMemory<double> mem(kN);
    mem.update(m, 0.9);
    return mem.basis();
  })};
  r["SpectralProtection<S>"] = {one(gaussian(21, 5, kN), [](const auto& m) {
    s::SpectralProtection<double> sp(5, kN, 0.9);
    sp.update(m);
    MatrixXd g = MatrixXd::Ones(5, kN);
    sp.project(g);
    return g;
  })};
  r[".update"] = r["SpectralProtection<S>"];
  return r;
}

/// README names that take no matrix argument (or only lvalues they write to), with the reason.
const std::map<std::string, std::string>& no_matrix_argument() {
  static const std::map<std::string, std::string> m = {
      {"Distance::Chordal", "an enumerator"},
      {"Distance::ProjectionFrobenius", "an enumerator"},
      {"Distance::ProjectionSpectral", "an enumerator"},
      {"Distance::BinetCauchy", "an enumerator"},
      {"Distance::FubiniStudy", "an enumerator"},
      {"Distance::Procrustes", "an enumerator"},
      {"Distance::Asimov", "an enumerator"},
      {"Distance::Martin", "an enumerator"},
      {"PcaSolver::Randomized", "an enumerator"},
      {"max_state_rank", "an option"},
      {"x.log", "takes a point"},
      {"x.distance", "takes a point"},
      {"x.geodesic", "takes a point and a scalar"},
      {"x.inverse_retract", "takes a point"},
      {"Grassmann::random", "takes sizes and a generator"},
      {"x.random_tangent", "takes a generator"},
      {"Grassmann::karcher_mean", "takes points"},
      {"minimize", "takes a callable and a point"},
      {"opt.save", "streams"},
      {"opt.load", "streams"},
      {"save", "streams"},
      {"load", "streams"},
      {"Combinations", "integer subsets"},
      {"next", "integer subsets"},
      {"Line3<S>::through", "fixed 3-vectors by const reference: converted once by the language"},
      {"from_point_direction", "fixed 3-vectors by const reference"},
      {"from_direction_moment", "fixed 3-vectors by const reference"},
      {"l.reciprocal_product", "takes a line"},
      {"l.distance", "takes a line"},
      {"l.closest_points", "takes a line"},
      {"l.intersection", "takes a line"},
      {"l.transformed", "fixed 3x3 and 3-vector by const reference"},
      {"l.to_plucker", "no argument"},
      {"pca.merge", "takes a PCA"},
      {"GcrHead::random", "takes sizes and a generator"},
      {"mem.project", "writes into an lvalue (evaluation is the caller's)"},
      {"mem.project_transposed", "writes into an lvalue"},
      {"GradientProjectionMemory<S>", "takes a size"},
      {"MemoryUpdate", "a result type"},
      {"GcrHead<S>::SGD", "a type"},
      {"GcrHead<S>::Adam", "a type"},
      {"ThresholdSchedule{0.97, 0.003}.at", "scalars"},
      {".project", "SpectralProtection::project writes into an lvalue"},
      {".combined", "a result field"},
      {".residual", "a result field"},
      {".t2", "a result field"},
      {".dx", "a result field"},
      {".dbases", "a result field"},
      {".rank", "Combinations: integer subsets"},
      {".unrank", "Combinations: integer positions"},
  };
  return m;
}

}  // namespace

TEST_CASE("expressions: every argument is read exactly once", "[expressions]") {
  for (const auto& [name, entries] : registry()) {
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const Entry& entry = entries[e];
      const MatrixXd reference = entry.call(entry.inputs, -1, nullptr);
      for (int slot = 0; slot < int(entry.inputs.size()); ++slot) {
        CAPTURE(name, e, slot);
        long count = 0;
        const MatrixXd got = entry.call(entry.inputs, slot, &count);
        CHECK(count == entry.inputs[std::size_t(slot)].size());
        REQUIRE(got.rows() == reference.rows());
        REQUIRE(got.cols() == reference.cols());
        CHECK(got == reference);  // the same numbers, bit for bit
      }
    }
  }
}

TEST_CASE("expressions: a Random() argument gives the result of the matrix it evaluates to",
          "[expressions]") {
  // The README Quick start line, as written there.
  std::srand(7);
  const MatrixXd plain = MatrixXd::Random(1000, 8);
  std::srand(7);
  const MatrixXd q = subspace::qr_basis(MatrixXd::Random(1000, 8));
  CHECK(q == subspace::qr_basis(plain));
  // Products and scaled expressions, each computed once.
  const MatrixXd a = gaussian(30, kN, 4), b = gaussian(31, 4, 4);
  const MatrixXd ab = a * b;
  CHECK(subspace::qr_basis(a * b) == subspace::qr_basis(ab));
  CHECK(subspace::svd_basis(a * b).basis == subspace::svd_basis(ab).basis);
  const MatrixXd u = basis(32, kN, kK);
  CHECK(subspace::residual_norms(u, a * b) == subspace::residual_norms(u, ab));
  CHECK(subspace::principal_angles(u, subspace::qr_basis(a * b)) ==
        subspace::principal_angles(u, subspace::qr_basis(ab)));
}

namespace {

/// The names in the "Function" column of every README table, as the README writes them up to
/// the first '(': `qr_basis`, `x.exp`, `Projector<Scalar, N, K>`, `.step` (a member of the type
/// named before it). No <regex>: g++ 12 warns falsely inside it at -O1.
std::set<std::string> readme_function_names() {
  std::ifstream in(SUBSPACE_README_PATH);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::set<std::string> seen;
  std::istringstream lines(ss.str());
  std::string line;
  bool in_table = false;
  while (std::getline(lines, line)) {
    if (line.rfind("| Mathematics | Function", 0) == 0) {
      in_table = true;
      continue;
    }
    if (line.empty() || line[0] != '|') {
      in_table = false;
      continue;
    }
    if (!in_table || line.rfind("|---", 0) == 0) continue;
    // The "Function" column is the second cell.
    const auto c1 = line.find('|', 1);
    const auto c2 = line.find('|', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    const std::string cell = line.substr(c1 + 1, c2 - c1 - 1);
    for (std::size_t open = cell.find('`'); open != std::string::npos;) {
      const std::size_t close = cell.find('`', open + 1);
      if (close == std::string::npos) break;
      const std::string snippet = cell.substr(open + 1, close - open - 1);
      const std::string key = snippet.substr(0, snippet.find('('));
      if (!key.empty()) seen.insert(key);
      open = cell.find('`', close + 1);
    }
  }
  REQUIRE(seen.size() > 40);  // the parser found the tables
  return seen;
}

}  // namespace

TEST_CASE("expressions: every function in the README's tables is covered", "[expressions]") {
  const auto reg = registry();
  const auto& skip = no_matrix_argument();
  for (const auto& key : readme_function_names()) {
    CAPTURE(key);
    CHECK((reg.count(key) == 1 || skip.count(key) == 1));
  }
}

// ------------------------------------------------------------------------------------------------
// The misuse sweep (issue 17). Part 1 replays every registry entry above with each matrix
// argument in turn replaced by a poisoned one: NaN, Inf, no rows, no columns, one row or column
// too many, and scales 1e300, 1e-300, 2^±996 and subnormal. Part 2 is a table, keyed by the same
// README names, of the misuse that is not a matrix: sizes, counts, parameters, enum values,
// objects of the wrong shape. The two parts together cover every README name (last test).
//
// Verdicts. NaN or Inf must raise a subspace::InvalidArgument. Everything else must either raise
// one or return finite numbers; where the function is homogeneous of degree p in the argument
// (probed at scale 2, where the answer scales exactly), the result at scale c = 2^±996 must be
// c^p times the unscaled one, or an error when that is not representable. Any other exception,
// a crash, a sanitizer report or an Eigen assertion is bad: each case runs in a forked child, so
// one of those is a named bad case rather than the end of the run.

namespace {

enum Outcome : int {
  kTyped = 10,      // threw a subspace::InvalidArgument
  kFinite = 11,     // returned finite numbers (the right ones, where they are known)
  kNonFinite = 20,  // returned NaN or Inf: a silent failure
  kNoThrow = 21,    // returned, where only an error is right
  kForeign = 22,    // threw something that is not a subspace::InvalidArgument
  kWrong = 23,      // returned finite numbers that are not the answer
};

std::string describe(int o) {
  switch (o) {
    case kTyped:
      return "typed error";
    case kFinite:
      return "finite result";
    case kNonFinite:
      return "BAD: non-finite result";
    case kNoThrow:
      return "BAD: returned where an error is right";
    case kForeign:
      return "BAD: an exception that is not a subspace::InvalidArgument";
    case kWrong:
      return "BAD: wrong numbers";
    default:
      return o < 0 ? "BAD: killed by signal " + std::to_string(-o)
                   : "BAD: exited with status " + std::to_string(o) + " (a sanitizer report?)";
  }
}
bool good(int o) { return o == kTyped || o == kFinite; }

/// Runs `f` (which returns an Outcome) in a forked child where fork exists.
template <class F>
int isolated(const F& f) {
  const auto guarded = [&f]() -> int {
    try {
      return f();
    } catch (const subspace::InvalidArgument&) {
      return kTyped;
    } catch (...) {
      return kForeign;
    }
  };
#ifdef SUBSPACE_TEST_FORK
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The default action for fatal signals (not Catch2's handler, which would report the
    // child as a failed run), no atexit handlers, no leak check of the copy.
    for (int sig : {SIGABRT, SIGSEGV, SIGFPE, SIGILL, SIGBUS}) std::signal(sig, SIG_DFL);
    std::_Exit(guarded());
  }
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? -WTERMSIG(status) : -1000;
#else
  return guarded();
#endif
}

struct Poison {
  std::string name;
  bool must_throw;  // NaN / Inf
  int exponent;     // scale 2^exponent, checked against the degree; 0 when not that kind
  std::function<bool(const MatrixXd&, bool vector, MatrixXd& out)> make;  // false: not applicable
};

std::vector<Poison> poisons() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto scaled = [](double c) {
    return [c](const MatrixXd& m, bool, MatrixXd& out) {
      out = c * m;
      return m.size() > 0;
    };
  };
  return {
      {"a NaN", true, 0,
       [nan](const MatrixXd& m, bool, MatrixXd& out) {
         out = m;
         if (m.size() > 0) out(0, 0) = nan;
         return m.size() > 0;
       }},
      {"an Inf", true, 0,
       [inf](const MatrixXd& m, bool, MatrixXd& out) {
         out = m;
         if (m.size() > 0) out(m.rows() - 1, m.cols() - 1) = -inf;
         return m.size() > 0;
       }},
      {"no rows", false, 0,
       [](const MatrixXd& m, bool, MatrixXd& out) {
         out = MatrixXd(0, m.cols());
         return true;
       }},
      {"no columns", false, 0,
       [](const MatrixXd& m, bool vector, MatrixXd& out) {
         out = MatrixXd(m.rows(), 0);
         return !vector;
       }},
      {"one row too many", false, 0,
       [](const MatrixXd& m, bool, MatrixXd& out) {
         out = MatrixXd::Constant(m.rows() + 1, m.cols(), 0.25);
         out.topRows(m.rows()) = m;
         return true;
       }},
      {"one column too many", false, 0,
       [](const MatrixXd& m, bool vector, MatrixXd& out) {
         out = MatrixXd::Constant(m.rows(), m.cols() + 1, 0.25);
         out.leftCols(m.cols()) = m;
         return !vector;
       }},
      {"scaled by 1e300", false, 0, scaled(1e300)},
      {"scaled by 1e-300", false, 0, scaled(1e-300)},
      {"scaled by 1e-310 (subnormal)", false, 0, scaled(1e-310)},
      {"scaled by 2^996", false, 996, scaled(std::ldexp(1.0, 996))},
      {"scaled by 2^-996", false, -996, scaled(std::ldexp(1.0, -996))},
  };
}

/// The degree p with f(2x) = 2^p f(x) in slot `slot` (to 1e-13), if there is one and f(x) != 0.
std::optional<int> degree(const Entry& e, int slot, const MatrixXd& base) {
  try {
    std::vector<MatrixXd> in = e.inputs;
    in[std::size_t(slot)] *= 2;
    const MatrixXd twice = e.call(in, -1, nullptr);
    const double m = base.cwiseAbs().maxCoeff();
    if (twice.rows() != base.rows() || twice.cols() != base.cols() || !(m > 0)) return {};
    for (int p = -3; p <= 3; ++p)
      if ((twice - std::ldexp(1.0, p) * base).cwiseAbs().maxCoeff() <= 1e-13 * std::ldexp(m, p))
        return p;
  } catch (...) {
  }
  return {};
}

struct Bad {
  std::vector<std::string> list;
  int cases = 0;
  void add(const std::string& what, int outcome) {
    ++cases;
    if (!good(outcome)) list.push_back(what + ": " + describe(outcome));
  }
};

}  // namespace

TEST_CASE("misuse sweep: every matrix argument of every README function, poisoned", "[misuse]") {
  Bad bad;
  const auto all = poisons();
  for (const auto& [name, entries] : registry()) {
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const Entry& entry = entries[e];
      const MatrixXd base = entry.call(entry.inputs, -1, nullptr);
      for (int slot = 0; slot < int(entry.inputs.size()); ++slot) {
        const std::optional<int> p = degree(entry, slot, base);
        for (const Poison& poison : all) {
          std::vector<MatrixXd> in = entry.inputs;
          if (!poison.make(entry.inputs[std::size_t(slot)], entry.vector, in[std::size_t(slot)]))
            continue;
          // The answer when it is known: c^p f(x), if representable (else an error is right).
          bool known = false, overflow = false;
          MatrixXd want;
          if (poison.exponent != 0 && p) {
            const int shift = *p * poison.exponent;
            int top = 0;
            std::frexp(base.cwiseAbs().maxCoeff(), &top);
            overflow = top + shift > DBL_MAX_EXP;
            known = !overflow && top + shift > DBL_MIN_EXP + 60;  // far from underflow
            if (known) want = base.unaryExpr([shift](double v) { return std::ldexp(v, shift); });
          }
          const int outcome = isolated([&]() -> int {
            const MatrixXd got = entry.call(in, -1, nullptr);
            if (poison.must_throw || overflow) return kNoThrow;
            if (!got.allFinite()) return kNonFinite;
            if (known && (got.rows() != want.rows() || got.cols() != want.cols() ||
                          (got - want).cwiseAbs().maxCoeff() > 1e-10 * want.cwiseAbs().maxCoeff()))
              return kWrong;
            return kFinite;
          });
          bad.add(name + " [" + std::to_string(e) + "], argument " + std::to_string(slot) +
                      " with " + poison.name,
                  outcome);
        }
      }
    }
  }
  CAPTURE(bad.cases);
  for (const auto& b : bad.list) UNSCOPED_INFO(b);
  CHECK(bad.list.empty());
  CHECK(bad.cases > 600);  // the sweep ran
}

namespace {

/// One misuse that is not a poisoned matrix: `call` must throw a subspace::InvalidArgument, or,
/// when `may_return`, may instead return finite numbers.
struct Misuse {
  std::string what;
  std::function<MatrixXd()> call;
  bool may_return = false;
};
MatrixXd as_matrix(double v) { return MatrixXd::Constant(1, 1, v); }

std::map<std::string, std::vector<Misuse>> misuse_table() {
  namespace s = subspace;
  using G = s::Grassmann<double>;
  using St = s::Stiefel<double>;
  using P = s::GrassmannProduct<double>;
  using L = s::Line3<double>;
  using V3 = Eigen::Vector3d;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const MatrixXd u = basis(3, kN, kK), d = tangent(u, 7);
  const G gx = G::from_orthonormal(u), gy = gx.retract(d),
          g13 = G::from_orthonormal(basis(5, 13, kK)), gk2 = G::from_orthonormal(basis(6, kN, 2));
  const St sx = St::from_orthonormal(u);
  const MatrixXd pu = basis(9, kN, 2 * kK);
  const P px = P::from_orthonormal(pu, kK);
  // A point orthogonal to gx: the cut locus of the QR and polar inverse retractions.
  const G gperp = G::from_orthonormal(s::complement(u).leftCols(kK));
  const VectorXd theta = VectorXd::LinSpaced(3, 0.1, 0.5);
  const VectorXd pl = s::plucker(u);
  const MatrixXd wide = gaussian(2, kN, 7), rows = gaussian(12, 40, 6);
  const s::PCA<double> fitted = s::PCA<double>(s::PcaOptions{s::RankRule::fixed(3)}).fit(rows);
  const s::PCA<double> fitted7 =
      s::PCA<double>(s::PcaOptions{s::RankRule::fixed(3)}).fit(gaussian(13, 40, 7));
  std::mt19937_64 gen(15);
  const auto head = s::GcrHead<double>::random(kN, kK, 4, gen);
  const MatrixXd feats = gaussian(16, kN, 10);
  const Eigen::VectorXi y10 = (Eigen::VectorXi(10) << 0, 1, 2, 3, 0, 1, 2, 3, 0, 1).finished();
  const Eigen::VectorXi labels = (Eigen::VectorXi(8) << 0, 1, 0, 1, 1, 0, 0, 1).finished();
  const VectorXd sv = gaussian(14, 8, 1);
  const V3 a(1, 2, 3), b(-1, 0.5, 2);
  const L line = L::through(a, b);
  auto m = [](auto&& v) { return MatrixXd(v); };
  auto sc = [](auto&& v) { return as_matrix(double(v)); };
  auto basis_of = [](const auto& pt) { return MatrixXd(pt.basis()); };

  std::map<std::string, std::vector<Misuse>> t;
  // ---- basis.hpp
  t["svd_basis"] = {
      {"fixed(-1)", [=] { return m(s::svd_basis(wide, s::RankRule::fixed(-1)).basis); }},
      {"fixed(8) of 7 columns", [=] { return m(s::svd_basis(wide, s::RankRule::fixed(8)).basis); }},
      {"tolerance(NaN)", [=] { return m(s::svd_basis(wide, s::RankRule::tolerance(nan)).basis); }},
      {"tolerance(-1)", [=] { return m(s::svd_basis(wide, s::RankRule::tolerance(-1)).basis); }},
      {"energy(1.5)", [=] { return m(s::svd_basis(wide, s::RankRule::energy(1.5)).basis); }},
      {"energy(NaN)", [=] { return m(s::svd_basis(wide, s::RankRule::energy(nan)).basis); }},
      {"energy(0)", [=] { return m(s::svd_basis(wide, s::RankRule::energy(0)).basis); }, true}};
  t["pivoted_qr_basis"] = {
      {"rtol NaN", [=] { return m(s::pivoted_qr_basis(wide, nan)); }},
      {"rtol -1 (the default)", [=] { return m(s::pivoted_qr_basis(wide, -1.0)); }, true}};
  t["null_space"] = {{"fixed(9) of a 3x7",
                      [=] { return m(s::null_space(gaussian(6, 3, 7), s::RankRule::fixed(9))); }}};
  t["qr_basis"] = {{"k > n", [=] { return m(s::qr_basis(gaussian(1, 3, 5))); }}};
  t["complement"] = {{"non-orthonormal", [=] { return m(s::complement(wide)); }}};
  // ---- projection.hpp, angles.hpp
  t["Projector<Scalar, N, K>"] = {
      {"fixed 4x2 from a 5x2",
       [=] { return m(s::Projector<double, 4, 2>(basis(7, 5, 2)).basis()); }},
      {"k > n", [=] { return m(s::Projectord(gaussian(1, 3, 5)).basis()); }}};
  t["principal_angles"] = {
      {"different n", [=] { return m(s::principal_angles(u, basis(5, 13, 2))); }}};
  t["distance"] = {
      {"Distance(97)", [=] { return sc(s::distance(u, basis(4, kN, 2), s::Distance(97))); }}};
  t["distance_from_angles"] = {
      {"d = -1", [=] { return sc(s::distance_from_angles(theta, s::Distance::Geodesic, -1)); }},
      {"Distance(97)", [=] { return sc(s::distance_from_angles(theta, s::Distance(97), 0)); }},
      {"an angle above pi/2",
       [=] {
         return sc(s::distance_from_angles(VectorXd::Constant(2, 2.0), s::Distance::Chordal, 0));
       }},
      {"a negative angle", [=] {
         return sc(s::distance_from_angles(VectorXd::Constant(2, -0.1), s::Distance::Chordal, 0));
       }}};
  // ---- manifolds
  t["Grassmann"] = {{"fixed Gr(2, 4) from a 5x2",
                     [=] { return m(s::Grassmann<double, 4, 2>(basis(7, 5, 2)).basis()); }},
                    {"k > n", [=] { return basis_of(G(gaussian(1, 3, 5))); }}};
  t["Stiefel"] = {{"k > n", [=] { return basis_of(St(gaussian(1, 3, 5))); }}};
  t["GrassmannProduct<S>"] = {{"k = 0", [=] { return basis_of(P(pu, 0)); }},
                              {"k does not divide the columns", [=] { return basis_of(P(pu, 4)); }},
                              {"block(-1)", [=] { return m(px.block(-1)); }},
                              {"block(C)", [=] { return m(px.block(2)); }},
                              {"component(C)", [=] { return basis_of(px.component(2)); }}};
  t["x.log"] = {{"different n", [=] { return m(gx.log(g13)); }},
                {"different k", [=] { return m(gx.log(gk2)); }}};
  t["x.distance"] = {{"different n", [=] { return sc(gx.distance(g13)); }}};
  t["x.geodesic"] = {{"t = NaN", [=] { return basis_of(gx.geodesic(gy, nan)); }},
                     {"t = Inf", [=] { return basis_of(gx.geodesic(gy, inf)); }},
                     {"different n", [=] { return basis_of(gx.geodesic(g13, 0.5)); }}};
  t["x.inverse_retract"] = {
      {"the cut locus (QR)", [=] { return m(gx.inverse_retract(gperp, s::Retraction::QR)); }},
      {"Retraction(42)", [=] { return m(gx.inverse_retract(gy, s::Retraction(42))); }},
      {"different n", [=] { return m(gx.inverse_retract(g13)); }}};
  t["x.retract"] = {{"Retraction(42)", [=] { return basis_of(gx.retract(d, s::Retraction(42))); }},
                    {"a step of 1e300 (qf(U + D) is representable)",
                     [=] { return basis_of(gx.retract(1e300 * d)); }, true}};
  t["Stiefel::retract"] = {
      {"Retraction(42)", [=] { return basis_of(sx.retract(d, s::Retraction(42))); }}};
  t["x.parallel_transport"] = {{"t = NaN", [=] { return m(gx.parallel_transport(d, d, nan)); }}};
  t["x.transport"] = {{"to a point of another n", [=] { return m(gx.transport(d, g13)); }}};
  t["Grassmann::random"] = {{"k > n",
                             [=] {
                               std::mt19937_64 r(1);
                               return basis_of(G::random(3, 5, r));
                             }},
                            {"n = -1", [=] {
                               std::mt19937_64 r(1);
                               return basis_of(G::random(-1, 1, r));
                             }}};
  t["Grassmann::karcher_mean"] = {
      {"no points", [=] { return basis_of(G::karcher_mean({}, {}, {}).mean); }},
      {"weights of the wrong size",
       [=] {
         return basis_of(G::karcher_mean({gx, gy}, {1.0}, {}).mean);
       }},
      {"a negative weight",
       [=] {
         return basis_of(G::karcher_mean({gx, gy}, {1.0, -1.0}, {}).mean);
       }},
      {"a NaN weight",
       [=] {
         return basis_of(G::karcher_mean({gx, gy}, {1.0, nan}, {}).mean);
       }},
      {"points of different n", [=] {
         return basis_of(G::karcher_mean({gx, g13}, {}, {}).mean);
       }}};
  // ---- optimisers
  t["RiemannianSGD<Point>"] = {
      {"learning rate NaN", [=] { return sc((s::RiemannianSGD<G>(s::SGDOptions{nan}), 0)); }},
      {"momentum 1",
       [=] {
         return sc((s::RiemannianSGD<G>(s::SGDOptions{0.1, 1.0}), 0));
       }},
      {"Nesterov without momentum", [=] {
         s::SGDOptions o;
         o.nesterov = true;
         return sc((s::RiemannianSGD<G>(o), 0));
       }}};
  t["RiemannianAdam<Point>"] = {
      {"beta1 = 1",
       [=] {
         return sc((s::RiemannianAdam<G>(s::AdamOptions{1e-3, 1.0}), 0));
       }},
      {"epsilon = 0",
       [=] {
         return sc((s::RiemannianAdam<G>(s::AdamOptions{1e-3, 0.9, 0.999, 0.0}), 0));
       }},
      {"learning rate -1", [=] { return sc((s::RiemannianAdam<G>(s::AdamOptions{-1.0}), 0)); }}};
  t[".step"] = {{"a gradient of another shape",
                 [=] {
                   G p = gx;
                   s::RiemannianSGD<G> opt(s::SGDOptions{0.1});
                   opt.step(p, gaussian(1, kN + 1, kK));
                   return basis_of(p);
                 }},
                {"a point of another shape than the last step's", [=] {
                   s::RiemannianSGD<G> opt(s::SGDOptions{0.1, 0.9});
                   G p = gx, q = g13;
                   opt.step(p, d);
                   opt.step(q, gaussian(2, 13, kK));
                   return basis_of(q);
                 }}};
  t["minimize"] = {{"max_iterations -1",
                    [=] {
                      G p = gx;
                      s::RiemannianSGD<G> opt(s::SGDOptions{0.1});
                      auto f = [](const G& x, MatrixXd& g) {
                        g = -x.basis();
                        return 0.0;
                      };
                      return sc(s::minimize(f, p, opt, s::StopRule{-1, 1e-6}).value);
                    }},
                   {"an objective that returns NaN (reported, not thrown)",
                    [=] {
                      G p = gx;
                      s::RiemannianSGD<G> opt(s::SGDOptions{0.1});
                      auto f = [nan](const G&, MatrixXd& g) {
                        g = MatrixXd::Zero(kN, kK);
                        return nan;
                      };
                      const auto rep = s::minimize(f, p, opt);
                      return sc(rep.reason == s::StopReason::NonFinite ? 1.0 : nan);
                    },
                    true}};
  // ---- persistence (fuzzed by .ci/fuzz.sh; here the stream that failed to open)
  auto missing = [] { return std::ifstream("/nonexistent/subspace/state"); };
  t["load"] = {{"a stream that failed to open (PCA)",
                [=] {
                  s::PCA<double> p;
                  auto in = missing();
                  p.load(in);
                  return m(p.components());
                }},
               {"a stream that failed to open (GcrHead)", [=] {
                  auto h = head;
                  auto in = missing();
                  h.load(in);
                  return basis_of(h.bases());
                }}};
  t["opt.load"] = {{"a stream that failed to open", [=] {
                      s::RiemannianAdam<G> opt(s::AdamOptions{});
                      auto in = missing();
                      opt.load(in);
                      return sc(0);
                    }}};
  t["save"] = {{"an unfitted PCA (saves, and loads back)",
                [=] {
                  std::stringstream ss;
                  s::PCA<double>().save(ss);
                  s::PCA<double> p;
                  p.load(ss);
                  return sc(double(p.components().cols()));
                },
                true}};
  t["opt.save"] = {{"a stream in a failed state", [=] {
                      std::ofstream out("/nonexistent/subspace/state");
                      s::RiemannianAdam<G>(s::AdamOptions{}).save(out);
                      return sc(0);
                    }}};
  // ---- plucker.hpp, line3.hpp
  t["plucker"] = {{"k > n", [=] { return m(s::plucker(gaussian(1, 3, 5))); }},
                  {"k = 0", [=] { return m(s::plucker(MatrixXd(4, 0))); }, true}};
  t["Combinations"] = {
      {"C(INT64_MAX, 1)", [=] { return sc(s::Combinations(INT64_MAX, 1).size()); }, true},
      {"C(INT64_MAX, 2)", [=] { return sc(s::Combinations(INT64_MAX, 2).size()); }},
      {"k > n", [=] { return sc(s::Combinations(5, 7).size()); }},
      {"n = -1", [=] { return sc(s::Combinations(-1, 0).size()); }}};
  t[".rank"] = {
      {"an index >= n",
       [=] {
         return sc(s::Combinations(5, 2).rank(std::vector<Index>{1, 5}));
       }},
      {"unsorted",
       [=] {
         return sc(s::Combinations(5, 2).rank(std::vector<Index>{3, 1}));
       }},
      {"wrong size", [=] { return sc(s::Combinations(5, 2).rank(std::vector<Index>{1})); }}};
  t[".unrank"] = {{"-1", [=] { return sc(s::Combinations(5, 2).unrank(-1).size()); }},
                  {"C(n, k)", [=] { return sc(s::Combinations(5, 2).unrank(10).size()); }}};
  t["next"] = {{"an index >= n", [=] {
                  std::vector<Index> sub{1, 7};
                  return sc(s::Combinations::next(sub, 5));
                }}};
  t["hodge"] = {{"C(30000, 15000) before any table", [=] { return m(s::hodge(pl, 30000, 15000)); }},
                {"k > n", [=] { return m(s::hodge(pl, 3, 5)); }},
                {"p of the wrong length", [=] { return m(s::hodge(pl, kN, 2)); }}};
  t["contraction_matrix"] = {
      {"k = 0", [=] { return m(s::contraction_matrix(VectorXd::Ones(1), kN, 0)); }, true},
      {"p of the wrong length", [=] { return m(s::contraction_matrix(pl, kN, 2)); }}};
  t["decomposability_residual"] = {
      {"p of the wrong length", [=] { return sc(s::decomposability_residual(pl, kN, 2)); }}};
  t["from_plucker"] = {{"tol NaN", [=] { return m(s::from_plucker(pl, kN, kK, nan)); }},
                       {"not decomposable", [=] {
                          VectorXd p = VectorXd::Zero(6);
                          p(0) = 1, p(5) = 1;  // e0^e1 + e2^e3
                          return m(s::from_plucker(p, 4, 2));
                        }}};
  t["plucker_pair_features"] = {
      {"a negative offset",
       [=] { return m(s::plucker_pair_features(gaussian(11, 4, 20), std::vector<Index>{-1})); }},
      {"tol NaN", [=] {
         return m(s::plucker_pair_features(gaussian(11, 4, 20), std::vector<Index>{1}, nan));
       }}};
  t["Line3<S>::through"] = {
      {"a NaN point", [=] { return m(L::through(a, V3(nan, 0, 0)).direction()); }},
      {"coincident points", [=] { return m(L::through(a, a).direction()); }}};
  t["from_point_direction"] = {
      {"zero direction", [=] { return m(L::from_point_direction(a, V3::Zero()).direction()); }},
      {"Inf direction", [=] { return m(L::from_point_direction(a, V3(inf, 0, 0)).direction()); }}};
  t["from_direction_moment"] = {
      {"d . m != 0",
       [=] { return m(L::from_direction_moment(V3(1, 0, 0), V3(1, 1, 0)).direction()); }},
      {"zero direction",
       [=] { return m(L::from_direction_moment(V3::Zero(), V3(0, 1, 0)).direction()); }}};
  t["from_plucker"].push_back({"Line3: not a line", [=] {
                                 Eigen::Matrix<double, 6, 1> p;
                                 p << 1, 0, 0, 0, 0, 1;  // d . m = p01 p23 - p02 p13 + p03 p12 = 1
                                 return m(L::from_plucker(p).direction());
                               }});
  t["l.transformed"] = {
      {"NaN in R",
       [=] {
         Eigen::Matrix3d r = Eigen::Matrix3d::Identity();
         r(0, 1) = nan;
         return m(line.transformed(r, V3::Zero()).direction());
       }},
      {"Inf in t",
       [=] { return m(line.transformed(Eigen::Matrix3d::Identity(), V3(inf, 0, 0)).direction()); }},
      {"R not a rotation", [=] {
         return m(line.transformed(2 * Eigen::Matrix3d::Identity(), V3::Zero()).direction());
       }}};
  // ---- pca.hpp
  t["PCA"] = {
      {"Randomized without fixed(k)",
       [=] {
         s::PcaOptions o;
         o.solver = s::PcaSolver::Randomized;
         return m(s::PCA<double>(o).fit(rows).components());
       }},
      {"oversampling -1",
       [=] {
         s::PcaOptions o{s::RankRule::fixed(2)};
         o.solver = s::PcaSolver::Randomized;
         o.oversampling = -1;
         return m(s::PCA<double>(o).fit(rows).components());
       }},
      {"max_state_rank -2",
       [=] {
         s::PcaOptions o;
         o.max_state_rank = -2;
         return m(s::PCA<double>(o).fit(rows).components());
       }},
      {"fixed(7) of 6 features",
       [=] {
         return m(s::PCA<double>(s::PcaOptions{s::RankRule::fixed(7)}).fit(rows).components());
       }},
      {"one sample", [=] { return m(s::PCA<double>().fit(rows.topRows(1)).components()); }, true}};
  t["pca.partial_fit"] = {{"a block with other columns", [=] {
                             auto p = fitted;
                             p.partial_fit(gaussian(1, 5, 7));
                             return m(p.components());
                           }}};
  t["pca.merge"] = {{"other d",
                     [=] {
                       auto p = fitted;
                       p.merge(fitted7);
                       return m(p.components());
                     }},
                    {"an unfitted other (a no-op)",
                     [=] {
                       auto p = fitted;
                       p.merge(s::PCA<double>(s::PcaOptions{s::RankRule::fixed(3)}));
                       return m(p.components());
                     },
                     true}};
  t["transform"] = {{"unfitted", [=] { return m(s::PCA<double>().transform(rows)); }}};
  t["scores"] = {{"unfitted", [=] { return m(s::PCA<double>().scores(rows).residual); }}};
  // ---- ml/anomaly.hpp
  t["roc_auc"] = {{"labels of another length", [=] { return sc(s::roc_auc(sv, labels.head(7))); }},
                  {"one class only", [=] { return sc(s::roc_auc(sv, Eigen::VectorXi::Zero(8))); }}};
  t["roc_curve"] = {{"labels of another length",
                     [=] { return sc(s::roc_curve(sv, labels.head(7)).tpr.size()); }}};
  t["threshold_at_fpr"] = {
      {"alpha NaN", [=] { return sc(s::threshold_at_fpr(sv, nan)); }},
      {"alpha -0.1", [=] { return sc(s::threshold_at_fpr(sv, -0.1)); }},
      {"alpha 1.5", [=] { return sc(s::threshold_at_fpr(sv, 1.5)); }},
      {"no scores", [=] { return sc(s::threshold_at_fpr(VectorXd(0), 0.1)); }}};
  t["tpr_at_fpr"] = {
      {"no normal samples",
       [=] { return sc(s::tpr_at_fpr(sv, Eigen::VectorXi::Ones(8), 0.1).tpr); }},
      {"labels of another length", [=] { return sc(s::tpr_at_fpr(sv, labels.head(7), 0.1).tpr); }}};
  // ---- ml/gcr.hpp
  t["GcrHead::random"] = {
      {"k = 0",
       [=] {
         std::mt19937_64 r(1);
         return basis_of(s::GcrHead<double>::random(kN, 0, 4, r).bases());
       }},
      {"k > d",
       [=] {
         std::mt19937_64 r(1);
         return basis_of(s::GcrHead<double>::random(3, 5, 4, r).bases());
       }},
      {"no classes",
       [=] {
         std::mt19937_64 r(1);
         return basis_of(s::GcrHead<double>::random(kN, kK, 0, r).bases());
       }},
      {"scale NaN", [=] {
         std::mt19937_64 r(1);
         return basis_of(s::GcrHead<double>::random(kN, kK, 4, r, s::GcrOptions{nan}).bases());
       }}};
  t["GcrHead::from_class_pca"] = {
      {"a label >= C",
       [=] { return basis_of(s::GcrHead<double>::from_class_pca(feats, y10, 2, 3).bases()); }},
      {"labels of another length",
       [=] {
         return basis_of(s::GcrHead<double>::from_class_pca(feats, y10.head(9), 2, 4).bases());
       }},
      {"k > d", [=] {
         return basis_of(s::GcrHead<double>::from_class_pca(feats, y10, kN + 1, 4).bases());
       }}};
  t["softmax_cross_entropy"] = {
      {"a label >= C",
       [=] {
         return sc(s::softmax_cross_entropy(gaussian(19, 4, 10), (y10.array() + 1).matrix().eval(),
                                            nullptr));
       }},
      {"a negative label",
       [=] {
         return sc(s::softmax_cross_entropy(gaussian(19, 4, 10), (y10.array() - 1).matrix().eval(),
                                            nullptr));
       }},
      {"labels of another length",
       [=] { return sc(s::softmax_cross_entropy(gaussian(19, 4, 10), y10.head(9), nullptr)); }}};
  t["head.step"] = {{"a gradient of another shape", [=] {
                       auto h = head;
                       s::GcrHead<double>::SGD opt(s::SGDOptions{0.05});
                       h.step(opt, gaussian(1, kN, kK));
                       return basis_of(h.bases());
                     }}};
  // ---- ml/gradient_projection.hpp
  t["GradientProjectionMemory<S>"] = {
      {"d = -1", [=] { return m(s::GradientProjectionMemory<double>(-1).basis()); }},
      {"d = 0", [=] { return m(s::GradientProjectionMemory<double>(0).basis()); }, true}};
  s::GradientProjectionMemory<double> mem(kN);
  mem.update(gaussian(20, kN, 30), 0.9);
  t["mem.update"] = {{"eps NaN",
                      [=] {
                        auto mm = mem;
                        return sc(double(mm.update(gaussian(1, kN, 5), nan).added));
                      }},
                     {"eps 1.5",
                      [=] {
                        auto mm = mem;
                        return sc(double(mm.update(gaussian(1, kN, 5), 1.5).added));
                      }},
                     {"eps -0.1", [=] {
                        auto mm = mem;
                        return sc(double(mm.update(gaussian(1, kN, 5), -0.1).added));
                      }}};
  t["mem.project"] = {{"NaN in G",
                       [=] {
                         MatrixXd g = gaussian(1, 5, kN);
                         g(1, 1) = nan;
                         mem.project(g);
                         return g;
                       }},
                      {"G with other columns",
                       [=] {
                         MatrixXd g = gaussian(1, 5, kN + 1);
                         mem.project(g);
                         return g;
                       }},
                      {"a 1e300 gradient",
                       [=] {
                         MatrixXd g = 1e300 * gaussian(1, 5, kN);
                         mem.project(g);
                         return g;
                       },
                       true}};
  t["mem.project_transposed"] = {{"Inf in G",
                                  [=] {
                                    MatrixXd g = gaussian(1, kN, 5);
                                    g(0, 0) = inf;
                                    mem.project_transposed(g);
                                    return g;
                                  }},
                                 {"G with other rows", [=] {
                                    MatrixXd g = gaussian(1, kN + 1, 5);
                                    mem.project_transposed(g);
                                    return g;
                                  }}};
  t["ThresholdSchedule{0.97, 0.003}.at"] = {{"task -1",
                                             [=] {
                                               return sc(s::ThresholdSchedule{0.97, 0.003}.at(-1));
                                             }},
                                            {"base NaN",
                                             [=] {
                                               return sc(s::ThresholdSchedule{nan, 0.003}.at(2));
                                             }},
                                            {"increment Inf",
                                             [=] {
                                               return sc(s::ThresholdSchedule{0.97, inf}.at(2));
                                             }},
                                            {"base 1.5", [=] {
                                               return sc(s::ThresholdSchedule{1.5, 0.0, 2.0}.at(0));
                                             }}};
  t["SpectralProtection<S>"] = {
      {"f NaN", [=] { return sc((s::SpectralProtection<double>(5, kN, nan), 0)); }},
      {"f 1.5", [=] { return sc((s::SpectralProtection<double>(5, kN, 1.5), 0)); }},
      {"out = -1", [=] { return sc((s::SpectralProtection<double>(-1, kN, 0.9), 0)); }}};
  t[".update"] = {{"W of another shape", [=] {
                     s::SpectralProtection<double> sp(5, kN, 0.9);
                     return sc(double(sp.update(gaussian(1, 6, kN))));
                   }}};
  t[".project"] = {{"NaN in G",
                    [=] {
                      s::SpectralProtection<double> sp(5, kN, 0.9);
                      sp.update(gaussian(1, 5, kN));
                      MatrixXd g = MatrixXd::Ones(5, kN);
                      g(2, 2) = nan;
                      sp.project(g);
                      return g;
                    }},
                   {"G of another shape", [=] {
                      s::SpectralProtection<double> sp(5, kN, 0.9);
                      sp.update(gaussian(1, 5, kN));
                      MatrixXd g = MatrixXd::Ones(4, kN);
                      sp.project(g);
                      return g;
                    }}};
  return t;
}

/// README names with nothing to misuse beyond what the sweep above and the fuzzers cover (the
/// enumerators, types and result fields of no_matrix_argument() count as well).
const std::map<std::string, std::string>& nothing_to_misuse() {
  static const std::map<std::string, std::string> m = {
      {"PcaSolver::Randomized", "an enumerator (its misuse is under PCA)"},
      {"max_state_rank", "an option (its misuse is under PCA)"},
      {"x.random_tangent", "takes only a generator"},
      {"l.reciprocal_product", "takes a line, valid by construction"},
      {"l.distance", "takes a line, valid by construction"},
      {"l.closest_points", "takes a line, valid by construction"},
      {"l.intersection", "takes a line, valid by construction"},
      {"l.to_plucker", "no argument"},
  };
  return m;
}
bool is_not_a_function(const std::string& key) {
  const auto& reasons = no_matrix_argument();
  const auto it = reasons.find(key);
  if (it == reasons.end()) return false;
  for (const char* r : {"an enumerator", "a type", "a result field", "a result type"})
    if (it->second == r) return true;
  return false;
}

}  // namespace

TEST_CASE("misuse sweep: sizes, parameters, enum values and objects of every README function",
          "[misuse]") {
  Bad bad;
  for (const auto& [name, cases] : misuse_table()) {
    for (const Misuse& c : cases) {
      const int outcome = isolated([&c]() -> int {
        const MatrixXd got = c.call();
        if (!c.may_return) return kNoThrow;
        return got.allFinite() ? kFinite : kNonFinite;
      });
      bad.add(name + ": " + c.what, outcome);
    }
  }
  CAPTURE(bad.cases);
  for (const auto& b : bad.list) UNSCOPED_INFO(b);
  CHECK(bad.list.empty());
}

TEST_CASE("misuse sweep: every README name is swept, or says why not", "[misuse]") {
  const auto reg = registry();
  const auto table = misuse_table();
  const auto& skip = nothing_to_misuse();
  for (const auto& key : readme_function_names()) {
    CAPTURE(key);
    const std::size_t swept = reg.count(key) + table.count(key);
    CHECK((swept + skip.count(key) + (is_not_a_function(key) ? 1 : 0)) >= 1);
    CHECK(!(skip.count(key) == 1 && swept > 0));
  }
}
