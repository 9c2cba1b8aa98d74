"""Scene files: one TOML file describes one run, validated key by key.

A scene is a few *sections* (TOML tables) plus a top-level ``seed``.  Each
section is one frozen dataclass whose fields carry a :class:`Spec` (type,
bounds, documentation); the loader checks every key against it and raises a
:class:`SceneError` naming the file, the key path and what was expected::

    scenes/x.toml: arm.lengths[2]: must be > 0, got -1.0

Sections register themselves with the :func:`section` decorator, so a module
that owns a new section (cameras, calibration, ...) adds it without touching
this file: before the first load, the loader imports every module of the
:mod:`armsim` package whose source registers a section (a line starting with
``@section(`` or ``@target_kind(``), so their decorators have run.

A scene has a *kind*: ``"ik"`` (an arm chasing a target: ``[arm]`` and
``[target]`` required) unless a table registered with ``marks=`` is present
(``[calibration]`` makes a ``"calibration"`` scene, see
:mod:`armsim.scene.calibration`).  A table registered with ``kinds=`` is an
error in a scene of another kind, and :func:`build_simulation` hands a
non-IK scene to the builder its module put in :data:`BUILDERS`.

The format reference, generated from the same specs, is ``docs/scenes.md``.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import json
import importlib.resources
import math
import os
import pkgutil
import re
import stat
import sys
import tomllib
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import tomli_w

__all__ = [
    "SceneError", "Scene", "Section", "Spec", "section", "target_kind", "SECTIONS",
    "TARGET_KINDS", "load", "loads", "dumps", "default_scene", "override",
    "build_simulation", "reference_markdown", "json_schema", "DEFAULT_SCENE", "BUILDERS", "IK_KIND",
]

DEFAULT_SCENE = "default.toml"      # inside the armsim.scenes package
BIG = 1.0e6                         # largest accepted coordinate or length [m]
SMALL = 1.0e-6                      # smallest accepted segment length [m] (see docs/scenes.md)
MAX_FRAMES = 1_000_000
MAX_SCENE_BYTES = 1 << 20           # a scene file is read up to this size (1 MiB)
SHOWN = 40                          # characters of a user's value echoed in a message
THEMES = ("dark", "light")


class SceneError(ValueError):
    """A scene that cannot be used.

    ``str(err)`` is one line: ``"<file>: <key path>: <what was expected>"``.

    Attributes
    ----------
    source : str   the file (as given) or ``"<string>"``
    key : str      the key path, e.g. ``"arm.lengths[2]"``, or a TOML position
    detail : str   what is wrong
    """

    def __init__(self, source, key, detail):
        self.source, self.key, self.detail = str(source), str(key), str(detail)
        where = f"{self.key}: " if self.key else ""
        super().__init__(f"{self.source}: {where}{self.detail}")


# -- key paths -----------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Where:
    """A position in the scene being checked: file plus key path."""

    source: str
    parts: tuple = ()

    def child(self, key: str) -> "Where":
        return Where(self.source, self.parts + (str(key),))

    def item(self, i: int) -> "Where":
        return Where(self.source, self.parts + (int(i),))

    @property
    def path(self) -> str:
        out = ""
        for p in self.parts:
            if isinstance(p, int):
                out += f"[{p}]"
            else:
                name = p if _BARE.match(p) else '"' + _escape(p) + '"'
                name = shorten(name)
                out += ("." if out else "") + name
        return out

    def fail(self, detail):
        raise SceneError(self.source, self.path, detail)


def shorten(text: str, limit: int = SHOWN) -> str:
    """``text`` as echoed in a message: its first ``limit`` characters, then
    ``...`` and the full length, when it is longer (a 50 MB value gives a short line)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def show(value) -> str:
    """A user's value (string, number, ...) as echoed in a message, shortened."""
    if isinstance(value, str):
        if len(value) <= SHOWN:
            return repr(value)
        return f"{value[:SHOWN]!r}... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 3.33 * SHOWN:   # str() of a huge int is slow, refused past 4300 digits
            n = abs(value)
            digits = int((n.bit_length() - 1) * 0.30102999566398120) + 1
            digits += n >= 10**digits
            return f"an integer of {digits} digits"
        return str(value)
    return shorten(repr(value))


