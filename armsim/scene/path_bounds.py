"""How far a scripted target's path spreads around the centre a scene gives it.

Every coordinate a scene gives is within +-:data:`~armsim.scene.schema.BIG` m; a target
that moves around a centre (a circle, a random disc, a figure-eight) must stay there too,
so its centre plus its spread is checked when the scene loads, planar or spatial alike."""

from __future__ import annotations

from armsim.scene.schema import BIG

__all__ = ["check_path_bound"]


def _spread(target):
    """(what sets it, half-extent along each axis) of ``target``'s path around its centre,
    or None for a target that does not move around one (fixed, mouse, waypoints, line: each
    of their points is a bounded coordinate itself).  A figure-eight's
    ``center + (sx sin t, sy sin t cos t)`` reaches sx along x and sy / 2 along y."""
    if target.kind == "figure8":
        sx, sy = target.size
        return f"size [{sx:g}, {sy:g}]", (sx, sy / 2)
    radius = getattr(target, "radius", None)      # a circle's; a random disc's when given
    if not radius:                                # (its default, 0.9 x reach, is computed)
        return None
    return f"radius {radius:g}", (radius,) * 3


def check_path_bound(target, at, base=None):
    """Refuse ``target`` (its table at ``at``) when its path leaves +-BIG m, naming its
    ``center``, or its ``radius`` when a random disc is centred on the arm's ``base``."""
    spread = _spread(target)
    if spread is None:
        return
    what, half = spread
    center, w = getattr(target, "center", None), at.child("center")
    if center is None:                            # a random disc: around the arm's base
        if base is None:
            return
        center, w, what = base, at.child("radius"), f"{what} around arm.base"
    if any(abs(c) + h > BIG for c, h in zip(center, half)):
        w.fail(f"with {what} the target's path leaves +-{BIG:g} m "
               f"(largest coordinate {max(abs(c) for c in center):g})")
