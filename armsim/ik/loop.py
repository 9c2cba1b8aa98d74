"""The solver loop, its result and the two entry points :func:`solve` and :func:`solve_batch`.

One loop (:class:`Solver`) owns the iteration budget, the tolerance, joint limits, unreachable
targets, random restarts and the :class:`IKResult`; a method (:mod:`armsim.ik.steps`) only says
how one iteration moves the angles.  Everything is batched: angles (B, N), targets (B, 2); a
single problem is the batch B = 1, and no Python loop runs over problems (unreachable planar
targets: :mod:`armsim.ik.planar`).
"""

from __future__ import annotations

import threading
import time
import numpy as np

from armsim.kinematics.planar import MAX_ANGLE, MAX_COORDINATE
from armsim.ik.stack import Stack
from armsim.ik.priority import priority_dls
from armsim.ik.tree import Robot, TreeTargets, for_tree, raw_tree
from armsim.ik.problems import (PlanarPoint, SpatialTarget, _given_rows, as_problem,
                                for_target, raw_problem, turned_joints)
from armsim.ik.inputs import check_rows, plain, rows_error, run_arrays, solve_target, within
from armsim.ik.result import IKResult
from armsim.ik import attempt as rule, compiled, scalar, spatial_scalar, steps as _steps
from armsim.ik.attempt import ARRAYS, FLOATS
from armsim.ik.steps import MEMORY, NEEDS_JACOBIAN, STEPS
from armsim.ik.settings import (DEFAULT, DEFAULTS, GIVE_UP_FACTOR, MAX_RESTARTS,  # noqa: F401
                                MAX_ITER, MAX_TIMEOUT, Options, _check_choice, _count, _defaults,
                                _flag, _real, _seed, blas_threads)
from armsim.ranges import real_array as _array   # a float array, or a ValueError

__all__ = ["IKResult", "Solver", "solve", "solve_batch", "default_start",
           "METHODS", "CORRECTIONS", "REASONS", "FIRST_STARTS", "DEFAULTS"]

METHODS = ("dls", "gradient", "pinv", "ccd", "fabrik")
CORRECTIONS = ("none", "clip", "norm", "backtrack")
REASONS = ("converged", "unreachable", "stalled", "max_iter", "timeout")
FIRST_STARTS = ("q0", "nearer")
_REASONS = np.array(REASONS)

Q0_RADIUS = 0.2       # first_start="nearer": q0 goes first when its tip is this close (x reach)
CHUNK_ELEMENTS = 3e6   # solve_batch works on chunks of about this many Jacobian (or joint) floats,
CHUNK_ROWS, CHUNK_MAX = 6000, 1.2e7   # or this many rows when more, up to CHUNK_MAX floats
GROUP_ROWS = 512       # restarts: rows x starts iterated as one batch (then split into chunks)
GROUP_FIRST = 2       # restarts: a spatial dls batch's first k, then doubling (B = 1,000 +1-9 %)
FLOAT_ROWS = 48        # a robot's single solve on floats up to this many error rows (8 poses)

