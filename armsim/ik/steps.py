"""Step strategies: how one iteration moves the joint angles.

Every strategy has the signature ``step(ctx, q, y, jac, f, aim, mem)`` for the
B problems still running, with

q : ndarray (B, n)                current joint values (within the joint limits)
y : ndarray (B, m)                task value at ``q`` (the tip, for a planar point)
jac : ndarray (B, m, n) or None   its Jacobian at ``q`` (Jacobian methods only)
f : ndarray (B,)                  ``|aim - y|^2 / 2``
aim : ndarray (B, m)              where ``y`` is sent (see :meth:`Problem.aim`)
mem : dict of ndarray (B,)        per-problem memory (damping, step length), updated in place

and returns the new ``(q, y, jac, f)``, evaluated.  The objective is always
``f = |aim - y|^2 / 2``.  ``ctx`` is the :class:`~armsim.ik.loop.Solver`
(``ctx.problem``: a :class:`~armsim.ik.problems.Problem`; options,
correction).  ``dls``, ``gradient`` and ``pinv`` work for any task dimension m;
``ccd`` turns one joint at a time (a planar chain, or a spatial target's own sweep,
:meth:`~armsim.ik.problems.SpatialTarget.ccd_sweep`); ``fabrik`` moves joint
positions and needs a planar chain (``ctx.problem.chain``).
"""

from __future__ import annotations

import numpy as np

from armsim.ik import planar as kin
from armsim.ik import attempt as rule

__all__ = ["STEPS", "NEEDS_JACOBIAN", "MEMORY"]

ARMIJO_C = 1e-4          # sufficient-decrease constant of the line search
ARMIJO_HALVINGS = 40     # trial steps per iteration before giving up (2^-40 of the first)
CLAMP_PASSES = 3         # dls with clamps: re-solves after joints are fixed at a limit
CHOLESKY_ROWS = 320      # dls: from this many rows on, the damped solve is elementwise
LAMBDA_FLOOR = 1e-12    # dls: lambda^2 is at least (this x the problem's scale)^2 (lambda_floor2)
PINV_RCOND = 1e-10       # pinv: eigenvalues of J J^T below this fraction of the largest are dropped


try:        # the gufunc behind numpy.linalg.solve, without its wrapper (same results)
    from numpy.linalg._umath_linalg import solve as _solve
except ImportError:      # pragma: no cover
    _solve = np.linalg.solve


def _evaluate(ctx, q, aim, need_jac=True):
    """q with its task value, Jacobian (or None) and f = |aim - y|^2 / 2.

    The error is kept on ``ctx`` with the y and aim it belongs to (``_error``), so the
    next step reuses it instead of computing it again (a pose's rotation vector)."""
    if need_jac:
        y, jac = ctx.problem.value_and_jacobian(q)
    else:
        y, jac = ctx.problem.value(q), None
    e = ctx.problem.error(aim, y)
    ctx._error = (y, aim, e)
    return q, y, jac, 0.5 * np.einsum("bi,bi->b", e, e)


def _row_weights(ctx, aim):
    """(B, m) the problem's ``row_weights`` (a robot's tool beyond its reach weighs less),
    or None (every row 1)."""
    weigh = getattr(ctx.problem, "row_weights", None)
    return None if weigh is None else weigh(aim)


def weighted(ctx, aim, jac):
    """``jac`` with its rows weighed as the problem's error weighs them
    (:func:`_row_weights`): the gradient and pseudo-inverse steps of a weighted least-squares
    problem; ``jac`` itself when no row weighs less.  (dls weighs by its damping instead:
    :func:`_weighed_damping`.)"""
    w = _row_weights(ctx, aim)
    return jac if w is None else jac * w[:, :, None]


