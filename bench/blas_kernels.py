"""Batch answers under two BLAS kernels: the same poses solved by ``armsim.solve_batch`` in two
processes, one with OpenBLAS's default kernel for this machine and one with
``OPENBLAS_CORETYPE=Haswell``, compared row by row: success, iterations and the largest
difference of the joint values (the small per-row solves may round differently; the
algorithm's choices must not).  Poses: joint vectors uniform in the limits,
``default_rng(5)``.

    python bench/blas_kernels.py [--poses N] [--json PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _docs import add_markdown_argument, publish  # noqa: E402

ROBOTS = ("panda", "ur5", "iiwa14", "snake20")
KERNELS = {"default": None, "Haswell": "Haswell"}
SEED = 5


def _solve(poses, out):
    """In this process: every robot's batch, saved to ``out`` (npz)."""
    import armsim
    got = {}
    for name in ROBOTS:
        chain = armsim.robots.load(name)
        rng = np.random.default_rng(SEED)
        T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (poses, chain.n)))
        r = armsim.solve_batch(chain, T)
        got[f"{name}_q"], got[f"{name}_it"], got[f"{name}_ok"] = r.q, r.iterations, r.success
    np.savez(out, **got)


def run(poses):
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, core in KERNELS.items():
            env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
            if core:
                env["OPENBLAS_CORETYPE"] = core
            env["PYTHONPATH"] = str(ROOT)
            out = Path(tmp) / f"{label}.npz"
            subprocess.run([sys.executable, __file__, "--child", str(out), "--poses",
                            str(poses)], env=env, check=True)
            runs[label] = dict(np.load(out))
    a, b = (runs[k] for k in KERNELS)
    rows = []
    for name in ROBOTS:
        rows.append({"robot": name, "poses": poses,
                     "same_success": int(np.sum(a[f"{name}_ok"] == b[f"{name}_ok"])),
                     "same_iterations": int(np.sum(a[f"{name}_it"] == b[f"{name}_it"])),
                     "max_q_difference": float(np.abs(a[f"{name}_q"] - b[f"{name}_q"]).max())})
    return rows


def markdown(rows):
    lines = [f"`solve_batch` of {rows[0]['poses']:,} poses per robot (`default_rng({SEED})`), "
             "in one process with OpenBLAS's default kernel and in one with "
             "`OPENBLAS_CORETYPE=Haswell`:", "",
             "| robot | rows with the same success | the same iterations | "
             "largest joint difference [rad] |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['robot']} | {r['same_success']:,} | {r['same_iterations']:,} | "
                     f"{r['max_q_difference']:.1e} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=int, default=1000)
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, ROOT / "README.md")
    ap.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return _solve(a.poses, a.child)
    rows = run(a.poses)
    publish(a, "bench/blas_kernels.py", markdown(rows), rows,
            "python bench/blas_kernels.py --markdown")


if __name__ == "__main__":
    main()
