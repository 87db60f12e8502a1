#!/usr/bin/python3
"""The peer comparison: our Google Benchmark programs against the same operations in Debian's
NumPy, SciPy and scikit-learn, on inputs of the same shape, dtype and distribution, with the same
number of threads (Eigen via $SUBSPACE_BENCH_THREADS, BLAS via threadpoolctl). Prints one table:
operation, size, ours, peer, peer/ours (> 1: we are faster), and for GEMM-shaped work the fraction
of this machine's GEMM throughput each side reaches (the larger of Eigen's and the BLAS's
1024^3 GEMM, measured in the same run). Accuracy is printed beside speed where the peer is inexact.

    bench/peers/peers.py [--build-dir build/release] [--threads 1] [--quick]
                         [--backend-build-dir build/blas] [--json FILE]

Needs python3-numpy, python3-scipy, python3-sklearn (Debian; scripts/install-deps.sh peers) and
the benchmarks built (cmake --build --preset release --target peer_benchmarks). --quick runs small
shapes only (a smoke test: seconds, not minutes). Run with Debian's /usr/bin/python3."""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time


# ---- the peer's BLAS kernel: pinned before NumPy loads OpenBLAS -------------------------------
# Debian's OpenBLAS picks its kernel at run time (DYNAMIC_ARCH) and on some VMs auto-detects the
# generic Prescott kernel, ~7x slower than the one the CPU supports, which makes every peer row
# look far slower than it is. Unless the user pinned one, we pin the best kernel the CPU's SIMD
# flags allow; main() refuses to print ratios if OpenBLAS still runs a pre-AVX kernel on an AVX
# machine. (Kernel names: OpenBLAS's driver/others/dynamic.c.)
PRE_AVX_KERNELS = {"katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn",
                   "dunnington", "nehalem", "atom", "opteron", "opteron_sse3", "barcelona",
                   "bobcat", "nano"}


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def best_openblas_kernel(flags):
    """The fastest x86-64 OpenBLAS kernel these SIMD flags run, or None (not x86 / unknown)."""
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    if "avx" in flags:
        return "Sandybridge"
    return None


# ---- the allocator, the same on both sides -----------------------------------------------------
# NumPy madvises its large arrays into transparent huge pages (THP) itself; Eigen's malloc'd
# matrices get 4 KiB pages, and on a VM where each first-touch page fault costs microseconds a
# fresh 35 MB temporary cost 0.45 s against 0.16 s for the product that filled it. glibc (>= 2.35)
# can madvise every large malloc (GLIBC_TUNABLES=glibc.malloc.hugetlb=1): a setting of the
# process, read at its start, so peers.py re-executes itself with it once, and both sides (this
# Python for the peers, our benchmark programs as its children) run with the same allocator.
# --malloc default turns it off (both sides again). Printed in the header.
HUGETLB = "glibc.malloc.hugetlb=1"


def thp_mode():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().split("[", 1)[1].split("]", 1)[0]
    except (OSError, IndexError):
        return "unavailable"


def wants_default_malloc(argv):
    """--malloc default / --malloc=default, read before argparse (the re-exec happens first)."""
    return any(a == "--malloc=default" or (a == "--malloc" and argv[i + 1:i + 2] == ["default"])
               for i, a in enumerate(argv))


if not wants_default_malloc(sys.argv) and HUGETLB not in os.environ.get("GLIBC_TUNABLES", "") \
        and thp_mode() in ("madvise", "always") and os.environ.get("SUBSPACE_PEERS_REEXEC") != "1":
    tun = os.environ.get("GLIBC_TUNABLES")
    env = dict(os.environ, GLIBC_TUNABLES=f"{tun}:{HUGETLB}" if tun else HUGETLB, SUBSPACE_PEERS_REEXEC="1")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

CPU_FLAGS = cpu_flags()
USER_PINNED = "OPENBLAS_CORETYPE" in os.environ
if not USER_PINNED and best_openblas_kernel(CPU_FLAGS):
    os.environ["OPENBLAS_CORETYPE"] = best_openblas_kernel(CPU_FLAGS)

