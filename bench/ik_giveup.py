"""When spatial restarts give up: ``give_up`` (restarts in a row without a better start)
chosen on a tuning pose seed, the time to give up on targets out of reach.

Two tables:

* **tuning** (``TUNE_SEED``: ``bench/ik_spatial_settings.py``'s tuning poses, not the
  seed of ``bench/ik_spatial.py``): one ``armsim.solve`` per pose, 10,000 reachable poses
  per shipped robot (joint vectors uniform in the limits, full 6-D at tol 1e-5, judged by
  forward kinematics), for each ``give_up`` candidate: poses left unsolved and mean
  iterations, against the unbounded search (``give_up=None``).
* **out of reach**: pose targets whose position lies at 0.97 x the reach bound from the
  first joint (inside the bound, so no bound proves them unreachable; for these arms out
  of the workspace), random orientations: how many are solved, the reason, mean and
  largest time to give up, with the default and with ``give_up=None``.

    python bench/ik_giveup.py              # 10,000 poses per robot
    python bench/ik_giveup.py --quick      # 1,000
    python bench/ik_giveup.py --json out.json --markdown   # docs/solvers.md block
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
from ik_spatial import POSE_SEED, TOL, beyond_targets, fk_success  # noqa: E402
from ik_spatial_settings import TUNING_SEED  # noqa: E402

#: the poses give_up is tuned on: the spatial settings' tuning poses (bench/ik_spatial.py
#: reports on POSE_SEED)
TUNE_SEED = TUNING_SEED
CANDIDATES = (None, 20, 40, 60, 80, 100)
#: out-of-reach targets: position at this fraction of the reach bound
INSIDE = 0.97


def tuning(chain, poses):
    rng = np.random.default_rng(TUNE_SEED)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (poses, chain.n)))
    q0 = chain.limits.mean(axis=1)
    out = {}
    for g in CANDIDATES:
        its, bad = 0, 0
        for M in T:
            r = armsim.solve(chain, M, q0=q0, tol=TOL, give_up=g)
            its += r.iterations
            bad += not fk_success(chain, r.q[None], M[None])[0]
        out[str(g)] = {"unsolved": bad, "mean_iterations": its / poses}
    return out


def out_of_reach(chain, count):
    T = beyond_targets(chain, INSIDE, count, seed=TUNE_SEED + 1)
    q0 = chain.limits.mean(axis=1)
    out = {}
    for label, g in (("default", SpatialTarget.default_give_up), ("None", None)):
        times, solved, reasons = [], 0, {}
        for M in T:
            t0 = time.perf_counter()
            r = armsim.solve(chain, M, q0=q0, tol=TOL, give_up=g)
            times.append(time.perf_counter() - t0)
            solved += bool(r.success)
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        t = np.array(times) * 1e3
        out[label] = {"solved": solved, "count": count, "reasons": reasons,
                      "mean_ms": float(t.mean()), "median_ms": float(np.median(t)),
                      "max_ms": float(t.max())}
    return out


def markdown(results):
    g = [str(c) for c in CANDIDATES]
    lines = [f"Tuning seed {TUNE_SEED} ({results['poses']} poses per robot; `bench/ik_spatial.py` "
             f"reports on seed {POSE_SEED}): poses unsolved / mean iterations for each `give_up`"
             f" (default {SpatialTarget.default_give_up}).", "",
             "| robot | " + " | ".join(f"give_up={c}" for c in g) + " |",
             "|---|" + "---|" * len(g)]
    for name, r in results["robots"].items():
        lines.append(f"| {name} | " + " | ".join(
            f"{r['tuning'][c]['unsolved']} / {r['tuning'][c]['mean_iterations']:.2f}" for c in g)
            + " |")
    lines += ["", f"Pose targets at {INSIDE} x the reach bound ({results['count']} per robot, "
              "random orientations): solved, reasons, mean / median / largest time to give up.",
              "", "| robot | give_up | solved | reasons | mean / median / max ms |",
              "|---|---|---|---|---|"]
    for name, r in results["robots"].items():
        for label, o in r["out_of_reach"].items():
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(o["reasons"].items()))
            lines.append(f"| {name} | {label} | {o['solved']} | {reasons} | {o['mean_ms']:.1f} / "
                         f"{o['median_ms']:.1f} / {o['max_ms']:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    from _docs import add_markdown_argument, publish
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1,000 poses per robot")
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, str(ROOT / "docs" / "solvers.md"))
    args = ap.parse_args(argv)
    poses = 1000 if args.quick else 10_000
    count = 20 if args.quick else 100
    results = {"poses": poses, "count": count, "tune_seed": TUNE_SEED, "robots": {}}
    for name in armsim.robots.NAMES:
        chain = armsim.robots.load(name)
        armsim.solve(chain, chain.matrix(chain.limits.mean(axis=1)))     # first use, untimed
        results["robots"][name] = {"tuning": tuning(chain, poses),
                                   "out_of_reach": out_of_reach(chain, count)}
        print(name, json.dumps(results["robots"][name]), flush=True)
    text = markdown(results)
    publish(args, "bench/ik_giveup.py", text, results,
            "python bench/ik_giveup.py" + (" --quick" if args.quick else "") + " --markdown")


if __name__ == "__main__":
    main()
