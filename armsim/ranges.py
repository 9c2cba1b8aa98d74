"""The accepted range of each quantity that several layers check, defined once.

The scene's specs (:class:`armsim.scene.schema.Number`), its JSON Schema and the objects
that take the same value through the API (the orbit camera of :mod:`armsim.view.orbit`)
all use the :class:`Range` named here, so a value one accepts is exactly a value the
others accept, and a refused value gets the same words everywhere (:meth:`Range.problem`,
e.g. ``must be <= 170, got 179.5``).  A quantity computed from others (the camera
distance framing an arm's reach, the distance after zooming) is :meth:`Range.clamp`-ed
into its range instead of refused.

This module imports nothing from armsim, so every layer can import it; it also says
what counts as an array of numbers (:func:`real_array`) and as a whole number (:func:`whole`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

__all__ = ["Range", "BIG", "VIEW_AZIMUTH_DEG", "VIEW_ELEVATION_DEG", "VIEW_DISTANCE",
           "VIEW_CENTER", "VIEW_FOV_DEG", "VIEW_ORBIT_DEG_PER_S", "VIEW_ZOOM", "VIEW_RANGES",
           "given", "real_array", "is_whole", "whole", "MAX_SEED", "MAX_ROUNDS", "seed", "rounds"]

#: largest accepted coordinate or length [m] (the scene's ``BIG``)
BIG = 1.0e6
#: largest seed: a scene's ``seed`` and the command line's ``--seed`` / ``--seeds``
MAX_SEED = 2**63 - 1
#: most rounds of a run: a scene's ``max_rounds`` and periods, ``armsim sweep --max-rounds``
MAX_ROUNDS = 10**8


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Range:
    """The finite numbers between ``lo`` and ``hi`` (None = unbounded on that side; an
    end is excluded when ``lo_open`` / ``hi_open``), in ``unit``.  A nonzero value
    smaller in size than the smallest normal float is refused too (its reciprocal
    overflows)."""

    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    lo_open: bool = False
    hi_open: bool = False

    @classmethod
    def bounds(cls, gt=None, ge=None, lt=None, le=None, unit="") -> "Range":
        """The range of the bounds ``> gt`` or ``>= ge``, ``< lt`` or ``<= le``."""
        if (gt is not None and ge is not None) or (lt is not None and le is not None):
            raise ValueError("give one lower bound (gt or ge) and one upper (lt or le)")
        return cls(ge if gt is None else gt, le if lt is None else lt, unit,
                   gt is not None, lt is not None)

    def _ends(self):
        lo = None if self.lo is None else (">" if self.lo_open else ">=", self.lo)
        hi = None if self.hi is None else ("<" if self.hi_open else "<=", self.hi)
        return lo, hi

    def problem(self, value) -> str | None:
        """None if the number ``value`` is in the range, else what is wrong, as one
        phrase (``must be >= 1, got 0.5``); ``value`` is echoed with ``repr``."""
        v = float(value)
        if not math.isfinite(v):
            return f"must be a finite number, got {value!r}"
        for end, inside in zip(self._ends(), (_above, _below)):
            if end is not None and not inside(v, *end):
                return f"must be {end[0]} {_num(end[1])}, got {value!r}"
        if v != 0 and abs(v) < sys.float_info.min:
            zero = all(end is None or inside(0.0, *end)           # (0 itself in the range)
                       for end, inside in zip(self._ends(), (_above, _below)))
            return (f"must be {'0 or ' if zero else ''}at least {sys.float_info.min:.4g} in "
                    f"size (a normal float), got {value!r}")
        return None

    def __contains__(self, value) -> bool:
        return self.problem(value) is None

    def check(self, name, value) -> float:
        """``value`` as a float, or ValueError ``"NAME: <problem>"`` (one line)."""
        if isinstance(value, (bool, str, bytes)):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        try:
            v = float(value)
        except OverflowError:                    # an int too large for a float
            v = math.inf if value > 0 else -math.inf
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a number, got {value!r}") from None
        detail = self.problem(v)
        if detail is not None:
            raise ValueError(f"{name}: {detail}")
        return v

    def clamp(self, value, fallback=None) -> float:
        """``value`` moved into the range (for a computed quantity); NaN gives
        ``fallback`` (default: the lower end, else the upper, else 0)."""
        v = float(value)
        if math.isnan(v):
            v = fallback if fallback is not None else next(
                (e for e in (self.lo, self.hi) if e is not None), 0.0)
            return self.clamp(v) if not math.isnan(float(v)) else 0.0
        if self.lo is not None:
            lo = math.nextafter(self.lo, math.inf) if self.lo_open else float(self.lo)
            v = max(v, lo)
        if self.hi is not None:
            hi = math.nextafter(self.hi, -math.inf) if self.hi_open else float(self.hi)
            v = min(v, hi)
        if v != 0 and abs(v) < sys.float_info.min:
            v = 0.0 if 0.0 in self else math.copysign(sys.float_info.min, v)
        return v

    def text(self) -> str:
        """The bounds as a message or a doc says them: ``> 0 and <= 1e+06``."""
        return " and ".join(f"{op} {_num(x)}" for op, x in filter(None, self._ends()))

    def schema(self) -> dict:
        """The bounds as JSON Schema keywords."""
        out = {}
        if self.lo is not None:
            out["exclusiveMinimum" if self.lo_open else "minimum"] = self.lo
        if self.hi is not None:
            out["exclusiveMaximum" if self.hi_open else "maximum"] = self.hi
        return out


def _above(v, op, x):
    return v > x if op == ">" else v >= x


def _below(v, op, x):
    return v < x if op == "<" else v <= x


# -- the view: the scene's [view] table and armsim.view.orbit.OrbitCamera ---------------

#: camera direction about the vertical axis [deg] (the camera keeps it modulo 360)
VIEW_AZIMUTH_DEG = Range(-1e4, 1e4, "deg")
#: camera height angle above the floor [deg]; +-90 look straight down / up, the image
#: "right" then still follows the azimuth, so the view is defined
VIEW_ELEVATION_DEG = Range(-90, 90, "deg")
#: camera distance from the point looked at [m]; a framing distance computed from an
#: arm's reach is clamped into it (and the near plane, 1 % of it, with it)
VIEW_DISTANCE = Range(1e-6, BIG, "m")
#: each coordinate of the point looked at [m] (computed centres are clamped)
VIEW_CENTER = Range(-BIG, BIG, "m")
#: the angle the shorter side of the picture spans [deg]: from 1 (a focal length of 57 x the
#: shorter side) to 170 (a fisheye's; 180 would put the focal length at 0)
VIEW_FOV_DEG = Range(1, 170, "deg")
#: the slow orbit of the camera [deg/s] (10 turns a second at most)
VIEW_ORBIT_DEG_PER_S = Range(-3600, 3600, "deg/s")
#: wheel zoom keeps the distance within these factors of the initial distance (and
#: within :data:`VIEW_DISTANCE`)
VIEW_ZOOM = Range(0.05, 20.0)

#: the range of each key of a scene's ``[view]`` table (center: of each coordinate)
VIEW_RANGES = {"azimuth_deg": VIEW_AZIMUTH_DEG, "elevation_deg": VIEW_ELEVATION_DEG,
               "distance": VIEW_DISTANCE, "center": VIEW_CENTER, "fov_deg": VIEW_FOV_DEG,
               "orbit_deg_per_s": VIEW_ORBIT_DEG_PER_S}


_FLOAT = np.dtype(float)


def shown(value, size=40) -> str:
    """``value`` as a message shows it: ``str(value)`` in one line (a numpy array's rows,
    a dict of arrays, each on a line of its own, joined by spaces), cut to ``size``
    characters with "..." when longer (a 2-D array's message spanned lines, cut mid-row)."""
    text = " ".join(str(value).split())
    text = text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1]
                                                   for c in text)
    return text if len(text) <= size else text[:size - 3] + "..."


