"""What a press of the mouse picks in the window: an obstacle near the pointer.

Shared by the planar window (:mod:`armsim.view.window`) and the 3D controls
(:mod:`armsim.view.window3d`), so neither imports the other for it."""

from __future__ import annotations

import numpy as np

__all__ = ["PICK_PX", "obstacle_at"]

#: a press this close to an obstacle's surface [px] picks it
PICK_PX = 3.0


def obstacle_at(obstacles, point, tolerance=0.0):
    """The last drawn (topmost) of ``obstacles`` whose surface is within ``tolerance`` [m]
    of the world ``point`` (inside counts), else None."""
    p = np.asarray(point, dtype=float)
    for o in reversed(obstacles):       # (its shape's own distance: not the links it is bound to)
        if o.surface_distance(p) <= tolerance:
            return o
    return None
