"""The tables of an IK scene: ``[arm]``, ``[target]`` (one kind each), ``[view]``,
``[solver]``, ``[compare]``, ``[render]``, ``[output]``.

An ``[arm]`` is planar (``lengths``) or spatial (``robot``, ``urdf`` or ``dh``); the
target kinds take points of two numbers for the first, three (and an orientation,
weights) for the second, checked across tables by :func:`check_spatial`."""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from armsim import ranges as R
from armsim.files import short_name
from armsim.ik.tracking import MAX_TRAIL
from armsim.kinematics.validate import MAX_CHAIN_JOINTS
from armsim.scene.robot_arm import TREE, check_degrees, check_tree_arm
from armsim.scene.path_bounds import check_path_bound
from armsim.scene.spatial_keys import (DHRow, _QUATERNION, _RPY, _Spatial, _quaternion_key,
                                       _rpy_key, _unit_quaternion, _weights_key)
from armsim.scene.schema import (BIG, IK_KIND, MAX_FRAMES, SECTIONS, SMALL, TARGET_KINDS, THEMES,
                                 Boolean, Choice, Color, Integer, Interval, ListOf, Number,
                                 NumberOrList, Point, Registered, SceneError, Section, Size, Table,
                                 Text, describe, key, missing, section, shorten,
                                 target_keys, target_kind)

__all__ = ["ArmSection", "TargetSection", "SolverSection", "CompareSection", "RenderSection",
           "OutputSection", "ColorsTable", "ViewSection", "SPATIAL_KINDS", "check_spatial"]


def _angle_pair(table, where, rad, deg, spec):
    """``deg`` (degrees) is an alias of ``rad`` (radians); both is an error."""
    if deg in table:
        if rad in table:
            where.child(deg).fail(f"give {where.child(rad).path} [rad] or "
                                  f"{where.child(deg).path} [deg], not both")
        values = spec.parse(table.pop(deg), where.child(deg))
        table[rad] = _to_radians(values)
        table.setdefault("__keys__", {})[rad] = deg
    return table


def _to_radians(values):
    if isinstance(values, tuple):
        return [_to_radians(v) for v in values]
    return math.radians(values)


def _robots():
    from armsim.kinematics.robots import NAMES, TREES
    return NAMES + TREES


