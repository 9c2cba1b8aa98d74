"""Several tools of one robot sent to their targets in one solve.

``solve(robot, {"left_tool": T_left, "right_tool": p_right})`` builds a :class:`TreeTargets`:
one m-vector problem whose error stacks each tool's error (a pose: 6 rows, a position: 3,
as :class:`~armsim.ik.problems.SpatialTarget` defines them, with per-axis weights) and
whose Jacobian stacks each tool's Jacobian over the robot's free joints.  Each tool is
the tip of its chain from the root (:meth:`~armsim.kinematics.tree.Robot.chain`); its joint
values are ``q[..., columns] * multipliers + offsets`` (a mimic joint follows its source),
so its Jacobian over ``q`` is the chain's times that linear map: the chain rule, columns
of joints shared by two tools (a torso) adding up.  The loop is the chain's own
(:class:`~armsim.ik.loop.Solver`): the same restarts, progress rule, limits and give-up;
``success`` needs every tool within ``tol`` (position [m] and rotation [rad]), judged by
forward kinematics.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

import math

from armsim.ik import restart_table, spatial_scalar
from armsim.ik.problems import Problem, SpatialTarget, check_rotations, real_array
from armsim.kinematics.tree import Robot

__all__ = ["Target", "TreeTargets", "for_tree", "Robot", "FAR_WEIGHT"]

#: while a tool's target is provably beyond its reach, its error counts this much against
#: the other tools' (:meth:`TreeTargets.error`): the shared joints serve the tools that can
#: arrive
FAR_WEIGHT = 1e-3


@dataclass(frozen=True)
class Target:
    """A tool's target with per-axis weights: ``pose`` is a position (3,) or a homogeneous
    pose (4, 4) (batch: (B, 3) or (B, 4, 4)); ``weights`` 3 (position) or 6 (pose: x, y,
    z, then rotation about x, y, z) numbers >= 0, a 0 masking that axis."""

    pose: object
    weights: object = None


class TreeTargets(Problem):
    """Tools of a :class:`~armsim.kinematics.tree.Robot` sent to positions or poses.

    ``spec``: a sequence of ``(link, kind, weights)`` with ``kind`` "pose" or "position"
    and ``weights`` None or 6 / 3 numbers.  A target row is the tools' rows side by side
    (3 or 12 numbers each, in the order of ``spec``); see the module's docstring.
    """

    supports = ("dls", "gradient", "pinv")
    clamps = True
    progress = SpatialTarget.progress
    default_max_iter = SpatialTarget.default_max_iter
    default_first_iter = SpatialTarget.default_first_iter
    default_restarts = SpatialTarget.default_restarts
    default_damping = SpatialTarget.default_damping
    default_give_up = SpatialTarget.default_give_up
    #: a tool beyond its reach does not end the search: the other tools still take the
    #: restarts (the loop judges by :meth:`residual`, where the far tool counts FAR_WEIGHT)
    retry_unattainable = True

    def __init__(self, robot, spec):
        self.robot = self.chain = robot      # (the restart table is kept per robot)
        self.n = robot.n
        self.names = tuple(link for link, _, _ in spec)
        self.subs, self._maps = [], []
        for link, kind, weights in spec:
            chain, cols, mult, off = robot.chain(link)
            self.subs.append(SpatialTarget(chain, kind, weights))
            A = np.zeros((chain.n, robot.n))
            np.add.at(A, (np.arange(chain.n), cols), mult)
            plain = bool(np.all(mult == 1.0) and np.all(off == 0.0))
            self._maps.append((cols, None if plain else mult, None if plain else off, A))
        self.m = sum(s.m for s in self.subs)
        self._rows = np.cumsum([0] + [s.target_size for s in self.subs])
        self._errs = np.cumsum([0] + [s.m for s in self.subs])
        self.scale = max(s.scale for s in self.subs)
        self.limits = np.array(robot.limits, dtype=float)
        self._wrap = np.asarray(robot.continuous, dtype=bool)
        wide = ~self._wrap & np.array([t == "revolute" for t in robot.types]) & (
            self.limits[:, 1] - self.limits[:, 0] > 2.0 * np.pi)
        draw = np.where(self._wrap[:, None], [-np.pi, np.pi], self.limits)
        draw[wide] = self.limits[wide].mean(axis=1)[:, None] + np.array([-np.pi, np.pi])
        draw[robot.base_translations] = 0.0   # a moving base's restarts start where it is
        self._draw = draw
        self.kind = ("tree",) + tuple((link, s.kind) for link, s in zip(self.names, self.subs))
        self.weights = np.concatenate([s.weights for s in self.subs])
        self._float = None

    @property
    def target_size(self):
        return int(self._rows[-1])

    def _split(self, rows):
        return [rows[:, a:b] for a, b in zip(self._rows[:-1], self._rows[1:])]

    def _joints(self, q):
        """Each tool's chain joint values from q (B, n)."""
        out = []
        for cols, mult, off, _ in self._maps:
            qt = q[:, cols]
            if mult is not None:
                qt = qt * mult + off
            out.append(qt)
        return out

    def value(self, q):
        return np.concatenate([s.value(qt) for s, qt in zip(self.subs, self._joints(q))], axis=-1)

    def value_and_jacobian(self, q):
        ys, js = [], []
        for s, qt, (_, _, _, A) in zip(self.subs, self._joints(q), self._maps):
            y, J = s.value_and_jacobian(qt)
            ys.append(y)
            js.append(J @ A)       # the chain rule: d(chain joints)/dq
        return np.concatenate(ys, axis=-1), np.concatenate(js, axis=-2)

    def aim(self, targets):
        ok = np.ones(len(targets), dtype=bool)
        for s, rows in zip(self.subs, self._split(targets)):
            ok &= s.aim(rows)[1]
        return targets, ok

    def _far(self, s, rows):
        """(B,) whether each row's target of tool ``s`` is provably beyond its reach."""
        if s._bound is None:
            return np.zeros(len(rows), dtype=bool)
        d = rows[:, :3] - s._origin
        return np.einsum("bi,bi->b", d, d) > s._bound * s._bound

    def error(self, aim, y):
        """Each tool's error side by side; a tool whose target is provably beyond its reach
        weighs :data:`FAR_WEIGHT` (it still moves toward its target)."""
        parts = []
        for s, a, b in zip(self.subs, self._split(aim), self._split(y)):
            e = s.error(a, b)
            far = self._far(s, a)
            parts.append(np.where(far[:, None], FAR_WEIGHT * e, e) if far.any() else e)
        return np.concatenate(parts, axis=-1)

    def target_residuals(self, targets, y):
        """{tool link: its residual (B,)}: the larger of its position [m] and rotation
        [rad] residuals."""
        return {name: s.residual(a, b) for name, s, a, b in
                zip(self.names, self.subs, self._split(targets), self._split(y))}

    def residual(self, targets, y):
        """What the loop judges: the largest tool residual, a tool beyond its reach counting
        :data:`FAR_WEIGHT` of its own (:meth:`finish` reports the plain one)."""
        parts = []
        for s, a, b in zip(self.subs, self._split(targets), self._split(y)):
            r = s.residual(a, b)
            far = self._far(s, a)
            parts.append(np.where(far, FAR_WEIGHT * r, r) if far.any() else r)
        return np.max(np.stack(parts), axis=0)

    def residual_parts(self, targets, y):
        parts = [s.residual_parts(a, b) for s, a, b in
                 zip(self.subs, self._split(targets), self._split(y))]
        return (np.max(np.stack([p for p, _ in parts]), axis=0),
                np.max(np.stack([o for _, o in parts]), axis=0))

    def clip(self, q):
        q = np.clip(q, self.limits[:, 0], self.limits[:, 1])
        if self._wrap.any():
            q = np.where(self._wrap, (q + np.pi) % (2 * np.pi) - np.pi, q)
        return q

    def default_start(self):
        """The middle of the joint ranges (0 for a continuous joint and a base's slides)."""
        mid = np.where(self._wrap[:, None], 0.0, self.limits).mean(axis=1)
        return self.clip(np.where(self.robot.base_translations, 0.0, mid))

    def restart_starts(self, restarts, seed):
        """Starts near the aim, from a table of sampled configurations of the whole robot
        (:func:`armsim.ik.restart_table.restart_starts`: every tool's features side by
        side)."""
        return restart_table.restart_starts(self, restarts, seed)

    def table_features(self, rows):
        return np.concatenate([restart_table.features(s, r) for s, r in
                               zip(self.subs, self._split(rows))], axis=-1)

    def attainable_one(self, row):
        """:meth:`aim`'s flag for one target row (a list)."""
        return all(s.attainable_one(row[a:b]) for s, a, b in
                   zip(self.subs, self._rows[:-1], self._rows[1:]))

    @property
    def feature_scale(self):
        return np.concatenate([s.feature_scale for s in self.subs])

    def float_pass(self):
        """What the single solve on floats (:func:`armsim.ik.spatial_scalar.run_one`) needs:
        each tool's generated chain pass (``spatial_scalar._compiled``), called side by side
        on its joint values, their errors stacked and their Jacobian columns mapped onto the
        free joints (:func:`_tree_source`); built once per problem."""
        if self._float is None:
            self._float = _TreeFloat(self)
        return self._float

    def finish(self, out, targets, q0, tol, single):
        """Each tool's residual in ``out.targets`` ({link: float or (B,)}), and ``residual``,
        ``success`` and ``reason`` by every tool's plain residual (a tool beyond its reach
        never counts as arrived)."""
        res = self.target_residuals(targets, self.value(np.atleast_2d(out.q)))
        worst = np.max(np.stack(list(res.values())), axis=0)
        ok = worst < tol
        reason = np.atleast_1d(np.asarray(out.reason, dtype=object))
        reason = np.where(ok, reason, np.where(reason == "converged", "unreachable", reason))
        if single:
            out.targets = {k: float(v[0]) for k, v in res.items()}
            out.residual, out.success, out.reason = float(worst[0]), bool(ok[0]), str(reason[0])
        else:
            out.targets = res
            out.residual, out.success, out.reason = worst, ok, reason.astype(str)
        return out