def given(value, size=40) -> str:
    """:func:`shown` of a value where a number was wanted: text quoted (``got '1'``, not
    ``got 1``, which reads as the number)."""
    return shown(repr(value) if isinstance(value, (str, bytes)) else value, size)


def real_array(name, value):
    """``value`` as a float array, or a one-line ValueError naming the argument: complex
    numbers (their imaginary part would be dropped), strings, objects and other non-numbers
    are refused, never converted with a warning."""
    if value.__class__ is np.ndarray and value.dtype is _FLOAT:
        return value            # already one (the common case, and a single solve's cost)
    try:
        a = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        a = None
    if a is not None and a.dtype.kind == "c":
        raise ValueError(f"{name} must be real numbers, got complex numbers "
                         f"({shown(value)})")
    if a is not None and a.dtype.kind == "O":
        raise ValueError(f"{name} must be an array of numbers, got an array of Python "
                         f"objects ({shown(value)})")
    if a is None or a.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be an array of numbers, got {given(value)}")
    return a.astype(float, copy=False)


def is_whole(value) -> bool:
    """Whether ``value`` is a whole number (a whole float counts; not a bool, text, inf or
    NaN, whose int() is wrong or raises)."""
    try:
        return not isinstance(value, (bool, str, bytes)) and int(value) == value
    except (TypeError, ValueError, OverflowError):
        return False


def whole(name, value, low, high=None):
    """``value`` as an int from ``low`` (to ``high``) (:func:`is_whole`), or a one-line
    ValueError naming ``name`` (inf was an OverflowError)."""
    if not (is_whole(value) and low <= value and (high is None or value <= high)):
        span = f">= {low}" if high is None else f"from {low} to {high:,}"
        raise ValueError(f"{name} must be an integer {span}, got {given(value)}")
    return int(value)


def seed(value, name="seed"):
    """``value`` as a seed: an int from 0 to :data:`MAX_SEED`, as a scene and the command
    line take it (numpy took 1.5 and -1 with a message naming nothing), else ValueError."""
    return whole(name, value, 0, MAX_SEED)


def rounds(name, value):
    """``value`` as a count of rounds: an int from 1 to :data:`MAX_ROUNDS`, as a scene and
    the command line take it (0 rounds measure nothing), else ValueError."""
    return whole(name, value, 1, MAX_ROUNDS)