@section("arm", required=True, kinds=(IK_KIND,))
@dataclass(frozen=True)
class ArmSection(Section):
    """The arm: a planar serial chain (`lengths`), or a spatial one (`robot`, `urdf` or `dh`)."""

    lengths: tuple | None = key(ListOf(Number(ge=SMALL, le=BIG, unit="m"), 1, 1000), None,
                                "planar: segment lengths, base first (give this, or one of "
                                "`robot`, `urdf`, `dh` for a spatial arm)")
    base: tuple = key(Point(), (0.0, 0.0), "planar: position of the base")
    robot: str | None = key(Choice("robot", _robots, "armsim.robots.NAMES + TREES"), None,
                            "spatial: a shipped robot model")
    urdf: str | None = key(Text(), None, "spatial: a URDF file, relative to the scene file")
    base_link: str | None = key(Text(), None, "spatial (`robot` or `urdf`): the first link "
                                "(default: the root of the link tree)")
    tip_link: str | None = key(Text(), None, "spatial (`robot` or `urdf`): the tool link "
                               "(default: the end of the longest chain)")
    tips: tuple | None = key(ListOf(Text(), 1, 64, what="an array of link names"), None, "a whole robot (`robot` or `urdf`, "
                             "with `[[tool]]`): its tool links (default: every leaf carried 1 mm "
                             "or more by a joint)")
    dh: tuple | None = key(ListOf(DHRow(), 1, MAX_CHAIN_JOINTS),
                           None, "spatial: a Denavit-Hartenberg table, one row "
                           f"[a, alpha, d, theta offset] per joint, base first (at most "
                           f"{MAX_CHAIN_JOINTS})")
    dh_convention: str | None = key(Choice("DH convention", ("standard", "modified")), None,
                                    "with `dh`: 'standard' (the default) or 'modified' (Craig's)")
    joint_types: tuple | None = key(ListOf(Choice("joint type", ("revolute", "continuous",
                                                                 "prismatic")), 1, 1000),
                                    None, "with `dh`: each joint's type (default revolute); a "
                                    "prismatic joint's value is added to d")
    angles: tuple | None = key(ListOf(Number(ge=-1e4, le=1e4, unit="rad"), 1, 1000), None,
                               "initial joint values, one per joint: planar angles relative to "
                               "the previous segment (default 0.3 rad each), spatial joint "
                               "values [rad, or m for a prismatic joint] (default the middle "
                               "of the joint ranges), clipped to the limits; "
                               "or `angles_deg` in degrees")
    limits: tuple | None = key(ListOf(Interval(1e4, "rad"), 1, 1000), None,
                               "joint limits, one [lower, upper] per joint (planar default: "
                               "none; `dh` default [-pi, pi]; a robot or URDF has its own); "
                               "or `limits_deg` in degrees")
    extra_keys: ClassVar[tuple] = ("angles_deg", "limits_deg")
    alias_specs: ClassVar[dict] = {
        "angles_deg": ListOf(Number(ge=-1e5, le=1e5, unit="deg"), 1, 1000),
        "limits_deg": ListOf(Interval(1e5, "deg"), 1, 1000)}

    @classmethod
    def normalize(cls, table, where):
        table = _angle_pair(table, where, "angles", "angles_deg", cls.alias_specs["angles_deg"])
        table = _angle_pair(table, where, "limits", "limits_deg", cls.alias_specs["limits_deg"])
        return table

    @classmethod
    def from_table(cls, table, where):
        obj = super().from_table(table, where)
        if obj.spatial and "base" in table:
            where.child("base").fail("a spatial arm has no base position (its base is the "
                                     "origin of the model); give base_link to choose a link")
        return obj

    def to_table(self):
        out = super().to_table()
        if self.spatial:
            out.pop("base", None)         # planar only (its default is always set)
        return out

    @property
    def spatial(self) -> bool:
        """True for a spatial arm (`robot`, `urdf` or `dh`)."""
        return self.lengths is None

    @property
    def chain(self):
        """The spatial chain (built and checked when the table was read); None if planar."""
        return self.__dict__.get("_chain")

    @property
    def tree(self):
        """A whole robot's :class:`~armsim.kinematics.tree.Robot`; None for a chain."""
        return self.__dict__.get("_tree")

    def check(self, where, keys):
        given = [k for k in ("lengths", "robot", "urdf", "dh") if getattr(self, k) is not None]
        if not given:
            where.child("lengths").fail("missing; give arm.lengths (a planar arm) or one of "
                                        "arm.robot, arm.urdf, arm.dh (a spatial arm)")
        if len(given) > 1:
            where.child(given[1]).fail(f"give one of arm.lengths, arm.robot, arm.urdf, arm.dh, "
                                       f"got arm.{given[0]} and arm.{given[1]}")
        kind = given[0]
        if self.tips is not None or TREE.get():     # a whole robot: armsim.scene.tree
            return check_tree_arm(self, where, keys, kind)
        for name, owners in (("base_link", ("robot", "urdf")), ("tip_link", ("robot", "urdf")),
                             ("dh_convention", ("dh",)), ("joint_types", ("dh",)),
                             ("limits", ("lengths", "dh"))):
            if getattr(self, name) is not None and kind not in owners:
                need = " or ".join(f"arm.{o}" for o in owners)
                where.child(keys[name]).fail(f"only an arm with {need} has this key"
                                             + (" (the model has its own limits)"
                                                if name == "limits" else ""))
        if kind == "lengths":
            n = len(self.lengths)
        else:
            chain = self._build(where, kind)
            object.__setattr__(self, "_chain", chain)
            n = chain.n
        what = "segment" if kind == "lengths" else "joint"
        for name in ("angles", "limits", "joint_types"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                where.child(keys.get(name, name)).fail(
                    f"must have {n} item(s), one per {what}, got {len(value)}")
        if kind != "lengths":
            check_degrees(self.chain, where, keys, self.limits)
        limits = self.limits if kind == "lengths" else [
            (float(lo), float(hi)) for lo, hi in self.chain.limits]
        if self.angles is not None and limits is not None:
            deg = keys["angles"].endswith("_deg")
            conv = (lambda x: round(math.degrees(x), 9)) if deg else (lambda x: x)
            types = ("revolute",) * n if kind == "lengths" else self.chain.types
            for i, (a, (lo, hi)) in enumerate(zip(self.angles, limits)):
                unit = "deg" if deg else "m" if types[i] == "prismatic" else "rad"
                if not lo - 1e-12 <= a <= hi + 1e-12:
                    bound = (f"{where.child(keys['limits']).item(i).path} = "
                             if self.limits is not None else "the joint's limits ")
                    where.child(keys["angles"]).item(i).fail(
                        f"must be within {bound}"
                        f"[{conv(lo)!r}, {conv(hi)!r}] {unit}, got {conv(a)!r} {unit}")

    def _build(self, where, kind):
        """The spatial chain of `robot`, `urdf` or `dh`, or a SceneError at that key."""
        from pathlib import Path

        from armsim.kinematics import robots
        from armsim.kinematics.spatial import SpatialChain
        from armsim.kinematics.urdf import load_urdf
        try:
            if kind == "robot":
                return robots.load(self.robot, base=self.base_link, tip=self.tip_link)
            if kind == "urdf":
                folder = Path.cwd() if where.source.startswith("<") else \
                    Path(where.source).resolve().parent
                path = Path(self.urdf).expanduser()
                path = path if path.is_absolute() else folder / path
                if not (path.exists() or path.is_symlink()):   # a pipe or device: load_urdf names it
                    where.child("urdf").fail(f"no such file '{short_name(path)}'")
                return load_urdf(path, base=self.base_link, tip=self.tip_link)
            n = len(self.dh)
            limits = None if self.limits is None else list(self.limits)
            types = None if self.joint_types is None else list(self.joint_types)
            if types is not None and len(types) != n:
                where.child("joint_types").fail(f"must have {n} item(s), one per joint, got "
                                                f"{len(types)}")
            if limits is not None and len(limits) != n:
                where.child("limits").fail(f"must have {n} item(s), one per joint, got "
                                           f"{len(limits)}")
            return SpatialChain.from_dh(self.dh, self.dh_convention or "standard", types,
                                        limits)
        except (ValueError, OSError) as exc:
            if isinstance(exc, SceneError):
                raise
            text = str(exc).replace("\n", " ")
            if getattr(exc, "remedy", None):    # the loader's advice, as a scene follows it
                text = text.replace(exc.remedy, "(in a scene: arm.tips = [its tool links], "
                                                "with a [[tool]] table for each)")
            at = ("tip_link" if "(the tip)" in text else "base_link" if "(the base)" in text
                  else kind)
            where.child(at).fail(shorten(text, 300))


@dataclass(frozen=True)
class TargetSection(Section):
    """Where the target is at each frame; ``kind`` selects the keys that follow."""

    kind: ClassVar[str] = ""

    @classmethod
    def from_table(cls, table, where):
        if cls is not TargetSection:
            return super().from_table(table, where)
        if not isinstance(table, dict):
            where.fail(f"expected a table, got {describe(table)}")
        spec = Choice("target kind", lambda: tuple(TARGET_KINDS))
        if "kind" not in table:
            missing(table, where, "kind", spec.expected, target_keys())
        kind = spec.parse(table["kind"], where.child("kind"))
        rest = {k: v for k, v in table.items() if k != "kind"}
        return TARGET_KINDS[kind].from_table(rest, where)

    def to_table(self):
        return {"kind": self.kind, **super().to_table()}

    @classmethod
    def json_schema(cls):
        if cls is not TargetSection:
            out = super().json_schema()
            out["properties"] = {"kind": {"const": cls.kind}, **out["properties"]}
            out["required"] = ["kind"] + out.get("required", [])
            return out
        return {"description": "Where the target is at each frame; `kind` selects the keys "
                               "that follow.",
                "type": "object", "required": ["kind"],
                "properties": {"kind": {"enum": list(TARGET_KINDS)}},
                "oneOf": [TARGET_KINDS[k].json_schema() for k in TARGET_KINDS]}

    def make(self, chain, seed):
        """The :class:`armsim.scene.targets.TargetSource` for an arm ``chain``."""
        raise NotImplementedError


SECTIONS["target"] = Registered(TargetSection, True, False,
                                "Where the target is at each frame.", (IK_KIND,))
TargetSection.section_name = "target"

_PERIOD = Number(gt=0, le=MAX_FRAMES, unit="frames")
_PHASE = Number(ge=-1e4, le=1e4, unit="rad")
_POSITION = ListOf(Number(ge=-BIG, le=BIG, unit="m"), 2, 3,
                   what="[x, y], or [x, y, z] for a spatial arm [m]")
_SPATIAL_ONLY = ("quaternion", "rpy", "quaternions", "weights", "normal")


@target_kind("fixed")
@dataclass(frozen=True)
class FixedTarget(_Spatial, TargetSection):
    """A target that never moves (for a spatial arm a position, or a pose with `quaternion` or `rpy`)."""

    point: tuple = key(_POSITION, doc="the target")
    quaternion: tuple | None = _quaternion_key()
    rpy: tuple | None = _rpy_key()
    weights: tuple | None = _weights_key()

    def positions(self):
        return (("point", None, self.point),)

    def check(self, where, keys):
        self.check_orientation(where)

    def make(self, chain, seed):
        from armsim.scene.targets import Fixed
        return self.oriented(Fixed(self.point))


@target_kind("mouse")
@dataclass(frozen=True)
class MouseTarget(_Spatial, TargetSection):
    """Interactive: the user drags the target in the window.  A GIF export keeps it at `start`."""

    start: tuple | None = key(_POSITION, None, "where the target starts (default: the tip at the initial angles)")
    quaternion: tuple | None = _quaternion_key()
    rpy: tuple | None = _rpy_key()
    weights: tuple | None = _weights_key()

    def positions(self):
        return () if self.start is None else (("start", None, self.start),)

    def check(self, where, keys):
        self.check_orientation(where)

    def make(self, chain, seed):
        from armsim.scene.targets import Mouse
        return self.oriented(Mouse(self.start))


@target_kind("waypoints")
@dataclass(frozen=True)
class WaypointsTarget(_Spatial, TargetSection):
    """Points visited in turn, each from its start frame on (give `hold` or `times`); for a spatial arm each may have an orientation."""

    points: tuple = key(ListOf(_POSITION, 1, 10000), doc="the waypoints, in order")
    hold: Any = key(NumberOrList(Number(gt=0, le=MAX_FRAMES, unit="frames")), None,
                    "frames each waypoint is held: one number for all, or one per waypoint")
    times: tuple | None = key(ListOf(Number(ge=0, le=MAX_FRAMES, unit="frames"), 1, 10000), None,
                              "start frame of each waypoint, strictly increasing (instead of `hold`)")
    loop: bool = key(Boolean(), False, "with `hold`: start again after the last waypoint")
    tolerance: float | None = key(Number(gt=0, le=BIG, unit="m"), None,
                                  "a waypoint counts as reached when the tip comes this close while "
                                  "it is shown (default 0.02 x the arm's reach)")
    quaternions: tuple | None = key(ListOf(_QUATERNION, 1, 10000), None,
                                    "spatial: one orientation per waypoint, unit quaternions "
                                    "[w, x, y, z] (or `rpy`)")
    rpy: tuple | None = key(ListOf(_RPY, 1, 10000), None,
                            "spatial: one orientation per waypoint, [roll, pitch, yaw] [rad] "
                            "(or `quaternions`)")
    weights: tuple | None = _weights_key()

    def has_orientation(self):
        return self.quaternions is not None or self.rpy is not None

    def positions(self):
        return tuple(("points", i, p) for i, p in enumerate(self.points))

    def rotations(self):
        from armsim.kinematics.spatial import quaternion_matrix, rpy_matrix
        import numpy as np
        if self.quaternions is not None:
            return np.array([quaternion_matrix(q) for q in self.quaternions])
        if self.rpy is not None:
            return rpy_matrix(np.array(self.rpy))
        return None

    def check(self, where, keys):
        n = len(self.points)
        t = where.path              # "target", or a whole robot's "tool[k]"
        if (self.hold is None) == (self.times is None):
            where.child("hold").fail(f"give exactly one of {t}.hold [frames] and {t}.times [frames]")
        if isinstance(self.hold, tuple) and len(self.hold) != n:
            where.child("hold").fail(f"must have {n} item(s), one per waypoint, got {len(self.hold)}")
        if self.hold is not None and (not isinstance(self.hold, tuple) or len(self.hold) == n):
            # each hold must move the time on (with a loop, the last one too), not be lost
            # to rounding beside the frames before it
            holds = self.hold if isinstance(self.hold, tuple) else (self.hold,) * n
            ends = list(itertools.accumulate(float(h) for h in holds))   # (as np.cumsum)
            for k in range(1, n if self.loop else n - 1):
                if ends[k] <= ends[k - 1]:
                    at = where.child("hold")
                    (at.item(k) if isinstance(self.hold, tuple) else at).fail(
                        f"{holds[k]!r} frames are lost beside the {ends[k - 1]:g} frames "
                        f"before (the sum of the holds keeps about 16 digits)")
        if self.times is not None:
            if len(self.times) != n:
                where.child("times").fail(f"must have {n} item(s), one per waypoint, got {len(self.times)}")
            for i in range(1, n):
                if self.times[i] <= self.times[i - 1]:
                    where.child("times").item(i).fail(
                        f"must be > {t}.times[{i - 1}] = {self.times[i - 1]!r}, got {self.times[i]!r}")
            if self.loop:
                where.child("loop").fail(f"loop needs {t}.hold, not {t}.times")
        if self.quaternions is not None and self.rpy is not None:
            where.child("rpy").fail(f"give {t}.quaternions or {t}.rpy, not both")
        for name in ("quaternions", "rpy"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                where.child(name).fail(f"must have {n} item(s), one per waypoint, got {len(value)}")
        for i, q in enumerate(self.quaternions or ()):
            _unit_quaternion(q, where.child("quaternions").item(i))
        self.check_orientation(where)

    def make(self, chain, seed):
        from armsim.scene.targets import Waypoints
        R = self.rotations()
        if self.times is not None:
            return Waypoints(self.points, self.times, rotations=R)
        holds = self.hold if isinstance(self.hold, tuple) else [self.hold] * len(self.points)
        return Waypoints.from_holds(self.points, holds, loop=self.loop, rotations=R)


@target_kind("circle")
@dataclass(frozen=True)
class CircleTarget(_Spatial, TargetSection):
    """A circle run at constant speed (for a spatial arm in the plane through `center` normal to `normal`)."""

    radius: float = key(Number(gt=0, le=BIG, unit="m"), doc="radius")
    period: float = key(_PERIOD, doc="frames per turn")
    center: tuple = key(_POSITION, (0.0, 0.0), "centre")
    phase: float = key(_PHASE, 0.0, "angle at frame 0, from +x (spatial: from the plane's first "
                                    "axis, +x for the normal +z)")
    clockwise: bool = key(Boolean(), False, "turn clockwise (default counter-clockwise)")
    normal: tuple | None = key(ListOf(Number(ge=-BIG, le=BIG), 3, 3, what="[nx, ny, nz]"), None,
                               "spatial: the normal of the circle's plane (default [0, 0, 1])")
    quaternion: tuple | None = _quaternion_key()
    rpy: tuple | None = _rpy_key()
    weights: tuple | None = _weights_key()

    def positions(self):
        return (("center", None, self.center),)

    def check(self, where, keys):
        if self.normal is not None and not any(self.normal):
            where.child("normal").fail("must not be [0, 0, 0]")
        self.check_orientation(where)

    def make(self, chain, seed):
        from armsim.scene.targets import Circle
        return self.oriented(Circle(self.center, self.radius, self.period, self.phase,
                                    self.clockwise, self.normal))


@target_kind("figure8")
@dataclass(frozen=True)
class FigureEightTarget(TargetSection):
    """A figure-eight (lemniscate of Gerono): center + (sx sin t, sy sin t cos t)."""

    size: tuple = key(Point(gt=0, what="[sx, sy]"), doc="half-width and half-height")
    period: float = key(_PERIOD, doc="frames per loop")
    center: tuple = key(Point(), (0.0, 0.0), "centre")
    phase: float = key(_PHASE, 0.0, "t at frame 0")

    def make(self, chain, seed):
        from armsim.scene.targets import FigureEight
        return FigureEight(self.center, self.size, self.period, self.phase)


@target_kind("line")
@dataclass(frozen=True)
class LineTarget(_Spatial, TargetSection):
    """Back and forth along a segment at constant speed: `start` at frame 0, `end` after half a period."""

    start: tuple = key(_POSITION, doc="one end")
    end: tuple = key(_POSITION, doc="the other end")
    period: float = key(_PERIOD, doc="frames for start -> end -> start")
    quaternion: tuple | None = _quaternion_key()
    rpy: tuple | None = _rpy_key()
    weights: tuple | None = _weights_key()

    def positions(self):
        return (("start", None, self.start), ("end", None, self.end))

    def check(self, where, keys):
        t = where.path              # "target", or a whole robot's "tool[k]"
        if len(self.start) != len(self.end):
            where.child("end").fail(f"must have {len(self.start)} numbers like {t}.start, "
                                    f"got {len(self.end)}")
        if self.start == self.end:
            where.child("end").fail(f"must differ from {t}.start, got {list(self.end)}")
        self.check_orientation(where)

    def make(self, chain, seed):
        from armsim.scene.targets import Line
        return self.oriented(Line(self.start, self.end, self.period))


@target_kind("random")
@dataclass(frozen=True)
class RandomTarget(TargetSection):
    """A new random point, uniform over a disc, every `every` frames."""

    every: int = key(Integer(ge=1, le=MAX_FRAMES, unit="frames"), doc="frames between new targets")
    center: tuple | None = key(Point(), None, "centre of the disc (default: the arm base)")
    radius: float | None = key(Number(gt=0, le=BIG, unit="m"), None,
                               "radius of the disc (default: 0.9 x the arm's reach)")
    seed: int | None = key(Integer(ge=0, le=R.MAX_SEED), None, "default: the scene seed")

    def make(self, chain, seed):
        from armsim.scene.targets import RandomPoints
        center = chain.base if self.center is None else self.center
        radius = 0.9 * chain.reach if self.radius is None else self.radius
        return RandomPoints(center, radius, self.every, seed if self.seed is None else self.seed)


SPATIAL_KINDS = ("fixed", "mouse", "waypoints", "circle", "line")


def check_spatial(sections, where):
    """Rules between ``[arm]`` and the other tables: a planar arm takes points of two
    numbers and no spatial key nor ``[view]``; a spatial arm takes points of three numbers,
    the target kinds of :data:`SPATIAL_KINDS`, ``weights`` of 3 numbers (6 with an
    orientation), and no ``[compare]``."""
    arm, target = sections.get("arm"), sections.get("target")
    if arm is None or target is None:
        return
    at = where.child("target")
    if not arm.spatial:
        if sections.get("view") is not None:
            where.child("view").fail("only a scene with a spatial [arm] (arm.robot, arm.urdf "
                                     "or arm.dh) has [view]")
        for name in _SPATIAL_ONLY:
            if getattr(target, name, None) is not None:
                at.child(name).fail("only a spatial arm (arm.robot, arm.urdf or arm.dh) has "
                                    "this key")
        for name, i, p in getattr(target, "positions", lambda: ())():
            if len(p) != 2:
                w = at.child(name) if i is None else at.child(name).item(i)
                w.fail(f"a planar arm takes [x, y], got {len(p)} numbers")
        check_path_bound(target, at, arm.base)    # a circle, random disc or figure-eight
        return
    if sections.get("compare") is not None:
        where.child("compare").fail("a spatial scene runs one arm: [compare] is for planar arms")
    solver = sections.get("solver")
    if solver is not None and solver.method == "fabrik":
        where.child("solver").child("method").fail(
            "'fabrik' needs a planar arm; a spatial arm takes dls, gradient, pinv or ccd")
    check_spatial_target(target, at)


def check_spatial_kind(kind, at, table=None):
    """A spatial arm's target kind (``at`` its table): one of :data:`SPATIAL_KINDS`.  Also
    called on the raw ``table``'s ``kind`` before its keys are read, so a planar-only kind
    written for a spatial arm is refused by its kind, not by a key of that kind."""
    if table is not None and "kind" not in table:
        missing(table, at, "kind", Choice("target kind", SPATIAL_KINDS).expected, target_keys())
    if isinstance(kind, str) and kind in TARGET_KINDS and kind not in SPATIAL_KINDS:
        at.child("kind").fail(f"{kind!r} is for a planar arm; a spatial arm takes one "
                              f"of {', '.join(SPATIAL_KINDS)}")


def check_spatial_target(target, at):
    """A spatial arm's target (or a whole robot's ``[[tool]]``, at ``at``): a kind of
    :data:`SPATIAL_KINDS`, points of three numbers, weights of 3 (6 with an orientation)."""
    check_spatial_kind(target.kind, at)
    for name, i, p in target.positions():
        w = at.child(name) if i is None else at.child(name).item(i)
        if len(p) != 3:
            w.fail(f"a spatial arm takes [x, y, z], got {len(p)} numbers")
    check_path_bound(target, at)                  # a circle's centre plus its radius
    normal = getattr(target, "normal", None)
    if normal is not None:
        from armsim.scene.targets import plane_basis
        try:
            plane_basis(normal)
        except ValueError as exc:
            at.child("normal").fail(str(exc).removeprefix("normal "))
    w = getattr(target, "weights", None)
    need = 6 if target.has_orientation() else 3
    if w is not None and len(w) != need:
        at.child("weights").fail(f"must have {need} items ("
                                 + ("x, y, z, rx, ry, rz: the target has an orientation)"
                                    if need == 6 else "x, y, z: the target has no orientation)")
                                 + f", got {len(w)}")


@section("view", implicit=False, kinds=(IK_KIND,))
@dataclass(frozen=True)
class ViewSection(Section):
    """The camera of a spatial scene (window and GIF): an orbit about `center`."""

    azimuth_deg: float = key(Number(range=R.VIEW_AZIMUTH_DEG), 45.0,
                             "camera direction about the vertical (z) axis, from +x")
    elevation_deg: float = key(Number(range=R.VIEW_ELEVATION_DEG), 25.0,
                               "camera height angle above the floor plane (90: straight down)")
    distance: float | None = key(Number(range=R.VIEW_DISTANCE), None, "camera distance from "
                                 "`center` (default: the window and the GIF frame the arm and "
                                 "its target path; `scene.view` holds 2.5 x the arm's reach)")
    center: tuple | None = key(ListOf(Number(range=R.VIEW_CENTER), 3, 3, what="[x, y, z] [m]"),
                               None, "the point looked at (default: the framing's; "
                               "`scene.view` holds [0, 0, 0.4 x reach])")
    fov_deg: float = key(Number(range=R.VIEW_FOV_DEG), 45.0,
                         "angle spanned by the shorter side of the picture")
    orbit_deg_per_s: float = key(Number(range=R.VIEW_ORBIT_DEG_PER_S), 0.0,
                                 "turn of the azimuth per second of playback (0 = still)")

    def settings(self, reach) -> dict:
        """The camera settings, defaults filled from the arm's ``reach`` [m] and clamped."""
        d, c = R.VIEW_DISTANCE.clamp(2.5 * reach), R.VIEW_CENTER.clamp(0.4 * reach)
        return {"azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg,
                "distance": d if self.distance is None else self.distance,
                "center": (0.0, 0.0, c) if self.center is None else tuple(self.center),
                "fov_deg": self.fov_deg, "orbit_deg_per_s": self.orbit_deg_per_s}


# -- solver, render, output, compare ---------------------------------------------

def _methods():
    from armsim import ik as solvers
    return solvers.METHODS


def _corrections():
    from armsim import ik as solvers
    return solvers.CORRECTIONS


_SOLVER_KEYS = ("method", "correction", "step_size", "max_angular_speed", "damping",
                "max_joint_step", "tolerance", "iterations_per_frame", "restarts")


@section("solver", kinds=(IK_KIND,))
@dataclass(frozen=True)
class SolverSection(Section):
    """How the arm moves toward the target each frame (see armsim.ik)."""

    method: str = key(Choice("method", _methods, "armsim.ik.METHODS"), "dls",
                      "step method (default dls, as armsim.solve and --robot)")
    correction: str = key(Choice("correction", _corrections, "armsim.ik.CORRECTIONS"), "backtrack",
                          "how a gradient step is shaped (gradient method; clip is the "
                          "original law)")
    step_size: float | None = key(Number(gt=0, le=BIG), None, "gradient/none step size (default: solver's)")
    max_angular_speed: float | None = key(Number(gt=0, le=BIG, unit="rad"), None,
                                          "gradient/clip: largest joint move per iteration at distance = reach (default: solver's)")
    damping: float | None = key(Number(gt=0, le=BIG), None, "dls damping, fraction of the reach (default: solver's)")
    max_joint_step: float | None = key(Number(gt=0, le=BIG, unit="rad"), None,
                                       "dls: largest joint change per iteration (default: solver's)")
    tolerance: float | None = key(Number(gt=0, le=BIG, unit="m"), None,
                                  "stop iterating within a frame when the tip is this close (default 1e-6 x reach)")
    iterations_per_frame: int = key(Integer(ge=1, le=10000), 4, "solver iterations per frame")
    restarts: int = key(Integer(ge=0, le=1000), 0, "random restarts when the solver stalls (0 = none)")


@section("compare", implicit=False, kinds=(IK_KIND,))
@dataclass(frozen=True)
class CompareSection(Section):
    """A second arm, same arm/target/start, different solver: keys as in [solver]; absent keys copy [solver]."""

    label: str | None = key(Text(), None, "caption of the second arm (default: its method)")
    method: str | None = key(Choice("method", _methods, "armsim.ik.METHODS"), None, "as solver.method")
    correction: str | None = key(Choice("correction", _corrections, "armsim.ik.CORRECTIONS"), None, "as solver.correction")
    step_size: float | None = key(Number(gt=0, le=BIG), None, "as solver.step_size")
    max_angular_speed: float | None = key(Number(gt=0, le=BIG, unit="rad"), None, "as solver.max_angular_speed")
    damping: float | None = key(Number(gt=0, le=BIG), None, "as solver.damping")
    max_joint_step: float | None = key(Number(gt=0, le=BIG, unit="rad"), None, "as solver.max_joint_step")
    tolerance: float | None = key(Number(gt=0, le=BIG, unit="m"), None, "as solver.tolerance")
    iterations_per_frame: int | None = key(Integer(ge=1, le=10000), None, "as solver.iterations_per_frame")
    restarts: int | None = key(Integer(ge=0, le=1000), None, "as solver.restarts")

    def solver(self, base: SolverSection) -> SolverSection:
        """``base`` with the keys given here replaced."""
        return dataclasses.replace(base, **{k: getattr(self, k) for k in _SOLVER_KEYS
                                            if getattr(self, k) is not None})


@dataclass(frozen=True)
class ColorsTable(Section):
    """Colour overrides; each absent key keeps the theme's colour."""

    background: str | None = key(Color(), None, "background")
    reach: str | None = key(Color(), None, "reach circle")
    trail: str | None = key(Color(), None, "tip trail")
    base: str | None = key(Color(), None, "base square")
    joint: str | None = key(Color(), None, "joint rings")
    tip: str | None = key(Color(), None, "tip dot")
    target: str | None = key(Color(), None, "target")
    direction: str | None = key(Color(), None, "line from tip to target")
    text: str | None = key(Color(), None, "panel text")
    segments: tuple | None = key(ListOf(Color(), 1, 64), None, "segment palette, cycled along the arm")


@section("render")
@dataclass(frozen=True)
class RenderSection(Section):
    """The picture: size, rate, length of an export, theme and what to draw."""

    size: tuple = key(Size(), (480, 360), "image size")
    fps: float = key(Number(gt=0, le=240, unit="frames/s"), 30.0,
                     "frames per second: the window's, and a GIF's (which plays at 100/65535 "
                     "to 50)")
    frames: int = key(Integer(ge=1, le=MAX_FRAMES), 240,
                      "frames in a GIF export (which holds at most 100,000)")
    theme: str = key(Choice("theme", THEMES), "dark", "colour theme")
    colors: ColorsTable | None = key(Table(ColorsTable), None, "colour overrides (a table, below)")
    show_jacobian: bool = key(Boolean(), True, "Jacobian columns as arrows at the tip")
    show_trail: bool = key(Boolean(), True, "the tip trail")
    show_panel: bool = key(Boolean(), True, "the text panel (frame, error, solver, step)")
    show_reach: bool = key(Boolean(), True, "the reach circle")
    show_waypoints: bool = key(Boolean(), True, "waypoints (hollow until reached)")
    trail_length: int = key(Integer(ge=0, le=MAX_TRAIL, unit="frames"), 60, "tip positions kept in the trail")


@section("output")
@dataclass(frozen=True)
class OutputSection(Section):
    """Files a run writes.  Relative paths resolve against the scene file's folder."""

    gif: str | None = key(Text(), None, "GIF written by an export (`--gif` overrides)")
    report: str | None = key(Text(), None, "JSON run summary (`--report` overrides)")
