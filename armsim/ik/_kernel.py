"""The compiled solve: :mod:`armsim.ik.compiled`'s numba kernels (imported only there, on
first use, so ``import armsim`` never loads numba).

:func:`solve_one` is one whole solve (starts, restarts, give-up, whole turns, deadline);
:func:`solve_rows` runs it on each row of a batch, on every core; :func:`attempt` is one
attempt (:func:`attempt_rows`: one per row, for a batch whose restarts Python keeps).  The
rule is :mod:`armsim.ik.attempt`'s own functions, compiled here with :data:`NB` for their
backend (``where``, ``maximum`` and ``minimum`` on numbers); the forward pass carries each
joint's one-hot tangent as its twist (:func:`evaluate`: the tool's pose and, per joint, the
velocity its unit rate gives the tool, ``(z x (p - o), z)``, times the mimic multiplier).
Compiled once per install (numba's cache, beside the sources).
"""

from __future__ import annotations

import hashlib
import math

import numba as nb
import numpy as np

from armsim.ik import (_clock, _kernel_parts, attempt as rule, restart_table, rotvec, rules,
                       settings)
from armsim.ik._clock import now
from armsim.ik._kernel_parts import (HISTORY, NB, _clip, _floats32, _ints, _jit, _jit_in,
                                     _lambda2, _part1, _part2, _scratch_in, _start, _through, _turn,
                                     _view1, _view2, _view3, scratch, space)

accepted, damped, recorded = _jit(rule.accepted), _jit(rule.damped), _jit(rule.recorded)
too_slow, stopped, stalled = _jit(rule.too_slow), _jit(rule.stopped), _jit(rule.stalled)
small, wide = _jit(rotvec.small), _jit(rotvec.wide)


def _fingerprint():
    """A fingerprint of the other sources compiled into these kernels: numba's cache of a
    function is checked against its own file's content only, so a change to a function or
    constant it calls from another module would otherwise keep the old code."""
    h = hashlib.sha256()
    for mod in (_kernel_parts, _clock, rule, rotvec, rules, settings, restart_table):
        with open(mod.__file__, "rb") as f:
            h.update(f.read())
    return int(h.hexdigest()[:15], 16)


#: the fingerprint of the sources now (:func:`frozen_sources`: as compiled)
SOURCES = _fingerprint()


@_jit
def frozen_sources():
    """:data:`SOURCES` as compiled (:func:`armsim.ik.compiled.kernel` compiles every
    function again when it differs)."""
    return SOURCES


@_jit
def frozen():
    """The rule constants as compiled (:mod:`armsim.ik.compiled` compares them with
    :mod:`armsim.ik.rules`' and compiles again when a constant changed)."""
    return (rules.NU_MIN, rules.NU_MAX, rules.NU_DOWN, rules.NU_UP, float(rules.PATIENCE),
            rules.LOWER)


@_jit
def evaluate(q, M, tg, sc, e, J, parts, work):
    """One forward pass of the stack ``M`` (:func:`armsim.ik.compiled.model`) at q (n,) for
    the target row ``tg``, each tool's error and residuals scaled by ``sc`` (T,) (1, or
    :data:`armsim.ik.tree.FAR_WEIGHT` for a tool beyond its reach): fills the weighted
    error e (m,), the weighted Jacobian J (m, n) and ``parts`` (the largest position and
    orientation residuals of the tools, then, when it is longer, each tool's residual);
    returns f = |e|^2 / 2.  ``work``: :func:`scratch`'s arrays."""
    (starts, JR, Jt, jfree, jmult, joff, jpris, ER, Et, pose, rows, nrows, w, act,
     toff) = M[:15]
    J[:, :] = 0.0
    R, R2, p, zs, os_, d, col = work
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
            if last:
                _through(R, R2, p, ER, Et, t)
            else:
                _through(R, R2, p, JR, Jt, k)
            if last:
                R[:, :] = R2
                break
            for a in range(3):
                zs[k, a] = R2[a, 2]
                os_[k, a] = p[a]
            _turn(R, R2, p, q[jfree[k]] * jmult[k] + joff[k], jpris[k])
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
        sp, so = math.sqrt(sp), math.sqrt(so)
        parts[0] = max(parts[0], sc[t] * sp)
        parts[1] = max(parts[1], sc[t] * so)
        if parts.shape[0] > 2:
            parts[2 + t] = max(sp, so)
        for i in range(nrows[t]):
            r = rows[t, i]
            e[row0 + i] = d[r] * w[t, r] if w[t, r] != 1.0 else d[r]
            if sc[t] != 1.0:
                e[row0 + i] *= sc[t]
            f += e[row0 + i] * e[row0 + i]
        # each joint's twist at the tool, times its multiplier, onto its free joint
        for k in range(starts[t], starts[t + 1]):
            z0, z1, z2 = zs[k, 0], zs[k, 1], zs[k, 2]
            if jpris[k]:
                col[0], col[1], col[2] = z0, z1, z2
                col[3] = col[4] = col[5] = 0.0
            else:
                l0, l1, l2 = p[0] - os_[k, 0], p[1] - os_[k, 1], p[2] - os_[k, 2]
                col[0] = z1 * l2 - z2 * l1
                col[1] = z2 * l0 - z0 * l2
                col[2] = z0 * l1 - z1 * l0
                col[3], col[4], col[5] = z0, z1, z2
            j, mu = jfree[k], jmult[k] * sc[t]
            for i in range(nrows[t]):
                r = rows[t, i]
                J[row0 + i, j] += col[r] * w[t, r] * mu
        row0 += nrows[t]
    return 0.5 * f