def _weighed_damping(w, e, lam2):
    """dls's weighted least squares, well conditioned: with the rows' weights W (B, m), the
    step ``(W J)^T (W J J^T W + lam2 I)^-1 W e`` is ``J^T (J J^T + lam2 W^-2)^-1 e``: the
    plain Jacobian and unweighted error ``e`` (the weighted one given, divided back), each
    row damped by ``lam2 / w^2`` (a row weighing 1e-6 would make the Gram matrix's entries
    1e12 apart).  Returns (e, lam2 (B,) or (B, m))."""
    if w is None:
        return e, lam2
    return e / w, lam2[:, None] / (w * w)


def _error(ctx, aim, y):
    """``ctx.problem.error(aim, y)``, from the last :func:`_evaluate` when it was of these
    very arrays (identity: a row dropped or a step rejected makes new or changed arrays)."""
    last = ctx.__dict__.get("_error")
    if last is not None and last[0] is y and last[1] is aim:
        return last[2]
    return ctx.problem.error(aim, y)


def lambda_floor2(scale):
    """The floor of dls's ``lambda^2`` for a problem of size ``scale`` [m]: J J^T + lambda^2 I
    stays invertible at a singular pose with a reached target."""
    return (LAMBDA_FLOOR * scale) ** 2


def _damping(ctx, nu, f0, e):
    """dls's ``lambda^2 = nu |e|^2 + floor`` (``2 f0 = |e|^2``), or, for a problem whose
    ``damping_scale`` s the solver keeps (a weighted spatial target), ``nu sum_i e_i^2 s_i
    + floor``: the error unweighted."""
    s = getattr(ctx, "_damping_scale", None)
    if s is None:
        return nu * 2.0 * f0 + ctx.lambda_floor2
    return nu * np.einsum("...i,i->...", e * e, s) + ctx.lambda_floor2


def _jte(jac, e):
    """J^T e: (m, N)."""
    return np.einsum("bij,bi->bj", jac, e)


def _half_sq(e):
    return 0.5 * np.einsum("bi,bi->b", e, e)


# -- gradient --------------------------------------------------------------------
def gradient(ctx, q, tip, jac, f, aim, mem):
    """Steepest descent on f, shaped by ``ctx.correction``."""
    o, prob = ctx.options, ctx.problem
    e = prob.error(aim, tip)
    corr = ctx.correction
    jw = weighted(ctx, aim, jac)
    if corr == "backtrack":
        return _armijo(ctx, q, tip, jac, f, aim, mem, e, jw)
    if corr == "clip":
        # the original law: unit direction to the target dotted with each column,
        # clipped to max_angular_speed * (distance in percent of the reach) / 100;
        # the columns [m/rad] are measured in reaches, so the law has no unit (the
        # original's reach is 1; a scene scaled by 0.001 moves the same way)
        dist = np.linalg.norm(e, axis=-1, keepdims=True)
        unit = e / np.where(dist > 0, dist, 1.0)
        raw = _jte(jw, unit) / prob.scale
        limit = o.max_angular_speed * (100.0 * dist / prob.scale) / 100.0
        dq = np.clip(raw, -limit, limit)
    else:
        dq = (o.step_size / mem["c"])[:, None] * _jte(jw, e)
        if corr == "norm":
            size = np.linalg.norm(dq, axis=-1, keepdims=True)
            dq = dq * np.minimum(1.0, o.max_angular_speed / np.where(size > 0, size, 1.0))
    return _evaluate(ctx, prob.clip(q + dq), aim)


