"""Tracking with ``q0`` = the previous answer: when does the answer jump to another branch?

For each robot, ``--paths`` straight paths in joint space (both ends uniform within the
limits, ``default_rng(--seed)``), ``--frames`` frames each; the target of a frame is the
forward kinematics of the path there (the Panda's tool, both tools of ``dual_arm``, full
poses), so a continuous answer exists all along.  Each frame is one ``armsim.solve`` with
``q0`` = the last answer that succeeded, under two settings:

* ``defaults``: ``armsim.solve``'s (a ``q0`` whose attempt stalls is handed to the restarts);
* ``restarts=0``: ``restarts=0, max_iter=100`` (the plain iteration from ``q0``, as
  ``Solver`` and the scenes run it), which stays on its branch or fails.

Reported per robot and setting: frames whose answer moved some joint by more than 0.3 rad
(a jump), frames not solved (tol 1e-5), and paths with any jump or failure.

    python bench/tracking_jumps.py [--paths N] [--frames F] [--seed S] [--json PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import armsim  # noqa: E402

ROBOTS = {"panda": None, "dual_arm": ("left_tool", "right_tool")}
SETTINGS = {"defaults": {}, "restarts=0": {"restarts": 0, "max_iter": 100}}
JUMP = 0.3          # rad
TOL = 1e-5


def _robot(name):
    tools = ROBOTS[name]
    robot = armsim.robots.load(name) if tools is None else armsim.robots.load_robot(name)

    def target(q):
        if tools is None:
            return robot.matrix(q)
        F = robot.frames(q, list(tools))
        return {t: F[t] for t in tools}
    return robot, target


def run(name, paths, frames, seed):
    robot, target = _robot(name)
    lo, hi = robot.limits[:, 0], robot.limits[:, 1]
    rng = np.random.default_rng(seed)
    ends = [(rng.uniform(lo, hi), rng.uniform(lo, hi)) for _ in range(paths)]
    rows = []
    for setting, options in SETTINGS.items():
        jumps = fails = bad_paths = 0
        for qa, qb in ends:
            q, bad = qa.copy(), False
            for t in np.linspace(0.0, 1.0, frames)[1:]:
                r = armsim.solve(robot, target(qa + (qb - qa) * t), q0=q, tol=TOL, **options)
                if not r.success:
                    fails, bad = fails + 1, True
                    continue
                if np.abs(r.q - q).max() > JUMP:
                    jumps, bad = jumps + 1, True
                q = r.q
            bad_paths += bad
        row = {"robot": name, "setting": setting, "paths": paths, "frames": frames,
               "seed": seed, "jumps": jumps, "failed_frames": fails,
               "paths_with_either": bad_paths}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def markdown(rows):
    r0 = rows[0]
    lines = [f"{r0['paths']} straight joint-space paths per robot, {r0['frames']} frames each "
             f"(`default_rng({r0['seed']})`), one `armsim.solve` a frame with `q0` = the last "
             f"answer that succeeded; a jump: some joint moved over {JUMP:g} rad in a frame.", "",
             "| robot | setting | frames with a jump | frames not solved | paths with either |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['robot']} | `{r['setting']}` | {r['jumps']} | {r['failed_frames']} "
                     f"| {r['paths_with_either']} of {r['paths']} |")
    return "\n".join(lines)


def main(argv=None):
    from _docs import add_markdown_argument, publish
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=16)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, "docs/objectives.md")
    args = ap.parse_args(argv)
    rows = [row for name in ROBOTS for row in run(name, args.paths, args.frames, args.seed)]
    publish(args, "bench/tracking_jumps.py", markdown(rows), rows,
            "python bench/tracking_jumps.py --markdown")


if __name__ == "__main__":
    main()
