#pragma once
/// \file
/// Distributed subspace computations over MPI: PCA states merged across processes, tall-skinny
/// QR (TSQR), orthonormal bases and principal angles of row-distributed matrices, and gradient
/// projection memories fed by sample-distributed activations.
///
/// Opt-in: this header needs MPI (CMake option SUBSPACE_WITH_MPI, target subspace::mpi, which
/// links MPI::MPI_CXX) and is not included by subspace.hpp. Only the C API of MPI is used, so it
/// builds against Open MPI and MPICH alike.
///
/// Conventions of every function here:
/// - It is **collective** over `comm`: every rank calls it, in the same order. The call works
///   on a private duplicate of `comm` (MPI_Comm_dup), so its messages never match the caller's.
/// - Results that are "the same on every rank" are **bitwise identical** on every rank: they are
///   computed once (on the root of a reduction tree) and broadcast, or computed on every rank
///   from broadcast data by the same deterministic code.
/// - Input errors are **agreed**: every rank checks its own part, then the ranks exchange one
///   integer; if any rank failed, every rank throws the same typed error (the one of the
///   lowest failing rank, with its message and rank number), so no rank is left waiting in a
///   collective call (no deadlock). Release builds run these checks too.
/// - Homogeneous clusters: matrices travel as their in-memory bytes (MPI_BYTE), so every rank
///   must use the same floating-point format (true of every MPI cluster in practice). PCA
///   states travel in the portable binary form of PCA::serialize.
/// - Messages larger than 2^31 bytes are sent in 1 GiB pieces (MPI counts are int).
///
/// Communication pattern: binomial trees rooted at rank 0 (or the requested root), so a
/// reduction is ceil(log2 P) message steps deep and no rank sends more than one message up
/// the tree; results are broadcast (MPI_Bcast) down. Sums of small matrices (Gram matrices,
/// U^T V) use MPI_Reduce then MPI_Bcast rather than MPI_Allreduce, because MPI does not
/// promise that MPI_Allreduce gives every rank the same bits.

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "angles.hpp"
#include "basis.hpp"
#include "detail/householder.hpp"
#include "ml/gradient_projection.hpp"
#include "pca.hpp"

