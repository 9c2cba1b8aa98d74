"""One spatial ``dls`` solve on Python floats: the single-problem path of the loop.

:meth:`~armsim.ik.loop.Solver.run` is array code for a batch; for one pose the cost
of a solve is then the number of numpy calls on arrays of a few numbers, not the
arithmetic.  :func:`run_one` is the same algorithm as ``run`` with ``method="dls"``
on a :class:`~armsim.ik.problems.SpatialTarget` -- the ``"nearer"`` first start, the
short first budget and its continuation, the restarts
(:meth:`SpatialTarget.restart_starts`: the table's nearest poses, then uniform
draws), the error-adaptive damping, the clamped step (joints a step drives past a
limit leave it, :func:`armsim.ik.steps._clamped`), the wrap of continuous joints and
the stall test -- on Python floats.

The forward pass and the pose Jacobian of a chain are one program
(:func:`armsim.ik.float_code.program`): each joint's axis is folded into its frame, so a
revolute joint is a turn about its local z (four products per matrix row), the fixed
origins are constants and their zero entries drop out.  (Constants below
:data:`~armsim.ik.float_code.ZERO` -- the ``cos(pi/2)`` of a quarter-turn ``rpy`` -- count
as zero: a change below the rounding of the sums they enter.)  A new chain's pass runs from
the program's steps, then, after :data:`COMPILE_AFTER` evaluations, as Python source
compiled once per chain, kind and weights (kept while the chain lives; the same bits), and
its compiled code is kept on disk for a plain spatial target (:mod:`armsim.ik.disk_cache`:
a later process reads it back; ``bench/first_solve.py``).  The m x m system
``(J J^T + lambda^2 I) y = e`` is solved by a Cholesky factorisation written out for
each m.  The arithmetic is the batch path's up to rounding (the order of sums, LU
against Cholesky), so the answers equal it to rounding (tests: the same success and
iterations, q to 1e-9).
"""

from __future__ import annotations

import math
import threading
import time
import weakref

import numpy as np

from armsim.ik import attempt as rule, compiled, disk_cache, float_code, restart_table, rotvec
from armsim.ik.float_code import ZERO
from armsim.ik.attempt import FLOATS
from armsim.ik import steps as _steps
from armsim.ik.rules import reason as _reason, whole_turns

__all__ = ["run_one", "from_program"]

_TWO_PI = 2.0 * math.pi
_COMPILED = weakref.WeakKeyDictionary()   # chain -> {(kind, weights): _Compiled}
_LINEAR = {}                              # m -> the generated solve, fix
_LINEAR_CODE = {}                         # m -> their compiled source
_CodeType = type(compile("", "<string>", "exec"))
_TIER_LOCK = threading.Lock()             # one compile of a pass at a time


# -- the float pass: interpreted, then compiled -------------------------------------
COMPILE_AFTER = 16   # a chain's pass runs from its program for this many evaluations, then
                     # is compiled: a solve that needs no restart (a few steps) does not
                     # wait for the compile, a longer one is compiled early (a step from
                     # the program costs a few times more: bench/first_solve.py)


def _linear(m, code=None):
    """``solve`` and ``fix`` of :func:`float_code.linear_source` for m rows (once per
    process and m; ``code``: their compiled source, when it is at hand)."""
    fns = _LINEAR.get(m)
    if fns is None:
        space = {"sqrt": math.sqrt}
        exec(_linear_code(m) if code is None else code, space)
        fns = _LINEAR[m] = (space["solve"], space["fix"])
    return fns


def _linear_code(m):
    code = _LINEAR_CODE.get(m)
    if code is None:
        code = _LINEAR_CODE[m] = compile(float_code.linear_source(m), "<string>", "exec")
    return code


def _stored(key):
    """The float pass's code read from the disk cache (:mod:`armsim.ik.disk_cache`), or
    None: (source, rows, and the code of make, of gram and move, of parts, of the m x m
    solve)."""
    hit = disk_cache.load("pass", key)
    hit = None if hit is None else hit[0]
    if (type(hit) is tuple and len(hit) == 6 and all(
            isinstance(c, _CodeType) for c in hit[2:]) and type(hit[1]) is tuple):
        return hit
    return None


