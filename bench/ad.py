"""Benchmark: tip Jacobian by forward-mode AD against a hand-written formula (and jax.jacrev).

For each chain size N in 2, 7, 20, 100, 1000 and batch size B in 1, 1000 this measures,
in the same run:

* the largest absolute difference between the AD Jacobian
  (:meth:`armsim.Chain.jacobian`, the structured forward pass), the analytic numpy
  Jacobian and central finite differences (step 1e-6; skipped where they would
  take N^2 B > 2e7 tip evaluations);
* the time of one AD Jacobian divided by the time of one analytic Jacobian (best
  of repeats; a ratio, so the figure does not depend on the machine's speed);
* the peak memory of one AD Jacobian divided by the analytic one's (tracemalloc
  peaks of the call, the angles excluded);
* the same two ratios for ``jax.jit(jax.vmap(jax.jacrev(tip)))`` when jax is
  installed (float64; memory: XLA's planned buffers, ``memory_analysis()`` of the
  compiled function, arguments excluded), and the issue's goal for the row.

With ``--only spatial`` (and in every full run) it times the Panda's pose Jacobian by the
general forward pass against the structured one (issue 25's goal: within 2x at every B),
best of interleaved repeats at B = 1, 10, 100, 1000:

* ``structured``: ``pose_and_jacobian(q)``, one-hot seeds read off as ``z x (p - o)``;
* ``general``: ``pose_and_jacobian(q, structured=False)``, the forward pass with twist
  tangents (:mod:`armsim.ad.twist`);
* ``Dual pose``: ``chain.pose(Dual(q, I))``, a Dual q seeded with the identity as objectives
  and user functions seed it (the tool's R and p as Duals);
* ``Dual frames``: ``chain.frames(Dual(q, I))``, every link frame as Duals (what objectives
  read their points from);
* ``geometric``: ``geometric_jacobian(q)``, the textbook formula written out in numpy;

and the largest differences of the general and the Dual Jacobians from the structured one,
and of the general one from central differences (step 1e-6).

Usage::

    python bench/ad.py [--quick] [--json PATH] [--markdown] [--only spatial]
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

from _docs import write_blocks, write_json  # noqa: E402

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


def peak_bytes(fn):
    """tracemalloc peak of one call of ``fn`` (bytes allocated by numpy and Python)."""
    import tracemalloc
    tracemalloc.start()
    try:
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak


#: the issue's goals (issue 11): AD / analytic time, and memory
GOALS = {(7, 1000): "time <= 2", (100, 1000): "time <= 3", (1000, 1): "time <= 3",
         (1000, 1000): "time <= 3, memory <= 4"}


def jax_reference():
    """``jacobian(lengths, q)`` by jax.jacrev (jit, vmapped over the batch), and a memory
    probe; None when jax is not installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def tip(q, lengths):
        theta = jnp.cumsum(q)
        return jnp.stack([jnp.sum(lengths * jnp.cos(theta)), jnp.sum(lengths * jnp.sin(theta))])

    jac = jax.jit(jax.vmap(jax.jacrev(tip), in_axes=(0, None)))

    def run(lengths, q):
        return jac(q, lengths).block_until_ready()

    def memory(lengths, q):
        try:
            m = jac.lower(q, lengths).compile().memory_analysis()
            return int(m.temp_size_in_bytes + m.output_size_in_bytes)
        except Exception:        # not every backend reports it
            return None
    return run, memory, jax.__version__


def run(quick=False, seed=0):
    rng = np.random.default_rng(seed)
    budget = 0.05 if quick else 0.4
    jx = jax_reference()
    rows = []
    for n in SIZES:
        for b in BATCHES:
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
            m_ad = peak_bytes(lambda: chain.jacobian(q))
            m_an = peak_bytes(lambda: analytic_jacobian(chain.lengths, q))
            row = {
                "N": n, "B": b,
                "max_abs_ad_vs_analytic": float(np.max(np.abs(j_ad - j_an))),
                "max_abs_ad_vs_fd": float(np.max(np.abs(j_ad - j_fd))) if fd_ok else None,
                "time_ad_s": t_ad, "time_analytic_s": t_an,
                "ratio_ad_over_analytic": t_ad / t_an,
                "peak_ad_bytes": m_ad, "peak_analytic_bytes": m_an,
                "memory_ad_over_analytic": m_ad / m_an,
                "goal": GOALS.get((n, b)),
            }
            if jx is not None:
                jrun, jmem, version = jx
                lj, qj = np.asarray(chain.lengths), np.asarray(q)
                j_jax = np.asarray(jrun(lj, qj))
                t_jax = best_time(lambda: jrun(lj, qj), budget)
                m_jax = jmem(lj, qj)
                row.update({"jax": version,
                            "max_abs_jax_vs_analytic": float(np.max(np.abs(j_jax - j_an))),
                            "time_jax_s": t_jax, "ratio_jax_over_analytic": t_jax / t_an,
                            "memory_jax_bytes": m_jax,
                            "memory_jax_over_analytic": None if m_jax is None else m_jax / m_an})
            rows.append(row)
    return rows


