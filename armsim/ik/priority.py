"""The damped least-squares step with task priority (``solve(..., priority=True)``): the
target first, the objectives (:mod:`armsim.ik.objectives`) in its null space."""

from __future__ import annotations

import numpy as np

from armsim.ik import attempt as rule
from armsim.ik.steps import CLAMP_PASSES, _solve

__all__ = ["priority_dls", "CORRECTIONS"]

CORRECTIONS = 2   # priority_dls: Gauss-Newton steps back onto the primary task per step


def _solved(g, e):
    """The solutions x (B, m) of g x = e, a row whose g is singular to rounding (a main
    task of lower rank than its rows, near its target) giving zeros: no move."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        x = _solve(g, e[..., None])[..., 0]
    x[~np.isfinite(x).all(axis=-1)] = 0.0
    return x


def _prioritized(j1, j2, e1, e2, lam2, mu, free):
    """``dq1 + N dq2`` (B, n) of :func:`priority_dls`; ``free`` (B, n) bool or None: only
    those joints move (the others' columns of J1 and J2 zeroed, and N's rows and columns:
    a joint held at its limit is in no task's null space)."""
    n = j1.shape[-1]
    if free is not None:
        mask = free[:, None, :].astype(float)
        j1, j2 = j1 * mask, j2 * mask
    m1 = j1.shape[1]
    g = np.einsum("bin,bjn->bij", j1, j1) + lam2[:, None, None] * np.eye(m1)
    dq1 = np.einsum("bin,bi->bn", j1, _solved(g, e1))
    null = np.eye(n) - np.linalg.pinv(j1, rcond=1e-10) @ j1
    if free is not None:
        null = null * mask * np.swapaxes(mask, 1, 2)
    j2n = j2 @ null
    r2 = e2 - np.einsum("bkn,bn->bk", j2, dq1)
    h = np.einsum("bkn,bkm->bnm", j2n, j2n) + mu[:, None, None] * np.eye(n)
    dq2 = _solved(h, np.einsum("bkn,bk->bn", j2n, r2))
    return dq1 + np.einsum("bnm,bm->bn", null, dq2)


def _clamped(q, dq, j1, j2, e1, e2, lam2, mu, limits):
    """The priority step with the joints it would drive past a limit taken out, as
    :func:`armsim.ik.steps._clamped` does for ``dls``: each such joint moves exactly to its
    limit and the rest solve both tasks again for what is left of their errors, up to
    :data:`~armsim.ik.steps.CLAMP_PASSES` times (rows with no joint out: the step as it
    was, bit for bit)."""
    lo, hi = limits[:, 0], limits[:, 1]
    free = np.ones(dq.shape, dtype=bool)
    rows = np.arange(len(q))
    for _ in range(CLAMP_PASSES):
        qt = q[rows] + dq[rows]
        out = ((qt < lo) | (qt > hi)) & free[rows]
        keep = np.flatnonzero(np.logical_or.reduce(out, axis=1))
        if not keep.size:
            break
        rows = rows[keep]
        free[rows] &= ~out[keep]
        qr = q[rows]
        fixed = np.where(free[rows], 0.0, np.minimum(np.maximum(qr + dq[rows], lo), hi) - qr)
        dq[rows] = _prioritized(
            j1[rows], j2[rows], e1[rows] - np.einsum("bin,bn->bi", j1[rows], fixed),
            e2[rows] - np.einsum("bkn,bn->bk", j2[rows], fixed), lam2[rows], mu[rows],
            free[rows]) + fixed
    return dq


def priority_dls(ctx, q, y, jac, f0, aim, mem):
    """One damped least-squares step with task priority.

    ``dq = dq1 + N dq2``: ``dq1 = J1^T (J1 J1^T + lambda^2 I)^-1 e1`` moves the primary task
    (``lambda^2 = nu |e1|^2``, as :func:`~armsim.ik.steps.dls`); ``N = I - J1^+ J1`` projects
    onto its null space and ``dq2`` is the damped least-squares step of the objectives
    ``(N J2^T J2 N + mu I)^-1 N J2^T (e2 - J2 dq1)`` with ``mu = nu |e2|^2`` (plus a floor).
    :data:`CORRECTIONS` Gauss-Newton steps on the primary error alone then bring the
    primary task back (a null-space step changes it to second order).
    A step is accepted when it lowers the primary error, or, once the primary error is
    under a tenth of ``tol``, when it keeps it there and lowers the objectives' error;
    otherwise it is rejected and ``nu`` grows, as in ``dls``.
    """
    prob = ctx.problem
    m1 = prob.primary_rows
    e = prob.error(aim, y)
    e1, e2 = e[:, :m1], e[:, m1:]
    j1, j2 = jac[:, :m1], jac[:, m1:]
    nu = mem["nu"]
    f1 = 0.5 * np.einsum("bi,bi->b", e1, e1)
    f2 = 0.5 * np.einsum("bi,bi->b", e2, e2)
    lam2 = nu * 2.0 * f1 + ctx.lambda_floor2
    mu = nu * 2.0 * f2 + 1e-12
    dq = _prioritized(j1, j2, e1, e2, lam2, mu, None)
    if prob.clamps:
        dq = _clamped(q, dq, j1, j2, e1, e2, lam2, mu, prob.limits)
    qt = prob.clip(q + dq)
    yt, jt = prob.value_and_jacobian(qt)
    et = prob.error(aim, yt)
    for _ in range(CORRECTIONS):
        # back onto the primary task: Gauss-Newton steps on e1 alone (the null-space step
        # moves it to second order); the local convergence is quadratic
        j1t, e1t = jt[:, :m1], et[:, :m1]
        g = np.einsum("bin,bjn->bij", j1t, j1t) + ctx.lambda_floor2 * np.eye(m1)
        qt = prob.clip(qt + np.einsum("bin,bi->bn", j1t, _solved(g, e1t)))
        yt, jt = prob.value_and_jacobian(qt)
        et = prob.error(aim, yt)
    f1t = 0.5 * np.einsum("bi,bi->b", et[:, :m1], et[:, :m1])
    f2t = 0.5 * np.einsum("bi,bi->b", et[:, m1:], et[:, m1:])
    done = 0.5 * (0.1 * ctx.tol) ** 2
    ok = np.where(f1 > done, f1t < f1, (f1t <= done) & (f2t < f2))
    mem["nu"] = rule.damped(nu, ok, rule.ARRAYS)
    ft = f1t + f2t
    bad = ~ok
    qt[bad], yt[bad], jt[bad], ft[bad] = q[bad], y[bad], jac[bad], f0[bad]
    return qt, yt, jt, ft
