#!/usr/bin/env python3
"""Compile cost of representative user files, header-only against compiled mode.

Each file of this directory is compiled (-c, one process at a time, no ccache) at -O2 and at
-O0 -g, once header-only and once with -DSUBSPACE_COMPILED (what linking subspace::compiled
adds); the compiler's CPU time (user + sys, children included) and peak resident memory come
from wait4. With --lib, every compiled-mode object is also linked against that
libsubspace_compiled.a and run, and its output must equal the header-only program's.

  cmake --preset release && cmake --build --preset release -j2 --target subspace_compiled
  python3 bench/build_cost/measure.py --lib build/release/libsubspace_compiled.a

The library given to --lib must be built with the flags of the -O2 row (a Release build:
-O3 -DNDEBUG is fine, NDEBUG must agree); see detail/compiled.hpp.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def compile_once(cmd):
    """Runs cmd; returns (cpu seconds, peak RSS in MB) of the compiler process tree."""
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: " + " ".join(cmd))
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    ap.add_argument("--lib", help="libsubspace_compiled.a to link and run against")
    ap.add_argument("--eigen", default="/usr/include/eigen3")
    ap.add_argument("files", nargs="*", help="default: every .cpp of bench/build_cost")
    args = ap.parse_args()
    files = [pathlib.Path(f) for f in args.files] or sorted(HERE.glob("*.cpp"))
    base = [args.cxx, "-std=c++17", "-I" + str(ROOT / "include"), "-isystem", args.eigen]
    levels = {"-O2": ["-O2", "-DNDEBUG"], "-O0 -g": ["-O0", "-g", "-DNDEBUG"]}
    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout
    print(f"compiler: {version.splitlines()[0]}; one compile at a time; CPU s / peak MB")
    print(f"{'file':<18} {'flags':<7} {'header-only':>17} {'compiled mode':>17} {'ratio':>6}")
    tmp = pathlib.Path(tempfile.mkdtemp())
    failed = False
    try:
        for f in files:
            for name, flags in levels.items():
                row = []
                for mode in ([], ["-DSUBSPACE_COMPILED"]):
                    obj = tmp / f"{f.stem}{'_c' if mode else ''}{flags[0]}.o"
                    row.append(compile_once(base + flags + mode + ["-c", str(f), "-o", str(obj)]))
                (t0, m0), (t1, m1) = row
                print(f"{f.stem:<18} {name:<7} {t0:8.1f} s {m0:5.0f} MB {t1:8.1f} s {m1:5.0f} MB"
                      f" {t0 / t1:5.1f}x", flush=True)
            if args.lib:  # same program, same output?
                outs = []
                for suffix, extra in (("", []), ("_c", [args.lib])):
                    exe = tmp / f"{f.stem}{suffix}"
                    subprocess.run([args.cxx, str(tmp / f"{f.stem}{suffix}-O2.o"), *extra, "-o",
                                    str(exe)], check=True)
                    outs.append(subprocess.run([str(exe)], capture_output=True, text=True,
                                               check=True).stdout)
                same = outs[0] == outs[1]
                failed |= not same
                print(f"  {f.stem}: compiled-mode program linked and run, output "
                      f"{'identical' if same else 'DIFFERS'}: {outs[1].strip()}")
    finally:
        shutil.rmtree(tmp)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