namespace subspace::mpi {

/// An MPI call returned an error code (only reachable when the communicator's error handler
/// is MPI_ERRORS_RETURN; MPI's default handler aborts the job instead).
class MpiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The factors of a row-distributed tall-skinny QR, A = Q R (see `tsqr`).
template <class Scalar>
struct Tsqr {
  /// n x n, upper triangular with diag(R) >= 0; bitwise identical on every rank. Rows beyond
  /// the total row count N are zero when N < n.
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> r;
  /// This rank's rows of Q (m_local x n). The columns of the global Q are orthonormal when
  /// N >= n; when N < n the last n - N columns are zero, and A = Q R still holds.
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> q;
};

namespace detail {

using subspace::detail::message;
template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

inline void check(int rc, const char* call) {
  if (rc != MPI_SUCCESS)
    throw MpiError(message("subspace::mpi: ", call, " failed (code ", rc, ")"));
}

/// A private duplicate of the caller's communicator for the duration of one call.
class Comm {
 public:
  explicit Comm(MPI_Comm comm) {
    check(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  }
  ~Comm() { MPI_Comm_free(&comm_); }
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;
  MPI_Comm get() const { return comm_; }
  int size() const { return size_; }
  int rank() const { return rank_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int size_ = 1, rank_ = 0;
};

// ---- bytes on the wire -------------------------------------------------------------------
constexpr std::size_t kPiece = std::size_t(1) << 30;  // MPI counts are int: 1 GiB pieces

inline void send_raw(const void* data, std::size_t bytes, int dest, const Comm& c) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t off = 0; off < bytes; off += kPiece)
    check(MPI_Send(p + off, int(std::min(kPiece, bytes - off)), MPI_BYTE, dest, 0, c.get()),
          "MPI_Send");
}
inline void recv_raw(void* data, std::size_t bytes, int source, const Comm& c) {
  auto* p = static_cast<unsigned char*>(data);
  for (std::size_t off = 0; off < bytes; off += kPiece)
    check(MPI_Recv(p + off, int(std::min(kPiece, bytes - off)), MPI_BYTE, source, 0, c.get(),
                   MPI_STATUS_IGNORE),
          "MPI_Recv");
}
inline void bcast_raw(void* data, std::size_t bytes, int root, const Comm& c) {
  auto* p = static_cast<unsigned char*>(data);
  for (std::size_t off = 0; off < bytes; off += kPiece)
    check(MPI_Bcast(p + off, int(std::min(kPiece, bytes - off)), MPI_BYTE, root, c.get()),
          "MPI_Bcast");
}
inline void send_bytes(const std::vector<std::uint8_t>& b, int dest, const Comm& c) {
  const std::uint64_t n = b.size();
  send_raw(&n, sizeof n, dest, c);
  send_raw(b.data(), b.size(), dest, c);
}
inline std::vector<std::uint8_t> recv_bytes(int source, const Comm& c) {
  std::uint64_t n = 0;
  recv_raw(&n, sizeof n, source, c);
  std::vector<std::uint8_t> b(static_cast<std::size_t>(n));
  recv_raw(b.data(), b.size(), source, c);
  return b;
}
inline void bcast_bytes(std::vector<std::uint8_t>& b, int root, const Comm& c) {
  std::uint64_t n = b.size();
  bcast_raw(&n, sizeof n, root, c);
  b.resize(static_cast<std::size_t>(n));
  bcast_raw(b.data(), b.size(), root, c);
}
template <class S>
void send_matrix(const Mat<S>& m, int dest, const Comm& c) {
  const std::int64_t shape[2] = {std::int64_t(m.rows()), std::int64_t(m.cols())};
  send_raw(shape, sizeof shape, dest, c);
  send_raw(m.data(), std::size_t(m.size()) * sizeof(S), dest, c);
}
template <class S>
Mat<S> recv_matrix(int source, const Comm& c) {
  std::int64_t shape[2] = {0, 0};
  recv_raw(shape, sizeof shape, source, c);
  Mat<S> m(static_cast<Index>(shape[0]), static_cast<Index>(shape[1]));
  recv_raw(m.data(), std::size_t(m.size()) * sizeof(S), source, c);
  return m;
}
/// The same matrix (shape already agreed) on every rank, from `root`.
template <class S>
void bcast_matrix(Mat<S>& m, int root, const Comm& c) {
  bcast_raw(m.data(), std::size_t(m.size()) * sizeof(S), root, c);
}
/// The scalar types subspace::mpi moves (as MPI_FLOAT / MPI_DOUBLE and raw bytes).
template <class S>
constexpr void check_scalar() {
  static_assert(std::is_same<S, double>::value || std::is_same<S, float>::value,
                "subspace::mpi supports float and double");
}
/// MPI's datatype for S.
template <class S>
MPI_Datatype datatype() {
  check_scalar<S>();
  return std::is_same<S, double>::value ? MPI_DOUBLE : MPI_FLOAT;
}
/// FNV-1a over bytes, continuing from `h`: a fingerprint to compare what ranks hold.
inline std::uint64_t fnv1a(const void* data, std::size_t bytes,
                           std::uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}
/// A fingerprint of a rank rule (kind, value, k), to check that every rank passed the same.
inline std::int64_t fingerprint(const RankRule& rule) {
  const std::int64_t kind = std::int64_t(rule.kind()), k = std::int64_t(rule.k());
  const double value = rule.value();
  return std::int64_t(fnv1a(&k, sizeof k, fnv1a(&value, sizeof value, fnv1a(&kind, sizeof kind))));
}

/// sum over ranks of `local` (same shape everywhere), bitwise identical on every rank.
template <class S>
Mat<S> sum(const Mat<S>& local, const Comm& c) {
  Mat<S> out(local.rows(), local.cols());
  const MPI_Datatype type = datatype<S>();
  const std::size_t n = std::size_t(local.size());
  for (std::size_t off = 0; off < n; off += kPiece / sizeof(S)) {
    const int count = int(std::min(kPiece / sizeof(S), n - off));
    check(MPI_Reduce(local.data() + off, out.data() + off, count, type, MPI_SUM, 0, c.get()),
          "MPI_Reduce");
  }
  bcast_matrix(out, 0, c);
  return out;
}
/// Every rank's value, in rank order.
inline std::vector<std::int64_t> allgather(std::int64_t value, const Comm& c) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(c.size()));
  check(MPI_Allgather(&value, 1, MPI_INT64_T, all.data(), 1, MPI_INT64_T, c.get()),
        "MPI_Allgather");
  return all;
}

// ---- agreed errors -----------------------------------------------------------------------
/// What one rank's local work ended with: 0 = success, else the error kind and its text.
struct Outcome {
  int code = 0;
  std::string what;
};
/// \cond INTERNAL_MACROS
// The typed errors that travel between ranks: one list for the codes, the catches and the
// throws (an error of another type arrives as MpiError with its text).
#define SUBSPACE_MPI_ERRORS(X) \
  X(DimensionMismatch)         \
  X(NonFiniteInput)            \
  X(NotOrthonormal)            \
  X(RankDeficient)             \
  X(InvalidParameter)          \
  X(FormatError)               \
  X(TooLarge)                  \
  X(OutsideDomain)             \
  X(NotDecomposable)           \
  X(InvalidArgument) /* the base class: last, after its subclasses */
#define SUBSPACE_MPI_CODE(E) k##E,
enum Code : int { kOk = 0, SUBSPACE_MPI_ERRORS(SUBSPACE_MPI_CODE) kOther };
#undef SUBSPACE_MPI_CODE

