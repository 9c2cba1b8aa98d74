"""Spatial dls with restarts: the progress rule (``SpatialTarget.progress``) on and off.

::

    python bench/ik_progress.py                 # 10,000 poses per robot
    python bench/ik_progress.py --quick         # 1,000
    python bench/ik_progress.py --markdown      # the docs/solvers.md block

The poses of ``bench/ik_spatial.py`` (joint vectors uniform within the limits from
``default_rng(2026)``, full 6-D at 1e-5, from the middle of the joint ranges, the loop's
spatial defaults), solved by ``armsim.solve_batch`` (the same iterations as one
``armsim.solve`` per pose: tested) with ``SpatialTarget.progress`` set to each rule in
turn.  A rule ``(W, r)`` ends an attempt, for the next start, when its ``f`` after k
iterations is above ``r`` times its ``f`` after ``k - W``.  Success is judged by forward
kinematics.  Iterations are deterministic; the time is the batch's (best of 3), relative
to the run without the rule on the same poses in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import armsim  # noqa: E402
from armsim.ik.problems import SpatialTarget  # noqa: E402
from ik_spatial import POSE_SEED, TOL, fk_success  # noqa: E402

#: None first: the reference of the time ratios; the default rule second
DEFAULT = SpatialTarget.progress
RULES = (None, DEFAULT, (2, 0.36), (3, 0.64), (4, 0.49), (5, 0.49))
REPEATS = 3     # the batch time is the best of this many runs


def label(rule):
    if rule is None:
        return "none"
    text = f"W = {rule[0]}, r = {rule[1]:g}"
    return text + " (default)" if rule == DEFAULT else text


def measure(name, poses):
    chain = armsim.robots.load(name)
    rng = np.random.default_rng(POSE_SEED)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (poses, chain.n)))
    q0 = np.broadcast_to(chain.limits.mean(axis=1), (poses, chain.n))
    armsim.solve_batch(chain, T[:8], q0=q0[:8], tol=TOL)    # untimed: builds the restart table
    rows = []
    try:
        for rule in RULES:
            SpatialTarget.progress = rule
            dt = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                r = armsim.solve_batch(chain, T, q0=q0, tol=TOL)
                dt.append(time.perf_counter() - t0)
            dt = min(dt)
            it = np.asarray(r.iterations)
            rows.append({"rule": label(rule), "iterations": float(it.mean()),
                         "unsolved": int(np.sum(~fk_success(chain, r.q, T))),
                         "over_100": int(np.sum(it > 100)), "most": int(it.max()),
                         "seconds": dt})
    finally:
        SpatialTarget.progress = DEFAULT
    for row in rows:
        row["time_ratio"] = row["seconds"] / rows[0]["seconds"]
    return rows


def main(argv=None):
    from _docs import add_markdown_argument, write_blocks
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 poses per robot")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    add_markdown_argument(ap, str(ROOT / "docs" / "solvers.md"))
    args = ap.parse_args(argv)
    poses = 1000 if args.quick else 10_000
    results = {"poses": poses, "robots": {}}
    lines = [f"Poses per robot: {poses:,}.", "",
             "| robot | rule | mean iterations | unsolved (by FK) | poses over 100 iterations "
             "| most iterations | batch time / no rule |", "|---|---|---|---|---|---|---|"]
    for name in armsim.robots.NAMES:
        rows = results["robots"][name] = measure(name, poses)
        for row in rows:
            lines.append(f"| {name} | {row['rule']} | {row['iterations']:.2f} | {row['unsolved']} "
                         f"| {row['over_100']} | {row['most']} | {row['time_ratio']:.2f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.markdown:
        cmd = "python bench/ik_progress.py" + (" --quick" if args.quick else "")
        write_blocks(args.markdown, {"bench/ik_progress.py": text}, cmd)


if __name__ == "__main__":
    main()
