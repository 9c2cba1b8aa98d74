"""Benchmark of the planar IK solvers: every armsim method against IKPy, same problems, same run.

Problems (seeded, saved next to the JSON as ``<json>.problems.npz``): planar chains with
N in {2, 3, 7, 10, 20, 100} joints and total reach R = 1, with equal or random segment
lengths; targets stratified by their distance r from the base, r/R uniform in
[0, 0.5), [0.5, 0.9), [0.9, 0.99), [0.99, 0.9999) and (1, 1.5]; random starting angles
uniform in [-pi, pi).  With random lengths the workspace has a hole of radius
``2 max(l) - R``: targets inside it are unreachable and counted apart (``hole``).

Metrics per solver, chain and stratum:

* success: reachable targets, tip within ``tol = 1e-6 R``; unreachable ones, the
  solver ends within ``1e-4 R`` of the nearest reachable point (full reach on the line
  to the target) and, for armsim, reports ``reason == "unreachable"``;
* iterations (median, p95), armsim only (IKPy does not report them);
* time per single solve (median, p95 in ms, failures included), on a subset;
* ``solve_batch`` throughput (solves/s) at B = 10,000 for N = 7;
* a tracking run: a target on a circle at 60 frames/s, a few iterations per frame;
* starts near a solution (``q0 = solution + noise``): does the answer of the defaults stay
  near ``q0``, with ``first_start="q0"`` and with ``"nearer"``?
* overhead (issue 11): one ``armsim.solve`` at N = 7 against IKPy and against a
  hand-written numpy DLS doing the same iterations; ``solve_batch`` with one start
  (``dls``, 10 iterations on every row) against the hand-written numpy DLS with the
  analytic Jacobian (:func:`numpy_dls`, in this file only), N = 7 and 20: medians of
  interleaved repeats, ratios in the same run.

Seed: ``SEED = 1`` (``--seed``), the reporting seed.  This script chooses no default; the
planar defaults were chosen earlier by scripts not kept, on problems of seed 0, so the
tables report on other problems.

Usage::

    python bench/ik.py --quick            # under a minute
    python bench/ik.py --json bench/results/ik.json
    python bench/ik.py --ns 7,10,20 --solvers best,fabrik,dls,ikpy     # a subset
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _docs import add_markdown_argument, write_blocks, write_json  # noqa: E402

from armsim import Chain  # noqa: E402
from armsim.ik import DEFAULTS, Solver  # noqa: E402
from armsim.ik.planar import aim_points  # noqa: E402
from ik_reference import ikpy_chain, ikpy_solve, overhead, overhead_markdown  # noqa: E402

STRATA = (("[0,0.5)", 0.0, 0.5), ("[0.5,0.9)", 0.5, 0.9), ("[0.9,0.99)", 0.9, 0.99),
          ("[0.99,0.9999)", 0.99, 0.9999), ("(1,1.5]", 1.0, 1.5))
NS = (2, 3, 7, 10, 20, 100)
KINDS = ("equal", "random")
TOL = 1e-6
UNREACH_TOL = 1e-4
SEED = 1    # the problems' seed (reporting; the defaults were chosen on seed 0)

# name -> Solver keyword arguments (max_iter is the budget of one start)
SOLVERS = {
    "best": dict(DEFAULTS),
    "dls": dict(method="dls", max_iter=100),
    "pinv": dict(method="pinv", max_iter=200),
    "gradient/backtrack": dict(method="gradient", correction="backtrack", max_iter=1000),
    "gradient/clip": dict(method="gradient", correction="clip", max_iter=1000),
    "gradient/norm": dict(method="gradient", correction="norm", max_iter=1000),
    "gradient/none": dict(method="gradient", correction="none", max_iter=1000),
    "ccd": dict(method="ccd", max_iter=1000),
    "fabrik": dict(method="fabrik", max_iter=1000),
}


# -- problems -----------------------------------------------------------------------------
def make_chain(n, kind, rng):
    """Chain of reach 1: equal lengths, or uniform in [0.2, 1) normalised."""
    if kind == "equal":
        lengths = np.full(n, 1.0 / n)
    else:
        lengths = rng.uniform(0.2, 1.0, n)
        lengths /= lengths.sum()
    return Chain(lengths)


def make_problems(n, kind, count, seed):
    """Chain, targets (S, count, 2) and starts (S, count, N) for the S strata."""
    rng = np.random.default_rng([seed, n, KINDS.index(kind)])
    chain = make_chain(n, kind, rng)
    targets, starts = [], []
    for _, lo, hi in STRATA:
        u = rng.uniform(0.0, 1.0, count)
        frac = (hi - (hi - lo) * u) if lo == 1.0 else (lo + (hi - lo) * u)   # (1, 1.5]
        ang = rng.uniform(-np.pi, np.pi, count)
        targets.append(frac[:, None] * chain.reach * np.stack([np.cos(ang), np.sin(ang)], -1))
        starts.append(rng.uniform(-np.pi, np.pi, (count, n)))
    return chain, np.array(targets), np.array(starts)


# -- measuring -----------------------------------------------------------------------------------
def judge(chain, targets, q, reasons=None):
    """Success of each answer (see module docstring); also True/False 'reachable'."""
    aim, reachable = aim_points(chain, targets)
    tip = chain.tip(q)
    ok_reach = np.linalg.norm(tip - targets, axis=-1) < TOL * chain.reach
    ok_out = np.linalg.norm(tip - aim, axis=-1) < UNREACH_TOL * chain.reach
    if reasons is not None:
        ok_out &= np.asarray(reasons) == "unreachable"
    return np.where(reachable, ok_reach, ok_out), reachable


def pct(x, p):
    return float(np.percentile(x, p)) if len(x) else None


def run_armsim(name, kwargs, chain, targets, starts, n_time):
    solver = Solver(chain, **kwargs)
    res = solver.solve_batch(targets, starts)
    ok, reachable = judge(chain, targets, res.q, res.reason)
    times = []
    for i in range(min(n_time, len(targets))):
        t0 = time.perf_counter()
        solver.solve(targets[i], starts[i])
        times.append(time.perf_counter() - t0)
    return ok, reachable, res.iterations, np.array(times)


def run_ikpy(ik, chain, targets, starts, n_time):
    q, times = [], []
    for i in range(min(n_time, len(targets))):
        t0 = time.perf_counter()
        q.append(ikpy_solve(ik, targets[i], starts[i]))
        times.append(time.perf_counter() - t0)
    q = np.array(q).reshape(-1, chain.n)
    ok, reachable = judge(chain, targets[:len(q)], q)
    return ok, reachable, None, np.array(times)


def summarise(ok, reachable, iters, times, stratum):
    unreach = stratum.startswith("(")
    sel = ~reachable if unreach else reachable
    row = dict(n=int(sel.sum()), hole=int((~reachable).sum()) if not unreach else 0,
               success=float(ok[sel].mean()) if sel.any() else None,
               failures=int((~ok[sel]).sum()),
               hole_success=(float(ok[~reachable].mean())
                             if (not unreach and (~reachable).any()) else None),
               time_ms_median=pct(times * 1e3, 50), time_ms_p95=pct(times * 1e3, 95),
               n_timed=int(len(times)))
    if iters is not None:
        row["iter_median"] = pct(iters[sel], 50)
        row["iter_p95"] = pct(iters[sel], 95)
    return row


def throughput(n, batch, seed, solvers):
    """solve_batch solves/s at N = n on B = batch problems: all five strata mixed, and the
    four reachable strata only."""
    out = {}
    for label, strata in (("mixed", len(STRATA)), ("reachable", len(STRATA) - 1)):
        chain, targets, starts = make_problems(n, "equal", -(-batch // strata), seed + 1)
        targets = targets[:strata].reshape(-1, 2)[:batch]
        starts = starts[:strata].reshape(-1, n)[:batch]
        for name in solvers:
            solver = Solver(chain, **SOLVERS[name])
            t0 = time.perf_counter()
            res = solver.solve_batch(targets, starts)
            dt = time.perf_counter() - t0
            ok, _ = judge(chain, targets, res.q, res.reason)
            out[f"{name}/{label}"] = dict(B=batch, seconds=dt, solves_per_s=batch / dt,
                                          success=float(ok.mean()),
                                          iter_mean=float(res.iterations.mean()))
    return out


def tracking(frames, iters_per_frame, seed):
    """A target on a circle at 60 frames/s (one turn in 4 s), N = 7 equal, every method."""
    chain = Chain(np.full(7, 1 / 7))
    t = np.arange(frames + 1) / 60.0
    path = np.stack([0.3 + 0.4 * np.cos(2 * np.pi * t / 4), 0.4 * np.sin(2 * np.pi * t / 4)], -1)
    out = {}
    for name, kw in SOLVERS.items():
        if name == "best":
            continue
        kw = dict(kw, max_iter=iters_per_frame, restarts=0)
        solver = Solver(chain, **kw)
        q = np.random.default_rng(seed).uniform(-1, 1, 7)
        q = Solver(chain, method="dls").solve(path[0], q).q      # start on the path
        grew, err_end, steps = 0, [], []
        for k in range(1, frames + 1):
            before = np.linalg.norm(chain.tip(q) - path[k])
            qn, _, res, _ = solver.run(path[k][None], q[None])
            grew += int(res[0] > before * (1 + 1e-12))
            steps.append(float(np.max(np.abs(qn[0] - q))))
            err_end.append(float(res[0]))
            q = qn[0]
        out[name] = dict(frames=frames, iterations_per_frame=iters_per_frame,
                         frames_error_grew=grew, max_error=max(err_end),
                         median_error=float(np.median(err_end)), max_joint_step=max(steps))
    return out


def q0_kept(n, count, seed, noises=(0.005, 0.02, 0.05, 0.1, 0.2, 0.3)):
    """Starts near a solution, N = n equal: angles ``qs`` uniform in [-pi, pi), target
    ``tip(qs)``, start ``q0 = qs + Gaussian(noise)``.  Per noise level: the median start
    error, the share of starts within ``q0_radius``, the share that ``dls`` alone
    (``restarts=0``) finishes within ``first_iter`` iterations, and for the defaults with
    ``first_start`` "q0" and "nearer": success, the share of answers kept near ``q0`` (no
    joint moved by more than ``3 noise + 0.05`` rad) and the median iterations."""
    chain = Chain(np.full(n, 1.0 / n))
    probe = Solver(chain, **SOLVERS["best"])
    out = {}
    for noise in noises:
        rng = np.random.default_rng([seed, n, int(noise * 1e4)])
        qs = rng.uniform(-np.pi, np.pi, (count, n))
        targets = chain.tip(qs)
        q0 = qs + rng.normal(0.0, noise, qs.shape)
        err = np.linalg.norm(chain.tip(q0) - targets, axis=-1)
        alone = Solver(chain, method="dls", max_iter=DEFAULTS["first_iter"]).solve_batch(targets,
                                                                                      q0)
        row = dict(N=n, count=count, start_error_median=float(np.median(err)) / chain.reach,
                   within_q0_radius=float(np.mean(err <= probe.q0_radius)),
                   q0_alone_converged=float(alone.success.mean()))
        for first in ("q0", "nearer"):
            res = Solver(chain, **dict(SOLVERS["best"], first_start=first)).solve_batch(targets,
                                                                                       q0)
            moved = np.max(np.abs(np.angle(np.exp(1j * (res.q - q0)))), axis=-1)
            row[first] = dict(success=float(res.success.mean()),
                              kept=float(np.mean(moved <= 3 * noise + 0.05)),
                              iter_median=float(np.median(res.iterations)))
        out[str(noise)] = row
    return out


# -- reporting -----------------------------------------------------------------------------------
def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(rows):
    print(f"{'solver':20s} {'kind':6s} {'N':>3s} {'stratum':14s} {'n':>5s} {'hole':>4s} "
          f"{'success':>8s} {'it med':>6s} {'it p95':>6s} {'ms med':>8s} {'ms p95':>8s}")
    for r in rows:
        print(f"{r['solver']:20s} {r['kind']:6s} {r['N']:3d} {r['stratum']:14s} {r['n']:5d} "
              f"{r['hole']:4d} {fmt(None if r['success'] is None else 100 * r['success'], '8.2f')} "
              f"{fmt(r.get('iter_median'), '6.0f')} {fmt(r.get('iter_p95'), '6.0f')} "
              f"{fmt(r['time_ms_median'], '8.3f')} {fmt(r['time_ms_p95'], '8.3f')}")


def speedups(raw, ns):
    """IKPy median time / best median time, per stratum and pooled, for N <= 20 (equal lengths)."""
    out = {}
    for n in ns:
        pooled = {"best": [], "ikpy": []}
        for label, _, _ in STRATA:
            a, b = raw.get(("best", "equal", n, label)), raw.get(("ikpy", "equal", n, label))
            if a is None or b is None or not len(a[3]) or not len(b[3]):
                continue
            ta, tb = np.median(a[3]) * 1e3, np.median(b[3]) * 1e3
            out[f"N={n} {label}"] = dict(best_ms=ta, ikpy_ms=tb, speedup=tb / ta)
            pooled["best"].extend(a[3])
            pooled["ikpy"].extend(b[3])
        if pooled["best"] and pooled["ikpy"]:
            ta, tb = np.median(pooled["best"]) * 1e3, np.median(pooled["ikpy"]) * 1e3
            out[f"N={n} all strata"] = dict(best_ms=ta, ikpy_ms=tb, speedup=tb / ta)
    return out


def pooled_iterations(raw, n):
    """Median iterations over the reachable strata (equal lengths) for every armsim solver."""
    out = {}
    for name in SOLVERS:
        its = [raw[k][2][raw[k][1]] for k in raw
               if k[0] == name and k[1] == "equal" and k[2] == n and not k[3].startswith("(")]
        if its:
            its = np.concatenate(its)
            out[name] = dict(N=n, median=float(np.median(its)), p95=float(np.percentile(its, 95)))
    return out


def _solver_row(get, name, shown, n, labels):
    """One Markdown row (a list of 0 or 1 line): success % · median iterations · median ms per
    stratum, equal lengths, or nothing when the solver did not run at this N."""
    cells = []
    for lab in labels:
        r = get.get((name, "equal", n, lab))
        if r is None or r["success"] is None:
            cells.append("-")
            continue
        cells.append(f"{100 * r['success']:.1f} · {fmt(r.get('iter_median'), '.0f')} · "
                     f"{fmt(r['time_ms_median'], '.3f')}")
    return [f"| {shown} | " + " | ".join(cells) + " |"] if any(c != "-" for c in cells) else []


def markdown(rows, tp, tr, ratio, iters10, kept=None):
    """The tables of docs/solvers.md, as Markdown."""
    lines = []
    labels = [s[0] for s in STRATA]
    get = {(r["solver"], r["kind"], r["N"], r["stratum"]): r for r in rows}
    ns = sorted({r["N"] for r in rows})
    lines.append("### Success (%) and median iterations of `armsim.solve` defaults (`best`)\n")
    lines.append("| N | lengths | " + " | ".join(labels) + " |")
    lines.append("|---|---|" + "---|" * len(labels))
    for n in ns:
        for kind in KINDS:
            cells = []
            for lab in labels:
                r = get.get(("best", kind, n, lab))
                if r is None or r["success"] is None:
                    cells.append("-")
                    continue
                hole = ""
                if r["hole"]:
                    hs = None if r["hole_success"] is None else 100 * r["hole_success"]
                    hole = f" (+{r['hole']} hole: {fmt(hs, '.0f')}%)"
                cells.append(f"{100 * r['success']:.2f} · {fmt(r.get('iter_median'), '.0f')} "
                             f"[n={r['n']}]{hole}")
            if any(c != "-" for c in cells):
                lines.append(f"| {n} | {kind} | " + " | ".join(cells) + " |")
    for n in ns:
        lines.append(f"\n### N = {n}, equal lengths: success % · median iterations · median ms "
                     f"per single solve\n")
        lines.append("| solver | " + " | ".join(labels) + " |")
        lines.append("|---|" + "---|" * len(labels))
        for name in list(SOLVERS) + ["ikpy"]:
            lines += _solver_row(get, name, name, n, labels)
    if ratio:
        lines.append("\n### Single-solve time, IKPy / best (medians, same problems, same run)\n")
        lines.append("| case | best ms | IKPy ms | ratio |")
        lines.append("|---|---|---|---|")
        for key, r in ratio.items():
            lines.append(f"| {key} | {r['best_ms']:.3f} | {r['ikpy_ms']:.3f} | "
                         f"{r['speedup']:.1f}x |")
    if tp:
        lines.append("\n### `solve_batch` throughput, N = 7\n")
        lines.append("| solver / targets | B | solves/s | success % | mean iterations |")
        lines.append("|---|---|---|---|---|")
        for name, r in tp.items():
            lines.append(f"| {name} | {r['B']} | {r['solves_per_s']:.0f} | "
                         f"{100 * r['success']:.2f} | "
                         f"{r['iter_mean']:.1f} |")
    if iters10:
        lines.append("\n### Median iterations over the reachable strata pooled, "
                     f"N = {next(iter(iters10.values()))['N']}, equal lengths\n")
        lines.append("| solver | median | p95 |")
        lines.append("|---|---|---|")
        for name, r in iters10.items():
            lines.append(f"| {name} | {r['median']:.1f} | {r['p95']:.0f} |")
    if tr:
        lines.append("\n### Tracking: circle at 60 frames/s, 3 iterations per frame, N = 7\n")
        lines.append("| solver | frames where the error grew | max error | median error | "
                     "largest joint step [rad] |")
        lines.append("|---|---|---|---|---|")
        for name, r in tr.items():
            lines.append(f"| {name} | {r['frames_error_grew']} / {r['frames']} | "
                         f"{r['max_error']:.1e} | "
                         f"{r['median_error']:.1e} | {r['max_joint_step']:.4f} |")
    if kept:
        r0 = next(iter(kept.values()))
        lines.append(f"\n### Starts near a solution, N = {r0['N']}, "
                     f"{r0['count']} targets per row\n")
        lines.append("| angle noise [rad] | median start error [R] | within `q0_radius` | "
                     f"`dls` alone converged in {DEFAULTS['first_iter']} | "
                     "`q0` first: kept · median iterations | "
                     "`nearer`: kept · median iterations |")
        lines.append("|---|---|---|---|---|---|")
        for noise, r in kept.items():
            a, b = r["q0"], r["nearer"]
            lines.append(f"| {noise} | {r['start_error_median']:.3f} | "
                         f"{100 * r['within_q0_radius']:.1f} % | "
                         f"{100 * r['q0_alone_converged']:.1f} % | "
                         f"{100 * a['kept']:.1f} % · {a['iter_median']:.0f} | "
                         f"{100 * b['kept']:.1f} % · {b['iter_median']:.0f} |")
    return "\n".join(lines)


def readme_summary(rows, tp, tr, ratio, iters10, meta):
    """The README's goal table and its N = 7 table, as Markdown."""
    get = {(r["solver"], r["kind"], r["N"], r["stratum"]): r for r in rows}
    labels = [s[0] for s in STRATA]
    best = [r for r in rows if r["solver"] == "best" and r["success"] is not None]
    lines = [f"Chains of reach 1, targets stratified by distance r/R, random starts, "
             f"tol {TOL:g}; N in {', '.join(map(str, meta['ns']))}; "
             f"{meta['count_best']} targets per stratum for N <= 20, "
             f"run of {meta['seconds']:.0f} s.", "",
             "| goal | measured |", "|---|---|"]
    if best:
        worst = min(best, key=lambda r: r["success"])
        lines.append(f"| success of `armsim.solve` in every stratum, equal and random lengths | "
                     f"lowest {100 * worst['success']:.2f} % (N = {worst['N']} {worst['kind']}, "
                     f"{worst['stratum']}) |")
    key = "N=7 all strata"
    if key in ratio:
        r = ratio[key]
        lines.append(f"| one solve at N = 7 against IKPy, same problems, same run | "
                     f"{r['best_ms']:.3f} ms against {r['ikpy_ms']:.2f} ms: "
                     f"{r['speedup']:.1f}x faster |")
    if "best/mixed" in tp:
        r = tp["best/mixed"]
        lines.append(f"| `solve_batch` at N = 7, B = {r['B']:,}, all strata mixed | "
                     f"{r['solves_per_s']:,.0f} solves/s, success {100 * r['success']:.2f} % |")
    if "best" in iters10 and "fabrik" in iters10:
        a, b = iters10["best"], iters10["fabrik"]
        lines.append(f"| median iterations, N = {a['N']}, reachable strata pooled | "
                     f"{a['median']:.0f} against {b['median']:.0f} for FABRIK |")
    if "gradient/backtrack" in tr:
        r = tr["gradient/backtrack"]
        lines.append(f"| tracking a circling target, `gradient`/`backtrack` | the error grew in "
                     f"{r['frames_error_grew']} of {r['frames']} frames; largest joint step "
                     f"{r['max_joint_step']:.3f} rad per frame |")
    lines += ["", "N = 7, equal lengths, success % · median iterations · median ms per solve, "
              "by stratum r/R:", "",
              "| solver | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    names = {"best": "`armsim.solve`", "dls": "dls, one start", "fabrik": "fabrik",
             "ikpy": "IKPy"}
    for name, shown in names.items():
        lines += _solver_row(get, name, shown, 7, labels)
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small run, under a minute")
    ap.add_argument("--json", help="write every figure to this path")
    ap.add_argument("--seed", type=int, default=SEED,
                    help=f"the problems' seed (default {SEED}, the reporting seed)")
    ap.add_argument("--ns", help="comma-separated chain sizes (default: all, or 2,7,20 with "
                                 "--quick)")
    ap.add_argument("--solvers", default=",".join(list(SOLVERS) + ["ikpy"]),
                    help="comma-separated subset of: " + ", ".join(list(SOLVERS) + ["ikpy"]))
    add_markdown_argument(ap, "docs/solvers.md")
    args = ap.parse_args(argv)
    chosen = args.solvers.split(",")
    for name in chosen:
        if name not in SOLVERS and name != "ikpy":
            choices = ", ".join(list(SOLVERS) + ["ikpy"])
            ap.error(f"unknown solver {name!r}; choose one of {choices}")
    if args.quick:
        ns, kinds = (2, 7, 20), ("equal", "random")
        counts = {"best": 200, "dls": 100}
        default_count, n_time, n_time_ikpy, batch, frames = 20, 5, 3, 2000, 120
        ikpy_max_n = 7
        timed_solvers = ("best", "dls")     # the other methods' single solves are not timed
    else:
        ns, kinds = NS, KINDS
        counts = {"best": 2000, "dls": 1000}
        default_count, n_time, n_time_ikpy, batch, frames = 200, 20, 20, 10_000, 480
        ikpy_max_n = 20
        timed_solvers = tuple(SOLVERS)
    if args.ns:
        try:
            ns = tuple(int(x) for x in args.ns.split(","))
        except ValueError:
            ap.error(f"--ns must be comma-separated integers, got {args.ns!r}")
        if any(n < 1 for n in ns):
            ap.error(f"--ns must be integers >= 1, got {args.ns!r}")
    rows, problems, raw = [], {}, {}
    t_start = time.perf_counter()
    for n in ns:
        for kind in kinds:
            big = max(counts.get(s, default_count) for s in chosen if s != "ikpy")
            count_n = big if n <= 20 else max(big // 5, default_count)
            chain, targets, starts = make_problems(n, kind, count_n, args.seed)
            problems[f"{kind}_{n}_lengths"] = chain.lengths
            problems[f"{kind}_{n}_targets"] = targets
            problems[f"{kind}_{n}_starts"] = starts
            ik = ikpy_chain(chain) if ("ikpy" in chosen and n <= ikpy_max_n) else None
            for name in chosen:
                if name == "ikpy" and ik is None:
                    continue
                c = counts.get(name, default_count)
                c = c if n <= 20 else max(c // 5, default_count // 2)
                for s, (label, _, _) in enumerate(STRATA):
                    tg, st = targets[s, :c], starts[s, :c]
                    if name == "ikpy":
                        out = run_ikpy(ik, chain, tg, st, n_time_ikpy)
                    else:
                        timed = n_time if n <= 20 else max(2, n_time // 4)
                        timed = timed if (kind == "equal" and name in timed_solvers) else 0
                        out = run_armsim(name, SOLVERS[name], chain, tg, st, timed)
                    row = dict(solver=name, kind=kind, N=n, stratum=label,
                               **summarise(*out, label))
                    raw[(name, kind, n, label)] = out
                    rows.append(row)
            print(f"# N={n} {kind} done at {time.perf_counter() - t_start:.0f} s", flush=True)
    print_table(rows)
    tp_solvers = [s for s in ("best", "dls") if s in chosen]
    tp = throughput(7, batch, args.seed, tp_solvers) if tp_solvers else {}
    print("\nsolve_batch throughput, N=7:")
    for name, r in tp.items():
        print(f"  {name:16s} B={r['B']}  {r['solves_per_s']:10.0f} solves/s  "
              f"({r['seconds']:.3f} s, "
              f"success {100 * r['success']:.2f}%, mean iterations {r['iter_mean']:.1f})")
    tr = tracking(frames, 3, args.seed)
    print("\ntracking (circle, 60 frames/s, 3 iterations/frame, N=7):")
    for name, r in tr.items():
        print(f"  {name:20s} frames where error grew: {r['frames_error_grew']:3d}  "
              f"max error {r['max_error']:.2e}  median {r['median_error']:.2e}  "
              f"largest joint step {r['max_joint_step']:.4f} rad")
    kept = q0_kept(7, 400 if args.quick else 2000, args.seed) if "best" in chosen else {}
    print("\nstarts near a solution (N=7, q0 = solution + noise):")
    for noise, r in kept.items():
        a, b = r["q0"], r["nearer"]
        print(f"  noise {noise:6s} start error {r['start_error_median']:.3f} R  "
              f"q0 first: kept {100 * a['kept']:.1f}% ({a['iter_median']:.0f} it)  "
              f"nearer: kept {100 * b['kept']:.1f}% ({b['iter_median']:.0f} it)")
    ov = overhead(args.seed, args.quick, "ikpy" in chosen)
    print("\noverhead against hand-written numpy and IKPy (issue 11):")
    print(overhead_markdown(ov))
    ratio = speedups(raw, ns)
    for key, r in ratio.items():
        print(f"IKPy / best single-solve median time, {key}: {r['ikpy_ms']:.3f} ms / "
              f"{r['best_ms']:.3f} ms = {r['speedup']:.1f}x")
    iters10 = pooled_iterations(raw, 10 if 10 in ns else ns[-1])
    for name, r in iters10.items():
        print(f"pooled median iterations, N={r['N']} equal, reachable strata: {name:20s} "
              f"{fmt(r['median'], '.1f')}")
    print()
    tables = markdown(rows, tp, tr, ratio, iters10, kept)
    print(tables)
    seconds = time.perf_counter() - t_start
    print(f"total {seconds:.0f} s")
    if args.markdown:
        meta = dict(ns=list(ns), count_best=counts["best"], seconds=seconds)
        command = "python bench/ik.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(args.markdown, {"bench/ik.py tables": tables,
                                     "bench/ik.py overhead": overhead_markdown(ov)}, command)
        write_blocks(ROOT / "README.md", {"bench/ik.py summary": readme_summary(
            rows, tp, tr, ratio, iters10, meta),
            "bench/ik.py overhead": overhead_markdown(ov)}, command)
        print(f"wrote the tables into {args.markdown} and README.md")
    if args.json:
        path = Path(args.json)
        meta = dict(quick=args.quick, seed=args.seed, ns=list(ns), python=platform.python_version(),
                    numpy=np.__version__, machine=platform.machine(), tol=TOL,
                    unreachable_tol=UNREACH_TOL, solvers={k: SOLVERS[k] for k in chosen
                                                          if k in SOLVERS})
        write_json(path, dict(meta=meta, rows=rows, throughput=tp, tracking=tr,
                              speedup_vs_ikpy=ratio, pooled_iterations=iters10, q0_kept=kept,
                              overhead=ov))
        np.savez_compressed(str(path) + ".problems.npz", **problems)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
