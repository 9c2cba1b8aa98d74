"""Pinhole cameras in 3D: pose, intrinsics, the projection of points to pixels.

A camera's pose is its rotation ``R = rpy_matrix(rpy)`` (world from camera; roll,
pitch, yaw about the fixed x, y, z axes, as for URDF origins) and the position ``c``
[m] of its optical centre in the world.  Camera axes follow the image: x to the right,
y down, z along the optical axis.  A world point ``X`` is at ``X_c = R^T (X - c)`` in
the camera and at pixel

    u = fx * x_c / z_c + cx,     v = fy * y_c / z_c + cy     [px]

on an image of ``width`` x ``height`` pixels (pixel centres at integer coordinates,
the image covering ``[-0.5, width - 0.5) x [-0.5, height - 0.5)``).

:func:`project` is written with the operators of :mod:`armsim.ad.dual`, so it runs on
arrays and on :class:`~armsim.ad.dual.Dual` (points, rotation and position may each be
either): one forward pass with tangents seeded on the parameters differentiates every
pixel.  :func:`observe` adds Gaussian pixel noise and drops points behind the camera,
outside the image or (optionally) hidden behind a link capsule (:func:`occluded`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from armsim.ad import dual as ad
from armsim.kinematics.spatial import matrix_rpy, rpy_matrix
from armsim.ranges import Range

__all__ = ["Intrinsics", "Camera", "project", "visible", "occluded", "observe", "NEAR",
           "FOCAL", "FOCAL_WHY", "principal_problem"]

#: points nearer than this along the optical axis [m] count as behind the camera
NEAR = 1e-3
#: accepted focal lengths fx, fy [px] (a scene's bounds too), and why, as messages say it
FOCAL = Range(1.0, 1.0e6, "px")
FOCAL_WHY = ("a focal length in pixels, width / (2 tan(field of view / 2)), is hundreds to "
             "thousands for a real camera; at 1 px one pixel spans 45 degrees")


def principal_problem(centre, size, side="width"):
    """None if the principal point coordinate ``centre`` [px] lies within one image ``size``
    [px] (its ``side``, ``"width"`` or ``"height"``) of an image that covers
    ``[-0.5, size - 0.5)``, else what is wrong, as one phrase with the range and why."""
    lo, hi = -0.5 - size, 2 * size - 0.5
    if lo <= centre <= hi:
        return None
    extent = "wide" if side == "width" else "high"
    return (f"must be from {lo:.10g} to {hi:.10g} for an image {size} px {extent}, "
            f"got {centre!r} (the principal point, where the optical axis meets the image, "
            f"is near its middle, {(size - 1) / 2:.10g}, in a real camera; this allows one "
            f"image {side} beyond either edge)")


@dataclass(frozen=True)
class Intrinsics:
    """Focal lengths ``fx``, ``fy`` [px], principal point ``cx``, ``cy`` [px], image size [px]."""

    fx: float = 600.0
    fy: float = 600.0
    cx: float = 319.5
    cy: float = 239.5
    width: int = 640
    height: int = 480

    def validate(self):
        for name in ("fx", "fy", "cx", "cy"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v)):
                raise ValueError(f"{name}: must be a finite number, got {v!r}")
        for name in ("fx", "fy"):
            detail = FOCAL.problem(getattr(self, name))
            if detail is not None:
                raise ValueError(f"{name}: {detail} ({FOCAL_WHY})")
        for name in ("width", "height"):
            v = getattr(self, name)
            if not (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 100_000):
                raise ValueError(f"{name}: must be an integer in [1, 100000], got {v!r}")
        for name, side in (("cx", "width"), ("cy", "height")):
            detail = principal_problem(getattr(self, name), getattr(self, side), side)
            if detail is not None:
                raise ValueError(f"{name}: {detail}")
        return self


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: pose (``rpy`` [rad], ``position`` [m], world from camera) and
    :class:`Intrinsics`."""

    rpy: tuple = (0.0, 0.0, 0.0)
    position: tuple = (0.0, 0.0, 0.0)
    intrinsics: Intrinsics = field(default_factory=Intrinsics)

    def validate(self):
        """Raise ``ValueError("<field>: ...")`` naming the first bad field: ``rpy`` and
        ``position`` three finite numbers each, the :class:`Intrinsics` valid."""
        for name in ("rpy", "position"):
            v = getattr(self, name)
            try:
                a = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                a = None
            if a is None or a.shape != (3,) or not np.isfinite(a).all():
                raise ValueError(f"{name}: must be three finite numbers, got {str(v)[:60]}")
        if not isinstance(self.intrinsics, Intrinsics):
            raise ValueError(f"intrinsics: must be an Intrinsics, got {str(self.intrinsics)[:40]}")
        self.intrinsics.validate()
        return self

    @classmethod
    def look_at(cls, eye, target, up=(0.0, 0.0, 1.0), roll=0.0, intrinsics=None):
        """A camera at ``eye`` [m] whose optical axis points at ``target``, image "up"
        towards ``up`` (then turned by ``roll`` [rad] about the optical axis)."""
        eye, target, up = (np.asarray(a, dtype=float) for a in (eye, target, up))
        z = target - eye
        if np.linalg.norm(z) < 1e-12:
            raise ValueError("look_at: eye and target must differ")
        z = z / np.linalg.norm(z)
        scale = np.max(np.abs(up))
        if not scale > 0:
            raise ValueError("look_at: up must not be [0, 0, 0]; image up is towards it, "
                             "e.g. [0, 0, 1]")
        up = up / scale                      # (so a tiny up is no 'parallel' up)
        x = np.cross(z, up)                  # image right = forward x up (y is down)
        if np.linalg.norm(x) < 1e-9:
            raise ValueError("look_at: the optical axis must not be parallel to up")
        x = x / np.linalg.norm(x)
        y = np.cross(z, x)
        c, s = np.cos(roll), np.sin(roll)
        x, y = c * x + s * y, -s * x + c * y
        R = np.stack([x, y, z], axis=1)
        return cls(tuple(matrix_rpy(R)), tuple(eye), intrinsics or Intrinsics())

    @property
    def rotation(self):
        """World-from-camera rotation (3, 3)."""
        return rpy_matrix(np.asarray(self.rpy, dtype=float))

    @property
    def pose(self):
        """The six pose numbers: rpy then position, ndarray (6,)."""
        return np.concatenate([np.asarray(self.rpy, float), np.asarray(self.position, float)])

    def project(self, points):
        """Pixels (..., 2) and depths (...) of world points (..., 3)."""
        return project(points, self.rotation, np.asarray(self.position, float), self.intrinsics)


