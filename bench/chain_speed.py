"""A chain's speed against an earlier commit of armsim, in the same run.

Checks that a change elsewhere (kinematic trees, the loop's rules) leaves a serial chain's
figures where they were: one ``armsim.solve`` per pose (the best of 3 rounds of 1,000 poses)
and ``armsim.solve_batch`` of 3,000 poses (the best of 3), on the Panda and the UR5, the tool
poses of joint vectors uniform in the limits (``default_rng(2026)``).  The earlier commit is
checked out into a temporary git worktree; the two versions run in separate processes,
alternately, ``--rounds`` times each, and the table gives each one's median and the ratio.

    python bench/chain_speed.py --against ab4eb6a [--rounds 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
import numpy as np, armsim
assert armsim.__file__.startswith(sys.argv[1]), armsim.__file__
out = {}
for name in ("panda", "ur5"):
    c = armsim.robots.load(name)
    rng = np.random.default_rng(2026)
    q = rng.uniform(c.limits[:, 0], c.limits[:, 1], (3000, c.n))
    T = c.matrix(q)
    armsim.solve(c, T[0]); armsim.solve_batch(c, T[:100])
    one = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(1000):
            armsim.solve(c, T[i])
        one = min(one, time.perf_counter() - t0)
    batch = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        armsim.solve_batch(c, T)
        batch = min(batch, time.perf_counter() - t0)
    out[name] = {"solve_ms": one, "batch_per_s": 3000 / batch}
print(json.dumps(out))
"""


def run(path):
    res = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                         text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="the earlier commit (any git revision)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                        args.against], check=True, capture_output=True)
        try:
            runs = {"old": [], "new": []}
            for _ in range(args.rounds):
                runs["old"].append(run(old))
                runs["new"].append(run(ROOT))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False, capture_output=True)
    table = {}
    print(f"chain speed: {args.against} (old) against the working tree (new), median of "
          f"{args.rounds} alternating runs")
    print(f"{'robot':<7} {'solve ms old':>12} {'new':>8} {'new/old':>8} "
          f"{'batch/s old':>12} {'new':>8} {'new/old':>8}")
    for name in runs["old"][0]:
        o = {k: statistics.median(r[name][k] for r in runs["old"]) for k in runs["old"][0][name]}
        n = {k: statistics.median(r[name][k] for r in runs["new"]) for k in runs["new"][0][name]}
        # solve_ms above is seconds per 1,000 solves: milliseconds per solve
        table[name] = {"old": o, "new": n, "solve_ratio": n["solve_ms"] / o["solve_ms"],
                       "batch_ratio": n["batch_per_s"] / o["batch_per_s"]}
        print(f"{name:<7} {o['solve_ms']:>12.4f} {n['solve_ms']:>8.4f} "
              f"{table[name]['solve_ratio']:>8.3f} {o['batch_per_s']:>12,.0f} "
              f"{n['batch_per_s']:>8,.0f} {table[name]['batch_ratio']:>8.3f}")
    if args.json:
        sys.path.insert(0, str(ROOT / "bench"))
        from _docs import write_json
        write_json(args.json, {"against": args.against, "rounds": runs, "table": table})


if __name__ == "__main__":
    main()
