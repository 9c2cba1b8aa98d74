"""Benchmark: tip Jacobian by forward-mode AD against a hand-written formula.

For each chain size N and batch size B this measures, in the same run:

* the largest absolute difference between the AD Jacobian
  (:meth:`armsim.Chain.jacobian`), the analytic numpy Jacobian and central
  finite differences (step 1e-6);
* the time of one AD Jacobian divided by the time of one analytic Jacobian
  (a ratio, so the figure does not depend on the machine's speed).

Dense forward mode carries K = N tangent entries per value element, so its
cost grows like N^2 per arm against N for the analytic formula: the ratio
grows with N.

Usage::

    python bench/ad.py [--quick] [--json PATH]
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

from _docs import write_blocks  # noqa: E402

from armsim import Chain  # noqa: E402

SIZES = (2, 7, 20, 100, 1000)
BATCHES = (1, 1000)


def analytic_jacobian(lengths, q):
    """Column j = sum over segments k >= j of l_k (-sin, cos)(theta_k); q (B, N) -> (B, 2, N)."""
    theta = np.cumsum(q, axis=-1)
    sx = np.cumsum((lengths * np.sin(theta))[..., ::-1], axis=-1)[..., ::-1]
    cx = np.cumsum((lengths * np.cos(theta))[..., ::-1], axis=-1)[..., ::-1]
    return np.stack([-sx, cx], axis=-2)


def fd_jacobian(chain, q, h=1e-6):
    """Central finite differences, all columns at once: q (B, N) -> (B, 2, N)."""
    n = q.shape[-1]
    eye = np.eye(n) * h
    qp = q[:, None, :] + eye          # (B, N, N)
    qm = q[:, None, :] - eye
    diff = chain.tip(qp.reshape(-1, n)) - chain.tip(qm.reshape(-1, n))
    return np.moveaxis(diff.reshape(q.shape[0], n, 2), 1, 2) / (2 * h)


def best_time(fn, budget):
    """Smallest time of one call over repeats that fill ``budget`` seconds."""
    fn()
    best = np.inf
    start = time.perf_counter()
    reps = 0
    while reps < 3 or (time.perf_counter() - start < budget and reps < 2000):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        reps += 1
    return best


def run(quick=False, seed=0):
    rng = np.random.default_rng(seed)
    budget = 0.05 if quick else 0.4
    rows = []
    for n in SIZES:
        for b in BATCHES:
            if quick and n * n * b > 2_000_000:
                continue
            if n * n * b > 200_000_000:   # a dense (B, N, N) tangent would not fit
                rows.append({"N": n, "B": b, "skipped": f"dense tangent of {n * n * b * 8 / 1e9:.0f} GB"})
                continue
            lengths = rng.uniform(0.5, 1.5, n)
            lengths /= lengths.sum()
            chain = Chain(lengths)
            q = rng.uniform(-np.pi, np.pi, (b, n))
            j_ad = chain.jacobian(q)
            j_an = analytic_jacobian(chain.lengths, q)
            fd_ok = n * n * b <= 20_000_000
            j_fd = fd_jacobian(chain, q) if fd_ok else None
            t_ad = best_time(lambda: chain.jacobian(q), budget)
            t_an = best_time(lambda: analytic_jacobian(chain.lengths, q), budget)
            rows.append({
                "N": n, "B": b,
                "max_abs_ad_vs_analytic": float(np.max(np.abs(j_ad - j_an))),
                "max_abs_ad_vs_fd": float(np.max(np.abs(j_ad - j_fd))) if fd_ok else None,
                "time_ad_s": t_ad, "time_analytic_s": t_an,
                "ratio_ad_over_analytic": t_ad / t_an,
            })
    return rows


def markdown(rows):
    """The README's table, as Markdown."""
    lines = ["| N | B | max \\|AD − analytic\\| | max \\|AD − FD\\| | AD / analytic time |",
             "|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['N']} | {r['B']} | skipped: {r['skipped']} | | |")
            continue
        fd = f"{r['max_abs_ad_vs_fd']:.1e}" if r["max_abs_ad_vs_fd"] is not None else "-"
        lines.append(f"| {r['N']} | {r['B']} | {r['max_abs_ad_vs_analytic']:.1e} | {fd} | "
                     f"{r['ratio_ad_over_analytic']:.3g} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes and short timings (under a minute)")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true",
                   help="write the table into the README's generated block")
    args = p.parse_args(argv)
    rows = run(quick=args.quick, seed=args.seed)
    print(f"{'N':>5} {'B':>5} {'|AD-analytic|':>14} {'|AD-FD|':>10} {'AD [s]':>10} {'analytic [s]':>12} {'AD/analytic':>11}")
    for r in rows:
        if "skipped" in r:
            print(f"{r['N']:>5} {r['B']:>5}  skipped: {r['skipped']}")
            continue
        fd = f"{r['max_abs_ad_vs_fd']:.1e}" if r["max_abs_ad_vs_fd"] is not None else "-"
        print(f"{r['N']:>5} {r['B']:>5} {r['max_abs_ad_vs_analytic']:>14.1e} {fd:>10} "
              f"{r['time_ad_s']:>10.2e} {r['time_analytic_s']:>12.2e} {r['ratio_ad_over_analytic']:>11.2f}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"benchmark": "ad", "rows": rows}, indent=2))
    if args.markdown:
        command = "python bench/ad.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(ROOT / "README.md", {"bench/ad.py jacobian": markdown(rows)}, command)
        print("wrote the table into README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