@_jit_in
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


@_jit_in
def _sparsity(M):
    """The sparsity of J in the model ``M``: each row's tool, the joints moving both of two
    tools (and how many), where each tool's rows start (the four arrays of it a step reads,
    passed alone: a call counts a reference to each array it is given)."""
    return M[15], M[16], M[17], M[18]


@_jit_in
def _move(q, J, y, qt, S):
    """qt = q + J^T y, each sum over the rows of the tools joint j moves (the entries of the
    others are zeros: the same sums); ``S``: :func:`_sparsity`."""
    pairs, npair, row0 = S[1], S[2], S[3]
    n = q.shape[0]
    if _one_tool(npair, n):
        for j in range(n):
            s = 0.0
            for i in range(J.shape[0]):
                s += J[i, j] * y[i]
            qt[j] = s + q[j]
        return
    for j in range(q.shape[0]):
        qt[j] = 0.0
    for t in range(npair.shape[0]):
        for jj in range(npair[t, t]):
            j = pairs[t, t, jj]
            s = qt[j]
            for i in range(row0[t], row0[t + 1]):
                s += J[i, j] * y[i]
            qt[j] = s
    for j in range(q.shape[0]):
        qt[j] += q[j]


@_jit_in
def _one_tool(npair, n):
    """Whether the model is one tool that every joint moves (J has no zero blocks: the sums
    run over every joint, in order, without the index table)."""
    return npair.shape[0] == 1 and npair[0, 0] == n


@_jit_in
def _gram(J, G, rowtool, pairs, npair):
    """G = J J^T (its lower triangle), each sum over the joints moving both rows' tools."""
    m, n = J.shape
    if _one_tool(npair, n):
        for a in range(m):
            for b in range(a + 1):
                s = 0.0
                for j in range(n):
                    s += J[a, j] * J[b, j]
                G[a, b] = s
        return
    for a in range(m):
        ta = rowtool[a]
        for b in range(a + 1):
            tb = rowtool[b]
            s = 0.0
            for jj in range(npair[ta, tb]):
                j = pairs[ta, tb, jj]
                s += J[a, j] * J[b, j]
            G[a, b] = s


@_jit
def _step(q, J, e, lam2, lo, hi, passes, G, L, y, r, qt, fixed, isfixed, S):
    """The clamped dls step (:func:`armsim.ik.steps._clamped_one`): qt; False when a
    Cholesky pivot fails.  The Gram ``J J^T`` sums over the joints moving both rows' tools
    (the same sums as over every joint: the others' entries are zeros); ``S``:
    :func:`_sparsity`."""
    m, n = J.shape
    _gram(J, G, S[0], S[1], S[2])
    if not _solve(G, lam2, e, L, y):
        return False
    _move(q, J, y, qt, S)
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
        _move(q, J, y, qt, S)
        for j in range(n):
            if isfixed[j]:
                qt[j] = q[j] + fixed[j]
    for j in range(n):
        qt[j] = min(max(qt[j], lo[j]), hi[j])
    return True


