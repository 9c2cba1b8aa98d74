"""A whole robot's link frames: the plain pass over its links, and a Dual q's tangents by
the chain rule on one-hot seeds.

The plain pass (:func:`plain_frames`) forms every movable joint's local transform at once
(``T0 + s TK + (1 - c) TKK + v TA``, :func:`armsim.kinematics.batch.local_constants`: a
chain's float pass's constants) and then one 4 x 4 product a link, parent before child.

:meth:`armsim.kinematics.tree.Robot.poses` of a Dual q composes every link's transform
with its twists, factor by factor (:func:`armsim.ad.twist.compose`): each step carries all
K tangent columns through two rotations and a cross product.  The chain rule gives the
same derivatives at less cost, as :func:`armsim.ad.twist.seeded` does for a chain: a joint
value's one-hot seed, carried to the root by the frames on its left, is the twist
``(o_j x z_j, z_j)`` of a turn (``(z_j, 0)`` of a slide), ``z_j`` the joint's axis and
``o_j`` a point on it in the root's frame, and nothing below the joint changes it.  So the
values come from the plain pass (the very steps a plain q takes: the same bits), and a
link's twists are the sum of the twists of the movable joints on its path, each times
``d v_j / d q`` (``multiplier e_source``: a mimic adds to its source's column) times q's
own tangents (skipped when they are the identity, the seed objectives give).
"""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad
from armsim.ad import twist
from armsim.kinematics import batch

__all__ = ["seeded_poses", "positions", "plain_frames", "plain_poses", "fits"]


def _constants(robot):
    """Per step (a link below the root, in tree order): its parent's index, the local
    constants T0 (S, 4, 4) and (TK, TKK, TA) (3, S, 4, 4) (zeros for a fixed joint) and the
    steps that move with the index of their joint value; kept per robot."""
    kept = robot.__dict__.get("_plain_pass")
    if kept is None:
        parent, R0, p0, axis, slide, vi = zip(*robot._steps)
        axes = np.array([a if v >= 0 else (0.0, 0.0, 1.0) for a, v in zip(axis, vi)], float)
        T0, TKA = batch.local_constants(np.array(R0, float).reshape(-1, 3, 3),
                                        np.array(p0, float).reshape(-1, 3), axes, slide)
        vi = np.array(vi, dtype=np.intp)
        moves = np.flatnonzero(vi >= 0)
        TKA = TKA.copy()
        TKA[:, vi < 0] = 0.0                  # a fixed joint: its origin alone
        kept = robot.__dict__["_plain_pass"] = (tuple(parent), T0, TKA, moves, vi[moves])
    return kept


def plain_frames(robot, v, last):
    """Every link's frame (..., last + 1, 4, 4), link index 0 the root (the identity), for
    the movable joints' values v (..., M) (floats)."""
    parent, T0, TKA, moves, vi = _constants(robot)
    shape = v.shape[:-1]
    F = np.empty(shape + (last + 1, 4, 4))   # each link's local transform, then its frame
    F[..., 0, :, :] = np.eye(4)
    F[..., 1:, :, :] = T0[:last]
    m = moves[moves < last]
    if m.size:
        x = v[..., vi[:m.size]]
        d = np.sin(x)[..., None, None] * TKA[0, m]
        d += (1.0 - np.cos(x))[..., None, None] * TKA[1, m]
        d += x[..., None, None] * TKA[2, m]
        F[..., m + 1, :, :] += d
    views = [F[..., i, :, :] for i in range(last + 1)]
    for i in range(1, last + 1):        # parent before child: its frame is final
        up = parent[i - 1]
        if up:
            np.matmul(views[up], views[i], out=views[i])    # (numpy buffers the overlap)
    return F


def _paths(robot, last):
    """Per step index 1..last: the movable steps on its path (ascending), kept per robot."""
    kept = robot.__dict__.get("_seeded_paths")
    if kept is None or len(kept) <= last:
        steps = robot._steps
        paths = [()]
        for i, (parent, *_, vi) in enumerate(steps, start=1):
            paths.append(paths[parent] + ((i,) if vi >= 0 else ()))
        kept = robot.__dict__["_seeded_paths"] = tuple(paths)
    return kept