def describe(value) -> str:
    """A TOML value as a user would recognise it in a message."""
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"string {show(value)}"
    if isinstance(value, (int, float)):
        return show(value)
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a table"
    return shorten(f"{type(value).__name__} {value}")      # dates and times


def _suggest(word, choices) -> str:
    if len(str(word)) > 4 * SHOWN:      # difflib is quadratic; a long word is no typo
        return ""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


# -- value specs -----------------------------------------------------------------

class Spec:
    """How one key is checked.  ``expected`` is the phrase used in messages and docs."""

    expected = "a value"

    def parse(self, value, where: Where):
        raise NotImplementedError

    def dump(self, value):
        """The TOML-ready form of a parsed value."""
        return value

    def schema(self) -> dict:
        """The JSON Schema of the values this spec accepts (for editors; the loader
        itself checks with :meth:`parse`, whose messages are the reference)."""
        return {}


def _bound_schema(gt=None, ge=None, lt=None, le=None) -> dict:
    out = {}
    for name, v in (("exclusiveMinimum", gt), ("minimum", ge), ("exclusiveMaximum", lt),
                    ("maximum", le)):
        if v is not None:
            out[name] = v
    return out


def _bound_text(gt=None, ge=None, lt=None, le=None):
    parts = []
    if gt is not None:
        parts.append(f"> {_num(gt)}")
    if ge is not None:
        parts.append(f">= {_num(ge)}")
    if lt is not None:
        parts.append(f"< {_num(lt)}")
    if le is not None:
        parts.append(f"<= {_num(le)}")
    return " and ".join(parts)