def _armijo(ctx, q, tip, jac, f0, aim, mem, e, jw=None):
    """Backtracking (Armijo) line search along the projected gradient.

    The first trial length is twice the last accepted one (``mem["t"]``, in
    units of ``1 / curvature``); it is halved until
    ``f(q_new) <= f(q) - c * (J^T e) . (q_new - q)``.  If no trial is accepted the
    angles do not move, so f never increases.  ``jw``: :func:`weighted` ``jac`` (the
    direction's), when it is not ``jac`` (kept for the rows that do not move).
    """
    prob = ctx.problem
    g = _jte(jac if jw is None else jw, e)
    t = np.minimum(2.0 * mem["t"], 1e6)
    q_out, tip_out, f_out = q.copy(), tip.copy(), f0.copy()
    pending = np.ones(len(q), dtype=bool)
    for _ in range(ARMIJO_HALVINGS):
        rows = np.flatnonzero(pending)
        qt = prob.clip(q[rows] + (t[rows] / mem["c"][rows])[:, None] * g[rows])
        tt = prob.value(qt)
        ft = _half_sq(prob.error(aim[rows], tt))
        ok = ft <= f0[rows] - ARMIJO_C * np.einsum("bj,bj->b", g[rows], qt - q[rows])
        acc = rows[ok]
        q_out[acc], tip_out[acc], f_out[acc] = qt[ok], tt[ok], ft[ok]
        pending[acc] = False
        t[rows[~ok]] *= 0.5
        if not pending.any():
            break
    t[pending] = ctx.options.step_size       # nothing accepted: start afresh next time
    mem["t"] = np.maximum(t, 1e-12)
    moved = ~pending
    jac_out = jac.copy()
    if moved.any():
        rows = np.flatnonzero(moved)
        _, jac_out[rows] = prob.value_and_jacobian(q_out[rows])
    return q_out, tip_out, jac_out, f_out


# -- damped least squares -------------------------------------------------------------
def _gram(jac):
    """Entries a, b, c of J J^T = [[a, b], [b, c]], each (m,)."""
    j0, j1 = jac[:, 0], jac[:, 1]
    return (np.einsum("bj,bj->b", j0, j0), np.einsum("bj,bj->b", j0, j1),
            np.einsum("bj,bj->b", j1, j1))


def _damped(jac, e, lam2, solve_last=None):
    """``J^T (J J^T + lam2 I)^-1 e`` (B, n) for J (B, m, n), e (B, m), lam2 (B,) > 0.

    From :data:`CHOLESKY_ROWS` rows on, elementwise over the batch (:func:`_damped_last`;
    a batch-last view J, as :meth:`~armsim.ik.problems.SpatialTarget.value_and_jacobian`
    gives, is used as it is), where the per-row LAPACK solve costs ~0.35 us a row; below,
    the LAPACK solve (the same as one row's).  The two agree to rounding (tests: 1e-12)."""
    if len(jac) < CHOLESKY_ROWS:
        g = jac @ np.swapaxes(jac, -1, -2)                 # J J^T (matmul: as one row's J @ J.T)
        diag = np.arange(e.shape[-1])
        g[:, diag, diag] += lam2[:, None] if lam2.ndim == 1 else lam2    # + lam2 I (same bits)
        # J J^T + lam2 I is positive definite, but at a singular pose with a tiny lam2 it
        # can be singular to rounding: the raw solve then gives NaN (the step is rejected)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return np.einsum("bin,bi->bn", jac, _solve(g, e[..., None])[..., 0])
    J = np.moveaxis(jac, 0, -1)                   # (m, n, B)
    if not J.flags.c_contiguous:
        J = np.ascontiguousarray(J)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):   # as above
        return (solve_last or _damped_last)(J, np.array(e.T), _last(lam2)).T


def _last(lam2):
    """lam2 as the batch-last solves take it: (B,), or one per row (B, m) as (m, B)."""
    return lam2 if lam2.ndim == 1 else np.ascontiguousarray(lam2.T)


def _damped_last(J, y, lam2):
    """:func:`_damped` batch-last: J (m, n, B) C-contiguous, e (m, B) (overwritten: it is
    the solve's work array), lam2 (B,) or one per row (m, B); returns (n, B).  The Gram
    matrix, its Cholesky factor
    and the two triangular solves elementwise over the batch (~80 array operations whatever B)."""
    L, inv = _factor_last(J, lam2)
    _solve_last(L, inv, y)
    return np.einsum("mnb,mb->nb", J, y)