class _TreeFloat:
    """The float pass of a :class:`TreeTargets` (the attributes
    ``spatial_scalar._Compiled`` has, for the whole stack)."""

    def __init__(self, prob):
        subs = [spatial_scalar._compiled(s) for s in prob.subs]
        src, pattern = _tree_source(prob, subs)
        space = {f"make_{t}": c.make for t, c in enumerate(subs)}
        exec(src, space)
        self.make, self.source = space["make"], src
        self.m = sum(c.m for c in subs)
        self.solve, self.fix = spatial_scalar._linear(self.m)
        self.lo, self.hi = prob.limits[:, 0].tolist(), prob.limits[:, 1].tolist()
        space = {}
        exec(_sparse_source(prob.n, self.m, pattern, self.lo, self.hi), space)
        self.gram, self.move = space["gram"], space["move"]
        self.wrap = [bool(v) for v in prob._wrap] if prob._wrap.any() else None
        probe = np.full((1, prob.n), 4.0 * np.pi)
        self.free = (prob.clip(probe)[0] == probe[0]).tolist()
        sizes = np.cumsum([0] + [s.m for s in prob.subs]).tolist()
        pieces = [(c.parts, a, b) for c, a, b in zip(subs, sizes[:-1], sizes[1:])]

        def parts(d):
            got = [f(d[a:b]) for f, a, b in pieces]
            return max(p for p, _ in got), max(o for _, o in got)
        self.parts = parts
        self.tables = {}