class _Compiled:
    """What the float path needs of a chain for one kind of target and weights.

    A new chain's pass first runs from its program's steps
    (:func:`float_code.interpreted`: no source generated or compiled, the first solve
    does not wait for a compile); after :data:`COMPILE_AFTER` evaluations, :meth:`tier`
    compiles it (and stores the code on disk for a plain spatial target; a later
    process reads it back and starts compiled).  Both give the same bits."""

    def __init__(self, prob, now=False):
        self.m = self.source = None
        self.lo, self.hi = prob.limits[:, 0].tolist(), prob.limits[:, 1].tolist()
        self.wrap = [bool(v) for v in prob._wrap] if prob._wrap.any() else None
        self.free = prob.turnable().tolist()
        self.tables = {}     # (seed, table settings) -> what _Starts needs of the table
        self.key = disk_cache.problem_parts(prob)
        if self.key is not None:
            self.key += (disk_cache.bytecode_tag(), ZERO)
            hit = _stored(self.key)
            if hit is not None:
                self._install(hit)
                return
        # what the compile needs of the problem: its rows (masked or not), joints
        self.active, self.n, self.full_m = list(prob._active), prob.n, prob.m
        self.program = float_code.program(prob)
        if now or COMPILE_AFTER <= 0:
            self.tier()
            return
        self.rows = list(self.program.rows)
        self.m = m = len(self.rows)
        self.count = [0]          # evaluations from the program
        self.make = float_code.interpreted(self.program, self.count)
        self.solve, self.fix = _LINEAR.get(m) or float_code.linear_loops(m)
        self.gram, self.move = float_code.flat_loops(self.n, m, self.lo, self.hi)
        self.parts = float_code.parts_loop(self.active, self.full_m)

    @property
    def interpreted(self):
        return self.source is None

    def column(self, cols, j):
        """Joint j's column of the flat columns."""
        return cols[j * self.m:(j + 1) * self.m]

    def due(self):
        """Whether the pass runs from its program and has run :data:`COMPILE_AFTER` times."""
        return self.source is None and self.count[0] >= COMPILE_AFTER

    def tier(self):
        """Compile the pass (the same bits) and store its code on disk (when kept); once,
        whatever the threads."""
        with _TIER_LOCK:
            if self.source is None:
                self._tier()

    def _tier(self):
        prog = self.program
        src, m = float_code.source(prog), len(prog.rows)
        out = (src, tuple(prog.rows), compile(src, "<string>", "exec"),
               compile(float_code.flat_source(self.n, m, self.lo, self.hi), "<string>",
                       "exec"),
               compile(float_code.parts_text(self.active, self.full_m), "<string>", "exec"),
               _linear_code(m))
        if self.key is not None:
            disk_cache.store("pass", self.key, out)
        self._install(out)
        self.program = None

    def _install(self, code):
        src, rows, make, flat, parts, linear = code
        self.rows = list(rows)
        space = {"cos": math.cos, "sin": math.sin, "sqrt": math.sqrt, "atan2": math.atan2,
                 "_wide": rotvec.wide}
        exec(make, space)
        self.make = space["make"]
        self.source = src
        self.m = m = len(self.rows)
        self.solve, self.fix = _linear(m, linear)
        space = {}
        exec(flat, space)
        self.gram, self.move = space["gram"], space["move"]     # of the flat columns
        space = {"sqrt": math.sqrt}
        exec(parts, space)
        self.parts = space["parts"]


def from_program(chain):
    """Whether a pass of ``chain`` still runs from its program (not compiled yet)."""
    return any(c.interpreted for c in _COMPILED.get(chain, {}).values())


def _compiled(prob, now=False):
    """The float pass of a problem (kept per chain, kind and weights); ``now``: compiled
    at once (else from its program until :meth:`_Compiled.due`)."""
    if hasattr(prob, "float_pass"):      # several tools: their chains' passes side by side
        c = prob.float_pass()
        if c.due() or (now and c.interpreted):
            c.tier()
        return c
    key = (prob.kind, tuple(prob.weights.tolist()))
    per_chain = _COMPILED.get(prob.chain)
    if per_chain is None:
        per_chain = _COMPILED[prob.chain] = {}
    c = per_chain.get(key)
    if c is None:
        if len(per_chain) >= 32:          # many weights on one chain: bounded memory
            per_chain.clear()
        c = per_chain[key] = _Compiled(prob, now)
    elif c.due() or (now and c.interpreted):
        c.tier()
    return c