def project(points, rotation, position, intrinsics):
    """Project world points through a pinhole camera.

    Parameters
    ----------
    points : ndarray or Dual (..., 3) [m]
    rotation : ndarray or Dual (3, 3)   world from camera
    position : ndarray or Dual (3,) [m] optical centre in the world
    intrinsics : :class:`Intrinsics`

    Returns
    -------
    pixels : ndarray or Dual (..., 2) [px] (a point nearer than :data:`NEAR` as if at NEAR);
    depth : ndarray or Dual (...) [m] (z in the camera)
    """
    k = intrinsics
    offset = points - position                       # (..., 3)
    local = ad.matmul(offset, rotation)              # row vectors: (X - c)^T R = (R^T (X - c))^T
    depth = local[..., 2]
    # a point nearer than NEAR (never visible) is projected as if at NEAR: its pixels stay
    # finite (1e-300 m deep they overflowed; on the centre they were NaN) and continuous,
    # and one behind the camera lands far off the image, not mirrored onto it
    near = ad.maximum(depth, NEAR)
    u = k.fx * (local[..., 0] / near) + k.cx
    v = k.fy * (local[..., 1] / near) + k.cy
    return ad.stack([u, v], axis=-1), depth


def visible(pixels, depth, intrinsics):
    """Mask (...) of points in front of the camera and inside the image."""
    px, d = ad.value_of(pixels), ad.value_of(depth)
    k = intrinsics
    with np.errstate(invalid="ignore"):
        return ((d > NEAR) & (px[..., 0] >= -0.5) & (px[..., 0] < k.width - 0.5)
                & (px[..., 1] >= -0.5) & (px[..., 1] < k.height - 0.5))


