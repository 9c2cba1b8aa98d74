"""The values of the drawing options :func:`armsim.render` and :func:`armsim.animate` take
(:mod:`armsim.view.notebook`), checked before any drawing: ``obstacles`` (armsim's
obstacle objectives or the dicts they are drawn from) and ``jacobian_scale``
(:func:`check_values`)."""

from __future__ import annotations

import numpy as np

from armsim.ranges import BIG, Range, real_array

__all__ = ["MAX_TARGET", "JACOBIAN_SCALE", "check_obstacles", "check_values", "kind_of",
           "obstacle_points"]

#: a drawn target's or obstacle's coordinates stay within this [m] (a scene's bound)
MAX_TARGET = 1e6
#: a 3D picture's Jacobian arrows: metres drawn per m/rad of a column (a negative scale drew
#: every arrow backwards, NaN none, a text raised numpy's UFuncTypeError while drawing)
JACOBIAN_SCALE = Range.bounds(gt=0, le=BIG, unit="m per m/rad")


def check_values(options):
    """The values of ``options`` (a dict, changed in place) that are neither ``show_...``
    switches nor ``obstacles``: ``jacobian_scale`` a float in :data:`JACOBIAN_SCALE`; a
    one-line ValueError naming the option otherwise."""
    if "jacobian_scale" in options:
        options["jacobian_scale"] = JACOBIAN_SCALE.check("jacobian_scale",
                                                         options["jacobian_scale"])


#: what each kind of obstacle dict (:func:`armsim.ik.tracking.shapes`) holds: points, lengths
_OBSTACLE_KEYS = {"circle": (("center",), ("radius",)), "sphere": (("center",), ("radius",)),
                  "box": (("center", "size"), ()), "capsule": (("a", "b"), ("radius",))}


def kind_of(ob, dim):
    """A dict's ``kind``: as given, else by its keys (``a`` and ``b``: a capsule;
    ``size``: a box; ``center`` and ``radius``: a circle (planar) or a sphere)."""
    if "kind" in ob:
        return ob["kind"]
    if "a" in ob and "b" in ob:
        return "capsule"
    if "size" in ob:
        return "box"
    if "center" in ob and "radius" in ob:
        return "circle" if dim == 2 else "sphere"
    return None


def check_obstacles(obstacles, dim=3):
    """The ``obstacles`` option: armsim's obstacle objectives or the dicts they are drawn
    from (``kind`` may be left out: :func:`kind_of`), as those dicts, their points of
    ``dim`` coordinates (2: a planar chain's); a one-line ValueError naming what is wrong
    otherwise."""
    from armsim.ik.objectives import Obstacle
    from armsim.ik.tracking import shapes
    if not isinstance(obstacles, (list, tuple)):
        raise ValueError(f"obstacles must be a list of obstacles, got {str(obstacles)[:40]}")
    out = []
    for i, ob in enumerate(obstacles):
        if isinstance(ob, Obstacle):
            if ob.center.shape != (dim,):
                raise ValueError(f"obstacles[{i}] must be a {'planar' if dim == 2 else 'spatial'}"
                                 f" obstacle (its center {dim} numbers), got "
                                 f"{ob.center.size} numbers")
            out.extend(shapes([ob]))
            continue
        kind = kind_of(ob, dim) if isinstance(ob, dict) else None
        keys = _OBSTACLE_KEYS.get(kind) if isinstance(kind, str) else None
        if keys is None:
            raise ValueError(f"obstacles[{i}] must be an Obstacle or a dict with \"kind\" one "
                             f"of {', '.join(_OBSTACLE_KEYS)} (or its keys: center and radius, "
                             f"center and size, a, b and radius), got {str(ob)[:40]}")
        ob = {**ob, "kind": kind}
        lengths = keys[1] + (("margin",) if "margin" in ob else ())   # (as shapes() gives)
        for key, n in [(k, dim) for k in keys[0]] + [(k, 1) for k in lengths]:
            v = np.asarray(real_array(f"obstacles[{i}][{key!r}]", ob.get(key, [])))
            least = n == 1 or key == "size"          # (a radius, a box's sides)
            if v.size != n or not np.all(np.abs(v) <= MAX_TARGET) or (least and v.min() < 0):
                raise ValueError(f"obstacles[{i}][{key!r}] must be {n} finite number"
                                 f"{'s' if n > 1 else ''}{' >= 0' if least else ''} within "
                                 f"+-{MAX_TARGET:g}, got {str(ob.get(key))[:40]}")
            ob[key] = v.reshape(n) if n > 1 else float(v.reshape(-1)[0])
        if ob["kind"] == "capsule":
            ob.setdefault("center", 0.5 * (ob["a"] + ob["b"]))
        out.append(ob)
    return tuple(out)



def _nearest(ob, p):
    """The point of obstacle ``ob`` (a checked spatial dict) nearest ``p`` (3,) (``p``
    itself when it lies inside)."""
    if ob["kind"] == "box":
        half = 0.5 * np.asarray(ob["size"], float)
        return np.clip(p, ob["center"] - half, ob["center"] + half)
    c = np.asarray(ob["center"], float)
    if ob["kind"] == "capsule":        # the nearest point of its axis
        a, ab = np.asarray(ob["a"], float), np.asarray(ob["b"], float) - ob["a"]
        t = float(np.dot(p - a, ab) / np.dot(ab, ab)) if np.dot(ab, ab) > 0 else 0.0
        c = a + min(max(t, 0.0), 1.0) * ab
    d = p - c
    n = float(np.linalg.norm(d))
    return p.copy() if n <= ob["radius"] else c + d * (ob["radius"] / n)


def obstacle_points(obstacles, origin, far) -> np.ndarray:
    """The points (k, 3) a framing keeps in view to show ``obstacles`` (checked spatial
    dicts, :func:`check_obstacles`) beside an arm whose first joint is at ``origin``: the 8
    corners of the box around an obstacle (a sphere's, a box's, a capsule's) that lies
    wholly within ``far`` [m] of ``origin``, else its point nearest ``origin`` (a wall or a
    floor larger than that shows its near side and leaves the arm large)."""
    unit = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    origin = np.asarray(origin, float).reshape(3)
    out = [np.zeros((0, 3))]
    for ob in obstacles or ():
        if ob["kind"] == "box":
            lo = hi = np.asarray(ob["center"], float)
            half = 0.5 * np.asarray(ob["size"], float)
        else:
            ends = np.array([ob["a"], ob["b"]] if ob["kind"] == "capsule" else [ob["center"]],
                            float).reshape(-1, 3)
            lo, hi, half = ends.min(axis=0), ends.max(axis=0), np.full(3, ob["radius"])
        corners = 0.5 * (lo + hi) + unit * (0.5 * (hi - lo) + half)
        whole = np.all(np.linalg.norm(corners - origin, axis=1) <= far)
        out.append(corners if whole else _nearest(ob, origin)[None])
    return np.vstack(out)
