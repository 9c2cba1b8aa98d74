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
``clamps``                   ``dls`` takes joints at a limit out of the step (else: clips)
``progress``                 ``dls`` with restarts: (W, r) ends an attempt whose f fell by less
                             than the factor r over its last W iterations, or None
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
import math
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.ad.nofloat import called
from armsim.ik import planar as kin
from armsim.ik.planar import SCALES, _restart_table  # noqa: F401  (the planar restarts)
from armsim.ik import restart_table, spatial_ccd, steps
from armsim.ik.spatial_ccd import CCD_LENGTH  # noqa: F401  (its constant, where it was)
from armsim.ik.inputs import (MAX_WEIGHT_RATIO, check_pose_rows, check_rotations,  # noqa: F401
                              check_weights, raw_kind, target_rows)
from armsim.ik.settings import _real
from armsim.kinematics import batch as kin_batch, spatial as kin_spatial
from armsim.kinematics.planar import MAX_ANGLE
from armsim.ranges import real_array, whole
from armsim.ik.recent import Recent

__all__ = ["Problem", "PlanarPoint", "FunctionProblem", "SpatialTarget", "as_problem",
           "for_target", "check_rotations", "check_pose_rows"]


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
    #: ``dls`` takes the joints a step would drive past a limit out of the step and
    #: solves again without them (:func:`armsim.ik.steps._clamped`) instead of clipping
    clamps: bool = False
    #: ``dls``'s batch-last damped solve ``(J (m, n, B), e (m, B), lam2) -> (n, B)`` when the
    #: problem knows a cheaper one than :func:`armsim.ik.steps._damped_last` (a robot's
    #: tools: blocks and shared joints); None: the dense one
    damped_last = None
    #: ``row_floats(jacobian) -> int``: the floats one row of a batch holds while it is
    #: solved (the size of its chunks); None: ``target_size x n`` (x n with a Jacobian)
    row_floats = None
    #: ``dls`` with restarts: (W, r) ends an attempt (stalled) when its ``f`` after k >= W
    #: iterations is above r times its ``f`` after k - W, so a slow attempt gives way to the
    #: next start; None: attempts end only by tolerance, budget or patience
    progress: tuple | None = None
    #: a target :meth:`aim` flags unattainable gets restarts (planar: they converge to the
    #: aim, the nearest point of the workspace); False: a bound proves that no start can
    #: reach it, the first start runs its full budget and no restart follows
    retry_unattainable: bool = True

    def proved(self, aim, reachable):
        """(B,) the rows whose targets no start can reach (:attr:`retry_unattainable`
        False and :meth:`aim` flags them): their first start runs its full budget, not
        cut short by the progress rule, and no restart follows."""
        return np.zeros(len(reachable), dtype=bool) if self.retry_unattainable else ~reachable

    @property
    def target_size(self) -> int:
        """Numbers per target row (and per task value y): m unless the error is not
        ``aim - y`` (a pose: position and rotation matrix, 12)."""
        return self.m

    def error(self, aim, y):
        """The error e (B, m) the loop drives to zero: ``aim - y`` by default."""
        return aim - y

    def residual(self, targets, y):
        """How far y is from the targets (B,): ``|error|`` by default; ``success`` is
        ``residual < tol``."""
        e = self.error(targets, y)
        return np.sqrt(np.einsum("bi,bi->b", e, e))

    def aim_residual(self, aim, y):
        """How far y is from the aim (B,), what ends the restarts of a target out of reach
        (:meth:`residual` by default; a robot's tools: of the tools that can arrive)."""
        return self.residual(aim, y)

    def residual_parts(self, targets, y):
        """(position, orientation) residuals (B,) each, or None (not a spatial problem)."""
        return None

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

    def angles(self):
        """(n,) bool: the joint values that are angles (a whole turn leaves the task
        value as it is): every joint of a planar chain by default."""
        return np.ones(self.n, dtype=bool)

    def turnable(self):
        """(n,) bool, kept: the angles the problem leaves unbounded (its ``clip`` keeps
        4 pi), which a solve that restarted turns by whole turns to within pi of the
        caller's start where the turned angle stays within the limits.  Not a slide (a
        prismatic joint, a moving base's travel) nor a function's variable."""
        got = self.__dict__.get("_turnable")
        if got is None:
            probe = np.full((1, self.n), 4.0 * np.pi)
            got = (self.clip(probe)[0] == probe[0]) & self.angles()
            got.setflags(write=False)
            self._turnable = got
        return got

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
        # an arm with a hole: starts near the inner circle fold it (kin.fold_plan)
        self._fold = kin.fold_plan(chain.lengths) if self._radii[0] > 0.0 else None

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
        the tip sits at the aim's distance and turned to point at it (:meth:`pointed`); with
        joint limits, where the pattern's start leaves them, the entry of a table of joint
        vectors sampled within them whose tip is the k-th nearest the aim
        (:func:`~armsim.ik.planar.limited_start`)."""
        shapes, dists = _restart_table(self.chain.lengths, restarts, seed)
        if self.chain.limits is None:
            return lambda k, aim: self.pointed(shapes[k], dists[k], aim)
        table = []          # drawn when a start first leaves the limits
        return lambda k, aim: kin.limited_start(
            self.chain, table, seed, self.pointed(shapes[k], dists[k], aim, clip=False), aim, k)

    def pointed(self, shape, dist, aim, clip=True):
        """One start per problem from a bending pattern ``shape`` (n,).

        The pattern is scaled, ``c * shape`` with ``c`` in [0, pi], until the tip is
        at the aim's distance from the base (the least bent such ``c``, linearly
        interpolated between the distances ``dist`` (64,) of the tip at the scales
        :data:`SCALES`), then turned at the base so the tip points at the aim: a
        random start, already close to a solution.  (For an aim at full reach the
        least bent scale is 0: the straight arm.  For an aim nearer the base than the
        pattern's most bent shape on an arm with a hole: the folded shape at its distance,
        :func:`~armsim.ik.planar.fold_plan`.)
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
        if self._fold is not None and not below.any(axis=1).all():
            # an aim nearer the base than the pattern's most bent shape on an arm with a
            # hole: the arm folded at its distance, where the limits allow (kin.folded)
            near = np.flatnonzero(~below.any(axis=1))
            ok, fold = kin.folded(self._fold, r[near], shape, chain.limits)
            start[near[ok]] = fold[ok]
        t = kin.tip(chain, start) - chain.base
        start[:, 0] += kin.wrap(np.arctan2(rel[:, 1], rel[:, 0]) - np.arctan2(t[:, 1], t[:, 0]))
        return chain.clip(start) if clip else start


