// SPDX-License-Identifier: MIT
// plucker.hpp: Plucker coordinates, the exterior-power embedding Gr(k, n) -> Lambda^k R^n.
//
// Convention. The Plucker vector of an n x k matrix U = [u_1 ... u_k] is the coordinate vector
// of u_1 ^ ... ^ u_k in the basis e_I = e_{i_1} ^ ... ^ e_{i_k} (i_1 < ... < i_k) of
// Lambda^k R^n: p_I = det U[I, :], the k x k minor with rows I (in increasing order) and all
// columns. The C(n, k) coordinates are stored in lexicographic order of the k-subsets I of
// {0, ..., n-1} (0-based), e.g. for n = 4, k = 2: (01, 02, 03, 12, 13, 23). `Combinations`
// converts between subsets and positions.
//
// Facts used and tested: plucker(U R) = det(R) plucker(U); |plucker(U)| = 1 for orthonormal U;
// <plucker(U), plucker(V)> = det(U^T V) (Cauchy-Binet) = prod cos(theta_i) for orthonormal U, V;
// a k-vector p != 0 is decomposable (p = plucker(U) for some U) iff its contraction matrix
// (below) has rank k, and then the column space of that matrix is span(U).
//
// References: Hodge & Pedoe, "Methods of Algebraic Geometry" vol. 1 (1947), ch. VII; Harris,
// "Algebraic Geometry: A First Course", lecture 6 (Plucker relations); Knuth, TAOCP 7.2.1.3
// (combinatorial number system).
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "config.hpp"
#include "detail/checks.hpp"
#include "traits.hpp"

namespace subspace {

/// \addtogroup plucker
/// @{

namespace detail {

/// C(n, k) at compile time (0 when k > n); Eigen::Dynamic when either is dynamic.
constexpr Index binomial_ct(Index n, Index k) {
  if (n == Eigen::Dynamic || k == Eigen::Dynamic) return Eigen::Dynamic;
  if (k < 0 || k > n) return 0;
  Index r = 1;
  for (Index i = 1; i <= k; ++i) r = r * (n - k + i) / i;  // exact: r = C(n - k + i, i)
  return r;
}

/// max_{1 <= j <= k} C(k, j) C(n, j): the largest level of the minor recursion in plucker
/// (the j x j minors of every j-subset of rows and of columns); Dynamic when unknown or large.
constexpr Index laplace_workspace_ct(Index n, Index k) {
  if (n == Eigen::Dynamic || k == Eigen::Dynamic || 2 * k > n) return Eigen::Dynamic;
  Index m = 1;
  for (Index j = 1; j <= k; ++j) {
    const Index c = binomial_ct(n, j) * binomial_ct(k, j);
    m = c > m ? c : m;
  }
  return m <= 4096 ? m : Eigen::Dynamic;
}

/// table(a, b) <- C(a, b) for 0 <= a <= n, 0 <= b <= k (0 for b > a), by Pascal's rule.
/// Entries that overflow Index saturate at its maximum (only C(a, b) <= C(n, k) are ever
/// used as such by rank / unrank and the minor recursion); TooLarge when C(n, k) itself does
/// not fit.
template <class Table>
void fill_binomials(Table& table, Index n, Index k, const char* func) {
  constexpr Index kMaxIndex = std::numeric_limits<Index>::max();
  table.setZero();
  for (Index a = 0; a <= n; ++a) {
    table(a, 0) = 1;
    for (Index b = 1; b <= k && b <= a; ++b) {
      const Index x = table(a - 1, b - 1), y = table(a - 1, b);
      table(a, b) = x > kMaxIndex - y ? kMaxIndex : x + y;
    }
  }
  if (table(n, k) == kMaxIndex)
    throw TooLarge(message(func, ": C(", n, ", ", k, ") overflows the index type"));
}

/// Next k-subset of [0, n) in lexicographic order (see Combinations::next).
template <class Subset>
bool next_subset(Subset& s, Index n) {
  const Index k = static_cast<Index>(s.size());
  using Pos = decltype(s.size());  // std::size_t for std::vector, Index for Eigen vectors
  const auto at = [&s](Index i) -> auto& { return s[static_cast<Pos>(i)]; };
  Index m = k - 1;
  while (m >= 0 && at(m) == n - k + m) --m;
  if (m < 0) return false;
  ++at(m);
  for (Index j = m + 1; j < k; ++j) at(j) = at(j - 1) + 1;
  return true;
}

/// The contraction matrix's singular values of p / max|p_I| (so that no scale of p under- or
/// overflows) and the relative energy beyond the k-th: the decomposability residual.
template <class Mat>
typename Mat::RealScalar tail_energy_ratio(
    const Eigen::Matrix<typename Mat::RealScalar, Eigen::Dynamic, 1>& sv, Index k) {
  using Real = typename Mat::RealScalar;
  const Real total = sv.squaredNorm();
  if (!(total > Real(0))) return Real(1);
  return std::sqrt(sv.tail(sv.size() - k).squaredNorm() / total);
}

}  // namespace detail

/// The k-subsets of {0, ..., n-1} in lexicographic order, with ranking and unranking by the
/// combinatorial number system: rank(I) = C(n, k) - 1 - sum_m C(n - 1 - i_m, k - m) (0-based
/// m), the lexicographic mirror of Knuth's colexicographic ranking. Holds the table of
/// C(a, b) for a <= n, b <= k: O(n k) memory, O(k) per rank, O(n) per unrank.
class Combinations {
 public:
  /// Throws DimensionMismatch unless 0 <= k <= n, TooLarge when C(n, k) (or an entry of the
  /// table) does not fit Index or the (n + 1) x (k + 1) table would exceed 2^27 entries (1 GiB),
  /// checked before anything is allocated.
  Combinations(Index n, Index k) : n_(n), k_(k) {
    if (n < 0 || k < 0 || k > n)
      throw DimensionMismatch(
          detail::message("subspace::Combinations: need 0 <= k <= n, got n = ", n, ", k = ", k));
    constexpr Index max_table = Index(1) << 27;
    if (n >= max_table / (k + 1))  // (n + 1)(k + 1) > 2^27, without forming the product
      throw TooLarge(detail::message("subspace::Combinations: the table of C(a, b) for n = ", n,
                                     ", k = ", k, " would exceed 2^27 entries"));
    table_.resize(n + 1, k + 1);
    detail::fill_binomials(table_, n, k, "subspace::Combinations");
  }

