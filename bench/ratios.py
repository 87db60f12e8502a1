#!/usr/bin/env python3
"""Reads Google Benchmark JSON on stdin; prints each <op>_<variant> time as a ratio to the
baselines of the same op and shape measured in the same run (variants named gemm and naive)."""
import json
import re
import sys
from collections import defaultdict

data = json.load(sys.stdin)
rows = defaultdict(dict)  # (op, shape) -> variant -> time
for b in data["benchmarks"]:
    if b.get("error_occurred") or b.get("run_type") == "aggregate":
        continue
    m = re.match(r"([a-z_]+?)_(ours|gemm|naive|[a-z]+)/(.*)", b["name"])
    if not m:
        continue
    op, variant, shape = m.groups()
    if op.endswith(("_qr", "_svd", "_pivoted")) and variant == "ours":
        op, variant = op.rsplit("_", 1)[0], op.rsplit("_", 1)[1]
    rows[(op, shape)][variant] = b["real_time"]
ctx = data.get("context", {})
print(f"# {ctx.get('host_name', '')}, {ctx.get('num_cpus', '?')} cpus, {ctx.get('date', '')}")
print(f"{'op':<16}{'shape':<22}{'variant':<10}{'time (us)':>12}{'/ gemm':>9}{'/ naive':>9}")
for (op, shape), variants in rows.items():
    for v, t in variants.items():
        if v in ("gemm", "naive"):
            continue
        g = variants.get("gemm")
        nv = variants.get("naive")
        gs = f"{t / g:9.2f}" if g else f"{'':>9}"
        ns = f"{t / nv:9.2f}" if nv else f"{'':>9}"
        print(f"{op:<16}{shape:<22}{v:<10}{t:12.1f}{gs}{ns}")