template <class F>
Outcome attempt(F&& f) noexcept {
#define SUBSPACE_MPI_CATCH(E) \
  catch (const E& e) {        \
    return {k##E, e.what()};  \
  }
  try {
    f();
    return {};
  }
  SUBSPACE_MPI_ERRORS(SUBSPACE_MPI_CATCH)
  catch (const std::bad_alloc&) {
    return {kOther, "out of memory (std::bad_alloc)"};
  }
  catch (const std::exception& e) {
    return {kOther, e.what()};
  }
  catch (...) {
    return {kOther, "unknown exception"};
  }
#undef SUBSPACE_MPI_CATCH
}

[[noreturn]] inline void raise(int code, const std::string& text) {
#define SUBSPACE_MPI_THROW(E) \
  if (code == k##E) throw E(text);
  SUBSPACE_MPI_ERRORS(SUBSPACE_MPI_THROW)
#undef SUBSPACE_MPI_THROW
  throw MpiError(text);
}
#undef SUBSPACE_MPI_ERRORS
/// \endcond

/// Collective: if any rank's outcome is an error, every rank throws the error of the lowest
/// failing rank (same type, same text). One MPI_Allgather of an int; a broadcast more on error.
inline void agree(const Outcome& mine, const Comm& c, const char* func) {
  std::vector<int> codes(static_cast<std::size_t>(c.size()));
  check(MPI_Allgather(&mine.code, 1, MPI_INT, codes.data(), 1, MPI_INT, c.get()), "MPI_Allgather");
  int first = -1;
  for (int i = 0; i < c.size() && first < 0; ++i)
    if (codes[std::size_t(i)] != kOk) first = i;
  if (first < 0) return;
  std::vector<std::uint8_t> text;
  if (c.rank() == first) text.assign(mine.what.begin(), mine.what.end());
  bcast_bytes(text, first, c);
  raise(codes[std::size_t(first)],
        message(func, ": on rank ", first, ": ", std::string(text.begin(), text.end())));
}
/// Runs `f` on this rank, then agrees on the outcome (see `agree`).
template <class F>
void checked(const Comm& c, const char* func, F&& f) {
  agree(attempt(std::forward<F>(f)), c, func);
}

// ---- TSQR --------------------------------------------------------------------------------
/// One Householder QR in the tree: of `rows` x n stacked rows, h = min(rows, n) reflectors.
/// Q is never formed on its own: `times` applies it to [C; 0], which is all TSQR needs, at the
/// cost of forming Q (so a one-rank TSQR costs what a serial QR with its thin Q costs).
template <class S>
struct Factor {
  Eigen::HouseholderQR<Mat<S>> qr;
  Index rows = 0, h = 0;

  /// Factors a (rows x n); returns its R (h x n, upper triangular).
  template <class A>
  Mat<S> compute(const A& a) {
    rows = a.rows();
    h = std::min(a.rows(), a.cols());
    if (h == 0) return Mat<S>(0, a.cols());
    qr.compute(a);
    return qr.matrixQR().topRows(h).template triangularView<Eigen::Upper>();
  }
  /// Q [C; 0] (rows x C.cols()), C with h rows.
  Mat<S> times(const Mat<S>& cm) const {
    Mat<S> out = Mat<S>::Zero(rows, cm.cols());
    if (h == 0) return out;  // (nothing was factored: Q is the identity)
    out.topRows(h) = cm;
    subspace::detail::apply_householder_q(qr, out);
    return out;
  }
};

/// The R factor and (optionally) this rank's rows of Q of c A, where A's rows are distributed
/// and c is a power of two chosen from the global max|A| (1 unless A's scale is extreme; see
/// subspace::detail::unit_scale). r_top is h x n with h = min(N, n) (N = total rows), upper
/// triangular, diag >= 0, identical on every rank; q is m_local x h. Input already checked.
template <class S>
struct TreeQr {
  Mat<S> r_top;
  Mat<S> q;
  S scale = S(1);
  std::int64_t total_rows = 0;
};

template <class S>
TreeQr<S> tree_qr(const Eigen::Ref<const Mat<S>>& a, const Comm& c, bool want_q) {
  TreeQr<S> out;
  const Index n = a.cols();
  for (const std::int64_t m : allgather(a.rows(), c)) out.total_rows += m;
  // Global scale: the max of the local maxima is exact, so every rank gets the same c.
  S amax = a.size() > 0 ? a.cwiseAbs().maxCoeff() : S(0);
  check(MPI_Allreduce(MPI_IN_PLACE, &amax, 1, datatype<S>(), MPI_MAX, c.get()), "MPI_Allreduce");
  out.scale = subspace::detail::unit_scale(Eigen::Matrix<S, 1, 1>::Constant(amax));
  Factor<S> local;
  Mat<S> r = out.scale == S(1) ? local.compute(a) : local.compute(out.scale * a);

  // Up the binomial tree: at step s a rank with bit s set sends its R to rank - s and stops;
  // the receiver factors [R_self; R_child] and keeps that factor for the way down.
  struct Level {
    int child;
    Index own_rows;
    Factor<S> f;
  };
  std::vector<Level> levels;
  int parent = -1;
  const int me = c.rank(), p = c.size();
  for (int s = 1; s < p; s <<= 1) {
    if (me & s) {
      parent = me - s;
      send_matrix<S>(r, parent, c);
      break;
    }
    if (me + s < p) {
      const Mat<S> child = recv_matrix<S>(me + s, c);
      Mat<S> stacked(r.rows() + child.rows(), n);
      stacked << r, child;
      Level level{me + s, r.rows(), Factor<S>()};
      r = level.f.compute(stacked);
      if (want_q) levels.push_back(std::move(level));
    }
  }
  // The root makes diag(R) >= 0 and broadcasts R: identical on every rank.
  std::int64_t h = r.rows();
  check(MPI_Bcast(&h, 1, MPI_INT64_T, 0, c.get()), "MPI_Bcast");
  Mat<S> signs;
  if (me == 0) {
    signs.setIdentity(h, h);
    for (Index j = 0; j < Index(h); ++j)
      if (r(j, j) < S(0)) {
        r.row(j) *= S(-1);
        signs(j, j) = S(-1);
      }
    out.r_top = std::move(r);
  } else {
    out.r_top.resize(Index(h), n);
  }
  bcast_matrix(out.r_top, 0, c);
  if (!want_q) return out;

  // Down the tree: C maps this rank's current R rows to the final Q columns; each level's Q
  // applied to [C; 0] gives the maps of its two halves.
  Mat<S> cmap = me == 0 ? signs : recv_matrix<S>(parent, c);
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
    const Mat<S> both = it->f.times(cmap);
    send_matrix<S>(Mat<S>(both.bottomRows(both.rows() - it->own_rows)), it->child, c);
    cmap = both.topRows(it->own_rows);
  }
  out.q = local.times(cmap);
  return out;
}

/// Local checks shared by the row-distributed functions: finite entries, and the same column
/// count on every rank (agreed, so every rank throws alike).
template <class S>
void check_rows_input(const Eigen::Ref<const Mat<S>>& a, const Comm& c, const char* func,
                      const char* name) {
  checked(c, func, [&] { subspace::detail::require_finite(a, func, name); });
  const auto cols = allgather(a.cols(), c);
  for (int i = 0; i < c.size(); ++i)
    if (cols[std::size_t(i)] != cols[0])
      throw DimensionMismatch(message(func, ": ", name, " has ", cols[0], " columns on rank 0 but ",
                                      cols[std::size_t(i)], " on rank ", i));
}

/// A fingerprint of a matrix: its shape and bytes.
template <class S>
std::uint64_t fingerprint(const Mat<S>& m) {
  return fnv1a(m.data(), std::size_t(m.size()) * sizeof(S),
               1469598103934665603ull ^ std::uint64_t(m.rows()) ^ (std::uint64_t(m.cols()) << 32));
}

}  // namespace detail