SPATIAL_BATCHES = (1, 10, 100, 1000)
SPATIAL_CALLS = 200           # calls a timing at B = 1 (SPATIAL_CALLS // B at B)
SPATIAL_PASSES = ("structured", "general", "Dual pose", "Dual frames", "geometric")


def _axial(M):
    """The axial vectors (..., 3) of skew matrices M (..., 3, 3)."""
    return 0.5 * np.stack([M[..., 2, 1] - M[..., 1, 2], M[..., 0, 2] - M[..., 2, 0],
                           M[..., 1, 0] - M[..., 0, 1]], axis=-1)


def spatial_run(repeats=20, seed=0):
    """The Panda's Jacobian passes (see the module) at each B: best time of ``repeats``
    interleaved rounds (each round times every pass in turn), ratios to the structured pass
    and the largest differences."""
    import armsim
    from armsim.ad import dual as ad
    chain = armsim.robots.load("panda")
    n = chain.n
    rows = []
    for b in SPATIAL_BATCHES:
        q = np.random.default_rng(seed).uniform(chain.limits[:, 0], chain.limits[:, 1], (b, n))
        eye = np.broadcast_to(np.eye(n), (b, n, n))
        passes = {
            "structured": lambda: chain.pose_and_jacobian(q),
            "general": lambda: chain.pose_and_jacobian(q, structured=False),
            "Dual pose": lambda: chain.pose(ad.Dual(q, eye)),
            "Dual frames": lambda: chain.frames(ad.Dual(q, eye)),
            "geometric": lambda: chain.geometric_jacobian(q),
        }
        calls = max(1, SPATIAL_CALLS // b)
        best = dict.fromkeys(passes, np.inf)
        for f in passes.values():
            f()
        for _ in range(repeats):
            for name, f in passes.items():
                t0 = time.perf_counter()
                for _ in range(calls):
                    f()
                best[name] = min(best[name], (time.perf_counter() - t0) / calls)
        J = passes["structured"]()[2]
        G = passes["general"]()[2]
        R, p = passes["Dual pose"]()
        # the Dual pose's Jacobian: dp, and the axial vector of dR R^T
        W = np.einsum("bijk,blj->bkil", R.tangent, R.value)                # (B, K, 3, 3)
        D = np.concatenate([p.tangent, np.swapaxes(_axial(W), -1, -2)], axis=-2)
        h, fd = 1e-6, np.empty_like(J)
        for i in range(n):
            dq = np.zeros(n)
            dq[i] = h
            (Rp, pp), (Rm, pm) = chain.pose(q + dq), chain.pose(q - dq)
            fd[:, :3, i] = (pp - pm) / (2 * h)
            fd[:, 3:, i] = _axial((Rp - Rm) / (2 * h) @ np.swapaxes(R.value, -1, -2))
        row = {"B": b, "calls": calls, "repeats": repeats,
               **{f"{name}_ms": t * 1e3 for name, t in best.items()},
               **{f"{name}_over_structured": t / best["structured"] for name, t in best.items()},
               "max_general_vs_structured": float(np.abs(G - J).max()),
               "max_dual_vs_structured": float(np.abs(D - J).max()),
               "max_general_vs_fd": float(np.abs(G - fd).max())}
        rows.append(row)
    return rows


def spatial_markdown(rows):
    lines = ["| B | structured | general | Dual pose | Dual frames | geometric | "
             "max \\|general − structured\\| | max \\|Dual − structured\\| | "
             "max \\|general − FD\\| |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = [f"{r['structured_ms']:.3f} ms"] + [
            f"{r[name + '_ms']:.3f} ms ({r[name + '_over_structured']:.2f}x)"
            for name in SPATIAL_PASSES[1:]]
        lines.append(f"| {r['B']:,} | " + " | ".join(cells) + f" | "
                     f"{r['max_general_vs_structured']:.1e} | {r['max_dual_vs_structured']:.1e} | "
                     f"{r['max_general_vs_fd']:.1e} |")
    r = rows[0]
    lines.append("")
    lines.append(f"Panda (n = 7). Each pass's best time of {r['repeats']} rounds, every round "
                 f"timing the passes in turn ({SPATIAL_CALLS} / B calls each), in one process; in "
                 f"brackets its ratio to the structured pass (issue 25's goal: the general "
                 f"pass within 2x). Dual pose and Dual frames seed a Dual q with the identity "
                 f"(as objectives and user functions do) and include building it.")
    return "\n".join(lines)


def _f(x, spec):
    return "-" if x is None else format(x, spec)


def markdown(rows):
    """The README's table, as Markdown."""
    jax = any("jax" in r for r in rows)
    head = ("| N | B | max \\|AD − analytic\\| | max \\|AD − FD\\| | AD / analytic time | "
            "AD / analytic memory |")
    rule = "|---:|---:|---:|---:|---:|---:|"
    if jax:
        head += " jax.jacrev / analytic time | jax.jacrev / analytic memory |"
        rule += "---:|---:|"
    head += " goal (issue 11) |"
    rule += "---|"
    lines = [head, rule]
    for r in rows:
        line = (f"| {r['N']} | {r['B']} | {r['max_abs_ad_vs_analytic']:.1e} | "
                f"{_f(r['max_abs_ad_vs_fd'], '.1e')} | {r['ratio_ad_over_analytic']:.2f} | "
                f"{r['memory_ad_over_analytic']:.2f} |")
        if jax:
            line += (f" {_f(r.get('ratio_jax_over_analytic'), '.2f')} | "
                     f"{_f(r.get('memory_jax_over_analytic'), '.2f')} |")
        line += f" {r['goal'] or ''} |"
        lines.append(line)
    big = [r for r in rows if r["N"] == 1000 and r["B"] == 1000]
    if big:
        r = big[0]
        lines.append("")
        lines.append(f"N = 1000, B = 1000: AD {r['time_ad_s']:.3f} s and "
                     f"{r['peak_ad_bytes'] / 2**20:.0f} MiB, analytic {r['time_analytic_s']:.3f} s "
                     f"and {r['peak_analytic_bytes'] / 2**20:.0f} MiB (tracemalloc peaks)."
                     + (f" jax {r['jax']}." if "jax" in r else ""))
    lines.append("Memory: tracemalloc peaks of one call for armsim and the formula; for jax, the "
                 "buffers XLA plans for the compiled function (`memory_analysis()`: temporaries "
                 "and output). Times: best of repeats, the same process.")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes and short timings (under a minute)")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true",
                   help="write the table into the README's generated block")
    p.add_argument("--only", choices=["spatial"],
                   help="only the Panda's Jacobian passes (their block)")
    args = p.parse_args(argv)
    spatial = spatial_run(repeats=5 if args.quick else 20, seed=args.seed)
    print(spatial_markdown(spatial))
    if args.only == "spatial":
        if args.json:
            write_json(args.json, {"benchmark": "ad", "spatial": spatial}, indent=2)
        if args.markdown:
            command = ("python bench/ad.py --only spatial" + (" --quick" if args.quick else "")
                       + " --markdown")
            write_blocks(ROOT / "README.md", {"bench/ad.py spatial": spatial_markdown(spatial)},
                         command)
            print("wrote the spatial table into README.md")
        return 0
    rows = run(quick=args.quick, seed=args.seed)
    print(f"{'N':>5} {'B':>5} {'|AD-analytic|':>14} {'|AD-FD|':>10} {'AD [s]':>10} "
          f"{'analytic [s]':>12} {'AD/an time':>10} {'AD/an mem':>9} {'jax/an time':>11} "
          f"{'jax/an mem':>10}  goal")
    for r in rows:
        print(f"{r['N']:>5} {r['B']:>5} {r['max_abs_ad_vs_analytic']:>14.1e} "
              f"{_f(r['max_abs_ad_vs_fd'], '.1e'):>10} {r['time_ad_s']:>10.2e} "
              f"{r['time_analytic_s']:>12.2e} {r['ratio_ad_over_analytic']:>10.2f} "
              f"{r['memory_ad_over_analytic']:>9.2f} {_f(r.get('ratio_jax_over_analytic'), '.2f'):>11} "
              f"{_f(r.get('memory_jax_over_analytic'), '.2f'):>10}  {r['goal'] or ''}")
    if args.json:
        write_json(args.json, {"benchmark": "ad", "rows": rows, "spatial": spatial}, indent=2)
    if args.markdown:
        command = "python bench/ad.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(ROOT / "README.md", {"bench/ad.py jacobian": markdown(rows),
                                          "bench/ad.py spatial": spatial_markdown(spatial)},
                     command)
        print("wrote the tables into README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
