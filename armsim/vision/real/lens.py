"""OpenCV's lens distortion model on pixels, both ways, in numpy.

A point ``(x, y)`` of the normalised image plane (``x = X / Z``, ``y = Y / Z``) is seen at

    r2 = x^2 + y^2,   radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3
    x_d = x radial + 2 p1 x y + p2 (r2 + 2 x^2)
    y_d = y radial + p1 (r2 + 2 y^2) + 2 p2 x y

and at pixel ``(fx x_d + cx, fy y_d + cy)``.  :func:`undistort` inverts it by Newton's
method.  The radial part is a lens only out to :func:`fold`, the radius where the distorted
radius ``r radial`` stops growing (k1 < 0 or k2 < 0 ...): past it a point farther off the
axis is drawn nearer the centre, and one far enough lands on the image again.  Used by
:mod:`armsim.vision.real.corners`: a marker's edges are straight in the undistorted image,
so the lines are fitted there.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["distort", "undistort", "fold", "Lens"]


def fold(d):
    """The squared normalised radius ``r2`` (``x^2 + y^2``) at which the radial distortion of
    ``d`` (k1, k2, p1, p2, k3) turns back, or inf: the smallest ``r2 > 0`` where
    ``d (r radial) / d r = 1 + 3 k1 r2 + 5 k2 r2^2 + 7 k3 r2^3`` is 0."""
    k1, k2, _, _, k3 = (float(v) for v in d)
    return _fold(k1, k2, k3)


@functools.lru_cache(maxsize=256)
def _fold(k1, k2, k3):
    if not all(math.isfinite(k) for k in (k1, k2, k3)):
        return math.inf
    found = math.inf
    for u in np.roots([7.0 * k3, 5.0 * k2, 3.0 * k1, 1.0]):   # (leading zeros dropped)
        if abs(u.imag) > 1e-9 * max(1.0, abs(u)) or not u.real > 0.0:
            continue
        u = float(u.real)
        for _ in range(3):                              # polished by Newton's method
            slope = 3.0 * k1 + u * (10.0 * k2 + u * 21.0 * k3)
            if slope == 0.0:
                break
            u -= (1.0 + u * (3.0 * k1 + u * (5.0 * k2 + u * 7.0 * k3))) / slope
        if u > 0.0:
            found = min(found, u)
    return found


def distort(xy, d):
    """Distorted normalised points (..., 2) of ``xy`` (..., 2); ``d``: (k1, k2, p1, p2, k3)."""
    k1, k2, p1, p2, k3 = (float(v) for v in d)
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    return np.stack([x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
                     y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y], axis=-1)


def _jacobian(xy, d):
    k1, k2, p1, p2, k3 = (float(v) for v in d)
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    slope = 2 * (k1 + r2 * (2 * k2 + 3 * k3 * r2))       # d radial / d r2, times 2
    xx = radial + x * slope * x + 2 * p1 * y + 6 * p2 * x
    xy_ = x * slope * y + 2 * p1 * x + 2 * p2 * y
    yx = y * slope * x + 2 * p1 * x + 2 * p2 * y
    yy = radial + y * slope * y + 6 * p1 * y + 2 * p2 * x
    return xx, xy_, yx, yy


def undistort(xy_d, d, iterations=20):
    """The normalised points (..., 2) that :func:`distort` maps to ``xy_d`` (Newton's
    method from ``xy_d``; to rounding for the distortion of real lenses)."""
    xy_d = np.asarray(xy_d, float)
    xy = xy_d.copy()
    for _ in range(iterations):
        r = distort(xy, d) - xy_d
        a, b, c, e = _jacobian(xy, d)
        det = a * e - b * c
        step = np.stack([(e * r[..., 0] - b * r[..., 1]) / det,
                         (a * r[..., 1] - c * r[..., 0]) / det], axis=-1)
        xy = xy - step
        if np.max(np.abs(step), initial=0.0) < 1e-13:
            break
    return xy


class Lens:
    """A camera's intrinsics and distortion acting on pixels.

    fx, fy, cx, cy : float [px]; distortion : (k1, k2, p1, p2, k3)
    """

    def __init__(self, fx, fy, cx, cy, distortion=(0.0,) * 5):
        self.f = np.array([fx, fy], float)
        self.c = np.array([cx, cy], float)
        self.d = tuple(float(v) for v in distortion)

    @classmethod
    def of(cls, camera):
        """The lens of a :class:`~armsim.vision.real.setup.Camera`, or None for none."""
        return None if camera is None else cls(camera.fx, camera.fy, camera.cx, camera.cy,
                                               camera.distortion)

    @property
    def distorts(self) -> bool:
        return any(self.d)

    def undistort(self, uv):
        """Pixels (..., 2) seen -> pixels (..., 2) an ideal pinhole camera would see."""
        return undistort((np.asarray(uv, float) - self.c) / self.f, self.d) * self.f + self.c

    def distort(self, uv):
        """Pixels (..., 2) of the ideal pinhole camera -> pixels (..., 2) seen."""
        return distort((np.asarray(uv, float) - self.c) / self.f, self.d) * self.f + self.c
