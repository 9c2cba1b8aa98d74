"""What ``bench/ik.py``'s planar solves are measured against (its docstring says how): the
same arm as an IKPy chain and IKPy's solve of it, and the overhead rows (issue 11): one
``armsim.solve`` and ``solve_batch`` against a hand-written numpy DLS loop and IKPy."""

from __future__ import annotations

import time
import warnings

import numpy as np

from armsim import Chain
from armsim.ik import Solver

# -- IKPy ---------------------------------------------------------------------------------------
def ikpy_chain(chain):
    """The same arm for IKPy: z-axis revolute links, each translated by the previous length."""
    from ikpy.chain import Chain as IKChain
    from ikpy.link import OriginLink, URDFLink
    links, prev = [OriginLink()], 0.0
    for i, length in enumerate(chain.lengths):
        links.append(URDFLink(f"j{i}", origin_translation=[prev, 0, 0],
                              origin_orientation=[0, 0, 0], rotation=[0, 0, 1]))
        prev = float(length)
    links.append(URDFLink("tip", origin_translation=[prev, 0, 0], origin_orientation=[0, 0, 0],
                          joint_type="fixed"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return IKChain(links, active_links_mask=[False] + [True] * chain.n + [False])


def ikpy_solve(ik, target, q0):
    full = np.concatenate([[0.0], q0, [0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sol = ik.inverse_kinematics([target[0], target[1], 0.0], initial_position=full)
    return np.asarray(sol[1:-1], dtype=float)


# -- overhead: one solve and solve_batch against hand-written numpy (issue 11) -------------------
def numpy_dls(lengths, base, targets, q, iters, damping=1.0, floor2=0.0):
    """Hand-written DLS (the reference, bench only): analytic Jacobian, the same law as
    ``method="dls"`` (``lambda^2 = nu |e|^2 + floor``, a step kept only if it lowers the error,
    ``nu`` times 0.3 or 10), exactly ``iters`` iterations on every row; no limits, targets
    reachable.  q (B, N), targets (B, 2) -> q (B, N)."""
    def tip_jac(q):
        theta = np.cumsum(q, axis=-1)
        lc, ls = lengths * np.cos(theta), lengths * np.sin(theta)
        tip = np.stack([lc.sum(-1), ls.sum(-1)], axis=-1) + base
        jx = -np.cumsum(ls[:, ::-1], axis=-1)[:, ::-1]
        jy = np.cumsum(lc[:, ::-1], axis=-1)[:, ::-1]
        return tip, jx, jy

    tip, jx, jy = tip_jac(q)
    e = targets - tip
    f = 0.5 * (e * e).sum(-1)
    nu = np.full(len(q), damping)
    for _ in range(iters):
        lam2 = nu * 2.0 * f + floor2
        a = (jx * jx).sum(-1) + lam2
        b = (jx * jy).sum(-1)
        c = (jy * jy).sum(-1) + lam2
        det = a * c - b * b
        y0, y1 = (c * e[:, 0] - b * e[:, 1]) / det, (a * e[:, 1] - b * e[:, 0]) / det
        qt = q + jx * y0[:, None] + jy * y1[:, None]
        tt, jxt, jyt = tip_jac(qt)
        et = targets - tt
        ft = 0.5 * (et * et).sum(-1)
        ok = ft < f
        nu = np.where(ok, np.maximum(nu * 0.3, 1e-6), np.minimum(nu * 10.0, 1e12))
        k = ok[:, None]
        q, e, jx, jy, f = (np.where(k, qt, q), np.where(k, et, e), np.where(k, jxt, jx),
                           np.where(k, jyt, jy), np.where(ok, ft, f))
    return q


def _interleaved(fns, repeats):
    """Median over ``repeats`` interleaved rounds of each function's time [s]."""
    times = [[] for _ in fns]
    for fn in fns:
        fn()
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def overhead(seed, quick, with_ikpy):
    """The issue's ratio rows: one ``armsim.solve`` (defaults) at N = 7 against IKPy and
    against the hand-written loop doing the same number of DLS iterations; ``solve_batch``
    with one start (``dls``, 10 iterations on every row) against :func:`numpy_dls`."""
    import armsim
    out = {}
    repeats = 7
    rng = np.random.default_rng(seed + 11)
    chain = Chain(np.full(7, 1 / 7))
    count = 20 if quick else 100
    r = rng.uniform(0.05, 0.95, count)
    phi = rng.uniform(-np.pi, np.pi, count)
    targets = np.stack([r * np.cos(phi), r * np.sin(phi)], axis=-1)
    results = [armsim.solve(chain, t) for t in targets]
    iters = [int(res.iterations) for res in results]
    q0 = np.full((1, 7), 0.3)

    def solve_all():
        for t in targets:
            armsim.solve(chain, t)

    def reference_all():
        for t, k in zip(targets, iters):
            numpy_dls(chain.lengths, chain.base, t[None], q0, k)

    fns = [solve_all, reference_all]
    ik = None
    if with_ikpy:
        ik = ikpy_chain(chain)
        few = targets[:5 if quick else 20]

        def ikpy_all():
            for t in few:
                ikpy_solve(ik, t, q0[0])
        fns.append(ikpy_all)
    times = _interleaved(fns, 3 if quick else repeats)
    row = dict(N=7, targets=count, success=float(np.mean([res.success for res in results])),
               iter_mean=float(np.mean(iters)),
               solve_us=1e6 * times[0] / count, reference_us=1e6 * times[1] / count)
    row["ratio_reference"] = row["solve_us"] / row["reference_us"]
    if ik is not None:
        row["ikpy_us"] = 1e6 * times[2] / len(few)
        row["ikpy_over_solve"] = row["ikpy_us"] / row["solve_us"]
    out["solve"] = row
    batch = 2000 if quick else 10_000
    for n in (7, 20):
        chain = Chain(np.full(n, 1 / n))
        r = rng.uniform(0.05, 0.95, batch)
        phi = rng.uniform(-np.pi, np.pi, batch)
        targets = np.stack([r * np.cos(phi), r * np.sin(phi)], axis=-1)
        starts = rng.uniform(-np.pi, np.pi, (batch, n))
        solver = Solver(chain, method="dls", restarts=0, max_iter=10, tol=1e-300)
        floor2 = solver.lambda_floor2
        res = solver.solve_batch(targets, starts)
        q_ref = numpy_dls(chain.lengths, chain.base, targets, starts, 10, floor2=floor2)
        t_lib, t_ref = _interleaved(
            [lambda: solver.solve_batch(targets, starts),
             lambda: numpy_dls(chain.lengths, chain.base, targets, starts, 10, floor2=floor2)],
            3 if quick else repeats)
        out[f"batch N={n}"] = dict(N=n, B=batch, iterations=int(res.iterations.max()),
                                   iterations_equal=bool(np.all(res.iterations == 10)),
                                   max_abs_q_diff=float(np.max(np.abs(res.q - q_ref))),
                                   solve_batch_s=t_lib, reference_s=t_ref,
                                   ratio=t_lib / t_ref)
    return out


def overhead_markdown(ov):
    """The issue's ratio table for the solvers, as Markdown."""
    lines = ["| what | armsim | reference in the same run | ratio | goal (issue 11) |",
             "|---|---:|---|---:|---|"]
    r = ov.get("solve")
    if r:
        lines.append(f"| `armsim.solve`, N = 7, one target (defaults; {r['targets']} targets, "
                     f"mean {r['iter_mean']:.1f} iterations) | {r['solve_us']:.0f} µs | "
                     f"hand-written numpy DLS, same iterations, one problem: "
                     f"{r['reference_us']:.0f} µs | {r['ratio_reference']:.2f}x | ≤ 60 µs: "
                     f"{'met' if r['solve_us'] <= 60 else 'not met'} |")
        if "ikpy_us" in r:
            lines.append(f"| `armsim.solve`, N = 7, one target | {r['solve_us']:.0f} µs | "
                         f"IKPy: {r['ikpy_us'] / 1e3:.2f} ms | "
                         f"{r['ikpy_over_solve']:.0f}x faster | ≥ 150x faster: "
                         f"{'met' if r['ikpy_over_solve'] >= 150 else 'not met'} |")
    for key in ("batch N=7", "batch N=20"):
        b = ov.get(key)
        if b:
            lines.append(f"| `solve_batch`, one start, `dls`, N = {b['N']}, B = {b['B']:,}, "
                         f"{b['iterations']} iterations each (equal: {b['iterations_equal']}; "
                         f"max \\|Δq\\| {b['max_abs_q_diff']:.0e}) | {1e3 * b['solve_batch_s']:.1f} ms | "
                         f"hand-written numpy DLS, analytic Jacobian: {1e3 * b['reference_s']:.1f} ms | "
                         f"{b['ratio']:.3f}x | ≤ 1.3x: {'met' if b['ratio'] <= 1.3 else 'not met'} |")
    return "\n".join(lines)