def _factor_last(J, lam2):
    """The lower Cholesky factor L (m, m, B) of ``J J^T + lam2 I`` for J (m, n, B)
    C-contiguous, and the inverses of its diagonal (m, B): elementwise over the batch."""
    m, _, b = J.shape
    L = np.empty((m, m, b))                       # J J^T + lam2 I, then its factor (lower)
    for a in range(m):
        np.einsum("nb,knb->kb", J[a], J[a:], out=L[a:, a])
    L[range(m), range(m)] += lam2
    return _cholesky_last(L)


def _cholesky_last(L):
    """Factor the symmetric (m, m, B) whose lower triangle L holds, in place: (L, the
    inverses of its diagonal (m, B))."""
    m, b = len(L), L.shape[-1]
    inv = np.empty((m, b))                        # 1 / L_jj
    for j in range(m):
        if j:
            L[j:, j] -= np.einsum("kib,ib->kb", L[j:, :j], L[j, :j])
        np.sqrt(L[j, j], out=inv[j])
        np.divide(1.0, inv[j], out=inv[j])
        L[j + 1:, j] *= inv[j]
    return L, inv


def _solve_last(L, inv, y):
    """``y`` (m, B) or (m, r, B) overwritten with ``(L L^T)^-1 y`` (:func:`_factor_last`'s
    factor): L z = y, then L^T x = z, elementwise over the batch."""
    m = len(L)
    one = y.ndim == 2
    for j in range(m):                            # L z = e, then L^T y = z
        if j:
            y[j] -= (np.einsum("ib,ib->b", L[j, :j], y[:j]) if one else
                     np.einsum("ib,irb->rb", L[j, :j], y[:j]))
        y[j] *= inv[j]
    for j in range(m - 1, -1, -1):
        if j < m - 1:
            y[j] -= (np.einsum("ib,ib->b", L[j + 1:, j], y[j + 1:]) if one else
                     np.einsum("ib,irb->rb", L[j + 1:, j], y[j + 1:]))
        y[j] *= inv[j]
    return y


def damped_blocks_last(J, y, lam2, blocks, shared):
    """:func:`_damped_last` for a Jacobian of blocks: ``blocks`` a list of (row slice,
    columns) whose columns have no entry outside those rows, ``shared`` the other
    columns (index array, s of them).  ``J J^T = D + S S^T`` (D block-diagonal: each block's
    own columns; S the shared columns), and Woodbury's identity gives
    ``(D + lam2 I + S S^T)^-1 y`` from one factor a block and one of
    ``I + S^T (D + lam2 I)^-1 S`` (s x s): two 6 x 6 factors for one 12 x 12 when two
    arms share a torso.  Returns (n, B); equal to :func:`_damped_last` to rounding."""
    b, s = J.shape[2], len(shared)
    S = J[:, shared]                              # (m, s, B)
    K = np.zeros((s, s, b))
    K[range(s), range(s)] = 1.0
    u = np.zeros((s, b))
    solved = []
    for rows, cols in blocks:
        L, inv = _factor_last(np.ascontiguousarray(J[rows][:, cols]),
                              lam2 if lam2.ndim == 1 else lam2[rows])
        rhs = np.concatenate([y[rows][:, None], S[rows]], axis=1)    # (m_t, 1 + s, B)
        _solve_last(L, inv, rhs)
        u += np.einsum("isb,ib->sb", S[rows], rhs[:, 0])
        K += np.einsum("isb,itb->stb", S[rows], rhs[:, 1:])
        solved.append(rhs)
    z = u / K[0] if s == 1 else _solve_last(*_cholesky_last(K), u)
    for (rows, _), rhs in zip(blocks, solved):
        y[rows] = rhs[:, 0] - np.einsum("isb,sb->ib", rhs[:, 1:], z)
    return np.einsum("mnb,mb->nb", J, y)


