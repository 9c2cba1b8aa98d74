"""The compiled path of the spatial ``dls`` solve, in numba (``pip install 'armsim[fast]'``;
on with :func:`use` or ``ARMSIM_COMPILED=1``).

One function, :func:`armsim.ik._kernel.solve_one`, is the whole single solve of
:func:`armsim.ik.spatial_scalar.run_one` (its starts, restarts, give-up, whole turns and
deadline), and ``solve_batch`` runs it on each row, on every core
(:func:`armsim.ik._kernel.solve_rows`, :func:`run_rows`); :mod:`armsim.ik.attempt`'s rule
functions are compiled into it from their source.  A batch with a ``timeout`` keeps the
Python restarts around compiled attempts (:func:`attempts`).  A robot's tools and a chain
are one model (:func:`model`): each tool's chain of joints, each joint a turn about (or a
slide along) its local z, its value ``q[free] * multiplier + offset``.

Off by default: in a fresh process numba's import and the loading of the cached kernels
cost about a third of a second, and the first use after an install compiles them for tens
of seconds (``python bench/first_solve.py``).
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings

import numpy as np

from armsim.ik import restart_table, rules, settings, steps
from armsim.ik.attempt import first_budget as rule_first_budget
from armsim.ik.inputs import ORTHONORMAL_TOL
from armsim.kinematics.planar import MAX_ANGLE, MAX_COORDINATE

__all__ = ["available", "use", "on", "enabled", "model", "alike", "attempts", "run_one",
           "run_target", "run_rows"]

_KERNEL = []            # the loaded kernel module, once
_FROZEN = [None]        # the rule constants the loaded kernel holds
_PARALLEL = threading.Lock()    # solve_rows from several Python threads: one at a time


def available() -> bool:
    """Whether numba can be imported (the ``fast`` extra)."""
    return importlib.util.find_spec("numba") is not None


_ON = [os.environ.get("ARMSIM_COMPILED", "") == "1"]
if _ON[0] and not available():
    _ON[0] = False
    warnings.warn("ARMSIM_COMPILED=1 is ignored: the compiled solve needs numba "
                  "(pip install 'armsim[fast]')", stacklevel=2)


def use(on: bool = True) -> bool:
    """Turn the compiled solve on (or off) for later solves; returns the previous
    setting.  ValueError when on and numba is not installed."""
    if not (isinstance(on, (bool, np.bool_)) or (isinstance(on, int) and on in (0, 1))):
        raise ValueError(f"use() takes True or False, got {on!r}")   # ("no" is truthy)
    if on and not available():
        raise ValueError("the compiled solve needs numba: pip install 'armsim[fast]'")
    old = _ON[0]
    _ON[0] = bool(on)
    return old


def _constants():
    """The rule constants the kernel compiles in (:mod:`armsim.ik.rules`'s and
    ``settings.GIVE_UP_FACTOR``), as they are now."""
    return (rules.NU_MIN, rules.NU_MAX, rules.NU_DOWN, rules.NU_UP, float(rules.PATIENCE),
            rules.LOWER, settings.GIVE_UP_FACTOR)


def on() -> bool:
    """Whether the compiled path is switched on (:func:`enabled` says whether a solve
    takes it now)."""
    return _ON[0]


def enabled() -> bool:
    """Whether a solve takes the compiled path now: on, numba there, and the rule constants
    those the kernel was compiled with (a constant changed while the process runs -- a
    test's patch -- sends solves to the default path, which reads it, until it is back)."""
    if not _ON[0]:
        return False
    if _KERNEL:
        return _FROZEN[0] == _constants()
    return available()


def kernel():
    """The kernel module, loaded (read from numba's cache, or compiled) on first use, and
    compiled again then if the constants it holds are not the rules', or the sources it
    compiled in from other modules changed since the cache was written."""
    if not _KERNEL:
        from armsim.ik import _kernel as k
        now = _constants()
        if k.frozen() + k.frozen_restarts() != now or k.frozen_sources() != k.SOURCES:
            from numba.core.dispatcher import Dispatcher
            for f in list(vars(k).values()):    # every kernel (one not loaded: its cache)
                if isinstance(f, Dispatcher):
                    f.recompile()
        _FROZEN[0] = now
        _KERNEL.append(k)
    return _KERNEL[0]


# -- the model --------------------------------------------------------------------------
def _axis_frame(a):
    """A rotation C (3, 3) with C e_z = a (exact for an axis along a base vector)."""
    a = np.asarray(a, dtype=float)
    if a.tolist() == [0.0, 0.0, 1.0]:
        return np.eye(3)
    h = np.zeros(3)
    h[int(np.argmin(np.abs(a)))] = 1.0
    u = np.cross(h, a)
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(a, u), a], axis=1)


