"""The first solve on a chain just loaded: what it costs, piece by piece; and numba's own costs.

**First solve** (the Panda, ``assets/robots/panda.urdf``): each run is a fresh process that
imports armsim, loads the URDF, and times one ``armsim.solve`` of a 6-D pose from the middle
of the joint ranges (the solve's own defaults), with ``time.perf_counter`` around the pieces
of a chain's first use:

- ``problem``: the :class:`~armsim.ik.problems.SpatialTarget` of the chain (made once per
  chain and kind);
- ``restart_table``: the restart table (:func:`armsim.ik.spatial_scalar._table`: 4,096
  sampled poses and their features, once per chain, kind, weights and seed);
- ``float_pass``: the generated float pass (:class:`armsim.ik.spatial_scalar._Compiled`:
  its source, ``_compile``; the m x m solve, ``_linear``, once per process and m; the
  ``exec`` of them all);
- ``rest``: the solve less those pieces -- the iterations and the per-call work.

``later``: the median of 30 more solves of the same pose on the same chain (the same
iterations, nothing left to build).  Then, in the same process, the URDF is loaded again
and the same pose solved on that new chain (``fresh chain``: what a second robot costs).
Three poses: ``near`` (q0's pose turned by 0.05 rad per joint: q0 is within ``q0_radius``,
no table), ``first start`` (the first pose of ``default_rng(2026)``'s draws that no restart
start is drawn for) and ``restarts`` (the first that draws 5 or more).

**numba** (optional; skipped with a reason when it is not installed): in fresh processes,
``import numba`` (after numpy), and the first call of a small ``@njit(cache=True)`` kernel
of one dls step (the Gram J J^T of a 6 x 7 Jacobian, the damped Cholesky solve, the step
clipped to the limits) with an empty cache (compile and write) and with the cache written
by that run (load; and load with ``scipy.linalg`` imported first: numba's first dispatch
imports it when scipy is installed); then its cost per call against the generated float
pass's step (``gram``, ``solve``, ``move`` of the Panda).

Figures: the median of ``--runs`` processes (the machine is shared).

    python bench/first_solve.py                      # 7 processes per figure
    python bench/first_solve.py --quick --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
URDF = ROOT / "assets" / "robots" / "panda.urdf"
POSE_SEED = 2026          # bench/ik_spatial.py's poses
LATER = 30                # later solves of the same pose (their median)
CASES = ("near", "first start", "restarts")

# -- the first solve, in a fresh process ---------------------------------------------------


def _worker_first(case):
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import armsim
    from armsim.ik import problems, spatial_scalar
    import_ms = (time.perf_counter() - t0) * 1e3
    spent = {}

    def timed(owner, name, label):
        real = getattr(owner, name)

        def wrapper(*args, **kw):
            t = time.perf_counter()
            try:
                return real(*args, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + (time.perf_counter() - t) * 1e3
        setattr(owner, name, wrapper)

    timed(problems.SpatialTarget, "__init__", "problem")
    timed(spatial_scalar, "_table", "restart_table")
    timed(spatial_scalar._Compiled, "__init__", "float_pass")
    timed(spatial_scalar, "_compile", "float_pass source")
    timed(spatial_scalar, "_linear", "float_pass linear")
    draws = []
    timed_call = spatial_scalar._Starts.__call__

    def counted(self, k):
        draws.append(k)
        return timed_call(self, k)
    spatial_scalar._Starts.__call__ = counted

    t = time.perf_counter()
    chain = armsim.load_urdf(URDF)
    load_ms = (time.perf_counter() - t) * 1e3
    target, q0 = _pose(case, armsim.load_urdf(URDF), np)   # the pose, on another chain

    def one(c):
        spent.clear()
        draws.clear()
        t = time.perf_counter()
        r = armsim.solve(c, target, q0)
        total = (time.perf_counter() - t) * 1e3
        out = {"total": total, **{k: spent.get(k, 0.0) for k in
                                  ("problem", "restart_table", "float_pass",
                                   "float_pass source", "float_pass linear")}}
        out["rest"] = total - out["problem"] - out["restart_table"] - out["float_pass"]
        out.update(iterations=r.iterations, reason=r.reason, restart_draws=len(draws) - 1
                   if draws and draws[0] == 0 else len(draws))
        return out

    first = one(chain)
    later = []
    for _ in range(LATER):
        t = time.perf_counter()
        armsim.solve(chain, target, q0)
        later.append((time.perf_counter() - t) * 1e3)
    t = time.perf_counter()
    again = armsim.load_urdf(URDF)
    load_again_ms = (time.perf_counter() - t) * 1e3
    fresh = one(again)
    return {"import_ms": import_ms, "load_ms": load_ms, "load_again_ms": load_again_ms,
            "first": first,
            "later_ms": statistics.median(later), "fresh_chain": fresh}


def _pose(case, chain, np):
    """(target 4 x 4, q0) of a case."""
    q0 = chain.limits.mean(axis=1)
    if case == "near":
        return chain.matrix(q0 + 0.05), q0
    rng = np.random.default_rng(POSE_SEED)
    qs = rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (500, chain.n))
    index = _INDEX[case]
    return chain.matrix(qs[index]), q0


_INDEX = {}


def _worker_select():
    """The indices of the 'first start' and 'restarts' poses (restart starts drawn)."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import armsim
    from armsim.ik import spatial_scalar
    chain = armsim.load_urdf(URDF)
    draws = []
    real = spatial_scalar._Starts.__call__

    def counted(self, k):
        draws.append(k)
        return real(self, k)
    spatial_scalar._Starts.__call__ = counted
    rng = np.random.default_rng(POSE_SEED)
    qs = rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (500, chain.n))
    q0 = chain.limits.mean(axis=1)
    out = {}
    for i, q in enumerate(qs):
        draws.clear()
        armsim.solve(chain, chain.matrix(q), q0)
        n = len(draws) - 1 if draws and draws[0] == 0 else len(draws)
        if n == 0:
            out.setdefault("first start", i)
        elif n >= 5:
            out.setdefault("restarts", i)
        if len(out) == 2:
            break
    return out


