"""A whole robot's link frames, plain and with a Dual q (what obstacles and self-collision on
a robot read), against the factor-by-factor twist product, in one run.

Passes, for the shipped ``dual_arm`` (15 joints, 21 links) and ``panda_hand`` (8 joints, a
mimic finger) at B = 1, 10, 100 and 1,000 joint vectors drawn within the limits:

* ``plain``: ``robot.poses(q)``, every link's frame for plain q (one pass over the links:
  :func:`armsim.kinematics.tree_seeded.plain_frames`);
* ``Dual (chain rule)``: ``robot.poses(Dual(q, I))``, every link's frame and its derivative
  by the chain rule on one-hot seeds (:func:`armsim.kinematics.tree_seeded.seeded_poses`),
  the identity seed objectives give;
* ``Dual (factor by factor)``: the same frames and derivatives by composing each link's
  transform with its twists, factor by factor (``Robot._motions`` and ``Motion.duals``:
  the pass a Dual q took before, and takes under an operation-counting hook).

Each pass's best time of ``--repeats`` rounds, every round timing the passes in turn
(200 / B calls each), in one process; the largest differences of the two Dual passes'
values and tangents, and of the chain rule's position tangents from central differences.

    python bench/tree_frames.py                  # prints the table
    python bench/tree_frames.py --json out.json --markdown   # the README's block
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _docs import add_markdown_argument, publish  # noqa: E402

from armsim import robots  # noqa: E402
from armsim.ad import dual as ad  # noqa: E402

ROBOTS = ("dual_arm", "panda_hand")
BATCHES = (1, 10, 100, 1000)
CALLS = 200                 # calls a timing at B = 1 (CALLS // B at B)
PASSES = ("plain", "Dual (chain rule)", "Dual (factor by factor)")


def _stepwise(robot, qd):
    """Every link's (R, p) by the factor-by-factor twist product."""
    T = robot._motions(robot.joint_values(qd), len(robot._steps))
    return {link: T[robot._index[link]].duals() for link in robot.links
            if T[robot._index[link]] is not None}


def _differences(robot, q, qd):
    """The largest |chain rule - factor by factor| of values and tangents, and of the chain
    rule's position tangents from central differences (h = 1e-6)."""
    got, want = robot.poses(qd), _stepwise(robot, qd)
    value = tangent = 0.0
    for link, (R, p) in want.items():
        Rg, pg = got[link]
        value = max(value, float(np.abs(ad.value_of(Rg) - ad.value_of(R)).max()),
                    float(np.abs(ad.value_of(pg) - ad.value_of(p)).max()))
        if isinstance(R, ad.Dual):
            tangent = max(tangent, float(np.abs(Rg.tangent - R.tangent).max()),
                          float(np.abs(pg.tangent - p.tangent).max()))
    h, fd = 1e-6, 0.0
    pos = robot.link_positions(qd)
    for j in range(robot.n):
        step = np.zeros(robot.n)
        step[j] = h
        d = (robot.link_positions(q + step) - robot.link_positions(q - step)) / (2 * h)
        fd = max(fd, float(np.abs(pos.tangent[..., j] - d).max()))
    return value, tangent, fd


def run(repeats=20, seed=0):
    rows = []
    for name in ROBOTS:
        robot = robots.load_robot(name)
        n = robot.n
        lo, hi = np.nan_to_num(robot.limits, posinf=np.pi, neginf=-np.pi).T
        for b in BATCHES:
            q = np.random.default_rng(seed).uniform(lo, hi, (b, n))
            qd = ad.Dual(q, np.broadcast_to(np.eye(n), (b, n, n)))
            passes = {"plain": lambda: robot.poses(q),
                      "Dual (chain rule)": lambda: robot.poses(ad.Dual(q, qd.tangent)),
                      "Dual (factor by factor)": lambda: _stepwise(robot, qd)}
            calls = max(1, CALLS // b)
            best = dict.fromkeys(passes, np.inf)
            for f in passes.values():
                f()
            for _ in range(repeats):
                for key, f in passes.items():
                    t0 = time.perf_counter()
                    for _ in range(calls):
                        f()
                    best[key] = min(best[key], (time.perf_counter() - t0) / calls)
            value, tangent, fd = _differences(robot, q, qd)
            rows.append({"robot": name, "n": n, "links": len(robot.links), "B": b,
                         "calls": calls, "repeats": repeats,
                         **{f"{k}_ms": t * 1e3 for k, t in best.items()},
                         "dual_over_plain": best["Dual (chain rule)"] / best["plain"],
                         "stepwise_over_dual": (best["Dual (factor by factor)"]
                                                / best["Dual (chain rule)"]),
                         "max_value_difference": value, "max_tangent_difference": tangent,
                         "max_position_tangent_vs_fd": fd})
    return rows


def markdown(rows):
    lines = ["| robot | B | plain | Dual (chain rule) | its ratio to plain | Dual (factor by "
             "factor) | its ratio to the chain rule | max \\|values\\| / \\|tangents\\| "
             "difference | max \\|position tangents − FD\\| |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['robot']} ({r['n']} joints, {r['links']} links) | {r['B']:,} | "
                     f"{r['plain_ms']:.3f} ms | {r['Dual (chain rule)_ms']:.3f} ms | "
                     f"{r['dual_over_plain']:.2f}x | {r['Dual (factor by factor)_ms']:.3f} ms | "
                     f"{r['stepwise_over_dual']:.2f}x | {r['max_value_difference']:.1e} / "
                     f"{r['max_tangent_difference']:.1e} | "
                     f"{r['max_position_tangent_vs_fd']:.1e} |")
    lines.append("")
    lines.append(f"Every link's frame; the Dual q seeded with the identity (as objectives seed "
                 f"it), its building included. Each pass's best time of {rows[0]['repeats']} "
                 f"rounds, every round timing the passes in turn ({CALLS} / B calls each), in "
                 f"one process; joint vectors drawn within the limits.")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    add_markdown_argument(p, str(ROOT / "README.md"))
    args = p.parse_args(argv)
    rows = run(repeats=args.repeats, seed=args.seed)
    publish(args, "bench/tree_frames.py", markdown(rows),
            {"benchmark": "tree_frames", "rows": rows}, "python bench/tree_frames.py --markdown")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