def folded(chain):
    """The constant transforms A_0 .. A_n (rotation (3, 3), translation (3,)) between the
    joints, each joint a turn about (or a slide along) its local z:
    ``T(q) = A_0 Z(q_0) A_1 Z(q_1) ... Z(q_n-1) A_n``."""
    out, prev = [], np.eye(3)
    for i in range(chain.n):
        C = _axis_frame(chain.axes[i])
        out.append((prev.T @ chain._R0[i] @ C, prev.T @ chain.xyz[i]))
        prev = C
    out.append((prev.T @ chain._tool_R, prev.T @ chain.tool_xyz))
    return out


def model(prob):
    """The arrays the kernel reads for a :class:`~armsim.ik.problems.SpatialTarget` or a
    robot's :class:`~armsim.ik.tree.TreeTargets` (kept on the problem): per joint of each
    tool's chain its folded frame, free joint, multiplier, offset and kind; per tool its
    last frame, pose or position, rows counted (weight > 0), weights and where its target
    row starts; then (lo, hi, wrap, m)."""
    got = getattr(prob, "_compiled_model", None)
    if got is not None:
        return got
    if hasattr(prob, "subs"):
        subs = [(s, cols, mult, off) for s, (cols, mult, off, _) in zip(prob.subs, prob._maps)]
    else:
        subs = [(prob, np.arange(prob.n), None, None)]
    JR, Jt, jfree, jmult, joff, jpris, ER, Et = [], [], [], [], [], [], [], []
    starts, pose, rows, nrows, w, act, toff = [0], [], [], [], [], [], [0]
    for s, cols, mult, off in subs:
        frames = folded(s.chain)
        for i in range(s.chain.n):
            JR.append(frames[i][0])
            Jt.append(frames[i][1])
            jfree.append(int(cols[i]))
            jmult.append(1.0 if mult is None else float(mult[i]))
            joff.append(0.0 if off is None else float(off[i]))
            jpris.append(bool(s.chain.prismatic[i]))
        ER.append(frames[-1][0])
        Et.append(frames[-1][1])
        starts.append(starts[-1] + s.chain.n)
        ws = np.zeros(6)
        ws[:s.m] = s.weights
        r = [i for i in range(6) if ws[i] > 0]
        rows.append(r + [0] * (6 - len(r)))
        nrows.append(len(r))
        w.append(ws)
        act.append(ws > 0)
        pose.append(s.kind == "pose")
        toff.append(toff[-1] + s.target_size)
    k = max(len(JR), 1)
    arr = lambda x, shape, dt=float: (np.array(x, dtype=dt).reshape(shape)  # noqa: E731
                                      if x else np.zeros(shape, dtype=dt))
    M = (np.array(starts, dtype=np.int64), arr(JR, (k, 3, 3)), arr(Jt, (k, 3)),
         arr(jfree, (k,), np.int64), arr(jmult, (k,)), arr(joff, (k,)),
         arr(jpris, (k,), np.bool_), np.array(ER, dtype=float), np.array(Et, dtype=float),
         np.array(pose, dtype=np.bool_), np.array(rows, dtype=np.int64),
         np.array(nrows, dtype=np.int64), np.array(w, dtype=float),
         np.array(act, dtype=np.bool_), np.array(toff, dtype=np.int64))
    # the sparsity of J: each row's tool, the joints moving both of two tools
    T, n = len(nrows), prob.n
    moves = np.zeros((T, n), dtype=bool)
    for t in range(T):
        moves[t, M[3][starts[t]:starts[t + 1]]] = True
    pairs, npair = np.zeros((T, T, max(n, 1)), np.int64), np.zeros((T, T), np.int64)
    for a in range(T):
        for b in range(T):
            both = np.flatnonzero(moves[a] & moves[b])
            pairs[a, b, :len(both)], npair[a, b] = both, len(both)
    # a weighted spatial target's damping scale per error row (steps._damping; else none;
    # a robot's: each tool's counted rows side by side, from its rows of the full error)
    ds = getattr(prob, "damping_scale", None)
    firsts = np.cumsum([0] + [s.m for s, _, _, _ in subs])
    M += (np.repeat(np.arange(T), nrows).astype(np.int64), pairs, npair,
          np.cumsum([0] + nrows).astype(np.int64),
          np.zeros(0) if ds is None else np.array([ds[a + r] for a, rs, c in zip(
              firsts, rows, nrows) for r in rs[:c]], float))
    lim = np.asarray(prob.limits, dtype=float)
    got = (M, np.ascontiguousarray(lim[:, 0]), np.ascontiguousarray(lim[:, 1]),
           np.asarray(prob._wrap, dtype=np.bool_).copy(), int(sum(nrows)))
    prob._compiled_model = got
    return got


