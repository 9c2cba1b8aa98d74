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

Usage::

    python bench/ad.py [--quick] [--json PATH] [--markdown]
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
    args = p.parse_args(argv)
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
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"benchmark": "ad", "rows": rows}, indent=2))
    if args.markdown:
        command = "python bench/ad.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(ROOT / "README.md", {"bench/ad.py jacobian": markdown(rows)}, command)
        print("wrote the table into README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
