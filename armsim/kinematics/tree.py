"""Whole robots: a kinematic tree of links with several tools, mimic joints and a moving base.

A :class:`Robot` is the tree of a URDF (:func:`armsim.kinematics.urdf.load_robot`): every link
hangs from its parent by one joint (``fixed``, ``revolute``, ``continuous``, ``prismatic``),
its origin and axis as in a :class:`~armsim.kinematics.spatial.SpatialChain`.  Besides:

* **mimic** joints move as ``multiplier * q[source] + offset`` (URDF's ``<mimic>``).  They are
  not free variables: ``q`` holds the free joints only (:attr:`Robot.joint_names`), and the
  chain rule carries a mimic joint's effect into every Jacobian (the AD sees the product;
  :meth:`Robot.chain` folds it into a linear map).  A mimic of a mimic is followed to its
  free source; a cycle of mimics is refused.
* a **spherical** joint (pybullet's ball joint, not URDF's own) as three continuous turns
  about its frame's z, y and x (``NAME_yaw``, ``NAME_pitch``, ``NAME_roll``).
* a **floating** base (6 free coordinates: ``x, y, z`` then ``yaw, pitch, roll``, so the
  base turns by ``Rz(yaw) Ry(pitch) Rx(roll)`` like a URDF ``rpy``) or a **planar** base (3:
  two slides in the plane normal to the joint's axis, and the turn about it).  A URDF
  ``floating`` or ``planar`` joint becomes that many joints in a row (hidden links between
  them), each translation within +-:data:`BASE_TRAVEL` m; ``base_joint=`` adds one above
  the root of a file that has none.  A ``prismatic`` joint with a limit beyond the accepted
  travel (+-1000 m: ROS's unbounded slide, e.g. the +-999999 of a mobile base's virtual
  joints) is such a base translation too, its limits (each within +-1e6 m, as a URDF's)
  clipped to +-:data:`BASE_TRAVEL` m.

Every link frame comes from one pass over the links in tree order (:meth:`Robot.poses`),
written once with the chain's products (:mod:`armsim.ad.twist`: a link is its parent's frame
times its joint's origin times its turn or slide), so it runs on floats, arrays with a
leading batch axis, and :class:`~armsim.ad.dual.Dual` (the derivatives ride as twists and
become Duals at the end: the Jacobian of any function of any link's frame is one forward
pass).  A serial chain is the tree with one leaf: :meth:`Robot.chain` gives the
:class:`SpatialChain` from the root to a link with the map from ``q`` to its joint values,
so a solve reuses the chain's fast passes.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from armsim.ad import dual as ad
from armsim.kinematics import batch, validate
from armsim.ad import twist
from armsim.kinematics.spatial import Joint, Limited, SpatialChain, matrix_rpy, rpy_matrix
from armsim.kinematics.spatial import _plain as _plain_dual
from armsim.kinematics.tree_joints import BASE_JOINTS, BASE_TRAVEL, SPLIT, TreeJoint, split
from armsim.kinematics.tree_joints import HIDDEN as _HIDDEN
from armsim.kinematics.tree_joints import Coordinates
from armsim.kinematics.tree_seeded import (fits, plain_frames, plain_poses, positions,
                                           seeded_poses)
from armsim.kinematics.validate import shown

__all__ = ["TreeJoint", "Robot", "BASE_TRAVEL", "MAX_TREE_JOINTS", "unbounded_slide"]

MOVABLE = ("revolute", "continuous", "prismatic")
#: movable joints in one tree (free, mimic and base coordinates), at most
MAX_TREE_JOINTS = 1024
#: a mimic multiplier's magnitude, at most
MAX_MULTIPLIER = 1e3


def unbounded_slide(j) -> bool:
    """Whether ``j`` is a free prismatic joint with finite limits, lower <= upper, one of
    them beyond the accepted travel (:data:`armsim.kinematics.validate.LENGTH_RANGE`), and
    its range meeting +-:data:`BASE_TRAVEL`: read as a moving base's slide (other limits
    are checked, and refused, as any joint's)."""
    if j.type != "prismatic" or getattr(j, "mimic", None) is not None:
        return False
    try:
        lo, hi = float(j.lower), float(j.upper)
    except (TypeError, ValueError, OverflowError):
        return False
    r_lo, r_hi, _ = validate.LENGTH_RANGE
    return (math.isfinite(lo) and math.isfinite(hi) and (lo < r_lo or hi > r_hi)
            and max(lo, -BASE_TRAVEL) <= min(hi, BASE_TRAVEL))