@_jit
def attempt(q, budget, M, tg, sc, lo, hi, wrap, m, half_tol2, damping, floor2, width,
            factor, passes, strict, out, ws, deadline=np.inf, ev=None):
    """One attempt from q (n,, changed in place) for at most ``budget`` iterations (the
    progress rule when ``width`` > 0) and, when ``deadline`` is finite, until
    ``time.perf_counter()`` passes it (checked after the stop test of every iteration, as
    the float path does): ``out`` = (iterations, f, stalled, position residual, orientation
    residual, the deadline passed).  A Cholesky pivot that fails (``J J^T + lam2 I``
    singular to rounding) ends the attempt with False when ``strict`` (the caller takes the
    array path, which solves by LU), else the step is no move (rejected, as the batch's
    step that is not finite).  ``ev``: q's forward pass when the caller made it, (f, e, J,
    parts) of :func:`evaluate` (the arrays are the attempt's to change).  ``ws``: the
    caller's workspace of at least :func:`space` floats, where the attempt's arrays are
    views without a reference count of their own."""
    n = q.shape[0]
    o = 0
    et, Jt, prt = _part1(ws, o, m), _part2(ws, o + m, m, n), _part1(ws, o + m + m * n, 2)
    o += m + m * n + 2
    G, L = _part2(ws, o, m, m), _part2(ws, o + m * m, m, m)
    o += 2 * m * m
    y, r = _part1(ws, o, m), _part1(ws, o + m, m)
    o += 2 * m
    qt, fixed, isfixed = _part1(ws, o, n), _part1(ws, o + n, n), _part1(ws, o + 2 * n, n)
    o += 3 * n
    ring = min(budget, HISTORY) + 1     # f after k iterations in hist[k % ring]
    if width >= ring and budget > HISTORY:
        raise ValueError("attempt: a progress window longer than HISTORY")
    hist = _part1(ws, o, ring)
    o += ring
    work = _scratch_in(M, ws, o)
    o += 33 + 6 * M[1].shape[0]
    if o + m + m * n + 2 > ws.shape[0]:     # the views' end (space sums the same)
        raise ValueError("attempt: workspace too small")
    sparse = _sparsity(M)
    ds = M[19]
    if ev is None:
        e, J, pr = _part1(ws, o, m), _part2(ws, o + m, m, n), _part1(ws, o + m + m * n, 2)
        f = evaluate(q, M, tg, sc, e, J, pr, work)
    else:
        f, e, J, pr = ev
    nu = damping
    best, since, k = f, 0, 0
    hist[0] = f
    slow = timed = False
    two_pi = 2.0 * math.pi
    while True:
        slow = width > 0 and k >= width and too_slow(f, hist[(k - width) % ring], factor)
        if stopped(f, since, half_tol2) or k == budget or slow:
            break
        if deadline < np.inf and now() > deadline:
            timed = True
            break
        lam2 = _lambda2(nu, f, e, ds, floor2)
        if not _step(q, J, e, lam2, lo, hi, passes, G, L, y, r, qt, fixed, isfixed, sparse):
            if strict:
                return False
            qt[:] = q
        for j in range(n):
            if wrap[j]:
                qt[j] = (qt[j] + math.pi) % two_pi - math.pi
        ft = evaluate(qt, M, tg, sc, et, Jt, prt, work)
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
        hist[k % ring] = f
    out[0] = k
    out[1] = f
    out[2] = 1.0 if stalled(since, slow) else 0.0
    out[3] = pr[0]
    out[4] = pr[1]
    out[5] = 1.0 if timed else 0.0
    return True


@_jit
def attempt_rows(Q, budgets, M, T, SC, lo, hi, wrap, m, half_tol2, damping, floor2,
                 widths, factor, passes, out):
    """:func:`attempt` for each row of Q (B, n) with its budget, target row (T (B, size)),
    tool scales (SC (B, tools)) and progress width (0: unwatched), one after another:
    ``out`` (B, 5); returns -1."""
    ws = np.empty(space(M, m, Q.shape[1], budgets.max()) if Q.shape[0] else 0)
    for b in range(Q.shape[0]):
        if not attempt(Q[b], budgets[b], M, T[b], SC[b], lo, hi, wrap, m, half_tol2,
                       damping, floor2, widths[b], factor, passes, False, out[b], ws):
            return b
    return -1