#: a function problem's n and m at most (its Jacobian holds B x m x n floats)
MAX_FUNCTION_SIZE = 100_000


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
    limits : array_like (n, 2), optional (finite numbers within +-1e6)
    curvature : float, optional
        A bound of ``|J|_F^2``; without it the gradient step divides by the
        squared Frobenius norm of the Jacobian at the start of each solve.

    The Jacobian is one forward-mode pass with identity tangents on q.
    """

    def angles(self):
        """None of a function's variables is known to be an angle."""
        return np.zeros(self.n, dtype=bool)

    def __init__(self, fun, n, m, scale=1.0, limits=None, curvature=None):
        self.fun = fun
        # whole numbers (3.7 was taken as 3), and sizes a Jacobian (B, m, n) can hold
        self.n, self.m = whole("n", n, 1, MAX_FUNCTION_SIZE), whole("m", m, 1, MAX_FUNCTION_SIZE)
        self.scale = _real("scale", scale)     # (not text, a bool, a list, None: one line)
        if limits is not None:          # (an open side drew inf restarts: OverflowError)
            limits = real_array("limits", limits)
            if limits.shape != (self.n, 2) or not np.all(limits[:, 0] <= limits[:, 1]) or not (
                    np.all(np.abs(limits) <= MAX_ANGLE)):
                raise ValueError(f"limits must have shape ({self.n}, 2) with low <= high, "
                                 f"each finite and within +-{MAX_ANGLE:g}")
        self.limits = limits
        self.curvature = None if curvature is None else _real("curvature", curvature)

    def value(self, q):
        return self._checked(np.asarray(ad.value_of(ad.as_output(self.fun(q))), dtype=float),
                             len(q))

    def value_and_jacobian(self, q):
        b, n = q.shape
        seed = np.broadcast_to(np.eye(n), (b, n, n))
        y = ad.as_output(called(self.fun, ad.Dual(q, seed)))
        if not isinstance(y, ad.Dual):               # y does not depend on q
            y = self._checked(np.asarray(y, dtype=float), b)
            return y, np.zeros(y.shape + (n,))
        self._checked(y.value, b)
        return y.value, y.tangent

    def check_start(self, q0):
        """A one-line ValueError when the function is not finite at a start ``q0`` (B, n),
        within the limits (no step from there can be judged: a NaN answer)."""
        with np.errstate(all="ignore"):
            y = self.value(self.clip(np.asarray(q0, dtype=float)))
        if not np.isfinite(y).all():
            i = int(np.flatnonzero(~np.isfinite(y).all(axis=1))[0])
            raise ValueError(f"the function is not finite at the start "
                             f"{'q0' if len(y) == 1 else f'q0[{i}]'} "
                             f"({str(y[i].tolist())[:60]}); a solve starts where it is defined")

    def _checked(self, y, b):
        if y.shape != (b, self.m):
            raise ValueError(f"the function must return (B, m) = ({b}, {self.m}) values for "
                             f"q of shape ({b}, {self.n}), got shape {y.shape}")
        return y


