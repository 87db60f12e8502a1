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

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "helpers.hpp"

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
  return {{MatrixXd(std::move(a))}, [f](const std::vector<MatrixXd>& in, int s, long* c) {
            return dispatch1<true>(in, s, c, f);
          }};
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
constexpr Index n = 12, k = 3;

std::map<std::string, std::vector<Entry>> registry() {
  namespace s = subspace;
  std::map<std::string, std::vector<Entry>> r;
  const MatrixXd a = gaussian(1, n, k), wide = gaussian(2, n, 7), u = basis(3, n, k),
                 v = basis(4, n, 2), x = gaussian(5, n, 9);
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
                                               VectorXd out(n);
                                               p.project_into(m, out);
                                               return out;
                                             }),
                                  one_vector(x.col(0), [proj](const auto& m) {
                                    auto p = proj;
                                    VectorXd out(n);
                                    p.residual_into(m, out);
                                    return out;
                                  })};
  // ---- angles.hpp
  r["principal_angles"] = {
      two(u, v, [](const auto& p, const auto& q) { return VectorXd(s::principal_angles(p, q)); })};
  r["principal_vectors"] = {two(u, v, [](const auto& p, const auto& q) {
    const auto pv = s::principal_vectors(p, q);
    MatrixXd out(n, pv.u.cols() + pv.v.cols());
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
  const MatrixXd pu = basis(9, n, 2 * k);  // two blocks of k
  const P px = P::from_orthonormal(pu, k);
  const MatrixXd pd = px.project(gaussian(10, n, 2 * k)) * 0.1;
  const G gy = gx.retract(d);
  const St sy = sx.retract(sx.project(d));
  const P py = px.retract(pd);
  r["Grassmann"] = {one(a, [](const auto& m) { return G(m).basis(); }),
                    one(u, [](const auto& m) { return G::from_orthonormal(m).basis(); })};
  r["Stiefel"] = {one(a, [](const auto& m) { return St(m).basis(); }),
                  one(u, [](const auto& m) { return St::from_orthonormal(m).basis(); })};
  r["GrassmannProduct<S>"] = {
      one(pu, [](const auto& m) { return P(m, k).basis(); }),
      one(pu, [](const auto& m) { return P::from_orthonormal(m, k).basis(); })};
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
  r["hodge"] = {one_vector(pl, [](const auto& m) { return s::hodge(m, n, k); })};
  r["contraction_matrix"] = {
      one_vector(pl, [](const auto& m) { return s::contraction_matrix(m, n, k); })};
  r["decomposability_residual"] = {
      one_vector(pl, [](const auto& m) { return s::decomposability_residual(m, n, k); })};
  r["from_plucker"] = {
      one_vector(pl, [](const auto& m) { return MatrixXd(s::from_plucker(m, n, k)); })};
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
  const auto head = s::GcrHead<double>::random(n, k, 4, gen);
  const MatrixXd feats = gaussian(16, n, 10);
  const Eigen::VectorXi ylab = (Eigen::VectorXi(10) << 0, 1, 2, 3, 0, 1, 2, 3, 0, 1).finished();
  r["GcrHead<S>::logits"] = {one(feats, [head](const auto& m) { return head.logits(m); })};
  r["head.backward"] = {two(feats, gaussian(17, 4, 10), [head](const auto& p, const auto& q) {
    const auto g = head.backward(p, q);
    MatrixXd out(n, g.dx.cols() + g.dbases.cols());
    out << g.dx, g.dbases;
    return out;
  })};
  r["head.step"] = {one(gaussian(18, n, 4 * k), [head](const auto& m) {
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
  r["mem.update"] = {one(gaussian(20, n, 30), [](const auto& m) {
    s::GradientProjectionMemory<double> mem(n);
    mem.update(m, 0.9);
    return mem.basis();
  })};
  r["SpectralProtection<S>"] = {one(gaussian(21, 5, n), [](const auto& m) {
    s::SpectralProtection<double> sp(5, n, 0.9);
    sp.update(m);
    MatrixXd g = MatrixXd::Ones(5, n);
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
  const MatrixXd a = gaussian(30, n, 4), b = gaussian(31, 4, 4);
  const MatrixXd ab = a * b;
  CHECK(subspace::qr_basis(a * b) == subspace::qr_basis(ab));
  CHECK(subspace::svd_basis(a * b).basis == subspace::svd_basis(ab).basis);
  const MatrixXd u = basis(32, n, k);
  CHECK(subspace::residual_norms(u, a * b) == subspace::residual_norms(u, ab));
  CHECK(subspace::principal_angles(u, subspace::qr_basis(a * b)) ==
        subspace::principal_angles(u, subspace::qr_basis(ab)));
}

TEST_CASE("expressions: every function in the README's tables is covered", "[expressions]") {
  std::ifstream in(SUBSPACE_README_PATH);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const auto reg = registry();
  const auto& skip = no_matrix_argument();
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
    // Every `code` span of the cell (no <regex>: g++ 12 warns falsely inside it at -O1).
    for (std::size_t open = cell.find('`'); open != std::string::npos;) {
      const std::size_t close = cell.find('`', open + 1);
      if (close == std::string::npos) break;
      // The name as the README writes it, up to the first '(': `qr_basis`, `x.exp`,
      // `Projector<Scalar, N, K>`, `.step` (a member of the type named before it).
      const std::string snippet = cell.substr(open + 1, close - open - 1);
      const std::string key = snippet.substr(0, snippet.find('('));
      if (!key.empty()) seen.insert(key);
      open = cell.find('`', close + 1);
    }
  }
  REQUIRE(seen.size() > 40);  // the parser found the tables
  for (const auto& key : seen) {
    CAPTURE(key);
    CHECK((reg.count(key) == 1 || skip.count(key) == 1));
  }
}
