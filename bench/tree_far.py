"""A robot's tool beyond its reach: do the other tools still arrive?

For each shipped tree (``panda_hand``: the hand's tool and both fingertips, which share every
arm joint; ``dual_arm``: two arms on a torso), ``--targets`` joint vectors uniform within the
limits give every tool's pose by forward kinematics; then one tool's target (each tool in
turn) is moved ``--distance`` metres in a random direction, beyond its reach.  One
``armsim.solve`` per case (its defaults but ``tol``; the far tool makes every answer
``unreachable``).  Reported per robot: how many cases brought every other tool within
``tol`` of its target by forward kinematics, the median and largest of their worst
residual, and the mean iterations and time of a solve.

    python bench/tree_far.py [--targets N] [--seed S] [--distance M] [--json PATH] [--markdown]
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

ROBOTS = ("panda_hand", "dual_arm")
TOL = 1e-6


def cases(robot, count, distance, rng):
    """(far tool, targets {tool: (4, 4)}) for ``count`` joint vectors, the far tool each tool
    in turn."""
    tips = list(robot.tips)
    out = []
    for i in range(count):
        q = robot.clip(rng.uniform(robot.limits[:, 0], robot.limits[:, 1]))
        F = robot.frames(q, tips)
        targets = {t: F[t].copy() for t in tips}
        far = tips[i % len(tips)]
        v = rng.normal(size=3)
        targets[far][:3, 3] += distance * v / np.linalg.norm(v)
        out.append((far, targets))
    return out


def run(name, count, seed, distance):
    robot = armsim.robots.load_robot(name)
    rng = np.random.default_rng(seed)
    worst, iters, secs, unreachable = [], [], [], 0
    for far, targets in cases(robot, count, distance, rng):
        t = time.perf_counter()
        res = armsim.solve(robot, targets, tol=TOL)
        secs.append(time.perf_counter() - t)
        F = robot.frames(res.q, list(targets))            # judged by forward kinematics
        worst.append(max(np.linalg.norm(F[k][:3, 3] - T[:3, 3]) for k, T in targets.items()
                         if k != far))
        iters.append(res.iterations)
        unreachable += res.reason == "unreachable"
    worst, iters = np.array(worst), np.array(iters)
    row = {"robot": name, "targets": count, "seed": seed, "distance_m": distance,
           "others_within_tol": int((worst < TOL).sum()), "median_worst_m": float(np.median(worst)),
           "max_worst_m": float(worst.max()), "mean_iterations": float(iters.mean()),
           "mean_ms": 1e3 * float(np.mean(secs)), "unreachable": int(unreachable)}
    print(json.dumps(row), flush=True)
    return row


def markdown(rows):
    r0 = rows[0]
    lines = [f"One tool's target moved {r0['distance_m']:g} m (each tool in turn), the others at "
             f"their forward kinematics (`default_rng({r0['seed']})`); one `armsim.solve` a case "
             f"at tol = {TOL:g}; the other tools' worst position residual by forward "
             "kinematics.", "",
             "| robot | cases | others within tol | median / largest worst residual [m] | "
             "mean iterations | mean ms |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['robot']} | {r['targets']} | {r['others_within_tol']} | "
                     f"{r['median_worst_m']:.1e} / {r['max_worst_m']:.1e} | "
                     f"{r['mean_iterations']:.1f} | {r['mean_ms']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    from _docs import add_markdown_argument, publish
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=60)
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--distance", type=float, default=8.0)
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, "docs/solvers.md")
    args = ap.parse_args(argv)
    rows = [run(name, args.targets, args.seed, args.distance) for name in ROBOTS]
    publish(args, "bench/tree_far.py", markdown(rows), rows,
            "python bench/tree_far.py --markdown")


if __name__ == "__main__":
    main()