def _num(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


class Number(Spec):
    """A finite number (TOML integer or float), stored as float."""

    def __init__(self, gt=None, ge=None, lt=None, le=None, unit=""):
        self.gt, self.ge, self.lt, self.le, self.unit = gt, ge, lt, le, unit
        b = _bound_text(gt, ge, lt, le)
        self.expected = "a number" + (f" {b}" if b else "") + (f" [{unit}]" if unit else "")

    def parse(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            where.fail(f"expected a number, got {describe(value)}")
        try:
            v = float(value)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v):
            where.fail(f"must be a finite number, got {show(value)}")
        for ok, text in ((self.gt is None or v > self.gt, f"> {_num(self.gt)}"),
                         (self.ge is None or v >= self.ge, f">= {_num(self.ge)}"),
                         (self.lt is None or v < self.lt, f"< {_num(self.lt)}"),
                         (self.le is None or v <= self.le, f"<= {_num(self.le)}")):
            if not ok:
                where.fail(f"must be {text}, got {v!r}")
        if v != 0 and abs(v) < sys.float_info.min:     # subnormal: 1/v overflows
            where.fail(f"must be 0 or at least {sys.float_info.min:.4g} in size "
                       f"(a normal float), got {v!r}")
        return v

    def schema(self):
        return {"type": "number", **_bound_schema(self.gt, self.ge, self.lt, self.le)}


class Integer(Spec):
    """A TOML integer (a float such as 2.0 is refused)."""

    def __init__(self, ge=None, le=None, unit=""):
        self.ge, self.le = ge, le
        b = _bound_text(ge=ge, le=le)
        self.expected = "an integer" + (f" {b}" if b else "") + (f" [{unit}]" if unit else "")

    def parse(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int):
            where.fail(f"expected an integer, got {describe(value)}")
        if self.ge is not None and value < self.ge:
            where.fail(f"must be >= {self.ge}, got {show(value)}")
        if self.le is not None and value > self.le:
            where.fail(f"must be <= {self.le}, got {show(value)}")
        return int(value)

    def schema(self):
        return {"type": "integer", **_bound_schema(ge=self.ge, le=self.le)}


class Boolean(Spec):
    expected = "true or false"

    def parse(self, value, where):
        if not isinstance(value, bool):
            where.fail(f"expected true or false, got {describe(value)}")
        return value

    def schema(self):
        return {"type": "boolean"}


class Text(Spec):
    """A non-empty string."""

    expected = "a non-empty string"

    def parse(self, value, where):
        if not isinstance(value, str):
            where.fail(f"expected a string, got {describe(value)}")
        if not value.strip():
            where.fail("must not be empty")
        if "\x00" in value:
            where.fail("must not contain a NUL character")
        return value

    def schema(self):
        return {"type": "string", "minLength": 1, "pattern": "\\S"}


class Choice(Spec):
    """One name out of a tuple (or a function returning it, read at check time,
    so names added by another module are accepted)."""

    def __init__(self, kind, choices, listed_in=""):
        self.kind, self._choices, self.listed_in = kind, choices, listed_in

    @property
    def choices(self):
        return tuple(self._choices() if callable(self._choices) else self._choices)

    @property
    def expected(self):
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def parse(self, value, where):
        if not isinstance(value, str):
            where.fail(f"expected a string ({self.expected}), got {describe(value)}")
        choices = self.choices
        if value not in choices:
            hint = _suggest(value, choices)
            where.fail(f"unknown {self.kind} {show(value)}; choose one of {', '.join(choices)}"
                       + (f" ({hint})" if hint else ""))
        return value

    def schema(self):
        return {"enum": list(self.choices)}


def _plural(expected: str) -> str:
    for one, many in (("a number", "numbers"), ("an integer", "integers"),
                      ('a colour "#rrggbb"', 'colours "#rrggbb"')):
        if expected.startswith(one):
            return many + expected[len(one):]
    return expected


class ListOf(Spec):
    """A TOML array of items of one spec, stored as a tuple."""

    def __init__(self, item: Spec, min_len=1, max_len=None, what=None):
        self.item, self.min_len, self.max_len = item, min_len, max_len
        self.expected = what or "an array of " + _plural(item.expected)

    def parse(self, value, where):
        if not isinstance(value, list):
            where.fail(f"expected {self.expected}, got {describe(value)}")
        if len(value) < self.min_len:
            where.fail(f"must have at least {self.min_len} item(s), got {len(value)}")
        if self.max_len is not None and len(value) > self.max_len:
            where.fail(f"must have at most {self.max_len} item(s), got {len(value)}")
        return tuple(self.item.parse(v, where.item(i)) for i, v in enumerate(value))

    def dump(self, value):
        return [self.item.dump(v) for v in value]

    def schema(self):
        out = {"type": "array", "items": self.item.schema(), "minItems": self.min_len}
        if self.max_len is not None:
            out["maxItems"] = self.max_len
        return out


class Point(ListOf):
    """``[x, y]`` [m]."""

    def __init__(self, gt=None, what="[x, y]"):
        super().__init__(Number(gt=gt, ge=None if gt is not None else -BIG, le=BIG), 2, 2,
                         what=f"{what} (two numbers{' > ' + _num(gt) if gt is not None else ''}) [m]")


class Interval(ListOf):
    """``[lower, upper]`` with lower <= upper."""

    def __init__(self, bound, unit):
        super().__init__(Number(ge=-bound, le=bound), 2, 2,
                         what=f"[lower, upper] with lower <= upper [{unit}]")

    def parse(self, value, where):
        lo, hi = super().parse(value, where)
        if lo > hi:
            where.fail(f"limits reversed: lower {lo!r} > upper {hi!r}")
        return (lo, hi)


class Size(ListOf):
    """``[width, height]`` in pixels."""

    def __init__(self):
        super().__init__(Integer(ge=16, le=4096), 2, 2,
                         what="[width, height] (integers from 16 to 4096) [px]")


class Color(Spec):
    expected = 'a colour "#rrggbb"'
    _HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

    def parse(self, value, where):
        if not isinstance(value, str) or not self._HEX.match(value):
            where.fail(f'expected a colour "#rrggbb", got {describe(value)}')
        return value.lower()

    def schema(self):
        return {"type": "string", "pattern": self._HEX.pattern}


class NumberOrList(Spec):
    """A number, or an array of numbers (one per item of something else)."""

    def __init__(self, number: Number):
        self.number = number
        self.list = ListOf(number)
        self.expected = f"{number.expected}, or an array of them"

    def parse(self, value, where):
        if isinstance(value, list):
            return self.list.parse(value, where)
        return self.number.parse(value, where)

    def dump(self, value):
        return list(value) if isinstance(value, tuple) else value

    def schema(self):
        return {"anyOf": [self.number.schema(), self.list.schema()]}


class Table(Spec):
    """A nested table described by a :class:`Section` dataclass."""

    def __init__(self, cls):
        self.cls = cls
        self.expected = f"a table ({cls.__name__})"

    def parse(self, value, where):
        return self.cls.from_table(value, where)

    def dump(self, value):
        return value.to_table()

    def schema(self):
        return self.cls.json_schema()


def key(spec: Spec, default=MISSING, doc=""):
    """A section field: its spec, its default (none = required) and a one-line doc."""
    return field(default=default, metadata={"spec": spec, "doc": doc})


# -- sections --------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """Base of every section: parsing, checking and dumping from the field specs.

    A subclass is a frozen dataclass whose fields are made with :func:`key`.
    Override :meth:`check` for rules across keys; list extra accepted keys
    (aliases such as ``angles_deg``) in ``extra_keys`` and translate them in
    :meth:`normalize`.
    """

    extra_keys: ClassVar[tuple] = ()
    #: the specs of the alias keys, for the JSON Schema (``{"angles_deg": spec}``)
    alias_specs: ClassVar[dict] = {}

    @classmethod
    def specs(cls):
        return {f.name: f for f in dataclasses.fields(cls) if "spec" in f.metadata}

    @classmethod
    def allowed_keys(cls):
        return tuple(cls.specs()) + tuple(cls.extra_keys)

    @classmethod
    def normalize(cls, table: dict, where: Where) -> dict:
        """Turn alias keys into the canonical ones (``table`` is a copy); record
        which alias was used in ``table["__keys__"]`` for messages."""
        return table

    @classmethod
    def from_table(cls, table, where: Where):
        if not isinstance(table, dict):
            where.fail(f"expected a table, got {describe(table)}")
        allowed = cls.allowed_keys()
        for k in table:
            if k not in allowed:
                hint = _suggest(k, allowed)
                where.child(k).fail("unknown key; " + (hint or "expected one of " + ", ".join(allowed)))
        table = cls.normalize(dict(table), where)
        keys = {name: name for name in cls.specs()}
        keys.update(table.pop("__keys__", {}))
        kwargs = {}
        for name, f in cls.specs().items():
            spec = f.metadata["spec"]
            if name in table:
                kwargs[name] = spec.parse(table[name], where.child(name))
            elif f.default is MISSING:
                where.child(name).fail(f"missing; expected {spec.expected}")
        obj = cls(**kwargs)
        obj.check(where, keys)
        return obj

    def check(self, where: Where, keys: dict) -> None:
        """Rules that involve several keys; call ``where.child(keys[name]).fail(...)``.

        ``keys`` maps each field name to the key the file used for it (an
        alias such as ``angles_deg`` for ``angles``)."""

    @classmethod
    def json_schema(cls) -> dict:
        """A JSON Schema object for this table: its keys, their types and bounds and
        their one-line docs (editors show them); unknown keys are refused."""
        props, required = {}, []
        for name, f in cls.specs().items():
            props[name] = dict(f.metadata["spec"].schema())
            if f.metadata.get("doc"):
                props[name]["description"] = f.metadata["doc"]
            if f.default is MISSING:
                required.append(name)
        for name in cls.extra_keys:
            props[name] = dict(cls.alias_specs[name].schema()) if name in cls.alias_specs else {}
        out = {"type": "object", "properties": props, "additionalProperties": False}
        doc = (cls.__doc__ or "").strip().splitlines()
        if doc:
            out["description"] = doc[0]
        if required:
            out["required"] = required
        return out

    def to_table(self) -> dict:
        out = {}
        for name, f in self.specs().items():
            value = getattr(self, name)
            if value is not None:
                out[name] = f.metadata["spec"].dump(value)
        return out


@dataclass(frozen=True)
class Registered:
    """One entry of :data:`SECTIONS`."""

    cls: type
    required: bool       # the scene must have this table
    implicit: bool       # absent -> the dataclass with its defaults (else None)
    doc: str
    kinds: tuple | None = None   # scene kinds that have this table (None: every kind)
    marks: str = ""              # present -> the scene is of this kind (e.g. "calibration")


#: The kind of a scene without any marking table: an arm chasing a target by IK.
IK_KIND = "ik"


SECTIONS: dict[str, Registered] = {}
TOP_KEYS = {"seed": key(Integer(ge=0, le=2**63 - 1), 0,
                        "seed of every random thing in the run (random targets, ...)")}


def section(name, *, required=False, implicit=True, doc="", kinds=None, marks=""):
    """Class decorator: register a :class:`Section` dataclass as table ``[name]``.

    Parameters
    ----------
    name : str
        The TOML table name.
    required : bool
        A scene (of a kind that has this table) without this table is an error.
    implicit : bool
        When absent (and not required) the scene holds the dataclass built
        from its defaults; otherwise ``None``.
    kinds : tuple of str, optional
        Scene kinds that have this table (default: every kind).  In a scene of
        another kind the table is an error, and it is never implicit there.
    marks : str, optional
        A table that makes the scene of this kind when present (``[calibration]``
        makes a ``"calibration"`` scene); scenes without one are ``"ik"`` scenes.
    """

    def register(cls):
        if name in SECTIONS or name in TOP_KEYS:
            raise ValueError(f"section {name!r} is already registered")
        SECTIONS[name] = Registered(cls, required, implicit, doc or (cls.__doc__ or "").strip().splitlines()[0],
                                    None if kinds is None else tuple(kinds), marks)
        cls.section_name = name
        return cls

    return register


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


# -- targets ---------------------------------------------------------------------

TARGET_KINDS: dict[str, type] = {}


def target_kind(name):
    """Class decorator: register a target kind (``[target] kind = "name"``)."""

    def register(cls):
        if name in TARGET_KINDS:
            raise ValueError(f"target kind {name!r} is already registered")
        TARGET_KINDS[name] = cls
        cls.kind = name
        return cls

    return register


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


# -- the scene -------------------------------------------------------------------

@dataclass
class Scene:
    """A loaded, validated scene.

    Attributes
    ----------
    sections : dict[str, Section]
        One entry per registered section present (or implicit); reach them as
        attributes: ``scene.arm``, ``scene.solver``, ... (``None`` when absent).
    seed : int
    source : str
        The file it came from (as given), ``"<string>"`` otherwise; used in
        messages and to resolve relative output paths.  Not part of equality.
    """

    sections: dict = field(default_factory=dict)
    seed: int = 0
    source: str = field(default="<string>", compare=False)

    @property
    def kind(self) -> str:
        """``"ik"``, or the kind a marking table present makes it (``"calibration"``)."""
        return _kind_of(self.sections)

    def __getattr__(self, name):
        sections = self.__dict__.get("sections")
        if sections is not None and (name in sections or name in SECTIONS):
            return sections.get(name)
        raise AttributeError(name)

    @property
    def folder(self) -> Path:
        """Folder that relative paths of this scene resolve against."""
        if self.source.startswith("<"):
            return Path.cwd()
        return Path(self.source).resolve().parent

    def resolve(self, path) -> Path:
        """``path`` as written in the scene, resolved against :attr:`folder`."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.folder / p

    def to_table(self) -> dict:
        out = {"seed": self.seed}
        for name, sec in self.sections.items():
            if sec is not None:
                out[name] = sec.to_table()
        return out


_REGISTERS = re.compile(r"^@(?:\w+\.)*(?:section|target_kind)\(", re.MULTILINE)


def _discover():
    """Import, once, every module of the armsim package that registers a section
    or a target kind (one whose source has a line starting ``@section(`` or
    ``@target_kind(``), so tables defined elsewhere are known before the first
    load.  Other modules (the renderer, the window) are not imported."""
    if getattr(_discover, "done", False):
        return
    _discover.done = True
    import importlib.util

    import armsim
    for info in pkgutil.iter_modules(armsim.__path__):
        name = f"armsim.{info.name}"
        if info.ispkg or name == __name__:
            continue
        spec = importlib.util.find_spec(name)
        try:
            text = Path(spec.origin).read_text(encoding="utf-8")
        except (OSError, TypeError, ValueError):
            continue
        if _REGISTERS.search(text):
            importlib.import_module(name)


def _kind_of(present) -> str:
    """The scene kind of a document whose tables (names) are ``present``."""
    for name, reg in SECTIONS.items():
        if reg.marks and present.get(name) is not None:
            return reg.marks
    return IK_KIND


def _marker(kind) -> str:
    return next((name for name, reg in SECTIONS.items() if reg.marks == kind), "")


def from_table(table: dict, source="<string>") -> Scene:
    """Validate a parsed TOML document (a dict) into a :class:`Scene`.

    The tables present decide the scene's kind (a ``[calibration]`` table makes
    a calibration scene); a table of another kind is an error."""
    _discover()
    where = Where(str(source))
    allowed = tuple(TOP_KEYS) + tuple(SECTIONS)
    for k, v in table.items():
        if k not in allowed:
            hint = _suggest(k, allowed)
            where.child(k).fail("unknown key; " + (hint or "expected one of " + ", ".join(allowed)))
    seed = TOP_KEYS["seed"].metadata["spec"].parse(table["seed"], where.child("seed")) \
        if "seed" in table else TOP_KEYS["seed"].default
    kind = _kind_of(table)
    sections = {}
    for name, reg in SECTIONS.items():
        if reg.kinds is not None and kind not in reg.kinds:
            if name in table:
                if kind == IK_KIND:
                    marks = " or ".join(f"[{_marker(k)}]" for k in reg.kinds if _marker(k))
                    where.child(name).fail(f"only a scene with {marks} has [{name}]")
                where.child(name).fail(f"a {kind} scene (one with [{_marker(kind)}]) has no [{name}] table")
            continue
        if name in table:
            sections[name] = reg.cls.from_table(table[name], where.child(name))
        elif reg.required:
            where.child(name).fail(f"missing table [{name}]")
        elif reg.implicit:
            sections[name] = reg.cls.from_table({}, where.child(name))
    return Scene(sections=sections, seed=seed, source=str(source))


_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


_LONG_INT = re.compile(r"(?<![\w.])[+-]?[0-9][0-9_]*")
_KEY_AT = re.compile(r"[ \t]*([A-Za-z0-9_.-]+)[ \t]*=")
_HEADER = re.compile(r"^[ \t]*\[\[?([A-Za-z0-9_. -]+)\]\]?", re.MULTILINE)


def _long_integer(text: str, source):
    """The SceneError for a decimal integer longer than Python converts (tomllib
    raises a bare ValueError from ``int()``), at its line and column."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    for m in _LONG_INT.finditer(text):
        digits = sum(ch.isdigit() for ch in m.group())
        if digits > limit:
            start = text.rfind("\n", 0, m.start()) + 1
            line, column = text.count("\n", 0, m.start()) + 1, m.start() - start + 1
            where = f"line {line}, column {column}"
            name = _KEY_AT.match(text, start)
            if name:
                tables = _HEADER.findall(text, 0, start)
                dotted = ".".join(filter(None, (tables[-1].strip() if tables else "", name.group(1))))
                where = f"{shorten(dotted)} (line {line}, column {column})"
            return SceneError(source, where,
                              f"integer of {digits} digits; at most {limit} digits are accepted")
    return SceneError(source, "", "invalid TOML: a number cannot be converted")


def loads(text: str, source="<string>") -> Scene:
    """Parse and validate scene ``text``; ``source`` names it in messages."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _POSITION.search(msg)
        if m:
            raise SceneError(source, f"line {m.group(1)}, column {m.group(2)}",
                             f"invalid TOML: {msg[:m.start()]}") from None
        msg = msg.replace(" (at end of document)", "")
        lines = text.split("\n")
        raise SceneError(source, f"line {len(lines)}, column {len(lines[-1]) + 1}",
                         f"invalid TOML: {msg} (at the end of the file)") from None
    except RecursionError:
        raise SceneError(source, "", "invalid TOML: nested too deeply") from None
    except ValueError:       # int() of a decimal integer over Python's digit limit
        raise _long_integer(text, source) from None
    return from_table(table, source)


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def _read_scene_bytes(path) -> bytes:
    """The bytes of the regular file ``path``, at most :data:`MAX_SCENE_BYTES`.

    The file is opened without blocking (a FIFO with no writer would wait
    forever) and its type checked on the open descriptor before any read, so
    a pipe, a device such as ``/dev/zero`` or a directory is refused at once."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SceneError(path, "", f"cannot read scene file: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")
            raise SceneError(path, "", f"cannot read scene file: it is {what}, not a regular file")
        chunks, size = [], 0
        while size <= MAX_SCENE_BYTES:
            chunk = os.read(fd, MAX_SCENE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SceneError(path, "", f"cannot read scene file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > MAX_SCENE_BYTES:
        raise SceneError(path, "", f"scene file too large: more than {MAX_SCENE_BYTES} bytes (1 MiB)")
    return b"".join(chunks)


def load(path) -> Scene:
    """Load the scene file at ``path`` (str or Path): a regular file of at most
    :data:`MAX_SCENE_BYTES` bytes of UTF-8 TOML."""
    data = _read_scene_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SceneError(path, "", f"not UTF-8 text (byte {exc.start})") from None
    return loads(text, source=str(path))


def default_scene() -> Scene:
    """The built-in scene, shipped inside the package (``armsim/scenes/default.toml``)."""
    res = importlib.resources.files("armsim") / "scenes" / DEFAULT_SCENE
    scene = loads(res.read_text(encoding="utf-8"), source=f"<armsim>/scenes/{DEFAULT_SCENE}")
    return scene


def override(scene: Scene, values: dict) -> Scene:
    """A copy of ``scene`` with keys replaced and validated again.

    ``values`` maps dotted key paths to TOML-like values, e.g.
    ``{"render.fps": 12, "solver.method": "dls", "seed": 3}``.
    """
    table = scene.to_table()
    for dotted, value in values.items():
        parts = dotted.split(".")
        node = table
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return from_table(table, scene.source)


# -- writing TOML ----------------------------------------------------------------

def _escape(s: str) -> str:
    """``s`` inside a TOML basic string (quotes, backslashes and controls escaped)."""
    return json.dumps(s, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f")


def _value(v) -> str:
    """A value as it is written inline in TOML (for the format reference)."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return tomli_w.dumps({"v": v}).split("=", 1)[1].strip()


def dumps(scene: Scene) -> str:
    """The scene as TOML text (written by ``tomli_w``); ``loads(dumps(s)) == s``."""
    return tomli_w.dumps(scene.to_table())


def json_schema() -> dict:
    """A JSON Schema (draft 2020-12) of the scene format, from the same specs as the loader.

    Editors that read JSON Schemas for TOML (Even Better TOML / taplo: a first line
    ``#:schema ./scene.schema.json``) then complete keys, show their docs and flag
    wrong types and bounds as the user types.  The loader stays the reference: rules
    across keys (one angle per segment, limits in order, ...) are checked there only.
    """
    _discover()
    props = {"seed": dict(TOP_KEYS["seed"].metadata["spec"].schema(),
                          description=TOP_KEYS["seed"].metadata["doc"])}
    for name, reg in SECTIONS.items():
        props[name] = dict(reg.cls.json_schema())
        props[name]["description"] = reg.doc
    ik = [n for n, r in SECTIONS.items() if r.required and (r.kinds is None or IK_KIND in r.kinds)]
    marks = [n for n, r in SECTIONS.items() if r.marks]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "armsim scene",
            "description": "A scene file of armsim (TOML). Reference: docs/scenes.md.",
            "type": "object", "properties": props, "additionalProperties": False,
            "anyOf": [{"required": ik}] + [{"required": [m]} for m in marks]}


