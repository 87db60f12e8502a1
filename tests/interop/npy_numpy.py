#!/usr/bin/env python3
"""NumPy <-> io/npy.hpp interoperability, run by CTest as npy_numpy_interop.

    python3 tests/interop/npy_numpy.py path/to/npy_tool

1. NumPy writes every dtype (f4 f8 i1 i2 i4 i8 u1 u2 u4 u8) in both byte orders, C and Fortran
   order, shapes (), (0,), (5,), (0, 3), (3, 0), (1, 1), (4, 1), (1, 4), (3, 4), (17, 5), with
   np.lib.format.write_array at versions (1, 0), (2, 0) and (3, 0). npy_tool reads each file and
   writes it back as float64 and as its own dtype; we check that np.load gives the values bit
   for bit, and that the file is byte-identical to np.save of the same array.
2. npy_tool writes its test matrix of every dtype in column-major, row-major and 1-D layouts;
   np.load must read exactly the values computed here, and np.save must write the same bytes.
3. Stacks: NumPy writes 3-D arrays (C, n, k) (PyTorch's C x d x k class bases), float and
   integer dtypes, both byte orders, C and Fortran order, empty extents; npy_tool reads each with
   read_npy_stack and writes the n x (C k) matrix, which must equal np.concatenate(list(a),
   axis=1) bit for bit (in float64 and in the file's own dtype).
4. Refusals: int64 2**53 + 1 as float64, a 3-D array through read_npy, a 4-D one through
   read_npy_stack.
Exit 0 when everything matched, 1 on any mismatch, 77 (CTest SKIP_RETURN_CODE) when NumPy is
not importable.
"""
import io
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import numpy.lib.format as npformat
except ImportError:
    print("numpy is not importable: skipped (apt-get install python3-numpy)")
    sys.exit(77)

