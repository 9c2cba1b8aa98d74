"""The primary target and the objectives' residuals stacked into one problem
(:class:`Stack`), and the hard step cap of a solve's answer (:func:`capped`); the
objectives themselves: :mod:`armsim.ik.objectives`."""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad
from armsim.ik.objectives import MAX_SIZE, VALUE_CHUNK, Objective, _Pass, _weight
from armsim.ik.problems import Problem
from armsim.kinematics.planar import _gib, memory_budget
from armsim.ranges import shown

__all__ = ["Stack", "capped"]


class Stack(Problem):
    """The primary problem (its rows first) and the objectives' residuals below.

    ``value`` is the primary value (``primary.target_size`` columns) followed by the
    weighted residuals; ``error`` is the primary error followed by ``-residual``; the
    Jacobian rows are the primary's then each objective's, by one forward-mode pass.
    ``residual`` (what the loop's restarts judge) is the larger of the primary residual
    and the norm of the hard objectives' residuals; :meth:`finish` reports the primary's.
    """

    supports = ("dls", "gradient", "pinv")

    def __init__(self, primary, chain, objectives=(), priority=False, max_step=None):
        self.primary, self.chain = primary, chain
        if isinstance(objectives, Objective):
            objectives = [objectives]          # one objective: a list of one
        try:
            objectives = list(objectives)
        except TypeError:
            raise ValueError(f"objectives must be a list of armsim objectives, got "
                             f"{type(objectives).__name__}") from None
        for o in objectives:
            if not isinstance(o, Objective):
                raise ValueError(f"objectives must be armsim objectives (Objective, Posture, "
                                 f"Obstacle, ...), got {type(o).__name__}")
            if chain is None and o.geometric:
                raise ValueError(f"{type(o).__name__} needs a chain or a robot (the links' "
                                 f"geometry); this problem has none")
            o.bind(primary if chain is None else chain)     # (a function's: its n, limits)
        self.objectives = objectives
        self._bind_to = primary if chain is None else chain
        self.priority = bool(priority)
        if max_step is not None:        # one rule, one message (> 0: 0 would never move)
            try:
                ok = _weight(max_step, "max_step") > 0
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"max_step must be a number > 0 and at most {MAX_SIZE:g} "
                                 f"[rad], got {shown(max_step)}")
        self.max_step = None if max_step is None else float(max_step)
        self.n = primary.n
        self.scale, self.limits = primary.scale, primary.limits
        # dls takes a joint at its limit out of the step when the primary does (the stacked
        # rows are solved as one: the same active set); clipping instead stalls an arm
        # pressed on a limit
        self.clamps = primary.clamps
        self.tol_scale = getattr(primary, "tol_scale", primary.scale)
        self.curvature = None
        self._width = primary.target_size
        self.primary_rows = primary.m
        # the objectives' sizes, from one plain evaluation at the default start
        q = np.asarray(primary.default_start(), dtype=float)[None]
        self.sizes = [np.shape(ad.value_of(o.residual(_Pass(q, chain))))[1] for o in objectives]
        self.m = primary.m + int(sum(self.sizes))
        self._hard = np.concatenate([np.full(k, o.hard) for o, k in
                                     zip(objectives, self.sizes)] or [np.zeros(0, bool)])
        self.names = _names(objectives)
        need = 8 * self.row_floats(True)
        if objectives and need > memory_budget():
            raise ValueError(f"objectives {', '.join(self.names)}: one row of a solve would "
                             f"need about {_gib(need)} of memory, more than the "
                             f"{_gib(memory_budget())} budget (half the memory this process "
                             f"may use)")
        # a target proved out of reach runs as the primary's does (a spatial chain's: one
        # start, its full budget; restarts only chased the same stretch, 60 starts of 15)
        self.retry_unattainable = primary.retry_unattainable
        for key in ("default_max_iter", "default_first_iter", "default_restarts"):
            if hasattr(primary, key):
                setattr(self, key, getattr(primary, key))

    @property
    def target_size(self):
        return self.primary.target_size

    def row_floats(self, jacobian):
        """A row's floats while it is solved: the primary's (as the loop counts them), each
        objective's evaluation (:meth:`Objective.row_floats`) and the stacked Jacobian and
        J J^T."""
        p, n = self.primary, self.n
        own = (p.row_floats(jacobian) if p.row_floats is not None
               else p.target_size * n * (n if jacobian else 1))
        return (own + sum(o.row_floats(n, k, jacobian) for o, k in
                          zip(self.objectives, self.sizes))
                + self.m * (n + self.m if jacobian else 1))

    def _value_rows(self):
        """Rows of q whose objectives' values are evaluated at once (:data:`VALUE_CHUNK`)."""
        per = sum(o.row_floats(self.n, k, False) for o, k in zip(self.objectives, self.sizes))
        return max(1, int(VALUE_CHUNK // max(per, 1)))

    def _objectives(self, q):
        ctx = _Pass(q, self.chain)
        # (an objective another solve bound to its own chain since: bound to this one again)
        return [o.bound_to(self._bind_to).residual(ctx) for o in self.objectives]

    def value(self, q):
        y = self.primary.value(q)
        if not self.objectives:
            return y
        step = self._value_rows()              # the objectives in blocks of rows
        return np.concatenate([y, np.concatenate(
            [np.concatenate([np.asarray(ad.value_of(r)) for r in self._objectives(q[s:s + step])],
                            axis=-1) for s in range(0, len(q), step)])], axis=-1)

    def value_and_jacobian(self, q):
        y, jac = self.primary.value_and_jacobian(q)
        if not self.objectives:
            return y, jac
        b, n = q.shape
        qd = ad.Dual(q, np.broadcast_to(np.eye(n), (b, n, n)))
        vals, jacs = [y], [jac]
        for r in self._objectives(qd):
            if isinstance(r, ad.Dual):
                vals.append(r.value)
                jacs.append(np.broadcast_to(r.tangent, r.value.shape + (n,)))
            else:
                r = np.broadcast_to(np.asarray(r, dtype=float), (b, np.shape(r)[-1]))
                vals.append(r)
                jacs.append(np.zeros(r.shape + (n,)))
        return np.concatenate(vals, axis=-1), np.concatenate(jacs, axis=-2)

    def row_weights(self, aim):
        """(B, m) the primary's :meth:`row_weights` (a robot's tool beyond its reach), the
        objectives' rows 1; None when the primary has none."""
        weigh = getattr(self.primary, "row_weights", None)
        top = None if weigh is None else weigh(aim)
        if top is None:
            return None
        return np.concatenate([top, np.ones((len(top), self.m - self.primary_rows))], axis=-1)

    def error(self, aim, y):
        e = self.primary.error(aim, y[:, :self._width])
        if not self.objectives:
            return e
        return np.concatenate([e, -y[:, self._width:]], axis=-1)

    def residual(self, targets, y, of="residual"):
        res = getattr(self.primary, of)(targets, y[:, :self._width])
        if self._hard.any():
            h = y[:, self._width:][:, self._hard]
            res = np.maximum(res, np.sqrt(np.einsum("bi,bi->b", h, h)))
        return res

    def aim_residual(self, aim, y):
        return self.residual(aim, y, "aim_residual")

    def residual_parts(self, targets, y):
        return self.primary.residual_parts(targets, y[:, :self._width])

    def aim(self, targets):
        return self.primary.aim(targets)

    def proved(self, aim, reachable):
        return self.primary.proved(aim, reachable)

    def clip(self, q):
        return self.primary.clip(q)

    def angles(self):
        return self.primary.angles()

    def default_start(self):
        return self.primary.default_start()

    def restart_starts(self, restarts, seed):
        return self.primary.restart_starts(restarts, seed)

    def holding(self, q0):
        """The primary's rule for the starts the loop draws (a robot's
        :meth:`~armsim.ik.tree.TreeTargets.holding`: the joints no tool moves start at the
        caller's q0, and the objectives move them only as they ask), or None."""
        return getattr(self.primary, "holding", lambda q0: None)(q0)

    def check_start(self, q0):
        """A one-line ValueError when an objective is not finite at a start ``q0`` (B, n),
        within the limits: no step from there can be judged (a step is taken when it lowers
        the error), so a solve would run every start's budget and end with a NaN."""
        q0 = self.clip(np.asarray(q0, dtype=float))
        getattr(self.primary, "check_start", lambda q: None)(q0)
        for name, v in self.objective_residuals(q0).items():
            if not np.isfinite(v).all():
                i = int(np.flatnonzero(~np.isfinite(v))[0])
                raise ValueError(f"objective {name!r} is not finite at the start "
                                 f"{'q0' if len(q0) == 1 else f'q0[{i}]'} ({v[i]}); a solve "
                                 f"starts where every objective is defined")

    def objective_residuals(self, q):
        """{name: norm of the weighted residual (B,)} at q (B, n), evaluated in blocks of
        rows (bounded memory)."""
        q = np.asarray(q, dtype=float)
        out = {name: np.empty(len(q)) for name in self.names}
        step = self._value_rows()
        for s in range(0, len(q), step):
            for name, r in zip(self.names, self._objectives(q[s:s + step])):
                r = np.asarray(ad.value_of(r))
                out[name][s:s + step] = np.sqrt(np.einsum("bi,bi->b", r, r))
        return out

    def finish(self, out, targets, q0, tol, single):
        """Rewrite the loop's result: the hard step cap (``max_step``), then ``residual``
        and ``success`` of the primary target alone, and ``objectives``."""
        q = np.atleast_2d(np.asarray(out.q, dtype=float))
        if self.max_step is not None:
            q = capped(q, self.primary.clip(np.asarray(q0, float)), self.max_step,
                       self.primary.clip)
            out.q = q[0] if single else q
        y = self.primary.value(q)
        short = "stalled"
        if hasattr(self.primary, "target_residuals"):    # a robot's tools: each one's own
            res = np.max(np.stack(list(self.primary.target_residuals(targets, y).values())),
                         axis=0)                       # (its residual weighs a far tool less)
            short = np.where(self.primary.aim(targets)[1], "stalled", "unreachable")
        else:
            res = self.primary.residual(targets, y)
        ok = res < tol
        reason = np.atleast_1d(np.asarray(out.reason, dtype=object))
        reason = np.where(ok, "converged", np.where(reason == "converged", short, reason))
        parts = self.primary.residual_parts(targets, y)
        objs = self.objective_residuals(q)
        if hasattr(self.primary, "finish"):          # a robot's tools: each one's residual
            out = self.primary.finish(out, targets, q0, tol, single, stretch=False)
        if single:
            out.residual, out.success, out.reason = float(res[0]), bool(ok[0]), str(reason[0])
            out.objectives = {k: float(v[0]) for k, v in objs.items()}
            if parts is not None:
                out.position_residual, out.orientation_residual = (float(parts[0][0]),
                                                                   float(parts[1][0]))
        else:
            out.residual, out.success, out.reason = res, ok, reason.astype(str)
            out.objectives = objs
            if parts is not None:
                out.position_residual, out.orientation_residual = parts
        return out


def _names(objectives):
    """Each objective's name, with ``[i]`` appended when a name repeats."""
    base = [o.name for o in objectives]
    out, seen = [], {}
    for name in base:
        if base.count(name) > 1:
            i = seen.get(name, 0)
            seen[name] = i + 1
            name = f"{name}[{i}]"
        out.append(name)
    return out


def capped(q, q0, max_step, clip=None):
    """q moved back towards q0 along the straight line so no joint changes by more than
    ``max_step`` [rad]: ``q0 + s (q - q0)`` with the largest ``s <= 1`` that allows (a joint
    its rounding took past ``max_step``, by an ulp, moved back to within it)."""
    q0 = np.broadcast_to(np.asarray(q0, dtype=float), q.shape)
    d = q - q0
    big = np.max(np.abs(d), axis=-1, keepdims=True)
    s = np.minimum(1.0, max_step / np.where(big > 0, big, 1.0))
    out = q0 + s * d
    for _ in range(4):                  # (q0 + x) - q0 may round to more than x
        over = np.abs(out - q0) > max_step
        if not over.any():
            break
        # (back by the larger ulp of the two: the difference's own rounding)
        out = np.where(over, out - np.sign(d) * np.spacing(np.maximum(np.abs(out),
                                                                      np.abs(q0))), out)
    return out if clip is None else clip(out)