def _clamped(q, dq, jac, e, lam2, limits, solve_last=None):
    """The DLS step with the joints it would drive past a limit taken out (an active set).

    A joint whose ``q + dq`` leaves its range moves exactly to the limit and leaves the
    step; the others solve again for what is left of the error,
    ``dq_free = J_f^T (J_f J_f^T + lam2 I)^-1 (e - J dq_fixed)`` with ``J_f`` the Jacobian
    with the fixed joints' columns zeroed, up to :data:`CLAMP_PASSES` times (a pass may
    drive another joint out).  Rows with no joint out are not touched (the plain step,
    bit for bit).  Plain clipping instead keeps the step's direction and lets a joint
    pressed on its limit stall the rest of the arm: on 2,000 Panda poses from the middle
    of the ranges, 20 iterations solved 61.7 % with clipping, 80.4 % with this.
    """
    lo, hi = limits[:, 0], limits[:, 1]
    qt = q + dq
    out = (qt < lo) | (qt > hi)
    rows = np.flatnonzero(np.logical_or.reduce(out, axis=1))
    out = out[rows]
    free = np.ones(out.shape, dtype=bool)   # of `rows`: the joints not fixed at a limit
    last = None             # the Jacobian batch-last (m, n, B), from the first pass that needs it
    for p in range(CLAMP_PASSES):
        if p:
            # only the rows just solved again can have a joint out now
            qt = q[rows] + dq[rows]
            out = ((qt < lo) | (qt > hi)) & free
            keep = np.flatnonzero(np.logical_or.reduce(out, axis=1))
            rows, out, free = rows[keep], out[keep], free[keep]
        if not rows.size:
            break
        free &= ~out
        qr = q[rows]
        fixed = np.where(free, 0.0, np.minimum(np.maximum(qr + dq[rows], lo), hi) - qr)
        if len(rows) < CHOLESKY_ROWS:
            jr = jac[rows]
            r = e[rows] - np.einsum("bin,bn->bi", jr, fixed)
            jr *= free[:, None, :]
            dq[rows] = _damped(jr, r, lam2[rows]) + fixed
            continue
        # elementwise over the rows, batch-last (no (rows, m, n) transposes)
        if last is None:
            last = np.moveaxis(jac, 0, -1)
        jr = last.take(rows, axis=-1)                     # (m, n, rows)
        r = np.einsum("inb,bn->ib", jr, fixed)
        np.subtract(e[rows].T, r, out=r)                  # e - J dq_fixed (m, rows)
        jr *= free.T.astype(float)      # (a float mask: 3x faster than a bool one)
        # as in _damped: a system singular to rounding gives NaN, a step dls rejects
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            dq[rows] = ((solve_last or _damped_last)(jr, r, _last(lam2[rows])) + fixed.T).T
    return dq


def _clamped_one(q, dq, jac, e, lam2, lo, hi, eye):
    """:func:`_clamped` for one row (q, dq (n,), jac (m, n), e (m,), lam2 a float): the
    same arithmetic on unbatched arrays (the reference the tests hold the float path's
    clamp, :func:`armsim.ik.spatial_scalar._clamped`, to)."""
    free = None
    for _ in range(CLAMP_PASSES):
        qt = q + dq
        out = (qt < lo) | (qt > hi)
        if free is not None:
            out &= free
        if not np.logical_or.reduce(out):
            break
        free = ~out if free is None else free & ~out
        fixed = np.where(free, 0.0, np.minimum(np.maximum(qt, lo), hi) - q)
        jf = jac * free
        r = e - np.einsum("in,n->i", jac, fixed)
        dq = np.einsum("in,i->n", jf, _solve(jf @ jf.T + lam2 * eye, r[:, None])[:, 0]) + fixed
    return dq


