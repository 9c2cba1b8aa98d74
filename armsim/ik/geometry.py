"""Distances written with :mod:`armsim.ad.dual`'s operators, so objectives built on them
get their Jacobian from forward-mode AD (no derivative is written by hand here).

Every function takes plain arrays or :class:`~armsim.ad.dual.Dual` values with a
leading batch axis and returns the same kind.  ``chain_points`` gives the points the
links run between: for a planar :class:`~armsim.kinematics.planar.Chain` the base, each
joint and the tip (B, N + 1, 2); for a :class:`~armsim.kinematics.spatial.SpatialChain`
the base, the origin of every link frame and the tool (B, n + 2, 3) (consecutive points
may coincide: a zero-length segment is a point).
"""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad
from armsim.kinematics.planar import joint_positions

__all__ = ["chain_points", "is_spatial", "dot", "norm", "point_segment_distance",
           "segment_distances", "point_at"]

EPS2 = 1e-24    # [m^2] a segment shorter than 1e-12 m counts as a point


def is_spatial(chain) -> bool:
    return hasattr(chain, "pose_and_jacobian")


def chain_points(chain, q):
    """Base, joints (link origins) and tip/tool: (B, P, 2) planar, (B, P, 3) spatial."""
    if is_spatial(chain):
        return chain.frames(q)[1]
    return joint_positions(q, chain.lengths, chain.base)


def dot(a, b):
    """Sum over the last axis of ``a * b``."""
    return ad.sum(a * b, axis=-1)


def norm(a):
    """Euclidean length over the last axis (derivative 0 at 0)."""
    return ad.sqrt(dot(a, a))


def point_segment_distance(p, a, b):
    """Distance from points ``p`` to segments ``a``-``b`` (broadcast over leading axes; the
    last axis is the coordinate).  Returns ``(distance, t)``: t in [0, 1] locates the
    nearest point ``a + t (b - a)``."""
    ab = b - a
    ap = p - a
    den = dot(ab, ab)
    den_v = ad.value_of(den)
    safe = ad.where(den_v > EPS2, den, np.ones_like(den_v))
    t = ad.clip(dot(ap, ab) / safe, 0.0, 1.0)
    t = ad.where(den_v > EPS2, t, np.zeros_like(den_v))
    nearest = a + ad.reshape(t, np.shape(ad.value_of(t)) + (1,)) * ab
    return norm(p - nearest), t


def segment_distances(points, center):
    """Distance from ``center`` (d,) to every link segment: points (B, P, d) -> (B, P - 1)."""
    a, b = points[:, :-1], points[:, 1:]
    c = np.asarray(center, dtype=float)
    return point_segment_distance(c, a, b)[0]


def point_at(points, s):
    """The point ``s`` along the chain (B, d): ``s = k`` is ``points[:, k]`` (0 the base),
    a fraction lies on the link from ``floor(s)`` to ``floor(s) + 1``."""
    k = int(np.floor(s))
    last = ad.value_of(points).shape[1] - 1
    k = min(max(k, 0), last)
    frac = float(s) - k
    if frac <= 0.0 or k == last:
        return points[:, k]
    return points[:, k] * (1.0 - frac) + points[:, k + 1] * frac
