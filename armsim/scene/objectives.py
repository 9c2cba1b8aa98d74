"""Scene tables of objectives: ``[[objective]]`` and ``[[obstacle]]`` (arrays of tables).

Each item has a ``kind`` that selects its keys (as ``[target]`` does) and is checked key
by key; errors name the item: ``scenes/x.toml: obstacle[1].radius: must be >= 0, got -1.0``.
Rules against the arm (a circle for a planar arm, a sphere for a spatial one, points of
2 or 3 numbers, ``rest`` of one angle per joint, a solver method that takes objectives)
are checked when the scene loads (:meth:`ItemList.check_scene`).  :func:`objectives_for`
turns a scene's items into :mod:`armsim.ik.objectives` objects, handed to the
simulation's solver every frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from armsim.scene.schema import (BIG, IK_KIND, Choice, ListOf, Number, Section, describe, key,
                                 missing, section)

__all__ = ["ItemList", "ObjectiveList", "ObstacleList", "OBJECTIVE_KINDS", "OBSTACLE_KINDS",
           "objectives_for", "MAX_ITEMS"]

MAX_ITEMS = 32          # items of one array (each adds a row to every solve)
METHODS = ("dls", "gradient", "pinv")      # the methods a stacked problem supports

OBJECTIVE_KINDS: dict = {}
OBSTACLE_KINDS: dict = {}


def _kind(registry, name):
    def register(cls):
        registry[name] = cls
        cls.kind = name
        return cls
    return register


def _point(what):
    return ListOf(Number(ge=-BIG, le=BIG, unit="m"), 2, 3,
                  what=f"{what} (2 numbers for a planar arm, 3 for a spatial one) [m]")


_WEIGHT = Number(ge=0, le=BIG)
_LENGTH = Number(ge=0, le=BIG, unit="m")
_CLEARANCE_DOC = "keep links this far from the surface (none: 2 % of the arm's reach)"


@dataclass(frozen=True)
class _Item(Section):
    kind: ClassVar[str] = ""

    def to_table(self):
        return {"kind": self.kind, **super().to_table()}

    @classmethod
    def json_schema(cls):
        out = super().json_schema()
        out["properties"] = {"kind": {"const": cls.kind}, **out["properties"]}
        out["required"] = ["kind"] + out.get("required", [])
        return out

    def points(self):
        """(key, point) of every coordinate key, for the arm's dimension check."""
        return ()


# -- [[objective]] ------------------------------------------------------------

@_kind(OBJECTIVE_KINDS, "posture")
@dataclass(frozen=True)
class PostureItem(_Item):
    """Stay near a rest configuration (`armsim.Posture`)."""

    rest: tuple | None = key(ListOf(Number(ge=-1e4, le=1e4, unit="rad")), None,
                             "rest angles, one per joint [rad] (none: the arm's start)")
    weight: float = key(_WEIGHT, 0.1, "weight of `q - rest`")


@_kind(OBJECTIVE_KINDS, "joint_limits")
@dataclass(frozen=True)
class JointLimitsItem(_Item):
    """A smooth barrier inside the joint limits (`armsim.JointLimitBarrier`)."""

    margin: float = key(Number(ge=0, le=1e4, unit="rad"), 0.1,
                        "the barrier is zero farther than this from both limits")
    weight: float = key(_WEIGHT, 1.0, "weight of the barrier")


@_kind(OBJECTIVE_KINDS, "point")
@dataclass(frozen=True)
class PointItem(_Item):
    """A point of the chain sent to a fixed target (`armsim.PointTarget`)."""

    point: float = key(Number(ge=0, le=1000), doc="the chain point: 0 the base, k the k-th "
                       "joint, the last the tip; a fraction lies along the next link (a "
                       "point no joint moves is refused)")
    target: tuple = key(_point("[x, y] or [x, y, z]"), doc="where that point should be")
    weight: float = key(_WEIGHT, 1.0, "weight of the point's error")

    def points(self):
        return (("target", self.target),)


@_kind(OBJECTIVE_KINDS, "smoothness")
@dataclass(frozen=True)
class SmoothnessItem(_Item):
    """Penalise the change from the previous frame's angles (`armsim.Smoothness`)."""

    weight: float = key(_WEIGHT, 0.1, "weight of `q - q_previous_frame`")


@_kind(OBJECTIVE_KINDS, "self_collision")
@dataclass(frozen=True)
class SelfCollisionItem(_Item):
    """Keep non-adjacent links apart (`armsim.SelfCollision`)."""

    link_radius: float = key(_LENGTH, 0.0, "every link is a capsule of this radius [m]")
    margin: float | None = key(_LENGTH, None, "keep links this far apart (none: 2 % of the reach)")
    weight: float = key(_WEIGHT, 1.0, "weight of the barrier")


# -- [[obstacle]] ------------------------------------------------------------