TYPES = ["f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]
SHAPES = [(), (0,), (5,), (0, 3), (3, 0), (1, 1), (4, 1), (1, 4), (3, 4), (17, 5)]
VERSIONS = [(1, 0), (2, 0), (3, 0)]


def values(t, shape, rng, exact_in_f8):
    """Random values of dtype t: full range for integers (within 2**53 when the float64 copy
    must be exact), normal plus the IEEE specials for floats."""
    n = int(np.prod(shape))
    if t[0] == "f":
        a = rng.standard_normal(n).astype(t) * 1000
        specials = [np.nan, np.inf, -np.inf, -0.0, np.finfo(t).smallest_subnormal, np.finfo(t).max]
        a[: min(n, len(specials))] = specials[: min(n, len(specials))]
    else:
        info = np.iinfo(t)
        lo, hi = int(info.min), int(info.max)
        if exact_in_f8:
            lo, hi = max(lo, -(2**53)), min(hi, 2**53)
        a = rng.integers(lo, hi, size=n, dtype=t, endpoint=True)
        a[: min(n, 2)] = [hi, lo][: min(n, 2)]
    return a.reshape(shape)


def npsave_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def main():
    tool = os.path.abspath(sys.argv[1])
    rng = np.random.default_rng(2024)
    failures = []
    checks = 0

    def run(*args):
        return subprocess.run([tool, *args], capture_output=True, text=True)

    def check(ok, what):
        nonlocal checks
        checks += 1
        if not ok:
            failures.append(what)

    def batch(op, cases):
        """Runs "op IN OUT TYPE" for every (name, array, type, IN, OUT) case in one npy_tool
        process; yields the cases it answered "ok" (the others are failures)."""
        lines = "".join(f"{op} {c[3]} {c[4]} {c[2]}\n" for c in cases)
        r = subprocess.run([tool, "batch"], input=lines, capture_output=True, text=True)
        answers = r.stdout.splitlines()
        check(r.returncode == 0 and len(answers) == len(cases),
              f"npy_tool batch {op}: rc {r.returncode}, {len(answers)} answers for {len(cases)}")
        for case, answer in zip(cases, answers):
            if answer == "ok":
                yield case
            else:
                check(False, f"{case[0]}: npy_tool: {answer}")

    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "in.npy"), os.path.join(tmp, "out.npy")
        # 1. NumPy writes, we read and write back (one npy_tool process for all files).
        cases = []
        for t in TYPES:
            for bo in ("|" if t[1] == "1" else "<>"):
                dt = np.dtype(bo + t)
                for shape in SHAPES:
                    for fortran in ([False, True] if len(shape) == 2 else [False]):
                        for version in VERSIONS:
                            for as_type in ["f8", t]:
                                a = values(t, shape, rng, exact_in_f8=as_type == "f8").astype(dt)
                                if fortran:
                                    a = np.asfortranarray(a)
                                n = len(cases)
                                fin = os.path.join(tmp, f"in{n}.npy")
                                with open(fin, "wb") as f:
                                    npformat.write_array(f, a, version=version)
                                name = (f"{dt.str} {shape} {'F' if fortran else 'C'} {version}"
                                        f" -> {as_type}")
                                cases.append((name, a, as_type, fin, os.path.join(tmp, f"out{n}.npy")))
        for name, a, as_type, fin, fout in batch("copy", cases):
            expect = a.astype(np.dtype("<" + as_type))
            if expect.ndim == 0:
                expect = expect.reshape(1, 1)
            got = np.load(fout)
            check(got.dtype == expect.dtype and got.shape == expect.shape,
                  f"{name}: dtype/shape {got.dtype} {got.shape}")
            check(np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(expect).tobytes(),
                  f"{name}: values differ")
            with open(fout, "rb") as f:
                check(f.read() == npsave_bytes(np.asfortranarray(expect)),
                      f"{name}: file differs from np.save")
        # 2. We write, NumPy reads.
        for t in TYPES:
            for (rows, cols) in [(0, 3), (1, 1), (1, 6), (6, 1), (3, 4), (9, 7)]:
                for order in "fcv":
                    if order == "v" and rows != 1 and cols != 1:
                        continue
                    name = f"write {t} {rows}x{cols} {order}"
                    r = run("write", out, t, str(rows), str(cols), order)
                    if r.returncode != 0:
                        check(False, f"{name}: npy_tool failed: {r.stderr.strip()}")
                        continue
                    k = np.arange(rows * cols)
                    if t[0] == "f":
                        e = ((k - 7) / 4).astype(t)
                        specials = np.array([-0.0, np.inf, np.nan, np.finfo(t).smallest_subnormal],
                                            dtype=t)
                        for i in range(1, min(rows * cols, 5)):
                            e[i] = specials[i - 1]
                    else:
                        e = ((3 * k) % 100).astype(t)
                        info = np.iinfo(t)
                        e[: min(rows * cols, 2)] = [info.max, info.min][: min(rows * cols, 2)]
                    e = e.reshape(rows, cols) if order != "v" else e
                    e = np.asfortranarray(e) if order == "f" else np.ascontiguousarray(e)
                    got = np.load(out)
                    check(got.dtype == np.dtype(t).newbyteorder("<") and got.shape == e.shape,
                          f"{name}: dtype/shape {got.dtype} {got.shape}")
                    check(np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(e).tobytes(),
                          f"{name}: values differ")
                    with open(out, "rb") as f:
                        check(f.read() == npsave_bytes(e), f"{name}: file differs from np.save")
        # 3. Stacks of matrices through read_npy_stack, in one batch.
        stacks = []
        for t in ["f4", "f8", "i2", "u8"]:
            for bo in "<>":
                dt = np.dtype(bo + t)
                for shape in [(1, 4, 3), (3, 5, 2), (4, 1, 1), (2, 3, 1), (2, 0, 3), (0, 3, 2),
                              (3, 4, 0), (5, 7, 6)]:
                    for fortran in [False, True]:
                        for as_type in ["f8", t]:
                            a = values(t, shape, rng, exact_in_f8=as_type == "f8").astype(dt)
                            if fortran:
                                a = np.asfortranarray(a)
                            n = len(stacks)
                            fin = os.path.join(tmp, f"stack{n}.npy")
                            np.save(fin, a)
                            name = f"stack {dt.str} {shape} {'F' if fortran else 'C'} -> {as_type}"
                            stacks.append((name, a, as_type, fin, os.path.join(tmp, f"so{n}.npy")))
        for name, a, as_type, fin, fout in batch("stack", stacks):
            c, rows, k = a.shape
            # The side-by-side layout: columns [i k, (i + 1) k) hold a[i].
            expect = a.transpose(1, 0, 2).reshape(rows, c * k).astype(np.dtype("<" + as_type))
            got = np.load(fout)
            check(got.dtype == expect.dtype and got.shape == expect.shape,
                  f"{name}: dtype/shape {got.dtype} {got.shape}, expected {expect.shape}")
            check(got.shape == expect.shape and np.ascontiguousarray(got).tobytes()
                  == np.ascontiguousarray(expect).tobytes(), f"{name}: values differ")
        # 4. Refusals.
        np.save(src, np.array([2**53 + 1], dtype="<i8"))
        r = run("copy", src, out, "f8")
        check(r.returncode == 1 and src in r.stderr and "9007199254740993" in r.stderr,
              f"int64 2**53+1 as f8: rc {r.returncode} {r.stderr.strip()}")
        np.save(src, np.zeros((2, 2, 2)))
        r = run("copy", src, out)
        check(r.returncode == 1 and "(2, 2, 2) has 3 dimensions" in r.stderr,
              f"3-D: rc {r.returncode} {r.stderr.strip()}")
        np.save(src, np.zeros((2, 2, 2, 2)))
        r = run("stack", src, out)
        check(r.returncode == 1 and "(2, 2, 2, 2) has 4 dimensions" in r.stderr,
              f"4-D stack: rc {r.returncode} {r.stderr.strip()}")

    for f in failures[:40]:
        print("FAIL:", f)
    print(f"numpy {np.__version__}: {checks - len(failures)} of {checks} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