# -- the calls ----------------------------------------------------------------------------
def alike(solver, aim):
    """Whether :func:`attempts` weighs ``aim``'s rows as the array path does: no robot's
    tool beyond its reach (the array path weighs such a tool's error alone, the kernel its
    rows of the Jacobian too: rows with one run on the array path, as the single solve's)."""
    scales = getattr(solver.problem, "tool_scales", None)
    return scales is None or scales(aim).min(initial=1.0) >= 1.0


def attempts(solver, aim, reachable, q0, budget):
    """:meth:`armsim.ik.loop.Solver._attempts` of a ``dls`` solver on a spatial chain or a
    robot's tools, by the compiled attempt row after row: (q, iterations, residual,
    distance to the aim, stalled).  A robot's tool beyond its reach weighs
    ``FAR_WEIGHT`` (:meth:`~armsim.ik.tree.TreeTargets.tool_scales`); a step whose Cholesky
    pivot fails is no move (the array step's rule for a step that is not finite)."""
    prob = solver.problem
    k = kernel()
    M, lo, hi, wrap, m = model(prob)
    width, factor = solver._progress or (0, 0.0)
    b = len(q0)
    Q = np.array(prob.clip(np.asarray(q0, dtype=float)), dtype=float, order="C")
    out = np.empty((b, 6))
    scales = (prob.tool_scales(aim) if hasattr(prob, "tool_scales")
              else np.ones((b, 1)))
    watched = np.broadcast_to(~prob.proved(aim, np.asarray(reachable, dtype=bool)), (b,))
    k.attempt_rows(Q, np.array(np.broadcast_to(budget, (b,)), dtype=np.int64), M,
                   np.ascontiguousarray(aim, dtype=float),
                   np.ascontiguousarray(scales, dtype=float), lo, hi, wrap, m,
                   0.5 * solver.tol ** 2, float(solver.options.damping),
                   solver.lambda_floor2,
                   np.where(watched, int(width), 0).astype(np.int64),
                   float(factor), steps.CLAMP_PASSES, out)
    res = np.maximum(out[:, 3], out[:, 4])
    off = (prob.aim_residual(aim, prob.value(Q)) if scales.min(initial=1.0) < 1.0
           else res.copy())             # a tool beyond its reach: the others' residual
    return Q, out[:, 0].astype(int), res, off, out[:, 2] > 0.0


