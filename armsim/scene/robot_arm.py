"""The ``[arm]`` of a whole robot (a kinematic tree): its checks and its model.

An ``[arm]`` with ``robot`` or ``urdf`` is a whole robot when it names its ``tips`` or when
the scene has ``[[tool]]`` tables (:mod:`armsim.scene.tree`; the document says so through
:data:`TREE` while it reads the arm).  :func:`check_tree_arm` is :meth:`ArmSection.check`
for it: the robot is built (kept as ``arm.tree``) and its keys checked against it."""

from __future__ import annotations

import contextlib
import contextvars
from pathlib import Path

from armsim.files import short_name
from armsim.scene.schema import shorten

__all__ = ["TREE", "check_tree_arm", "check_degrees", "load_model", "reading"]

#: True while the ``[arm]`` of a scene with ``[[tool]]`` tables is read (set by
#: :func:`armsim.scene.document.from_table`): the arm is then a whole robot
TREE = contextvars.ContextVar("armsim_scene_tree", default=False)
#: the models read within :func:`reading`: (kind, name or resolved path, tips) -> Robot
_READ = contextvars.ContextVar("armsim_scene_models", default=None)


@contextlib.contextmanager
def reading():
    """Within it, :func:`load_model` reads each model once (the command line reads a URDF
    file for the scene it writes, then the scene and its overrides read it again: a
    10,000-link file took 3 s and 20 MB each time)."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def load_model(kind, source, tips=None):
    """The whole robot of a shipped ``robot`` name or a ``urdf`` file (its ValueError as
    it is), read once within :func:`reading`."""
    from armsim.kinematics import robots
    from armsim.kinematics.urdf import load_robot
    read, key = _READ.get(), None
    try:
        key = (kind, str(source) if kind == "robot" else str(Path(source).resolve()),
               None if tips is None else tuple(tips))
    except (OSError, RuntimeError, TypeError):      # (the loader says what is wrong)
        read = None
    if read is not None and key in read:
        return read[key]
    robot = robots.load_robot(source, tips=tips) if kind == "robot" else load_robot(source,
                                                                                    tips=tips)
    if read is not None:
        read[key] = robot
    return robot


def check_degrees(model, where, keys, limits=None):
    """``angles_deg`` or ``limits_deg`` of an arm with a prismatic joint (``model``: a chain
    or a whole robot, with ``types`` and ``names`` or ``joint_names``): its value is a length
    [m], which degrees would turn into radians read as metres; refused at that item.  So
    are ``limits`` (as given) of a continuous joint, which has none (they went unused)."""
    names = getattr(model, "joint_names", None) or model.names
    for i, kind in enumerate(model.types if limits is not None else ()):
        if kind == "continuous":
            where.child(keys.get("limits", "limits")).item(i).fail(
                f"joint {shorten(repr(names[i]))} is continuous: it has no limits (give its "
                f"arm.joint_types item 'revolute' to limit it)")
    for name in ("angles", "limits"):
        if keys.get(name, name).endswith("_deg"):
            for i, kind in enumerate(model.types):
                if kind == "prismatic":
                    where.child(keys[name]).item(i).fail(
                        f"joint {shorten(repr(names[i]))} is prismatic: its value is a length "
                        f"[m], not an angle; give arm.{name} (rad, m for a prismatic joint)")


def check_tree_arm(arm, where, keys, kind):
    """:meth:`ArmSection.check` of a whole robot: ``robot`` or ``urdf``, no ``tip_link``,
    ``base_link`` nor ``limits``; builds the robot (kept as ``arm.tree``) and checks
    ``angles`` (one per free joint, ``robot.joint_names`` order) against its limits."""
    import math

    at = "tips" if arm.tips is not None else kind
    if kind not in ("robot", "urdf"):
        if arm.tips is not None:
            where.child("tips").fail("only an arm with arm.robot or arm.urdf has this key")
        where.child(kind).fail("a scene with [[tool]] moves a whole robot: give arm.robot or "
                               "arm.urdf")
    for name, why in (("tip_link", "its tools are arm.tips, or [[tool]] links"),
                      ("base_link", "a whole robot starts at its root"),
                      ("limits", "the model has its own limits")):
        if getattr(arm, name) is not None:
            where.child(keys.get(name, name)).fail(f"a whole robot has no {name} ({why})")
    robot = _load(arm, where, kind, at)
    object.__setattr__(arm, "_tree", robot)
    if arm.angles is not None:
        name = keys.get("angles", "angles")
        if len(arm.angles) != robot.n:
            where.child(name).fail(f"must have {robot.n} item(s), one per free joint of the "
                                   f"robot (robot.joint_names), got {len(arm.angles)}")
        check_degrees(robot, where, keys)
        deg = name.endswith("_deg")
        conv = (lambda x: round(math.degrees(x), 9)) if deg else (lambda x: x)
        for i, (a, (lo, hi)) in enumerate(zip(arm.angles, robot.limits)):
            if not lo - 1e-12 <= a <= hi + 1e-12:
                unit = "deg" if deg else "m" if robot.types[i] == "prismatic" else "rad"
                joint = robot.joint_names[i]
                bounds = f"[{conv(float(lo))!r}, {conv(float(hi))!r}] {unit}"
                whose = (f"the limits of {robot.describe_joint(joint)}, {bounds}"
                         if robot.coordinate_of(joint) else
                         f"the joint's limits {bounds} ({joint})")
                where.child(name).item(i).fail(f"must be within {whose}, got {conv(a)!r} {unit}")


def _load(arm, where, kind, at):
    tips = None if arm.tips is None else list(arm.tips)
    try:
        if kind == "robot":
            return load_model("robot", arm.robot, tips)
        folder = Path.cwd() if where.source.startswith("<") else Path(where.source).resolve().parent
        path = Path(arm.urdf).expanduser()
        path = path if path.is_absolute() else folder / path
        if not (path.exists() or path.is_symlink()):
            where.child("urdf").fail(f"no such file '{short_name(path)}'")
        return load_model("urdf", path, tips)
    except (ValueError, OSError) as exc:
        if hasattr(exc, "source") and hasattr(exc, "detail"):      # a SceneError
            raise
        text = str(exc).replace("\n", " ")
        where.child(at if "tip" in text else kind).fail(shorten(text, 300))
