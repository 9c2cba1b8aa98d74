"""Two edges of the planar solve, each with its rule and without it, in the same run.

* **Joint limits.**  Chains of 2 to 7 segments (lengths uniform in [0.1, 0.4) m) with every
  joint limited to +-w rad; targets: the tips of joint vectors uniform within the limits
  (reachable by construction).  ``armsim.solve`` with its defaults, with the table of joint
  vectors sampled within the limits (a restart whose pattern start leaves them takes the
  table's k-th nearest entry: ``armsim/ik/planar.py``, ``limited_table``) and without it
  (``LIMITED_TABLE = 0``: every restart the clipped pattern, the rule before).
* **The hole.**  Chains whose longest segment is longer than the others together (its
  place and the lengths random); targets at ``r_in (1 + x)`` from the base, at random
  angles, and at the tips of joint vectors uniform in [-pi, pi) (anywhere in the annulus).
  ``armsim.solve`` with its defaults, with the folded start near the inner circle
  (``fold_plan``) and without it.

Success: the tip within the solve's tolerance (1e-6 of the reach) of the target, by forward
kinematics.  Time (limits): the mean of one solve a target, each chain's targets solved
twice in a row and the second pass timed (the first makes the chain's problem and tables).
Poses: ``default_rng(2026)``; nothing was tuned on them.

    python bench/planar_edges.py [--chains N] [--json PATH] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import armsim  # noqa: E402
from _docs import add_markdown_argument, publish  # noqa: E402
from armsim.ik import planar  # noqa: E402

SEED = 2026
WIDTHS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)        # [rad] the limits, +-w
RIMS = (0.0, 1e-9, 1e-7, 1e-6, 1e-5, 3e-5, 1e-4, 1e-3, 1e-2)   # x: targets at r_in (1 + x)
TARGETS = 5                                     # a chain's targets (limits)
ANYWHERE = 20       # a chain's targets with a hole at the tips of joint vectors in [-pi, pi)


def _solved(chain, targets):
    """(successes by forward kinematics, iterations, seconds) of one solve a target, the
    second of two passes over the targets (the first makes the chain's problem and
    tables: its first use, untimed)."""
    for t in targets:
        armsim.solve(chain, t)
    ok = its = 0
    t0 = time.perf_counter()
    for t in targets:
        r = armsim.solve(chain, t)
        its += r.iterations
        ok += bool(np.linalg.norm(chain.tip(r.q) - t) < 1e-6 * chain.reach)
    return ok, its, time.perf_counter() - t0


def limits(chains):
    rows = []
    for w in WIDTHS:
        rng = np.random.default_rng([SEED, int(w * 10)])
        problems = []
        for _ in range(chains):
            n = int(rng.integers(2, 8))
            chain = armsim.Chain(rng.uniform(0.1, 0.4, n), limits=np.tile([-w, w], (n, 1)))
            problems.append((chain, chain.tip(rng.uniform(-w, w, (TARGETS, n)))))
        row = {"width": w, "targets": chains * TARGETS}
        for name, size in (("table", planar.LIMITED_TABLE), ("patterns", 0)):
            kept, planar.LIMITED_TABLE = planar.LIMITED_TABLE, size
            try:
                got = [_solved(c, t) for c, t in problems]
            finally:
                planar.LIMITED_TABLE = kept
            row[name] = {"solved": sum(g[0] for g in got),
                         "iterations": sum(g[1] for g in got) / row["targets"],
                         "ms": 1e3 * sum(g[2] for g in got) / row["targets"]}
        rows.append(row)
    return rows


def hole(chains):
    rng = np.random.default_rng([SEED, 7])
    problems = []
    for _ in range(chains):
        n = int(rng.integers(2, 7))
        lengths = rng.uniform(0.05, 0.3, n)
        m = int(rng.integers(0, n))
        lengths[m] = lengths.sum() - lengths[m] + rng.uniform(0.01, 0.5)
        problems.append((lengths, rng.uniform(-np.pi, np.pi, len(RIMS)),
                         rng.uniform(-np.pi, np.pi, (ANYWHERE, n))))
    rows = {x: {"targets": chains} for x in RIMS + ("anywhere",)}
    rows["anywhere"]["targets"] = chains * ANYWHERE
    for name in ("fold", "patterns"):
        kept = planar.fold_plan
        if name == "patterns":
            planar.fold_plan = lambda lengths: None
        try:
            for lengths, angles, qs in problems:
                chain = armsim.Chain(lengths)          # a new chain: its problem made here
                r_in = planar.workspace(chain)[0]
                targets = [r_in * (1.0 + x) * np.array([np.cos(a), np.sin(a)])
                           for x, a in zip(RIMS, angles)]
                for x, t in zip(RIMS + ("anywhere",), targets + [chain.tip(qs)]):
                    got = _solved(chain, [t] if x != "anywhere" else t)
                    row = rows[x].setdefault(name, {"solved": 0, "iterations": 0})
                    row["solved"] += got[0]
                    row["iterations"] += got[1] / rows[x]["targets"]
        finally:
            planar.fold_plan = kept
    return [{"x": x, **row} for x, row in rows.items()]


def markdown(res):
    lines = [f"Planar chains with joint limits of +-w rad ({res['chains']} chains of 2 to 7 "
             f"segments a width, {TARGETS} targets each, the tips of joint vectors within the "
             "limits): `armsim.solve`'s defaults with the table of joint vectors sampled "
             "within the limits and without it (the clipped patterns); solved by forward "
             "kinematics / mean iterations / mean ms a solve", "",
             "| w [rad] | targets | with the table | without |", "|---:|---:|---|---|"]
    for r in res["limits"]:
        cells = [f"{r[k]['solved'] / r['targets']:.1%} / {r[k]['iterations']:.1f} / "
                 f"{r[k]['ms']:.3f}".replace("%", " %") for k in ("table", "patterns")]
        lines.append(f"| {r['width']:g} | {r['targets']} | {cells[0]} | {cells[1]} |")
    lines += ["", f"Chains with a hole ({res['chains']} chains, 2 to 6 segments, the longest "
              "longer than the others together): a target at `r_in (1 + x)` from the base; "
              "solved / mean iterations with the folded start near the inner circle and "
              "without it", "", "| x | with the fold | without |", "|---:|---|---|"]
    for r in res["hole"]:
        cells = [f"{r[k]['solved']} of {r['targets']} / {r[k]['iterations']:.1f}"
                 for k in ("fold", "patterns")]
        x = (f"anywhere ({ANYWHERE} a chain: the tips of joint vectors in [-pi, pi))"
             if r["x"] == "anywhere" else f"{r['x']:g}")
        lines.append(f"| {x} | {cells[0]} | {cells[1]} |")
    lines += ["", f"Poses: default_rng({SEED}) (nothing tuned on them)."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", type=int, default=100, help="chains a width / with a hole")
    ap.add_argument("--json", metavar="PATH")
    add_markdown_argument(ap, "docs/solvers.md")
    a = ap.parse_args(argv)
    if a.chains < 1:
        ap.error(f"--chains must be >= 1, got {a.chains}")
    res = {"chains": a.chains, "limits": limits(a.chains), "hole": hole(a.chains)}
    publish(a, "bench/planar_edges.py edges", markdown(res), res,
            "python bench/planar_edges.py --markdown")


if __name__ == "__main__":
    main()