# -- from a scene to a running simulation ----------------------------------------

def _solver_kwargs(s: SolverSection, source, seed=0) -> dict:
    import inspect

    from armsim.ik import Solver
    kwargs = {"method": s.method, "correction": s.correction,
              "iterations_per_frame": s.iterations_per_frame}
    for name in ("step_size", "max_angular_speed", "damping", "max_joint_step"):
        if getattr(s, name) is not None:
            kwargs[name] = getattr(s, name)
    if s.tolerance is not None:
        kwargs["tol"] = s.tolerance
    if s.restarts:
        if "restarts" not in inspect.signature(Solver).parameters:
            raise SceneError(source, "solver.restarts", "this armsim's solver has no restarts; use 0")
        kwargs["restarts"] = s.restarts
    if "seed" in inspect.signature(Solver).parameters:
        kwargs["seed"] = seed
    return kwargs


#: scene kind -> function(scene) -> simulation, for kinds other than ``"ik"``;
#: the module that owns a kind adds its builder (``armsim.scene.calibration``).
BUILDERS: dict = {}


def build_simulation(scene: Scene):
    """The simulation a scene describes.

    An IK scene gives an :class:`armsim.ik.tracking.Simulation`; with a ``[compare]``
    table it carries a second arm (``sim.companions[0]``) that follows the same
    target with the other solver.  A scene of another kind is built by the
    builder its module registered in :data:`BUILDERS` (a calibration scene
    gives an :class:`armsim.vision.simulation.CalibrationSimulation`).  Every
    simulation has ``step(target=None) -> state``, ``state``, ``reset()`` and
    ``report() -> dict``.
    """
    if scene.kind != IK_KIND:
        _discover()
        return BUILDERS[scene.kind](scene)
    import numpy as np

    from armsim.kinematics.planar import Chain
    from armsim.ik.tracking import Simulation
    from armsim.ik import default_start

    arm = scene.arm
    chain = Chain(arm.lengths, arm.base, arm.limits)
    q0 = default_start(chain) if arm.angles is None else np.array(arm.angles)
    target = scene.target
    if isinstance(target, MouseTarget) and target.start is None:
        target = MouseTarget(tuple(float(v) for v in chain.tip(q0)))
    tol = getattr(target, "tolerance", None)

    def make(solver_section, label):
        path = target.make(chain, scene.seed)
        return Simulation(chain, path, q0, trail_length=scene.render.trail_length, label=label,
                          reach_tolerance=tol,
                          **_solver_kwargs(solver_section, scene.source, scene.seed))

    def label(s):
        return f"{s.method}/{s.correction}" if s.method == "gradient" else s.method

    if scene.compare is None:
        return make(scene.solver, "")
    sim = make(scene.solver, label(scene.solver))
    other = scene.compare.solver(scene.solver)
    sim.add_companion(make(other, scene.compare.label or label(other)))
    return sim