# -- numba ----------------------------------------------------------------------------------
KERNEL = '''
import numpy as np
from numba import njit


@njit(cache=True)
def dls_step(J, e, q, nu, f, floor2, lo, hi):
    """One damped least-squares step: qt = clip(q + J^T (J J^T + lam2 I)^-1 e); ok is
    False when a Cholesky pivot is not positive."""
    m, n = J.shape
    lam2 = nu * 2.0 * f + floor2
    L = np.zeros((m, m))
    for i in range(m):
        for j in range(i + 1):
            s = lam2 if i == j else 0.0
            for k in range(n):
                s += J[i, k] * J[j, k]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            if i == j:
                if not s > 0.0:
                    return q.copy(), False
                L[i, i] = np.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    z = np.empty(m)
    for i in range(m):
        s = e[i]
        for k in range(i):
            s -= L[i, k] * z[k]
        z[i] = s / L[i, i]
    y = np.empty(m)
    for i in range(m - 1, -1, -1):
        s = z[i]
        for k in range(i + 1, m):
            s -= L[k, i] * y[k]
        y[i] = s / L[i, i]
    qt = np.empty(n)
    for k in range(n):
        s = q[k]
        for i in range(m):
            s += J[i, k] * y[i]
        qt[k] = min(max(s, lo[k]), hi[k])
    return qt, True
'''