/// Tall-skinny QR of a matrix A (N x n) distributed by rows: this rank passes its rows
/// a_local (m_local x n; any m_local >= 0, also fewer rows than columns, or none), and gets
/// R (n x n, upper triangular, diag(R) >= 0, bitwise identical on every rank) and its own rows
/// of Q, so that a_local = q r on each rank and the global Q has orthonormal columns (N >= n).
///
/// Algorithm: TSQR (Demmel, Grigori, Hoemmen & Langou, SIAM J. Sci. Comput. 34(1), 2012):
/// each rank factors its rows by Householder QR, the R factors are combined up a binomial
/// tree (ceil(log2 P) steps, each the QR of two stacked triangles), and Q is formed on the way
/// back down. As accurate as Householder QR of the whole matrix (backward stable); the input
/// is scaled by a power of two first when its magnitude is extreme (exact). With diag(R) >= 0
/// and A of full column rank, R and Q are unique, so they equal those of `qr_basis` on the
/// gathered matrix to working precision.
///
/// Cost per rank: 2 m_local n^2 flops locally, plus per tree level 2 (2n)n^2 flops and one
/// message of n^2 scalars up and one down. Collective. Throws (on every rank alike)
/// NonFiniteInput, DimensionMismatch (column counts differ between ranks, or n = 0).
template <class Derived>
Tsqr<typename Derived::Scalar> tsqr(const Eigen::MatrixBase<Derived>& a_local, MPI_Comm comm) {
  using S = typename Derived::Scalar;
  constexpr const char* func = "subspace::mpi::tsqr";
  detail::check_scalar<S>();
  const detail::Comm c(comm);
  const Eigen::Ref<const detail::Mat<S>> a(a_local.derived());  // an expression: evaluated once
  detail::check_rows_input(a, c, func, "A");
  if (a.cols() == 0) throw DimensionMismatch(detail::message(func, ": A has no columns"));
  auto t = detail::tree_qr(a, c, true);
  const Index n = a.cols(), h = t.r_top.rows();
  Tsqr<S> out;
  if (h == n) {  // N >= n, the usual case: no padding, no copy
    out.r = std::move(t.r_top);
    if (t.scale != S(1)) out.r /= t.scale;
    out.q = std::move(t.q);
    return out;
  }
  out.r.setZero(n, n);
  out.r.topRows(h) = t.r_top / t.scale;
  out.q.setZero(a.rows(), n);
  out.q.leftCols(h) = t.q;
  return out;
}

