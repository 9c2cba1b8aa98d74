"""Cameras as 2-D pinholes: the bearing of each joint seen from a focus point.

A camera at focus ``f`` measures, for a point ``p``, the angle of the line
from ``f`` to ``p``: ``atan2(p_y - f_y, p_x - f_x)`` [rad], in the canvas
frame (y down in the ``gecco`` problem, so the angle turns clockwise on
screen), and differences of bearings are wrapped to (-pi, pi] (:func:`wrap`)
so that two directions 1 degree apart on either side of the +-pi cut differ by
1 degree.  The original code measured ``atan`` of the slope ``dy / dx``, in
(-pi/2, pi/2], ambiguous by pi, and took plain (unwrapped) differences; that
observation is kept as a named option (:func:`slope_angle`,
:func:`residuals` with ``observation="atan"``).

Several focuses make a stereo (or multi-view) camera.  Everything here runs
on plain arrays and on :class:`~armsim.ad.dual.Dual` (derivatives included).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.ranges import BIG, shown

__all__ = [
    "CameraSettings", "CAMERA_PRESETS", "wrap", "wrap_positive", "bearings",
    "bearings_of_offsets", "bearing_residuals", "slope_angle", "residuals", "OBSERVATIONS",
]

#: What a camera measures: ``atan2`` (bearing, residuals wrapped) or ``atan`` (the original's
#: angle of the slope, residuals not wrapped)
OBSERVATIONS = ("atan2", "atan")

#: Named camera arrangements of the gecco problem (canvas pixels, y down).
CAMERA_PRESETS = {
    "mono": ((600.0, 300.0),),
    "stereo": ((600.0, 200.0), (600.0, 400.0)),
}


@dataclass(frozen=True)
class CameraSettings:
    """Where the cameras are.

    Attributes
    ----------
    focuses : tuple of (x, y) pairs [px]
        One focus per camera; two or more make a stereo camera.
    """

    focuses: tuple = CAMERA_PRESETS["mono"]

    @classmethod
    def preset(cls, name):
        """``"mono"`` (one focus at (600, 300)) or ``"stereo"`` ((600, 200) and (600, 400))."""
        if name not in CAMERA_PRESETS:
            raise ValueError(f"unknown camera preset {name!r}; choose one of {', '.join(CAMERA_PRESETS)}")
        return cls(focuses=CAMERA_PRESETS[name])

    def validate(self):
        """Raise ``ValueError("focuses: ...")`` unless there is at least one finite (x, y)."""
        try:
            arr = np.array(self.focuses, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"focuses: must be a list of [x, y] pairs of numbers, got {self.focuses!r}") from None
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 1:
            raise ValueError(f"focuses: must be a non-empty list of [x, y] pairs, got {self.focuses!r}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"focuses: every coordinate must be finite, got {self.focuses!r}")
        if np.max(np.abs(arr)) > BIG:    # (a base and a focus 1e308 either side: NaN gradients)
            raise ValueError(f"focuses: every coordinate must be within +-{BIG:.0f} px, got "
                             f"{shown(self.focuses)}")
        return self

    @property
    def array(self):
        """Focus points, ndarray (C, 2) [px]."""
        return np.array(self.focuses, dtype=float).reshape(-1, 2)

    @property
    def count(self) -> int:
        return len(self.focuses)


def wrap(angle):
    """Wrap angles [rad] to (-pi, pi] (arrays; for a Dual use :func:`bearing_residuals`)."""
    a = np.asarray(angle, dtype=float)
    return np.pi - np.mod(np.pi - a, 2.0 * np.pi)


def wrap_positive(angle):
    """Wrap angles [rad] to [0, 2 pi)."""
    return np.mod(np.asarray(angle, dtype=float), 2.0 * np.pi)


def bearings_of_offsets(offsets):
    """Bearing of each offset vector (point minus focus).

    Parameters
    ----------
    offsets : ndarray or Dual, shape (..., 2) [px]

    Returns
    -------
    ndarray or Dual, shape (...) [rad] in (-pi, pi]; the derivative of a
    point on the focus itself is taken as 0 (finite, see ``dual.atan2``).
    """
    return ad.atan2(offsets[..., 1], offsets[..., 0])


def bearings(points, focuses):
    """Bearings of points seen from every focus.

    Parameters
    ----------
    points : ndarray or Dual, shape (..., M, 2) [px]
    focuses : array_like, shape (C, 2) [px]

    Returns
    -------
    ndarray or Dual, shape (..., M, C) [rad]
    """
    focuses = np.asarray(focuses, dtype=float).reshape(-1, 2)
    shape = ad.value_of(points).shape
    expanded = ad.reshape(points, shape[:-1] + (1, 2))         # (..., M, 1, 2)
    return bearings_of_offsets(expanded - focuses)              # (..., M, C, 2) -> (..., M, C)


def bearing_residuals(seen, reference):
    """Wrapped difference ``seen - reference`` in (-pi, pi], derivatives kept.

    Wrapping subtracts a whole number of turns, a constant, so the tangent
    of ``seen`` passes through unchanged.

    Parameters
    ----------
    seen : ndarray or Dual, shape S [rad]
    reference : ndarray, shape broadcastable to S [rad]
    """
    diff = ad.value_of(seen) - reference
    turns = 2.0 * math.pi * np.floor((math.pi - diff) / (2.0 * math.pi))
    # wrap(d) = d + 2 pi floor((pi - d) / 2 pi); the added constant has no derivative
    return seen - (reference - turns)


def slope_angle(bearing):
    """``atan(dy / dx)`` from the bearing ``atan2(dy, dx)``: the bearing moved by a whole
    number of half turns into (-pi/2, pi/2], derivatives kept.

    Equal to ``arctan(dy / dx)`` wherever ``dx != 0`` (and to pi/2 on ``dx == 0``,
    where the slope is infinite), with the same derivative
    ``(dx ddy - dy ddx) / (dx^2 + dy^2)``, finite everywhere but on the focus.

    Parameters
    ----------
    bearing : ndarray or Dual [rad] in (-pi, pi]
    """
    v = ad.value_of(bearing)
    return bearing + math.pi * np.floor((0.5 * math.pi - v) / math.pi)


def residuals(seen, reference, observation="atan2"):
    """Residual of an observation against the reference's, derivatives kept.

    ``"atan2"``: the wrapped difference (:func:`bearing_residuals`); ``"atan"``:
    the plain difference ``seen - reference`` of slope angles, not wrapped.
    """
    if observation == "atan":
        return seen - reference
    if observation == "atan2":
        return bearing_residuals(seen, reference)
    raise ValueError(f"unknown observation {observation!r}; choose one of {', '.join(OBSERVATIONS)}")