def plain_poses(robot, v, want):
    """``{link: (R (..., 3, 3), p (..., 3))}`` of :meth:`Robot.poses` for the movable
    joints' values v (..., M), floats: views of :func:`plain_frames`."""
    F = plain_frames(robot, v, max(robot._index[link] for link in want))
    return {link: (F[..., i, :3, :3], F[..., i, :3, 3])
            for link, i in ((link, robot._index[link]) for link in want)}


BLOCK = 1 << 18        # numbers of one block of rows' twists (rows x moved links x 3 x K)
PLAN_FLOATS = 1 << 20  # the largest product of links x movable joints x n a plan holds


def fits(robot, links):
    """Whether :func:`seeded_poses` and :func:`positions` take ``links`` links of ``robot``
    with a Dual: their plan holds a (steps, links x n) matrix, so a robot of thousands of
    links and hundreds of joints takes the factor-by-factor pass instead (memory in
    proportion to its links)."""
    return links * len(robot._movable) * robot.n <= PLAN_FLOATS


def _derivatives(robot, q, index, rotations):
    """The plain frames F (..., last + 1, 4, 4) of a Dual q (dense tangent), the positions
    in ``index`` (link indices) of the links some joint moves, and their tangents: dp
    (..., moved, 3, K) and, with ``rotations``, dR (..., moved, 3, 3, K); None without a
    moved link.  Worked out in blocks of rows (:data:`BLOCK` numbers of twists each: at
    B = 2,000 on dual_arm the peak of :func:`positions` is 42 MB, 105 MB in one block)."""
    dq = q.tangent
    F = plain_frames(robot, _values(robot, q.value), max(index))    # the values alone
    plan = _plan(robot, tuple(index))
    if plan is None:
        return F, [], None, None
    moving, steps, M, axes, slide = plan
    batch, k, n = F.shape[:-3], dq.shape[-1], robot.n
    Ff = F.reshape((-1,) + F.shape[-3:])
    rows = len(Ff)
    seeds = None if twist._identity(dq) else np.broadcast_to(dq, batch + dq.shape[-2:]).reshape(
        (rows,) + dq.shape[-2:])
    at = np.take(Ff, [index[r] for r in moving], axis=1)           # (rows, moved, 4, 4)
    dp = np.empty((rows, len(moving), 3, k))
    dR = np.empty((rows, len(moving), 3, 3, k)) if rotations else None
    step = max(1, BLOCK // (len(moving) * 3 * max(k, n)))
    for s in range(0, rows, step):
        b = slice(s, s + step)
        # each movable step's twist in the root's frame, (rows, 3, S): the joint's axis z
        # (its child frame turns about it) and, for a turn, o x z with o the child's origin
        Fs = np.take(Ff[b], steps, axis=1)
        z = Fs[..., :3, 0] * axes[:, None, 0]
        z += Fs[..., :3, 1] * axes[:, None, 1]
        z += Fs[..., :3, 2] * axes[:, None, 2]
        z = np.swapaxes(z, -1, -2)
        o = np.swapaxes(Fs[..., :3, 3], -1, -2)
        tv = twist._cross(o, z)
        tw = z
        if slide.any():
            tv, tw = np.where(slide, z, tv), np.where(slide, 0.0, z)
        # link l's twists: the sum over the steps on its path of each step's twist times
        # d v / d q, every link of every row at once: (rows x 3, S) x (S, moved x n)
        lv, lw = (np.moveaxis((t.reshape(-1, len(steps)) @ M).reshape(
            len(t), 3, len(moving), n), 1, 2) for t in (tv, tw))
        if seeds is not None:
            lv, lw = (np.matmul(t, seeds[b, None]) for t in (lv, lw))
        m = twist.Motion(at[b, :, :3, :3], at[b, :, :3, 3], lv, lw, 0, k)
        if rotations:
            Rd, pd = m.duals()
            dR[b], dp[b] = Rd.tangent, pd.tangent
        else:
            dp[b] = m._velocities(None, 3)
    dp = dp.reshape(batch + dp.shape[1:])
    return F, moving, dp, None if dR is None else dR.reshape(batch + dR.shape[1:])


def _plan(robot, index):
    """What :func:`_derivatives` needs of the links ``index`` (kept per robot, for the last 16
    sets asked): the positions of the moved ones, the movable steps on their paths, each
    step's ``d v / d q`` for each moved link whose path holds it, else 0 (S, moved x n),
    each step's axis (S, 3) and whether it slides; None when no joint moves any."""
    kept = robot.__dict__.setdefault("_seeded_plans", {})
    plan = kept.get(index, False)       # (one read: another thread may clear it)
    if plan is not False:
        return plan
    paths = _paths(robot, max(index))
    moving = [r for r, i in enumerate(index) if paths[i]]
    plan = None
    if moving:
        steps = sorted({s for r in moving for s in paths[index[r]]})
        col = {s: c for c, s in enumerate(steps)}
        upto = np.zeros((len(moving), len(steps)))
        for r, m in enumerate(moving):
            upto[r, [col[s] for s in paths[index[m]]]] = 1.0
        vi = np.array([robot._steps[s - 1][5] for s in steps], dtype=np.intp)
        dv = np.zeros((len(steps), robot.n))
        np.add.at(dv, (np.arange(len(steps)), robot._src[vi]), robot._mult[vi])
        M = np.ascontiguousarray(np.moveaxis(upto[:, :, None] * dv, 0, 1)).reshape(
            len(steps), len(moving) * robot.n)            # (S, links x n)
        plan = (moving, steps, M,
                np.array([robot._steps[s - 1][3] for s in steps], dtype=float),
                np.array([robot._steps[s - 1][4] for s in steps], dtype=bool))
    if len(kept) >= 16:
        kept.clear()
    kept[index] = plan
    return plan


def seeded_poses(robot, q, want):
    """``{link: (R, p)}`` of :meth:`Robot.poses` for a Dual q (..., n) with a dense tangent
    (..., n, K) and no hook watching: Duals for the links some joint moves (their values
    :func:`plain_poses`'), arrays for the others."""
    index = [robot._index[link] for link in want]
    F, moving, dp, dR = _derivatives(robot, q, index, True)
    out = {link: (F[..., i, :3, :3], F[..., i, :3, 3]) for link, i in zip(want, index)}
    for at, r in enumerate(moving):
        R, p = out[want[r]]
        out[want[r]] = (_dual(R, dR[..., at, :, :, :]), _dual(p, dp[..., at, :, :]))
    return out


def positions(robot, q, want):
    """The origins of the links ``want`` stacked (..., L, 3): of q an array (floats, as
    :func:`plain_poses`), or a Dual as :func:`seeded_poses` takes, whose tangent is
    (..., L, 3, K) (zeros for a link no joint moves): its positions' values and tangents."""
    index = [robot._index[link] for link in want]
    if not isinstance(q, ad.Dual):
        return np.take(plain_frames(robot, _values(robot, q), max(index)), index,
                       axis=-3)[..., :3, 3]
    F, moving, dp, _ = _derivatives(robot, q, index, False)
    p = np.take(F, index, axis=-3)[..., :3, 3]
    tangent = np.zeros(p.shape + (q.tangent.shape[-1],))
    if moving:
        tangent[..., moving, :, :] = dp
    return _dual(p, tangent)


def _values(robot, q):
    """The movable joints' values (..., M) of plain joint values q (..., n) (a mimic's by
    its rule: :meth:`Robot.joint_values`, without checking q again)."""
    v = q[..., robot._src]
    return v * robot._mult + robot._off if robot._has_mimic else v


def _dual(value, tangent):
    """A Dual of arrays already checked (what :class:`Dual`'s own operations make)."""
    out = ad.Dual.__new__(ad.Dual)
    out.value, out.tangent = value, tangent
    return out