# -- the whole single solve: starts, restarts, give-up (armsim.ik.spatial_scalar.run_one) --
swapped, continuation = _jit(rule.swapped), _jit(rule.continuation)
improved, gave_up_count = _jit(rule.improved), _jit(rule.gave_up_count)


@_jit
def frozen_restarts():
    """The restart constants as compiled (see :func:`frozen`)."""
    return (settings.GIVE_UP_FACTOR,)


@_jit_in
def one_space(M, m, n, S, W, OW):
    """The floats of the workspace :func:`solve_one` takes (its arrays and its attempts')."""
    restarts, near, budget = S[3], S[13], max(S[1], S[2])
    E = max(W[2].shape[0], OW[6].shape[1])
    cap = max(restarts, 1) + 1
    return (M[0].shape[0] - 1 + 6 + E + cap + 2 * (m + m * n + 2) + 33 + 6 * M[1].shape[0]
            + 5 * n + E + cap + max(near, 1) + 2 * (restarts + 1) + (E + 1) // 2
            + space(M, m, n, budget))


@_jit
def solve_one(q0, M, tg, lo, hi, wrap, free, m, S, W, D, OW, out, tools, ws, strict=True,
              deadline=np.inf):
    """:func:`armsim.ik.spatial_scalar.run_one`: the "nearer" first start, the first budget
    and its continuation, the restarts in order, give-up, whole turns of free joints, and a
    ``deadline`` (``time.perf_counter()``; checked in every iteration and before every
    restart, as the float path does).  ``S`` = (tol, max_iter, first budget, restarts,
    nearer, q0_radius^2, give_up (-1: none), progress width, factor, damping, lambda
    floor^2, clamp passes, attainable, starts from the table).  Returns q; ``out`` =
    (iterations, residual, stalled, position, orientation, a start other than q0 ran, the
    deadline passed),
    ``tools`` each tool's residual at q; None when a Cholesky pivot failed and ``strict``
    (the caller takes the array path, which solves by LU; else the step is no move, as the
    batch's).  ``ws``: the caller's workspace of at least :func:`one_space` floats, where
    the solve's arrays are views without a reference count of their own."""
    (tol, max_iter, first, restarts, nearer, r2, give_up, width, factor, damping, floor2,
     passes, attainable, near) = S
    half_tol2 = 0.5 * tol * tol
    n = q0.shape[0]
    T = M[0].shape[0] - 1
    E = max(W[2].shape[0], OW[6].shape[1])
    cap = max(restarts, 1) + 1
    o = 0
    sc, res_out, d, val = (_part1(ws, o, T), _part1(ws, o + T, 6), _part1(ws, o + T + 6, E),
                           _part1(ws, o + T + 6 + E, cap))
    o += T + 6 + E + cap
    e, J, pr = _part1(ws, o, m), _part2(ws, o + m, m, n), _part1(ws, o + m + m * n, 2)
    o += m + m * n + 2
    eb, Jb, prb = _part1(ws, o, m), _part2(ws, o + m, m, n), _part1(ws, o + m + m * n, 2)
    o += m + m * n + 2
    work = _scratch_in(M, ws, o)
    o += 33 + 6 * M[1].shape[0]
    qa, q1, qc, q_cont, q_first = (_part1(ws, o, n), _part1(ws, o + n, n),
                                   _part1(ws, o + 2 * n, n), _part1(ws, o + 3 * n, n),
                                   _part1(ws, o + 4 * n, n))
    o += 5 * n
    cand, idx = _ints(ws, o, E), _ints(ws, o + E, cap)
    o += E + cap
    nearest = _ints(ws, o, max(near, 1))     # the whole table's, once found
    o += max(near, 1)
    # the starts: -1 the caller's clipped q0, -2 a continuation, else restart k
    order, budgets = _ints(ws, o, restarts + 1), _ints(ws, o + restarts + 1, restarts + 1)
    o += 2 * (restarts + 1)
    d32 = _floats32(ws, o, E)
    o += (E + 1) // 2
    # the views end at o, and the attempts' begin there: nothing is read or written before
    # the workspace is known to hold both (one_space, the callers' size, sums the same)
    if o + space(M, m, n, max(max_iter, first)) > ws.shape[0]:
        raise ValueError("solve_one: workspace too small")
    sc[:] = 1.0
    nearest[:] = -1
    wa = ws[o:]                         # the attempts' workspace
    qa[:] = q0
    _clip(qa, lo, hi, wrap)
    w0 = width if attainable else 0
    if restarts == 0:
        q1[:] = qa
        if not attempt(q1, first, M, tg, sc, lo, hi, wrap, m, half_tol2, damping, floor2,
                       width, factor, passes, strict, res_out, wa, deadline):
            return None
        out[0], out[1], out[2] = res_out[0], max(res_out[3], res_out[4]), res_out[2]
        out[3], out[4], out[5], out[6] = res_out[3], res_out[4], 0.0, res_out[5]
        if tools.shape[0] > 1:
            tool_residuals(q1, M, tg, m, tools)
        return q1.copy()
    if not attainable:
        first = max_iter
    for i in range(restarts + 1):
        order[i] = i - 1                # slot 0 for a continuation
        budgets[i] = max_iter
    lo_slot = 1
    restarted = False
    start = qa
    fa = evaluate(qa, M, tg, sc, e, J, pr, work)
    ea2 = 2.0 * fa
    ev = (fa, e, J, pr)          # the first start's forward pass, the attempt's first
    if nearer and not ea2 <= r2:
        qb = _start(0, M, W, D, OW, tg, lo, hi, wrap, near, d, d32, cand, idx, val, nearest)
        fb = evaluate(qb, M, tg, sc, eb, Jb, prb, work)
        restarted = True
        if swapped(ea2, 2.0 * fb, r2):
            start = qb
            ev = (fb, eb, Jb, prb)
            budgets[1] = first
            first = max_iter
            order[1] = -1
    q = q1
    q[:] = start
    if not attempt(q, first, M, tg, sc, lo, hi, wrap, m, half_tol2, damping, floor2, w0,
                   factor, passes, strict, res_out, wa, deadline, ev):
        return None
    timed = res_out[5] > 0.0
    iters = int(res_out[0])
    res = max(res_out[3], res_out[4])
    stalled_ = res_out[2] > 0.0
    pos, ori = res_out[3], res_out[4]
    qc[:] = q
    if nearer and res >= tol:
        extra = continuation(ea2, r2, max_iter, first, NB)
        if extra > 0:
            lo_slot = 0
            order[0] = -2
            budgets[0] = extra
    since = 0
    for slot in range(lo_slot, restarts + 1):
        if res < tol or not attainable or timed:
            break
        if deadline < np.inf and now() > deadline:
            timed = True
            break
        restarted = True
        k = order[slot]
        if k == -2:                 # (each of these two runs once: its own slot)
            q2 = q_cont
            q2[:] = qc
            _clip(q2, lo, hi, wrap)
        elif k == -1:
            q2 = q_first
            q2[:] = qa
        else:
            q2 = _start(k, M, W, D, OW, tg, lo, hi, wrap, near, d, d32, cand, idx, val, nearest)
        if not attempt(q2, budgets[slot], M, tg, sc, lo, hi, wrap, m, half_tol2, damping,
                       floor2, width, factor, passes, strict, res_out, wa, deadline):
            return None
        timed = timed or res_out[5] > 0.0
        iters += int(res_out[0])
        res2 = max(res_out[3], res_out[4])
        since = gave_up_count(since, res2, res, res2, res, True, NB)
        if improved(res2, res, res2, res, True, NB):
            q, res, stalled_, pos, ori = q2, res2, res_out[2] > 0.0, res_out[3], res_out[4]
        if give_up >= 0 and since >= give_up:
            stalled_ = True
            break
    if restarted:
        turned = False
        for j in range(n):
            if free[j]:
                v = q[j] + 2.0 * math.pi * np.rint((q0[j] - q[j]) / (2.0 * math.pi))
                if v != q[j] and lo[j] <= v <= hi[j]:
                    q[j] = v
                    turned = True
        if turned:
            evaluate(q, M, tg, sc, e, J, pr, work)
            pos, ori = pr[0], pr[1]
            res = max(pos, ori)
    out[0], out[1], out[2] = iters, res, 1.0 if stalled_ else 0.0
    out[3], out[4], out[5] = pos, ori, 1.0 if restarted else 0.0
    out[6] = 1.0 if timed else 0.0
    if tools.shape[0] > 1:
        tool_residuals(q, M, tg, m, tools)
    return q.copy()                     # (q may be a view of the workspace)