def _segment_distance(p0, p1, q0, q1):
    """Smallest distance between segments p0-p1 and q0-q1 (broadcast over leading axes)."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a = np.einsum("...i,...i->...", d1, d1)
    e = np.einsum("...i,...i->...", d2, d2)
    f = np.einsum("...i,...i->...", d2, r)
    c = np.einsum("...i,...i->...", d1, r)
    b = np.einsum("...i,...i->...", d1, d2)
    denom = a * e - b * b
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denom > 1e-18, np.clip((b * f - c * e) / denom, 0.0, 1.0), 0.0)
        t = np.where(e > 1e-18, (b * s + f) / e, 0.0)
        # t outside [0, 1], or q0-q1 a point: clamp t and recompute s for that end
        t_c = np.clip(t, 0.0, 1.0)
        s = np.where((t == t_c) & (e > 1e-18), s,
                     np.where(a > 1e-18, np.clip((b * t_c - c) / a, 0.0, 1.0), 0.0))
    t = t_c
    gap = (p0 + s[..., None] * d1) - (q0 + t[..., None] * d2)
    return np.sqrt(np.einsum("...i,...i->...", gap, gap))


def occluded(centre, points, links, radius, own=None):
    """Mask (B, P) of points hidden from ``centre`` behind a link capsule.

    Parameters
    ----------
    centre : (3,) the camera's optical centre [m]
    points : ndarray (B, P, 3) the observed points (joints, tool) of B poses [m]
    links : sequence of L (i, j) index pairs into the P points: capsule axes
    radius : float  capsule radius [m]
    own : bool array (L, P), optional  ``own[l, p]``: capsule ``l`` is one of point ``p``'s
        own and never hides it; default: the capsules that end at the point

    A point is hidden when its line of sight (the whole segment from ``centre`` to the
    point) passes within ``radius`` of the axis of a capsule that is not its own: the
    point is behind or inside a link it does not belong to.  The distances do not
    depend on ``radius``, so a larger radius hides every point a smaller one hides.
    """
    points = np.asarray(points, dtype=float)
    centre = np.asarray(centre, dtype=float)
    links = list(links)
    if own is None:
        own = np.zeros((len(links), points.shape[1]), dtype=bool)
        for k, (i, j) in enumerate(links):
            own[k, [i, j]] = True
    own = np.asarray(own, dtype=bool)
    if own.shape != (len(links), points.shape[1]):
        raise ValueError(f"own: must be {len(links)} x {points.shape[1]} flags (links x "
                         f"points), got shape {own.shape}")
    start = np.broadcast_to(centre, points.shape)
    hidden = np.zeros(points.shape[:2], dtype=bool)
    for k, (i, j) in enumerate(links):
        a, b = points[:, i, None], points[:, j, None]                 # (B, 1, 3)
        hidden |= (_segment_distance(start, points, a, b) < radius) & ~own[k]
    return hidden


def observe(camera, points, sigma=0.0, rng=None, links=None, radius=None, own=None):
    """What ``camera`` sees of world points (B, P, 3): noisy pixels and the mask.

    Returns ``(pixels (B, P, 2) [px], seen (B, P) bool)``: the true projection plus
    independent Gaussian noise of standard deviation ``sigma`` [px] on each coordinate
    (drawn from ``rng`` for every point, seen or not, so the draws do not depend on
    the mask), and the points in front of the camera, inside the image and (when
    ``links`` and ``radius`` are given) not hidden behind a link capsule
    (:func:`occluded`, with ``own``).
    """
    pixels, depth = camera.project(points)
    seen = visible(pixels, depth, camera.intrinsics)
    if links is not None and radius:
        seen &= ~occluded(camera.position, points, links, radius, own)
    if sigma:
        if rng is None:
            raise ValueError("observe: a noise level needs an rng")
        pixels = pixels + rng.normal(0.0, sigma, size=pixels.shape)
    return pixels, seen
