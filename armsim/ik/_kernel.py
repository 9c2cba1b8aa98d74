"""The compiled attempt: :mod:`armsim.ik.compiled`'s numba kernels (imported only there, on
first use, so ``import armsim`` never loads numba).

One attempt of ``dls`` on one row (:func:`attempt`), and on rows one after another
(:func:`attempt_rows`, the batch: the same function per row).  The rule is
:mod:`armsim.ik.attempt`'s own functions, compiled here with :data:`NB` for their backend
(``where``, ``maximum`` and ``minimum`` on numbers); the forward pass carries each joint's
one-hot tangent as its twist (:func:`evaluate`: the tool's pose and, per joint, the
velocity its unit rate gives the tool, ``(z x (p - o), z)``, times the mimic multiplier).
Compiled once per install (numba's cache, beside the sources).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba as nb
import numpy as np

from armsim.ik import attempt as rule, rotvec, rules

_jit = nb.njit(cache=True, nogil=True)


@_jit
def _where(c, a, b):
    return a if c else b


@_jit
def _maximum(a, b):
    return a if a > b else b


@_jit
def _minimum(a, b):
    return a if a < b else b


#: the backend the compiled rule runs on (numbers, like :data:`armsim.ik.attempt.FLOATS`)
NB = namedtuple("Backend", "where maximum minimum")(_where, _maximum, _minimum)

accepted, damped, recorded = _jit(rule.accepted), _jit(rule.damped), _jit(rule.recorded)
too_slow, stopped, stalled = _jit(rule.too_slow), _jit(rule.stopped), _jit(rule.stalled)
small, wide = _jit(rotvec.small), _jit(rotvec.wide)


@_jit
def frozen():
    """The rule constants as compiled (:mod:`armsim.ik.compiled` compares them with
    :mod:`armsim.ik.rules`' and compiles again when a constant changed)."""
    return (rules.NU_MIN, rules.NU_MAX, rules.NU_DOWN, rules.NU_UP, float(rules.PATIENCE),
            rules.LOWER)


@_jit
def evaluate(q, M, tg, sc, e, J, parts):
    """One forward pass of the stack ``M`` (:func:`armsim.ik.compiled.model`) at q (n,) for
    the target row ``tg``, each tool's error and residuals scaled by ``sc`` (T,) (1, or
    :data:`armsim.ik.tree.FAR_WEIGHT` for a tool beyond its reach): fills the weighted
    error e (m,), the weighted Jacobian J (m, n) and ``parts`` (the largest position and
    orientation residuals of the tools); returns f = |e|^2 / 2."""
    (starts, JR, Jt, jfree, jmult, joff, jpris, ER, Et, pose, rows, nrows, w, act,
     toff) = M
    J[:, :] = 0.0
    R = np.empty((3, 3))
    R2 = np.empty((3, 3))
    p = np.empty(3)
    zs = np.empty((JR.shape[0], 3))
    os_ = np.empty((JR.shape[0], 3))
    d = np.empty(6)
    col = np.empty(6)
    parts[0] = 0.0
    parts[1] = 0.0
    f = 0.0
    row0 = 0
    for t in range(starts.shape[0] - 1):
        for a in range(3):
            p[a] = 0.0
            for b in range(3):
                R[a, b] = 1.0 if a == b else 0.0
        for k in range(starts[t], starts[t + 1] + 1):
            last = k == starts[t + 1]
            A = ER[t] if last else JR[k]
            v = Et[t] if last else Jt[k]
            for a in range(3):
                p[a] += R[a, 0] * v[0] + R[a, 1] * v[1] + R[a, 2] * v[2]
            for a in range(3):
                for b in range(3):
                    R2[a, b] = R[a, 0] * A[0, b] + R[a, 1] * A[1, b] + R[a, 2] * A[2, b]
            if last:
                R[:, :] = R2
                break
            x = q[jfree[k]] * jmult[k] + joff[k]
            for a in range(3):
                zs[k, a] = R2[a, 2]
                os_[k, a] = p[a]
            if jpris[k]:
                R[:, :] = R2
                for a in range(3):
                    p[a] += x * R2[a, 2]
            else:
                c, s = math.cos(x), math.sin(x)
                for a in range(3):
                    R[a, 0] = c * R2[a, 0] + s * R2[a, 1]
                    R[a, 1] = c * R2[a, 1] - s * R2[a, 0]
                    R[a, 2] = R2[a, 2]
        o = toff[t]
        for a in range(3):
            d[a] = tg[o + a] - p[a]
        if pose[t]:
            # M = R_target R^T and its rotation vector
            for a in range(3):
                for b in range(3):
                    R2[a, b] = (tg[o + 3 + 3 * a] * R[b, 0] + tg[o + 4 + 3 * a] * R[b, 1]
                                + tg[o + 5 + 3 * a] * R[b, 2])
            if R2[0, 0] + R2[1, 1] + R2[2, 2] >= 1.0:     # up to pi/2
                d[3], d[4], d[5] = small(R2[0, 0], R2[0, 1], R2[0, 2], R2[1, 0], R2[1, 1],
                                         R2[1, 2], R2[2, 0], R2[2, 1], R2[2, 2])
            else:
                d[3], d[4], d[5] = wide(R2[0, 0], R2[0, 1], R2[0, 2], R2[1, 0], R2[1, 1],
                                        R2[1, 2], R2[2, 0], R2[2, 1], R2[2, 2])
        sp = 0.0
        so = 0.0
        for a in range(3):
            if act[t, a]:
                sp += d[a] * d[a]
            if pose[t] and act[t, 3 + a]:
                so += d[3 + a] * d[3 + a]
        parts[0] = max(parts[0], sc[t] * math.sqrt(sp))
        parts[1] = max(parts[1], sc[t] * math.sqrt(so))
        for i in range(nrows[t]):
            r = rows[t, i]
            e[row0 + i] = d[r] * w[t, r] if w[t, r] != 1.0 else d[r]
            if sc[t] != 1.0:
                e[row0 + i] *= sc[t]
            f += e[row0 + i] * e[row0 + i]
        # each joint's twist at the tool, times its multiplier, onto its free joint
        for k in range(starts[t], starts[t + 1]):
            z = zs[k]
            if jpris[k]:
                col[0], col[1], col[2] = z[0], z[1], z[2]
                col[3] = col[4] = col[5] = 0.0
            else:
                l0, l1, l2 = p[0] - os_[k, 0], p[1] - os_[k, 1], p[2] - os_[k, 2]
                col[0] = z[1] * l2 - z[2] * l1
                col[1] = z[2] * l0 - z[0] * l2
                col[2] = z[0] * l1 - z[1] * l0
                col[3], col[4], col[5] = z[0], z[1], z[2]
            j, mu = jfree[k], jmult[k] * sc[t]
            for i in range(nrows[t]):
                r = rows[t, i]
                J[row0 + i, j] += col[r] * w[t, r] * mu
        row0 += nrows[t]
    return 0.5 * f


@_jit
def _solve(G, lam2, r, L, y):
    """y with (G + lam2 I) y = r by Cholesky (L the work factor); False when a pivot is
    not positive."""
    m = G.shape[0]
    for i in range(m):
        for j in range(i + 1):
            s = G[i, j] + (lam2 if i == j else 0.0)
            for k in range(j):
                s -= L[i, k] * L[j, k]
            if i == j:
                if not s > 0.0:
                    return False
                L[i, i] = math.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    for i in range(m):
        s = r[i]
        for k in range(i):
            s -= L[i, k] * y[k]
        y[i] = s / L[i, i]
    for i in range(m - 1, -1, -1):
        s = y[i]
        for k in range(i + 1, m):
            s -= L[k, i] * y[k]
        y[i] = s / L[i, i]
    return True


@_jit
def _move(q, J, y, qt):
    """qt = q + J^T y."""
    for j in range(q.shape[0]):
        s = 0.0
        for i in range(y.shape[0]):
            s += J[i, j] * y[i]
        qt[j] = q[j] + s


@_jit
def _step(q, J, e, lam2, lo, hi, passes, G, L, y, r, qt, fixed, isfixed):
    """The clamped dls step (:func:`armsim.ik.steps._clamped_one`): qt; False when a
    Cholesky pivot fails."""
    m, n = J.shape
    for a in range(m):
        for b in range(a + 1):
            s = 0.0
            for j in range(n):
                s += J[a, j] * J[b, j]
            G[a, b] = s
    if not _solve(G, lam2, e, L, y):
        return False
    _move(q, J, y, qt)
    inside = True
    for j in range(n):
        if qt[j] < lo[j] or qt[j] > hi[j]:
            inside = False
    if inside:
        return True
    for j in range(n):
        isfixed[j] = False
    for a in range(m):
        r[a] = e[a]
    for _ in range(passes):
        out = False
        for j in range(n):
            if (qt[j] < lo[j] or qt[j] > hi[j]) and not isfixed[j]:
                out = True
                x = min(max(qt[j], lo[j]), hi[j]) - q[j]
                fixed[j] = x
                isfixed[j] = True
                for a in range(m):
                    for b in range(a + 1):
                        G[a, b] -= J[a, j] * J[b, j]
                    r[a] -= J[a, j] * x
        if not out:
            break
        if not _solve(G, lam2, r, L, y):
            return False
        _move(q, J, y, qt)
        for j in range(n):
            if isfixed[j]:
                qt[j] = q[j] + fixed[j]
    for j in range(n):
        qt[j] = min(max(qt[j], lo[j]), hi[j])
    return True


@_jit
def attempt(q, budget, M, tg, sc, lo, hi, wrap, m, half_tol2, damping, floor2, width,
            factor, passes, strict, out):
    """One attempt from q (n,, changed in place) for at most ``budget`` iterations (the
    progress rule when ``width`` > 0): ``out`` = (iterations, f, stalled, position
    residual, orientation residual).  A Cholesky pivot that fails (``J J^T + lam2 I``
    singular to rounding) ends the attempt with False when ``strict`` (the caller takes the
    array path, which solves by LU), else the step is no move (rejected, as the batch's
    step that is not finite)."""
    n = q.shape[0]
    e, et = np.empty(m), np.empty(m)
    J, Jt = np.empty((m, n)), np.empty((m, n))
    pr, prt = np.empty(2), np.empty(2)
    G, L = np.empty((m, m)), np.empty((m, m))
    y, r = np.empty(m), np.empty(m)
    qt, fixed = np.empty(n), np.empty(n)
    isfixed = np.zeros(n, dtype=np.bool_)
    hist = np.empty(budget + 1)
    f = evaluate(q, M, tg, sc, e, J, pr)
    nu = damping
    best, since, k = f, 0, 0
    hist[0] = f
    slow = False
    two_pi = 2.0 * math.pi
    while True:
        slow = width > 0 and k >= width and too_slow(f, hist[k - width], factor)
        if stopped(f, since, half_tol2) or k == budget or slow:
            break
        lam2 = nu * 2.0 * f + floor2
        if not _step(q, J, e, lam2, lo, hi, passes, G, L, y, r, qt, fixed, isfixed):
            if strict:
                return False
            qt[:] = q
        for j in range(n):
            if wrap[j]:
                qt[j] = (qt[j] + math.pi) % two_pi - math.pi
        ft = evaluate(qt, M, tg, sc, et, Jt, prt)
        ok = accepted(f, ft)
        nu = damped(nu, ok, NB)
        if ok:
            q[:] = qt
            f = ft
            e, et = et, e
            J, Jt = Jt, J
            pr, prt = prt, pr
        best, since = recorded(f, best, since, NB)
        k += 1
        hist[k] = f
    out[0] = k
    out[1] = f
    out[2] = 1.0 if stalled(since, slow) else 0.0
    out[3] = pr[0]
    out[4] = pr[1]
    return True


@_jit
def attempt_rows(Q, budgets, M, T, SC, lo, hi, wrap, m, half_tol2, damping, floor2,
                 widths, factor, passes, out):
    """:func:`attempt` for each row of Q (B, n) with its budget, target row (T (B, size)),
    tool scales (SC (B, tools)) and progress width (0: unwatched), one after another:
    ``out`` (B, 5); returns -1."""
    for b in range(Q.shape[0]):
        if not attempt(Q[b], budgets[b], M, T[b], SC[b], lo, hi, wrap, m, half_tol2,
                       damping, floor2, widths[b], factor, passes, False, out[b]):
            return b
    return -1
