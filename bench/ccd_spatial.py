"""Spatial ``ccd``: success, false successes and time on the shipped robots.

::

    python bench/ccd_spatial.py                       # 500 position targets per robot
    python bench/ccd_spatial.py --markdown            # the docs/solvers.md block

Targets: the tool positions (and, for the pose rows, the poses) of joint vectors drawn
uniformly within the limits from ``default_rng(12345)`` (not 0: the solver's own uniform
restart draws come from ``default_rng(seed=0)``, and targets drawn from the same stream
would hand the solver exact answers); ``armsim.solve_batch(..., method="ccd")`` with its
spatial defaults (20 sweeps a start, 150 restarts) for positions and for the
"pose (defaults)" rows, 300 sweeps a start and 8 restarts for the "pose" rows.  Success is
judged by the forward kinematics of the returned joints (tolerance 1e-6 x reach).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import armsim  # noqa: E402
from armsim.kinematics.spatial import rotation_vector  # noqa: E402

POSE = dict(max_iter=300, first_iter=300, restarts=8)


def measure(name, count, kind):
    chain = armsim.robots.load(name)
    rng = np.random.default_rng(12345)
    lo = np.where(chain.continuous, -np.pi, chain.limits[:, 0])
    hi = np.where(chain.continuous, np.pi, chain.limits[:, 1])
    T = chain.matrix(rng.uniform(lo, hi, (count, chain.n)))
    t0 = time.perf_counter()
    if kind == "position":
        r = armsim.solve_batch(chain, T[:, :3, 3], method="ccd")
    elif kind == "pose (defaults)":
        r = armsim.solve_batch(chain, T, method="ccd")
    else:
        r = armsim.solve_batch(chain, T, method="ccd", **POSE)
    dt = time.perf_counter() - t0
    R, p = chain.pose(r.q)
    tol = 1e-6 * chain.reach
    ok = np.linalg.norm(p - T[:, :3, 3], axis=-1) < tol
    if kind != "position":
        ok &= np.linalg.norm(rotation_vector(T[:, :3, :3] @ np.swapaxes(R, -1, -2)), axis=-1) < tol
    return (f"| {name} | {kind} | {count} | {100 * ok.mean():.1f} | {int(np.sum(r.success & ~ok))} "
            f"| {np.mean(r.iterations):.0f} | {1e3 * dt / count:.1f} |")


def main(argv=None):
    sys.path.insert(0, str(ROOT / "bench"))
    from _docs import add_markdown_argument, write_blocks
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=500, help="position targets per robot")
    ap.add_argument("--poses", type=int, default=100, help="pose targets per robot")
    add_markdown_argument(ap, str(ROOT / "docs" / "solvers.md"))
    args = ap.parse_args(argv)
    lines = ["| robot | target | count | success % (by FK) | false successes | mean sweeps "
             "| ms per solve (batch) |", "|---|---|---|---|---|---|---|"]
    for name in armsim.robots.NAMES:
        lines.append(measure(name, args.positions, "position"))
        print(lines[-1], flush=True)
    for kind in ("pose (defaults)", "pose"):
        for name in armsim.robots.NAMES:
            lines.append(measure(name, args.poses, kind))
            print(lines[-1], flush=True)
    text = "\n".join(lines)
    if args.markdown:
        cmd = "python bench/ccd_spatial.py" + (
            f" --positions {args.positions}" if args.positions != 500 else "") + (
            f" --poses {args.poses}" if args.poses != 100 else "") + " --markdown"
        write_blocks(args.markdown, {"bench/ccd_spatial.py": text}, cmd)


if __name__ == "__main__":
    main()
