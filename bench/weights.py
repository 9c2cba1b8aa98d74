"""Per-axis weights and the spatial solve: how many reachable poses ``armsim.solve`` finds
with uneven weights (``armsim.Target(T, weights)``), each answer judged by forward
kinematics at 1e-5 m and 1e-5 rad on every axis, default settings.  Poses: the tool poses
of joint vectors uniform in the limits, ``default_rng(11)``.  Each weighting's first use
(its problem, float pass and restart table: ``armsim.prepare``) is untimed.

    python bench/weights.py [--poses N] [--json PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import armsim  # noqa: E402
from _docs import add_markdown_argument, publish  # noqa: E402
from ik_spatial import TOL, fk_success  # noqa: E402

ROBOTS = ("panda", "ur5")
WEIGHTS = ((1, 1, 1, 1, 1, 1), (10, 1, 1, 1, 1, 1), (100, 1, 1, 1, 1, 1),
           (1, 1, 1, 10, 10, 10), (1, 1, 1, 100, 100, 100))
SEED = 11


def run(poses):
    rows = []
    for name in ROBOTS:
        chain = armsim.robots.load(name)
        rng = np.random.default_rng(SEED)
        T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (poses, chain.n)))
        for w in WEIGHTS:
            # untimed: each weighting's problem, float pass and table (its first use)
            armsim.prepare(chain, armsim.Target(T[0], weights=w), tol=TOL)
            qs, iters, secs = [], [], []
            for t in T:
                t0 = time.perf_counter()
                r = armsim.solve(chain, armsim.Target(t, weights=w), tol=TOL)
                secs.append(time.perf_counter() - t0)
                iters.append(r.iterations)
                qs.append(r.q)
            ok = int(np.sum(fk_success(chain, np.array(qs), T)))     # the common rule
            rows.append({"robot": name, "weights": list(w), "poses": poses, "solved": ok,
                         "mean_iterations": float(np.mean(iters)),
                         "mean_ms": 1e3 * float(np.mean(secs))})
    return rows


def markdown(rows):
    lines = [f"Reachable poses solved to 1e-5 m and 1e-5 rad by forward kinematics, "
             f"{rows[0]['poses']} per robot (`default_rng({SEED})`), `armsim.solve` with its "
             "defaults and `armsim.Target(T, weights)`:", "",
             "| robot | weights (x, y, z, rx, ry, rz) | solved | mean iterations | mean ms |",
             "|---|---|---|---|---|"]
    for r in rows:
        w = ", ".join(f"{v:g}" for v in r["weights"])
        lines.append(f"| {r['robot']} | {w} | {r['solved']} / {r['poses']} | "
                     f"{r['mean_iterations']:.1f} | {r['mean_ms']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=int, default=100)
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, ROOT / "docs/solvers.md")
    a = ap.parse_args(argv)
    rows = run(a.poses)
    publish(a, "bench/weights.py", markdown(rows), rows, "python bench/weights.py --markdown")


if __name__ == "__main__":
    main()