def ordered_tips(tips) -> None:
    """Refuse ``tips`` given as a set: the order of its strings changes from run to run
    (hash randomisation), and the tools' order, a solve's rows, with it."""
    if isinstance(tips, (set, frozenset)):
        raise ValueError(f"tips must be ordered: a list or tuple, got {type(tips).__name__}")
    if isinstance(tips, (bytes, bytearray, memoryview)):    # (its items would be numbers)
        raise ValueError(f"tips must be link names (text), got {type(tips).__name__}")


class Robot(Limited):
    """A robot as a kinematic tree (see the module's docstring).

    Parameters
    ----------
    links : sequence of str, the link names (file order)
    joints : sequence of :class:`TreeJoint`; the links and joints must form one tree
    tips : list or tuple of str, optional; the tool links, in the order the solve's tools
        take (a set is refused: its order changes between runs); default: every leaf, in
        tree order
    name : str; the robot's name (messages, pictures)
    added_base : str, optional; the name of the floating or planar joint in ``joints`` that
        :func:`~armsim.kinematics.urdf.load_robot`'s ``base_joint=`` added (messages call
        it "the floating base", its coordinates by what they are: :meth:`describe_joint`)

    Attributes
    ----------
    joint_names : tuple of str, the free joints in the order of ``q``;  n : their number
    links : tuple of str, every link in tree order (root first; hidden links left out)
    limits : ndarray (n, 2) [rad or m] (continuous: -inf, inf);  tips : tuple of str
    mimic : dict, mimic joint -> (free joint, multiplier, offset)
    """

    def __init__(self, links, joints, tips=None, name="robot", *, added_base=None):
        joints = list(joints)
        self._coordinates = Coordinates(joints, added_base)
        expanded, base = [], set()
        for j in joints:
            if j.type in SPLIT:
                coords = split(j)
                if j.type in BASE_JOINTS:
                    base.update(c.name for c in coords)
                expanded.extend(coords)
            elif unbounded_slide(j):     # a mobile base's virtual slide: within +-1e6 m,
                for end in ("lower", "upper"):      # as a URDF's (load_robot) must be
                    validate.number(getattr(j, end), "position",
                                    f"joint {shown(j.name)}: limit {end}")
                base.add(j.name)
                expanded.append(replace(j, lower=max(float(j.lower), -BASE_TRAVEL),
                                        upper=min(float(j.upper), BASE_TRAVEL)))
            else:
                expanded.append(j)
        hidden = [j.child for j in expanded if _HIDDEN in j.child and j.child not in links]
        self._hidden = frozenset(hidden)
        #: the coordinates of a floating or planar base, and the unbounded slides (joint
        #: names: not drawn as joints)
        self.base_joints = frozenset(base)
        all_links = list(links) + hidden
        root, parent_joint, children = validate.tree(all_links, expanded)
        order = []                      # depth-first, children in file order
        stack = [root]
        while stack:
            link = stack.pop()
            order.append(link)
            stack.extend(reversed(children[link]))
        self.name = str(name)
        self.root = root
        self._link_order = tuple(order)
        self.links = tuple(link for link in order if link not in hidden)
        self._index = {link: i for i, link in enumerate(order)}
        movable = [parent_joint[link] for link in order[1:]
                   if parent_joint[link].type in MOVABLE]
        if len(movable) > MAX_TREE_JOINTS:
            raise ValueError(f"the robot has {len(movable)} movable joints; a tree may have at "
                             f"most {MAX_TREE_JOINTS}")
        by_name = {j.name: j for j in expanded}
        free = [j for j in movable if j.mimic is None]
        if not free:
            for j in movable:        # a mimic cycle, or of a fixed joint: named
                self._resolve(j, by_name, {})
            raise ValueError("the robot has no movable joint")
        self.joint_names = tuple(j.name for j in free)
        column = {name: i for i, name in enumerate(self.joint_names)}
        self.mimic = {}
        src, mult, off = [], [], []
        for j in movable:
            s, m, o = self._resolve(j, by_name, column)
            src.append(s)
            mult.append(m)
            off.append(o)
            if j.mimic is not None:
                self.mimic[j.name] = (self.joint_names[s], m, o)
        self._src = np.array(src, dtype=np.intp)
        self._mult, self._off = np.array(mult), np.array(off)
        self._has_mimic = bool(self.mimic)
        self._movable = tuple(j.name for j in movable)
        self._value_index = {j.name: i for i, j in enumerate(movable)}
        checked = {j.name: validate.joint(_as_joint(j)) for j in expanded}
        limits = np.array([checked[j.name][3] for j in free], dtype=float)
        for name, (source, m, o) in self.mimic.items():     # a mimic's own limits bound
            limits[column[source]] = _within_mimic(         # its source (not a turn)
                name, source, checked[name][3], limits[column[source]], m, o)
        self.limits = _frozen(limits)
        for name, (source, m, o) in self.mimic.items():     # a mimic's range: its own kind's
            slide = by_name[name].type == "prismatic"
            lo, hi = _mimic_range(self.limits[column[source]], m, o, slide)
            r_lo, r_hi, unit = validate.LENGTH_RANGE if slide else validate.ANGLE_RANGE
            if math.isfinite(lo) and not (r_lo <= lo and hi <= r_hi):
                raise ValueError(f"joint {shown(name)}: its mimic rule moves it over [{lo:g}, "
                                 f"{hi:g}] {unit}, beyond [{r_lo:g}, {r_hi:g}]")
        self.types = tuple(j.type for j in free)
        # which joints turn (wrapped to [-pi, pi) while solved, the same pose): not a
        # continuous joint a mimic's own limits bound (it has limits), nor one driving a
        # turning mimic by a ratio that is not whole (a turn would move it elsewhere)
        turns = (np.array([t == "continuous" for t in self.types])
                 & ~np.isfinite(self.limits).all(axis=1))
        self._geared = frozenset(source for name, (source, m, _) in self.mimic.items()
                                 if by_name[name].type != "prismatic" and m != round(m))
        slid = {source: name for name, (source, m, _) in self.mimic.items()   # slides'
                if by_name[name].type == "prismatic" and m != 0.0}            # sources
        # the joints a whole turn moves to another pose: those and a slide's sources
        self._no_turn = self._geared | set(slid)
        for source in self._geared:
            turns[column[source]] = False
            if source in slid and not np.isfinite(self.limits[column[source]]).all():
                raise ValueError(       # (a slide it drives would be unbounded)
                    f"joint {shown(slid[source])}: a slide driven by continuous joint "
                    f"{shown(source)}, which also drives a gear of a ratio that is not "
                    f"whole (so it does not turn within [-pi, pi)): give "
                    f"{shown(slid[source])} a <limit>")
        self.continuous = _frozen(turns)
        #: which free coordinates are a floating or planar base's slides (their restarts
        #: start where the base is)
        self.base_translations = _frozen(np.array([j.type == "prismatic" and j.name in base
                                                   for j in free], dtype=bool))
        # the pass: per link (tree order, root first) its parent's position in the order,
        # origin (R0, p0), unit axis, kind and the index of its joint value (or -1)
        steps = []
        for link in order[1:]:
            j = parent_joint[link]
            xyz, rpy, axis, _ = checked[j.name]
            steps.append((self._index[j.parent], rpy_matrix(rpy), xyz, axis,
                          j.type == "prismatic", self._value_index.get(j.name, -1)))
        self._steps = tuple(steps)
        self._parent_joint = parent_joint
        self._children = children
        # the default tools: every leaf some joint moves (not a camera fixed to the base),
        # and carries 1 mm or more from its first joint (not a wheel turning about itself:
        # :attr:`tips`, worked out on first use, as it builds each leaf's chain)
        self._chains = {}
        leaves = [link for link in self.links if not children[link] and self._path(link)[1]]
        if tips is None and not leaves:
            raise ValueError("no link is moved by a joint: the robot has no tool to solve")
        self._leaves = tuple(leaves)
        self._tips = None if tips is None else tuple(self._check_tips(tips))

    @property
    def tips(self) -> tuple:
        """The tool links: as given, else every leaf some joint moves and carries 1 mm or
        more from its first joint (a ValueError when none does)."""
        if self._tips is None:
            carried = tuple(link for link in self._leaves if self._carried(link))
            if not carried:
                raise ValueError("no leaf link is carried 1 mm or more by a joint: the robot "
                                 "has no tool to solve (name the tools: tips=[...])")
            self._tips = carried
        return self._tips

    def _carried(self, link):
        """Whether ``link``'s chain is an arm, False when it is too short to be one (a
        wheel, a sensor on its joint's axis); a chain refused for another reason (more
        joints than a chain takes) is kept: that refusal comes where it is used."""
        try:
            self.chain(link)
        except ValueError as exc:
            return not getattr(exc, "reach_short", False)
        return True

    def __repr__(self):
        try:
            tips = list(self.tips)
        except ValueError:          # (no default tool: said where the tools are used)
            tips = []
        return f"Robot({self.name!r}, n={self.n}, links={len(self.links)}, tips={tips!r})"

    @property
    def n(self) -> int:
        return len(self.joint_names)

    # -- checks -------------------------------------------------------------------------
    def _resolve(self, j, by_name, column):
        """(free column, multiplier, offset) of a movable joint: itself, or its mimic
        rule followed to a free joint."""
        mult, off, seen = 1.0, 0.0, []
        while j.mimic is not None:
            seen.append(j.name)
            target, m, o = j.mimic
            where = f"joint {shown(j.name)}"
            m, o = float(m), float(o)
            if not (math.isfinite(m) and abs(m) <= MAX_MULTIPLIER):
                raise ValueError(f"{where}: mimic multiplier must be finite within "
                                 f"+-{MAX_MULTIPLIER:g}, got {m:g}")
            lo, hi, _ = validate.ANGLE_RANGE
            if not (math.isfinite(o) and lo <= o <= hi):
                raise ValueError(f"{where}: mimic offset must be finite within "
                                 f"[{lo:g}, {hi:g}], got {o:g}")
            source = by_name.get(target)
            if source is None or source.type not in MOVABLE:
                raise self._coordinates.mimicked(where, target) or ValueError(
                    f"{where} mimics {shown(target)}, which is not a movable joint of the robot")
            if source.name in seen:
                raise ValueError(f"mimic joints form a cycle: "
                                 f"{' -> '.join(map(shown, seen + [source.name]))}")
            mult, off = mult * m, mult * o + off
            j = source
            if not (abs(mult) <= MAX_MULTIPLIER and lo <= off <= hi):
                raise ValueError(f"joint {shown(seen[0])}: its mimic rules followed to joint "
                                 f"{shown(j.name)} multiply it by {mult:g} and add {off:g}; "
                                 f"each must stay within +-{MAX_MULTIPLIER:g} and [{lo:g}, "
                                 f"{hi:g}]")
        return column[j.name], mult, off

    def _check_tips(self, tips):
        if isinstance(tips, str):
            tips = [tips]
        ordered_tips(tips)
        try:
            tips = list(tips)
        except TypeError:
            raise ValueError(f"tips must be a list of link names, got "
                             f"{type(tips).__name__}") from None
        out = []
        for t in tips:
            if not isinstance(t, str):
                raise ValueError(f"tips must be link names (text), got {type(t).__name__} "
                                 f"{shown(t)}")
            if t not in self._index or t in self._hidden:
                raise ValueError(f"no link named {shown(t)} (a tip); links: "
                                 f"{validate.listed(self.links)}")
            if t in out:
                raise ValueError(f"tip {shown(t)} is named twice")
            if not self._path(t)[1]:
                raise ValueError(f"link {shown(t)} has no movable joint between it and the "
                                 f"root {shown(self.root)}: no joint moves it")
            out.append(t)
        if not out:
            raise ValueError("tips must name at least one link")
        return out

    def path(self, link):
        """The joints from the root to ``link`` (root first, fixed ones included) and the
        movable ones among them."""
        self._wanted([link])
        return self._path(link)

    @property
    def link_order(self):
        """Every link, parents before children (the order of one pass over the tree; a
        moving base's hidden links between its coordinates included)."""
        return self._link_order

    def _path(self, link):
        """The joints from the root to ``link`` (root first), and the movable ones."""
        path = []
        while link != self.root:
            j = self._parent_joint[link]
            path.append(j)
            link = j.parent
        path.reverse()
        return path, [j for j in path if j.type in MOVABLE]

    def _q(self, q):
        if isinstance(q, ad.Dual):
            if q.shape[-1:] != (self.n,):
                raise ValueError(self._shape_message(q.shape))
            return q
        q = self._shaped(q)     # (complex: refused, not cast with a warning)
        lo, hi, _ = validate.JOINT_VALUE_RANGE
        if not np.all((q >= lo) & (q <= hi)):
            raise ValueError(f"joint values must be finite and within +-{hi:g}")
        return q

    def _shape_message(self, shape):
        return (f"joint values must have shape (..., {self.n}), got {shape}; their order "
                f"(robot.joint_names): {self._coordinates.listed(self.joint_names)}")

    def describe_joint(self, name) -> str:
        """Joint ``name`` as a message names it: ``joint 'NAME'``, or what a coordinate of a
        floating, planar or spherical joint is ("the x coordinate of the floating base
        (joint 'base_x')", "the yaw angle of spherical joint 'hip' (joint 'hip_yaw')")."""
        return self._coordinates.describe(name)

    def coordinate_of(self, name):
        """``(joint, type, part)`` when joint ``name`` is a coordinate of a floating, planar
        or spherical joint (``("root", "floating", "x")`` for ``root_x``), else None."""
        return self._coordinates.of.get(name)

    def joint_values(self, q):
        """Every movable joint's value (..., M), mimic joints included (arrays and Duals),
        in the order of :attr:`movable_names`."""
        q = self._q(q)
        v = q[..., self._src]
        if self._has_mimic:
            v = v * self._mult + self._off
        return v

    @property
    def movable_names(self):
        """The movable joints (free and mimic) in tree order."""
        return self._movable

    # -- kinematics ---------------------------------------------------------------------
    def poses(self, q, links=None):
        """Link frames as rotations and positions: ``{link: (R (..., 3, 3), p (..., 3))}``
        for ``links`` (default: all), from one pass over the tree; arrays or Duals."""
        q = self._q(q)
        want = self._wanted(links)
        if not want:
            return {}
        if _plain_dual(q) and fits(self, len(want)):    # the chain rule on one-hot seeds
            return seeded_poses(self, q, want)
        v = self.joint_values(q)
        if not isinstance(v, ad.Dual):
            return plain_poses(self, np.asarray(v, dtype=float), want)
        T = self._motions(v, max(self._index[link] for link in want))
        batch = np.shape(ad.value_of(q))[:-1]
        out = {}
        for link in want:
            m = T[self._index[link]]
            if m is None:
                R, p = np.eye(3), np.zeros(3)
            else:
                R, p = m.duals()
            if isinstance(R, ad.Dual) or isinstance(p, ad.Dual):
                out[link] = (R, p)
            else:
                out[link] = (np.broadcast_to(R, batch + (3, 3)), np.broadcast_to(p, batch + (3,)))
        return out

    def link_positions(self, q):
        """Every link's origin (..., L, 3) in the order of :attr:`links` (arrays or a Dual):
        the points obstacles and self-collision see, from one pass."""
        q = self._q(q)
        if not isinstance(q, ad.Dual) or (_plain_dual(q) and fits(self, len(self.links))):
            return positions(self, q, self.links)
        poses = self.poses(q)
        batch = np.shape(ad.value_of(q))[:-1]
        return ad.stack([ad.broadcast_to(poses[link][1], batch + (3,)) for link in self.links],
                        axis=-2)

    def _motions(self, v, last):
        """The pass over the first ``last`` steps for movable joint values v (..., M), arrays
        or Duals: each link's :class:`~armsim.ad.twist.Motion` by its index (None: the
        root's identity)."""
        T = [None] * (last + 1)
        for i, (parent, R0, p0, axis, prismatic, vi) in enumerate(self._steps[:last], start=1):
            local = twist.constant(R0, p0)
            if vi >= 0:
                move = twist.slide if prismatic else twist.turn
                local = twist.compose(local, move(v[..., vi], axis))
            T[i] = local if T[parent] is None else twist.compose(T[parent], local)
        return T

    def frames(self, q, links=None):
        """``{link: its pose (4, 4) or (B, 4, 4)}`` in the root's frame for joint values q
        (n,) or (B, n), ordered as ``q`` is :attr:`joint_names`; every link when ``links``
        is None (numpy)."""
        q = self._q(q)
        if isinstance(q, ad.Dual):
            raise ValueError("frames() takes numbers; use poses() for Duals")
        want = self._wanted(links)
        F = plain_frames(self, np.asarray(self.joint_values(q), dtype=float),
                         max((self._index[link] for link in want), default=0))
        return {link: F[..., self._index[link], :, :] for link in want}

    def _wanted(self, links):
        if links is None:
            return list(self.links)
        try:
            links = [links] if isinstance(links, str) else list(links)    # (once: an iterator)
        except TypeError:
            raise ValueError(f"links must be a link name or a list of them, got "
                             f"{type(links).__name__}") from None
        for link in links:
            if not isinstance(link, str) or link not in self._index or link in self._hidden:
                raise ValueError(f"no link named {shown(link)}; links: "
                                 f"{validate.listed(self.links)}")
        return links

    @property
    def segments(self):
        """The links as segments between origins: ``(i, j)`` index pairs into
        :attr:`links`, from each link's nearest listed ancestor to it (obstacles and
        self-collision see a robot as these segments)."""
        index = {link: i for i, link in enumerate(self.links)}
        out = []
        for link in self.links[1:]:
            up = self._parent_joint[link].parent
            while up not in index:
                up = self._parent_joint[up].parent
            out.append((index[up], index[link]))
        return out

    def joint_axes(self, q):
        """Every movable joint's unit axis z (M, 3) and origin o (M, 3) in the root's frame
        at ``q`` (n,), in the order of :attr:`movable_names` (a moving base's coordinates
        included): one pass over the movable joints, each with the arithmetic of a chain's
        float pass (:meth:`SpatialChain.joint_axes` of :meth:`chain` to any link below it
        gives the same numbers), at a cost linear in the joints."""
        up, T0, TKA, axes, slide = self._joint_pass()
        q = np.asarray(self._q(q), dtype=float)
        if q.ndim != 1:
            raise ValueError(f"joint values must have shape ({self.n},), got {q.shape}")
        v = q[self._src] * self._mult + self._off
        local = np.sin(v)[:, None, None] * TKA[0]
        local += (1.0 - np.cos(v))[:, None, None] * TKA[1]
        if slide.any():
            local += v[:, None, None] * TKA[2]
        local += T0
        frames = np.empty_like(local)
        for k, u in enumerate(up):
            frames[k] = local[k] if u < 0 else frames[u] @ local[k]
        R = frames[:, :3, :3]
        z = R[..., 0] * axes[:, None, 0]
        z += R[..., 1] * axes[:, None, 1]
        z += R[..., 2] * axes[:, None, 2]
        return z, frames[:, :3, 3] - np.where(slide[:, None], v[:, None] * z, 0)

    def _joint_pass(self):
        """The constants of :meth:`joint_axes` (built once): per movable joint the index of
        the movable joint above it (-1: none), the float pass's constants of its origin with
        the fixed joints above it folded in as :meth:`chain` folds them, its unit axis, and
        whether it slides."""
        if getattr(self, "_pass", None) is None:
            pending, up = {self.root: np.eye(4)}, {self.root: -1}
            last, xyz, rpy, axes, slide = [], [], [], [], []
            for link, (_, _, _, axis, prismatic, vi) in zip(self._link_order[1:], self._steps):
                j = self._parent_joint[link]
                T = pending[j.parent] @ _transform(j)
                if vi < 0:
                    pending[link], up[link] = T, up[j.parent]
                    continue
                last.append(up[j.parent])
                pending[link], up[link] = np.eye(4), len(last) - 1
                xyz.append(T[:3, 3].copy())
                rpy.append(matrix_rpy(T[:3, :3]))
                axes.append(axis)
                slide.append(prismatic)
            del pending
            axes = np.array(axes, dtype=float).reshape(-1, 3)
            T0, TKA = batch.local_constants(rpy_matrix(np.array(rpy, dtype=float)),
                                            np.array(xyz, dtype=float), axes, slide)
            self._pass = (tuple(last), T0, TKA, axes, np.array(slide, dtype=bool))
        return self._pass

    # -- chains -------------------------------------------------------------------------
    def chain(self, link):
        """The serial chain from the root to ``link`` and its map from ``q``:
        ``(chain, columns, multipliers, offsets)`` with the chain's joint values
        ``q[..., columns] * multipliers + offsets`` (a mimic joint is a joint of the chain
        driven by its source's column).  Fixed joints fold into the next origin as in
        :func:`armsim.load_urdf`; built once per link."""
        if link not in self._chains:
            self._wanted([link])
            path, movable = self._path(link)
            if not movable:
                raise ValueError(f"link {shown(link)} has no movable joint between it and "
                                 f"the root {shown(self.root)}")
            joints, pending = [], np.eye(4)
            cols, mults, offs = [], [], []
            for j in path:
                T = pending @ _transform(j)
                if j.type not in MOVABLE:
                    pending = T
                    continue
                pending = np.eye(4)
                vi = self._value_index[j.name]
                lo, hi, kind = j.lower, j.upper, j.type
                if j.mimic is not None:   # its range is its source's under the mimic rule
                    lo, hi = _mimic_range(self.limits[self._src[vi]], self._mult[vi],
                                          self._off[vi], kind == "prismatic")
                    if not (math.isfinite(lo) and math.isfinite(hi)):
                        kind = "continuous"       # a turn driven by a continuous joint
                joints.append(Joint(j.name, kind, tuple(T[:3, 3]), tuple(matrix_rpy(T[:3, :3])),
                                    tuple(j.axis), lo, hi))
                cols.append(int(self._src[vi]))
                mults.append(float(self._mult[vi]))
                offs.append(float(self._off[vi]))
            chain = self._chain_of(joints, pending, link)
            self._chains[link] = (chain, np.array(cols, dtype=np.intp), np.array(mults),
                                  np.array(offs))
        return self._chains[link]

    def _chain_of(self, joints, pending, link):
        """The chain of ``joints``; its refusal says which of them are the coordinates of
        a floating, planar or spherical joint (or an unbounded slide), which the file did
        not write as joints, and how far their slides reach."""
        names = self._coordinates
        try:
            return SpatialChain(joints, pending[:3, 3], matrix_rpy(pending[:3, :3]),
                                base=self.root, tip=link, name=f"the arm from "
                                f"{names.start(self.root)} to link {shown(link)}")
        except ValueError as exc:
            ours = [j.name for j in joints if j.name in names.of]
            slides = [j for j in joints if j.name in self.base_joints and j.type == "prismatic"]
            if getattr(exc, "reach_short", None) is False and slides:
                travel = sum(max(abs(j.lower), abs(j.upper)) for j in slides)
                extra = (f"{travel:g} m of it is the travel of "
                         f"{names.listed([j.name for j in slides])}")
            elif len(joints) > validate.MAX_CHAIN_JOINTS and ours:
                extra = f"{len(ours)} of them are {names.listed(ours)}"
            else:
                raise
            err = ValueError(f"{exc}; {extra}")
            err.reach_short = getattr(exc, "reach_short", False)
            raise err from None

    @property
    def reach(self) -> float:
        """The largest reach of a tip's chain (a task-space length for tolerances)."""
        return max(self.chain(t)[0].reach for t in self.tips)

    @property
    def arm_reach(self) -> float:
        """:attr:`reach` without a moving base's travel (its slides' largest extension,
        100 m each): the robot's own size, what a view frames."""
        slides = {n for n, b in zip(self.joint_names, self.base_translations) if b}
        out = 0.0
        for t in self.tips:
            chain = self.chain(t)[0]
            travel = sum(max(abs(j.lower), abs(j.upper)) for j in chain.joints
                         if j.name in slides)
            out = max(out, chain.reach - travel)
        return out