  /// n, the size of the ground set {0, ..., n-1}.
  Index n() const { return n_; }
  /// k, the size of each subset.
  Index k() const { return k_; }
  /// C(n, k), the number of subsets (and of Plucker coordinates).
  Index size() const { return table_(n_, k_); }
  /// C(a, b) for 0 <= a <= n, 0 <= b <= k (0 when b > a). Throws InvalidParameter outside that
  /// range of the table.
  Index binom(Index a, Index b) const {
    if (a < 0 || a > n_ || b < 0 || b > k_)
      throw InvalidParameter(detail::message("subspace::Combinations::binom: C(", a, ", ", b,
                                             ") is outside the table (a <= ", n_, ", b <= ", k_,
                                             ")"));
    return table_(a, b);
  }

  /// Position of the subset given by k strictly increasing indices in [0, n). Throws
  /// InvalidParameter when the subset is not of that form.
  template <class Subset>
  Index rank(const Subset& s) const {
    Index r = size() - 1;
    if (static_cast<Index>(s.size()) != k_)
      throw InvalidParameter(
          detail::message("subspace::Combinations::rank: need ", k_, " indices, got ", s.size()));
    for (Index m = 0; m < k_; ++m) {
      const Index i = static_cast<Index>(s[static_cast<std::size_t>(m)]);
      if (i < 0 || i >= n_ ||
          (m > 0 && i <= static_cast<Index>(s[static_cast<std::size_t>(m - 1)])))
        throw InvalidParameter(detail::message(
            "subspace::Combinations::rank: indices must increase strictly within [0, ", n_, ")"));
      r -= table_(n_ - 1 - i, k_ - m);
    }
    return r;
  }

  /// The subset at position r in [0, C(n, k)). Throws InvalidParameter outside that range.
  std::vector<Index> unrank(Index r) const {
    if (r < 0 || r >= size())
      throw InvalidParameter(detail::message("subspace::Combinations::unrank: position ", r,
                                             " outside [0, ", size(), ")"));
    std::vector<Index> s(static_cast<std::size_t>(k_));
    Index rest = size() - 1 - r;  // = sum_m C(n - 1 - i_m, k - m), greedy from m = 0
    Index i = 0;
    for (Index m = 0; m < k_; ++m) {
      while (table_(n_ - 1 - i, k_ - m) > rest) ++i;
      s[static_cast<std::size_t>(m)] = i;
      rest -= table_(n_ - 1 - i, k_ - m);
      ++i;
    }
    return s;
  }

  /// Advances the k-subset s (strictly increasing, in [0, n)) to the next one in
  /// lexicographic order; returns false (s unchanged) at the last. Works on std::vector<Index>
  /// and on Eigen integer vectors.
  template <class Subset>
  static bool next(Subset& s, Index n) {
    const Index k = static_cast<Index>(s.size());
    for (Index m = 0; m < k; ++m) {
      const Index i = static_cast<Index>(s[static_cast<std::size_t>(m)]);
      if (i < 0 || i >= n || (m > 0 && i <= static_cast<Index>(s[static_cast<std::size_t>(m - 1)])))
        throw InvalidParameter(
            detail::message("subspace::Combinations::next: need increasing indices in [0, ", n,
                            "), got ", i, " at position ", m));
    }
    return detail::next_subset(s, n);
  }

