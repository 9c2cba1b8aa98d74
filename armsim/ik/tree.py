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

import functools
import math
from fractions import Fraction

import numpy as np

from armsim.ik import attempt as rule
from armsim.ik import restart_table, spatial_scalar, steps
from armsim.ik.tree_float import TreeFloat, woodbury_plan
from armsim.ik.tree_starts import OwnTable, own_chains
from armsim.ik.inputs import raw_kind
from armsim.ik.settings import _WORDS
from armsim.ik.problems import (Problem, SpatialTarget, Target, check_pose_rows,  # noqa: F401
                                check_weights)
from armsim.kinematics.planar import MAX_COORDINATE
from armsim.kinematics.tree import Robot
from armsim.kinematics.validate import listed, shown
from armsim.ik.recent import Recent

__all__ = ["Target", "TreeTargets", "for_tree", "Robot", "FAR_WEIGHT", "MAX_TOOLS"]

#: a tool provably beyond its reach: its error and Jacobian rows count this much (row_weights;
#: `bench/tree_far.py --seed 11`, dual_arm: 1e-7 / 1e-8 / 1e-9 took 40.9 / 18.6 / 16.2 iters)
FAR_WEIGHT = 1e-9
#: a continuous joint driving a gear (a mimic) of ratio p/q turns q times before the pose
#: repeats: its restarts are drawn over those turns, q at most this (ratios rounded)
MAX_GEAR = 16
#: ... and less beyond this many reaches: FAR_WEIGHT x FAR_REACHES x reach / distance
FAR_REACHES = 100.0
#: a tool beyond its reach is then stretched by its own joints: this many damped steps at most
STRETCH_STEPS = 30
#: tools (targets) in one solve, at most (the stacked error's rows: 6 a pose; the batch's
#: J J^T is rows x rows)
MAX_TOOLS = 64


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
    #: restarts (the loop judges by :meth:`residual`, where the far tool counts FAR_WEIGHT);
    #: a row whose every tool is beyond is :meth:`proved` as a chain's
    retry_unattainable = True

    def proved(self, aim, reachable):
        """Rows where every tool's target is provably beyond its reach (as a chain's: one
        start, its full budget, no restart)."""
        out = ~np.asarray(reachable, dtype=bool)
        for s, rows in zip(self.subs, self._split(aim)):
            if out.any():
                out &= self._far(s, rows)
        return out

    def __init__(self, robot, spec):
        self.robot = self.chain = robot      # (the restart table is kept per robot)
        self.n = robot.n
        self.names = tuple(link for link, _, _ in spec)
        self.subs, self._maps = [], []
        slides = np.asarray(robot.base_translations, dtype=bool)
        for link, kind, weights in spec:
            chain, cols, mult, off = robot.chain(link)
            travel = float(np.abs(chain.limits[slides[cols]]).max(axis=1, initial=0.0).sum())
            # (its size for SpatialTarget.LENGTHS: the arm, not a moving base's 100 m slides)
            self.subs.append(SpatialTarget(chain, kind, weights,
                                           length=max(chain.reach - travel, 1e-3)))
            A = np.zeros((chain.n, robot.n))
            np.add.at(A, (np.arange(chain.n), cols), mult)
            plain = bool(np.all(mult == 1.0) and np.all(off == 0.0))
            self._maps.append((cols, None if plain else mult, None if plain else off, A))
        self.m = sum(s.m for s in self.subs)
        # dls damps by each tool's error in metres and radians, whatever its weights (as a
        # chain's weighted target: SpatialTarget.damping_scale); None when none is weighted
        ds = [s.damping_scale for s in self.subs]
        self.damping_scale = None if all(d is None for d in ds) else np.concatenate(
            [np.ones(s.m) if d is None else d for s, d in zip(self.subs, ds)])
        self._rows = np.cumsum([0] + [s.target_size for s in self.subs])
        self._errs = np.cumsum([0] + [s.m for s in self.subs])
        self.scale = max(s.scale for s in self.subs)
        # the default tol's length: the largest tool's reach without a moving base's slides
        # (their travel, 100 m each, would loosen tol = 1e-6 * scale a thousandfold), at
        # least 1 mm as a chain's (a tool the base alone moves has none: tol would be 0)
        self.tol_scale = max(1e-3, max(s.scale - float(np.abs(s.chain.limits[slides[cols]]).max(
            axis=1, initial=0.0).sum()) for s, (cols, _, _, _) in zip(self.subs, self._maps)))
        self.limits = np.array(robot.limits, dtype=float)
        self._wrap = np.asarray(robot.continuous, dtype=bool)
        wide = ~self._wrap & np.array([t == "revolute" for t in robot.types]) & (
            self.limits[:, 1] - self.limits[:, 0] > 2.0 * np.pi)
        # (a turn, or a continuous joint that does not turn: it drives a gear of another
        # ratio, drawn over the turns after which the gear's pose repeats too)
        draw = np.where(self._wrap[:, None] | ~np.isfinite(self.limits), [-np.pi, np.pi],
                        self.limits)
        draw[wide] = self.limits[wide].mean(axis=1)[:, None] + np.array([-np.pi, np.pi])
        gear_turns = {}
        for source, m, _ in robot.mimic.values():
            if source in robot._geared:
                gear_turns[source] = math.lcm(gear_turns.get(source, 1), Fraction(
                    m).limit_denominator(MAX_GEAR).denominator)
        for source, turns in gear_turns.items():     # (unbounded, or a range over a turn)
            c = robot.joint_names.index(source)
            lo, hi = self.limits[c]
            mid = 0.0 if not np.isfinite([lo, hi]).all() else 0.5 * (lo + hi)
            if hi - lo > 2.0 * np.pi:
                draw[c] = [max(lo, mid - turns * np.pi), min(hi, mid + turns * np.pi)]
        draw[robot.base_translations] = 0.0   # a moving base's restarts start where it is
        if np.any(robot.base_translations):
            # a base that drives to a far target closes the distance steadily, not by
            # halves: the progress rule would cut each attempt short (a 90 m target ended
            # 74 m away after 183 iterations; one attempt of 8 iterations reaches it)
            self.progress = None
        self._draw = draw
        self.kind = ("tree",) + tuple((link, s.kind) for link, s in zip(self.names, self.subs))
        self.weights = np.concatenate([s.weights for s in self.subs])
        self._float = self._own = self._start = self._blocks = self._far_check = None
        self._seen = {}       # (tool, split) -> _seen_one's function and columns
        moved = np.zeros(self.n, dtype=bool)
        for cols, _, _, _ in self._maps:
            moved[cols] = True
        #: the joints no tool of this solve moves (the other arm): they keep the caller's q0
        self._held = np.flatnonzero(~moved)

    def holding(self, q0):
        """What the loop (:meth:`armsim.ik.loop.Solver.run`) applies to every start it draws
        (the table's, a restart's): a function ``(q (k, n), rows) -> q`` setting the joints no
        tool moves to the caller's ``q0`` (B, n) of each row, within the limits, or None when
        every joint moves a tool.  Without objectives no tool depends on them (and
        :meth:`finish` puts them back); with objectives they move only as those ask; a
        tracking restart leaves them where they were."""
        if not len(self._held):
            return None
        kept = self.clip(np.asarray(q0, dtype=float))[:, self._held]

        def hold(q, rows):
            q = np.array(q, dtype=float)
            q[:, self._held] = kept[rows]
            return q
        return hold

    def row_floats(self, jacobian):
        """A row's floats while it is solved: each tool's chain's (as a chain's problem
        counts them) and the stacked error, Jacobian over the robot's joints and J J^T."""
        return (sum(s.target_size * s.n * (s.n if jacobian else 1) for s in self.subs)
                + self.m * (self.n + self.m if jacobian else 1))     # (and J J^T)

    @property
    def damped_last(self):
        """:func:`armsim.ik.steps.damped_blocks_last` with this robot's blocks (each tool's
        rows and the joints only it moves) when Woodbury's identity saves products
        (:func:`~armsim.ik.tree_float.woodbury_plan`), else None."""
        if self._blocks is None:
            plan = woodbury_plan(self)
            if plan is None:
                self._blocks = False
            else:
                owner = np.array([-2 if o is None else o for o in plan[0]])
                blocks = [(slice(a, b), np.flatnonzero(owner == t))
                          for t, (a, b) in enumerate(zip(self._errs[:-1], self._errs[1:]))]
                self._blocks = functools.partial(steps.damped_blocks_last, blocks=blocks,
                                                 shared=np.array(plan[1]))
        return self._blocks or None

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
        """The stacked tools' values and Jacobian over the free joints (B, m, n), by the
        chain rule: chain joint i of a tool moves free joint ``cols[i]`` times its
        multiplier.  From :data:`~armsim.ik.steps.CHOLESKY_ROWS` rows on, the Jacobian is
        a batch-last view (m, n, B) as a chain's (what the elementwise damped solve takes;
        each chain's columns added into their free joints' columns); below, C-contiguous
        (``J @ A``, the same numbers)."""
        ys, js = [], []
        for s, qt in zip(self.subs, self._joints(q)):
            y, J = s.value_and_jacobian(qt)
            ys.append(y)
            js.append(J)
        y = np.concatenate(ys, axis=-1)
        if len(q) < steps.CHOLESKY_ROWS:
            return y, np.concatenate([J @ A for J, (_, _, _, A) in zip(js, self._maps)],
                                     axis=-2)
        last = np.zeros((self.m, self.n, len(q)))
        for a, b, J, (cols, mult, _, _) in zip(self._errs[:-1], self._errs[1:], js,
                                              self._maps):
            J = np.moveaxis(J, 0, -1)                   # (rows, chain joints, B)
            for i, c in enumerate(cols.tolist()):
                last[a:b, c] += J[:, i] if mult is None else J[:, i] * mult[i]
        return y, np.moveaxis(last, -1, 0)

    def aim(self, targets):
        ok, self._last_weights = np.ones(len(targets), dtype=bool), (None, None)   # (new rows)
        for s, rows in zip(self.subs, self._split(targets)):
            ok &= s.aim(rows)[1]
        return targets, ok

    def _far(self, s, rows):
        """(B,) whether each row's target of tool ``s`` is provably beyond its reach."""
        if s._bound is None:
            return np.zeros(len(rows), dtype=bool)
        d = rows[:, :3] - s._origin
        return np.einsum("bi,bi->b", d, d) > s._bound * s._bound

    def _weight(self, s, rows):
        """(B,) how much tool ``s`` counts in each row: 1, or :data:`FAR_WEIGHT` when its
        target is provably beyond its reach, less past :data:`FAR_REACHES` times the reach
        (so that its pull on the joints it shares, weight times distance, stays bounded:
        the other tools still arrive whatever its distance); None when every row's is 1."""
        if s._bound is None:
            return None
        d = rows[:, :3] - s._origin
        d2 = np.einsum("bi,bi->b", d, d)
        far = d2 > s._bound * s._bound                  # (as :meth:`_far`)
        if not far.any():
            return None
        near = FAR_REACHES * s._bound / np.sqrt(np.maximum(d2, s._bound * s._bound))
        return np.where(far, FAR_WEIGHT * np.minimum(1.0, near), 1.0)

    def _weights(self, aim):
        """Each tool's :meth:`_weight` (B,) or None, over the row's largest: a far tool weighs
        little beside those that can arrive, as much as a chain's where all are far; kept for
        the last ``aim`` (error and row_weights ask it each iteration: 0.27 ms at B = 1e4)."""
        last = getattr(self, "_last_weights", (None, None))     # (one read: threads)
        if last[0] is aim:
            return last[1]
        ws = [self._weight(s, a) for s, a in zip(self.subs, self._split(aim))]
        if any(w is not None for w in ws):
            top = np.max([np.ones(len(aim)) if w is None else w for w in ws], axis=0)
            ws = [None if w is None else w / top for w in ws]
        self._last_weights = (aim, ws)
        return ws

    def row_weights(self, aim):
        """(B, m): each error row's weight as :meth:`error` weighs it (:meth:`_weights`), or
        None when all are 1: the steps weigh the Jacobian's rows so too (least squares)."""
        ws = self._weights(aim)
        if all(w is None for w in ws):
            return None
        out = np.ones((len(aim), self.m))
        for a, b, w in zip(self._errs[:-1], self._errs[1:], ws):
            if w is not None:
                out[:, a:b] = w[:, None]
        return out

    def tool_scales(self, aim):
        """(B, tools): each tool's :meth:`_weights` (how :meth:`error` and :meth:`residual`
        weigh each tool)."""
        return np.stack([np.ones(len(aim)) if w is None else w for w in self._weights(aim)],
                        axis=-1)

    def error(self, aim, y):
        """Each tool's error side by side; a tool whose target is provably beyond its reach
        weighs :meth:`_weights` (it still moves toward its target)."""
        parts = []
        for s, w, a, b in zip(self.subs, self._weights(aim), self._split(aim), self._split(y)):
            e = s.error(a, b)
            parts.append(e if w is None else e * w[:, None])
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
        for s, w, a, b in zip(self.subs, self._weights(targets), self._split(targets),
                              self._split(y)):
            r = s.residual(a, b)
            parts.append(r if w is None else r * w)
        return np.max(np.stack(parts), axis=0)

    def aim_residual(self, aim, y):
        """What ends a row's restarts when a tool is beyond its reach: the largest residual
        of the tools that can arrive (0 when none can).  The far tool still moves toward
        its target in every step (it weighs FAR_WEIGHT there), but a start is kept for the
        tools that can arrive, and the search ends once they have (the shared joints serve
        them first)."""
        parts = [np.zeros(len(y))]
        for s, a, b in zip(self.subs, self._split(aim), self._split(y)):
            r = s.residual(a, b)
            far = self._far(s, a)
            parts.append(np.where(far, 0.0, r) if far.any() else r)
        return np.max(np.stack(parts), axis=0)

    def residual_parts(self, targets, y):
        parts = [s.residual_parts(a, b) for s, a, b in
                 zip(self.subs, self._split(targets), self._split(y))]
        return (np.max(np.stack([p for p, _ in parts]), axis=0),
                np.max(np.stack([o for _, o in parts]), axis=0))

    def angles(self):
        """The angles a whole turn leaves the pose as it is: not a slide, nor the source of
        a gear of a ratio that is not whole or of a slide (the turn would move them)."""
        out = np.array([t != "prismatic" for t in self.robot.types], dtype=bool)
        for source in self.robot._no_turn:
            out[self.robot.joint_names.index(source)] = False
        return out

    def clip(self, q):
        q = np.clip(q, self.limits[:, 0], self.limits[:, 1])
        if self._wrap.any():
            q = np.where(self._wrap, (q + np.pi) % (2 * np.pi) - np.pi, q)
        return q

    def default_start(self):
        """The middle of the joint ranges (0 for a continuous joint and a base's slides)."""
        if self._start is None:
            mid = np.where(self._wrap[:, None] | ~np.isfinite(self.limits), 0.0,
                           self.limits).mean(axis=1)
            self._start = self.clip(np.where(self.robot.base_translations, 0.0, mid))
            self._start.setflags(write=False)
        return self._start.copy()

    def restart_starts(self, restarts, seed):
        """Starts near the aim: the entry of a table of sampled configurations of the whole
        robot (:func:`armsim.ik.restart_table.restart_starts`: every tool's features side
        by side) whose tools' own joints are then each set from that tool's table
        (:meth:`_own_tables`)."""
        whole = restart_table.restart_starts(self, restarts, seed)
        own = self._own_tables(restarts, seed)
        if not own:
            return whole

        def start(k, aim):
            return self._own_starts(own, np.array(whole(k, aim)), aim, k)

        def many(ks, aim):
            """``start(k, aim)`` for each k of ks, stacked: each table searched once."""
            q = np.concatenate([np.asarray(whole(k, aim)) for k in ks])
            return self._own_starts(own, q, np.tile(aim, (len(ks), 1)),
                                    np.repeat(np.asarray(ks, dtype=np.intp), len(aim)))
        start.many = many
        return start

    def float_starts(self, C, restarts, seed, target):
        """The float path's ``start_of(k)`` (a list) for one target row: the whole table's
        start, each tool's own joints then set from its own table, as :meth:`restart_starts`
        (the tables built by the first start drawn: a solve that draws none builds none)."""
        whole = spatial_scalar._Starts(self, C, restarts, seed, target)
        seen = []

        def start(k):
            q = whole(k)
            if not seen:
                own = self._own_tables(restarts, seed)
                rows = [target[a:b].tolist() for a, b in zip(self._rows[:-1], self._rows[1:])]
                seen.append([self._seen_one(t, split) + (table, rows[t])
                             for t, split, _, table in own])
            for local, cols, table, row in seen[0]:
                for c, v in zip(cols, table.nearest_row(local(q, row), k)):
                    q[c] = v
            return q
        return start

    def _seen_one(self, t, split):
        """:meth:`_own_starts`'s target row of tool ``t`` seen from the frame after its first
        ``split`` joints, on Python floats for one joint vector and target row (lists): (a
        function of them (the same products and sums as the batch's, in the same order),
        the columns of q the tool's own joints take), kept per tool."""
        kept = self._seen.get((t, split))
        if kept is not None:
            return kept
        cmap, mult, off, _ = self._maps[t]
        chain = self.subs[t].chain
        flat = lambda T: [sum(m, []) for m in T[:split].tolist()]    # noqa: E731 (4 x 4 rows)
        T0, (TK, TKK, TA) = flat(chain._T0), (flat(T) for T in chain._TKA)
        revolute = chain._all_revolute
        joints = [(int(cmap[i]), None if mult is None else (float(mult[i]), float(off[i])))
                  for i in range(split)]

        def local(q, row):
            if not joints:          # no joint before its own: the target as it is
                return list(row)
            F = None                # the frame, row after row (16)
            for i, (c, m) in enumerate(joints):
                v = q[c] if m is None else q[c] * m[0] + m[1]
                s, c1 = math.sin(v), 1.0 - math.cos(v)
                L = ([s * a + c1 * b + t for a, b, t in zip(TK[i], TKK[i], T0[i])] if revolute
                     else [s * a + c1 * b + v * x + t
                           for a, b, x, t in zip(TK[i], TKK[i], TA[i], T0[i])])
                F = L if F is None else [((F[r] * L[k] + F[r + 1] * L[4 + k])
                                          + F[r + 2] * L[8 + k]) + F[r + 3] * L[12 + k]
                                         for r in (0, 4, 8, 12) for k in range(4)]
            d = [row[j] - F[4 * j + 3] for j in range(3)]
            out = [(F[i] * d[0] + F[4 + i] * d[1]) + F[8 + i] * d[2] for i in range(3)]
            if len(row) == 12:
                out += [(F[i] * row[3 + k] + F[4 + i] * row[6 + k]) + F[8 + i] * row[9 + k]
                        for i in range(3) for k in range(3)]
            return out
        got = self._seen[(t, split)] = (local, self._own[t][2].tolist())
        return got

    def _own_tables(self, restarts, seed):
        """For each tool whose chain ends in joints no other tool moves (an arm below a
        torso): (its index, how many joints of its chain come before them, their columns
        of q, their :class:`_OwnTable`)."""
        if not restarts:
            return []
        out = []
        if self._own is None:
            self._own = own_chains(self)
        for t, (s, own) in enumerate(zip(self.subs, self._own)):
            if own is not None:
                split, tables, cols = own
                key = (s.kind, seed, restart_table.TABLE_SIZE, restart_table.ROTATION_WEIGHT)
                table = tables.get(key)
                if table is None:
                    if len(tables) > 4:             # the chain and 4 tables: the chain kept
                        for old in [k for k in tables if k != "chain"]:
                            tables.pop(old, None)   # (never absent: another thread reads it)
                    table = tables[key] = OwnTable(SpatialTarget(tables["chain"], s.kind), seed)
                out.append((t, split, cols, table))
        return out

    def _own_starts(self, own, q, aim, k):
        """q (B, n) with each tool's own joints set to the entry of its own table ``k``-th
        nearest its target seen from the frame its own joints hang from (at q's shared
        joints); k an int, or one per row (B,)."""
        rows = self._split(aim)
        for t, split, cols, table in own:
            r = rows[t]
            M = np.empty((len(q), 3, r.shape[1] // 3))      # the target: [p | R] (B, 3, 1 or 4)
            M[:, :, 0] = r[:, :3]
            if r.shape[1] == 12:
                M[:, :, 1:] = r[:, 3:].reshape(-1, 3, 3)
            if split:
                cmap, mult, off, _ = self._maps[t]
                qt = (q[:, cmap] if mult is None else q[:, cmap] * mult + off)[:, :split]
                local = self.subs[t].chain._local(np.sin(qt), 1.0 - np.cos(qt), qt)
                F = local[:, 0]
                for i in range(1, split):           # the frame after the shared joints
                    F = F @ local[:, i]
                M[:, :, 0] -= F[:, :3, 3]
                M = np.einsum("bji,bjk->bik", F[:, :3, :3], M)     # seen from F: F^-1 target
            local_rows = np.concatenate([M[:, :, 0], M[:, :, 1:].reshape(len(q), -1)], axis=-1)
            q[:, cols] = table.nearest(local_rows, k)
        return q

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
            self._float = TreeFloat(self)
        return self._float

    def _far_any(self, targets):
        """Whether any row's target of any tool is provably beyond its reach (:meth:`_far`
        of every tool at once: the check a solve with every target in reach pays)."""
        if self._far_check is None:         # (first column, origin, bound^2) of each tool
            self._far_check = [(int(a), *s._origin.tolist(), s._bound * s._bound)
                               for s, a in zip(self.subs, self._rows[:-1])
                               if s._bound is not None]
        if np.ndim(targets) == 1 or len(targets) == 1:      # one row: on floats
            row = np.ravel(targets).tolist()
            return any((row[a] - x) ** 2 + (row[a + 1] - y) ** 2 + (row[a + 2] - z) ** 2 > b2
                       for a, x, y, z, b2 in self._far_check)
        return any(bool(self._far(s, r).any()) for s, r in zip(self.subs, self._split(targets)))

    def _stretch(self, q, targets, budget=STRETCH_STEPS):
        """Each tool whose target is provably beyond its reach and that has joints of its own
        (no other tool moves them) stretched toward it by those joints alone, the others
        held (the solve weighs such a tool :data:`FAR_WEIGHT`: its own joints barely moved):
        up to ``budget`` damped steps, each taken only where it lowers the error.
        ``q`` (B, n) is changed in place; returns whether any row changed."""
        if self._own is None:
            self._own = own_chains(self)
        changed = False
        for t, (s, own, rows) in enumerate(zip(self.subs, self._own, self._split(targets))):
            far = np.flatnonzero(self._far(s, rows)) if own is not None else ()
            if not len(far):
                continue
            split, tables, cols = own
            sub = SpatialTarget(tables["chain"], s.kind)
            local, _ = self._seen_one(t, split)
            aim = np.array([local(q[b].tolist(), rows[b].tolist()) for b in far])
            qs = q[np.ix_(far, cols)]
            y, J = sub.value_and_jacobian(qs)
            e = sub.error(aim, y)
            f = np.einsum("bi,bi->b", e, e)
            nu = np.full(len(far), SpatialTarget.default_damping)
            for _ in range(budget):             # the loop's damped step and its rules
                qn = sub.clip(qs + steps._damped(J, e, nu * f + steps.lambda_floor2(sub.scale)))
                yn, Jn = sub.value_and_jacobian(qn)
                en = sub.error(aim, yn)
                fn = np.einsum("bi,bi->b", en, en)
                ok = rule.accepted(f, fn)
                qs[ok], J[ok], e[ok], f[ok] = qn[ok], Jn[ok], en[ok], fn[ok]
                nu = rule.damped(nu, ok, rule.ARRAYS)
                changed |= bool(ok.any())
            q[np.ix_(far, cols)] = qs
            # within the robot's limits, which a mimic's own limits may narrow beyond the
            # tool chain's (a continuous source of a limited mimic)
            q[far] = np.clip(q[far], self.limits[:, 0], self.limits[:, 1])
        return changed

    def finish(self, out, targets, q0, tol, single, tools=None, stretch=True):
        """Each tool's residual in ``out.targets`` ({link: float or (B,)}), and ``residual``,
        ``success`` and ``reason`` by every tool's plain residual (a tool beyond its reach
        never counts as arrived; stretched toward it first, :meth:`_stretch`); ``tools``:
        those residuals when the compiled solve gave them (one solve: (tools,); a batch:
        (B, tools)); ``stretch=False``: no stretch (objectives hold the answer, the joints
        no tool moves too).  The joints no tool moves are the caller's ``q0`` (within the
        limits; a restart's start drew them anywhere): no tool's residual changes."""
        if stretch and len(self._held) and q0 is not None:
            q = np.array(np.atleast_2d(out.q), dtype=float)
            q[:, self._held] = np.clip(np.atleast_2d(q0)[:, self._held],
                                       *self.limits[self._held].T)
            out.q = q[0] if single else q
        if stretch and targets is not None and self._far_any(targets):
            q = np.array(np.atleast_2d(out.q), dtype=float)
            if self._stretch(q, np.atleast_2d(targets)):
                out.q, tools = (q[0] if single else q), None    # (measured again below)
        if single and tools is not None:           # the compiled solve's, by its FK
            out.targets = dict(zip(self.names, tools))
            return self._judged(out, tol)
        if single and self._float is not None:      # by the float pass: the same FK
            d = self._float.make(*targets[0].tolist())(np.ravel(out.q).tolist())[3]
            out.targets = {name: max(parts(d[a:b])) for name, (parts, a, b) in
                           zip(self.names, self._float.pieces)}
            return self._judged(out, tol)
        res = (self.target_residuals(targets, self.value(np.atleast_2d(out.q)))
               if tools is None else {name: np.array(tools[:, i]) for i, name in
                                      enumerate(self.names)})
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

    @staticmethod
    def _judged(out, tol):
        """One solve's residual, success and reason from its tools' residuals."""
        out.residual = worst = max(out.targets.values())
        out.success = worst < tol
        if not out.success and out.reason == "converged":
            out.reason = "unreachable"
        return out


_TREES = Recent(16)     # robot -> {spec: its TreeTargets}, the 16 robots solved last


def for_tree(robot, targets, batch):
    """The problem and target row(s) of ``solve(robot, {link: target, ...})``."""
    if isinstance(targets, dict) and not targets:
        raise ValueError(f"give at least one target, e.g. {{{robot.tips[0]!r}: pose}}")
    if not isinstance(targets, dict):
        raise ValueError(f"the targets of a robot (a kinematic tree) must be a dict from "
                         f"tool link to target, e.g. {{"
                         f"{', '.join(f'{t!r}: pose' for t in robot.tips[:2])}}}, got "
                         f"{type(targets).__name__}")
    if len(targets) > MAX_TOOLS:
        raise ValueError(f"give at most {MAX_TOOLS} targets in one solve, got {len(targets)}")
    spec, rows = [], []
    size = None
    for link, t in targets.items():
        weights = None
        if isinstance(t, Target):
            t, weights = t.pose, t.weights
        if link not in robot.links:
            raise ValueError(f"no link named {shown(link)} (a target); links: "
                             f"{listed(robot.links)}")
        found = SpatialTarget.target_rows(t, batch, f"target {shown(link)}")
        if found is None:
            shapes = "(B, 3) or (B, 4, 4)" if batch else "(3,) or (4, 4)"
            raise ValueError(f"target {shown(link)} must have shape {shapes} (a position or a "
                             f"homogeneous pose), got {np.shape(t)}")
        kind, r = found
        if size is not None and len(r) != size:
            raise ValueError(f"every target needs the same number of rows: {shown(link)} has "
                             f"{len(r)}, the first had {size}")
        size = len(r)
        w = None if weights is None else tuple(check_weights(
            weights, 3 if kind == "position" else 6, f"the weights of target {shown(link)}"))
        spec.append((link, kind, w))
        rows.append(r)
    _check_rotations(rows, spec, batch)
    per_robot = _TREES.setdefault(robot, {})
    key = tuple(spec)
    prob = per_robot.get(key)
    if prob is None:
        if len(per_robot) >= 32:        # many weights on one robot: bounded memory
            per_robot.clear()
        prob = per_robot[key] = TreeTargets(robot, spec)
    rows = np.concatenate(rows, axis=-1)
    if not np.all(np.abs(rows) <= MAX_COORDINATE):          # named by its tool and row
        _bad_number(prob, rows, batch)
    return prob, (rows if batch else rows[0])


def _bad_number(prob, rows, batch):
    """The one-line ValueError of the first tool target (and row) whose numbers are not
    finite within :data:`MAX_COORDINATE` (``rows``: the tools' rows side by side, as
    ``prob``, the :class:`TreeTargets`, lays them out), in a chain's words: the tool's
    three numbers (a position) or 12 (a pose: its position, then its rotation's rows), as
    ``armsim.solve(chain, target)`` says them."""
    i, j = (int(v[0]) for v in np.nonzero(~(np.abs(rows) <= MAX_COORDINATE)))
    k = int(np.searchsorted(prob._rows, j, side="right")) - 1
    got = rows[i, prob._rows[k]:prob._rows[k + 1]].tolist()
    what = "finite" if batch else f"{_WORDS.get(len(got), str(len(got)))} finite"
    raise ValueError(f"target {shown(prob.names[k])}{f'[{i}]' if batch else ''} must be "
                     f"{what} numbers within +-{MAX_COORDINATE:g}, got {str(got)[:80]}")


def raw_tree(robot, targets):
    """(The problem :func:`for_tree` chose before for these tools and kinds, the targets
    flat one after another) when ``targets`` is a dict of plain float arrays, each (4, 4) or
    (3,) (:func:`~armsim.ik.inputs.raw_kind`), without weights; their numbers
    are not checked here (the caller checks them).  None otherwise, and before
    :func:`for_tree` made the problem."""
    if targets.__class__ is not dict:
        return None
    spec, flat = [], []
    for link, t in targets.items():
        kind = raw_kind(t)
        if kind is None:
            return None
        spec.append((link, kind, None))
        flat.append(t.reshape(-1))
    try:
        prob = _TREES[robot][tuple(spec)]
    except KeyError:
        return None
    return prob, np.concatenate(flat)


def _check_rotations(rows, spec, batch):
    """Refuse a pose target whose rotation is not one, as a chain's target is refused."""
    for r, (link, kind, _) in zip(rows, spec):
        if kind == "pose":
            check_pose_rows(r, batch, prefix=f"target {shown(link)}: rotation")