class SpatialTarget(Problem):
    """The tool of a :class:`~armsim.kinematics.spatial.SpatialChain` sent to a position
    (``kind="position"``, m = 3) or a pose (``kind="pose"``, m = 6).

    A pose target row is the position and the row-major rotation matrix (12 numbers);
    the error is ``(w_p * (p_target - p), w_r * r)`` with ``r`` the rotation vector of
    ``R_target R^T`` (in the base frame), and the Jacobian the pose Jacobian's rows
    (linear, angular velocity) times the same weights; to first order ``dr = -omega dt``,
    and ``J_omega^T r`` is exactly the gradient of ``|r|^2 / 2``.

    ``weights`` (3 or 6 numbers >= 0; a 0 masks that axis, like robotics-toolbox's
    ``mask``; a pose's position ones times :data:`LENGTHS`' unit) are scaled so the smallest
    positive one is 1: an error under ``tol`` then means every unmasked axis is under it.
    The residuals are unweighted: the norm of
    the unmasked position error [m] and of the unmasked rotation vector [rad];
    ``residual`` is the larger, so ``success`` means both are under ``tol``.
    Joint limits are honoured; continuous joints wrap to [-pi, pi) while solved (the
    solver turns its answer by whole turns to within pi of the caller's start).
    """

    #: The loop settings for a spatial problem when the caller gives none.  Every one is
    #: chosen on tuning poses (``default_rng(31337)``, 10,000 per shipped robot, the tool
    #: poses of joint vectors uniform in the limits, judged by forward kinematics at 1e-5),
    #: never on the poses ``bench/ik_spatial.py`` reports on (``default_rng(2026)``); the
    #: tables are ``python bench/ik_spatial_settings.py`` and ``python bench/ik_giveup.py``
    #: (docs/solvers.md), which also print the unsolved counts on held-out seeds.  The rule:
    #: fewest poses unsolved, then fewest mean iterations.
    #:
    #: Budgets: iterations for the caller's start, and for each restart (a restart starts
    #: near the aim and converges fast, or not at all); 150 restarts (cost only on misses).
    default_max_iter = 15
    default_first_iter = 25
    default_restarts = 150
    #: ``ccd`` counts sweeps, not dls iterations: 20 a start (``bench/ccd_spatial.py``)
    default_ccd_max_iter = default_ccd_first_iter = 20
    #: ``give_up`` was chosen for dls; ccd's slow attempts run every restart
    default_ccd_give_up = None
    #: ``ccd`` works here (:meth:`ccd_sweep`); ``fabrik`` needs a planar chain
    supports = ("dls", "gradient", "pinv", "ccd")
    clamps = True
    #: the residual must fall by 30 % (f by 51 %) every 3 iterations: a failing attempt sits
    #: in a local minimum (often a joint on a limit), and its error stops falling.  (2, 0.36)
    #: takes fewer iterations on the tuning poses but leaves more unsolved
    progress = (3, 0.49)
    #: the initial dls multiplier nu (``lambda^2 = nu |e|^2``; planar: 1.0): a pose's first
    #: steps are seldom too long, and at 1.0 many trial steps are rejected (each a lost
    #: iteration while nu grows tenfold).  The default of solve / solve_batch with objectives
    #: too (their problem wraps this one), not of a Solver built directly (tracking: 1.0)
    default_damping = 0.01
    #: restarts of a revolute joint whose range is wider than a turn are drawn in the turn
    #: around its middle (False: in the whole range; ``bench/ik_spatial_settings.py``); read
    #: when a problem is built (``for_target`` keeps one per chain: set it before the first
    #: solve of a chain)
    turn_draws = True
    #: an unattainable position (farther from the first joint than the reach) is proved
    #: so by the bound: one start stretches the tool toward it, no restart follows
    retry_unattainable = False
    #: restarts end when this many in a row found no start that lowers the best residual
    #: below :data:`~armsim.ik.loop.GIVE_UP_FACTOR` times itself, so a target inside the
    #: reach but out of the workspace is given up after a bounded search
    #: (``python bench/ik_giveup.py``: the poses it costs, and the time it saves)
    default_give_up = 60
    #: reaches [m] within which a pose's position rows weigh as metres; an arm far from a
    #: metre in size weighs them in units of reach / the nearer bound, so that metres and
    #: radians weigh alike (a 1 mm Panda: 6 of 200 poses, now 199; ``bench/arm_sizes.py``)
    LENGTHS = (0.5, 2.5)
    def __init__(self, chain, kind="pose", weights=None, length=None):
        """``length``: the arm's size for :data:`LENGTHS` (default its reach; a robot's tool
        on a moving base: without the base's slides)."""
        if kind not in ("pose", "position"):
            raise ValueError(f"kind must be 'pose' or 'position', got {kind!r}")
        self.chain, self.kind = chain, kind
        self.m = 6 if kind == "pose" else 3
        self.n = chain.n
        self.scale = max(chain.reach, 1e-3)
        lim = np.array(chain.limits, dtype=float)
        self.limits = lim
        self._wrap = np.asarray(chain.continuous, dtype=bool)
        # where restarts are drawn: the limits; [-pi, pi) for a continuous joint; for a
        # revolute joint whose range is wider than a turn, the turn around its middle (every
        # angle has an equal one there, away from the limits a start near them would press on)
        wide = self.turn_draws & ~self._wrap & ~np.array(chain.prismatic, dtype=bool) & (
            lim[:, 1] - lim[:, 0] > 2.0 * np.pi)
        draw = np.where(self._wrap[:, None], [-np.pi, np.pi], lim)
        draw[wide] = lim[wide].mean(axis=1)[:, None] + np.array([-np.pi, np.pi])
        self._draw = draw
        w = np.ones(self.m) if weights is None else check_weights(weights, self.m)
        size = chain.reach if length is None else float(length)
        if kind == "pose":          # position rows in units of reach / LENGTHS (see there)
            w[:3] *= min(max(size, self.LENGTHS[0]), self.LENGTHS[1]) / size
        w = w / w[w > 0].min()
        self.weights = w
        self._active = w > 0
        # dls damps by the error in metres and radians, whatever the weights: they steer
        # the step, not its damping (lambda^2 = nu sum_i (e_i / w_i)^2 of the weighted e).
        # None when every counted axis weighs 1 (the plain rule, the same bits)
        self.damping_scale = (None if np.all(w[self._active] == 1.0) else
                              np.where(self._active, 1.0 / np.where(self._active, w, 1.0)**2,
                                       0.0))
        for a in (lim, self._wrap, self._draw, w, self._active):   # shared (for_target)
            a.setflags(write=False)
        if self.damping_scale is not None:
            self.damping_scale.setflags(write=False)
        # a position farther from the first joint than the chain's reach (an upper bound of
        # the tool's distance from it) cannot be attained, when every position axis counts
        self._origin = np.array(chain.xyz[0], dtype=float)
        self._bound = chain.reach * (1.0 + 1e-12) if np.all(w[:3] > 0) else None

    def aim(self, targets):
        """The targets themselves, attainable unless provably beyond the reach."""
        if self._bound is None:
            return targets, np.ones(len(targets), dtype=bool)
        d = targets[:, :3] - self._origin
        return targets, np.sqrt(np.einsum("bi,bi->b", d, d)) <= self._bound

    def attainable_one(self, p):
        """:meth:`aim`'s flag for one target row p (a list: the position first)."""
        if self._bound is None:
            return True
        o = self._origin
        return math.dist((p[0], p[1], p[2]), (o[0], o[1], o[2])) <= self._bound

    @functools.cached_property
    def feature_scale(self):
        """A target row times this is its restart-table features
        (:func:`armsim.ik.restart_table.features`)."""
        w = self._active.astype(float)          # (the weights' sizes: not in the metric)
        return w[:3] if self.kind == "position" else np.concatenate(
            [w[:3], np.repeat(restart_table.ROTATION_WEIGHT * w[3:], 3)])

    @property
    def target_size(self):
        return 12 if self.kind == "pose" else 3

    def value(self, q):
        if type(q) is np.ndarray and q.shape == (1, self.n):
            # one row (a single solve): the unbatched pass, the same arithmetic
            T = self.chain._frames_one(self.chain._q(q[0]))[1]
            if self.kind == "position":
                return T[None, :3, 3].copy()
            return np.concatenate([T[:3, 3], T[:3, :3].reshape(9)])[None]
        last = self._last(q)
        if last:
            T = kin_batch.last_pass(self.chain, q, jacobian=False)[0]
            return T[:, 3].T.copy() if self.kind == "position" else kin_batch.pose_rows(T)
        R, p = self.chain.pose(q)
        if self.kind == "position":
            return p
        return np.concatenate([p, R.reshape(R.shape[:-2] + (9,))], axis=-1)

    def _last(self, q):
        """Whether q (B, n) takes the chain's batch-last pass (checked there: joint values)."""
        return (type(q) is np.ndarray and q.ndim == 2 and len(q) >= kin_batch.LAST_ROWS
                and type(self.chain) is kin_spatial.SpatialChain and self.chain._q(q) is not None)

    def value_and_jacobian(self, q):
        if self._last(q):
            T, J = kin_batch.last_pass(self.chain, q)
            J = J[:self.m]
            if not self._unit:
                J *= self.weights[:, None, None]
            # the weighted Jacobian (B, m, n): from CHOLESKY_ROWS rows on, the batch-last
            # view (what the elementwise damped solve takes); below, C-contiguous (LAPACK's)
            jac = np.moveaxis(J, -1, 0)
            if len(q) < steps.CHOLESKY_ROWS:
                jac = np.ascontiguousarray(jac)
            if self.kind == "position":
                return T[:, 3].T.copy(), jac
            return kin_batch.pose_rows(T), jac
        if type(q) is np.ndarray and q.shape == (1, self.n):
            # one row (a restart of one problem): the unbatched pass, the same arithmetic
            T, J = self.chain._pose_and_jacobian_one(self.chain._q(q[0]))
            R, p, jac = T[None, :3, :3], T[None, :3, 3], J[None]
        else:
            R, p, jac = self.chain.pose_and_jacobian(q)
        if self.kind == "position":
            return p, jac[:, :3] * self.weights[:, None]
        y = np.concatenate([p, R.reshape(R.shape[:-2] + (9,))], axis=-1)
        return y, jac * self.weights[:, None]

    @functools.cached_property
    def _unit(self):
        """Whether every weight is 1 (the Jacobian is used unweighted)."""
        return bool(np.all(self.weights == 1.0))

    def _parts(self, targets, y):
        dp = targets[:, :3] - y[:, :3]
        if self.kind == "position":
            return dp, None
        if len(y) == 1:
            # one row: the rotation vector on scalars (the same arithmetic)
            M = targets[0, 3:].reshape(3, 3) @ y[0, 3:].reshape(3, 3).T
            dr = kin_spatial.rotation_vector_one(M.ravel().tolist())
            return dp, (kin_spatial.rotation_vector(M[None]) if dr is None else np.array([dr]))
        # batch-last (contiguous rows of the row-major entries): elementwise over the batch
        dr = kin_batch.rotation_error(np.ascontiguousarray(targets[:, 3:].T),
                                      np.ascontiguousarray(y[:, 3:].T))
        return dp, dr.T

    def error(self, aim, y):
        dp, dr = self._parts(aim, y)
        e = dp if dr is None else np.concatenate([dp, dr], axis=-1)
        return e * self.weights

    def residual_parts(self, targets, y):
        dp, dr = self._parts(targets, y)
        a = self._active
        pos = np.sqrt(np.einsum("bi,bi->b", dp * a[:3], dp * a[:3]))
        if dr is None:
            return pos, np.zeros(len(pos))
        ori = np.sqrt(np.einsum("bi,bi->b", dr * a[3:], dr * a[3:]))
        return pos, ori

    def residual(self, targets, y):
        pos, ori = self.residual_parts(targets, y)
        return np.maximum(pos, ori)

    def angles(self):
        return ~np.asarray(self.chain.prismatic, dtype=bool)

    def clip(self, q):
        q = np.clip(q, self.limits[:, 0], self.limits[:, 1])
        if self._wrap.any():
            q = np.where(self._wrap, (q + np.pi) % (2 * np.pi) - np.pi, q)
        return q

    def ccd_sweep(self, q, aim):
        """One sweep of cyclic coordinate descent (the ``ccd`` method), tool joint first
        (:func:`armsim.ik.spatial_ccd.sweep`)."""
        return spatial_ccd.sweep(self, q, aim)

    def default_start(self):
        """The middle of the joint ranges (0 for a continuous joint); made once."""
        if self.__dict__.get("_start") is None:
            self._start = self.clip(np.where(self._wrap[:, None], 0.0, self.limits).mean(axis=1))
        return self._start.copy()

    def restart_starts(self, restarts, seed):
        """Starts near the aim, from the table of sampled poses
        (:func:`armsim.ik.restart_table.restart_starts`)."""
        return restart_table.restart_starts(self, restarts, seed)

    target_rows = staticmethod(target_rows)       # (a position or a 4 x 4 pose's rows)