 private:
  Index n_, k_;
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> table_;
};

namespace detail {

/// C(n, k), or TooLarge when it overflows Index or C(n, k) scalars overflow the address space.
/// No table, no allocation: r <- r (n - k + i) / i is exact at every step (r = C(n - k + i, i)),
/// and overflow is detected exactly.
template <class Scalar>
Index checked_plucker_size(Index n, Index k, const char* func) {
  const Index max = std::numeric_limits<Index>::max();
  Index r = 1;
  for (Index i = 1; i <= k; ++i) {  // r <- r m / i, exact, as (r / g) (m / (i / g)), g = gcd(r, i)
    const Index m = n - k + i, g = std::gcd(r, i), a = r / g, b = m / (i / g);
    if (a > max / b)
      throw TooLarge(message(func, ": C(", n, ", ", k, ") overflows the index type"));
    r = a * b;
  }
  if (r > max / Index(sizeof(Scalar)))
    throw TooLarge(
        message(func, ": C(", n, ", ", k, ") = ", r, " coordinates do not fit the address space"));
  return r;
}

/// Size of the minor recursion's workspace, max_j C(n, j) C(k, j) (k <= n/2), or TooLarge.
template <class Scalar, class Table>
Index checked_laplace_workspace(const Table& binom, Index n, Index k, const char* func) {
  const Index limit = std::numeric_limits<Index>::max() / Index(sizeof(Scalar));
  Index m = 1;
  for (Index j = 1; j <= k; ++j) {
    if (binom(n, j) > limit / binom(k, j))
      throw TooLarge(message(func, ": the ", j, "-minors of every row and column subset of a ", n,
                             " x ", k, " matrix do not fit the address space"));
    m = std::max(m, binom(n, j) * binom(k, j));
  }
  return m;
}

/// y <- a x and y <- y + a x on contiguous, non-overlapping arrays: plain loops the compiler
/// vectorizes, without the fixed cost of an Eigen expression on the short runs of the minor
/// recursion.
template <class Scalar>
void scaled_copy(Scalar a, const Scalar* __restrict x, Index n, Scalar* __restrict y) {
  for (Index t = 0; t < n; ++t) y[t] = a * x[t];
}
template <class Scalar>
void axpy(Scalar a, const Scalar* __restrict x, Index n, Scalar* __restrict y) {
  for (Index t = 0; t < n; ++t) y[t] += a * x[t];
}

/// p <- u ^ v for contiguous n-vectors, lexicographic pairs: the run of pairs (i, j > i) is
/// u_i v_j - v_i u_j over j, a unit-stride loop the compiler vectorizes (`__restrict`: p does
/// not overlap u or v). Measured faster than one Eigen segment expression per run, whose fixed
/// overhead dominates at the short run lengths of small n.
/// With `scale`, writes scale (u ^ v) at no extra pass.
template <class Scalar>
void wedge2_raw(const Scalar* __restrict u, const Scalar* __restrict v, Index n,
                Scalar* __restrict p, Scalar scale = Scalar(1)) {
  for (Index i = 0; i + 1 < n; ++i) {
    const Scalar ui = scale * u[i], vi = scale * v[i];
    for (Index j = i + 1; j < n; ++j) *p++ = ui * v[j] - vi * u[j];
  }
}

/// p <- u ^ v for any two n-vector expressions (evaluated to contiguous storage if needed).
template <class U, class V, class P>
void wedge2(const U& u, const V& v, P& p) {
  using Scalar = typename P::Scalar;
  constexpr bool kContiguous = (int(U::Flags) & Eigen::DirectAccessBit) &&
                               (int(V::Flags) & Eigen::DirectAccessBit) &&
                               U::InnerStrideAtCompileTime == 1 && V::InnerStrideAtCompileTime == 1;
  if constexpr (kContiguous) {
    wedge2_raw(u.data(), v.data(), u.size(), p.data());
  } else {
    using Col = Eigen::Matrix<Scalar, U::RowsAtCompileTime, 1, 0, U::MaxRowsAtCompileTime, 1>;
    const Col uc = u, vc = v;
    wedge2_raw(uc.data(), vc.data(), uc.size(), p.data());
  }
}

}  // namespace detail

namespace detail {

/// Compile-time size of plucker's result: fixed when n and k are and C(n, k) <= 1024 (so the
/// vector lives on the stack within Eigen's limits), dynamic otherwise.
constexpr Index plucker_size_ct(Index n, Index k) {
  const Index c = binomial_ct(n, k);
  return c != Eigen::Dynamic && c <= 1024 ? c : Eigen::Dynamic;
}

template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, 1> plucker_by_complement(
    const Eigen::MatrixBase<Derived>& u);

/// The binary exponent e of the 2-norm of column c of u (|u_c|_2 = m 2^e, m in [1/2, 1); 0 for
/// a zero column), computed without overflow or underflow: the column is first brought to a
/// largest entry in [1/2, 1) by an exact power of two. O(n), no allocation.
template <class Derived>
int column_norm_exponent(const Eigen::MatrixBase<Derived>& u, Index c) {
  using Scalar = typename Derived::Scalar;
  const Scalar big = u.col(c).cwiseAbs().maxCoeff();
  if (!(big > Scalar(0))) return 0;
  int e1 = 0, e2 = 0;
  std::frexp(big, &e1);
  Scalar ss = 0;
  for (Index i = 0; i < u.rows(); ++i) {
    const Scalar x = std::ldexp(u(i, c), -e1);
    ss += x * x;
  }
  std::frexp(std::sqrt(ss), &e2);
  return e1 + e2;
}

}  // namespace detail

/// Plucker coordinates of the n x k matrix U (1 <= k <= n): the C(n, k) k x k minors
/// det U[I, :] in lexicographic order of the row subsets I (see the file comment). A
/// rank-deficient U gives the zero vector (its columns' wedge product vanishes); that is not an
/// error. Algorithms:
/// * k = 1, k = n: a copy, one determinant. k = 2: the closed form p_ij = u_i v_j - u_j v_i in
///   unit-stride loops (n(n-1) flops).
/// * 3 <= k <= n/2: the j x j minors of every j-subset of rows and of columns, j = 2..k, each
///   level from the last by Laplace expansion along the first row, as contiguous unit-stride
///   AXPYs (see the loop): sum_j j C(k, j) C(n, j) flops, against C(n, k) k^3/3 for one LU per
///   subset; workspace 2 max_j C(k, j) C(n, j) scalars (a few times the output).
/// * k > n/2: the recursion would pass through C(n, n/2) minors, so instead U = Q R (Householder)
///   and plucker(U) = det R (-1)^(k(n-k)) hodge(plucker(W)) with W the complement of Q oriented
///   by det [Q W] = +1 (a problem of size n - k < n/2).
/// Fixed-size U with C(n, k) <= 1024 returns a fixed-size vector and, for k <= n/2, allocates
/// nothing. Expressions are evaluated once first.
/// Any scale: the coordinates are products of k entries and leave the exponent range long before
/// the entries do (a 2-plane of 1e160-sized vectors has coordinates ~1e320). When the column
/// norms' binary exponents e_j sum in absolute value past half the exponent range, U is scaled
/// to columns of norm in [1/2, 1) by exact powers of two (every minor is then at most 1, by
/// Hadamard's inequality) and the result scaled back by 2^(sum e_j): the same digits as with an
/// unbounded exponent range, except that entries more than ~2^1021 (double) below their
/// column's norm flush to 0 in the scaling. A matrix rank-deficient only to rounding has
/// minors of rounding size ~eps prod |u_j|, and those too must be representable. Throws
/// DimensionMismatch (k = 0 or k > n), NonFiniteInput, OutsideDomain when the largest coordinate
/// lies outside Scalar's normal range (it would be inf, or 0 / subnormal: rescale U, whose span is
/// the same), TooLarge (C(n, k) overflows Index or the address space); a C(n, k) that fits the
/// address space but not the memory fails like any Eigen allocation (std::bad_alloc).
template <class Derived>
Eigen::Matrix<typename Derived::Scalar,
              detail::plucker_size_ct(Derived::RowsAtCompileTime, Derived::ColsAtCompileTime), 1>
plucker(const Eigen::MatrixBase<Derived>& u) {
  using Scalar = typename Derived::Scalar;
  constexpr Index kN = Derived::RowsAtCompileTime, kK = Derived::ColsAtCompileTime;
  constexpr bool kFixed = kN != Eigen::Dynamic && kK != Eigen::Dynamic;
  static_assert(!kFixed || (kK >= 1 && kK <= kN), "plucker: need 1 <= k <= n");
  if constexpr (!(int(Derived::Flags) & Eigen::DirectAccessBit)) {
    return plucker(u.eval());  // a product or other expression: read each entry once
  } else {
    using Out = Eigen::Matrix<Scalar, detail::plucker_size_ct(kN, kK), 1>;
    // Workspaces with compile-time bounds when the recursion runs on small fixed sizes (k <= n/2
    // and at most 4096 intermediate minors): those never allocate.
    constexpr Index kWork = detail::laplace_workspace_ct(kN, kK);
    using Work = Eigen::Matrix<Scalar, Eigen::Dynamic, 1, 0, kWork, 1>;
    using Table = Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, 0,
                                kFixed ? kN + 1 : Eigen::Dynamic, kFixed ? kK + 1 : Eigen::Dynamic>;
    using Ints = Eigen::Matrix<Index, Eigen::Dynamic, 1, 0, kFixed ? kK + 1 : Eigen::Dynamic, 1>;
    constexpr const char* func = "subspace::plucker";
    const Index n = u.rows(), k = u.cols();
    if (k < 1 || k > n)
      throw DimensionMismatch(detail::message(func, ": need an n x k matrix with 1 <= k <= n, got ",
                                              detail::shape(n, k)));
    detail::require_finite(u, func, "U");
    const Index size = detail::checked_plucker_size<Scalar>(n, std::min(k, n - k), func);
    Out p(size);
    if constexpr (!kFixed || kK == 1) {
      if (k == 1) {
        p = u.col(0);
        return p;
      }
    }
    {  // scale (doc comment): exact powers of two, so digits are unchanged
      using Limits = std::numeric_limits<Scalar>;
      // Cheap screen first (no ldexp): column c's norm exponent lies in [ilogb(max_c) + 1,
      // ilogb(max_c) + 1 + ceil(log2 sqrt n)], so when every column's largest entry is moderate
      // the sum of |e_j| stays under the threshold and the exact pass is skipped.
      int bound = 0;
      const int root_n = int(std::ceil(std::log2(std::sqrt(Scalar(n))))) + 1;
      for (Index c = 0; c < k; ++c) {
        const Scalar big = u.col(c).cwiseAbs().maxCoeff();
        if (!(big > Scalar(0))) continue;
        const int e = std::ilogb(big) + 1;
        bound += std::max(e < 0 ? -e : e, e + root_n);
      }
      int total = 0, spread = 0;
      if (bound > Limits::max_exponent / 2) {
        for (Index c = 0; c < k; ++c) {
          const int e = detail::column_norm_exponent(u, c);
          total += e;
          spread += e < 0 ? -e : e;
        }
      }
      if (spread > Limits::max_exponent / 2) {
        typename Derived::PlainObject scaled(u);
        for (Index c = 0; c < k; ++c) {
          const int e = detail::column_norm_exponent(u, c);
          for (Index i = 0; i < n; ++i) scaled(i, c) = std::ldexp(scaled(i, c), -e);
        }
        p = plucker(scaled);  // columns of norm in [1/2, 1): spread 0, no second pass
        const Scalar big = p.cwiseAbs().maxCoeff();
        if (big == Scalar(0)) return p;  // rank-deficient at any scale
        const int top = std::ilogb(big) + total;
        if (top >= Limits::max_exponent || top < Limits::min_exponent - 1)
          throw OutsideDomain(detail::message(
              func, ": the largest coordinate is 2^", top, ", outside the normal range of the ",
              "scalar type (products of k = ", k, " entries); rescale U (the span is the same)"));
        for (Index i = 0; i < p.size(); ++i) p(i) = std::ldexp(p(i), total);
        return p;
      }
    }
    if (k == 2) {
      detail::wedge2(u.col(0), u.col(1), p);
      return p;
    }
    if constexpr (!kFixed || kK == kN) {
      if (k == n) {
        p(0) = u.determinant();
        return p;
      }
    }
    if (2 * k > n) {
      p = detail::plucker_by_complement(u);
      return p;
    }
    Table binom(n + 1, k + 1);
    detail::fill_binomials(binom, n, k, func);
    // Level j holds det U[S, C] for every j-subset S of rows (lex rank r_S) and every j-subset
    // C of columns (lex rank r_C), at L_j(r_S + C(n, j) r_C). Expanding along the first row
    // a = min S, with S = {a} u T:
    //   det U[S, C] = sum_i (-1)^i U(a, c_i) det U[T, C \ c_i].
    // The j-subsets with minimum a are contiguous in lex order, and so are the (j-1)-subsets
    // T of {a+1, ..., n-1} (the last C(n-a-1, j-1) of level j-1, in the same order), so each
    // block is a sum of j scaled contiguous segments: unit-stride AXPYs that vectorize, with
    // sum_j j C(k, j) C(n, j) flops in all and no per-minor index arithmetic.
    const Index work = detail::checked_laplace_workspace<Scalar>(binom, n, k, func);
    Work buf0(work), buf1(work);  // levels alternate between them (pointer swap: fixed-
    Scalar* prev = buf0.data();   // capacity buffers would copy every entry on swap)
    Scalar* cur = buf1.data();
    for (Index c = 0; c < k; ++c)
      Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>(prev + c * n, n) = u.col(c);
    {  // j = 2: the closed form for every pair of columns (lex order of pairs = rank order)
      Index rc = 0;
      for (Index c0 = 0; c0 < k; ++c0)
        for (Index c1 = c0 + 1; c1 < k; ++c1, ++rc)
          detail::wedge2_raw(prev + c0 * n, prev + c1 * n, n, cur + binom(n, 2) * rc);
      std::swap(prev, cur);
    }
    Ints cs, drop;
    for (Index j = 3; j <= k; ++j) {
      const Index rows_prev = binom(n, j - 1), rows_cur = binom(n, j);
      cs.resize(j);
      drop.resize(j);
      for (Index m = 0; m < j; ++m) cs(m) = m;
      Index rc = 0;
      do {                               // every j-subset C of the k columns, in lex order
        for (Index i = 0; i < j; ++i) {  // lex rank of C \ c_i among (j-1)-subsets of k
          Index r = binom(k, j - 1) - 1, pos = 0;
          for (Index m = 0; m < j; ++m) {
            if (m == i) continue;
            r -= binom(k - 1 - cs(m), j - 1 - pos);
            ++pos;
          }
          drop(i) = r;
        }
        Scalar* out = cur + rows_cur * rc;
        for (Index a = 0; a + j <= n; ++a) {
          const Index cnt = binom(n - a - 1, j - 1);
          const Scalar* src = prev + (rows_prev - cnt);
          detail::scaled_copy(u(a, cs(0)), src + rows_prev * drop(0), cnt, out);
          for (Index i = 1; i < j; ++i)
            detail::axpy((i % 2 == 0) ? u(a, cs(i)) : Scalar(-u(a, cs(i))),
                         src + rows_prev * drop(i), cnt, out);
          out += cnt;
        }
        ++rc;
      } while (detail::next_subset(cs, k));
      std::swap(prev, cur);
    }
    p = Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>>(prev, size);
    return p;
  }
}

/// Hodge star of a k-vector of Lambda^k R^n (C(n, k) lexicographic coordinates): the
/// (n-k)-vector with (*p)_{I^c} = sign(I, I^c) p_I, sign of the permutation listing I then its
/// complement. For orthonormal U and a complement W with det [U W] = +1,
/// plucker(W) = hodge(plucker(U), n, k): the Plucker vector of the orthogonal complement
/// (Gr(k, n) <-> Gr(n-k, n)). Cost O(n C(n, k)). Throws DimensionMismatch when p does not have
/// C(n, k) entries or k is outside [0, n].
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, 1> hodge(
    const Eigen::MatrixBase<Derived>& p_arg, Index n, Index k) {
  const auto& p = detail::evaluated(p_arg);
  constexpr const char* func = "subspace::hodge";
  if (n < 1 || k < 0 || k > n)
    throw DimensionMismatch(detail::message(func, ": need 0 <= k <= n, got n = ", n, ", k = ", k));
  const Combinations sub(n, k), comp(n, n - k);
  if (p.size() != sub.size() || p.cols() != 1)
    throw DimensionMismatch(detail::message(func, ": a ", k, "-vector in R^", n, " has C(", n, ", ",
                                            k, ") = ", sub.size(), " coordinates, got ",
                                            detail::shape(p.rows(), p.cols())));
  detail::require_finite(p, func, "p");
  Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, 1> out(sub.size());
  std::vector<Index> s(static_cast<std::size_t>(k)), c;
  for (Index m = 0; m < k; ++m) s[static_cast<std::size_t>(m)] = m;
  Index r = 0;
  do {
    c.clear();
    Index inversions = 0, m = 0;
    for (Index i = 0; i < n; ++i) {
      if (m < k && s[static_cast<std::size_t>(m)] == i) {
        inversions += i - m;  // complement elements smaller than s_m come after it
        ++m;
      } else {
        c.push_back(i);
      }
    }
    out(comp.rank(c)) = inversions % 2 == 0 ? p(r) : -p(r);
    ++r;
  } while (k > 0 && detail::next_subset(s, n));
  return out;
}

/// The contraction matrix of a k-vector p (C(n, k) coordinates): the n x C(n, k-1) matrix
/// M(i, J) = (-1)^m p_{J u {i}} (m = position of i in J u {i}; 0 when i is in J), i.e. the map
/// alpha -> i_alpha p from (k-1)-forms to vectors. rank M = k iff p != 0 is decomposable, and
/// then col(M) is the subspace (Hodge & Pedoe VII.2). Cost O(k C(n, k)) plus the output.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> contraction_matrix(
    const Eigen::MatrixBase<Derived>& p_arg, Index n, Index k) {
  const auto& p = detail::evaluated(p_arg);
  constexpr const char* func = "subspace::contraction_matrix";
  if (k < 1 || k > n)
    throw DimensionMismatch(detail::message(func, ": need 1 <= k <= n, got n = ", n, ", k = ", k));
  const Combinations sub(n, k), low(n, k - 1);
  if (p.size() != sub.size() || p.cols() != 1)
    throw DimensionMismatch(detail::message(func, ": a ", k, "-vector in R^", n, " has ",
                                            sub.size(), " coordinates, got ",
                                            detail::shape(p.rows(), p.cols())));
  detail::require_finite(p, func, "p");
  Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> mat =
      Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>::Zero(n, low.size());
  std::vector<Index> s(static_cast<std::size_t>(k)), rest(static_cast<std::size_t>(k - 1));
  for (Index m = 0; m < k; ++m) s[static_cast<std::size_t>(m)] = m;
  Index r = 0;
  do {
    for (Index m = 0; m < k; ++m) {
      for (Index i = 0, o = 0; i < k; ++i)
        if (i != m) rest[static_cast<std::size_t>(o++)] = s[static_cast<std::size_t>(i)];
      mat(s[static_cast<std::size_t>(m)], low.rank(rest)) = m % 2 == 0 ? p(r) : -p(r);
    }
    ++r;
  } while (detail::next_subset(s, n));
  return mat;
}