def _table_arrays(qs, minus2, sq):
    """A restart table as the kernel reads it: joint vectors, -2 features entry by entry
    (E, features: an entry's float64 distance reads one run of memory), squared norms, -2
    features^T and the squared norms in float32 (features, E: the float32 scan of every
    entry reads runs of entries), the largest squared norm."""
    return (np.ascontiguousarray(qs, dtype=float),
            np.ascontiguousarray(np.asarray(minus2, dtype=float).T),
            np.ascontiguousarray(sq, dtype=float), np.ascontiguousarray(minus2, np.float32),
            np.ascontiguousarray(sq, np.float32), float(np.max(sq, initial=0.0)))


def _starts(solver, prob):
    """What :func:`armsim.ik._kernel.solve_one` reads of the restarts (kept on the problem
    per seed and count): the whole table (joint vectors, -2 features^T, squared norms, feature
    scale), the uniform draws, each tool's own table, the free joints."""
    seed, restarts = solver.seed, solver.restarts
    key = ("compiled", seed, restarts, restart_table.TABLE_SIZE,
           restart_table.ROTATION_WEIGHT, restart_table.NEAREST)
    kept = prob.__dict__.setdefault("_compiled_starts", {})
    got = kept.get(key) if seed is not None else None
    if got is not None:
        return got
    n = prob.n
    if restarts and min(restarts, restart_table.NEAREST):
        W = _table_arrays(*restart_table.table(prob, seed)) + (
            np.ascontiguousarray(prob.feature_scale, dtype=float),)
    else:
        W = _table_arrays(np.zeros((1, n)), np.zeros((1, 1)), np.zeros(1)) + (np.zeros(1),)
    D = (np.random.default_rng(seed).uniform(prob._draw[:, 0], prob._draw[:, 1],
                                              size=(restarts, n))
         if restarts > restart_table.NEAREST else np.zeros((max(restarts, 1), n)))
    own = prob._own_tables(restarts, seed) if hasattr(prob, "_own_tables") else []
    E = max([tb.qs.shape[0] for *_, tb in own], default=1)
    K = max([len(cols) for _, _, cols, _ in own], default=1)
    O = len(own)
    OW = [np.array([t for t, *_ in own], dtype=np.int64),
          np.array([split for _, split, _, _ in own], dtype=np.int64),
          np.zeros((O, K), np.int64), np.array([len(c) for _, _, c, _ in own], dtype=np.int64),
          np.zeros((O, E, K)), np.zeros((O, E, 12)), np.zeros((O, E)),
          np.zeros((O, 12, E), np.float32), np.zeros((O, E), np.float32), np.zeros(O),
          np.zeros((O, 12)), np.tile(np.eye(3), (O, 1, 1))]
    for o, (t, split, cols, tb) in enumerate(own):
        qs, minus2, sq, m32, sq32, top = _table_arrays(tb.qs, tb.minus2, tb.sq)
        OW[2][o, :len(cols)] = cols
        OW[4][o, :, :len(cols)] = qs
        OW[5][o, :, :minus2.shape[1]], OW[6][o], OW[9][o] = minus2, sq, top
        OW[7][o, :len(m32)], OW[8][o] = m32, sq32
        OW[10][o, :len(tb.scale)] = tb.scale
        if split:
            OW[11][o] = _axis_frame(prob.subs[t].chain.axes[split - 1]).T
    OW = tuple(OW)
    free = prob.turnable()
    got = (W, D, OW, free)
    if seed is not None:
        if len(kept) >= 8:
            kept.clear()
        kept[key] = got
    return got