def dls(ctx, q, tip, jac, f0, aim, mem):
    """Levenberg-Marquardt damped least squares with error-adaptive damping.

    ``dq = J^T (J J^T + lambda^2 I)^-1 e`` with ``lambda^2 = nu |e|^2``: the damping
    is proportional to the squared error (Yamashita and Fukushima's choice), so
    it vanishes at a reachable target (fast local convergence, even where the
    arm is nearly straight) and stays positive for a target out of reach.  For
    any pose ``|dq| <= 1 / (2 sqrt(nu))`` [rad], since ``s / (s^2 + lambda^2) <= 1 / (2 lambda)``
    for every singular value ``s``: no blow-up at singularities.  A step is
    taken only if it lowers the error (then ``nu *= 0.3``); otherwise it is
    rejected and ``nu *= 10``, so the error never grows (the rules:
    :mod:`armsim.ik.attempt`, the factors and bounds: :mod:`armsim.ik.rules`).
    """
    e = _error(ctx, aim, tip)
    nu = mem["nu"]
    lam2 = _damping(ctx, nu, f0, e)                    # > 0: J J^T + lam2 I is invertible
    es, ls = e, lam2
    if e.shape[-1] == 2:
        # closed form of the 2 x 2 solve (the planar point)
        g = np.einsum("bin,bjn->bij", jac, jac)           # J J^T (B, 2, 2)
        a, b, c = g[:, 0, 0] + lam2, g[:, 0, 1], g[:, 1, 1] + lam2
        y = np.stack([c * e[:, 0] - b * e[:, 1], a * e[:, 1] - b * e[:, 0]], axis=-1)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):   # as below
            y = y / (a * c - b * b)[:, None]
            dq = np.einsum("bin,bi->bn", jac, y)
    else:
        # (a robot's tool beyond its reach: its rows weigh less, by their damping)
        es, ls = _weighed_damping(_row_weights(ctx, aim), e, lam2)
        dq = _damped(jac, es, ls, ctx.problem.damped_last)
    if ctx.problem.clamps:
        dq = _clamped(q, dq, jac, es, ls, ctx.problem.limits, ctx.problem.damped_last)
    finite = np.isfinite(dq)
    if not finite.all():
        # a damped system singular to rounding (a singular pose, lam2 near its floor): no
        # move, so the step is rejected and nu grows tenfold
        dq[~np.logical_and.reduce(finite, axis=1)] = 0.0
    qt, tt, jt, ft = _evaluate(ctx, ctx.problem.clip(q + dq), aim)
    ok = rule.accepted(f0, ft)
    mem["nu"] = rule.damped(nu, ok, rule.ARRAYS)
    if ok.all():
        return qt, tt, jt, ft
    bad = ~ok
    qt[bad], tt[bad], jt[bad], ft[bad] = q[bad], tip[bad], jac[bad], f0[bad]
    last = ctx._error             # (tt, aim, error at tt) from _evaluate: the rejected rows
    if last is not None and last[0] is tt and last[1] is aim:    # go back to their error
        last[2][bad] = e[bad]
    else:
        ctx._error = None
    return qt, tt, jt, ft


def dls_one(ctx, q, tip, jac, f0, aim, mem):
    """:func:`dls` for one row (q (1, n), a problem with clamps): the same step on unbatched
    arrays (the damped solve as one row's ``J J^T + lam2 I``, the clamp
    :func:`_clamped_one`), the same arithmetic, fewer numpy calls: one row's attempts
    by the arrays (:meth:`armsim.ik.loop.Solver._attempt_one`, when the float path's
    Cholesky pivot failed)."""
    e = _error(ctx, aim, tip)
    nu = mem["nu"]
    lam2 = _damping(ctx, nu, f0, e)
    es, ls = _weighed_damping(_row_weights(ctx, aim), e, lam2)     # (as dls)
    J, e0 = jac[0], es[0]
    lam = float(ls[0]) if ls.ndim == 1 else ls[0]
    prob = ctx.problem
    eye = ctx.__dict__.get("_eye_one")
    if eye is None or len(eye) != len(e0):
        eye = ctx._eye_one = np.eye(len(e0))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g = J @ J.T + lam * eye                        # the bits of the batch's J J^T + lam2 I
        dq = _clamped_one(q[0], np.einsum("in,i->n", J, _solve(g, e0[:, None])[:, 0]),
                          J, e0, lam, prob.limits[:, 0], prob.limits[:, 1], eye)
    if not np.isfinite(dq).all():
        dq = np.zeros_like(dq)                        # singular to rounding: no move (rejected)
    qt, tt, jt, ft = _evaluate(ctx, prob.clip(q + dq[None]), aim)
    ok = rule.accepted(f0, ft)
    mem["nu"] = rule.damped(nu, ok, rule.ARRAYS)
    if ok.all():
        return qt, tt, jt, ft
    ctx._error = (tip, aim, e)            # back to the row's error (the next step reuses it)
    return q, tip, jac, f0