/// Orthonormal basis of the column span of a row-distributed A (N x n), with the rank chosen
/// by `rule` exactly as in `svd_basis` (RankRule::automatic, fixed, tolerance, energy,
/// evaluated with the global shape N x n): TSQR, then the SVD of the n x n factor R = U_R S V^T,
/// so that A = (Q U_R) S V^T. Returns this rank's rows of the basis (m_local x rank) in
/// `basis`, and the rank and all min(N, n) singular values, identical on every rank.
/// Cost: that of `tsqr` plus O(n^3) on every rank (the SVD is repeated, not broadcast: same
/// input, same code, same bits) and 2 m_local n r. Collective. Throws what `tsqr` throws, and
/// what `rule` throws (RankDeficient for fixed(k) beyond the numerical rank).
template <class Derived>
BasisResult<typename Derived::Scalar> orthonormal_basis(const Eigen::MatrixBase<Derived>& a_local,
                                                        const RankRule& rule, MPI_Comm comm) {
  using S = typename Derived::Scalar;
  constexpr const char* func = "subspace::mpi::orthonormal_basis";
  detail::check_scalar<S>();
  const detail::Comm c(comm);
  const Eigen::Ref<const detail::Mat<S>> a(a_local.derived());
  detail::check_rows_input(a, c, func, "A");
  {  // the same rank rule everywhere (kind, value, k)
    const auto rules = detail::allgather(detail::fingerprint(rule), c);
    for (int i = 1; i < c.size(); ++i)
      if (rules[std::size_t(i)] != rules[0])
        throw InvalidParameter(detail::message(func,
                                               ": the rank rule differs between rank 0 and rank ",
                                               i, "; every rank must pass the same"));
  }
  const auto t = detail::tree_qr(a, c, true);
  BasisResult<S> out;
  const Index h = t.r_top.rows();
  if (h == 0) {  // no rows anywhere (or no columns): rank 0, as svd_basis of an empty matrix
    out.basis.resize(a.rows(), 0);
    if (rule.kind() == RankRule::Kind::Fixed && rule.k() > 0)
      throw DimensionMismatch(detail::message(func, ": requested rank ", rule.k(), " of an empty ",
                                              subspace::detail::shape(t.total_rows, a.cols()),
                                              " matrix"));
    return out;
  }
  // The SVD on rank 0, broadcast: the same bits everywhere even on ranks whose CPUs would
  // block Eigen's products differently. r_top^T = W S V^T => r_top = V S W^T.
  detail::Mat<S> vs(h, h + 1);  // [V | S]
  if (c.rank() == 0) {
    Eigen::BDCSVD<detail::Mat<S>> svd(t.r_top.transpose(), Eigen::ComputeThinV);
    if (svd.info() == Eigen::Success)
      vs << svd.matrixV(), svd.singularValues();
    else
      vs.setConstant(std::numeric_limits<S>::quiet_NaN());  // every rank throws below
  }
  detail::bcast_matrix(vs, 0, c);
  if (!vs.allFinite())
    throw NonFiniteInput(detail::message(func, ": the SVD of R did not converge"));
  out.singular_values = vs.col(h) / t.scale;
  out.rank = rule.select(out.singular_values, Index(t.total_rows), a.cols(), func);
  out.basis.noalias() = t.q * vs.leftCols(out.rank);
  return out;
}