@dataclass(frozen=True)
class Target:
    """A tool's target with per-axis weights: ``pose`` is a position (3,) or a homogeneous
    pose (4, 4) (batch: (B, 3) or (B, 4, 4)); ``weights`` 3 (position) or 6 (pose: x, y,
    z, then rotation about x, y, z) numbers >= 0, a 0 masking that axis.  A chain's
    target (``solve(chain, Target(T, weights))``) or a robot's tool's."""

    pose: object
    weights: object = None


def for_target(task, target, batch=False):
    """The problem and target row(s) of ``solve(task, target)``: a spatial chain's problem
    is chosen by the target's shape (a position or a homogeneous pose), with the weights of
    a :class:`Target`; a :class:`SpatialTarget` the caller made takes its rows or a pose
    (4, 4) (batch: (B, 4, 4)); any other task is :func:`as_problem` with the target
    unchanged."""
    if isinstance(task, SpatialTarget):
        return task, _given_rows(task, target, batch)
    if not (hasattr(task, "pose") and hasattr(task, "pose_and_jacobian")):
        if isinstance(target, Target):
            raise ValueError(f"per-axis weights (armsim.Target) take a spatial chain or a "
                             f"robot; a {type(task).__name__}'s target is its plain "
                             f"{'rows' if batch else 'point'}")
        return task, target
    weights = None
    if isinstance(target, Target):
        target, weights = target.pose, target.weights
    found = SpatialTarget.target_rows(target, batch)
    if found is None:
        shapes = "(B, 3) or (B, 4, 4)" if batch else "(3,) or (4, 4)"
        raise ValueError(f"target{'s' if batch else ''} of a spatial chain must have shape "
                         f"{shapes} (positions or homogeneous poses), got "
                         f"{np.shape(target) if np.ndim(target) < 5 else 'more axes'}")
    kind, rows = found
    if kind == "pose":
        check_pose_rows(rows, batch)
    key = kind                # one problem per chain, kind and weights (a chain is immutable)
    if weights is not None:
        key = (kind, tuple(check_weights(weights, 6 if kind == "pose" else 3).tolist()))
    kept = _SPATIAL.setdefault(task, {})
    prob = kept.get(key)
    if prob is None:
        if len(kept) >= 32:    # many weights: bounded
            kept.clear()
        prob = kept[key] = SpatialTarget(task, kind, None if weights is None else key[1])
    return prob, (rows if batch else rows[0])