def _tree_source(prob, subs):
    """Source of ``make(targets...) -> evaluate(q)`` for the stack, and its pattern: which
    entries of the flat columns (column after column, m rows each) are not zero."""
    n = prob.n
    sizes = [s.target_size for s in prob.subs]
    m = sum(c.m for c in subs)
    args = [f"a{k}" for k in range(sum(sizes))]
    lines = [f"def make({', '.join(args)}):"]
    at = 0
    for t, size in enumerate(sizes):
        lines.append(f"    ev{t} = make_{t}({', '.join(args[at:at + size])})")
        at += size
    lines += ["    def evaluate(q):", f"        {', '.join(f'q{k}' for k in range(n))}, = q"]
    entries = [["0.0"] * m for _ in range(n)]      # entries[j][row]
    row0 = 0
    for t, (c, (cols, mult, off, _)) in enumerate(zip(subs, prob._maps)):
        ms = None if mult is None else mult.tolist()      # Python floats: their repr
        os_ = None if off is None else off.tolist()
        vals = [f"q{j}" if ms is None else f"q{j} * {ms[i]!r} + {os_[i]!r}"
                for i, j in enumerate(cols.tolist())]
        lines.append(f"        f{t}, e{t}, c{t}, d{t} = ev{t}(({', '.join(vals)},))")
        k = len(cols)
        lines.append(f"        {', '.join(f'c{t}_{x}' for x in range(k * c.m))}, = c{t}")
        for i, j in enumerate(cols.tolist()):
            factor = "" if ms is None or ms[i] == 1.0 else f"{ms[i]!r} * "
            for r in range(c.m):
                term = f"{factor}c{t}_{i * c.m + r}"
                old = entries[j][row0 + r]
                entries[j][row0 + r] = term if old == "0.0" else f"{old} + {term}"
        row0 += c.m
    T = len(subs)
    flat = [entries[j][r] for j in range(n) for r in range(m)]
    lines.append(f"        return ({' + '.join(f'f{t}' for t in range(T))}, "
                 f"{' + '.join(f'e{t}' for t in range(T))}, ({', '.join(flat)},), "
                 f"{' + '.join(f'd{t}' for t in range(T))})")
    lines.append("    return evaluate")
    pattern = [[entries[j][r] != "0.0" for r in range(m)] for j in range(n)]
    return "\n".join(lines) + "\n", pattern