import numpy as np  # noqa: E402  (after the kernel is pinned)
import scipy  # noqa: E402
import scipy.linalg  # noqa: E402
import sklearn  # noqa: E402
from sklearn.decomposition import PCA, IncrementalPCA  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
ROWS = []


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build-dir", default="build/release")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="small shapes only (smoke test)")
    p.add_argument("--json", help="also write the rows to this file")
    p.add_argument("--malloc", choices=("thp", "default"), default="thp",
                   help="thp (default): both sides with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 when the "
                        "kernel offers transparent huge pages; default: glibc's default malloc on both")
    p.add_argument("--backend-build-dir",
                   help="a build with SUBSPACE_USE_BLAS (preset blas): each row also shows ours on "
                        "the BLAS/LAPACKE backend, with the same OpenBLAS kernel and threads as the peer")
    return p.parse_args()


ARGS = parse()
MIN_TIME = 0.02 if ARGS.quick else 0.3
RNG = np.random.default_rng(7)


def ours(program, regex):
    """Runs one of our benchmark programs on the benchmarks matching `regex`; name -> entry."""
    exe = os.path.join(ARGS.build_dir, "bench", program)
    env = dict(os.environ, SUBSPACE_BENCH_THREADS=str(ARGS.threads), OMP_NUM_THREADS=str(ARGS.threads))
    out = subprocess.run([exe, f"--benchmark_filter={regex}", "--benchmark_format=json",
                          f"--benchmark_min_time={MIN_TIME}"], env=env, check=True,
                         capture_output=True, text=True)
    data = json.loads(out.stdout)
    ours.context = data["context"]
    def key(name):  # run options are not part of the shape
        return "/".join(p for p in name.split("/") if not p.startswith(("real_time", "iterations:", "min_time:")))
    got = {key(b["name"]): b for b in data["benchmarks"] if not b.get("error_occurred")}
    if ARGS.backend_build_dir:  # the same benchmarks on the backend, OpenBLAS as pinned for the peer
        exe = os.path.join(ARGS.backend_build_dir, "bench", program)
        env["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
        out = subprocess.run([exe, f"--benchmark_filter={regex}", "--benchmark_format=json",
                              f"--benchmark_min_time={MIN_TIME}"], env=env, check=True,
                             capture_output=True, text=True)
        for b in json.loads(out.stdout)["benchmarks"]:
            if key(b["name"]) in got and not b.get("error_occurred"):
                got[key(b["name"])]["backend_us"] = us(b)
    return got


def us(entry):
    return entry["real_time"] * TO_US[entry["time_unit"]]


def peer(f):
    """Median time of one call of f in microseconds (batches of at least MIN_TIME, 3 repeats).
    A first call of 5 s or more is the measurement (one call; warm-up effects are noise there),
    which keeps the full run within its time budget."""
    t0 = time.perf_counter()
    f()
    first = time.perf_counter() - t0
    if first >= 5:
        return first * 1e6
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        dt = time.perf_counter() - t0
        if dt >= MIN_TIME or n >= 1 << 20:
            break
        n *= 2 if dt <= 0 else max(2, min(100, int(MIN_TIME / dt * 1.2) + 1))
    times = [dt / n]
    for _ in range(2 if dt < 5 else 0):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - t0) / n)
    return sorted(times)[len(times) // 2] * 1e6


def row(op, size, dtype, entry, peer_name, peer_us, flops=None, note=""):
    """One table row; `entry` is our benchmark's entry (its time, and on the backend if run)."""
    ROWS.append(dict(op=op, size=size, dtype=dtype, ours_us=us(entry), peer=peer_name,
                     peer_us=peer_us, flops=flops, note=note, ours_blas_us=entry.get("backend_us")))


def orthonormal(n, k, dtype=np.float64):
    q, _ = np.linalg.qr(RNG.standard_normal((n, k)))
    return q.astype(dtype)


# ---- this machine's GEMM throughput ------------------------------------------------------------
def gemm_peak():
    got = ours("bench_basics", "^peakgemm_")
    peak = {}
    for dt, name in (("float64", "peakgemm_double/1024"), ("float32", "peakgemm_float/1024")):
        a = RNG.standard_normal((1024, 1024)).astype(dt)
        blas = 2 * 1024**3 / (peer(lambda: a @ a) * 1e-6) / 1e9
        peak[dt] = (got[name]["gflops"], blas)  # the counter is in GFLOP/s
    return peak


# ---- orthonormal bases, projections ------------------------------------------------------------
def bases_and_projection():
    shapes = [(1024, 32)] if ARGS.quick else [(1024, 32), (16384, 128)]
    sel = "|".join(f"n:{n}/k:{k}" for n, k in shapes)
    got = ours("bench_basics", f"^(basis_qr_ours|basis_svd_ours|residual_norms_ours)/({sel})$")
    for n, k in shapes:
        a = RNG.uniform(-1, 1, (n, k))
        row("basis (QR)", f"{n}x{k}", "f64", got[f"basis_qr_ours/n:{n}/k:{k}"],
            "numpy.linalg.qr", peer(lambda: np.linalg.qr(a)))
        row("basis (SVD)", f"{n}x{k}", "f64", got[f"basis_svd_ours/n:{n}/k:{k}"],
            "scipy.linalg.orth", peer(lambda: scipy.linalg.orth(a)))
        u, x = orthonormal(n, k), RNG.uniform(-1, 1, (n, 64))
        row("residual norms, batch 64", f"{n}x{k}", "f64",
            got[f"residual_norms_ours/n:{n}/k:{k}"], "numpy |X - U(U^T X)|",
            peer(lambda: np.linalg.norm(x - u @ (u.T @ x), axis=0)), flops=4 * n * k * 64)


# ---- principal angles and the Grassmann exp / log / distance -----------------------------------
def np_exp(u, d):
    q, s, vt = np.linalg.svd(d, full_matrices=False)
    y = (u @ vt.T) * np.cos(s) @ vt + (q * np.sin(s)) @ vt
    return np.linalg.qr(y)[0]


def np_log(u, y):
    m = u.T @ y
    l = np.linalg.solve(m.T, (y - u @ m).T).T
    q, s, vt = np.linalg.svd(l, full_matrices=False)
    return (q * np.arctan(s)) @ vt


def sp_distance(u, y):
    """The geodesic distance at our accuracy class (every angle to O(eps) absolutely): SciPy's
    subspace_angles (cosines and sines), then the norm. NumPy's arccos(svd(U^T V)) is cheaper but
    loses every angle below ~1e-8 (see the accuracy table), so it is not the same computation."""
    return np.linalg.norm(scipy.linalg.subspace_angles(u, y))


def grassmann():
    shapes = [(4, 2), (64, 4)] if ARGS.quick else [(4, 2), (64, 4), (512, 16), (16384, 128)]
    fixed = {(4, 2), (64, 4), (512, 16)}
    sel = "|".join(f"{n}/{k}" for n, k in shapes)
    got = ours("bench_grassmann", f"^(angles|exp|log|distance)_(fixed|dyn)/({sel})(/|$)")
    for n, k in shapes:
        u = orthonormal(n, k)
        d = RNG.standard_normal((n, k))
        d -= u @ (u.T @ d)
        d *= 0.5 / np.linalg.norm(d)
        y = np_exp(u, d)
        variant = "fixed" if (n, k) in fixed else "dyn"
        size = f"Gr({k},{n})"
        tag = f" [{variant}]"
        row("principal angles" + tag, size, "f64", got[f"angles_{variant}/{n}/{k}"],
            "scipy.linalg.subspace_angles", peer(lambda: scipy.linalg.subspace_angles(u, y)))
        row("Grassmann exp" + tag, size, "f64", got[f"exp_{variant}/{n}/{k}"], "numpy (SVD formula)",
            peer(lambda: np_exp(u, d)))
        row("Grassmann log" + tag, size, "f64", got[f"log_{variant}/{n}/{k}"],
            "numpy (arctan formula)", peer(lambda: np_log(u, y)))
        row("Grassmann distance" + tag, size, "f64", got[f"distance_{variant}/{n}/{k}"],
            "scipy subspace_angles + norm", peer(lambda: sp_distance(u, y)))
        allocs = {op: got[f"{op}_{variant}/{n}/{k}"].get("allocs") for op in ("angles", "exp", "log", "distance")}
        if variant == "fixed":
            ROWS[-4]["note"] = "allocs/call: " + ", ".join(f"{o} {a:g}" for o, a in allocs.items() if a is not None)


def angles_accuracy():
    """Mixed tiny and near-right angles: the error of each method against the constructed angles."""
    theta = np.array([1e-12, 1e-8, 1e-4, 0.3, math.pi / 4, 1.2, math.pi / 2 - 1e-8, math.pi / 2 - 1e-12])
    n, k = 64, theta.size
    q = orthonormal(n, 2 * k)
    u = q[:, :k]
    v = q[:, :k] * np.cos(theta) + q[:, k:] * np.sin(theta)
    exe = os.path.join(ARGS.build_dir, "bench", "peer_angles")
    text = f"{n} {k} {k}\n" + "\n".join(" ".join(repr(float(x)) for x in r) for r in u) + "\n" + \
        "\n".join(" ".join(repr(float(x)) for x in r) for r in v) + "\n"
    ours_t = np.array([float(s) for s in subprocess.run([exe], input=text, capture_output=True,
                                                          text=True, check=True).stdout.split()])
    sc = np.sort(scipy.linalg.subspace_angles(u, v))
    naive = np.sort(np.arccos(np.clip(np.linalg.svd(u.T @ v, compute_uv=False), -1, 1)))

    def err(t):
        rel_tiny = abs(t[0] - theta[0]) / theta[0]
        return np.max(np.abs(t - theta)), rel_tiny
    return {"ours": err(ours_t), "scipy.linalg.subspace_angles": err(sc), "numpy arccos(svd(U^T V))": err(naive)}


# ---- GCR logits, gradient projection -----------------------------------------------------------
def gcr_and_gpm():
    c, k, d, b = (100, 8, 128, 64) if ARGS.quick else (1000, 8, 512, 256)
    if not ARGS.quick:
        got = ours("bench_gcr", f"^gcrforward_ours/{c}/{k}/{d}/{b}(/|$)")
        s = np.concatenate([orthonormal(d, k, np.float32) for _ in range(c)], axis=1)
        x = RNG.standard_normal((d, b)).astype(np.float32)

        def logits():
            xn = x / np.linalg.norm(x, axis=0)
            p = s.T @ xn
            return 16.0 * np.sqrt((p.reshape(c, k, b) ** 2).sum(axis=1))
        row("GCR logits", f"C={c} k={k} d={d} B={b}", "f32", got[f"gcrforward_ours/{c}/{k}/{d}/{b}"],
            "numpy matmul + norms", peer(logits), flops=2 * d * c * k * b)
    dims = [64] if ARGS.quick else [64, 256, 768]
    got = ours("bench_gpm", "^gpmproject_ours/1024/(" + "|".join(map(str, dims)) + ")$")
    g = RNG.standard_normal((1024, 1024)).astype(np.float32)
    for m in dims:
        mm = orthonormal(1024, m, np.float32)
        row("gradient projection G(I-MM^T)", f"1024x1024, m={m}", "f32", got[f"gpmproject_ours/1024/{m}"],
            "numpy G - (G M) M^T", peer(lambda: g - (g @ mm) @ mm.T), flops=4 * 1024 * 1024 * m)


# ---- PCA ---------------------------------------------------------------------------------------
def pca_data(n, d, dtype):
    z = RNG.standard_normal((n, d)) / (1.0 + np.arange(d) / 8.0)
    w = RNG.standard_normal((d, d)) / math.sqrt(d)
    return (z @ w + 3.0).astype(dtype)


def pca():
    k = 64
    shapes = [(10000, 256, "float64")] if ARGS.quick else [(60000, 784, "float64"), (50000, 768, "float32")]
    sel = "|".join(f"{n}/{d}" for n, d, _ in shapes)
    got = ours("bench_pca", f"^pcafit_(cov|svd|rand|randqseven|stream|streamcov)/({sel})/{k}/|^pcascore_ours/10000/")
    for n, d, dt in shapes:
        x = pca_data(n, d, dt)
        xc = (x - x.mean(axis=0)).astype(np.float64)
        cov = xc.T @ xc
        top = np.linalg.eigvalsh(cov)[-k:].sum()
        del xc

        def deficit(model):
            v = model.components_.T.astype(np.float64)
            return 1.0 - np.trace(v.T @ cov @ v) / top
        size, short = f"{n}x{d} k={k}", "f64" if dt == "float64" else "f32"
        full = PCA(k, svd_solver="full")
        t_full = peer(lambda: full.fit(x))
        rnd = PCA(k, svd_solver="randomized", random_state=0)
        t_rnd = peer(lambda: rnd.fit(x))
        for variant, label in (("cov", "Covariance"), ("svd", "SVD"), ("streamcov", "streaming, Covariance (exact)")):
            e = got[f"pcafit_{variant}/{n}/{d}/{k}"]
            row(f"PCA fit, ours {label}", size, short, e, "sklearn full", t_full,
                note=f"var. deficit ours {e['var_deficit']:.1e}, sklearn {deficit(full):.1e}")
        # The bounded-memory streaming fit against its like: scikit-learn's IncrementalPCA (Ross
        # et al. 2008), the same SVD of the stacked rank-k state and block, same block size.
        inc = IncrementalPCA(k, batch_size=1000)
        t_inc = peer(lambda: inc.fit(x))
        e = got[f"pcafit_stream/{n}/{d}/{k}"]
        row("PCA fit, ours streaming, max_state_rank=k", size, short, e, "sklearn IncrementalPCA", t_inc,
            note=f"var. deficit ours {e['var_deficit']:.1e}, sklearn {deficit(inc):.1e}; blocks of 1000")
        for variant, q in (("rand", 2), ("randqseven", 7)):
            e = got[f"pcafit_{variant}/{n}/{d}/{k}"]
            row(f"PCA fit, ours randomized q={q}", size, short, e, "sklearn randomized (q=7)", t_rnd,
                note=f"var. deficit ours {e['var_deficit']:.1e}, sklearn {deficit(rnd):.1e}")
        score_key = [key for key in got if key.startswith("pcascore_ours/10000/") and f"/{d}/" in key]
        if score_key:
            xs = x[:10000]

            def score():
                zz = full.transform(xs)
                r = xs - full.inverse_transform(zz)
                return (r * r).sum(axis=1), (zz * zz / full.explained_variance_).sum(axis=1)
            row("PCA score (Q and T^2)", f"10000x{d} k={k}", short, got[score_key[0]],
                "sklearn transform + inverse", peer(score), flops=4 * 10000 * d * k)


def check_peer_configuration(blas):
    """Exits non-zero, saying why, unless the peer runs its best configuration: an OpenBLAS
    kernel with AVX on an AVX machine, and the thread count asked for."""
    if not blas:
        sys.exit("peers.py: NumPy's BLAS is not visible to threadpoolctl; refusing to print ratios")
    arch = (blas[0].get("architecture") or "").lower()
    if blas[0].get("internal_api") == "openblas" and "avx" in CPU_FLAGS and arch in PRE_AVX_KERNELS:
        sys.exit(f"peers.py: OpenBLAS runs its generic {blas[0].get('architecture')} kernel on a CPU "
                 f"with AVX (best: {best_openblas_kernel(CPU_FLAGS)}); ratios against it would "
                 f"flatter us. Unset OPENBLAS_CORETYPE or set it to "
                 f"{best_openblas_kernel(CPU_FLAGS)}. Refusing to print ratios.")
    if blas[0].get("num_threads") != ARGS.threads:
        sys.exit(f"peers.py: asked for {ARGS.threads} BLAS thread(s), OpenBLAS runs "
                 f"{blas[0].get('num_threads')}; refusing to print ratios")


def main():
    with threadpool_limits(ARGS.threads):
        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        check_peer_configuration(blas)
        peak = gemm_peak()
        bases_and_projection()
        grassmann()
        gcr_and_gpm()
        pca()
        acc = angles_accuracy()
    ctx = ours.context
    print(f"# {platform.node()}, {ctx.get('num_cpus')} cpus, {ARGS.threads} thread(s) on each side; "
          f"ours: Eigen {ctx.get('eigen_simd', '?')}, {ctx.get('eigen_threads', '?')} thread(s); "
          f"peers: NumPy {np.__version__}, SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
          f"BLAS {blas[0]['internal_api'] + ' ' + blas[0]['version'] if blas else '?'}"
          f"{' (' + blas[0].get('architecture', '') + ')' if blas else ''}; "
          f"OpenBLAS kernel {blas[0].get('architecture', '?')} "
          f"({'pinned by the user, best for this CPU: ' + str(best_openblas_kernel(CPU_FLAGS)) if USER_PINNED else 'pinned by peers.py: best for this CPU'}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    huge = HUGETLB in os.environ.get("GLIBC_TUNABLES", "")
    print(f"# malloc on both sides: {'GLIBC_TUNABLES=' + os.environ['GLIBC_TUNABLES'] if huge else 'glibc default'}; "
          f"transparent huge pages: {thp_mode()} (NumPy madvises its large arrays itself)")
    for dt, (eig, bl) in peak.items():
        print(f"# GEMM 1024^3 {dt}: Eigen {eig:.1f} GFLOP/s, BLAS {bl:.1f} GFLOP/s; "
              f"machine GEMM throughput = {max(eig, bl):.1f}")
    backend = bool(ARGS.backend_build_dir)
    if backend:
        print(f"# ours+BLAS: {ARGS.backend_build_dir} (SUBSPACE_USE_BLAS: Eigen's products on OpenBLAS, "
              f"QR/LU/Cholesky/syev on LAPACKE), OPENBLAS_NUM_THREADS={ARGS.threads}, the same kernel")
    extra = f" {'ours+BLAS (us)':>14} | {'peer/ours+BLAS':>14} |" if backend else ""
    hdr = f"| {'operation':<38} | {'size':<22} | {'type':<4} | {'ours (us)':>10} | {'peer':<30} | {'peer (us)':>10} | {'peer/ours':>9} |{extra} {'GEMM frac ours/peer':>19} | note"
    print(hdr)
    print("|" + "|".join("-" * (len(c) + 0) for c in hdr.split("|")[1:-1]) + "|---|")
    for r in ROWS:
        frac = ""
        if r["flops"]:
            top = max(peak["float64" if r["dtype"] == "f64" else "float32"]) * 1e9
            frac = f"{r['flops'] / (r['ours_us'] * 1e-6) / top:.2f} / {r['flops'] / (r['peer_us'] * 1e-6) / top:.2f}"
        cols = ""
        if backend:
            b = r["ours_blas_us"]
            cols = (f" {b:>14.2f} | {r['peer_us'] / b:>14.2f} |" if b else f" {'-':>14} | {'-':>14} |")
        print(f"| {r['op']:<38} | {r['size']:<22} | {r['dtype']:<4} | {r['ours_us']:>10.2f} | {r['peer']:<30} | "
              f"{r['peer_us']:>10.2f} | {r['peer_us'] / r['ours_us']:>9.2f} |{cols} {frac:>19} | {r['note']}")
    print("\nPrincipal angles {1e-12, 1e-8, 1e-4, 0.3, pi/4, 1.2, pi/2-1e-8, pi/2-1e-12} in R^64 "
          "(max absolute error; relative error of the 1e-12 angle):")
    for name, (a, rel) in acc.items():
        print(f"  {name:<30} {a:.1e}   {rel:.1e}")
    if ARGS.json:
        with open(ARGS.json, "w") as f:
            json.dump(dict(rows=ROWS, gemm_peak=peak, accuracy=acc), f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