# -- the solve ----------------------------------------------------------------------------
def _clamped(C, q, qt, cols, g, e, lam2):
    """The passes of the clamp: the joints ``qt = q + dq`` drives past a limit move to it
    and leave the step, the others solve again for what is left of the error.  The
    Gram of the others is ``g`` less the fixed joints' ``c c^T`` (``linear_source``'s
    ``fix``), equal to the batch's Gram of the Jacobian with those columns zeroed up to
    rounding."""
    lo, hi = C.lo, C.hi
    fixed = {}                    # joint -> its step to the limit
    r = e
    for _ in range(_steps.CLAMP_PASSES):
        out = [j for j, v in enumerate(qt) if (v < lo[j] or v > hi[j]) and j not in fixed]
        if not out:
            break
        for j in out:
            x = fixed[j] = min(max(qt[j], lo[j]), hi[j]) - q[j]
            g, r = C.fix(g, r, C.column(cols, j), x)
        y = C.solve(g, lam2, r)
        if y is None:
            return None
        qt = C.move(q, cols, y)[0]
        for j, x in fixed.items():
            qt[j] = q[j] + x
    return qt


def compiled_reason(res, tol, attainable, stalled, timed):
    """The reason of a compiled solve's answer: ``"timeout"`` when its deadline passed
    before an attainable target was reached, else :func:`armsim.ik.rules.reason`'s."""
    return ("timeout" if timed and res >= tol and attainable
            else _reason(res, tol, res < tol or attainable, stalled))


def _float_attempt(solver, C, tl, deadline, timed):
    """One attempt of the float path towards the target row ``tl`` (a list) of the pass
    ``C``: ``(attempt, live)``, with ``attempt(q, budget, ev=None, watch=...)`` -> (q,
    iterations, residual, stalled, residual parts) from the start q (a list, clipped), and
    ``live`` the pass's [evaluate, parts, gram, solve, move] now (a pass run from its
    program is compiled inside an attempt: the later calls take the compiled ones).
    ``timed[0]`` is set when ``deadline`` passed.  Raises :class:`_Fallback` when a
    Cholesky pivot fails."""
    clock = time.perf_counter
    half_tol2 = 0.5 * solver.tol * solver.tol
    floor2, damping = solver.lambda_floor2, float(solver.options.damping)
    live = [C.make(*tl), C.parts, C.gram, C.solve, C.move]
    lo, hi, wrap = C.lo, C.hi, C.wrap
    ds = getattr(solver, "_damping_scale", None)     # a weighted target: e unweighted
    ds = None if ds is None else [float(ds[r]) for r in C.rows]
    watch = solver._progress
    width, factor = watch if watch else (0, 0.0)

    def attempt(q, budget, ev=None, watch=watch):
        evaluate, parts, gram, solve, move = live
        f, e, cols, d = evaluate(q) if ev is None else ev
        nu = damping
        best, since, k = f, 0, 0
        hist = [f]                    # f after k iterations (the progress rule)
        g = None                      # the gram of cols (kept while steps are rejected)
        program = C.interpreted
        while True:
            if program and C.due():   # run from its program long enough: compiled now
                C.tier()
                evaluate, parts, gram = C.make(*tl), C.parts, C.gram
                solve, move, program = C.solve, C.move, False
                live[:] = evaluate, parts, gram, solve, move
            # too slow (the progress rule): stalled, the next start runs
            slow = k >= width and rule.too_slow(f, hist[k - width], factor) if watch else False
            if rule.stopped(f, since, half_tol2) or k == budget or slow:
                break
            if deadline is not None and clock() > deadline:
                timed[0] = True
                break
            if g is None:
                g = gram(cols)
            # one dls step (:func:`armsim.ik.steps._clamped_one` on floats)
            lam2 = (nu * 2.0 * f if ds is None else
                    nu * sum([x * x * v for x, v in zip(e, ds)])) + floor2
            y = solve(g, lam2, e)
            if y is None:
                raise _Fallback
            qt, inside = move(q, cols, y)
            if not inside:
                qt = _clamped(C, q, qt, cols, g, e, lam2)
                if qt is None:
                    raise _Fallback
                qt = list(map(min, map(max, qt, lo), hi))
            if wrap is not None:
                qt = [(v + math.pi) % _TWO_PI - math.pi if wr else v for v, wr in zip(qt, wrap)]
            ft, et, colt, dt = evaluate(qt)
            ok = rule.accepted(f, ft)
            nu = rule.damped(nu, ok, FLOATS)
            if ok:
                q, f, e, cols, d, g = qt, ft, et, colt, dt, None
            best, since = rule.recorded(f, best, since, FLOATS)
            k += 1
            hist.append(f)
        pr = parts(d)
        return q, k, max(pr), rule.stalled(since, slow), pr

    return attempt, live