/// How far a k-vector p is from decomposable, scale-free, in [0, 1]: with sigma_1 >= sigma_2
/// >= ... the singular values of contraction_matrix(p), sqrt(sum_{i>k} sigma_i^2 /
/// sum_i sigma_i^2). Zero (to rounding, ~ sqrt(n) eps) exactly for the Plucker vectors of
/// k-dimensional subspaces, e.g. e_01 + e_23 in R^4 gives 1/sqrt(2) (rank 4). The zero
/// vector returns 1 (it is the Plucker vector of no subspace). This is an equivalent test to the
/// quadratic Plucker relations (a k-vector satisfies them iff it is decomposable) that is
/// scale-invariant and needs no choice of relations. Cost: an SVD of n x C(n, k-1).
template <class Derived>
typename Derived::RealScalar decomposability_residual(const Eigen::MatrixBase<Derived>& p_arg,
                                                      Index n, Index k) {
  const auto& p = detail::evaluated(p_arg);
  using Mat = Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  detail::require_finite(p, "subspace::decomposability_residual", "p");
  const auto scale = p.size() > 0 ? p.cwiseAbs().maxCoeff() : typename Derived::RealScalar(0);
  const Mat mat = contraction_matrix(scale > 0 ? (p / scale).eval() : p.eval(), n, k);
  const Eigen::JacobiSVD<Mat> svd(mat);
  detail::require_svd_ok(svd, "subspace::decomposability_residual");
  return detail::tail_energy_ratio<Mat>(svd.singularValues(), k);
}

