"""Objectives: residual vectors of the joint values, stacked under the primary target.

An objective is a function ``r(q)`` (B, k) written with :mod:`armsim.ad.dual`'s
operators, times a weight; forward-mode AD gives its Jacobian, no derivative is written
by hand.  :class:`~armsim.ik.stack.Stack` puts the primary task (the tool to its target: a
:class:`~armsim.ik.problems.PlanarPoint` or :class:`~armsim.ik.problems.SpatialTarget`)
and the objectives' residuals into one :class:`~armsim.ik.problems.Problem`: the loop's
``dls`` solves the stacked least squares, the gradient methods descend the summed loss
``|e|^2 / 2 + sum_i |r_i|^2 / 2``.  With ``priority=True`` (:func:`priority_dls`) the
objectives are served only in the null space ``I - J^+ J`` of the primary task.

Shipped objectives (planar and spatial chains): :class:`PointTarget`, :class:`Posture`,
:class:`JointLimitBarrier`, :class:`Obstacle` (circle / sphere), :class:`Box`,
:class:`Capsule`, :class:`SelfCollision`, :class:`Smoothness`,
and :class:`Objective` for a user function ``fun(q, chain) -> residual``.

What a solve reports
--------------------
``success`` still means the primary target is within ``tol`` (judged by forward
kinematics); ``result.objectives`` maps each objective's name to the norm of its final
(weighted) residual.  Restarts: a start counts as finished only when the primary target
is reached and every *hard* objective (the obstacles, :class:`SelfCollision`, :class:`PointTarget`) has a
residual under ``tol`` too, so a colliding answer sends the problem on to the restarts.
"""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad
from armsim.ad.nofloat import called
from armsim.ik import geometry, inputs
from armsim.ik.recent import Recent
from armsim.kinematics.planar import _gib, memory_budget
from armsim.kinematics.validate import listed, shown as quoted
from armsim.ranges import shown

__all__ = ["Objective", "PointTarget", "Posture", "JointLimitBarrier", "Obstacle", "Box",
           "Capsule", "SelfCollision", "Smoothness"]


#: an objective's numbers (lengths [m], weights, coordinates) stay within this size
MAX_SIZE = 1e6
VALUE_CHUNK = 1 << 23   # floats of objectives' values evaluated at once (their rows in blocks)


def _weight(weight, what="weight"):
    if isinstance(weight, np.ndarray) and weight.ndim == 0:
        weight = weight[()]               # a 0-d array: its number (more axes: refused)
    try:
        w = float("nan") if isinstance(weight, np.ndarray) else float(weight)
    except (TypeError, ValueError, OverflowError):
        w = float("nan")
    if isinstance(weight, (bool, np.bool_, str, bytes)) or not (
            np.isfinite(w) and w >= 0):
        raise ValueError(f"{what} must be a finite number >= 0, got {shown(weight)}")
    if w > MAX_SIZE:
        raise ValueError(f"{what} must be at most {MAX_SIZE:g}, got {w:g}")
    return w


def _vector(name, value, size=None):
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {shown(value)}") from None
    if not np.all(np.isfinite(v)) or (size is not None and v.shape != (size,)):
        want = f"{size} finite numbers" if size is not None else "finite numbers"
        raise ValueError(f"{name} must be {want}, got {str(v.tolist())[:60]}")
    if np.any(np.abs(v) > MAX_SIZE):
        raise ValueError(f"{name} must be numbers within +-{MAX_SIZE:g}, got "
                         f"{str(v.tolist())[:60]}")
    return v


def _size(chain):
    """The length a default margin is a fraction of: the reach, but for a robot on a moving
    base its own size (``Robot.arm_reach``: without the base's slides, 100 m each)."""
    return getattr(chain, "arm_reach", chain.reach)