def attempt_row(solver, target, q0, budget, watched):
    """One attempt of the batch loop (:meth:`armsim.ik.loop.Solver._attempt`) for a single
    row, on floats: a batch's restarts of one unfinished row, 3-4x faster an attempt than
    the loop's one-row arrays (:meth:`~armsim.ik.loop.Solver._attempt_one`).  ``target``
    (m,) the row (its aim), ``q0`` (n,) clipped, ``budget`` an int, ``watched``: the progress
    rule applies.  Returns the loop's
    (q (1, n), iterations (1,), residual (1,), the same again for the aim, stalled (1,)),
    equal to the arrays' to rounding; None when a Cholesky pivot fails (the arrays' LU
    then runs)."""
    C = _compiled(solver.problem)
    try:
        attempt, _ = _float_attempt(solver, C, target.tolist(), None, [False])
        q, k, res, stalled, _ = attempt(q0.tolist(), budget,
                                        watch=solver._progress if watched else None)
    except _Fallback:
        return None
    res = np.array([res])
    return np.array([q]), np.array([k]), res, res.copy(), np.array([stalled])


def run_one(solver, target, q0):
    """``solver.run(target[None], q0[None])`` for one :class:`SpatialTarget` and
    ``method="dls"``: (q (list), iterations, residual, reason, position residual,
    orientation residual); None when a Cholesky pivot fails (the caller then takes
    the array path, which solves by LU), and for a problem that retries unattainable
    targets when its target is one (a robot's tools, one beyond its reach: the array
    path weighs the far tool and runs the restarts for the others)."""
    prob = solver.problem
    if compiled.enabled():               # the whole solve compiled
        deadline = None if solver.timeout is None else time.perf_counter() + solver.timeout
        attainable = prob.attainable_one(target.tolist())
        if not attainable and prob.retry_unattainable:
            return None        # several tools, one beyond reach: the array path's weighing
        got = compiled.run_one(solver, target, q0, rule.first_budget(solver), attainable,
                               deadline)
        if got is None:
            return None        # a Cholesky pivot failed: the array path (LU)
        q, iters, res, stalled, pr, tools, timed = got
        why = compiled_reason(res, solver.tol, attainable, stalled, timed)
        return q, iters, res, why, pr, tools
    clock = time.perf_counter
    deadline = None if solver.timeout is None else clock() + solver.timeout
    timed = [False]              # the deadline passed (set inside attempt)
    C = _compiled(prob)
    tol, max_iter = solver.tol, solver.max_iter
    tl = target.tolist()
    attempt, live = _float_attempt(solver, C, tl, deadline, timed)
    lo, hi, wrap = C.lo, C.hi, C.wrap
    watch = solver._progress

    def clip(q):
        q = list(map(min, map(max, q, lo), hi))
        if wrap is not None:
            q = [(v + math.pi) % _TWO_PI - math.pi if wr else v for v, wr in zip(q, wrap)]
        return q

    try:
        q0 = q0.tolist()
        first = rule.first_budget(solver)
        qa = clip(q0)
        attainable = prob.attainable_one(tl)
        if not attainable and prob.retry_unattainable:
            return None        # several tools, one beyond reach: the array path's weighing

        def reason(res, stalled):
            if timed[0] and res >= tol and attainable:
                return "timeout"
            return _reason(res, tol, res < tol or attainable, stalled)

        if not solver.restarts:
            q, iters, res, stalled, pr = attempt(qa, first)
            return q, iters, res, reason(res, stalled), pr
        if not attainable:     # proved by the bound: one start, its full budget, unwatched
            first = max_iter
        own = getattr(prob, "float_starts", None)      # a robot's tools: TreeTargets
        start_of = (own(C, solver.restarts, solver.seed, target) if own is not None
                    else _Starts(prob, C, solver.restarts, solver.seed, target))
        starts = list(range(solver.restarts))    # k: start_of(k); else a list of joints
        budgets = [max_iter] * solver.restarts
        restarted = False
        start, ev = qa, live[0](qa)
        ea2 = 2.0 * ev[0]
        r2 = solver.q0_radius ** 2
        nearer = solver.first_start == "nearer"
        if nearer and not ea2 <= r2:
            qb = start_of(0)
            evb = live[0](qb)
            restarted = True
            if rule.swapped(ea2, 2.0 * evb[0], r2):
                start, ev, budgets[0], first = qb, evb, first, max_iter
                starts[0] = qa
            else:
                starts[0] = qb
        q, iters, res, stalled, pr = attempt(start, first, ev, watch if attainable else None)
        if nearer and res >= tol:
            extra = rule.continuation(ea2, r2, max_iter, first, FLOATS)
            if extra > 0:
                starts.insert(0, q)
                budgets.insert(0, extra)
        give_up, since = solver.give_up, 0
        for begin, budget in zip(starts, budgets):
            if res < tol or not attainable or timed[0]:
                break
            if deadline is not None and clock() > deadline:
                timed[0] = True
                break
            restarted = True
            q2, it2, res2, st2, pr2 = attempt(      # clipped, as the batch's starts
                clip(start_of(begin) if type(begin) is int else begin), budget)
            iters += it2
            since = rule.gave_up_count(since, res2, res, res2, res, True, FLOATS)
            if rule.improved(res2, res, res2, res, True, FLOATS):
                q, res, stalled, pr = q2, res2, st2, pr2
            if give_up is not None and since >= give_up:
                stalled = True
                break
        if restarted and True in C.free:
            turned = whole_turns(q, q0, C.free, C.lo, C.hi)
            if turned != q:
                q = turned
                pr = live[1](live[0](q)[3])
                res = max(pr)
        return q, iters, res, reason(res, stalled), pr
    except _Fallback:
        return None