/// The subspace of a decomposable k-vector p (the inverse of `plucker` up to scale): an
/// orthonormal n x k basis W of the column space of contraction_matrix(p) (its k dominant
/// left singular vectors), oriented so that plucker(W) = p / |p| (the sign of the first column
/// is chosen so that <plucker(W), p> > 0). For a vector within `tolerance` of decomposable
/// (decomposability_residual <= tolerance), W spans the dominant k-dimensional subspace of the
/// contraction map: basis-free, continuous in p, exact for decomposable p. Throws
/// NotDecomposable when the residual exceeds `tolerance` (negative: the default sqrt(eps),
/// 1.5e-8 in double, which accepts rounding-level noise and rejects a genuinely
/// non-decomposable vector; the residual grows about linearly with relative noise, so pass a
/// tolerance above the noise level of your data), NonFiniteInput, InvalidParameter (NaN
/// tolerance), DimensionMismatch. The answer is the dominant subspace of the contraction map, a
/// consistent estimator that is exact for decomposable p; it is not claimed to be the nearest
/// decomposable vector in any norm. Any scale of p works (it is divided by max|p_I| first).
/// Cost: an SVD of n x C(n, k-1), plus plucker(W).
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> from_plucker(
    const Eigen::MatrixBase<Derived>& p_arg, Index n, Index k,
    typename Derived::RealScalar tolerance = -1) {
  const auto& p = detail::evaluated(p_arg);
  using Scalar = typename Derived::Scalar;
  using Real = typename Derived::RealScalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  constexpr const char* func = "subspace::from_plucker";
  detail::require_finite(p, func, "p");
  tolerance = detail::resolve_tolerance(tolerance, std::sqrt(Tolerance<Real>::epsilon()), func);
  const Real scale = p.size() > 0 ? p.cwiseAbs().maxCoeff() : Real(0);
  const Mat mat = contraction_matrix(scale > Real(0) ? (p / scale).eval() : p.eval(), n, k);
  const Eigen::JacobiSVD<Mat> svd(mat, Eigen::ComputeThinU);
  detail::require_svd_ok(svd, "subspace::from_plucker");
  const Real residual = detail::tail_energy_ratio<Mat>(svd.singularValues(), k);
  if (!(residual <= tolerance))
    throw NotDecomposable(
        detail::message(func, ": the ", k, "-vector is not decomposable: residual ", residual,
                        " > tolerance ", tolerance, scale > Real(0) ? "" : " (zero vector)"));
  Mat w = svd.matrixU().leftCols(k);
  if (plucker(w).dot(p) < Scalar(0)) w.col(0) = -w.col(0);
  return w;
}

