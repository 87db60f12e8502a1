// subspace::mpi under mpirun (any number of ranks; ctest runs 1, 2, 3 and 4): every function
// against its serial counterpart on the same data (uneven shards, an empty rank, a rank with
// fewer rows than columns; float and double), results bitwise identical across ranks, and
// every error path raised on every rank alike (no deadlock).
//
// A plain program, not Catch2: a collective test must take the same path on every rank, and a
// REQUIRE that stops one rank's test case while the others enter the next collective call
// would hang the job. Failures are counted per rank and summed at the end.
#include <subspace/mpi.hpp>
#include <subspace/subspace.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using subspace::Index;
template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

int g_rank = 0, g_size = 1, g_failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++g_failures;
    std::fprintf(stderr, "[rank %d of %d] FAILED: %s\n", g_rank, g_size, what.c_str());
  }
}

template <class S>
Mat<S> gaussian(Index rows, Index cols, std::uint64_t seed) {  // the same on every rank
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n;
  Mat<S> m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = S(n(rng));
  return m;
}

/// Row counts of the shards: uneven; rank 1 empty when P >= 3; the last rank (P >= 2) holds
/// `few` rows (fewer than the columns). Sums to n.
std::vector<Index> shard_counts(Index n, Index few) {
  std::vector<Index> c(std::size_t(g_size), 0);
  Index left = n;
  if (g_size >= 2) {
    c.back() = few;
    left -= few;
  }
  std::vector<int> takers;
  for (int i = 0; i < g_size - (g_size >= 2 ? 1 : 0); ++i)
    if (!(g_size >= 3 && i == 1)) takers.push_back(i);
  // Uneven: weights 1, 2, 3, ... over the takers.
  Index wsum = 0;
  for (std::size_t t = 0; t < takers.size(); ++t) wsum += Index(t + 1);
  Index given = 0;
  for (std::size_t t = 0; t < takers.size(); ++t) {
    const Index share = t + 1 == takers.size() ? left - given : left * Index(t + 1) / wsum;
    c[std::size_t(takers[t])] = share;
    given += share;
  }
  return c;
}
Index shard_offset(const std::vector<Index>& c) {
  Index off = 0;
  for (int i = 0; i < g_rank; ++i) off += c[std::size_t(i)];
  return off;
}

/// True on every rank iff the bytes are the same on every rank.
bool identical(const void* data, std::size_t bytes) {
  std::vector<unsigned char> mine(static_cast<const unsigned char*>(data),
                                  static_cast<const unsigned char*>(data) + bytes);
  unsigned long long n = bytes;
  MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  std::vector<unsigned char> root(static_cast<std::size_t>(n));
  if (g_rank == 0) root = mine;
  MPI_Bcast(root.data(), int(n), MPI_BYTE, 0, MPI_COMM_WORLD);
  int same = (n == bytes && std::memcmp(root.data(), mine.data(), bytes) == 0) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return same == 1;
}
template <class M>
bool identical(const M& m) {
  return identical(m.data(), std::size_t(m.size()) * sizeof(typename M::Scalar));
}

