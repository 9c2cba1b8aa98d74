"""What the solver loop solves: an m-vector task value ``y(q)`` sent to an aim.

The loop (:class:`~armsim.ik.loop.Solver`) and the step methods
(:mod:`~armsim.ik.steps`) know only this interface, never whether the
task space is a planar point (m = 2), a spatial position (m = 3), a pose
(m = 6) or a stack of objectives.  A problem gives, for a batch of joint
vectors ``q`` (B, n):

``value(q)``                 the task value y (B, m)
``value_and_jacobian(q)``    y (B, m) and dy/dq (B, m, n) by forward-mode AD
``aim(targets)``             where y is sent (B, m) and whether the target is attainable (B,)
``clip(q)``                  q within the joint limits
``scale``                    a task-space length: tolerances and step limits are fractions of it
``curvature``                a bound of ``|J|_F^2`` (the gradient step is divided by it), or None

The error the loop drives to zero is ``e = aim - y``; the objective
``f = |e|^2 / 2``.  Two problems ship: :class:`PlanarPoint` (the tip of a
planar :class:`~armsim.kinematics.planar.Chain` sent to a point, with the workspace, the
geometric starts and the joint positions that ``ccd`` and ``fabrik`` need)
and :class:`FunctionProblem` (any function written with :mod:`armsim.ad.dual`'s
operators, whose Jacobian comes from the AD).
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from armsim.ad import dual as ad
from armsim.ik import planar as kin

__all__ = ["Problem", "PlanarPoint", "FunctionProblem", "as_problem"]


class Problem:
    """Base class: an m-vector task value of n joint values.

    Subclasses set ``m``, ``n`` and ``scale`` and implement :meth:`value`
    and :meth:`value_and_jacobian`; the rest has defaults (no limits, every
    target attainable, no curvature bound, random restarts in the limits or
    in [-pi, pi)).
    """

    m: int
    n: int
    scale: float = 1.0
    curvature: float | None = None
    limits: np.ndarray | None = None    # (n, 2) or None
    #: methods that need more than the interface (planar geometry)
    supports: tuple = ("dls", "gradient", "pinv")

    def value(self, q):
        """y (B, m) for q (B, n)."""
        raise NotImplementedError

    def value_and_jacobian(self, q):
        """y (B, m) and dy/dq (B, m, n)."""
        raise NotImplementedError

    def aim(self, targets):
        """(aim (B, m), attainable (B,) bool): by default the target itself."""
        return targets, np.ones(len(targets), dtype=bool)

    def clip(self, q):
        if self.limits is None:
            return q
        return np.clip(q, self.limits[:, 0], self.limits[:, 1])

    def default_start(self):
        """The start when none is given: zeros, within the limits."""
        return self.clip(np.zeros(self.n))

    def restart_starts(self, restarts, seed):
        """A function ``start(k, aim_rows) -> q (len(aim_rows), n)`` for restart ``k``.

        By default uniform draws in the joint limits (or [-pi, pi) without
        them) from ``default_rng(seed)``, the same for every row of one restart.
        """
        rng = np.random.default_rng(seed)
        lo, hi = ((-np.pi, np.pi) if self.limits is None
                  else (self.limits[:, 0], self.limits[:, 1]))
        draws = rng.uniform(lo, hi, size=(restarts, self.n))
        return lambda k, aim: np.broadcast_to(draws[k], (len(aim), self.n)).copy()


class PlanarPoint(Problem):
    """The tip of a planar chain sent to a point (m = 2).

    ``aim`` replaces a target outside the workspace annulus by its nearest
    point (:func:`~armsim.ik.planar.aim_points`); the curvature
    bound is ``sum_j (distance from joint j to the tip at full stretch)^2``.
    """

    m = 2
    supports = ("dls", "gradient", "pinv", "ccd", "fabrik")

    def __init__(self, chain):
        self.chain = chain
        self.n = chain.n
        self.scale = chain.reach
        self.limits = chain.limits
        to_tip = np.cumsum(chain.lengths[::-1])[::-1]
        self.curvature = float(np.sum(to_tip**2))
        self._radii = kin.workspace(chain)

    def value(self, q):
        return kin.tip(self.chain, q)

    def value_and_jacobian(self, q):
        return kin.tip_and_jacobian(self.chain, q)

    def aim(self, targets):
        return kin.aim_points(self.chain, targets, self._radii)

    def clip(self, q):
        return self.chain.clip(q)

    def default_start(self):
        return self.chain.clip(np.full(self.n, 0.3))

    def joints(self, q):
        """Base, joints and tip (B, n+1, 2), for the geometric methods."""
        return kin.joints(self.chain, q)

    def restart_starts(self, restarts, seed):
        """Geometric starts: restart ``k`` bends the arm by a random pattern, scaled so
        the tip sits at the aim's distance and turned to point at it (:meth:`pointed`)."""
        shapes, dists = _restart_table(self.chain.lengths, restarts, seed)
        return lambda k, aim: self.pointed(shapes[k], dists[k], aim)

    def pointed(self, shape, dist, aim):
        """One start per problem from a bending pattern ``shape`` (n,).

        The pattern is scaled, ``c * shape`` with ``c`` in [0, pi], until the tip is
        at the aim's distance from the base (the least bent such ``c``, linearly
        interpolated between the distances ``dist`` (64,) of the tip at the scales
        :data:`SCALES`), then turned at the base so the tip points at the aim: a
        random start, already close to a solution.  (For an aim at full reach the
        least bent scale is 0: the straight arm.)
        """
        chain = self.chain
        scales, d = SCALES, dist
        rel = aim - chain.base
        r = np.hypot(rel[:, 0], rel[:, 1])
        below = d[None, :] <= r[:, None]                          # (B, 64)
        k = np.where(below.any(axis=1), np.argmax(below, axis=1), len(scales) - 1)
        k0 = np.maximum(k - 1, 0)
        d0, d1 = d[k0], d[k]
        w = np.where(d0 > d1, (d0 - r) / np.where(d0 > d1, d0 - d1, 1.0), 0.0)
        c = scales[k0] + np.clip(w, 0.0, 1.0) * (scales[k] - scales[k0])
        start = c[:, None] * shape
        t = kin.tip(chain, start) - chain.base
        start[:, 0] += kin.wrap(np.arctan2(rel[:, 1], rel[:, 0]) - np.arctan2(t[:, 1], t[:, 0]))
        return chain.clip(start)


