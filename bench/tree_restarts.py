"""A robot's restarts: the whole robot's table alone against each tool's own table, one run.

``armsim.solve`` restarts a robot's tools from a table of sampled configurations of the
whole robot; a tool whose chain ends in joints no other tool moves (an arm below a torso)
then has those joints set from its own table (``armsim/ik/tree_starts.py``).  This runs the
same poses both ways, in the same process, alternately pose by pose: ``whole table`` with
the own tables switched off (``TreeTargets._own_tables`` returning none), ``own tables`` as
shipped.  Each answer is judged by forward kinematics (every tool within 1e-5 m and
1e-5 rad).  Reported per robot: success, the mean and median iterations, the poses over 50
iterations, and the mean / median time of a solve (the best of 3 repeats of each pose).
Poses: joint vectors uniform in the limits, ``default_rng(31337)``: this comparison chose
the design, so it runs on the seed the defaults were tuned on (``bench/ik_tree.py``
reports on 2026, a seed no choice was made on).

    python bench/tree_restarts.py [--poses N] [--json PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import armsim  # noqa: E402
from armsim.ik import tree as ik_tree  # noqa: E402
from ik_tree import TASKS, TOL, _uniform, judged  # noqa: E402

SEED = 31337     # the tuning seed (bench/ik_spatial_settings.py's): ik_tree reports on 2026


def run(name, count, repeats=3):
    tips = list(TASKS[name])
    robot = armsim.robots.load_robot(name, tips=tips)
    rng = np.random.default_rng(SEED)
    T = robot.frames(_uniform(robot.limits, count, rng), tips)
    poses = [{k: v[i] for k, v in T.items()} for i in range(count)]
    own_tables = ik_tree.TreeTargets._own_tables
    variants = {"whole table": lambda self, restarts, seed: [], "own tables": own_tables}
    out = {k: {"ok": 0, "iters": [], "secs": []} for k in variants}
    armsim.solve(robot, poses[0])
    try:
        for one in poses:
            for key, fn in variants.items():
                ik_tree.TreeTargets._own_tables = fn
                best = np.inf
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    r = armsim.solve(robot, one, tol=TOL)
                    best = min(best, time.perf_counter() - t0)
                o = out[key]
                o["secs"].append(best)
                o["iters"].append(r.iterations)
                o["ok"] += bool(judged(robot, r.q, one)[0])
    finally:
        ik_tree.TreeTargets._own_tables = own_tables
    rows = []
    for key, o in out.items():
        it, secs = np.array(o["iters"]), np.array(o["secs"]) * 1e3
        rows.append({"robot": name, "restarts from": key, "poses": count,
                     "success": o["ok"] / count, "mean_iterations": float(it.mean()),
                     "median_iterations": float(np.median(it)), "over_50": int((it > 50).sum()),
                     "mean_ms": float(secs.mean()), "median_ms": float(np.median(secs))})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(rows):
    lines = ["Each robot's poses solved twice, restarts from the whole robot's table alone and "
             "with each tool's own table (every tool within 1e-5 m and 1e-5 rad by forward "
             f"kinematics; poses of `default_rng({SEED})`, the seed the defaults were tuned on: "
             "this comparison chose the design, `bench/ik_tree.py` reports on 2026; time: the "
             "best of 3 repeats of each pose).", "",
             "| robot | restarts from | poses | success | mean / median iterations | "
             "over 50 iterations | mean / median ms |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['robot']} | {r['restarts from']} | {r['poses']:,} | "
                     f"{100 * r['success']:.2f} % | {r['mean_iterations']:.1f} / "
                     f"{r['median_iterations']:.0f} | {r['over_50']} | "
                     f"{r['mean_ms']:.3f} / {r['median_ms']:.3f} |")
    return "\n".join(lines)


def main(argv=None):
    from _docs import add_markdown_argument, publish
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=int, default=300)
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, "docs/solvers.md")
    args = ap.parse_args(argv)
    rows = [r for name in TASKS for r in run(name, args.poses)]
    text = markdown(rows)
    publish(args, "bench/tree_restarts.py", text, rows,
            "python bench/tree_restarts.py --markdown")


if __name__ == "__main__":
    main()
