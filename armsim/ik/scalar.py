"""One planar ``dls`` solve on Python floats: the single-problem path of the loop.

:meth:`~armsim.ik.loop.Solver.run` is array code for a batch; for one problem at
small N the cost of a solve is then the number of numpy calls (about a microsecond
each), not the arithmetic.  :func:`run_one` is the same algorithm as ``run`` with
``method="dls"`` on a :class:`~armsim.ik.problems.PlanarPoint` -- the aim on the
workspace annulus, the ``"nearer"`` first start, the short first budget and its
continuation, the geometric restarts (:meth:`PlanarPoint.pointed`), the
error-adaptive damping, the stall test and the whole turns of the free joints --
written on lists of floats with :mod:`math`.  The arithmetic is the same up to the
order of a few sums (numpy's pairwise sums and matrix products), so its answers
equal the batch path's to rounding (tests: 1e-12, the same iterations and reasons).
"""

from __future__ import annotations

import math

import numpy as np

from armsim.ik import attempt as rule
from armsim.ik import planar as kin
from armsim.ik.problems import SCALES, _restart_table
from armsim.ik.rules import reason as _reason, whole_turns

__all__ = ["run_one", "MAX_N"]

MAX_N = 24          # above this many joints the array path is as fast
_TWO_PI = 2.0 * math.pi
# numpy's arctan2 and hypot on scalars: the same values as on arrays (math's differ in the
# last bit), so a geometric start is the batch path's, bit for bit
_atan2, _hypot = np.arctan2, np.hypot


def _tip(q, lengths, bx, by):
    th = x = y = 0.0
    for qi, li in zip(q, lengths):
        th += qi
        x += li * math.cos(th)
        y += li * math.sin(th)
    return x + bx, y + by


def _tip_jac(q, lengths, bx, by):
    """Tip and the Jacobian's two rows d tip / d q (lists)."""
    n = len(q)
    cs, ss = [0.0] * n, [0.0] * n
    th = 0.0
    for j in range(n):
        th += q[j]
        cs[j] = lengths[j] * math.cos(th)
        ss[j] = lengths[j] * math.sin(th)
    jx, jy = [0.0] * n, [0.0] * n
    ax = ay = 0.0
    for j in range(n - 1, -1, -1):
        ax += cs[j]
        ay += ss[j]
        jx[j], jy[j] = -ay, ax
    return sum(cs) + bx, sum(ss) + by, jx, jy


def _clip(q, lo, hi):
    if lo is None:
        return q
    return [min(max(v, a), b) for v, a, b in zip(q, lo, hi)]


def _wrap(a):
    return (a + math.pi) % _TWO_PI - math.pi


class _Planar:
    """What the float path needs of a :class:`PlanarPoint` (lists), kept on the problem."""

    def __init__(self, prob):
        chain = prob.chain
        self.lengths = chain.lengths.tolist()
        self.bx, self.by = (float(v) for v in chain.base)
        if chain.limits is None:
            self.lo = self.hi = None
            self.free = [True] * chain.n
        else:
            self.lo, self.hi = chain.limits[:, 0].tolist(), chain.limits[:, 1].tolist()
            probe = 4.0 * math.pi
            self.free = [min(max(probe, a), b) == probe for a, b in zip(self.lo, self.hi)]
        self.r_in, self.r_out = prob._radii
        self.fold = prob._fold
        self.tables = {}


def _planar(prob):
    data = prob.__dict__.get("_scalar")
    if data is None:
        data = prob._scalar = _Planar(prob)
    return data


def _within(q, P):
    """Whether the joint values q (a list) are within P's limits (True without)."""
    return P.lo is None or all(lo <= v <= hi for v, lo, hi in zip(q, P.lo, P.hi))


def _pointed(P, shape, dist, scales, ax, ay, clip=True):
    """:meth:`PlanarPoint.pointed` for one aim."""
    rx, ry = ax - P.bx, ay - P.by
    r = float(_hypot(rx, ry))
    k = next((i for i, d in enumerate(dist) if d <= r), None)
    start = None
    if k is None and P.fold is not None:        # the folded shape (kin.fold_plan)
        j, flip, a, b = P.fold
        start = [0.0] * len(shape)
        if flip >= 0:
            start[flip] = math.pi
        c = (r * r - a) / b
        bend = float(np.arccos(min(max(c, -1.0), 1.0)))
        start[j] = bend if shape[j] >= 0.0 else -bend
        if not c <= 1.0 or not _within(start, P):
            start = None        # it cannot reach r, or the limits forbid it: the pattern's
    if start is None:
        k = len(scales) - 1 if k is None else k
        k0 = k - 1 if k > 0 else 0
        d0, d1 = dist[k0], dist[k]
        w = (d0 - r) / (d0 - d1) if d0 > d1 else 0.0
        c = scales[k0] + min(max(w, 0.0), 1.0) * (scales[k] - scales[k0])
        start = [c * v for v in shape]
    tx, ty = _tip(start, P.lengths, P.bx, P.by)
    start[0] += _wrap(float(_atan2(ry, rx)) - float(_atan2(ty - P.by, tx - P.bx)))
    return _clip(start, P.lo, P.hi) if clip else start