@_kind(OBSTACLE_KINDS, "circle")
@dataclass(frozen=True)
class CircleItem(_Item):
    """A disc the links keep away from (planar arm; `armsim.Obstacle`)."""

    center: tuple = key(_point("[x, y]"), doc="centre [m]")
    radius: float = key(_LENGTH, doc="radius [m]")
    clearance: float | None = key(_LENGTH, None, _CLEARANCE_DOC)
    link_radius: float = key(_LENGTH, 0.0, "every link is a capsule of this radius [m]")
    weight: float = key(_WEIGHT, 1.0, "weight of the barrier")

    def points(self):
        return (("center", self.center),)


@_kind(OBSTACLE_KINDS, "sphere")
@dataclass(frozen=True)
class SphereItem(CircleItem):
    """A ball the links keep away from (spatial arm; `armsim.Obstacle`)."""


@_kind(OBSTACLE_KINDS, "box")
@dataclass(frozen=True)
class BoxItem(_Item):
    """An axis-aligned rectangle (planar) or box (spatial) (`armsim.Box`)."""

    center: tuple = key(_point("[x, y] or [x, y, z]"), doc="centre [m]")
    size: tuple = key(ListOf(Number(gt=0, le=BIG, unit="m"), 2, 3,
                             what="full widths (2 or 3 numbers > 0, as center) [m]"),
                      doc="full width along each axis [m]")
    clearance: float | None = key(_LENGTH, None, _CLEARANCE_DOC)
    link_radius: float = key(_LENGTH, 0.0, "every link is a capsule of this radius [m]")
    weight: float = key(_WEIGHT, 1.0, "weight of the barrier")

    def points(self):
        return (("center", self.center), ("size", self.size))


@_kind(OBSTACLE_KINDS, "capsule")
@dataclass(frozen=True)
class CapsuleItem(_Item):
    """The points within `radius` of the segment `a`-`b` (`armsim.Capsule`)."""

    a: tuple = key(_point("[x, y] or [x, y, z]"), doc="one end of the axis [m]")
    b: tuple = key(_point("[x, y] or [x, y, z]"), doc="the other end [m]")
    radius: float = key(_LENGTH, doc="radius [m]")
    clearance: float | None = key(_LENGTH, None, _CLEARANCE_DOC)
    link_radius: float = key(_LENGTH, 0.0, "every link is a capsule of this radius [m]")
    weight: float = key(_WEIGHT, 1.0, "weight of the barrier")

    def points(self):
        return (("a", self.a), ("b", self.b))


# -- the arrays ----------------------------------------------------------------

@dataclass(frozen=True)
class ItemList(Section):
    """An array of tables whose items each have a ``kind``."""

    items: tuple = ()
    KINDS: ClassVar[dict] = {}
    WORD: ClassVar[str] = ""

    @classmethod
    def specs(cls):
        return {}

    @classmethod
    def from_table(cls, value, where):
        name = cls.WORD
        if not isinstance(value, list):
            where.fail(f"expected an array of tables ([[{name}]] ...), got {describe(value)}")
        if len(value) > MAX_ITEMS:
            where.fail(f"must have at most {MAX_ITEMS} item(s), got {len(value)}")
        spec = Choice(f"{name} kind", lambda: tuple(cls.KINDS))
        items = []
        for i, table in enumerate(value):
            at = where.item(i)
            if not isinstance(table, dict):
                at.fail(f"expected a table, got {describe(table)}")
            if "kind" not in table:
                missing(table, at, "kind", spec.expected,
                        {k for c in cls.KINDS.values() for k in c.allowed_keys()})
            kind = spec.parse(table["kind"], at.child("kind"))
            rest = {k: v for k, v in table.items() if k != "kind"}
            items.append(cls.KINDS[kind].from_table(rest, at))
        return cls(tuple(items))

    def to_table(self):
        return [item.to_table() for item in self.items]

    @classmethod
    def json_schema(cls):
        return {"type": "array", "maxItems": MAX_ITEMS,
                "items": {"type": "object", "required": ["kind"],
                          "properties": {"kind": {"enum": list(cls.KINDS)}},
                          "oneOf": [k.json_schema() for k in cls.KINDS.values()]}}

    @classmethod
    def reference(cls, rows):
        """The Markdown of this array for docs/scenes.md (``rows(cls)`` gives a key table)."""
        lines = ["`kind` (required) is one of " + ", ".join(f"`{k}`" for k in cls.KINDS)
                 + f"; each kind has its own keys.  At most {MAX_ITEMS} items."]
        for kind, item in cls.KINDS.items():
            lines += ["", f"#### kind = \"{kind}\"", "", (item.__doc__ or "").strip(), ""]
            lines += rows(item)
        return lines

    def check_scene(self, sections, root):
        """Rules against ``[arm]``, ``[solver]`` and ``[compare]``; see the module
        (``root``: the scene's :class:`~armsim.scene.schema.Where`)."""
        where = root.child(self.WORD)
        arm = sections.get("arm")
        if arm is None:
            return
        spatial, tree = arm.spatial, arm.tree
        d = 3 if spatial else 2
        n = tree.n if tree is not None else arm.chain.n if spatial else len(arm.lengths)
        solver = sections.get("solver")
        if self.items and solver is not None and solver.method not in METHODS:
            root.child("solver").child("method").fail(
                f"{solver.method!r} takes no [[{self.WORD}]]; use one of {', '.join(METHODS)}")
        compare = sections.get("compare")       # (its arm serves the same items)
        if self.items and getattr(compare, "method", None) not in (None,) + METHODS:
            root.child("compare").child("method").fail(
                f"{compare.method!r} takes no [[{self.WORD}]] (the second arm serves them "
                f"too); use one of {', '.join(METHODS)}")
        for i, item in enumerate(self.items):
            at = where.item(i)
            if item.kind == "circle" and spatial:
                at.child("kind").fail("a spatial arm takes 'sphere', not 'circle'")
            if item.kind == "sphere" and not spatial:
                at.child("kind").fail("a planar arm takes 'circle', not 'sphere'")
            for name, p in item.points():
                if len(p) != d:
                    at.child(name).fail(f"a {'spatial' if spatial else 'planar'} arm takes "
                                        f"{d} numbers, got {len(p)}")
            if item.kind == "posture" and item.rest is not None and len(item.rest) != n:
                at.child("rest").fail(f"must have one angle per joint ({n}), got {len(item.rest)}")
            if item.kind == "point" and tree is not None:
                at.child("kind").fail("a whole robot's scene takes no 'point' objective (its "
                                      "point is a chain's index; a robot's links have names)")
            last = n + (1 if spatial else 0)
            if item.kind == "point" and item.point > last:
                at.child("point").fail(f"must be <= {last} (the tip), got {item.point!r}")