def _worker_numba(folder, scipy_first=False):
    t0 = time.perf_counter()
    import numpy as np
    numpy_ms = (time.perf_counter() - t0) * 1e3
    if scipy_first:     # numba's first dispatch imports scipy.linalg when scipy is installed
        import scipy.linalg  # noqa: F401
    t = time.perf_counter()
    import numba  # noqa: F401
    import_ms = (time.perf_counter() - t) * 1e3
    sys.path.insert(0, folder)
    t = time.perf_counter()
    import dls_kernel
    module_ms = (time.perf_counter() - t) * 1e3
    rng = np.random.default_rng(0)
    J, e, q = rng.normal(size=(6, 7)), rng.normal(size=6), rng.uniform(-1, 1, 7)
    lo, hi = np.full(7, -2.9), np.full(7, 2.9)
    t = time.perf_counter()
    dls_kernel.dls_step(J, e, q, 0.01, 0.5, 1e-24, lo, hi)
    first_ms = (time.perf_counter() - t) * 1e3
    calls = 20_000
    t = time.perf_counter()
    for _ in range(calls):
        dls_kernel.dls_step(J, e, q, 0.01, 0.5, 1e-24, lo, hi)
    per_call_us = (time.perf_counter() - t) / calls * 1e6
    stats = dls_kernel.dls_step.stats
    return {"numpy_import_ms": numpy_ms, "import_ms": import_ms, "module_ms": module_ms,
            "first_call_ms": first_ms, "per_call_us": per_call_us,
            "cache_hits": sum(stats.cache_hits.values()),
            "cache_misses": sum(stats.cache_misses.values()), "version": numba.__version__}


def _worker_floats():
    """The generated float pass's dls step (gram, solve, move) of the Panda, per call."""
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import armsim
    from armsim.ik import spatial_scalar
    from armsim.ik.problems import SpatialTarget
    chain = armsim.load_urdf(URDF)
    prob = SpatialTarget(chain)
    C = spatial_scalar._compiled(prob)
    q = chain.limits.mean(axis=1)
    target = chain.matrix(q + 0.3)
    row = np.concatenate([target[:3, 3], target[:3, :3].ravel()]).tolist()
    f, e, cols, _ = C.make(*row)(q.tolist())
    ql = q.tolist()
    calls = 20_000
    t = time.perf_counter()
    for _ in range(calls):
        y = C.solve(C.gram(cols), 0.01 * 2.0 * f + 1e-24, e)
        C.move(ql, cols, y)
    return {"per_call_us": (time.perf_counter() - t) / calls * 1e6}


# -- the runs -------------------------------------------------------------------------------
def _run(kind, *args, env=None):
    out = subprocess.run([sys.executable, __file__, "--worker", kind, *args],
                         capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(dicts, *path):
    vals = []
    for d in dicts:
        for p in path:
            d = d[p]
        vals.append(d)
    return statistics.median(vals)


def first_solve(runs):
    index = _run("select")
    out = {"indices": index, "cases": {}}
    for case in CASES:
        rs = [_run("first", case, json.dumps(index)) for _ in range(runs)]
        pieces = ("total", "problem", "restart_table", "float_pass", "float_pass source",
                  "float_pass linear", "rest")
        out["cases"][case] = {
            "import_ms": _median(rs, "import_ms"), "load_ms": _median(rs, "load_ms"),
            "load_again_ms": _median(rs, "load_again_ms"),
            "later_ms": _median(rs, "later_ms"),
            "first": {p: _median(rs, "first", p) for p in pieces},
            "fresh_chain": {p: _median(rs, "fresh_chain", p) for p in pieces},
            "iterations": rs[0]["first"]["iterations"], "reason": rs[0]["first"]["reason"],
            "restart_draws": rs[0]["first"]["restart_draws"], "runs": rs}
    return out


def numba_costs(runs):
    try:
        import numba
    except ImportError as exc:
        return f"numba not importable ({exc})"
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "dls_kernel.py").write_text(KERNEL)
        cold, warm, scipy_first = [], [], []
        for i in range(runs):
            cache = Path(tmp, f"cache{i}")
            env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
            cold.append(_run("numba", tmp, env=env))     # an empty cache: compile, write
            warm.append(_run("numba", tmp, env=env))     # the cache that run wrote: load
            scipy_first.append(_run("numba", tmp, "scipy", env=env))
    floats = [_run("floats") for _ in range(runs)]
    keys = ("numpy_import_ms", "import_ms", "module_ms", "first_call_ms", "per_call_us",
            "cache_hits", "cache_misses")
    return {"version": numba.__version__,
            "cold": {k: _median(cold, k) for k in keys},
            "warm": {k: _median(warm, k) for k in keys},
            "warm_scipy_imported": {k: _median(scipy_first, k) for k in keys},
            "float_pass_step_us": _median(floats, "per_call_us")}


