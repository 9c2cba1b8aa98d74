"""A tree's joints that are several one-axis joints in a row, and how messages name them.

A ``floating`` joint is six joints in a row (``NAME_x``, ``NAME_y``, ``NAME_z``, then
``NAME_yaw``, ``NAME_pitch``, ``NAME_roll``), a ``planar`` one three (``NAME_x``,
``NAME_y``, ``NAME_yaw``) and a ``spherical`` one (pybullet's ball joint) three turns
(``NAME_yaw``, ``NAME_pitch``, ``NAME_roll``), with hidden links between them
(:func:`split`).  Those names are armsim's, not the file's (and ``base_x`` ... are those of
the base :func:`armsim.load_robot`'s ``base_joint=`` adds): a message says what such a
joint is (:class:`Coordinates`: "the x coordinate of floating joint 'root' (joint
'root_x')", "... of the floating base (joint 'base_x')")."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from armsim.kinematics import validate
from armsim.kinematics.validate import shown

__all__ = ["TreeJoint", "BASE_JOINTS", "BASE_TRAVEL", "SPLIT", "split", "Coordinates"]

BASE_JOINTS = ("floating", "planar")
#: the joint types that are several one-axis joints in a row
SPLIT = BASE_JOINTS + ("spherical",)
#: [m] each translation of a floating or planar base is within +-this (a limit the solver
#: clips to: a mobile base or a humanoid moves metres, not kilometres)
BASE_TRAVEL = 100.0
#: hidden links between a base joint's coordinates: "<child>\x1f1", "<child>\x1f2" ... (a
#: character XML 1.0 does not allow, so no link of a URDF file has it)
HIDDEN = "\x1f"
#: each split joint's coordinates, named after it (``NAME_x``), and what a message calls
#: each
PARTS = {"floating": ("x", "y", "z", "yaw", "pitch", "roll"), "planar": ("x", "y", "yaw"),
         "spherical": ("yaw", "pitch", "roll")}
_AXES = {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1), "yaw": (0, 0, 1), "pitch": (0, 1, 0),
         "roll": (1, 0, 0)}
WORDS = {"x": "x coordinate", "y": "y coordinate", "z": "z coordinate", "yaw": "yaw angle",
         "pitch": "pitch angle", "roll": "roll angle"}


@dataclass(frozen=True)
class TreeJoint:
    """One joint of a tree: ``type`` (fixed, revolute, continuous, prismatic, floating,
    planar, spherical), the ``parent`` and ``child`` links, its origin ``xyz`` [m], ``rpy``
    [rad] in the parent's frame, its ``axis``, its limits, and ``mimic``: None or ``(joint,
    multiplier, offset)``."""

    name: str
    type: str
    parent: str
    child: str
    xyz: tuple = (0.0, 0.0, 0.0)
    rpy: tuple = (0.0, 0.0, 0.0)
    axis: tuple = (1.0, 0.0, 0.0)
    lower: float = -math.pi
    upper: float = math.pi
    mimic: tuple | None = None


def split(j):
    """A floating, planar or spherical joint ``j`` as its one-axis joints in a row (hidden
    links between them), its origin checked under its own name first."""
    where = f"joint {shown(j.name)}"
    validate.vector(j.xyz, "length", f"{where}: xyz")
    validate.vector(j.rpy, "angle", f"{where}: rpy")
    axes = dict(_AXES)      # a turn about the frame's z, y, x: Rz Ry Rx like a URDF rpy
    if j.type == "planar":  # two slides in the plane normal to the axis, the turn about it
        a = validate.vector(j.axis, "axis", f"{where}: axis")
        size = float(np.linalg.norm(a))
        if not size >= validate.AXIS_MIN_NORM:
            raise ValueError(f"{where}: a planar joint's axis (the normal of its plane) must "
                             f"not be zero")
        a = a / size        # x: the parent's x (else y) in the plane; y = axis x x
        ref = np.array((1.0, 0.0, 0.0) if abs(a[0]) < 0.9 else (0.0, 1.0, 0.0))
        u = ref - (ref @ a) * a
        u = u / np.linalg.norm(u)
        axes.update(x=tuple(u), y=tuple(np.cross(a, u)), yaw=tuple(a))
    parts = [(p, "prismatic" if p in ("x", "y", "z") else "continuous", axes[p])
             for p in PARTS[j.type]]
    if j.type == "spherical":       # (its <limit>, pybullet's cone, is not read)
        return _in_a_row(j, parts, -math.pi, math.pi)
    return _in_a_row(j, parts, -BASE_TRAVEL, BASE_TRAVEL)


def _in_a_row(j, parts, lower, upper):
    """``j`` as one-axis joints in a row, one a part ``(suffix, kind, axis)``: the first at
    ``j``'s origin, hidden links between them, the last's child ``j``'s (each limited to
    ``lower``, ``upper``: a slide's travel; a continuous joint's are not read)."""
    out, parent = [], j.parent
    for i, (suffix, kind, axis) in enumerate(parts):
        child = j.child if i == len(parts) - 1 else f"{j.child}{HIDDEN}{i + 1}"
        origin = (j.xyz, j.rpy) if i == 0 else ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))
        out.append(TreeJoint(f"{j.name}_{suffix}", kind, parent, child, origin[0], origin[1],
                             axis, lower, upper))
        parent = child
    return out


class Coordinates:
    """The one-axis joints a robot's floating, planar and spherical joints became, and
    their words in messages.  ``joints``: the joints as given; ``added``: the name of the
    base joint :func:`armsim.load_robot`'s ``base_joint=`` added (None: none)."""

    def __init__(self, joints, added=None):
        self.added, self._below = added, None
        self.of = {}            # a coordinate's name -> (its joint's name, type, part)
        self.split = {}         # a split joint's name -> its coordinates' names
        names = [j.name for j in joints]
        counts = Counter(names)
        for j in joints:
            if j.name == added:
                self._below = (j.parent, f"the {j.type} base under link {shown(j.child)}")
            if j.type in SPLIT:
                if counts[j.name] > 1:     # (said before its coordinates clash)
                    raise ValueError(f"two joints are named {shown(j.name)}")
                coords = [f"{j.name}_{part}" for part in PARTS[j.type]]
                self.split[j.name] = coords
                for c, part in zip(coords, PARTS[j.type]):
                    self.of[c] = (j.name, j.type, part)
        for name in names:
            if name in self.of:
                raise ValueError(f"joint {shown(name)} has the name armsim gives "
                                 f"{self._what(name)}: rename one of the two")

    def owner(self, joint, kind):
        """What a message calls a split joint: "the floating base" (base_joint='s), else
        "floating joint 'NAME'"."""
        return f"the {kind} base" if joint == self.added else f"{kind} joint {shown(joint)}"

    def start(self, root) -> str:
        """What a message calls the root link: ``link 'NAME'``, or "the floating base under
        link 'NAME'" when the root is the link base_joint= added below the file's."""
        return self._below[1] if self._below and self._below[0] == root else f"link {shown(root)}"

    def _what(self, name):
        joint, kind, part = self.of[name]
        return f"the {WORDS[part]} of {self.owner(joint, kind)}"

    def describe(self, name) -> str:
        """``joint 'NAME'``, or for a coordinate of a split joint what it is: "the x
        coordinate of floating joint 'root' (joint 'root_x')"."""
        if name in self.of:
            return f"{self._what(name)} (joint {shown(name)})"
        return f"joint {shown(name)}"

    def mimicked(self, where, target):
        """A ValueError for joint ``where`` mimicking ``target``, a split joint (None when
        it is not one): a mimic follows one coordinate, named."""
        coords = self.split.get(target)
        if coords is None or target == self.added:
            return None
        kind = self.of[coords[0]][1]
        return ValueError(f"{where} mimics {shown(target)}, a {kind} joint of {len(coords)} "
                          f"coordinates: a mimic follows one of them "
                          f"({validate.listed(coords)})")

    def listed(self, names, count=6) -> str:
        """``names`` (a robot's q order) for a message, the coordinates of one split joint
        as one entry: "base_x ... base_roll (the x, y, z, yaw, pitch and roll of the
        floating base), j1, j2"; the first ``count`` entries."""
        entries, i = [], 0
        while i < len(names):
            got = self.of.get(names[i])
            k = i + 1
            while got and k < len(names) and self.of.get(names[k], (None,))[0] == got[0]:
                k += 1
            if got and k - i > 1:
                parts = [self.of[n][2] for n in names[i:k]]
                entries.append(f"{validate.listed([names[i]])} ... "
                               f"{validate.listed([names[k - 1]])} (the "
                               f"{', '.join(parts[:-1])} and {parts[-1]} of "
                               f"{self.owner(got[0], got[1])})")
            else:
                entries.extend(validate.listed([n]) for n in names[i:k])
            i = k
        return ", ".join(entries[:count]) + (", ..." if len(entries) > count else "")
