"""Pose targets of arms far from a metre in size: the position rows weighed in units of
reach / ``SpatialTarget.LENGTHS``' nearer bound, against metres (the rule before), in one run.

The Panda's geometry (``panda.urdf``) scaled to reaches from 1 mm to 1 km; targets: the tool
poses of joint vectors uniform within the limits (``default_rng(2026)``; nothing was tuned on
them).  ``armsim.solve_batch`` with its defaults, once as shipped and once with
``LENGTHS = (0, inf)`` (every position row in metres).  Success: ``success`` and, by forward
kinematics, the position within 1e-5 x max(reach, 1 m) and every rotation entry within 2e-5.

    python bench/arm_sizes.py [--poses N] [--json PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import armsim  # noqa: E402
from _docs import add_markdown_argument, publish  # noqa: E402
from armsim.ik.problems import SpatialTarget  # noqa: E402
from armsim.kinematics.spatial import Joint, SpatialChain  # noqa: E402

SEED = 2026
REACHES = (1e-3, 1e-2, 0.1, 0.5, 1.0, 2.5, 10.0, 100.0, 1e3)     # [m]


def scaled(reach):
    """The Panda's chain with every length scaled to ``reach``."""
    panda = armsim.robots.load("panda")
    s = reach / panda.reach
    return SpatialChain([Joint(f"j{i}", panda.types[i], tuple(panda.xyz[i] * s),
                               tuple(panda.rpy[i]), tuple(panda.axes[i]), panda.limits[i, 0],
                               panda.limits[i, 1]) for i in range(panda.n)],
                        tool_xyz=tuple(np.asarray(panda.tool_xyz) * s),
                        tool_rpy=tuple(panda.tool_rpy))


def _run(arm, T, reach):
    got = armsim.solve_batch(arm, T)
    R, p = arm.pose(got.q)
    ok = (got.success & (np.linalg.norm(p - T[:, :3, 3], axis=-1) < 1e-5 * max(reach, 1.0))
          & (np.abs(R - T[:, :3, :3]).max(axis=(1, 2)) < 2e-5))
    return {"solved": int(ok.sum()), "iterations": float(np.mean(got.iterations))}


def run(poses):
    rows = []
    keep = SpatialTarget.LENGTHS
    for reach in REACHES:
        arm = scaled(reach)
        rng = np.random.default_rng(SEED)
        T = arm.matrix(rng.uniform(arm.limits[:, 0], arm.limits[:, 1], (poses, arm.n)))
        row = {"reach": reach, "poses": poses, "weighed": _run(arm, T, reach)}
        try:
            SpatialTarget.LENGTHS = (0.0, np.inf)
            row["metres"] = _run(scaled(reach), T, reach)   # (a new chain: a new problem)
        finally:
            SpatialTarget.LENGTHS = keep
        rows.append(row)
        print(f"reach {reach:g} m: weighed {row['weighed']}, metres {row['metres']}",
              flush=True)
    return rows


def markdown(rows):
    lines = [f"The Panda scaled to each reach, {rows[0]['poses']} poses (`default_rng({SEED})`), "
             "`solve_batch` with its defaults: solved (by forward kinematics) and mean "
             "iterations, the position rows weighed in units of reach / "
             "`SpatialTarget.LENGTHS`' nearer bound (0.5, 2.5 m; as shipped) and in metres "
             "(the rule before):", "",
             "| reach | weighed: solved / mean iterations | metres: solved / mean iterations |",
             "|---|---|---|"]
    for r in rows:
        w, m = r["weighed"], r["metres"]
        lines.append(f"| {r['reach']:g} m | {w['solved']} of {r['poses']} / "
                     f"{w['iterations']:.1f} | {m['solved']} of {r['poses']} / "
                     f"{m['iterations']:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=int, default=200, help="poses a reach")
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, "docs/solvers.md")
    a = ap.parse_args(argv)
    if a.poses < 1:
        ap.error(f"--poses must be >= 1, got {a.poses}")
    rows = run(a.poses)
    publish(a, "bench/arm_sizes.py sizes", markdown(rows), {"rows": rows},
            "python bench/arm_sizes.py --markdown")


if __name__ == "__main__":
    main()