/// Normalized Plucker coordinates of the 2-planes span(x_t, x_{t-d}) for all tokens t and
/// offsets d: the pair features of a causal Grassmann layer. X is r x T (one reduced token state
/// per column); the result is C(r, 2) x (T |offsets|), column d_index * T + t holding
/// (x_t ^ x_{t-d}) / |x_t ^ x_{t-d}| (lexicographic pairs, as `plucker`). Degenerate pairs give
/// a zero column: t - d < 0 (no predecessor), a zero state, or sin(angle(x_t, x_{t-d})) <=
/// tolerance (parallel to working precision, where the plane is undefined; negative: the default
/// 100 eps). Any scale of X works (states are normalized first). Cost: linear in T, r(r-1) + 12r
/// flops per output column (written once, already normalized). Throws DimensionMismatch (r < 2),
/// InvalidParameter (an offset < 1, NaN tolerance), NonFiniteInput.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic> plucker_pair_features(
    const Eigen::MatrixBase<Derived>& x_arg, const std::vector<Index>& offsets,
    typename Derived::RealScalar tolerance = -1) {
  const auto& x = detail::evaluated(x_arg);
  using Scalar = typename Derived::Scalar;
  using Real = typename Derived::RealScalar;
  constexpr const char* func = "subspace::plucker_pair_features";
  const Index r = x.rows(), t_len = x.cols();
  if (r < 2)
    throw DimensionMismatch(
        detail::message(func, ": token states need r >= 2 rows, got ", detail::shape(r, t_len)));
  for (Index d : offsets)
    if (d < 1) throw InvalidParameter(detail::message(func, ": offsets must be >= 1, got ", d));
  detail::require_finite(x, func, "X");
  tolerance = detail::resolve_tolerance(tolerance, Real(100) * Tolerance<Real>::epsilon(), func);
  const Index c = detail::checked_plucker_size<Scalar>(r, 2, func);
  const Index n_off = static_cast<Index>(offsets.size());
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> out(c, t_len * n_off);
  // Unit token states first (safe_norm: no overflow or underflow at any scale), then for each
  // pair the orthonormal pair e1 = x/|x|, e2 = the normalized Gram-Schmidt residual of y/|y|
  // (a second pass when the first lost more than 30 % of the norm: "twice is enough"). x ^ y = |x|
  // |y| sin(angle) e1 ^ e2 and |e1 ^ e2| = 1 to rounding, so the output has unit norm to a few eps
  // whatever the angle; its direction carries the O(eps / sin(angle)) error that is inherent in the
  // plane of two nearly parallel vectors.
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> unit(r, t_len);
  Eigen::Matrix<bool, 1, Eigen::Dynamic> zero(t_len);
  for (Index t = 0; t < t_len; ++t) {
    const Real nrm = detail::safe_norm(x.col(t));
    zero(t) = !(nrm > Real(0));
    if (zero(t))
      unit.col(t).setZero();
    else
      unit.col(t) = x.col(t) / nrm;
  }
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> e2(r);
  for (Index o = 0; o < n_off; ++o) {
    const Index d = offsets[static_cast<std::size_t>(o)];
    for (Index t = 0; t < t_len; ++t) {
      auto col = out.col(o * t_len + t);
      if (t - d < 0 || zero(t) || zero(t - d)) {  // no predecessor, or a zero state
        col.setZero();
        continue;
      }
      const auto e1 = unit.col(t);
      e2 = unit.col(t - d);
      e2 -= e2.dot(e1) * e1;
      const Real sine = e2.norm();  // sin(angle) of the two states
      if (!(sine > tolerance)) {    // parallel to working precision
        col.setZero();
        continue;
      }
      e2 /= sine;
      if (sine < Real(0.7)) {  // cancellation: a second pass restores orthogonality to eps
        e2 -= e2.dot(e1) * e1;
        e2.normalize();
      }
      detail::wedge2_raw(e1.data(), e2.data(), r, col.data());
    }
  }
  return out;
}