def _settings(solver, first, attainable):
    """The settings tuple of :func:`armsim.ik._kernel.solve_one`."""
    width, factor = solver._progress or (0, 0.0)
    give_up = -1 if solver.give_up is None else int(solver.give_up)
    return (float(solver.tol), int(solver.max_iter), int(first), int(solver.restarts),
            solver.first_start == "nearer", float(solver.q0_radius) ** 2, give_up, int(width),
            float(factor), float(solver.options.damping), float(solver.lambda_floor2),
            int(steps.CLAMP_PASSES), bool(attainable),
            int(min(solver.restarts, restart_table.NEAREST)))


def run_rows(solver, targets, q0, details=None):
    """:meth:`armsim.ik.loop.Solver.run` by the compiled single solve on each row (every
    thread): (q, iterations, residual, reasons); ``details`` (a dict) gets the rows'
    position and orientation residuals (``"parts"``) and, with several tools, each tool's
    (``"tools"``), as the kernel measured them, when it solved every row.  A robot's row
    with a tool beyond its reach runs the array path instead (it weighs that tool and
    restarts for the others)."""
    prob = solver.problem
    k = kernel()
    M, lo, hi, wrap, m = model(prob)
    W, D, OW, free = _starts(solver, prob)
    aim, reachable = prob.aim(targets)
    b = len(targets)
    far = ~reachable if prob.retry_unattainable else np.zeros(b, dtype=bool)
    take = np.flatnonzero(~far)
    out, got = np.zeros((b, 7)), np.empty((len(take), 7))
    tools = np.empty((len(take), len(M[0]) - 1))
    q = np.array(q0, dtype=float)
    with _PARALLEL:     # numba's thread pool takes one parallel call at a time
        q[take] = k.solve_rows(np.ascontiguousarray(q0[take], dtype=float), M,
                               np.ascontiguousarray(targets[take], dtype=float),
                               reachable[take].astype(np.bool_), lo, hi, wrap, free, m,
                               _settings(solver, rule_first_budget(solver), True), W, D, OW,
                               got, tools)
    out[take] = got
    if details is not None and not far.any():
        details["parts"] = (got[:, 3].copy(), got[:, 4].copy())
        if tools.shape[1] > 1:
            details["tools"] = tools
    iters, res, reasons = solver._finish(q, out[:, 0].astype(int), out[:, 1].copy(),
                                         reachable, out[:, 2] > 0.0,
                                         np.zeros(b, dtype=bool))[1:]
    if far.any():
        idx = np.flatnonzero(far)
        q[idx], iters[idx], res[idx], far_reasons = solver._run(targets[idx], q0[idx])
        for i, why in zip(idx.tolist(), far_reasons):
            reasons[i] = why
    return q, iters, res, reasons


def one_arrays(M, lo, hi, wrap, free, W, D, OW):
    """The arrays of one solve in the order :func:`armsim.ik._kernel.solve_packed` reads
    them: the model's first 19, lo, hi, wrap, free, the table's (W but its largest norm), D,
    and each tool's own tables (OW's 12); the model's damping scale (its 20th) comes last,
    after the settings (:func:`_one_arguments`)."""
    return list(M[:19]) + [lo, hi, wrap, free] + list(W[:5]) + [W[6], D] + list(OW)


def packed(arrays):
    """``arrays`` (float64, float32, int64 or bool; up to 3 axes) in four flat buffers by
    type, in that order, and H (len(arrays), 4): each one's start in its buffer and its
    shape."""
    kinds = [np.dtype(float), np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_)]
    parts, ends = {d: [] for d in kinds}, dict.fromkeys(kinds, 0)
    H = np.zeros((len(arrays), 4), dtype=np.int64)
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        H[i, 0], H[i, 1:1 + a.ndim] = ends[a.dtype], a.shape
        parts[a.dtype].append(a.ravel())
        ends[a.dtype] += a.size
    return tuple(np.concatenate(parts[d] or [np.zeros(0, d)]) for d in kinds) + (H,)


