"""The tables of an IK scene: ``[arm]``, ``[target]`` (one kind each), ``[solver]``,
``[compare]``, ``[render]``, ``[output]``."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from armsim.scene.schema import (BIG, IK_KIND, MAX_FRAMES, SECTIONS, SMALL, TARGET_KINDS, THEMES,
                                 Boolean, Choice, Color, Integer, Interval, ListOf, Number,
                                 NumberOrList, Point, Registered, Section, Size, Table, Text,
                                 describe, key, section, target_kind)

__all__ = ["ArmSection", "TargetSection", "SolverSection", "CompareSection", "RenderSection",
           "OutputSection", "ColorsTable"]


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


@section("arm", required=True, kinds=(IK_KIND,))
@dataclass(frozen=True)
class ArmSection(Section):
    """The arm: a planar serial chain of revolute joints."""

    lengths: tuple = key(ListOf(Number(ge=SMALL, le=BIG, unit="m"), 1, 1000), doc="segment lengths, base first")
    base: tuple = key(Point(), (0.0, 0.0), "position of the base")
    angles: tuple | None = key(ListOf(Number(ge=-1e4, le=1e4, unit="rad"), 1, 1000), None,
                               "initial joint angles, each relative to the previous segment "
                               "(default 0.3 rad each, clipped to the limits); "
                               "or `angles_deg` in degrees")
    limits: tuple | None = key(ListOf(Interval(1e4, "rad"), 1, 1000), None,
                               "joint limits, one [lower, upper] per joint (default: none); "
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

    def check(self, where, keys):
        n = len(self.lengths)
        names = keys
        for name in ("angles", "limits"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                where.child(names[name]).fail(f"must have {n} item(s), one per segment, got {len(value)}")
        if self.angles is not None and self.limits is not None:
            deg = names["angles"].endswith("_deg")
            conv = (lambda x: round(math.degrees(x), 9)) if deg else (lambda x: x)
            unit = "deg" if deg else "rad"
            for i, (a, (lo, hi)) in enumerate(zip(self.angles, self.limits)):
                if not lo - 1e-12 <= a <= hi + 1e-12:
                    where.child(names["angles"]).item(i).fail(
                        f"must be within {where.child(names['limits']).item(i).path} = "
                        f"[{conv(lo)!r}, {conv(hi)!r}] {unit}, got {conv(a)!r} {unit}")


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
            where.child("kind").fail(f"missing; expected {spec.expected}")
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


@target_kind("fixed")
@dataclass(frozen=True)
class FixedTarget(TargetSection):
    """A target that never moves."""

    point: tuple = key(Point(), doc="the target")

    def make(self, chain, seed):
        from armsim.scene.targets import Fixed
        return Fixed(self.point)


@target_kind("mouse")
@dataclass(frozen=True)
class MouseTarget(TargetSection):
    """Interactive: the user drags the target in the window.  A GIF export keeps it at `start`."""

    start: tuple | None = key(Point(), None, "where the target starts (default: the tip at the initial angles)")

    def make(self, chain, seed):
        from armsim.scene.targets import Mouse
        return Mouse(self.start)


@target_kind("waypoints")
@dataclass(frozen=True)
class WaypointsTarget(TargetSection):
    """Points visited in turn, each from its start frame on (give `hold` or `times`)."""

    points: tuple = key(ListOf(Point(), 1, 10000), doc="the waypoints, in order")
    hold: Any = key(NumberOrList(Number(gt=0, le=MAX_FRAMES, unit="frames")), None,
                    "frames each waypoint is held: one number for all, or one per waypoint")
    times: tuple | None = key(ListOf(Number(ge=0, le=MAX_FRAMES, unit="frames"), 1, 10000), None,
                              "start frame of each waypoint, strictly increasing (instead of `hold`)")
    loop: bool = key(Boolean(), False, "with `hold`: start again after the last waypoint")
    tolerance: float | None = key(Number(gt=0, le=BIG, unit="m"), None,
                                  "a waypoint counts as reached when the tip comes this close while "
                                  "it is shown (default 0.02 x the arm's reach)")

    def check(self, where, keys):
        n = len(self.points)
        if (self.hold is None) == (self.times is None):
            where.child("hold").fail("give exactly one of target.hold [frames] and target.times [frames]")
        if isinstance(self.hold, tuple) and len(self.hold) != n:
            where.child("hold").fail(f"must have {n} item(s), one per waypoint, got {len(self.hold)}")
        if self.times is not None:
            if len(self.times) != n:
                where.child("times").fail(f"must have {n} item(s), one per waypoint, got {len(self.times)}")
            for i in range(1, n):
                if self.times[i] <= self.times[i - 1]:
                    where.child("times").item(i).fail(
                        f"must be > target.times[{i - 1}] = {self.times[i - 1]!r}, got {self.times[i]!r}")
            if self.loop:
                where.child("loop").fail("loop needs target.hold, not target.times")

    def make(self, chain, seed):
        from armsim.scene.targets import Waypoints
        if self.times is not None:
            return Waypoints(self.points, self.times)
        holds = self.hold if isinstance(self.hold, tuple) else [self.hold] * len(self.points)
        return Waypoints.from_holds(self.points, holds, loop=self.loop)


@target_kind("circle")
@dataclass(frozen=True)
class CircleTarget(TargetSection):
    """A circle run at constant speed."""

    radius: float = key(Number(gt=0, le=BIG, unit="m"), doc="radius")
    period: float = key(_PERIOD, doc="frames per turn")
    center: tuple = key(Point(), (0.0, 0.0), "centre")
    phase: float = key(_PHASE, 0.0, "angle at frame 0, from +x")
    clockwise: bool = key(Boolean(), False, "turn clockwise (default counter-clockwise)")

    def make(self, chain, seed):
        from armsim.scene.targets import Circle
        return Circle(self.center, self.radius, self.period, self.phase, self.clockwise)


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
class LineTarget(TargetSection):
    """Back and forth along a segment at constant speed: `start` at frame 0, `end` after half a period."""

    start: tuple = key(Point(), doc="one end")
    end: tuple = key(Point(), doc="the other end")
    period: float = key(_PERIOD, doc="frames for start -> end -> start")

    def check(self, where, keys):
        if self.start == self.end:
            where.child("end").fail(f"must differ from target.start, got {list(self.end)}")

    def make(self, chain, seed):
        from armsim.scene.targets import Line
        return Line(self.start, self.end, self.period)


@target_kind("random")
@dataclass(frozen=True)
class RandomTarget(TargetSection):
    """A new random point, uniform over a disc, every `every` frames."""

    every: int = key(Integer(ge=1, le=MAX_FRAMES, unit="frames"), doc="frames between new targets")
    center: tuple | None = key(Point(), None, "centre of the disc (default: the arm base)")
    radius: float | None = key(Number(gt=0, le=BIG, unit="m"), None,
                               "radius of the disc (default: 0.9 x the arm's reach)")
    seed: int | None = key(Integer(ge=0, le=2**63 - 1), None, "default: the scene seed")

    def make(self, chain, seed):
        from armsim.scene.targets import RandomPoints
        center = chain.base if self.center is None else self.center
        radius = 0.9 * chain.reach if self.radius is None else self.radius
        return RandomPoints(center, radius, self.every, seed if self.seed is None else self.seed)


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

    method: str = key(Choice("method", _methods, "armsim.ik.METHODS"), "gradient", "step method")
    correction: str = key(Choice("correction", _corrections, "armsim.ik.CORRECTIONS"), "clip",
                          "how a gradient step is shaped (gradient method)")
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
    fps: float = key(Number(gt=0, le=240, unit="frames/s"), 30.0, "frames per second (window and GIF)")
    frames: int = key(Integer(ge=1, le=MAX_FRAMES), 240, "frames in a GIF export")
    theme: str = key(Choice("theme", THEMES), "dark", "colour theme")
    colors: ColorsTable | None = key(Table(ColorsTable), None, "colour overrides (a table, below)")
    show_jacobian: bool = key(Boolean(), True, "Jacobian columns as arrows at the tip")
    show_trail: bool = key(Boolean(), True, "the tip trail")
    show_panel: bool = key(Boolean(), True, "the text panel (frame, error, solver, step)")
    show_reach: bool = key(Boolean(), True, "the reach circle")
    show_waypoints: bool = key(Boolean(), True, "waypoints (hollow until reached)")
    trail_length: int = key(Integer(ge=0, le=100000, unit="frames"), 60, "tip positions kept in the trail")


@section("output")
@dataclass(frozen=True)
class OutputSection(Section):
    """Files a run writes.  Relative paths resolve against the scene file's folder."""

    gif: str | None = key(Text(), None, "GIF written by an export (`--gif` overrides)")
    report: str | None = key(Text(), None, "JSON run summary (`--report` overrides)")