@_jit_in
def _settings_in(s):
    """:func:`solve_one`'s settings tuple from its numbers (``s``, float64)."""
    return (s[0], int(s[1]), int(s[2]), int(s[3]), s[4] != 0.0, s[5], int(s[6]), int(s[7]),
            s[8], s[9], s[10], int(s[11]), s[12] != 0.0, int(s[13]))


@_jit
def solve_packed(q0, tg, F, F32, I, B, H, attainable, out, tools, deadline):
    """:func:`solve_one` (strict) of the model, limits, restart tables and settings that
    :func:`armsim.ik.compiled.packed` put in four buffers (float64 ``F``, float32 ``F32``,
    int64 ``I``, bool ``B``) and ``H`` (each array's start and shape), in the order of
    :func:`armsim.ik.compiled.one_arrays`: the settings for a target ``attainable`` or not,
    the table's largest squared norm and m among them (a tuple of numbers given to numba
    costs about 0.15 us a call to type, an array a tenth of that)."""
    S = _settings_in(_view1(F, H, 42 if attainable else 43))
    top, m = F[H[45, 0]], int(F[H[45, 0] + 1])
    M = (_view1(I, H, 0), _view3(F, H, 1), _view2(F, H, 2), _view1(I, H, 3), _view1(F, H, 4),
         _view1(F, H, 5), _view1(B, H, 6), _view3(F, H, 7), _view2(F, H, 8), _view1(B, H, 9),
         _view2(I, H, 10), _view1(I, H, 11), _view2(F, H, 12), _view2(B, H, 13),
         _view1(I, H, 14), _view1(I, H, 15), _view3(I, H, 16), _view2(I, H, 17),
         _view1(I, H, 18), _view1(F, H, 46))
    W = (_view2(F, H, 23), _view2(F, H, 24), _view1(F, H, 25), _view2(F32, H, 26),
         _view1(F32, H, 27), top, _view1(F, H, 28))
    OW = (_view1(I, H, 30), _view1(I, H, 31), _view2(I, H, 32), _view1(I, H, 33),
          _view3(F, H, 34), _view3(F, H, 35), _view2(F, H, 36), _view3(F32, H, 37),
          _view2(F32, H, 38), _view1(F, H, 39), _view2(F, H, 40), _view3(F, H, 41))
    ws = np.empty(one_space(M, m, q0.shape[0], S, W, OW))
    return solve_one(q0, M, tg, _view1(F, H, 19), _view1(F, H, 20), _view1(B, H, 21),
                     _view1(B, H, 22), m, S, W, _view2(F, H, 29), OW, out, tools, ws, True,
                     deadline)


