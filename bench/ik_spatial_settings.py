"""Spatial dls settings: the progress rule (``SpatialTarget.progress``) and the initial damping.

::

    python bench/ik_spatial_settings.py                 # 10,000 poses per robot
    python bench/ik_spatial_settings.py --quick         # 1,000
    python bench/ik_spatial_settings.py --markdown      # the docs/solvers.md blocks

The poses of ``bench/ik_spatial.py`` (joint vectors uniform within the limits from
``default_rng(2026)``, full 6-D at 1e-5, from the middle of the joint ranges, the loop's
spatial defaults), solved by ``armsim.solve_batch`` (the same iterations as one
``armsim.solve`` per pose: tested) with ``SpatialTarget.progress`` set to each rule in
turn (at the default damping), then with each initial damping ``nu`` (at the default
rule), then with the restarts of a revolute joint wider than a turn (the UR5's) drawn in
the turn around its middle or in its whole range.  A rule ``(W, r)`` ends an attempt, for the next start, when its ``f`` after k
iterations is above ``r`` times its ``f`` after ``k - W``.  Success is judged by forward
kinematics.  Iterations are deterministic; the time is the batch's (best of 3), relative
to the table's first row on the same poses in the same run.
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
DAMPINGS = (1.0, SpatialTarget.default_damping, 0.03, 0.01, 0.003)
REPEATS = 3     # the batch time is the best of this many runs


def label(rule):
    if rule is None:
        return "none"
    text = f"W = {rule[0]}, r = {rule[1]:g}"
    return text + " (default)" if rule == DEFAULT else text


def measure(name, poses, settings):
    """One row per (rule, damping, turn draws) of ``settings`` on the benchmark's poses of
    ``name``."""
    rows = []
    try:
        for rule, damping, turn in settings:
            SpatialTarget.progress, SpatialTarget.turn_draws = rule, turn
            chain = armsim.robots.load(name)      # a new chain: a new problem and table
            rng = np.random.default_rng(POSE_SEED)
            T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1],
                                         (poses, chain.n)))
            q0 = np.broadcast_to(chain.limits.mean(axis=1), (poses, chain.n))
            armsim.solve_batch(chain, T[:8], q0=q0[:8], tol=TOL)   # untimed: the table
            dt = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                r = armsim.solve_batch(chain, T, q0=q0, tol=TOL, damping=damping)
                dt.append(time.perf_counter() - t0)
            it = np.asarray(r.iterations)
            rows.append({"rule": label(rule), "damping": damping, "turn_draws": turn,
                         "iterations": float(it.mean()),
                         "unsolved": int(np.sum(~fk_success(chain, r.q, T))),
                         "over_100": int(np.sum(it > 100)), "most": int(it.max()),
                         "seconds": min(dt)})
    finally:
        SpatialTarget.progress, SpatialTarget.turn_draws = DEFAULT, True
    for row in rows:
        row["time_ratio"] = row["seconds"] / rows[0]["seconds"]
    return rows


def table(results, key, what):
    lines = [f"| robot | {what} | mean iterations | unsolved (by FK) | poses over 100 iterations "
             "| most iterations | batch time / first row |", "|---|---|---|---|---|---|---|"]
    for name, rows in results.items():
        for row in rows:
            v = row[key]
            if key == "damping":
                v = f"{v:g}" + (" (default)" if v == SpatialTarget.default_damping else "")
            elif key == "turn_draws":
                v = "the turn around the middle (default)" if v else "the whole range"
            lines.append(f"| {name} | {v} | {row['iterations']:.2f} | {row['unsolved']} "
                         f"| {row['over_100']} | {row['most']} | {row['time_ratio']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    from _docs import add_markdown_argument, write_blocks
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 poses per robot")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    add_markdown_argument(ap, str(ROOT / "docs" / "solvers.md"))
    args = ap.parse_args(argv)
    poses = 1000 if args.quick else 10_000
    d0 = SpatialTarget.default_damping
    parts = {"progress": [(rule, d0, True) for rule in RULES],
             "damping": [(DEFAULT, d, True) for d in DAMPINGS],
             "draws": [(DEFAULT, d0, True), (DEFAULT, d0, False)]}
    keys = {"progress": ("rule", "progress rule"), "damping": ("damping", "initial damping nu"),
            "draws": ("turn_draws", "restarts of a joint wider than a turn drawn in")}
    results = {"poses": poses}
    blocks = {}
    for part, settings in parts.items():
        results[part] = {name: measure(name, poses, settings) for name in armsim.robots.NAMES}
        text = table(results[part], *keys[part])
        blocks[f"bench/ik_spatial_settings.py {part}"] = f"Poses per robot: {poses:,}.\n\n{text}"
        print(text, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.markdown:
        cmd = "python bench/ik_spatial_settings.py" + (" --quick" if args.quick else "")
        write_blocks(args.markdown, blocks, cmd)


if __name__ == "__main__":
    main()