namespace detail {

/// plucker(U) for k > n/2 through the complement (see `plucker`): U = Q R, the full Q = [Q1 Q2]
/// from the Householder reflectors, det Q = prod (1 - tau_i |v_i|^2) = +-1 (a reflector with
/// tau = 0 is the identity), W = Q2 with its first column flipped when det Q = -1, so that
/// det [Q1 W] = +1 and plucker(Q1) = (-1)^(k(n-k)) hodge(plucker(W), n, n - k).
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, 1> plucker_by_complement(
    const Eigen::MatrixBase<Derived>& u) {
  using Scalar = typename Derived::Scalar;
  using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const Index n = u.rows(), k = u.cols();
  const Eigen::HouseholderQR<Mat> qr(u);
  const Mat q = qr.householderQ();  // n x n
  Scalar det_q(1), det_r(1);
  for (Index i = 0; i < k; ++i) {
    const Scalar tau = qr.hCoeffs()(i);
    const Scalar v2 = Scalar(1) + qr.matrixQR().col(i).tail(n - i - 1).squaredNorm();
    det_q *= (Scalar(1) - tau * v2) < Scalar(0) ? Scalar(-1) : Scalar(1);
    det_r *= qr.matrixQR()(i, i);
  }
  Mat w = q.rightCols(n - k);
  if (det_q < Scalar(0)) w.col(0) = -w.col(0);
  const Scalar sign = (k * (n - k)) % 2 == 0 ? Scalar(1) : Scalar(-1);
  return (sign * det_r) * hodge(plucker(w), n, n - k);
}

}  // namespace detail

