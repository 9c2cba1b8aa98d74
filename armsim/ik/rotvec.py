"""The rotation vector of one rotation matrix given as nine floats, written so that it runs
both on Python floats (the generated float pass of :mod:`armsim.ik.spatial_scalar` calls
:func:`wide`) and compiled by numba (:mod:`armsim.ik._kernel` calls both)."""

from __future__ import annotations

import math

__all__ = ["small", "wide"]


def small(m00, m01, m02, m10, m11, m12, m20, m21, m22):
    """The rotation vector of M whose angle is at most pi/2 (``trace(M) >= 1``):
    :func:`armsim.kinematics.spatial.rotation_vector_one`'s arithmetic."""
    c = 0.5 * (m00 + m11 + m22 - 1.0)
    if c > 1.0:
        c = 1.0
    u0, u1, u2 = 0.5 * (m21 - m12), 0.5 * (m02 - m20), 0.5 * (m10 - m01)
    s = math.sqrt(u0 * u0 + u1 * u1 + u2 * u2)
    k = math.atan2(s, c) / (s if s > 1e-300 else 1e-300)
    return u0 * k, u1 * k, u2 * k


def wide(m00, m01, m02, m10, m11, m12, m20, m21, m22):
    """The rotation vector of M past pi/2: the axis from the largest column of the
    symmetric part ``(M + M^T) / 2 - cos I`` (:func:`rotation_vector`'s rule) on floats."""
    c = max(0.5 * (m00 + m11 + m22 - 1.0), -1.0)
    v0, v1, v2 = 0.5 * (m21 - m12), 0.5 * (m02 - m20), 0.5 * (m10 - m01)
    angle = math.atan2(math.sqrt(v0 * v0 + v1 * v1 + v2 * v2), c)
    s00, s11, s22 = m00 - c, m11 - c, m22 - c
    s01, s02, s12 = 0.5 * (m01 + m10), 0.5 * (m02 + m20), 0.5 * (m12 + m21)
    # the first largest diagonal entry's column
    if s00 >= s11 and s00 >= s22:
        c0, c1, c2 = s00, s01, s02
    elif s11 >= s22:
        c0, c1, c2 = s01, s11, s12
    else:
        c0, c1, c2 = s02, s12, s22
    size = math.sqrt(c0 * c0 + c1 * c1 + c2 * c2)
    k = (-angle if c0 * v0 + c1 * v1 + c2 * v2 < 0.0 else angle) / size
    return c0 * k, c1 * k, c2 * k
