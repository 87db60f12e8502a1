#!/usr/bin/env python3
"""Reads Google Benchmark JSON on stdin and prints every time next to its baselines measured in
the same run:
  / gemm, / naive  -- variants `gemm` and `naive` of the same op and shape (bench_basics);
  / euclid         -- `euclidstep` of the same variant and shape (bench_grassmann): a Euclidean
                      SGD step plus QR re-orthonormalization.
`allocs` is heap allocations per call, `peak MB` the peak live heap of one call above what was
live before it, where the program counts them."""
import json
import re
import sys
from collections import defaultdict

TO_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}

data = json.load(sys.stdin)
rows = defaultdict(dict)  # (op, shape) -> variant -> (time in us, allocs)
for b in data["benchmarks"]:
    if b.get("error_occurred") or b.get("run_type") == "aggregate":
        continue
    m = re.match(r"([a-z_]+?)_([a-z]+)/(.*)", b["name"])
    if not m:
        continue
    op, variant, shape = m.groups()
    # Run options are not part of the shape: .../real_time, .../iterations:2, .../min_time:...
    shape = "/".join(p for p in shape.split("/") if not re.match(r"(real_time|iterations:|min_time:|repeats:)", p))
    if op.endswith(("_qr", "_svd", "_pivoted")) and variant == "ours":
        op, variant = op.rsplit("_", 1)[0], op.rsplit("_", 1)[1]
    t = b["real_time"] * TO_US[b.get("time_unit", "ns")]
    rows[(op, shape)][variant] = (t, b.get("allocs"), b.get("peak_mb"))

ctx = data.get("context", {})
print(f"# {ctx.get('host_name', '')}, {ctx.get('num_cpus', '?')} cpus, {ctx.get('date', '')}, "
      f"library build type {ctx.get('library_build_type', '?')}")
print(f"{'op':<16}{'shape':<16}{'variant':<8}{'time (us)':>12}"
      f"{'/ gemm':>9}{'/ naive':>9}{'/ euclid':>9}{'allocs':>8}{'peak MB':>9}")


def ratio(t, base):
    return f"{t / base[0]:9.2f}" if base else f"{'':>9}"


for (op, shape), variants in rows.items():
    for v, (t, allocs, peak) in variants.items():
        if v in ("gemm", "naive") or op == "euclidstep":
            continue
        euclid = rows.get(("euclidstep", shape), {}).get(v)
        a = f"{allocs:8.1f}" if allocs is not None else f"{'':>8}"
        pk = f"{peak:9.1f}" if peak is not None else ""
        print(f"{op:<16}{shape:<16}{v:<8}{t:12.2f}{ratio(t, variants.get('gemm'))}"
              f"{ratio(t, variants.get('naive'))}{ratio(t, euclid)}{a}{pk}")
for (op, shape), variants in rows.items():
    if op == "euclidstep":
        for v, (t, allocs, _) in variants.items():
            a = f"{allocs:8.1f}" if allocs is not None else f"{'':>8}"
            print(f"{'(euclidstep)':<16}{shape:<16}{v:<8}{t:12.2f}{'':>27}{a}")
