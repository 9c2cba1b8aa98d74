"""A whole robot in a scene: ``[arm] tips = [...]`` and one ``[[tool]]`` per tool.

An ``[arm]`` with ``robot`` or ``urdf`` is a whole robot (a kinematic tree,
:class:`~armsim.kinematics.tree.Robot`) when it names its ``tips`` or when the scene has
``[[tool]]`` tables (then its tips are the robot's leaves).  Each ``[[tool]]`` names a tip
(``link``) and has the keys of a spatial ``[target]`` (``kind`` and that kind's keys), so
each tool follows its own path; the scene has no ``[target]``.  :func:`build_tree` makes the
:class:`~armsim.ik.tree_tracking.TreeSimulation`.  Rules across tables, one line each::

    scene.toml: tool[1].link: 'elbow' is not a tip of the robot; its tips: left_tool, right_tool
    scene.toml: tool: missing; a whole robot (arm.tips) takes one [[tool]] per tool it moves
    scene.toml: tool: give [target] (one tool) or [[tool]] (a whole robot's tools), not both

``[[obstacle]]`` (sphere, box, capsule) and ``[[objective]]`` (posture, joint_limits,
smoothness, self_collision; not ``point``, whose index names a chain's point) are stacked
under the tools' targets in every frame, as a chain's scene does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import ClassVar

from armsim.ik.tree import MAX_TOOLS
from armsim.scene.schema import (IK_KIND, Section, Text, describe, missing, section,
                                 shorten, target_keys)
from armsim.scene.sections import (SPATIAL_KINDS, TargetSection, check_spatial_kind,
                                   check_spatial_target)

__all__ = ["ToolList", "Tool", "check_tree", "build_tree", "MAX_TOOLS", "TREE_METHODS"]

#: ``[[tool]]`` items in one scene, at most
#: the methods that move a whole robot (:class:`armsim.ik.tree.TreeTargets`)
TREE_METHODS = ("dls", "gradient", "pinv")
@dataclass(frozen=True)
class Tool:
    """One ``[[tool]]``: the tool ``link`` and its ``target`` (a spatial target kind)."""

    link: str
    target: TargetSection


@section("tool", implicit=False, kinds=(IK_KIND,),
         doc="A whole robot's tools, each following its own target (an array of tables, "
             "[[tool]]: `link` names a tip, the other keys are a spatial [target]'s).")
@dataclass(frozen=True)
class ToolList(Section):
    """A whole robot's tools: each ``[[tool]]`` a tip ``link`` and a spatial target."""

    items: tuple = ()
    LINK: ClassVar[Text] = Text()

    @classmethod
    def specs(cls):
        return {}

    @classmethod
    def from_table(cls, value, where):
        if not isinstance(value, list):
            where.fail(f"expected an array of tables ([[tool]] ...), got {describe(value)}")
        if not value:
            where.fail("must have at least 1 item(s), got 0")
        if len(value) > MAX_TOOLS:
            where.fail(f"must have at most {MAX_TOOLS} item(s), got {len(value)}")
        items = []
        for i, table in enumerate(value):
            at = where.item(i)
            if not isinstance(table, dict):
                at.fail(f"expected a table, got {describe(table)}")
            keys = target_keys() | {"kind"}
            if "link" not in table:
                missing(table, at, "link", f"{cls.LINK.expected} (a tip of the robot)", keys)
            link = cls.LINK.parse(table["link"], at.child("link"))
            rest = {k: v for k, v in table.items() if k != "link"}
            check_spatial_kind(rest.get("kind"), at, rest)  # by its kind, before its keys
            target = TargetSection.from_table(rest, at)
            check_spatial_target(target, at)
            items.append(Tool(link, target))
        return cls(tuple(items))

    def to_table(self):
        return [{"link": t.link, **t.target.to_table()} for t in self.items]

    @classmethod
    def json_schema(cls):
        from armsim.scene.schema import TARGET_KINDS
        kinds = []
        for k in SPATIAL_KINDS:
            s = copy.deepcopy(TARGET_KINDS[k].json_schema())
            s["properties"] = {"link": cls.LINK.schema(), **s["properties"]}
            s["required"] = ["link"] + s.get("required", [])
            kinds.append(s)
        return {"type": "array", "minItems": 1, "maxItems": MAX_TOOLS,
                "items": {"type": "object", "required": ["link", "kind"],
                          "properties": {"link": dict(cls.LINK.schema(),
                                                      description="the tool: a tip of the robot"),
                                         "kind": {"enum": list(SPATIAL_KINDS)}},
                          "oneOf": kinds}}

    @classmethod
    def reference(cls, rows):
        """The Markdown of ``[[tool]]`` for docs/scenes.md."""
        return ["Each item has `link` (required: a tip of the robot, see `arm.tips`) and the "
                "keys of a spatial `[target]`: `kind`, one of "
                + ", ".join(f"`{k}`" for k in SPATIAL_KINDS) + ", and that kind's keys (above). "
                f"At most {MAX_TOOLS} items; each tip at most once.  A scene with [[tool]] has "
                "no [target] and no [compare]; its `[solver]` method is one of "
                + ", ".join(f"`{m}`" for m in TREE_METHODS) + ".  It takes `[[obstacle]]` "
                "(`sphere`, `box`, `capsule`) and `[[objective]]` (`posture`, `joint_limits`, "
                "`smoothness`, `self_collision`; not `point`, whose index names a chain's "
                "point) as a chain's scene does: stacked under the tools' targets in every "
                "frame, every link of the robot keeping the obstacles' clearance, drawn in "
                "the window and the GIF (scenes/dual_arm_obstacle.toml)."]