def _as_joint(j):
    """A :class:`TreeJoint` as the chain's :class:`Joint` (for :func:`validate.joint`)."""
    kind = "continuous" if j.type == "fixed" else j.type
    if j.mimic is not None and not (math.isfinite(j.lower) or math.isfinite(j.upper)):
        kind = "continuous"     # a mimic with no limits of its own: none to check
    return Joint(j.name, kind, j.xyz, j.rpy, j.axis if j.type != "fixed" else (0.0, 0.0, 1.0),
                 j.lower, j.upper)


def _within_mimic(name, source, own, limits, mult, off):
    """The source's ``limits`` narrowed to the values whose mimic ``value * mult + off``
    stays within the mimic's ``own`` limits (a mimic with no limits leaves them as they are;
    a continuous source gets limits, and no longer turns); a ValueError naming both when
    none do."""
    lo, hi = (float(v) for v in own)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return limits
    if mult == 0.0:
        if lo <= off <= hi:
            return limits
        raise ValueError(f"joint {shown(name)}: its mimic rule holds it at {off:g}, outside "
                         f"its limits [{lo:g}, {hi:g}]")
    a, b = sorted(((lo - off) / mult, (hi - off) / mult))
    new = np.array([max(limits[0], a), min(limits[1], b)]) + 0.0     # (-0.0: 0.0)
    if new[0] > new[1]:
        raise ValueError(f"joint {shown(name)}: its limits [{lo:g}, {hi:g}] allow no value of "
                         f"joint {shown(source)} (it mimics it) within [{limits[0]:g}, "
                         f"{limits[1]:g}]")
    return new


def _mimic_range(limits, mult, off, slide):
    """A mimic joint's range from its source's ``limits`` under ``value * mult + off``: a
    multiplier of 0 holds it at ``off``; a slide driven by a continuous joint moves over
    the turn its source is wrapped to, [-pi, pi) (a turn: unbounded, -inf, inf)."""
    s_lo, s_hi = limits
    if mult == 0.0:
        return off, off
    if slide and not (math.isfinite(s_lo) and math.isfinite(s_hi)):
        s_lo, s_hi = -math.pi, math.pi
    if not (math.isfinite(s_lo) and math.isfinite(s_hi)):
        return -math.inf, math.inf
    ends = (mult * s_lo + off, mult * s_hi + off)
    return min(ends), max(ends)


def _transform(j):
    T = np.eye(4)
    T[:3, :3] = rpy_matrix(np.asarray(j.rpy, dtype=float))
    T[:3, 3] = j.xyz
    return T


def _frozen(a):
    a.setflags(write=False)
    return a