# -- pseudo-inverse ---------------------------------------------------------------------
def _pinv2(jac, e):
    """``(J J^T)^+ e`` for a 2-row J, from the closed-form eigen-decomposition of the 2 x 2."""
    a, b, c = _gram(jac)
    half_tr = 0.5 * (a + c)
    disc = np.hypot(0.5 * (a - c), b)
    s1, s2 = half_tr + disc, np.maximum(half_tr - disc, 0.0)
    phi = 0.5 * np.arctan2(2.0 * b, a - c)
    v1 = np.stack([np.cos(phi), np.sin(phi)], axis=-1)
    v2 = np.stack([-v1[:, 1], v1[:, 0]], axis=-1)
    keep1 = s1 > 0
    keep2 = s2 > PINV_RCOND * s1
    w1 = np.where(keep1, np.einsum("bi,bi->b", v1, e) / np.where(keep1, s1, 1.0), 0.0)
    w2 = np.where(keep2, np.einsum("bi,bi->b", v2, e) / np.where(keep2, s2, 1.0), 0.0)
    return v1 * w1[:, None] + v2 * w2[:, None]


def pinv(ctx, q, tip, jac, f, aim, mem):
    """Jacobian pseudo-inverse step ``dq = J^+ e``.

    ``J^+ e = J^T V diag(1/s) V^T e`` from the eigen-decomposition of the m x m
    ``J J^T`` (closed form for m = 2); eigenvalues under ``1e-10`` of the largest
    are dropped.  The largest joint change is capped to ``max_joint_step`` [rad]
    (near a singularity ``J^+`` asks for huge steps), and a row whose error or Jacobian
    is not finite does not move; nothing else safeguards it.
    """
    o = ctx.options
    e = ctx.problem.error(aim, tip)
    jac = weighted(ctx, aim, jac)       # (the next iteration's comes from _evaluate)
    bad = ~(np.logical_and.reduce(np.isfinite(e), axis=-1)
            & np.isfinite(jac).reshape(len(jac), -1).all(axis=-1))
    if bad.any():       # a function not finite at q (NaN for eigh): such a row stays put
        e, jac = np.where(bad[:, None], 0.0, e), np.where(bad[:, None, None], 0.0, jac)
    if e.shape[-1] == 2:
        y = _pinv2(jac, e)
    else:
        # J^+ e = J^T (J J^T)^+ e, eigenvalues under PINV_RCOND of the largest dropped
        s, v = np.linalg.eigh(np.einsum("bin,bjn->bij", jac, jac))
        keep = s > PINV_RCOND * s[:, -1:]
        w = np.where(keep, np.einsum("bij,bi->bj", v, e) / np.where(keep, s, 1.0), 0.0)
        y = np.einsum("bij,bj->bi", v, w)
    dq = _jte(jac, y)
    big = np.max(np.abs(dq), axis=-1, keepdims=True)
    dq = dq * np.minimum(1.0, o.max_joint_step / np.where(big > 0, big, 1.0))
    return _evaluate(ctx, ctx.problem.clip(q + dq), aim)


