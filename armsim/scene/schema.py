"""The scene format's spec library: typed keys, tables, the registry and one-line errors.

Each table of a scene is a frozen dataclass (:class:`Section`) whose fields are made with
:func:`key`: a :class:`Spec` (type, bounds, the phrase used in messages and docs), a default
and a one-line doc.  :meth:`Section.from_table` checks every key and raises a
:class:`SceneError` naming the file, the key path and what was expected::

    scenes/x.toml: arm.lengths[2]: must be >= 1e-06, got -1.0

Tables register with :func:`section` (target kinds with :func:`target_kind`); each spec also
gives its JSON Schema (:meth:`Spec.schema`), so editors can check scene files as they are typed.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from dataclasses import MISSING, dataclass, field
from typing import ClassVar

from armsim.files import short_name
from armsim.ranges import BIG, MAX_SEED, Range  # BIG: largest accepted coordinate or length [m]

DEFAULT_SCENE = "default.toml"      # inside the armsim.scene package
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
        super().__init__(f"{short_name(self.source)}: {where}{self.detail}")   # (a long one cut)


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


def missing(table, where: Where, name, expected, known=()):
    """Fail for the required key ``name`` absent from ``table`` (``expected``: what it
    takes).  A key of ``table`` that is no key of ``known`` and reads as a misspelling of
    ``name`` is named first, with the suggestion (``knid``: not "kind: missing")."""
    for k in table:
        if k not in known and _suggest(k, (name,)):
            where.child(k).fail(f"unknown key; did you mean {name!r}?")
    where.child(name).fail(f"missing; expected {expected}")


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
    """A finite number (TOML integer or float), stored as float, within a
    :class:`~armsim.ranges.Range` (from the bounds given, or ``range``: a range other
    layers check too, so they accept the same values and refuse them in the same words)."""

    def __init__(self, gt=None, ge=None, lt=None, le=None, unit="", range=None):
        if range is None:
            range = Range.bounds(gt, ge, lt, le, unit)
        self.range, self.unit = range, unit or range.unit
        b = range.text()
        self.expected = ("a number" + (f" {b}" if b else "")
                         + (f" [{self.unit}]" if self.unit else ""))

    def parse(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            where.fail(f"expected a number, got {describe(value)}")
        try:
            v = float(value)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v):
            where.fail(f"must be a finite number, got {show(value)}")
        detail = self.range.problem(v)
        if detail is not None:
            where.fail(detail)
        return v

    def schema(self):
        return {"type": "number", **self.range.schema()}


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


class Reasoned(Number):
    """A :class:`Number` whose out-of-range message ends with why the range is what it is."""

    def __init__(self, range, why):
        super().__init__(range=range)
        self.why = why

    def parse(self, value, where):
        try:
            return super().parse(value, where)
        except SceneError as exc:
            if not exc.detail.startswith("must be >") and not exc.detail.startswith("must be <"):
                raise
            where.fail(f"{exc.detail} ({self.why})")


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
        doc = first_paragraph(cls.__doc__)
        if doc:
            out["description"] = doc
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
TOP_KEYS = {"seed": key(Integer(ge=0, le=MAX_SEED), 0,
                        "seed of every random thing in the run (random targets, ...)")}


def first_paragraph(doc) -> str:
    """A docstring's first paragraph on one line (a sentence may run over several lines)."""
    lines = []
    for line in (doc or "").strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


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
        SECTIONS[name] = Registered(cls, required, implicit, doc or first_paragraph(cls.__doc__),
                                    None if kinds is None else tuple(kinds), marks)
        cls.section_name = name
        return cls

    return register



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


def target_keys() -> set:
    """The keys of every target kind (a key none of them has may be a misspelt ``kind``)."""
    return {k for cls in TARGET_KINDS.values() for k in cls.allowed_keys()}


def _escape(s: str) -> str:
    """``s`` inside a TOML basic string (quotes, backslashes and controls escaped)."""
    return json.dumps(s, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f")