/// Principal angles between span(U) and span(V), U (N x k) and V (N x l) orthonormal and
/// distributed by rows (this rank passes the same rows of both, m_local x k and m_local x l):
/// min(k, l) angles, ascending, identical on every rank, with the accuracy of the serial
/// `principal_angles` on the whole range [0, pi/2]: the cosines from the SVD of U^T V (one
/// reduction), and for the angles below pi/4 the sines, from the singular values of the
/// distributed residual B = V Z_p - U (U^T V Z_p) computed by TSQR (Knyazev & Argentati 2002,
/// as in detail::principal_angles_impl), so tiny and near-pi/2 angles, mixed, keep full
/// accuracy. Orthonormality is checked on the global Gram matrices (same tolerance as serial).
/// Cost: 2 m_local (k + l)^2 flops, one reduction of (k + l)^2 scalars, a TSQR of an N x p
/// matrix, O(k l^2) on every rank. Collective. Throws (on every rank alike) DimensionMismatch,
/// NonFiniteInput, NotOrthonormal.
template <class DU, class DV>
Eigen::Matrix<typename DU::Scalar, Eigen::Dynamic, 1> principal_angles(
    const Eigen::MatrixBase<DU>& u_local, const Eigen::MatrixBase<DV>& v_local, MPI_Comm comm) {
  using S = typename DU::Scalar;
  static_assert(std::is_same<S, typename DV::Scalar>::value, "U and V must have the same scalar");
  using Mat = detail::Mat<S>;
  using std::acos;
  using std::asin;
  constexpr const char* func = "subspace::mpi::principal_angles";
  detail::check_scalar<S>();
  const detail::Comm c(comm);
  Mat u = u_local, v = v_local;
  detail::checked(c, func, [&] {
    subspace::detail::require_same_rows(u, "U", v, "V", func);
    subspace::detail::require_finite(u, func, "U");
    subspace::detail::require_finite(v, func, "V");
  });
  const auto ks = detail::allgather(u.cols(), c), ls = detail::allgather(v.cols(), c);
  std::int64_t total = 0;
  for (const std::int64_t m : detail::allgather(u.rows(), c)) total += m;
  for (int i = 0; i < c.size(); ++i)
    if (ks[std::size_t(i)] != ks[0] || ls[std::size_t(i)] != ls[0])
      throw DimensionMismatch(detail::message(func, ": U, V are N x ", ks[0], ", N x ", ls[0],
                                              " on rank 0 but N x ", ks[std::size_t(i)], ", N x ",
                                              ls[std::size_t(i)], " on rank ", i));
  if (ks[0] < 1 || ls[0] < 1 || ks[0] > total || ls[0] > total)
    throw DimensionMismatch(detail::message(func, ": U is ", subspace::detail::shape(total, ks[0]),
                                            " and V ", subspace::detail::shape(total, ls[0]),
                                            " in all; bases need 1 <= k <= N"));
  if (u.cols() < v.cols()) std::swap(u, v);  // k >= l below
  const Index k = u.cols(), l = v.cols();
  // One reduction for [U V]^T [U V]: the two Gram matrices (orthonormality) and M = U^T V.
  Mat uv(u.rows(), k + l);
  uv << u, v;
  Mat g_local(k + l, k + l);
  g_local.noalias() = uv.transpose() * uv;
  Mat g = detail::sum(g_local, c);
  const S tol = Tolerance<S>::orthonormality(Index(total));
  for (const auto& [off, dim, name] :
       {std::make_tuple(Index(0), k, "U"), std::make_tuple(k, l, "V")}) {
    const S err = (g.block(off, off, dim, dim) - Mat::Identity(dim, dim)).cwiseAbs().maxCoeff();
    if (!(err <= tol))
      throw NotOrthonormal(
          detail::message(func, ": ", name, " (", subspace::detail::shape(total, dim),
                          ") is not an orthonormal basis: max|U^T U - I| = ", err, " > ", tol));
  }
  const Mat m = g.block(0, k, k, l);
  // The small SVDs on rank 0, broadcast (the same bits everywhere, whatever the CPUs).
  Mat zs(l, l + 1);  // [Z | sigma]
  if (c.rank() == 0) {
    Eigen::JacobiSVD<Mat> svd(m, Eigen::ComputeThinV);
    zs << svd.matrixV(), svd.singularValues();
  }
  detail::bcast_matrix(zs, 0, c);
  const Eigen::Matrix<S, Eigen::Dynamic, 1> sigma = zs.col(l).cwiseMin(S(1));
  Index p = 0;
  while (p < l && sigma(p) * sigma(p) >= S(0.5)) ++p;
  Eigen::Matrix<S, Eigen::Dynamic, 1> angles(l);
  for (Index i = p; i < l; ++i) angles(i) = acos(sigma(i));
  if (p > 0) {
    const Mat zp = zs.leftCols(p);
    const Mat mz = m * zp;
    Mat b = v * zp;
    b.noalias() -= u * mz;
    const auto t = detail::tree_qr<S>(b, c, false);  // scale 1: |B| <= 2
    Eigen::JacobiSVD<Mat> sv(t.r_top);
    const auto& s = sv.singularValues();  // t.r_top is min(N, p) x p
    for (Index i = 0; i < p; ++i) {
      const Index j = p - 1 - i;  // sines descend; angles ascend
      angles(i) = j < s.size() ? asin(std::min(S(1), s(j) / t.scale)) : S(0);
    }
  }
  std::sort(angles.data(), angles.data() + angles.size());
  Mat all = angles;  // rank 0's, to every rank
  detail::bcast_matrix(all, 0, c);
  return all.col(0);
}