@_jit
def solve_target(q0, target, F, F32, I, B, H, out, tools, deadline):
    """:func:`solve_packed` of the targets as the caller gave them, flat, one after another
    in the model's order of tools (a 4 x 4 pose's 16 numbers, or a position's 3), with the
    caller's checks made here, each as strict as :mod:`armsim.ik.inputs`' or stricter:
    every number of a target's row within +-``check[0]`` and each of q0 within
    +-``check[1]`` (NaN is not), a pose's bottom row [0, 0, 0, 1], its rotation's
    deviations from orthonormal within half ``check[2]`` and its determinant above 0.5.
    Whether a tool's target is attainable is decided here when its distance from the
    tool's origin (``check[5 + 4 t:8 + 4 t]``) is clear of its bound (``check[4 + 4 t]``,
    -1: none) by a relative 1e-9.  ``out[7]`` = 1 when a check fails, a distance is that
    near its bound, or a target is beyond reach and ``check[3]`` (a robot's tools: the
    caller's path weighs that tool) -- nothing solved: the caller's own path then decides
    --, else ``out[8]`` = 1 when every target is attainable.  ``check`` is among the packed
    arrays."""
    check = _view1(F, H, 44)
    maxc, maxa, otol, retry = check[0], check[1], check[2], check[3] > 0.0
    out[7] = 1.0
    qa = q0.copy()
    for j in range(qa.shape[0]):
        if not (-maxa <= qa[j] <= maxa):
            return qa
    toff = _view1(I, H, 14)
    tg = np.empty(toff[toff.shape[0] - 1])
    src = 0
    attainable = True
    for t in range(toff.shape[0] - 1):
        o = toff[t]
        pose = toff[t + 1] - o == 12
        if src + (16 if pose else 3) > target.shape[0]:
            return qa
        if pose:
            if not (target[src + 12] == 0.0 and target[src + 13] == 0.0
                    and target[src + 14] == 0.0 and target[src + 15] == 1.0):
                return qa
            for a in range(3):
                tg[o + a] = target[src + 4 * a + 3]
                for b in range(3):
                    tg[o + 3 + 3 * a + b] = target[src + 4 * a + b]
            a0, a1, a2, b0, b1, b2, c0, c1, c2 = (tg[o + 3], tg[o + 4], tg[o + 5], tg[o + 6],
                                                  tg[o + 7], tg[o + 8], tg[o + 9], tg[o + 10],
                                                  tg[o + 11])
            dev = max(abs(a0 * a0 + a1 * a1 + a2 * a2 - 1), abs(a0 * b0 + a1 * b1 + a2 * b2),
                      abs(a0 * c0 + a1 * c1 + a2 * c2), abs(b0 * b0 + b1 * b1 + b2 * b2 - 1),
                      abs(b0 * c0 + b1 * c1 + b2 * c2), abs(c0 * c0 + c1 * c1 + c2 * c2 - 1))
            det = (a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0)
                   + a2 * (b0 * c1 - b1 * c0))
            if not (dev <= 0.5 * otol and det > 0.5):
                return qa
            src += 16
        else:
            for a in range(3):
                tg[o + a] = target[src + a]
            src += 3
        for a in range(o, toff[t + 1]):
            if not (-maxc <= tg[a] <= maxc):
                return qa
        bound = check[4 + 4 * t]
        if bound >= 0.0:
            d2 = ((tg[o] - check[5 + 4 * t]) ** 2 + (tg[o + 1] - check[6 + 4 * t]) ** 2
                  + (tg[o + 2] - check[7 + 4 * t]) ** 2)
            if d2 >= (bound * (1.0 + 1e-9)) ** 2:
                attainable = False
            elif not d2 <= (bound * (1.0 - 1e-9)) ** 2:
                return qa
    if src != target.shape[0] or (retry and not attainable):
        return qa
    out[7] = 0.0
    out[8] = 1.0 if attainable else 0.0
    q = solve_packed(qa, tg, F, F32, I, B, H, attainable, out, tools, deadline)
    if q is None:
        out[7] = 2.0
        return qa
    return q