def report(results):
    lines = [f"First armsim.solve on the Panda in a fresh process (median of "
             f"{results['runs']} processes; ms)", "",
             "| pose | iterations | restart starts | total | problem | restart table | "
             "float pass (source / linear / exec) | rest | later solves | fresh chain: total / "
             "table / float pass |", "|---|---|---|---|---|---|---|---|---|---|"]
    for case, c in results["first_solve"]["cases"].items():
        f, g = c["first"], c["fresh_chain"]
        lines.append(
            f"| {case} | {c['iterations']} ({c['reason']}) | {c['restart_draws']} | "
            f"{f['total']:.2f} | {f['problem']:.2f} | {f['restart_table']:.2f} | "
            f"{f['float_pass']:.2f} ({f['float_pass source']:.2f} / "
            f"{f['float_pass linear']:.2f} / "
            f"{f['float_pass'] - f['float_pass source'] - f['float_pass linear']:.2f}) | "
            f"{f['rest']:.2f} | {c['later_ms']:.3f} | "
            f"{g['total']:.2f} / {g['restart_table']:.2f} / {g['float_pass']:.2f} |")
    c = results["first_solve"]["cases"][CASES[0]]
    lines += ["", f"import armsim {c['import_ms']:.0f} ms; load_urdf(panda.urdf) "
              f"{c['load_ms']:.0f} ms the first time (yourdfpy's import with it), "
              f"{c['load_again_ms']:.1f} ms again in the same process"]
    nb = results["numba"]
    if isinstance(nb, str):
        lines += ["", f"numba: skipped: {nb}"]
    else:
        lines += ["", f"numba {nb['version']} (median of {results['runs']} processes): "
                  f"import numba {nb['cold']['import_ms']:.0f} ms (after numpy, "
                  f"{nb['cold']['numpy_import_ms']:.0f} ms); the dls-step kernel's first call "
                  f"{nb['cold']['first_call_ms']:.0f} ms with an empty cache (compile, write), "
                  f"{nb['warm']['first_call_ms']:.1f} ms with it written (load; "
                  f"{nb['warm_scipy_imported']['first_call_ms']:.1f} ms when scipy.linalg "
                  f"was imported before, which numba's first dispatch imports when scipy is "
                  f"installed; import of the kernel's module {nb['warm']['module_ms']:.1f} ms; "
                  f"cache hits {nb['warm']['cache_hits']:.0f}); a call "
                  f"{nb['warm']['per_call_us']:.2f} us against "
                  f"{nb['float_pass_step_us']:.2f} us for the generated float pass's step "
                  f"(gram, solve, move)"]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 processes per figure")
    ap.add_argument("--runs", type=int, default=None, help="processes per figure (default 7)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "first":
            _INDEX.update(json.loads(rest[1]))
            out = _worker_first(rest[0])
        elif kind == "select":
            out = _worker_select()
        elif kind == "numba":
            out = _worker_numba(rest[0], scipy_first=rest[1:] == ["scipy"])
        else:
            out = _worker_floats()
        print(json.dumps(out))
        return
    runs = args.runs or (3 if args.quick else 7)
    results = {"runs": runs, "urdf": str(URDF.relative_to(ROOT)),
               "first_solve": first_solve(runs), "numba": numba_costs(runs)}
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