/// Updates a gradient projection memory (identical on every rank) with a representation matrix
/// R (d x s) whose columns (samples) are distributed: this rank passes its columns r_local
/// (d x s_local, s_local >= 0, at least one column in all). On return the memory is identical
/// on every rank and equals the serial `memory.update(R, threshold)` on the concatenated R to
/// working precision; the returned MemoryUpdate is the same on every rank.
///
/// Method: GPM's update depends on R only through R R^T (the energies |R|^2, |M^T R|^2 and the
/// left singular vectors of the residual). TSQR of R^T (rows = samples) gives R^T = Q T with
/// T (h x d, h = min(s, d)), so R R^T = T^T T, and the serial update runs on the d x h matrix
/// T^T, on rank 0. Only h x d triangles travel, never activations. Cost: TSQR of an s x d
/// matrix (2 s_local d^2 locally, d^2 scalars per tree message) plus the serial update of a
/// d x h matrix on rank 0, whose memory (d m scalars) is broadcast. Collective. Throws (on
/// every rank alike) DimensionMismatch (rows != d, or no column on any rank), InvalidParameter
/// (threshold outside (0, 1] or not the same on every rank, or memories that differ between
/// ranks), NonFiniteInput.
template <class S, class Derived>
MemoryUpdate update(GradientProjectionMemory<S>& memory, const Eigen::MatrixBase<Derived>& r_local,
                    double threshold, MPI_Comm comm) {
  static_assert(std::is_same<S, typename Derived::Scalar>::value,
                "R must have the memory's scalar type");
  constexpr const char* func = "subspace::mpi::update";
  detail::check_scalar<S>();
  const detail::Comm c(comm);
  const Eigen::Ref<const detail::Mat<S>> r(r_local.derived());
  detail::checked(c, func, [&] {
    if (r.rows() != memory.dim())
      throw DimensionMismatch(detail::message(func, ": R must be ", memory.dim(),
                                              " x s_local, got ",
                                              subspace::detail::shape(r.rows(), r.cols())));
    if (!(threshold > 0.0 && threshold <= 1.0))
      throw InvalidParameter(
          detail::message(func, ": the threshold must be in (0, 1], got ", threshold));
    subspace::detail::require_finite(r, func, "R");
  });
  std::int64_t bits = 0;
  std::memcpy(&bits, &threshold, sizeof bits);
  const auto thresholds = detail::allgather(bits, c);
  for (int i = 1; i < c.size(); ++i)
    if (thresholds[std::size_t(i)] != thresholds[0])
      throw InvalidParameter(detail::message(func,
                                             ": the threshold differs between rank 0 and rank ", i,
                                             "; every rank must pass the same"));
  const auto prints =
      detail::allgather(std::int64_t(detail::fingerprint<S>(detail::Mat<S>(memory.basis()))), c);
  for (int i = 1; i < c.size(); ++i)
    if (prints[std::size_t(i)] != prints[0])
      throw InvalidParameter(detail::message(
          func, ": the memory on rank ", i,
          " differs from rank 0's; every rank must hold the same memory before the update"));
  const auto t = detail::tree_qr<S>(r.transpose(), c, false);
  if (t.total_rows == 0)
    throw DimensionMismatch(detail::message(func, ": R has no columns on any rank"));
  // The update on rank 0 (errors agreed), its memory and report broadcast: the same bits on
  // every rank whatever their CPUs.
  MemoryUpdate rep;
  detail::checked(c, func, [&] {
    if (c.rank() == 0) rep = memory.update(t.r_top.transpose(), threshold);
  });
  std::int64_t m = memory.size();
  detail::check(MPI_Bcast(&m, 1, MPI_INT64_T, 0, c.get()), "MPI_Bcast");
  detail::Mat<S> basis = c.rank() == 0 ? memory.basis() : detail::Mat<S>(memory.dim(), Index(m));
  detail::bcast_matrix(basis, 0, c);
  detail::bcast_raw(&rep, sizeof rep, 0, c);  // a struct of numbers and a bool
  if (c.rank() != 0) memory = GradientProjectionMemory<S>::from_basis(basis);
  return rep;
}