def _sparse_source(n, m, pattern, lo, hi):
    """``gram(cols)`` and ``move(q, cols, y)`` of ``spatial_scalar._flat_source`` for flat
    columns whose zero entries (``pattern[j][r]`` False) are known: they are left out of
    every sum (two tools share only the joints above both)."""
    idx = [(i, j) for i in range(m) for j in range(i + 1)]
    cs = ", ".join(f"c{k}" for k in range(n * m))
    gs = []
    for i, j in idx:
        terms = [f"c{k * m + i} * c{k * m + j}" for k in range(n)
                 if pattern[k][i] and pattern[k][j]]
        gs.append(" + ".join(terms) if terms else "0.0")
    ys = ", ".join(f"y{i}" for i in range(m))
    qs = ", ".join(f"q{k}" for k in range(n))
    dq = []
    for k in range(n):
        terms = [f"c{k * m + i} * y{i}" for i in range(m) if pattern[k][i]]
        dq.append(f"q{k} + (" + " + ".join(terms) + ")" if terms else f"q{k}")
    tests = [f"{lo[k]!r} <= t{k} <= {hi[k]!r}" if math.isfinite(lo[k]) and math.isfinite(hi[k])
             else f"{lo[k]!r} <= t{k}" if math.isfinite(lo[k])
             else f"t{k} <= {hi[k]!r}" if math.isfinite(hi[k]) else None for k in range(n)]
    inside = " and ".join(t for t in tests if t is not None) or "True"
    return "\n".join(["def gram(cols):", f"    {cs}, = cols", f"    return ({', '.join(gs)},)",
                      "", "def move(q, cols, y):", f"    {cs}, = cols", f"    {ys}, = y",
                      f"    {qs}, = q", *(f"    t{k} = {dq[k]}" for k in range(n)),
                      f"    return [{', '.join(f't{k}' for k in range(n))}], {inside}"]) + "\n"


_TREES = weakref.WeakKeyDictionary()    # robot -> {spec: its TreeTargets}


def for_tree(robot, targets, batch):
    """The problem and target row(s) of ``solve(robot, {link: target, ...})``."""
    if isinstance(targets, dict) and not targets:
        raise ValueError(f"give at least one target, e.g. {{{robot.tips[0]!r}: pose}}")
    if not isinstance(targets, dict):
        raise ValueError(f"the targets of a robot (a kinematic tree) must be a dict from "
                         f"tool link to target, e.g. {{{', '.join(map(repr, robot.tips[:2]))}: "
                         f"pose}}, got {type(targets).__name__}")
    spec, rows = [], []
    size = None
    for link, t in targets.items():
        weights = None
        if isinstance(t, Target):
            t, weights = t.pose, t.weights
        if link not in robot.links:
            raise ValueError(f"no link named {str(link)[:60]!r} (a target); links: "
                             f"{', '.join(robot.links[:12])[:300]}")
        found = SpatialTarget.target_rows(real_array(f"target {link!r}", t), batch)
        if found is None:
            shapes = "(B, 3) or (B, 4, 4)" if batch else "(3,) or (4, 4)"
            raise ValueError(f"target {link!r} must have shape {shapes} (a position or a "
                             f"homogeneous pose), got {np.shape(t)}")
        kind, r = found
        if size is not None and len(r) != size:
            raise ValueError(f"every target needs the same number of rows: {link!r} has "
                             f"{len(r)}, the first had {size}")
        size = len(r)
        w = None if weights is None else tuple(np.asarray(weights, dtype=float).reshape(-1))
        spec.append((link, kind, w))
        rows.append(r)
    _check_rotations(rows, spec)
    per_robot = _TREES.setdefault(robot, {})
    key = tuple(spec)
    prob = per_robot.get(key)
    if prob is None:
        prob = per_robot[key] = TreeTargets(robot, spec)
    rows = np.concatenate(rows, axis=-1)
    return prob, (rows if batch else rows[0])


def _check_rotations(rows, spec):
    """Refuse a pose target whose rotation is not one, as a chain's target is refused."""
    for r, (link, kind, _) in zip(rows, spec):
        if kind == "pose":
            check_rotations(r[:, 3:].reshape(-1, 3, 3), prefix=f"target {link!r}: rotation")