SCALES = np.linspace(0.0, np.pi, 64)   # bend scales of the geometric restart starts


def _restart_table(lengths, restarts, seed):
    """Bending patterns of the restarts (restarts, n), uniform in [-1, 1) per joint, drawn
    from ``default_rng(seed)``, and the tip's distance from the base at each of the
    :data:`SCALES` (restarts, 64).  Cached for an integer seed."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return _restart_table_cached(lengths.tobytes(), restarts, int(seed))
    return _make_restart_table(lengths, restarts, seed)


@functools.lru_cache(maxsize=64)
def _restart_table_cached(lengths_bytes, restarts, seed):
    return _make_restart_table(np.frombuffer(lengths_bytes), restarts, seed)


def _make_restart_table(lengths, restarts, seed):
    rng = np.random.default_rng(seed)
    shapes = rng.uniform(-1.0, 1.0, size=(restarts, lengths.size))
    theta = np.cumsum(SCALES[None, :, None] * shapes[:, None, :], axis=-1)
    dist = np.hypot((lengths * np.cos(theta)).sum(-1), (lengths * np.sin(theta)).sum(-1))
    shapes.setflags(write=False)
    dist.setflags(write=False)
    return shapes, dist


class FunctionProblem(Problem):
    """Any task ``y = fun(q)`` written with :mod:`armsim.ad.dual`'s operators.

    Parameters
    ----------
    fun : callable
        ``fun(q)`` with q of shape (B, n) (an array or a
        :class:`~armsim.ad.dual.Dual`) returns y of shape (B, m).
    n, m : int
        Joint and task dimensions.
    scale : float
        A task-space length (tolerance ``1e-6 * scale``).
    limits : array_like (n, 2), optional
    curvature : float, optional
        A bound of ``|J|_F^2``; without it the gradient step divides by the
        squared Frobenius norm of the Jacobian at the start of each solve.

    The Jacobian is one forward-mode pass with identity tangents on q.
    """

    def __init__(self, fun, n, m, scale=1.0, limits=None, curvature=None):
        self.fun = fun
        self.n, self.m = int(n), int(m)
        if self.n < 1 or self.m < 1:
            raise ValueError(f"n and m must be >= 1, got n={n}, m={m}")
        self.scale = float(scale)
        if not np.isfinite(self.scale) or self.scale <= 0:
            raise ValueError(f"scale must be a finite number > 0, got {scale}")
        if limits is not None:
            limits = np.asarray(limits, dtype=float)
            if limits.shape != (self.n, 2) or not np.all(limits[:, 0] <= limits[:, 1]):
                raise ValueError(f"limits must have shape ({self.n}, 2) with low <= high")
        self.limits = limits
        self.curvature = None if curvature is None else float(curvature)

    def value(self, q):
        return np.asarray(self.fun(q), dtype=float)

    def value_and_jacobian(self, q):
        b, n = q.shape
        seed = np.broadcast_to(np.eye(n), (b, n, n))
        y = self.fun(ad.Dual(q, seed))
        if not isinstance(y, ad.Dual):               # y does not depend on q
            y = np.asarray(y, dtype=float)
            return y, np.zeros(y.shape + (n,))
        return y.value, y.tangent


_PLANAR = weakref.WeakKeyDictionary()   # chain -> its PlanarPoint (a Chain is immutable)


def as_problem(task):
    """A :class:`Problem` as is; a planar :class:`~armsim.kinematics.planar.Chain` as its
    :class:`PlanarPoint` (one per chain, kept while the chain lives)."""
    if isinstance(task, Problem):
        return task
    if hasattr(task, "lengths") and hasattr(task, "reach"):
        try:
            return _PLANAR[task]
        except (KeyError, TypeError):
            pass
        prob = PlanarPoint(task)
        try:
            _PLANAR[task] = prob
        except TypeError:            # not weakly referenceable: no cache
            pass
        return prob
    raise ValueError(f"expected a Chain or a Problem, got {type(task).__name__}")