@section("objective", implicit=False, kinds=(IK_KIND,),
         doc="Objectives served in every solve besides the target (an array of tables, "
             "[[objective]]; see docs/objectives.md).")
@dataclass(frozen=True)
class ObjectiveList(ItemList):
    """Objectives served in every solve besides the target."""

    KINDS: ClassVar[dict] = OBJECTIVE_KINDS
    WORD: ClassVar[str] = "objective"


@section("obstacle", implicit=False, kinds=(IK_KIND,),
         doc="Obstacles every link keeps a clearance from (an array of tables, [[obstacle]]; "
             "in the window they can be dragged with the left mouse button).")
@dataclass(frozen=True)
class ObstacleList(ItemList):
    """Obstacles every link keeps a clearance from."""

    KINDS: ClassVar[dict] = OBSTACLE_KINDS
    WORD: ClassVar[str] = "obstacle"


def objectives_for(scene, q0, chain=None) -> list:
    """The :mod:`armsim.ik.objectives` objects of a scene's ``[[objective]]`` and
    ``[[obstacle]]`` items (``q0``: the arm's start, the default posture rest); with the
    ``chain``, each obstacle is checked against it (one that holds the base no pose
    clears: a SceneError naming the item)."""
    import numpy as np

    import armsim.ik.objectives as ob

    out = []
    for i, item in enumerate(getattr(scene.sections.get("objective"), "items", ())):
        k = item.kind
        if k == "posture":
            rest = q0 if item.rest is None else np.array(item.rest)
            out.append(ob.Posture(rest, item.weight))
        elif k == "joint_limits":
            out.append(ob.JointLimitBarrier(item.margin, item.weight))
        elif k == "point":
            out.append(ob.PointTarget(item.point, [item.target], item.weight))
            if chain is not None:           # a point no joint moves: named by its item
                try:
                    out[-1].bind(chain)
                except ValueError as exc:
                    from armsim.scene.schema import SceneError
                    raise SceneError(scene.source, f"objective[{i}].point",
                                     str(exc).removeprefix("PointTarget: ")) from None
        elif k == "smoothness":
            out.append(ob.Smoothness(q0, item.weight))
        else:
            out.append(ob.SelfCollision(item.link_radius, item.margin, item.weight))
    n_obj = len(out)
    for item in getattr(scene.sections.get("obstacle"), "items", ()):
        common = dict(clearance=item.clearance, link_radius=item.link_radius, weight=item.weight)
        if item.kind in ("circle", "sphere"):
            out.append(ob.Obstacle(item.center, item.radius, **common))
        elif item.kind == "box":
            out.append(ob.Box(item.center, item.size, **common))
        else:
            out.append(ob.Capsule(item.a, item.b, item.radius, **common))
        if chain is not None:
            try:
                out[-1].bind(chain)
            except ValueError as exc:
                from armsim.scene.schema import SceneError
                raise SceneError(scene.source, f"obstacle[{len(out) - 1 - n_obj}]",
                                 str(exc)) from None
    return out