namespace detail {
/// A message: one byte of status code, then `body` (a serialized state or an error text).
template <class Bytes>
std::vector<std::uint8_t> tagged(int code, const Bytes& body) {
  std::vector<std::uint8_t> out(body.size() + 1);
  out[0] = std::uint8_t(code);
  std::copy(body.begin(), body.end(), out.begin() + 1);
  return out;
}

/// Binomial-tree merge of PCA states to `root`; returns the root's serialized union (other
/// ranks: empty). A failure anywhere (a merge that throws) travels up the tree as a message
/// whose first byte is its error code, and the final status is broadcast, so every rank
/// throws the same error.
template <class S>
std::vector<std::uint8_t> merge_to_root(const PCA<S>& pca, int root, const Comm& c,
                                        const char* func, bool broadcast_state) {
  const int p = c.size(), me = c.rank(), rel = (me - root + p) % p;
  PCA<S> acc = pca;
  Outcome status;
  for (int s = 1; s < p; s <<= 1) {
    if (rel & s) {
      send_bytes(
          status.code == kOk ? tagged(kOk, acc.serialize()) : tagged(status.code, status.what),
          (rel - s + root) % p, c);
      break;
    }
    if (rel + s < p) {
      const auto msg = recv_bytes((rel + s + root) % p, c);
      if (status.code != kOk) continue;
      if (msg.empty() || msg[0] != kOk) {
        status.code = msg.empty() ? int(kOther) : int(msg[0]);
        status.what =
            msg.empty() ? std::string("empty message") : std::string(msg.begin() + 1, msg.end());
        continue;
      }
      status = attempt([&] {
        PCA<S> other(acc.options());
        other.deserialize(msg.data() + 1, msg.size() - 1);
        acc.merge(other);
      });
    }
  }
  // The root's status, then (if asked) its state, to every rank.
  std::vector<std::uint8_t> head = tagged(status.code, me == root ? status.what : std::string());
  bcast_bytes(head, root, c);
  if (head[0] != kOk)
    raise(head[0], message(func, ": ", std::string(head.begin() + 1, head.end())));
  std::vector<std::uint8_t> state;
  if (me == root) state = acc.serialize();
  if (broadcast_state) bcast_bytes(state, root, c);
  return state;
}

/// Options and dimensions must agree before any state moves.
template <class S>
void check_pca_states(const PCA<S>& pca, const Comm& c, const char* func) {
  // What the serialized header holds besides the state: scalar size, center, rank rule,
  // max_state_rank.
  const PcaOptions& o = pca.options();
  const std::int64_t head[3] = {std::int64_t(sizeof(S)), o.center ? 1 : 0,
                                std::int64_t(o.max_state_rank)};
  const auto hashes =
      allgather(std::int64_t(fnv1a(head, sizeof head, std::uint64_t(fingerprint(o.rank)))), c);
  const auto dims = allgather(pca.samples() > 0 ? pca.dim() : -1, c);
  for (int i = 1; i < c.size(); ++i)
    if (hashes[std::size_t(i)] != hashes[0])
      throw InvalidParameter(message(func, ": the options of the model on rank ", i,
                                     " (center, rank rule, max_state_rank) differ from rank 0's"));
  std::int64_t d = -1;
  int first = -1;
  for (int i = 0; i < c.size(); ++i) {
    const std::int64_t di = dims[std::size_t(i)];
    if (di < 0) continue;
    if (d < 0) {
      d = di;
      first = i;
    } else if (di != d) {
      throw DimensionMismatch(message(func, ": the model on rank ", first, " has dimension ", d,
                                      " but the one on rank ", i, " has ", di));
    }
  }
}
}  // namespace detail

/// Merges every rank's PCA state (fitted, partially fitted, or empty: a rank with no rows) so
/// that on return every rank holds the state of the union of all rows, bitwise identical on
/// every rank, and equal to a single-process `fit` on all rows to working precision (the merge
/// is exact; see PCA::merge). Options that matter (center, rank rule, max_state_rank) must
/// agree. The states are merged up a binomial tree to rank 0 in their binary form
/// (PCA::serialize, 60 + S(2 + d + r + d r) bytes: ceil(log2 P) steps, one state per message),
/// and the result is broadcast. Cost: per tree level one merge, O(d r^2), on the receiving
/// rank; with PcaSolver::Covariance (scatter mode, PCA::merge) each level also factors the
/// d x d scatter before it is sent, O(d^3), and the result matches a single-process fit at that
/// solver's accuracy. Collective. Throws (on every rank alike) InvalidParameter (options differ
/// between ranks), DimensionMismatch (fitted models of different dimensions), FormatError (a state
/// that does not deserialize); the model is unchanged when it throws.
template <class S>
void allreduce(PCA<S>& pca, MPI_Comm comm) {
  constexpr const char* func = "subspace::mpi::allreduce";
  detail::check_scalar<S>();
  const detail::Comm c(comm);
  detail::check_pca_states(pca, c, func);
  const auto state = detail::merge_to_root(pca, 0, c, func, true);
  detail::checked(c, func, [&] { pca.deserialize(state); });
}

/// As `allreduce`, but only rank `root` receives the merged state; the models on the other
/// ranks are unchanged. Collective (errors are raised on every rank). Throws InvalidParameter
/// for a root outside [0, P), and what `allreduce` throws.
template <class S>
void reduce(PCA<S>& pca, int root, MPI_Comm comm) {
  constexpr const char* func = "subspace::mpi::reduce";
  detail::check_scalar<S>();
  const detail::Comm c(comm);
  const auto roots = detail::allgather(root, c);
  for (int i = 0; i < c.size(); ++i)
    if (roots[std::size_t(i)] != root || root < 0 || root >= c.size())
      throw InvalidParameter(detail::message(func, ": root must be the same rank in [0, ", c.size(),
                                             ") on every rank; got ", root, " here and ",
                                             roots[std::size_t(i)], " on rank ", i));
  detail::check_pca_states(pca, c, func);
  const auto state = detail::merge_to_root(pca, root, c, func, false);
  detail::checked(c, func, [&] {
    if (c.rank() == root) pca.deserialize(state);
  });
}

}  // namespace subspace::mpi
