"""The obstacles of a spatial arm in the 3D view: a sphere as a shaded disc of its projected
radius, a box as its twelve edges, a capsule as its outline (the two end discs and the
tangent lines between them), in the planar view's colours (fill ``theme.separator``,
outline ``theme.waypoint``).  The obstacles are the dicts of
:func:`armsim.ik.tracking.shapes` ("circle" is a sphere here)."""

from __future__ import annotations

import itertools

import numpy as np

import pygame

__all__ = ["draw_obstacles_3d", "obstacle_depths"]

#: the highlight of a sphere: this fraction of its radius, this far up-left of its centre
HIGHLIGHT = 0.3


def obstacle_depths(obstacles, camera) -> np.ndarray:
    """Each obstacle's centre depth along the camera's view [m] (to sort with the links)."""
    if not obstacles:
        return np.zeros(0)
    c = np.array([np.asarray(o["center"], float) for o in obstacles]).reshape(-1, 3)
    return camera.to_camera(c)[:, 2]


def _lighter(color, t):
    return tuple(int(round(v + t * (255 - v))) for v in color)


def _px(p):
    return int(round(float(p[0]))), int(round(float(p[1])))


def _radius_px(camera, size, centre, radius):
    """The projected radius [px] of a ball of ``radius`` at ``centre`` (None behind)."""
    px, depth, front = camera.project(np.asarray(centre, float)[None], size)
    if not front[0] or not np.all(np.isfinite(px[0])):
        return None, None
    r = camera.focal_px(size) * float(radius) / max(float(depth[0]), camera.near)
    return px[0], min(r, 4.0 * max(size))


def _sphere(surface, camera, size, ob, fill, edge):
    c, r = _radius_px(camera, size, ob["center"], ob["radius"])
    if c is None:
        return
    ri = max(1, int(round(r)))
    pygame.draw.circle(surface, fill, _px(c), ri)
    h = HIGHLIGHT * r
    if h >= 1.5:                           # a light spot up-left: the centre keeps the fill
        pygame.draw.circle(surface, _lighter(fill, 0.25), _px(c - 0.45 * r), int(round(h)))
    pygame.draw.circle(surface, edge, _px(c), ri, 1)


def _box(surface, camera, size, ob, edge):
    c, half = np.asarray(ob["center"], float), 0.5 * np.asarray(ob["size"], float)
    corners = np.array([c + half * np.array(s) for s in itertools.product((-1, 1), repeat=3)])
    pairs = [(i, j) for i in range(8) for j in range(i + 1, 8)
             if bin(i ^ j).count("1") == 1]                    # corners one axis apart
    a = corners[[i for i, _ in pairs]]
    b = corners[[j for _, j in pairs]]
    pa, pb, _, _, vis = camera.project_segments(a, b, size)
    for k in np.flatnonzero(vis):
        if np.all(np.isfinite(pa[k])) and np.all(np.isfinite(pb[k])):
            pygame.draw.line(surface, edge, _px(pa[k]), _px(pb[k]), 1)


def _capsule(surface, camera, size, ob, edge):
    ca, ra = _radius_px(camera, size, ob["a"], ob["radius"])
    cb, rb = _radius_px(camera, size, ob["b"], ob["radius"])
    if ca is None or cb is None:
        return
    for c, r in ((ca, ra), (cb, rb)):
        pygame.draw.circle(surface, edge, _px(c), max(1, int(round(r))), 1)
    d = cb - ca
    length = float(np.hypot(*d))
    if length > 1e-9:
        n = np.array([-d[1], d[0]]) / length
        for s in (1.0, -1.0):
            pygame.draw.line(surface, edge, _px(ca + s * ra * n), _px(cb + s * rb * n), 1)


def draw_obstacles_3d(surface, obstacles, camera, theme, size=None) -> None:
    """Draw ``obstacles`` (in the order given: sort them far first) as ``camera`` sees them."""
    size = surface.get_size() if size is None else size
    for ob in obstacles or ():
        kind = ob.get("kind")
        if kind == "box":
            _box(surface, camera, size, ob, theme.waypoint)
        elif kind == "capsule":
            _capsule(surface, camera, size, ob, theme.waypoint)
        else:
            _sphere(surface, camera, size, ob, theme.separator, theme.waypoint)