template <class S>
Mat<S> global_sum(const Mat<S>& local) {
  Mat<S> out(local.rows(), local.cols());
  MPI_Allreduce(local.data(), out.data(), int(local.size()),
                sizeof(S) == 8 ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

/// Runs f, expecting exception E on this rank (every rank runs this, so every rank must throw).
template <class E>
void expect_throw(const std::function<void()>& f, const std::string& what) {
  bool threw = false;
  try {
    f();
  } catch (const E&) {
    threw = true;
  } catch (const std::exception& e) {
    check(false, what + ": threw the wrong type: " + e.what());
    return;
  }
  check(threw, what + ": did not throw");
}

template <class S>
S eps() {
  return std::numeric_limits<S>::epsilon();
}

// ---- TSQR --------------------------------------------------------------------------------
template <class S>
void test_tsqr(Index n_rows, Index n_cols, S scale, const char* label) {
  const std::string tag = std::string("tsqr ") + label;
  const Mat<S> a = scale * gaussian<S>(n_rows, n_cols, 11);
  const auto counts = shard_counts(n_rows, 2);
  const Index off = shard_offset(counts), m = counts[std::size_t(g_rank)];
  const Mat<S> a_local = a.middleRows(off, m);
  const auto t = subspace::mpi::tsqr(a_local, MPI_COMM_WORLD);
  check(t.r.rows() == n_cols && t.r.cols() == n_cols, tag + ": R is n x n");
  check(t.q.rows() == m && t.q.cols() == n_cols, tag + ": Q holds this rank's rows");
  check(identical(t.r), tag + ": R bitwise identical on every rank");
  bool upper = true, nonneg = true;
  for (Index j = 0; j < n_cols; ++j) {
    nonneg = nonneg && t.r(j, j) >= S(0);
    for (Index i = j + 1; i < n_cols; ++i) upper = upper && t.r(i, j) == S(0);
  }
  check(upper && nonneg, tag + ": R upper triangular with diag >= 0");
  check(t.r.allFinite() && t.q.allFinite(), tag + ": finite");
  // Reference: Householder QR of the gathered matrix (independent), signs fixed to diag >= 0.
  Eigen::HouseholderQR<Mat<S>> qr(a / scale);
  Mat<S> r_ref = qr.matrixQR().topRows(n_cols).template triangularView<Eigen::Upper>();
  for (Index j = 0; j < n_cols; ++j)
    if (r_ref(j, j) < S(0)) r_ref.row(j) *= S(-1);
  const S tol = S(200) * eps<S>();
  check((t.r / scale - r_ref).norm() <= tol * r_ref.norm(), tag + ": R equals the serial R");
  // A = Q R on this rank, Q^T Q = I globally.
  check(m == 0 || (t.q * (t.r / scale) - a_local / scale).norm() <= tol * r_ref.norm(),
        tag + ": a_local = q r");
  const Mat<S> gram = global_sum<S>(Mat<S>(t.q.transpose() * t.q));
  check((gram - Mat<S>::Identity(n_cols, n_cols)).cwiseAbs().maxCoeff() <= tol,
        tag + ": Q^T Q = I");
}

// ---- orthonormal_basis ---------------------------------------------------------------------
template <class S>
void test_basis(const char* label) {
  const std::string tag = std::string("orthonormal_basis ") + label;
  const Index n_rows = 57, n_cols = 9, rank = 4;
  const Mat<S> a = gaussian<S>(n_rows, rank, 21) * gaussian<S>(rank, n_cols, 22);
  const auto counts = shard_counts(n_rows, 3);
  const Index off = shard_offset(counts), m = counts[std::size_t(g_rank)];
  const Mat<S> a_local = a.middleRows(off, m);
  for (const auto& rule : {subspace::RankRule::automatic(), subspace::RankRule::fixed(2),
                           subspace::RankRule::energy(0.9)}) {
    const auto got = subspace::mpi::orthonormal_basis(a_local, rule, MPI_COMM_WORLD);
    const auto ref = subspace::svd_basis(a, rule);
    check(got.rank == ref.rank, tag + ": the rank of the serial svd_basis");
    check(got.basis.rows() == m && got.basis.cols() == got.rank, tag + ": shape");
    check(identical(got.singular_values), tag + ": singular values identical on every rank");
    const Index nsv = std::min(ref.singular_values.size(), got.singular_values.size());
    check(
        got.singular_values.size() == ref.singular_values.size() &&
            (got.singular_values.head(nsv) - ref.singular_values.head(nsv)).cwiseAbs().maxCoeff() <=
                S(500) * eps<S>() * ref.singular_values(0),
        tag + ": singular values of the serial SVD");
    // Same span: W = B^T B_ref (summed over ranks) has all singular values 1.
    const Mat<S> w = global_sum<S>(Mat<S>(got.basis.transpose() * ref.basis.middleRows(off, m)));
    const Mat<S> gram = global_sum<S>(Mat<S>(got.basis.transpose() * got.basis));
    check((gram - Mat<S>::Identity(got.rank, got.rank)).cwiseAbs().maxCoeff() <= S(200) * eps<S>(),
          tag + ": orthonormal basis");
    if (w.size() > 0) {
      Eigen::JacobiSVD<Mat<S>> sv(w);
      check(sv.singularValues().minCoeff() >= S(1) - S(1e3) * eps<S>(),
            tag + ": spans the serial basis' subspace");
    }
  }
  expect_throw<subspace::RankDeficient>(
      [&] {
        subspace::mpi::orthonormal_basis(a_local, subspace::RankRule::fixed(6), MPI_COMM_WORLD);
      },
      tag + ": fixed(k) beyond the rank");
  if (g_size > 1)
    expect_throw<subspace::InvalidParameter>(
        [&] {
          subspace::mpi::orthonormal_basis(a_local, subspace::RankRule::fixed(g_rank == 0 ? 2 : 3),
                                           MPI_COMM_WORLD);
        },
        tag + ": rank rules that differ between ranks");
  // An expression argument (evaluated once) gives the result of the matrix it evaluates to.
  const auto twice = subspace::mpi::orthonormal_basis(
      S(2) * a_local, subspace::RankRule::automatic(), MPI_COMM_WORLD);
  const auto plain =
      subspace::mpi::orthonormal_basis(a_local, subspace::RankRule::automatic(), MPI_COMM_WORLD);
  check(twice.rank == plain.rank &&
            (twice.singular_values - S(2) * plain.singular_values).cwiseAbs().maxCoeff() <=
                S(1e3) * eps<S>() * plain.singular_values(0),
        tag + ": an expression argument");
}

// ---- principal angles ----------------------------------------------------------------------
template <class S>
void test_angles(const char* label) {
  const std::string tag = std::string("principal_angles ") + label;
  const Index n_rows = 40, k = 5;
  // U = Q_1..k, V_j = cos(t_j) Q_j + sin(t_j) Q_{k+j}: known angles, tiny to near pi/2, mixed.
  const Mat<S> q = subspace::qr_basis(gaussian<S>(n_rows, 2 * k, 31));
  const double pi2 = std::acos(-1.0) / 2;
  const bool dbl = sizeof(S) == 8;
  const std::vector<double> theta = {dbl ? 1e-12 : 1e-6, 0.7, dbl ? 1e-7 : 1e-3, pi2 - 1e-9, 0.3};
  Mat<S> u = q.leftCols(k), v(n_rows, k);
  for (Index j = 0; j < k; ++j)
    v.col(j) = S(std::cos(theta[std::size_t(j)])) * q.col(j) +
               S(std::sin(theta[std::size_t(j)])) * q.col(k + j);
  // Angles of the float inputs as stored: the serial function on the same data is the reference.
  const Vec<S> ref = subspace::principal_angles(u, v);
  std::vector<double> sorted = theta;
  std::sort(sorted.begin(), sorted.end());
  const auto counts = shard_counts(n_rows, 3);
  const Index off = shard_offset(counts), m = counts[std::size_t(g_rank)];
  const Mat<S> ul = u.middleRows(off, m), vl = v.middleRows(off, m);
  const Vec<S> got = subspace::mpi::principal_angles(ul, vl, MPI_COMM_WORLD);
  check(identical(got), tag + ": identical on every rank");
  check(got.size() == k, tag + ": min(k, l) angles");
  for (Index i = 0; i < std::min<Index>(k, got.size()); ++i) {
    const double err = std::abs(double(got(i)) - double(ref(i)));
    check(err <= 20 * double(eps<S>()), tag + ": angle " + std::to_string(i) + " = serial");
    if (dbl)
      check(std::abs(double(got(i)) - sorted[std::size_t(i)]) <= 1e-14,
            tag + ": angle " + std::to_string(i) + " = the constructed angle, relatively");
  }
  // k != l, and the arguments swapped.
  const Vec<S> got2 = subspace::mpi::principal_angles(vl.leftCols(2), ul, MPI_COMM_WORLD);
  const Vec<S> ref2 = subspace::principal_angles(v.leftCols(2), u);
  check(got2.size() == 2 && (got2 - ref2).cwiseAbs().maxCoeff() <= 20 * eps<S>(), tag + ": k != l");
  // Errors, raised on every rank.
  expect_throw<subspace::NotOrthonormal>(
      [&] { subspace::mpi::principal_angles(Mat<S>(S(2) * ul), vl, MPI_COMM_WORLD); },
      tag + ": not orthonormal");
  Mat<S> vbad = vl;
  if (g_rank == g_size - 1 && vbad.size() > 0) vbad(0, 0) = std::numeric_limits<S>::quiet_NaN();
  expect_throw<subspace::NonFiniteInput>(
      [&] { subspace::mpi::principal_angles(ul, vbad, MPI_COMM_WORLD); },
      tag + ": NaN on one rank");
  const Mat<S> vcols = g_rank == 0 ? Mat<S>(vl.leftCols(2)) : vl;
  if (g_size > 1)
    expect_throw<subspace::DimensionMismatch>(
        [&] { subspace::mpi::principal_angles(ul, vcols, MPI_COMM_WORLD); },
        tag + ": column counts differ between ranks");
}

// ---- gradient projection memory ------------------------------------------------------------
template <class S>
void test_gpm(const char* label) {
  const std::string tag = std::string("gpm update ") + label;
  const Index d = 20, s = 37;
  subspace::GradientProjectionMemory<S> serial(d), dist(d);
  for (int task = 0; task < 2; ++task) {
    const Mat<S> r = gaussian<S>(d, 6, 41 + task) * gaussian<S>(6, s, 51 + task) +
                     S(0.01) * gaussian<S>(d, s, 61 + task);
    const auto counts = shard_counts(s, 2);
    const Index off = shard_offset(counts), m = counts[std::size_t(g_rank)];
    const Mat<S> r_local = r.middleCols(off, m);
    const auto a = serial.update(r, 0.95);
    const auto b = subspace::mpi::update(dist, r_local, 0.95, MPI_COMM_WORLD);
    check(a.added == b.added && a.size == b.size, tag + ": same directions added as serial");
    check(std::abs(a.energy_before - b.energy_before) <= 1e3 * double(eps<S>()) &&
              std::abs(a.energy_after - b.energy_after) <= 1e3 * double(eps<S>()),
          tag + ": same energies as serial");
    check(identical(dist.basis()), tag + ": memory identical on every rank");
    if (dist.size() == serial.size() && dist.size() > 0) {
      const Vec<S> ang = subspace::principal_angles(dist.basis(), serial.basis());
      check(ang.maxCoeff() <= S(1e3) * eps<S>(), tag + ": memory spans the serial memory");
    }
  }
  expect_throw<subspace::InvalidParameter>(
      [&] { subspace::mpi::update(dist, Mat<S>(gaussian<S>(d, 3, 71)), 1.5, MPI_COMM_WORLD); },
      tag + ": threshold outside (0, 1]");
  if (g_size > 1)
    expect_throw<subspace::InvalidParameter>(
        [&] {
          subspace::mpi::update(dist, Mat<S>(gaussian<S>(d, 3, 75)), g_rank == 0 ? 0.5 : 0.9,
                                MPI_COMM_WORLD);
        },
        tag + ": thresholds that differ between ranks");
  const Mat<S> wrong = gaussian<S>(g_rank == g_size - 1 ? d + 1 : d, 3, 72);
  expect_throw<subspace::DimensionMismatch>(
      [&] { subspace::mpi::update(dist, wrong, 0.9, MPI_COMM_WORLD); },
      tag + ": rows differ from d on one rank");
  if (g_size > 1) {
    subspace::GradientProjectionMemory<S> other(d);
    if (g_rank == 1) other.update(gaussian<S>(d, 2, 73), 0.5);
    expect_throw<subspace::InvalidParameter>(
        [&] { subspace::mpi::update(other, Mat<S>(gaussian<S>(d, 3, 74)), 0.9, MPI_COMM_WORLD); },
        tag + ": memories differ between ranks");
  }
}

// ---- PCA states ----------------------------------------------------------------------------
template <class S>
void test_pca(const char* label) {
  const std::string tag = std::string("pca allreduce ") + label;
  const Index n_rows = 230, d = 7;
  Mat<S> x = gaussian<S>(n_rows, d, 81) * gaussian<S>(d, d, 82);
  x.rowwise() += Eigen::Matrix<S, 1, Eigen::Dynamic>::LinSpaced(d, S(3), S(9));
  const auto counts = shard_counts(n_rows, 3);
  const Index off = shard_offset(counts), m = counts[std::size_t(g_rank)];
  subspace::PcaOptions opt;
  opt.rank = subspace::RankRule::fixed(3);
  subspace::PCA<S> serial(opt);
  serial.fit(x);
  subspace::PCA<S> local(opt);
  if (m > 0) local.partial_fit(x.middleRows(off, m));  // an empty rank stays unfitted
  const auto before = local.serialize();
  subspace::PCA<S> root_copy = local;

  subspace::mpi::allreduce(local, MPI_COMM_WORLD);
  const auto bytes = local.serialize();
  check(identical(bytes.data(), bytes.size()), tag + ": state bitwise identical on every rank");
  check(local.samples() == n_rows && local.dim() == d && local.rank() == 3, tag + ": union");
  const S tol = S(sizeof(S) == 8 ? 1e-12 : 1e-4);
  check(
      (local.singular_values().head(d) - serial.singular_values().head(d)).cwiseAbs().maxCoeff() <=
          tol * serial.singular_values()(0),
      tag + ": singular values of the serial fit");
  check((local.mean() - serial.mean()).cwiseAbs().maxCoeff() <= tol * serial.mean().norm(),
        tag + ": mean of the serial fit");
  const Vec<S> ang =
      subspace::principal_angles(Mat<S>(local.components()), Mat<S>(serial.components()));
  check(ang.maxCoeff() <= (sizeof(S) == 8 ? S(1e-10) : S(1e-3)),
        tag + ": components span the serial ones");
  const auto sa = local.scores(x.topRows(20)), sb = serial.scores(x.topRows(20));
  check((sa.residual - sb.residual).cwiseAbs().maxCoeff() <=
            S(100) * tol * sb.residual.cwiseAbs().maxCoeff(),
        tag + ": residual scores of the serial fit");

  // reduce to the last rank: only it changes.
  const int root = g_size - 1;
  subspace::mpi::reduce(root_copy, root, MPI_COMM_WORLD);
  const auto after = root_copy.serialize();
  if (g_rank == root)  // another tree (rooted elsewhere): the same state up to rounding
    check(root_copy.samples() == n_rows &&
              (root_copy.singular_values().head(d) - serial.singular_values().head(d))
                      .cwiseAbs()
                      .maxCoeff() <= tol * serial.singular_values()(0),
          "pca reduce: the root holds the union's state");
  else
    check(after == before, "pca reduce: other ranks unchanged");

  // Errors on every rank.
  if (g_size > 1) {
    subspace::PCA<S> wrong_dim(opt);
    wrong_dim.fit(gaussian<S>(5, g_rank == g_size - 1 ? d + 1 : d, 91));
    const auto keep = wrong_dim.serialize();
    expect_throw<subspace::DimensionMismatch>(
        [&] { subspace::mpi::allreduce(wrong_dim, MPI_COMM_WORLD); }, tag + ": dimensions differ");
    check(wrong_dim.serialize() == keep, tag + ": model unchanged after the error");
    subspace::PcaOptions other = opt;
    if (g_rank == 0) other.center = false;
    subspace::PCA<S> wrong_opt(other);
    wrong_opt.fit(gaussian<S>(5, d, 92));
    expect_throw<subspace::InvalidParameter>(
        [&] { subspace::mpi::allreduce(wrong_opt, MPI_COMM_WORLD); }, tag + ": options differ");
  }
  expect_throw<subspace::InvalidParameter>(
      [&] { subspace::mpi::reduce(root_copy, g_size, MPI_COMM_WORLD); }, "pca reduce: bad root");
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  test_tsqr<double>(61, 6, 1.0, "double");
  test_tsqr<double>(61, 6, 1e-300, "double 1e-300");
  test_tsqr<double>(61, 6, 1e300, "double 1e300");
  test_tsqr<float>(61, 6, 1.0f, "float");
  test_tsqr<double>(7, 6, 1.0, "double, N barely above n");
  test_basis<double>("double");
  test_basis<float>("float");
  test_angles<double>("double");
  test_angles<float>("float");
  test_gpm<double>("double");
  test_gpm<float>("float");
  test_pca<double>("double");
  test_pca<float>("float");
  // tsqr errors
  const Mat<double> a = gaussian<double>(10, g_rank == g_size - 1 && g_size > 1 ? 4 : 3, 99);
  if (g_size > 1)
    expect_throw<subspace::DimensionMismatch>([&] { subspace::mpi::tsqr(a, MPI_COMM_WORLD); },
                                              "tsqr: column counts differ between ranks");
  Mat<double> nan = gaussian<double>(4, 3, 98);
  if (g_rank == 0) nan(1, 1) = std::numeric_limits<double>::infinity();
  expect_throw<subspace::NonFiniteInput>([&] { subspace::mpi::tsqr(nan, MPI_COMM_WORLD); },
                                         "tsqr: Inf on rank 0");

  int failures = g_failures;
  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (g_rank == 0)
    std::printf("subspace_mpi_tests on %d ranks: %s (%d failed checks)\n", g_size,
                failures == 0 ? "passed" : "FAILED", failures);
  MPI_Finalize();
  return failures == 0 ? 0 : 1;
}