def _pose_q(who, chain, q):
    """q for ``who``'s clearance_of: (n,) or (B, n) finite numbers, n the chain's joints."""
    try:
        q = np.asarray(q, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{who}.clearance_of: q must be numbers, got {shown(q)}") from None
    n = chain.n
    if q.ndim not in (1, 2) or q.shape[-1] != n or not np.isfinite(q).all():
        raise ValueError(f"{who}.clearance_of: q must be {n} finite joint values (n,) or "
                         f"(B, {n}) for this chain, got shape {q.shape}"
                         + ("" if np.isfinite(q).all() else " with a non-finite value"))
    return q


class _Pass:
    """One evaluation of every objective at q (an array or a Dual (B, n)); the chain's
    points are computed once and shared: all rows, their values alone, or some rows."""

    def __init__(self, q, chain):
        self.q, self.chain = q, chain
        self._points = self._plain = None
        self._some = {}

    @property
    def points(self):
        if self._points is None:
            self._points = geometry.chain_points(self.chain, self.q)
        return self._points

    @property
    def plain_points(self):
        """The points' values (no tangents, whatever q is)."""
        if not isinstance(self.q, ad.Dual):
            return self.points
        if self._plain is None:
            self._plain = (self._points.value if self._points is not None else
                           geometry.chain_points(self.chain, self.q.value))
        return self._plain

    def points_of(self, rows):
        """The points of the rows ``rows`` (indices) of q."""
        if self._points is not None:
            return self._points[rows]
        key = rows.tobytes()
        if key not in self._some:
            if len(self._some) >= 8:
                self._some.clear()
            self._some[key] = geometry.chain_points(self.chain, self.q[rows])
        return self._some[key]


class Objective:
    """A user objective: ``weight * fun(q, chain)``.

    ``fun(q, chain)`` gets q (B, n) -- a :class:`~armsim.ad.dual.Dual` when the Jacobian
    is wanted -- and returns a residual (B, k) or (B,) written with :mod:`armsim.ad.dual`'s
    operators; the loop drives it towards 0.  ``hard=True`` makes a start count as
    finished only when this residual is under ``tol`` (see the module).
    """

    name = "objective"
    geometric = False       # it reads the links' positions: it needs a chain or a robot
    hard = False
    _bound = None           # the chain (or problem) bind measured last

    def __init__(self, fun, weight=1.0, name=None, hard=False):
        if not callable(fun):
            raise ValueError(f"fun must be callable, got {type(fun).__name__}")
        self.fun = fun
        self.weight = _weight(weight)
        self.hard = bool(hard)
        if name is not None:
            self.name = str(name)

    #: the floats one row holds while the residual is evaluated, per element of its work
    #: (:meth:`row_floats`), with and without its Jacobian (peaks measured by tracemalloc,
    #: rounded up: a chain's self-collision pairs 9.6 x pairs x d x n and 13.4 x pairs x d)
    JACOBIAN_FLOATS, VALUE_FLOATS = 4, 16

    def bind(self, chain):
        """Check the objective against ``chain`` (raises ValueError); returns self."""
        return self

    def bound_to(self, chain):
        """Bound to ``chain`` (again, when another chain bound it since: one objective may
        serve solves on several chains, and what it measured is each chain's own)."""
        if self._bound is not chain:
            self.bind(chain)
        return self

    def work(self, size):
        """What one row's evaluation grows with (the elements the residual is reduced from):
        its ``size`` rows, or a geometric objective's links (or pairs of links) times d."""
        return size

    def row_floats(self, n, size, jacobian):
        """The floats one row of a batch holds while this objective's residual (``size``
        rows) is evaluated at n joints, with its Jacobian or not (the solve's chunks, and
        the refusal of a row no memory holds)."""
        w = self.work(size)
        return (self.JACOBIAN_FLOATS * w * (n + 1) if jacobian else self.VALUE_FLOATS * w)

    def raw(self, ctx):
        """The unweighted residual (B, k) at ``ctx.q``."""
        r = ad.as_output(called(self.fun, ctx.q, ctx.chain))
        shape = np.shape(inputs.real_residual(f"objective {self.name!r}", r))
        r = np.asarray(r, dtype=float) if isinstance(r, (list, tuple)) else r   # (numbers)
        b = np.shape(ad.value_of(ctx.q))[0]
        if len(shape) not in (1, 2) or shape[0] != b:
            raise ValueError(f"objective {self.name!r}: fun must return (B, k) or (B,) with "
                             f"B = {b} (a row per row of q), got shape {shape}")
        return ad.reshape(r, shape + (1,)) if len(shape) == 1 else r

    def residual(self, ctx):
        return self.raw(ctx) * self.weight


class PointTarget(Objective):
    """Points of the chain sent to targets: several end effectors at once.

    ``point`` is a number or a list: ``k`` is the k-th point of the chain (0 the base,
    then each joint, the last the tip or tool; see :func:`~armsim.ik.geometry.chain_points`),
    a fraction lies along the link after ``floor(point)``; ``target`` (len(point), d).
    Hard: a start is finished only when every point is within ``tol``.
    """

    name = "point_target"
    geometric = True
    hard = True

    def __init__(self, point, target, weight=1.0):
        names = [point] if isinstance(point, str) else point
        if isinstance(names, (list, tuple)) and names and all(isinstance(p, str) for p in names):
            self.links = tuple(names)          # a robot's links, by name (bound later)
            point = np.arange(len(names))
        else:
            self.links = None
        try:
            pts = np.atleast_1d(np.asarray(point, dtype=float))
        except (TypeError, ValueError):
            pts = np.array([np.nan])
        if pts.ndim != 1 or not pts.size or not np.all(np.isfinite(pts)) or np.any(pts < 0):
            raise ValueError(f"point must be numbers >= 0, got {shown(point)}")
        tgt = _vector("target", target)
        tgt = tgt.reshape(len(pts), -1) if tgt.size % len(pts) == 0 else tgt
        if tgt.ndim != 2 or tgt.shape[1] not in (2, 3):
            raise ValueError(f"target must be {len(pts)} point(s) of 2 or 3 coordinates, "
                             f"got shape {np.shape(target)}")
        self.points, self.targets = pts, tgt
        self.weight = _weight(weight)

    def bind(self, chain):
        if geometry.is_tree(chain):
            if self.links is None:
                raise ValueError("PointTarget: name a robot's links, e.g. "
                                 f"PointTarget({chain.links[-1]!r}, target)")
            for link in self.links:         # each a link of the robot (as a target's)
                if link not in chain.links:
                    raise ValueError(f"no link named {quoted(link)} (a PointTarget); links: "
                                     f"{listed(chain.links)}")
            self.points = np.array([chain.links.index(k) for k in self.links], dtype=float)
            if self.targets.shape[1] != 3:
                raise ValueError(f"PointTarget: targets need 3 coordinates for this robot, "
                                 f"got {self.targets.shape[1]}")
            return self._check_moving(chain)
        if self.links is not None:
            raise ValueError("PointTarget: link names need a robot (load_robot); a chain's "
                             "points are numbers")
        d = 3 if geometry.is_spatial(chain) else 2
        last = chain.n + (1 if d == 3 else 0)
        if self.targets.shape[1] != d:
            raise ValueError(f"PointTarget: targets need {d} coordinates for this chain, "
                             f"got {self.targets.shape[1]}")
        if np.any(self.points > last):
            raise ValueError(f"PointTarget: point must be within [0, {last}] "
                             f"(0 the base, {last} the tip), got {self.points.tolist()}")
        return self._check_moving(chain)

    def _check_moving(self, chain):
        """ValueError for a point no joint moves (the objective could never change)."""
        moving = geometry.moving_points(chain)
        for i, s in enumerate(self.points):
            k = int(s)
            if not (moving[k] or (s > k and k + 1 < len(moving) and moving[k + 1])):
                what = repr(self.links[i]) if self.links is not None else f"point {s:g}"
                raise ValueError(f"PointTarget: {what} is not moved by any joint")
        self._bound = chain
        return self

    def raw(self, ctx):
        pts = ctx.points
        parts = [self.targets[i] - geometry.point_at(pts, s) for i, s in enumerate(self.points)]
        return ad.concatenate(parts, axis=-1)


class Posture(Objective):
    """Stay near a rest configuration: ``weight * (q - q_rest)``."""

    name = "posture"

    def __init__(self, q_rest, weight=0.1):
        self.q_rest = _vector("q_rest", q_rest)
        self.weight = _weight(weight)

    def bind(self, chain):
        if self.q_rest.shape != (chain.n,):
            raise ValueError(f"{type(self).__name__}: {self._what} must have {chain.n} "
                             f"numbers, got {self.q_rest.size}")
        return self

    _what = "q_rest"

    def raw(self, ctx):
        return ctx.q - self.q_rest


class Smoothness(Posture):
    """Penalise the change from the previous frame's angles: ``weight * (q - q_prev)``."""

    name = "smoothness"
    _what = "q_prev"

    def __init__(self, q_prev, weight=0.1):
        super().__init__(q_prev, weight)


class JointLimitBarrier(Objective):
    """A smooth barrier inside the joint limits: per joint with finite limits,
    ``weight * (max(0, lo + margin - q) + max(0, q - hi + margin))`` [rad]: zero farther
    than ``margin`` from both limits, its square continuously differentiable.  The hard
    limits stay (the loop clips to them)."""

    name = "joint_limits"

    def __init__(self, margin=0.1, weight=1.0):
        self.margin = _weight(margin, "margin")
        self.weight = _weight(weight)

    def bind(self, chain):
        lim = chain.limits
        if lim is None:
            lim = np.tile([-np.inf, np.inf], (chain.n, 1))
        lim = np.asarray(lim, dtype=float)
        half = 0.5 * (lim[:, 1] - lim[:, 0])
        m = np.minimum(self.margin, np.where(np.isfinite(half), half, np.inf))
        finite = np.isfinite(lim).all(axis=1)
        self._lo = np.where(finite, lim[:, 0] + m, -1e300)
        self._hi = np.where(finite, lim[:, 1] - m, 1e300)
        self._bound = chain
        return self

    def raw(self, ctx):
        q = ctx.q
        return ad.maximum(self._lo - q, 0.0) + ad.maximum(q - self._hi, 0.0)


class Obstacle(Objective):
    """A circle (planar chain) or sphere (spatial chain) the links keep away from.

    Each link is the segment between consecutive chain points, thickened by
    ``link_radius``; its surface distance to the obstacle is
    ``d = |center - nearest point of the segment| - radius - link_radius`` (links of zero
    length in every pose, joints at the same point, are left out; a slide's link at 0 is
    not).  The residual is one number,
    ``weight * sqrt(sum_links max(0, clearance - d)^2)``: zero beyond the margin
    ``clearance``, its square continuously differentiable (one row per obstacle, so
    obstacles never outnumber the joints in the stack).
    ``clearance`` defaults to 2 % of the chain's reach (:func:`_size`).  Hard: a start is
    finished only when no link is inside the margin.  Links no joint moves (a pedestal
    fixed to the base) are left out: no solve could take them out.
    """

    name = "obstacle"
    geometric = True
    hard = True
    CLEARANCE = 0.02   # default clearance, in reaches

    def __init__(self, center, radius, clearance=None, link_radius=0.0, weight=1.0):
        self.center = _vector("center", center)
        if self.center.shape not in ((2,), (3,)):
            raise ValueError(f"center must be 2 (planar) or 3 (spatial) numbers, "
                             f"got {self.center.size}")
        self.radius = _weight(radius, "radius")
        self.link_radius = _weight(link_radius, "link_radius")
        self.clearance = None if clearance is None else _weight(clearance, "clearance")
        self.weight = _weight(weight)

    def bind(self, chain):
        d = 3 if geometry.is_spatial(chain) else 2
        if self.center.size != d:
            raise ValueError(f"Obstacle: center needs {d} coordinates for this chain, "
                             f"got {self.center.size}")
        self._measure(chain)
        # a kept link's end that no joint moves (the base) inside the shape: no pose clears it
        k, a, b, ma, mb = self._links, *self._still
        still = np.concatenate([a[0, k][~ma[0, k, 0]], b[0, k][~mb[0, k, 0]]])
        if len(still):
            d = self._core(still[None], still[None])[0] - self.link_radius
            if np.any(d < 0.0):
                where = ", ".join(f"{v:.4g}" for v in still[int(np.argmin(d))])
                raise ValueError(f"{type(self).__name__}: the robot's point ({where}), which "
                                 f"no joint moves (its base), is inside it: no pose can "
                                 f"clear it")
        return self

    def _measure(self, chain):
        """The margin, the link segments and the links kept (:meth:`bind` without its check
        of the base, which :meth:`clearance_of` measures as it is)."""
        self._margin = (self.CLEARANCE * _size(chain) if self.clearance is None
                        else self.clearance)
        # the links of zero length (a rigid link keeps its length), and those no joint
        # moves (a pedestal fixed to the base: the solve cannot take it out): left out
        start = np.asarray(chain.clip(np.zeros(chain.n)), dtype=float)[None]
        pts = geometry.chain_points(chain, start)[0]
        self._ends = geometry.segment_ends(chain)
        a, b = _ends(pts[None], self._ends)
        moving = geometry.moving_points(chain)[None, :, None]
        ma, mb = _ends(moving, self._ends)
        self._links = np.flatnonzero(geometry.long_links(chain) & (ma | mb)[0, :, 0])
        self._segments = a.shape[1]
        self._still, self._bound = (a, b, ma, mb), chain

    def work(self, size):
        return self._segments * self.center.size

    def _core(self, a, b):
        """Distance from link segments ``a``-``b`` (B, L, d) to the obstacle's surface."""
        return geometry.point_segment_distance(self.center, a, b)[0] - self.radius

    def distance(self, points):
        """Surface distance of every link (B, links) [m]: negative inside the obstacle."""
        d = self._core(*_ends(points, getattr(self, "_ends", None))) - self.link_radius
        keep = getattr(self, "_links", None)
        if keep is None or d.shape[-1] != self._segments or len(keep) == self._segments:
            return d
        return d[:, keep]

    def clearance_of(self, chain, q):
        """The smallest surface distance over the links [m]: (B,) at joint values q (B, n),
        a float at one pose q (n,); inf when no link counts (every joint locked)."""
        who = type(self).__name__
        q = _pose_q(who, chain, q)
        d = 3 if geometry.is_spatial(chain) else 2
        if self.center.size != d:
            raise ValueError(f"{who}.clearance_of: this chain needs a centre of {d} "
                             f"coordinates, the obstacle has {self.center.size}")
        if getattr(self, "_bound", None) is not chain:     # the links of this chain
            self._measure(chain)
        d = self.distance(geometry.chain_points(chain, np.atleast_2d(q)))
        d = np.min(d, axis=-1) if d.shape[-1] else np.full(d.shape[0], np.inf)
        return float(d[0]) if q.ndim == 1 else d

    def surface_distance(self, points):
        """The signed distance [m] of each point (d,) or (..., d) to the obstacle's own
        surface (negative inside; ``link_radius`` not subtracted): a float for one point,
        else an array of the points' shape without its last axis.  The shape alone, not the
        links a chain binds it to (what the window's mouse picks by)."""
        p = np.asarray(points, dtype=float)
        d = self.center.size
        if p.ndim == 0 or p.shape[-1] != d or not np.isfinite(p).all():
            raise ValueError(f"{type(self).__name__}.surface_distance: points must be finite "
                             f"numbers of shape ({d},) or (..., {d}), got shape {p.shape}")
        flat = p.reshape(1, -1, d)                  # each point a link of zero length
        out = np.asarray(self._core(flat, flat), dtype=float).reshape(p.shape[:-1])
        return float(out) if p.ndim == 1 else out

    def move_to(self, center):
        """Put the obstacle's centre at ``center`` (the shape moves with it)."""
        self.center = _vector("center", center, self.center.size)

    def raw(self, ctx):
        return geometry.margin_residual(ctx, self.distance, self._margin, self)


class Box(Obstacle):
    """An axis-aligned rectangle (planar chain) or box (spatial chain), ``size`` its full
    widths [m]: the link's distance is the smallest signed distance of the box
    (:func:`~armsim.ik.geometry.segment_box_distance`) along the link, minus
    ``link_radius``.  Outside the box that distance is continuously differentiable (the
    distance to a convex set); inside, it is differentiable where the link's deepest
    point sits between its ends on two faces (the derivative of that point's depth), and
    has a kink where the deepest faces trade places, which the barrier only meets on a link
    already inside.  Otherwise as :class:`Obstacle`."""

    name = "box"

    def __init__(self, center, size, clearance=None, link_radius=0.0, weight=1.0):
        super().__init__(center, 0.0, clearance, link_radius, weight)
        self.size = _vector("size", size, self.center.size)
        if np.any(self.size <= 0):
            raise ValueError(f"size must be numbers > 0, got {self.size.tolist()}")
        self.radius = 0.0

    def _core(self, a, b):
        return geometry.segment_box_distance(a, b, self.center, 0.5 * self.size)


class Capsule(Obstacle):
    """A capsule: the points within ``radius`` of the segment ``a``-``b`` (a stadium for a
    planar chain).  The link's distance is
    :func:`~armsim.ik.geometry.segment_segment_distance` minus ``radius`` and
    ``link_radius``.  Otherwise as :class:`Obstacle`."""

    name = "capsule"

    def __init__(self, a, b, radius, clearance=None, link_radius=0.0, weight=1.0):
        a = _vector("a", a)
        super().__init__(a, radius, clearance, link_radius, weight)
        self.a, self.b = self.center, _vector("b", b, a.size)
        self.center = 0.5 * (self.a + self.b)

    def move_to(self, center):
        c = _vector("center", center, self.center.size)
        self.a, self.b = self.a + (c - self.center), self.b + (c - self.center)
        self.center = c

    def _core(self, a, b):
        return geometry.segment_segment_distance(a, b, self.a, self.b) - self.radius


class SelfCollision(Objective):
    """Keep non-adjacent links apart: every link a capsule of radius ``link_radius``,
    each pair of links with at least one link between them (links of zero length in every
    pose left out) at a surface distance ``d = dist(segment_i, segment_j) - 2 link_radius``;
    the residual is one number, ``weight * sqrt(sum_pairs max(0, margin - d)^2)``.  Hard, as
    :class:`Obstacle`.  ``margin`` defaults to 2 % of the reach.  A pair within the margin
    in every one of :attr:`SEPARATE_SAMPLES` configurations drawn in the limits (links
    joined by a rigid offset shorter than their thickness) is left out too: no solve could
    part them."""

    name = "self_collision"
    geometric = True
    hard = True

    SEPARATE_SAMPLES = 256

    def __init__(self, link_radius=0.0, margin=None, weight=1.0):
        self.link_radius = _weight(link_radius, "link_radius")
        self.margin = None if margin is None else _weight(margin, "margin")
        self.weight = _weight(weight)

    def bind(self, chain):
        key = (self.link_radius, self.margin)
        if getattr(self, "_bound", None) is chain and getattr(self, "_key", None) == key:
            return self         # bound already: its pairs (every solve binds its objectives)
        memo = self.__dict__.setdefault("_memo", Recent(4))    # the chains bound last
        kept = memo.get(chain)
        if kept is not None and kept[0] == key:   # (solves on two chains, one after another)
            (self._key, self._margin, self._ends, self._i, self._j, self._dim), self._bound = (
                kept, chain)
            return self
        self._key = None
        self._margin = Obstacle.CLEARANCE * _size(chain) if self.margin is None else self.margin
        start = np.asarray(chain.clip(np.zeros(chain.n)), dtype=float)[None]
        pts = geometry.chain_points(chain, start)[0]
        self._ends = geometry.segment_ends(chain)
        long = geometry.long_links(chain)        # (a slide's link: its length out)
        if self._ends is None:
            links = np.flatnonzero(long)
            pairs = [(links[i], links[j]) for i in range(len(links))
                     for j in range(i + 2, len(links))]
        else:
            pairs = geometry.apart_pairs(pts, *self._ends, long=long)
        self._i = np.array([p[0] for p in pairs], dtype=int)
        self._j = np.array([p[1] for p in pairs], dtype=int)
        self._dim, self._bound = pts.shape[-1], chain
        need = 8 * self.row_floats(chain.n, 1, True)
        if need > memory_budget():      # refused before any pass over the pairs
            raise ValueError(f"SelfCollision: {len(self._i):,} pairs of links on {chain.n} "
                             f"joints would need about {_gib(need)} of memory a row, more "
                             f"than the {_gib(memory_budget())} budget (half the memory this "
                             f"process may use)")
        if len(self._i):
            # pairs no configuration takes past the margin (two links joined by a short
            # rigid offset, thicker than it; two links no joint moves) are left out, as
            # neighbours are: those within it in every one of SEPARATE_SAMPLES configurations
            # (the samples in blocks of VALUE_CHUNK floats: bounded memory)
            q = geometry.samples(chain, self.SEPARATE_SAMPLES, seed=11)
            rows = max(1, int(VALUE_CHUNK // self.row_floats(chain.n, 1, False)))
            apart = np.zeros(len(self._i), dtype=bool)
            for s in range(0, len(q), rows):
                d = self.distance(geometry.chain_points(chain, q[s:s + rows]))
                apart |= np.any(d > self._margin, axis=0)
            self._i, self._j = self._i[apart], self._j[apart]
        self._key = key
        memo[chain] = (key, self._margin, self._ends, self._i, self._j, self._dim)
        return self

    bound_to = bind     # (its own check: the chain, and the settings it was bound with)

    def work(self, size):
        return max(len(self._i), 1) * self._dim

    def distance(self, points):
        """Surface distance of every non-adjacent pair (B, pairs) [m]."""
        a, b = _ends(points, getattr(self, "_ends", None))
        i, j = self._i, self._j
        return (geometry.segment_segment_distance(a[:, i], b[:, i], a[:, j], b[:, j])
                - 2.0 * self.link_radius)

    def clearance_of(self, chain, q):
        """The smallest surface distance over the pairs [m] (inf without pairs): (B,) at
        joint values q (B, n), a float at one pose q (n,).  Its pairs are those a solve on
        ``chain`` sees: bound to it with the current link_radius and margin (kept when so)."""
        q = _pose_q("SelfCollision", chain, q)
        self.bind(chain)
        d = self.distance(geometry.chain_points(chain, np.atleast_2d(q)))
        d = np.min(d, axis=-1) if d.shape[-1] else np.full(d.shape[0], np.inf)
        return float(d[0]) if q.ndim == 1 else d

    def raw(self, ctx):
        if not len(self._i):
            return np.zeros((np.shape(ad.value_of(ctx.q))[0], 1))
        return geometry.margin_residual(ctx, self.distance, self._margin, self)


def _ends(points, ends):
    """The segments' end points (B, L, d) each: consecutive points of a chain, or a
    robot's (parent, link) pairs (:func:`geometry.segment_ends`)."""
    if ends is None:
        return points[:, :-1], points[:, 1:]
    return points[:, ends[0]], points[:, ends[1]]