def check_tree(sections, where, table, tree):
    """Rules of a whole robot across the tables (``tree``: the document makes the arm a
    whole robot, :data:`TREE`); see the module's docstring."""
    arm, tools = sections.get("arm"), sections.get("tool")
    if arm is None:
        return
    if tools is not None and sections.get("target") is not None:
        where.child("tool").fail("give [target] (one tool) or [[tool]] (a whole robot's "
                                 "tools), not both")
    robot = arm.tree
    if robot is None:
        return
    if sections.get("target") is not None:
        where.child("target").fail("a whole robot (arm.tips) takes one [[tool]] per tool, "
                                   "not [target]")
    if tools is None:
        where.child("tool").fail(f"missing; a whole robot (arm.tips) takes one [[tool]] per "
                                 f"tool it moves (its tips: {', '.join(robot.tips)})")
    seen = set()
    for i, t in enumerate(tools.items):
        at = where.child("tool").item(i).child("link")
        if t.link not in robot.tips:
            at.fail(f"{shorten(repr(t.link))} is not a tip of the robot; its tips: "
                    f"{', '.join(robot.tips)}"[:400])
        if t.link in seen:
            at.fail(f"{t.link!r} has a [[tool]] already (one per tip)")
        seen.add(t.link)
    solver = sections.get("solver")
    if solver is not None and solver.method not in TREE_METHODS:
        where.child("solver").child("method").fail(
            f"{solver.method!r} cannot move a whole robot; use one of {', '.join(TREE_METHODS)}")
    if sections.get("compare") is not None:
        where.child("compare").fail("a whole robot's scene has no [compare] (one robot, its "
                                    "tools' targets only)")


def build_tree(scene, solver_kwargs):
    """The :class:`~armsim.ik.tree_tracking.TreeSimulation` of a whole robot's scene: each
    ``[[tool]]``'s path (a mouse target without ``start`` starts at its tool as the robot
    starts); ``solver_kwargs``: the simulation's solver settings (from ``[solver]``)."""
    import dataclasses

    import numpy as np

    from armsim.ik.tree_tracking import TreeSimulation
    from armsim.scene.schema import SceneError
    from armsim.scene.sections import MouseTarget

    arm = scene.arm
    robot = arm.tree
    mid = np.where(np.isfinite(robot.limits), robot.limits, 0.0).mean(axis=1)
    q0 = robot.clip(mid if arm.angles is None else np.array(arm.angles, dtype=float))
    frames = robot.frames(q0)
    paths, weights, tolerances = {}, {}, []
    for t in scene.tool.items:
        target = t.target
        if isinstance(target, MouseTarget) and target.start is None:
            target = dataclasses.replace(target, start=tuple(
                float(v) for v in frames[t.link][:3, 3]))
        paths[t.link] = target.make(robot, scene.seed)
        weights[t.link] = getattr(target, "weights", None)
        if getattr(target, "tolerance", None) is not None:
            tolerances.append(target.tolerance)
    from armsim.scene.objectives import objectives_for
    objectives = objectives_for(scene, q0, robot)       # each obstacle checked on the robot
    try:
        return TreeSimulation(robot, paths, q0, trail_length=scene.render.trail_length,
                              weights=weights, reach_tolerance=min(tolerances, default=None),
                              objectives=objectives or None, **solver_kwargs)
    except ValueError as exc:
        key = "solver.method" if "method" in str(exc) else "tool"
        raise SceneError(scene.source, key, str(exc)) from None