def _one_arguments(solver, first):
    """What :func:`armsim.ik._kernel.solve_packed` reads of a solver and its problem, kept
    on the solver (with a seed: without one every solve draws its own restarts) and made
    again when what they were made from changed -- the seed, the first budget, or a setting
    of :mod:`~armsim.ik.restart_table` or :mod:`~armsim.ik.steps` they hold: (the kernel,
    the packed arrays -- :func:`one_arrays`, then the settings of a target attainable and
    of one beyond reach, the checks of :func:`~armsim.ik._kernel.solve_target`, the table's
    largest squared norm and m --, the number of tools)."""
    made_of = (solver.seed, first, restart_table.TABLE_SIZE, restart_table.ROTATION_WEIGHT,
               restart_table.NEAREST, steps.CLAMP_PASSES)
    kept = solver.__dict__.get("_compiled_one")
    if kept is not None and kept[0] == made_of:
        return kept[1]
    prob = solver.problem
    k = kernel()
    M, lo, hi, wrap, m = model(prob)
    W, D, OW, free = _starts(solver, prob)
    check = [MAX_COORDINATE, MAX_ANGLE, ORTHONORMAL_TOL, prob.retry_unattainable]
    for sub in getattr(prob, "subs", [prob]):       # each tool's bound of reach, its origin
        check += [-1.0 if sub._bound is None else sub._bound, *sub._origin[:3]]
    numbers = [np.array(_settings(solver, first, True), dtype=float),
               np.array(_settings(solver, first, False), dtype=float),
               np.array(check, dtype=float), np.array([W[5], m], dtype=float)]
    got = (k, packed(one_arrays(M, lo, hi, wrap, free, W, D, OW) + numbers + [M[19]]),
           len(M[0]) - 1)
    if solver.seed is not None:
        solver._compiled_one = (made_of, got)
    return got


def _outcome(q, out, each, tools):
    """:func:`run_one`'s answer from the kernel's ``out`` (as a list) and ``each``."""
    iters, res, stalled, pos, ori, _, timed = out[:7]
    return (q, int(iters), res, stalled > 0.0, (pos, ori),
            each.tolist() if tools > 1 else None, timed > 0.0)


def run_one(solver, target, q0, first, attainable, deadline=None):
    """:func:`armsim.ik.spatial_scalar.run_one` compiled: (q (n,), iterations, residual,
    stalled, (position, orientation residuals), each tool's residual (several tools; else
    None), whether the ``deadline`` (``time.perf_counter()``) passed), or None when a
    Cholesky pivot failed."""
    k, (F, F32, I, B, H), tools = _one_arguments(solver, first)
    out, each = np.empty(7), np.empty(tools)
    q = k.solve_packed(np.asarray(q0, dtype=float), np.ascontiguousarray(target, dtype=float),
                       F, F32, I, B, H, bool(attainable), out, each,
                       np.inf if deadline is None else float(deadline))
    return None if q is None else _outcome(q, out.tolist(), each, tools)


def run_target(solver, target, q0, deadline):
    """:func:`run_one` of the targets as the caller gave them, flat, one after another in
    the order of the problem's tools (float, each 4 x 4 or 3 numbers) with q0 (n,), the
    caller's checks of both made in the kernel (:func:`armsim.ik._kernel.solve_target`):
    (:func:`run_one`'s answer, whether every target is attainable), or None when a check
    refused them, a target lies at the edge of its reach (or, a robot's, beyond it), or a
    Cholesky pivot failed (the caller's own path then checks and solves)."""
    k, (F, F32, I, B, H), tools = _one_arguments(solver, rule_first_budget(solver))
    out, each = np.empty(9), np.empty(tools)
    q = k.solve_target(q0, target, F, F32, I, B, H, out, each, deadline)
    got = out.tolist()
    if got[7] != 0.0:
        return None
    return _outcome(q, got, each, tools), got[8] > 0.0