/// @}
}  // namespace subspace

/// The explicit instantiations of this header in compiled mode (detail/compiled.hpp): P is
/// `extern template` for users of subspace::compiled, `template` in its sources (src/).
#define SUBSPACE_PLUCKER_TEMPLATES(P, S)                                                          \
  P Eigen::Matrix<S, subspace::detail::plucker_size_ct(Eigen::Dynamic, Eigen::Dynamic), 1>        \
  subspace::plucker(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&);                                  \
  P SUBSPACE_VECX(S) subspace::hodge(const Eigen::MatrixBase<SUBSPACE_VECX(S)>&, subspace::Index, \
                                     subspace::Index);                                            \
  P SUBSPACE_MATX(S) subspace::contraction_matrix(const Eigen::MatrixBase<SUBSPACE_VECX(S)>&,     \
                                                  subspace::Index, subspace::Index);              \
  P S subspace::decomposability_residual(const Eigen::MatrixBase<SUBSPACE_VECX(S)>&,              \
                                         subspace::Index, subspace::Index);                       \
  P SUBSPACE_MATX(S) subspace::from_plucker(const Eigen::MatrixBase<SUBSPACE_VECX(S)>&,           \
                                            subspace::Index, subspace::Index, S);                 \
  P SUBSPACE_MATX(S) subspace::plucker_pair_features(const Eigen::MatrixBase<SUBSPACE_MATX(S)>&,  \
                                                     const std::vector<subspace::Index>&, S);
#ifdef SUBSPACE_EXTERN_TEMPLATES
SUBSPACE_PLUCKER_TEMPLATES(extern template, double)
SUBSPACE_PLUCKER_TEMPLATES(extern template, float)
#endif
