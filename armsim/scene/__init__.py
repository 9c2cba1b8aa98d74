"""Scene files: one TOML file describes one run, validated key by key.

:mod:`~armsim.scene.schema` is the spec library (typed keys, tables, the
registry of sections, the one-line :class:`SceneError`); the tables of an IK
scene are in :mod:`~armsim.scene.sections`, those of the visual problem in
:mod:`~armsim.scene.calibration`; :mod:`~armsim.scene.document` reads, writes,
overrides and builds a scene (and emits the format's reference and JSON
Schema); :mod:`~armsim.scene.targets` holds the target paths a scene scripts.
Scenes know no screen: nothing here imports pygame.
"""

from armsim.scene.schema import (BIG, DEFAULT_SCENE, IK_KIND, MAX_FRAMES, MAX_SCENE_BYTES,
                                 SECTIONS, SMALL, TARGET_KINDS, THEMES, TOP_KEYS, Boolean,
                                 Choice, Color, Integer, Interval, ListOf, Number, NumberOrList,
                                 Point, Registered, SceneError, Section, Size, Spec, Table, Text,
                                 Where, describe, key, section, shorten, show, target_kind)
from armsim.scene.sections import (ArmSection, ColorsTable, CompareSection, OutputSection,
                                   RenderSection, SolverSection, TargetSection)
from armsim.scene.sections import (CircleTarget, FigureEightTarget, FixedTarget, LineTarget,
                                   MouseTarget, RandomTarget, WaypointsTarget)
from armsim.scene.document import (BUILDERS, Scene, build_simulation, default_scene, dumps,
                                   from_table, json_schema, load, loads, override,
                                   reference_markdown)

__all__ = [
    "SceneError", "Scene", "Section", "Spec", "section", "target_kind", "SECTIONS",
    "TARGET_KINDS", "load", "loads", "dumps", "default_scene", "override", "from_table",
    "build_simulation", "reference_markdown", "json_schema", "DEFAULT_SCENE", "BUILDERS",
    "IK_KIND", "TOP_KEYS", "Registered", "Where", "key", "describe", "show", "shorten",
    "Number", "Integer", "Boolean", "Text", "Choice", "ListOf", "Point", "Interval", "Size",
    "Color", "NumberOrList", "Table", "BIG", "SMALL", "MAX_FRAMES", "MAX_SCENE_BYTES", "THEMES",
    "ArmSection", "TargetSection", "SolverSection", "CompareSection", "RenderSection",
    "OutputSection", "ColorsTable", "FixedTarget", "MouseTarget", "WaypointsTarget",
    "CircleTarget", "FigureEightTarget", "LineTarget", "RandomTarget",
]