def run_one(solver, target, q0):
    """``solver.run(target[None], q0[None])`` for one planar problem and ``method="dls"``:
    (q (list), iterations, residual, reason)."""
    prob = solver.problem
    P = _planar(prob)
    lengths, bx, by, lo, hi = P.lengths, P.bx, P.by, P.lo, P.hi
    tol, max_iter = solver.tol, solver.max_iter
    half_tol2 = 0.5 * tol * tol
    floor2 = solver.lambda_floor2
    damping = solver.options.damping
    tgx, tgy = float(target[0]), float(target[1])
    # the aim: the target, or the nearest point of the workspace annulus
    rx, ry = tgx - bx, tgy - by
    dist = math.sqrt(rx * rx + ry * ry)
    reachable = P.r_in <= dist <= P.r_out
    if reachable:
        amx, amy = tgx, tgy
    else:
        ux, uy = (rx / dist, ry / dist) if dist > 0 else (1.0, 0.0)
        radius = min(max(dist, P.r_in), P.r_out)
        amx, amy = bx + radius * ux, by + radius * uy

    def attempt(q, budget):
        q = _clip(q, lo, hi)
        x, y, jx, jy = _tip_jac(q, lengths, bx, by)
        e0, e1 = amx - x, amy - y
        f = 0.5 * (e0 * e0 + e1 * e1)
        nu = damping
        best, since, k = f, 0, 0
        while not (rule.stopped(f, since, half_tol2) or k == budget):
            lam2 = nu * 2.0 * f + floor2
            a = b = c = 0.0
            for u, v in zip(jx, jy):
                a += u * u
                b += u * v
                c += v * v
            a += lam2
            c += lam2
            det = a * c - b * b
            if det != 0.0:
                y0, y1 = (c * e0 - b * e1) / det, (a * e1 - b * e0) / det
                qt = [qi + u * y0 + v * y1 for qi, u, v in zip(q, jx, jy)]
            if det == 0.0 or not all(map(math.isfinite, qt)):
                # J J^T + lam2 I singular to rounding (lam2 far below |J|^2: one segment,
                # a tight tol): no move, so the step is rejected, as on the arrays
                qt = q
            qt = _clip(qt, lo, hi)
            xt, yt, jxt, jyt = _tip_jac(qt, lengths, bx, by)
            t0, t1 = amx - xt, amy - yt
            ft = 0.5 * (t0 * t0 + t1 * t1)
            ok = rule.accepted(f, ft)
            nu = rule.damped(nu, ok, rule.FLOATS)
            if ok:
                q, x, y, jx, jy, e0, e1, f = qt, xt, yt, jxt, jyt, t0, t1, ft
            best, since = rule.recorded(f, best, since, rule.FLOATS)
            k += 1
        dx, dy = tgx - x, tgy - y
        return (q, k, math.sqrt(dx * dx + dy * dy), math.sqrt(e0 * e0 + e1 * e1),
                rule.stalled(since, False))

    def miss(res, off):
        return res >= tol if reachable else off >= tol

    q0 = [float(v) for v in q0]
    first = rule.first_budget(solver)
    if not solver.restarts:
        q, iters, res, off, stalled = attempt(q0, first)
        return q, iters, res, _reason(res, tol, reachable, stalled)
    shapes, dists = _restart_table(prob.chain.lengths, solver.restarts, solver.seed)
    key = (id(shapes), id(dists))
    lists = P.tables.get(key)
    if lists is None or lists[0] is not shapes:
        if len(P.tables) > 8:
            P.tables.clear()
        lists = P.tables[key] = (shapes, shapes.tolist(), dists.tolist(), SCALES.tolist())
    _, shape_l, dist_l, scales = lists

    table = []                  # limits: the batch's table of joint vectors, when needed

    def start_of(k):
        if P.lo is None:
            return _pointed(P, shape_l[k], dist_l[k], scales, amx, amy)
        # limits: the pattern's start, or where it leaves them, the table's k-th nearest
        q = _pointed(P, shape_l[k], dist_l[k], scales, amx, amy, clip=False)
        if k < kin.LIMITED_TABLE and not _within(q, P):
            if not table:
                table.extend(kin.limited_table(prob.chain, solver.seed))
            i = int(kin.nearest_entry(table[1], np.array([[amx, amy]]), k)[0])
            return table[0][i].tolist()
        return _clip(q, P.lo, P.hi)

    starts = [(lambda k=k: start_of(k)) for k in range(solver.restarts)]
    budgets = [max_iter] * solver.restarts
    restarted = False
    nearer = solver.first_start == "nearer"
    r2 = solver.q0_radius ** 2
    start = q0
    if nearer:
        qa = _clip(q0, lo, hi)
        xa, ya = _tip(qa, lengths, bx, by)
        ea2 = (amx - xa) ** 2 + (amy - ya) ** 2
        if not ea2 <= r2:
            qb = start_of(0)
            xb, yb = _tip(qb, lengths, bx, by)
            eb2 = (amx - xb) ** 2 + (amy - yb) ** 2
            restarted = True
            if rule.swapped(ea2, eb2, r2):
                start, budgets[0], first = qb, first, max_iter
                starts[0] = lambda: qa
            else:
                start = qa
                starts[0] = lambda: qb
    q, iters, res, off, stalled = attempt(start, first)
    if nearer and miss(res, off):
        extra = rule.continuation(ea2, r2, max_iter, first, rule.FLOATS)
        if extra > 0:
            q_first = q
            starts.insert(0, lambda: q_first)
            budgets.insert(0, extra)
    for make, budget in zip(starts, budgets):
        if not miss(res, off):
            break
        restarted = True
        q2, it2, res2, off2, st2 = attempt(make(), budget)
        iters += it2
        if rule.improved(res2, res, off2, off, reachable, rule.FLOATS):
            q, res, off, stalled = q2, res2, off2, st2
    if restarted and True in P.free:
        # free joints turn by whole turns to within pi of the caller's start
        turned = whole_turns(q, q0, P.free, P.lo, P.hi)
        if turned != q:
            q = turned
            x, y = _tip(q, lengths, bx, by)
            res = math.sqrt((tgx - x) ** 2 + (tgy - y) ** 2)
    return q, iters, res, _reason(res, tol, reachable, stalled)