def _given_rows(prob, target, batch):
    """A target of a :class:`SpatialTarget` (a Solver's, under objectives too): a pose's (4, 4)
    (batch: (B, 4, 4)) as its rows, its 12 numbers checked; else as given (the solve checks)."""
    if not isinstance(prob := getattr(prob, "primary", prob), SpatialTarget):
        return target
    if np.shape(target)[-2:] != (4, 4) or isinstance(target, Target):
        if (prob.kind == "pose" and not isinstance(target, Target)
                and np.shape(target)[-1:] == (12,) and np.ndim(target) == (2 if batch else 1)):
            try:                        # rows (p, R row by row): R must be a rotation too
                rows = np.asarray(target, dtype=float).reshape(-1, 12)
            except (TypeError, ValueError):
                return target           # (the solve names what it is)
            if np.all(np.isfinite(rows)):
                check_pose_rows(rows, batch)
        return target
    found = SpatialTarget.target_rows(target, batch)
    if found is None:
        return target
    if prob.kind != "pose":
        raise ValueError(f"target{'s' if batch else ''} of a position problem must be "
                         f"{'(B, 3) positions' if batch else 'a position (3,)'}, got "
                         f"{'poses' if batch else 'a pose'} {np.shape(target)}")
    check_pose_rows(found[1], batch)
    return found[1] if batch else found[1][0]