class Solver:
    """The loop shared by every method.

    Parameters
    ----------
    chain : Chain
    method : str, one of :data:`METHODS`
    correction : str, one of :data:`CORRECTIONS` (used by ``method="gradient"``)
    tol : float [m], optional
        Success when the tip is closer than this; default ``1e-6 * reach``.
    max_iter : int
        Iteration budget of each start.
    first_iter : int or None
        Budget of the caller's start ``q0`` when restarts follow (default: the problem's,
        at most a ``max_iter`` given).  A good start converges in a few iterations (the local
        convergence of ``dls`` is fast); a short budget hands a bad one over to
        the restarts early.
    restarts : int
        Extra starts for problems a start leaves unfinished (a reachable target
        missed, or an unreachable one whose nearest point is missed); see
        :meth:`Problem.restart_starts` for how they are drawn (planar:
        geometric starts, :meth:`PlanarPoint.pointed`).
    seed : int or None
        Seed of the restart starts (``numpy.random.default_rng(seed)``).
    first_start : str, one of :data:`FIRST_STARTS`
        Which start is iterated first when restarts follow.  ``"q0"``: the
        caller's start, then the restarts in order.  ``"nearer"``: ``q0`` if its
        tip is within ``q0_radius`` of the aim or no farther from it than the
        tip of the first restart's start, that start otherwise (both are one
        forward pass); the start not taken first comes second, with its own
        budget (``first_iter`` for ``q0``, ``max_iter`` for the other).  A good
        ``q0`` (e.g. the previous frame's answer) is used as before; a far one
        costs no iterations before the restart that usually finishes the problem.
    q0_radius : float [m], optional
        ``first_start="nearer"``: ``q0`` always goes first when its tip is this
        close to the aim (default ``0.2 * reach``; beyond it 3 ``dls``
        iterations almost never converge: at most 5 % of starts, measured at
        N = 7, 10, 20).  ``0`` compares the two distances only.
    step_size, max_angular_speed, damping, max_joint_step : float, optional
        See :class:`Options`.
    objectives : list of objectives, optional
        Residuals stacked under the target (:mod:`armsim.ik.objectives`).
    priority : bool
        Serve the objectives only in the null space of the target (``dls`` only).
    max_step : float [rad], optional
        Hard cap on each joint's change from ``q0`` per solve.
    give_up : int or None
        Restarts end once this many in a row have not lowered the best residual below
        :data:`GIVE_UP_FACTOR` times itself (reason ``"stalled"``); None: every restart
        runs while the target is missed.
    timeout : float [s] or None
        Wall-clock cap of a call (:meth:`solve`: one problem; :meth:`solve_batch`: the
        batch).  Checked before every start, and after every iteration of a single
        spatial ``dls`` solve; a problem not solved by then ends with reason
        ``"timeout"``.  None (default): no cap, and the answer does not depend on the
        machine's speed.
    """

    def __init__(self, task, method="dls", correction="backtrack", tol=None, max_iter=100,
                 restarts=0, seed=0, first_iter=None, first_start="q0", q0_radius=None,
                 step_size=None, max_angular_speed=None, damping=None, max_joint_step=None,
                 objectives=None, priority=False, max_step=None, give_up=None, timeout=None):
        _check_choice("method", method, METHODS)
        _check_choice("correction", correction, CORRECTIONS)
        _check_choice("first_start", first_start, FIRST_STARTS)
        priority = _flag("priority", priority)
        problem = as_problem(task)
        if objectives is not None or priority or max_step is not None:
            problem = Stack(problem, getattr(problem, "chain", None), objectives or (),
                            priority, max_step)
            if priority and method != "dls":
                raise ValueError(f"priority=True needs method 'dls', got {method!r}")
        if method not in problem.supports:
            need = ("cannot take objectives (obstacles, posture, smoothness, ...)" if method
                    in as_problem(task).supports else "needs a planar chain" if method ==
                    "fabrik" else "needs a chain, planar or spatial")   # (a Stack's first)
            raise ValueError(f"method {str(method)!r} {need}; for this problem "
                             f"choose one of {', '.join(problem.supports)}")
        self.problem = problem
        self.chain = getattr(problem, "chain", None)
        self.first_start = first_start
        self.q0_radius = Q0_RADIUS * problem.scale if q0_radius is None else _real(
            "q0_radius", q0_radius, closed=True)
        self.method = method
        self.correction = correction
        self.tol = (1e-6 * getattr(problem, "tol_scale", problem.scale) if tol is None
                    else _real("tol", tol))
        self.max_iter = _count("max_iter", max_iter, MAX_ITER)
        self.restarts = _count("restarts", restarts, MAX_RESTARTS)
        self.first_iter = _count("first_iter", first_iter, MAX_ITER, none_ok=True)
        self.give_up = _count("give_up", give_up, MAX_ITER, none_ok=True)
        self.timeout = None if timeout is None else _real("timeout", timeout, high=MAX_TIMEOUT)
        self.seed = _seed(seed, problem)
        opts = Options()
        for name, val in (("step_size", step_size), ("max_angular_speed", max_angular_speed),
                          ("damping", damping), ("max_joint_step", max_joint_step)):
            if val is not None:
                setattr(opts, name, _real(name, val))
        self.options = opts
        self.lambda_floor2 = _steps.lambda_floor2(problem.scale)
        self._step = priority_dls if priority else STEPS[method]
        self._needs_jac = NEEDS_JACOBIAN[method]
        # one planar dls problem at small N runs on Python floats (:mod:`armsim.ik.scalar`)
        # (the array path when a timeout or give_up is set: the float path has neither)
        self._scalar = (type(problem) is PlanarPoint and method == "dls"
                        and problem.n <= scalar.MAX_N and self.timeout is None
                        and self.give_up is None)
        # one spatial dls problem runs on floats (solve; the array path when a Cholesky
        # pivot of the float path fails)
        self._spatial_one = type(problem) is SpatialTarget and method == "dls" and not priority
        # dls on a weighted spatial target (a robot's tools too) damps by its unweighted error
        self._damping_scale = getattr(problem, "damping_scale", None)     # (steps._damping)
        # ... and so does one problem of a robot's several tools (their chains' float passes
        # side by side, :meth:`armsim.ik.tree.TreeTargets.float_pass`), up to FLOAT_ROWS
        # error rows (its generated solve grows as their cube)
        self._float_one = self._spatial_one or (problem.__class__ is TreeTargets and method == "dls"
                                                and not priority and problem.m <= FLOAT_ROWS)
        self._turns = turned_joints(problem)       # continuous joints an answer turns to q0
        # dls with restarts: an attempt whose error falls too slowly gives way to the next
        # start (:attr:`Problem.progress`); every attempt is watched, the last one too
        self._progress = (problem.progress if method == "dls" and restarts and not priority
                          else None)
        per_row = (problem.target_size * problem.n * (problem.n if self._needs_jac else 1)
                   if problem.row_floats is None else problem.row_floats(self._needs_jac))
        self._chunk = int(max(1, min(max(CHUNK_ELEMENTS, CHUNK_ROWS * per_row), CHUNK_MAX) // per_row))

    # -- one start --------------------------------------------------------------
    def _attempt(self, targets, aim, reachable, q0, budget):
        """Iterate from q0 (B, n) for ``budget`` iterations (an int, or one per row (B,)).
        Returns q, iterations, residual, distance to aim, stalled.

        The problems still running are kept packed in working arrays, which
        shrink only when some finish (no gather/scatter per iteration).
        """
        prob = self.problem
        q = prob.clip(np.array(q0, dtype=float))
        b = q.shape[0]
        if b == 1 and self._spatial_one and np.array_equal(targets, aim):
            # one row (a batch's restarts of its last unfinished row): on floats, 3-4x faster
            got = spatial_scalar.attempt_row(self, aim[0], q[0], int(np.reshape(budget, -1)[0]),
                                             not prob.proved(aim, reachable)[0])
            if got is not None:
                return got
        if self._needs_jac:
            tip, jac = prob.value_and_jacobian(q)
        else:
            tip, jac = prob.value(q), None
        keys = MEMORY.get(self.method, ())
        init = {"nu": self.options.damping, "t": self.options.step_size}
        if "c" in keys:
            # the gradient's step scale: the problem's bound of |J|_F^2, else |J|_F^2 at the start
            init["c"] = (prob.curvature if prob.curvature is not None
                         else np.maximum(np.einsum("bij,bij->b", jac, jac), 1e-300))
        mem = {k: (np.full(b, float(init[k])) if np.ndim(init[k]) == 0
                   else np.array(np.broadcast_to(init[k], (b,)), dtype=float)) for k in keys}
        am = aim
        e = prob.error(am, tip)
        f = 0.5 * np.einsum("bi,bi->b", e, e)
        # the progress rule watches attempts that can succeed: not a target the problem
        # proves unattainable (its one start runs on while its error falls)
        watched = ~prob.proved(aim, np.asarray(reachable, dtype=bool))
        if b == 1:
            one = budget if np.ndim(budget) == 0 else np.reshape(budget, -1)[0]
            return self._attempt_one(targets, aim, q, tip, jac, f, mem, int(one),
                                     bool(watched[0]))
        out_q = q.copy()
        out_tip = np.zeros((b,) + tip.shape[1:])       # the task value (B, target size)
        iters = np.zeros(b, dtype=int)
        stalled = np.zeros(b, dtype=bool)
        rows = np.arange(b)
        best = f.copy()
        since = np.zeros(b, dtype=int)
        written = np.zeros(b, dtype=bool)   # finished and recorded (still in the arrays)
        half_tol2 = 0.5 * self.tol**2
        per_row = np.ndim(budget) > 0
        bud = np.asarray(budget, dtype=int) if per_row else None
        watch = self._progress
        if watch:
            hist = np.empty((watch[0] + 1, b))      # f after k iterations, in hist[k % (W + 1)]
        for k in range(int(np.max(budget, initial=0)) + 1):
            # every row of an attempt has made k iterations; the aim is the target when
            # it is reachable, the nearest point of the workspace otherwise
            done = rule.stopped(f, since, half_tol2)
            if watch:
                hist[k % len(hist)] = f
                slow = (rule.too_slow(f, hist[(k - watch[0]) % len(hist)], watch[1])
                        if k >= watch[0]
                        else np.zeros(len(f), dtype=bool)) & watched
                done |= slow
            if per_row:
                done |= bud <= k
            elif k == budget:
                done[:] = True
            new = done & ~written
            if new.any() if len(new) > 1 else new[0]:
                fin = rows[new]
                out_q[fin], out_tip[fin], iters[fin] = q[new], tip[new], k
                stalled[fin] = rule.stalled(since[new], slow[new] if watch else False)
                written |= new
                if written.all():
                    break
                # drop the finished rows once they are an eighth of the arrays: until
                # then they run on, harmlessly (their result is already recorded)
                if 8 * written.sum() >= len(written):
                    keep = ~written
                    last = self.__dict__.get("_error")    # the step's error of tip, kept
                    hit = last is not None and last[0] is tip and last[1] is am
                    rows, q, tip, am = rows[keep], q[keep], tip[keep], am[keep]
                    self._error = (tip, am, last[2][keep]) if hit else None
                    f, best, since, watched = f[keep], best[keep], since[keep], watched[keep]
                    if watch:
                        hist = hist[:, keep]
                    bud = bud[keep] if per_row else None
                    jac = None if jac is None else jac[keep]
                    mem = {key: v[keep] for key, v in mem.items()}
                    written = written[keep]
            q, tip, jac, f = self._step(self, q, tip, jac, f, am, mem)
            best, since = rule.recorded(f, best, since, ARRAYS)
        res, off = prob.residual(targets, out_tip), prob.aim_residual(aim, out_tip)
        return out_q, iters, res, off, stalled

    def _attempt_one(self, targets, aim, q, tip, jac, f, mem, budget, watched=True):
        """:meth:`_attempt` for one problem and one budget: the same iterations, arithmetic
        and rules (:mod:`armsim.ik.attempt`) on the FLOATS backend (the batch loop on one
        row gives the same answers bit for bit but costs 10-18 % more)."""
        prob = self.problem
        half_tol2 = 0.5 * self.tol**2
        # one row of a spatial dls problem: the same step on unbatched arrays
        step = _steps.dls_one if (self._spatial_one and self._step is _steps.dls) else self._step
        best = float(f[0])
        since = 0
        k = 0
        watch, hist, slow = self._progress if watched else None, [best], False
        while True:
            fk = float(f[0])
            slow = bool(watch) and k >= watch[0] and rule.too_slow(fk, hist[k - watch[0]],
                                                                   watch[1])
            if rule.stopped(fk, since, half_tol2) or k == budget or slow:
                break
            q, tip, jac, f = step(self, q, tip, jac, f, aim, mem)
            fn = float(f[0])
            best, since = rule.recorded(fn, best, since, FLOATS)
            k += 1
            hist.append(fn)
        res, off = prob.residual(targets, tip), prob.aim_residual(aim, tip)
        return (q.copy(), np.array([k]), res, off, np.array([rule.stalled(since, slow)]))

    def _attempts(self, targets, aim, reachable, q0, budget):
        """:meth:`_attempt` on chunks of ``self._chunk`` rows (bounded memory, the same answers)."""
        if self._float_one and len(q0) > 1 and compiled.enabled() and compiled.alike(self, aim):
            return compiled.attempts(self, aim, reachable, q0, budget)
        b, c = len(q0), self._chunk
        parts = [self._attempt(targets[s:s + c], aim[s:s + c], reachable[s:s + c], q0[s:s + c],
                               budget[s:s + c] if np.ndim(budget) else budget)
                 for s in range(0, b, c)]
        return parts[0] if len(parts) == 1 else tuple(np.concatenate(a) for a in zip(*parts))

    # -- the loop with restarts ------------------------------------------------------
    def run(self, targets, q0, details=None):
        """Solve a batch: targets (B, m) and q0 (B, n) (else one ValueError) give q (B, n),
        iterations (B,) of int, residual (B,) [m] and reasons (a list of B str).  ``details``
        (a dict) is filled, when the compiled solve ran every row, with what it measured at
        the answers by its forward kinematics: ``"parts"`` (position, orientation residuals)
        and, with several tools, ``"tools"`` (B, tools); a batch of one row given it runs as
        a longer one (a single solve's one row, without it, takes the array path)."""
        targets, q0 = run_arrays(self.problem, targets, q0, details is None)
        if (self._float_one and self.timeout is None and compiled.enabled()
                and (len(q0) > 1 or details is not None)):
            return compiled.run_rows(self, targets, q0, details)    # the single solve, per row
        check = getattr(self.problem, "check_start", None)
        if check is not None:       # a function or objectives undefined at a start: named
            check(q0)
        return self._run(targets, q0)

    def _run(self, targets, q0):
        prob = self.problem
        deadline = None if self.timeout is None else time.perf_counter() + self.timeout
        aim, reachable = prob.aim(targets)
        first = rule.first_budget(self)
        timed_out = np.zeros(len(targets), dtype=bool)
        if not self.restarts:
            q, iters, res, off, stalled = self._attempts(targets, aim, reachable, q0, first)
            return self._finish(q, iters, res, reachable, stalled, timed_out)
        # a target the problem proves unattainable: its first start runs all, no restart after
        proved = prob.proved(aim, reachable)
        if proved.any():
            first = np.where(proved, self.max_iter, first)
        start_of = prob.restart_starts(self.restarts, self.seed)
        hold = getattr(prob, "holding", lambda q0: None)(q0) or (lambda q, rows: q)  # a robot
        # the later starts in order, one per restart, each with its budget
        starts = [(lambda rows, k=k: hold(start_of(k, aim[rows]), rows))
                  for k in range(self.restarts)]
        plain = list(range(self.restarts))      # each start's k of start_of (None: another)
        many = getattr(start_of, "many", None)  # several k at once (the same starts, stacked)
        budgets = [self.max_iter] * self.restarts
        caller = q0
        restarted = np.zeros(len(targets), dtype=bool)   # rows where a start other than q0
        # ran (their answer may be turns away from q0; each row as its own solve would)
        if self.first_start == "nearer":
            # iterate first from q0 if its tip is within q0_radius of the aim or no farther
            # than the first pattern's start, from that start otherwise; the start not taken
            # first comes second, each with its own budget
            qa = prob.clip(q0)
            ea = prob.error(aim, prob.value(qa))
            ea2 = np.einsum("bi,bi->b", ea, ea)
            if not (ea2 <= self.q0_radius**2).all():
                # some q0 is far: compare with the first pattern's start (when every q0 is
                # near, q0 goes first everywhere and that start is only drawn if needed)
                qb = hold(start_of(0, aim), slice(None))
                eb = prob.error(aim, prob.value(qb))
                swap = rule.swapped(ea2, np.einsum("bi,bi->b", eb, eb), self.q0_radius**2)
                restarted |= ~(ea2 <= self.q0_radius**2)
                q0 = np.where(swap[:, None], qb, qa)
                budgets[0] = np.where(swap, first, self.max_iter)
                first = np.where(swap, self.max_iter, first)
                starts[0] = lambda rows: np.where(swap[rows, None], qa[rows], qb[rows])
                plain[0] = None
        q, iters, res, off, stalled = self._attempts(targets, aim, reachable, q0, first)
        quit_ = proved.copy()      # rows whose restarts end unsolved (proved, give_up, timeout)
        unfinished = np.where(reachable, res >= self.tol, off >= self.tol) & ~quit_
        since = np.zeros(len(res), dtype=int)     # restarts since the best residual fell
        if self.first_start == "nearer" and True in unfinished:
            # continuity: a q0 near its aim (the previous frame's answer, when tracking) that
            # its short budget left unfinished goes on from where it stopped, up to max_iter,
            # before any restart (a restart may land on another branch of solutions)
            extra = rule.continuation(ea2, self.q0_radius**2, self.max_iter, first, ARRAYS)
            if np.logical_or.reduce(extra[unfinished] > 0):
                q_first = q.copy()
                starts.insert(0, lambda rows: q_first[rows])
                plain.insert(0, None)
                budgets.insert(0, extra)
        i, grow = 0, GROUP_FIRST if self._spatial_one else 1     # (tuned on spatial dls)
        while i < len(starts) and True in unfinished:
            if deadline is not None and time.perf_counter() > deadline:
                timed_out |= unfinished
                break
            # the next k starts of every unfinished row (k doubling, k x rows <= GROUP_ROWS;
            # one row alone: k = 1, on floats) run as one batch, in order as if one by one
            rows = np.flatnonzero(unfinished)
            k = 1 if rows.size == 1 else max(1, min(len(starts) - i, GROUP_ROWS // rows.size, grow))
            restarted[rows] = True
            idx = np.tile(rows, k)
            ks = plain[i:i + k]
            q_st = (np.concatenate([starts[j](rows) for j in range(i, i + k)])
                    if many is None or k == 1 or None in ks else hold(many(ks, aim[rows]), idx))
            bud = np.concatenate([np.broadcast_to(budgets[j], unfinished.shape)[rows]
                                  for j in range(i, i + k)])
            q2, it2, res2, off2, st2 = self._attempts(targets[idx], aim[idx], reachable[idx],
                                                      q_st, bud)
            r = rows.size
            for j in range(k):
                live = unfinished[rows]
                if not live.any():
                    break
                sl = slice(j * r, (j + 1) * r)
                iters[rows[live]] += it2[sl][live]
                better = live & rule.improved(res2[sl], res[rows], off2[sl], off[rows],
                                              reachable[rows], ARRAYS)
                if self.give_up is not None:
                    since[rows[live]] = rule.gave_up_count(
                        since[rows], res2[sl], res[rows], off2[sl], off[rows], reachable[rows],
                        ARRAYS)[live]
                won = rows[better]
                q[won], res[won], off[won], stalled[won] = (q2[sl][better], res2[sl][better],
                                                            off2[sl][better], st2[sl][better])
                if self.give_up is not None:
                    gave = rows[live & (since[rows] >= self.give_up)]
                    quit_[gave], stalled[gave] = True, True
                unfinished = np.where(reachable, res >= self.tol, off >= self.tol) & ~quit_
            i, grow = i + k, 2 * grow
        again = np.logical_or.reduce(restarted)
        free = prob.turnable() if again else None
        if again and np.logical_or.reduce(free):
            # angles the problem leaves unbounded turn by whole turns to within pi of the
            # caller's start: the same pose, without a 2 pi jump when a restart won
            turned = np.where(free, q + 2.0 * np.pi * np.rint((caller - q) / (2.0 * np.pi)),
                              q)
            turned = np.where(prob.clip(turned) == turned, turned, q)   # within the limits
            moved = np.logical_or.reduce(turned != q, axis=-1) & restarted
            if np.logical_or.reduce(moved):
                q[moved] = turned[moved]
                res[moved] = prob.residual(targets[moved], prob.value(q[moved]))
        return self._finish(q, iters, res, reachable, stalled, timed_out)

    def _finish(self, q, iters, res, reachable, stalled, timed_out):
        code = np.where(res < self.tol, 0, np.where(~reachable, 1, np.where(
            timed_out, 4, np.where(stalled, 2, 3))))
        return q, iters, res, _REASONS[code].tolist()

    def solve(self, target, q0=None, rows=False):
        """Solve one problem: target (m,) (a pose's: or (4, 4); ``rows``: the problem's rows,
        checked by :func:`solve`), q0 (n,) -> :class:`IKResult`."""
        prob = self.problem
        target = solve_target(target if rows else _given_rows(prob, target, False),
                              prob.target_size, MAX_COORDINATE)
        q0 = prob.default_start() if q0 is None else _array("q0", q0)
        if not within(q0, prob.n, MAX_ANGLE):
            raise rows_error("q0", q0, (prob.n,), MAX_ANGLE, " rad")
        # one dls problem on Python floats: planar (:mod:`scalar`) or spatial
        # (:mod:`spatial_scalar`; None: it hands over to the arrays)
        one = (self._scalar and scalar.run_one(self, target, q0) + ((None, None),)) or (
            self._float_one and spatial_scalar.run_one(self, target, q0))
        if one:
            q, iters, res, reason, (pos, ori), *tools = one    # tools: the compiled solve's
            q = np.asarray(q)
            turned, res2 = (self._whole_turns(q[None], q0[None], target[None], [res])
                            if self._turns is not None else (None, None))
            if turned is not None:          # continuous joints: near q0 (the same pose)
                q, res, tools = turned[0], float(res2[0]), ()
                parts = prob.residual_parts(target[None], prob.value(turned))
                pos, ori = (None, None) if parts is None else (float(parts[0][0]),
                                                               float(parts[1][0]))
            out = IKResult(q=q, success=res < self.tol, iterations=iters, residual=res,
                           reason=reason, position_residual=pos, orientation_residual=ori)
            if isinstance(prob, TreeTargets):
                out = prob.finish(out, target[None], q0[None], self.tol, single=True,
                                  tools=tools[0] if tools else None)
            return out
        q, iters, res, reasons = self.run(target[None], q0[None])
        turned, res2 = (self._whole_turns(q, q0[None], target[None], res)
                        if self._turns is not None else (None, None))
        q, res = (q, res) if turned is None else (turned, res2)
        out = IKResult(q=q[0], success=bool(res[0] < self.tol), iterations=int(iters[0]),
                       residual=float(res[0]), reason=reasons[0])
        parts = prob.residual_parts(target[None], prob.value(q))
        if parts is not None:
            out.position_residual, out.orientation_residual = float(parts[0][0]), float(parts[1][0])
        if isinstance(prob, (Stack, TreeTargets)):
            out = prob.finish(out, target[None], q0[None], self.tol, single=True)
        return out

    def _whole_turns(self, q, q0, targets, res):
        """Continuous joints (wrapped to [-pi, pi) while solved) turned by whole turns to within
        pi of the caller's ``q0`` (B, n): the same pose.  (q, residual): moved rows' by forward
        kinematics (a row kept if its success would change); (None, None): none moved."""
        if self._turns is None:
            return None, None
        prob = self.problem
        turned = np.where(self._turns, q + 2.0 * np.pi * np.rint((q0 - q) / (2.0 * np.pi)), q)
        moved = np.flatnonzero(np.logical_or.reduce(turned != q, axis=-1))
        if not moved.size:
            return None, None
        res, new = np.array(res, dtype=float), prob.residual(targets[moved],
                                                             prob.value(turned[moved]))
        keep = (new < self.tol) != (res[moved] < self.tol)
        turned[moved[keep]], res[moved[~keep]] = q[moved[keep]], new[~keep]
        return turned, res

    def solve_raw(self, flat, q0, target):
        """:meth:`solve` of ``target`` as the caller gave it, a spatial chain's float array
        or a robot's dict of them (:func:`~armsim.ik.problems.raw_problem`,
        :func:`~armsim.ik.tree.raw_tree`: the numbers ``flat``), by the compiled solve with
        its checks (:func:`armsim.ik.compiled.run_target`) when it takes them, else checked
        here (:func:`~armsim.ik.problems.for_target`, :func:`~armsim.ik.tree.for_tree`)."""
        prob = self.problem
        if q0 is None:
            q0 = prob.default_start()
        if (self._float_one and compiled.enabled() and plain(q0, (prob.n,))
                and self._turns is None):       # (continuous joints: _whole_turns)
            got = compiled.run_target(self, flat, q0, np.inf if self.timeout is None
                                      else time.perf_counter() + self.timeout)
            if got is not None:
                (q, iters, res, stalled, (pos, ori), tools, timed), attainable = got
                why = spatial_scalar.compiled_reason(res, self.tol, attainable, stalled, timed)
                out = IKResult(q, res < self.tol, iters, res, why, pos, ori)
                if tools is None and prob.__class__ is not TreeTargets:
                    return out
                tools = [res] if tools is None else tools   # one tool: the solve's residual
                rows = None if out.success else for_tree(prob.robot, target, False)[1][None]
                return prob.finish(out, rows, q0[None], self.tol, single=True, tools=tools)
        tree = prob.__class__ is TreeTargets
        return self.solve((for_tree if tree else for_target)(prob.chain, target, batch=False)[1],
                          q0)

    def solve_batch(self, targets, q0=None):
        """Solve B problems: targets (B, m) (a pose's: or (B, 4, 4)), q0 (B, n) or None."""
        prob = self.problem
        m, n = prob.target_size, prob.n
        check_rows(targets)
        targets = _array("targets", _given_rows(prob, targets, True))
        if targets.ndim != 2 or targets.shape[1] != m or not np.all(np.abs(targets) <= MAX_COORDINATE):
            raise rows_error("targets", targets, ("B", m), MAX_COORDINATE)
        b = targets.shape[0]
        if q0 is None:
            q0 = np.broadcast_to(prob.default_start(), (b, n))
        q0 = _array("q0", q0)
        if q0.shape != (b, n) or not np.all(np.abs(q0) <= MAX_ANGLE):
            raise rows_error("q0", q0, (b, n), MAX_ANGLE, " rad")
        # one run over the whole batch: its restarts pool the unfinished rows of all chunks
        details = {}            # the compiled rows' residuals (else measured here)
        with blas_threads(b):
            q, iters, res, reasons = (self.run(targets, q0, details) if b else
                                      (np.zeros((0, n)), np.zeros(0, dtype=int), np.zeros(0),
                                       []))
        turned, res2 = self._whole_turns(q, q0, targets, res) if b else (None, None)
        if turned is not None:      # continuous joints: near q0 (the same pose)
            q, res = turned, res2
            details = {}            # (the compiled rows' residuals were at the wrapped q)
        out = IKResult(q=q, success=res < self.tol, iterations=iters, residual=res,
                       reason=np.array(reasons, dtype=str))
        parts = details.get("parts") or prob.residual_parts(  # (no rows: (0,) each, as B)
            targets, prob.value(q) if b else np.zeros((0, m)))
        if parts is not None:
            out.position_residual, out.orientation_residual = parts
        if isinstance(prob, Stack) or (isinstance(prob, TreeTargets) and b):
            out = prob.finish(out, targets, q0, self.tol, single=False,
                              **({"tools": details["tools"]} if "tools" in details else {}))
        elif isinstance(prob, TreeTargets):
            out.targets = {name: np.zeros(0) for name in prob.names}    # no rows: none
        return out


def default_start(task):
    """The start used when none is given (a planar chain: a gentle, non-singular bend of
    0.3 rad per joint)."""
    return as_problem(task).default_start()


def solve(chain, target, q0=None, method=DEFAULTS["method"], correction=DEFAULTS["correction"],
          tol=None, max_iter=DEFAULT, first_iter=DEFAULT,
          restarts=DEFAULT, seed=DEFAULTS["seed"],
          first_start=DEFAULTS["first_start"], q0_radius=None, objectives=None,
          priority=False, max_step=None, give_up=DEFAULT, timeout=None, **options):
    """Move the tip of ``chain`` to ``target``.

    ``max_iter``, ``first_iter`` and ``restarts`` left at their default take the problem's
    own defaults when it has them (a spatial target: 15, 25, 150 with ``dls``, 20, 20, 150
    with ``ccd``, chosen with ``bench/ik_spatial_settings.py`` and ``bench/ccd_spatial.py``), and its
    ``default_damping`` when ``damping`` is not given (spatial: 0.01,
    ``bench/ik_spatial_settings.py``); :data:`DEFAULTS` otherwise (planar: 10, 3, 8; 1.0).

    Parameters
    ----------
    chain : Chain
    target : array_like (2,) [m]
    q0 : array_like (N,) [rad], optional (default :func:`default_start`)
    method : str, one of :data:`METHODS`
    correction : str, one of :data:`CORRECTIONS` (``method="gradient"`` only)
    tol : float [m], optional (default ``1e-6 * reach``; a robot's: without a moving
        base's travel)
    max_iter : int
        Iteration budget of each start.
    first_iter : int or None
        Budget of the caller's start ``q0`` when restarts follow (default: the problem's,
        at most a ``max_iter`` given).  A good start converges in a few iterations (the local
        convergence of ``dls`` is fast); a short budget hands a bad one over to
        the restarts early.
    restarts : int
        Extra random starts for a problem a start fails.
    seed : int or None
        Seed of the restarts.
    first_start : str, one of :data:`FIRST_STARTS`
        ``"nearer"`` (default): iterate first from ``q0`` if its tip is within
        ``q0_radius`` of the aim or no farther than the first restart's start,
        from that start otherwise; ``"q0"``: always ``q0`` first.  See :class:`Solver`.
    q0_radius : float [m], optional (default ``0.2 * reach``)
    objectives : list, optional
        Objectives stacked under the target (:mod:`armsim.ik.objectives`: ``PointTarget``,
        ``Posture``, ``JointLimitBarrier``, ``Obstacle``, ``Smoothness``, ``Objective``);
        ``success`` still means the target is reached, ``result.objectives`` gives each
        objective's final residual.
    priority : bool
        Serve the objectives only in the null space of the target (``dls`` only).
    max_step : float [rad], optional
        Hard cap on each joint's change from ``q0``.
    give_up : int or None
        Restarts end once this many (at most 10**12) in a row found no start that lowers
        the best residual below :data:`GIVE_UP_FACTOR` times itself (default: the problem's
        ``default_give_up``, spatial 60; planar None, every restart runs).
    timeout : float [s], optional
        Wall-clock cap of the call; a problem unsolved by then has reason ``"timeout"``
        (see :class:`Solver`).  None (default): no cap.
    **options : step_size, max_angular_speed, damping, max_joint_step (see :class:`Options`)

    Returns
    -------
    IKResult
    """
    options["give_up"], priority = give_up, _flag("priority", priority)
    # float poses or positions whose problem is known: checked in the compiled solve
    raw = (compiled.on() and objectives is None and not priority and max_step is None
           and (raw_tree(chain, target) if chain.__class__ is Robot else
                raw_problem(chain, target)))
    if raw:
        chain, flat = raw
    else:
        chain, target = (for_tree(chain, target, batch=False) if chain.__class__ is Robot else
                         for_target(chain, target, batch=False))   # a spatial chain: by shape
    max_iter, first_iter, restarts = _defaults(chain, max_iter, first_iter, restarts, method,
                                            options)
    # the solver of these settings, made once per thread (not with objectives: a caller may
    # change them), and again when a setting, its default or what the solver read changed
    key = None
    if objectives is None and not priority and max_step is None:
        key = (chain, method, correction, tol, max_iter, first_iter, restarts, seed,
               first_start, q0_radius, timeout, *options.items())
        key += tuple(map(type, key)) + (getattr(chain, "progress", None), Q0_RADIUS,
                                        CHUNK_ELEMENTS, CHUNK_ROWS, CHUNK_MAX, scalar.MAX_N,
                                        STEPS.get(method))
        kept = _SOLVERS.__dict__.setdefault("kept", {})
        try:
            made = kept.get(key)
        except TypeError:                 # a setting that is not hashable: made each time
            made = key = None
        if made is not None:
            return made.solve_raw(flat, q0, target) if raw else made.solve(target, q0, True)
    solver = Solver(chain, method=method, correction=correction, tol=tol, max_iter=max_iter,
                    first_iter=first_iter, restarts=restarts, seed=seed,
                    first_start=first_start, q0_radius=q0_radius, objectives=objectives,
                    priority=priority, max_step=max_step, timeout=timeout, **options)
    if key is not None:
        if len(kept) >= SOLVERS_KEPT:
            kept.clear()
        kept[key] = solver
    return solver.solve_raw(flat, q0, target) if raw else solver.solve(target, q0, True)


#: :func:`solve` keeps this many solvers per thread (their settings differ); then starts over
SOLVERS_KEPT = 16
_SOLVERS = threading.local()


def solve_batch(chain, targets, q0=None, method=DEFAULTS["method"],
                correction=DEFAULTS["correction"], tol=None, max_iter=DEFAULT,
                first_iter=DEFAULT, restarts=DEFAULT,
                seed=DEFAULTS["seed"], first_start=DEFAULTS["first_start"], q0_radius=None,
                objectives=None, priority=False, max_step=None, give_up=DEFAULT, timeout=None,
                **options):
    """Solve B problems at once with array operations.

    Same parameters as :func:`solve`, with ``targets`` (B, 2) [m] and ``q0``
    (B, N) [rad] or None.  Problem ``i`` gets the answer
    ``solve(chain, targets[i], q0[i], ...)`` gives: the same iterations, success and reason,
    its joints equal up to rounding (arrays of B rows round differently from one row's
    floats: ad hoc, up to 1e-12 rad on the Panda and 6e-11 on the dual arm), unless that
    rounding flips a step's accept/reject (an error that barely changes, pressed on a
    limit): from there the two go on apart.

    Returns
    -------
    IKResult whose fields have a leading axis B.
    """
    check_rows(targets)
    chain, targets = (for_tree(chain, targets, batch=True) if chain.__class__ is Robot else
                      for_target(chain, targets, batch=True))
    options["give_up"] = give_up
    max_iter, first_iter, restarts = _defaults(chain, max_iter, first_iter, restarts, method,
                                            options)
    solver = Solver(chain, method=method, correction=correction, tol=tol, max_iter=max_iter,
                    first_iter=first_iter, restarts=restarts, seed=seed,
                    first_start=first_start, q0_radius=q0_radius, objectives=objectives,
                    priority=priority, max_step=max_step, timeout=timeout, **options)
    return solver.solve_batch(targets, q0)