def reference_markdown() -> str:
    """The key reference of every registered section, as Markdown tables."""
    _discover()

    def rows(cls):  # one Markdown row per key
        out = ["| key | type | default | meaning |", "|---|---|---|---|"]
        for name, f in cls.specs().items():
            default = "required" if f.default is MISSING else (
                "none" if f.default is None else "`" + _value(f.metadata["spec"].dump(f.default)) + "`")
            spec = f.metadata["spec"]
            kind = spec.expected
            if getattr(spec, "listed_in", ""):
                kind = f"a name in `{spec.listed_in}` (now {kind})"
            out.append(f"| `{name}` | {kind} | {default} | {f.metadata['doc']} |")
        return out

    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, f in TOP_KEYS.items():
        lines.append(f"| `{name}` | {f.metadata['spec'].expected} | `{f.default}` | {f.metadata['doc']} |")
    for name, reg in SECTIONS.items():
        need = "required" if reg.required else ("optional" if reg.implicit else "optional, off when absent")
        if reg.marks:
            need = f"makes a {reg.marks} scene"
        elif reg.kinds is not None:
            need += " in " + " and ".join(f"{k.upper() if k == IK_KIND else k} scenes" for k in reg.kinds)
        lines += ["", f"### [{name}] ({need})", "", reg.doc, ""]
        if reg.cls is TargetSection:
            lines.append("`kind` (required) is one of " + ", ".join(f"`{k}`" for k in TARGET_KINDS)
                         + "; each kind has its own keys.")
            for kind, cls in TARGET_KINDS.items():
                lines += ["", f"#### kind = \"{kind}\"", "", (cls.__doc__ or "").strip(), ""] + rows(cls)
        else:
            lines += rows(reg.cls)
            for f in reg.cls.specs().values():
                spec = f.metadata["spec"]
                if isinstance(spec, Table):
                    lines += ["", f"#### [{name}.{f.name}]", "", (spec.cls.__doc__ or "").strip(), ""] + rows(spec.cls)
    return "\n".join(lines) + "\n"
