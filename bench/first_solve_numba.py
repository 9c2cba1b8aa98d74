"""numba's own costs for ``bench/first_solve.py`` (its docstring): a small ``@njit(cache=True)``
kernel of one dls step (its source, written into a folder by the bench), and the worker that
times numba's import and that kernel's first and later calls in a fresh process."""

from __future__ import annotations

import sys
import time

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
