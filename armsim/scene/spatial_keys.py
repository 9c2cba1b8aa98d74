"""The spatial keys a target kind may have (an orientation, weights) and their checks,
shared by ``[target]`` and a whole robot's ``[[tool]]`` (:mod:`armsim.scene.sections`)."""

from __future__ import annotations

import math

from armsim.ranges import Range
from armsim.scene.schema import BIG, ListOf, Number, Reasoned, key

__all__ = ["DHRow", "_Spatial", "_quaternion_key", "_rpy_key", "_weights_key", "_unit_quaternion",
           "_QUATERNION", "_RPY", "_WEIGHTS"]

_QUATERNION = ListOf(Number(ge=-BIG, le=BIG), 4, 4, what="[w, x, y, z] (a unit quaternion)")
#: an orientation's angles: within one turn either way, which holds every orientation (a value
#: past it is most likely degrees)
_RPY = ListOf(Reasoned(Range(-2.0 * math.pi, 2.0 * math.pi, "rad"),
                       "in radians: one turn either way holds every orientation; 90 degrees "
                       "is 1.5708 rad"), 3, 3, what="[roll, pitch, yaw] [rad], each within +-2 pi")
_WEIGHTS = ListOf(Number(ge=0, le=BIG), 3, 6,
                  what="3 numbers >= 0 (x, y, z), or 6 with an orientation (x, y, z, rx, ry, rz)")


class DHRow(ListOf):
    """One Denavit-Hartenberg row ``[a, alpha, d, theta]``: the lengths ``a``, ``d`` and the
    angles within the ranges a chain takes (:mod:`armsim.kinematics.validate`), so a value
    out of them is named at its item (``arm.dh[0][0]``) and the reference states them."""

    def __init__(self):
        from armsim.kinematics.validate import ANGLE_RANGE, LENGTH_RANGE
        length, angle = (Number(ge=r[0], le=r[1], unit=r[2]) for r in (LENGTH_RANGE, ANGLE_RANGE))
        self.columns = (length, angle, length, angle)
        super().__init__(Number(ge=-BIG, le=BIG), 4, 4, what=(
            f"[a, alpha, d, theta] [m, rad, m, rad] (a, d within +-{LENGTH_RANGE[1]:g} m)"))

    def parse(self, value, where):
        row = super().parse(value, where)
        return tuple(spec.parse(x, where.item(i)) for i, (x, spec) in
                     enumerate(zip(row, self.columns)))

    def schema(self):
        return {"type": "array", "prefixItems": [c.schema() for c in self.columns],
                "items": False, "minItems": 4, "maxItems": 4}


def _quaternion_key():
    return key(_QUATERNION, None, "spatial: the target's orientation as a unit quaternion "
                                  "(scalar first; or `rpy`)")


def _rpy_key():
    return key(_RPY, None, "spatial: the target's orientation as roll, pitch, yaw about the "
                           "fixed x, y, z axes (or `quaternion`)")


def _weights_key():
    return key(_WEIGHTS, None, "spatial: per-axis weights of the error, 0 masks an axis "
                               "(default all 1)")


def _unit_quaternion(q, where):
    from armsim.kinematics.spatial import QUATERNION_TOL
    size = math.sqrt(sum(x * x for x in q))
    if not abs(size - 1.0) <= QUATERNION_TOL:
        where.fail(f"must have unit norm (|q| = 1 within {QUATERNION_TOL:g}), got |q| = {size:.6g}")


class _Spatial:
    """The spatial keys a target kind may have: an orientation (`quaternion` or `rpy`, or
    one per waypoint), `weights` (masks), and their checks."""

    def positions(self):
        """(key, index or None, position) of every position this target gives (for the
        dimension check against the arm)."""
        return ()

    def has_orientation(self) -> bool:
        return getattr(self, "quaternion", None) is not None or getattr(self, "rpy", None) is not None

    def rotation(self):
        """The fixed orientation (3, 3) or None."""
        from armsim.kinematics.spatial import quaternion_matrix, rpy_matrix
        import numpy as np
        if getattr(self, "quaternion", None) is not None:
            return quaternion_matrix(self.quaternion)
        if getattr(self, "rpy", None) is not None:
            return rpy_matrix(np.array(self.rpy))
        return None

    def check_orientation(self, where):
        if getattr(self, "quaternion", None) is not None and getattr(self, "rpy", None) is not None:
            where.child("rpy").fail(f"give {where.path}.quaternion or {where.path}.rpy, not both")
        if getattr(self, "quaternion", None) is not None:
            _unit_quaternion(self.quaternion, where.child("quaternion"))
        w = getattr(self, "weights", None)
        if w is not None:
            if len(w) not in (3, 6):
                where.child("weights").fail(f"must have 3 or 6 items, got {len(w)}")
            if not any(w):
                where.child("weights").fail("must not be all 0")

    def oriented(self, source):
        """``source`` with this target's fixed orientation, if it has one."""
        R = self.rotation()
        if R is None:
            return source
        from armsim.scene.targets import Oriented
        return Oriented(source, R)