@_jit
def tool_residuals(q, M, tg, m, out):
    """Each tool's residual at q (the larger of its position and orientation residuals,
    unweighted): ``out`` (tools,)."""
    T = M[0].shape[0] - 1
    pr = np.empty(2 + T)
    evaluate(q, M, tg, np.ones(T), np.empty(m), np.empty((m, q.shape[0])), pr, scratch(M))
    out[:] = pr[2:]


@nb.njit(cache=True, nogil=True, parallel=True)
def solve_rows(Q0, M, T, attainable, lo, hi, wrap, free, m, S, W, D, OW, out, tools):
    """:func:`solve_one` for each row of Q0 (B, n) and T (B, target size), on every thread
    (the rows are independent: the same answers as one after another): returns Q (B, n)
    and fills ``out`` (B, 7) and ``tools`` (B, tools); a step whose Cholesky pivot fails is
    no move (the batch's rule).  ``attainable`` (B,) replaces ``S``'s flag."""
    Q = np.empty_like(Q0)
    for b in nb.prange(Q0.shape[0]):
        Sb = (S[0], S[1], S[2], S[3], S[4], S[5], S[6], S[7], S[8], S[9], S[10], S[11],
              attainable[b], S[13])
        ws = np.empty(one_space(M, m, Q0.shape[1], Sb, W, OW))
        q = solve_one(Q0[b], M, T[b], lo, hi, wrap, free, m, Sb, W, D, OW, out[b], tools[b],
                      ws, False)
        if q is not None:           # (not strict: always an answer)
            Q[b] = q
    return Q