class _Starts:
    """``start(k)`` of :meth:`SpatialTarget.restart_starts` for one aim, as a list: the
    k-th nearest table entry for ``k <`` :data:`~armsim.ik.restart_table.NEAREST` (one
    distance pass over the table, on first use), the problem's own later starts."""

    def __init__(self, prob, C, restarts, seed, target):
        self.prob, self.C, self.restarts, self.seed, self.target = prob, C, restarts, seed, target
        self.d = self.order = self.later = None

    def __call__(self, k):
        prob = self.prob
        if k >= min(self.restarts, restart_table.NEAREST):
            if self.later is None:
                self.later = prob.restart_starts(self.restarts, self.seed)
            return self.later(k, self.target[None])[0].tolist()
        if self.d is None:
            self.qs, scale, minus2, sq = _table(prob, self.C, self.seed)
            d = (self.target * scale)[None] @ minus2      # sq - 2 f.F, as the batch's
            d += sq
            self.d = d[0]
        if k == 0:              # most solves need only the nearest (the "nearer" test)
            return self.qs[int(self.d.argmin())].tolist()
        if self.order is None:
            near = min(self.restarts, restart_table.NEAREST)
            top = np.argpartition(self.d, near - 1)[:near]
            self.order = top[np.argsort(self.d[top])]
        return self.qs[self.order[k]].tolist()


def _table(prob, C, seed):
    """(joint vectors, feature scale (3 or 12,), -2 features^T, |features|^2) of the
    problem's restart table: the aim's features are ``aim * scale``, the products of
    :func:`armsim.ik.restart_table.features`; kept on ``C`` per seed and table settings (a
    table of ``seed=None`` is new each time, as the problem's)."""
    rt = restart_table
    key = (seed, rt.TABLE_SIZE, rt.ROTATION_WEIGHT, rt.TABLE_STREAM, prob._draw.tobytes())
    hit = C.tables.get(key) if seed is not None else None
    if hit is None:
        qs, minus2, sq = rt.table(prob, seed)
        hit = (qs, prob.feature_scale, minus2, sq)
        if seed is not None:
            if len(C.tables) >= 4:
                C.tables.clear()
            C.tables[key] = hit
    return hit


class _Fallback(Exception):
    """A Cholesky pivot was not positive (J J^T + lambda^2 I singular to rounding)."""