# -- cyclic coordinate descent --------------------------------------------------------------
def ccd(ctx, q, tip, jac, f, aim, mem):
    """One sweep of cyclic coordinate descent, tip joint first.

    Each joint turns (within its limits) so that the line from it to the tip
    points at the aim; the joints beyond it turn rigidly with it.  A spatial
    problem (one with ``ccd_sweep``, :class:`~armsim.ik.problems.SpatialTarget`)
    does its own sweep.
    """
    if hasattr(ctx.problem, "ccd_sweep"):
        return _evaluate(ctx, ctx.problem.ccd_sweep(q, aim), aim, need_jac=False)
    chain = ctx.problem.chain
    q = q.copy()
    pts = kin.joints(chain, q)
    lim = chain.limits
    for j in range(chain.n - 1, -1, -1):
        pj = pts[:, j]
        a = pts[:, -1] - pj
        b = aim - pj
        delta = np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], np.einsum("bi,bi->b", a, b))
        new = q[:, j] + delta
        if lim is not None:
            new = np.clip(new, lim[j, 0], lim[j, 1])
        delta = new - q[:, j]
        q[:, j] = new
        cs, sn = np.cos(delta)[:, None], np.sin(delta)[:, None]
        rel = pts[:, j + 1:] - pj[:, None]
        pts[:, j + 1:] = pj[:, None] + np.stack(
            [cs * rel[..., 0] - sn * rel[..., 1], sn * rel[..., 0] + cs * rel[..., 1]], axis=-1)
    return _evaluate(ctx, q, aim, need_jac=False)


# -- FABRIK -----------------------------------------------------------------------------------
def _unit(d, fallback):
    n = np.linalg.norm(d, axis=-1, keepdims=True)
    return np.where(n > 1e-300, d / np.where(n > 1e-300, n, 1.0), fallback)


def fabrik(ctx, q, tip, jac, f, aim, mem):
    """One FABRIK iteration (a backward and a forward pass on the joint positions).

    Backward: the tip is put on the aim and each joint is pulled onto the line
    to the next one at its segment's length; forward: the base is put back and
    the same is done outwards.  For an aim at full reach (a target out of reach)
    the published rule is used instead: each joint is put on the line from the
    previous one to the aim.  The positions are converted back to relative
    angles (each change wrapped to [-pi, pi)) and clipped to the joint limits,
    so the state stays the angles.
    """
    chain = ctx.problem.chain
    n, lengths = chain.n, chain.lengths
    pts = kin.joints(chain, q)
    dirs = np.diff(pts, axis=1) / lengths[:, None]        # current segment directions
    rel = aim - chain.base
    far = np.einsum("bi,bi->b", rel, rel) >= chain.reach**2 * (1.0 - 1e-12)
    if far.any():
        # the published rule for a target at (or beyond) full reach: every joint
        # on the line from the previous one to the target
        rows = np.flatnonzero(far)
        p = pts[rows]
        for i in range(n):
            p[:, i + 1] = p[:, i] + lengths[i] * _unit(aim[rows] - p[:, i], dirs[rows, i])
        pts[rows] = p
    near = np.flatnonzero(~far)
    if near.size:
        p, d = pts[near], dirs[near]
        p[:, -1] = aim[near]
        for i in range(n - 1, -1, -1):
            p[:, i] = p[:, i + 1] + lengths[i] * _unit(p[:, i] - p[:, i + 1], -d[:, i])
        p[:, 0] = chain.base
        for i in range(n):
            p[:, i + 1] = p[:, i] + lengths[i] * _unit(p[:, i + 1] - p[:, i], d[:, i])
        pts[near] = p
    seg = np.diff(pts, axis=1)
    theta = np.arctan2(seg[..., 1], seg[..., 0])
    rel_q = np.diff(theta, axis=-1, prepend=0.0)
    q_new = chain.clip(q + kin.wrap(rel_q - q))
    return _evaluate(ctx, q_new, aim, need_jac=False)


STEPS = {"gradient": gradient, "dls": dls, "pinv": pinv, "ccd": ccd, "fabrik": fabrik}
NEEDS_JACOBIAN = {"gradient": True, "dls": True, "pinv": True, "ccd": False, "fabrik": False}
MEMORY = {"dls": ("nu",), "gradient": ("t", "c")}