#: chain -> {kind or (kind, weights): its problem}, for the 16 chains solved last (a problem
#: holds its chain: a weak-key dict would keep every chain; :mod:`armsim.ik.recent`)
_SPATIAL = Recent(16)


def raw_problem(task, target):
    """The problem :func:`for_target` chose before for a spatial chain's one ``target`` of
    this shape, and the target flat, when ``target`` is a plain float array of shape (4, 4)
    or (3,) (:func:`~armsim.ik.inputs.raw_kind`); its numbers are not checked here (the
    caller checks them).  None otherwise, and before :func:`for_target` made the problem."""
    if (kind := raw_kind(target)) is None:
        return None
    try:
        return _SPATIAL[task][kind], target.reshape(-1)
    except KeyError:
        return None


_PLANAR = Recent(16)    # chain -> its PlanarPoint (a Chain is immutable), the 16 used last


def as_problem(task):
    """A :class:`Problem` as is; a planar :class:`~armsim.kinematics.planar.Chain` as its
    :class:`PlanarPoint` (one per chain, kept while the chain lives)."""
    if isinstance(task, Problem):
        return task
    if hasattr(task, "lengths") and hasattr(task, "reach"):
        prob = _PLANAR.get(task)
        return prob if prob is not None else _PLANAR.setdefault(task, PlanarPoint(task))
    if hasattr(task, "pose_and_jacobian"):
        return SpatialTarget(task, "pose")
    raise ValueError(f"expected a Chain or a Problem, got {type(task).__name__}")


def turned_joints(problem):
    """(n,) bool: the continuous joints (wrapped to [-pi, pi) while solved) whose answer
    :meth:`armsim.ik.loop.Solver._whole_turns` turns to q0; None when there are none.  Not
    with objectives or max_step (a Stack has no ``_wrap``: they measure q as solved), nor a
    mimic's source (a whole turn moves the mimic by its multiple)."""
    wrap = getattr(problem, "_wrap", None)
    if wrap is None or not wrap.any():
        return None
    wrap = wrap.copy()
    robot = getattr(problem, "robot", None)
    for src, _, _ in getattr(robot, "mimic", {}).values():
        wrap[robot.joint_names.index(src)] = False
    return wrap if wrap.any() else None
