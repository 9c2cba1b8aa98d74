"""Target sources: where the target is at each frame.

A target source is a callable ``frame -> ndarray (2,)`` [m] (the ``path`` of
:class:`armsim.ik.tracking.Simulation`), or, for a spatial arm, ``frame -> (3,)``
position or ``(4, 4)`` pose (the ``path`` of
:class:`armsim.ik.spatial_tracking.SpatialSimulation`): the sources below take
points of 2 or 3 numbers, :class:`Circle` a plane ``normal`` in 3D, and
:class:`Oriented` (or :class:`Waypoints` with ``rotations``) adds an orientation.  Time is counted in frames everywhere, so a
run does not depend on the playback rate.  No pygame here.

Sources
-------
:class:`Fixed`         one point.
:class:`Waypoints`     a list of points, each shown from its start frame on
                       (given as start times or as hold durations).
:class:`Circle`        a circle of given period.
:class:`FigureEight`   a lemniscate of Gerono of given period.
:class:`Line`          back and forth along a segment, at constant speed.
:class:`RandomPoints`  a new uniformly random point in a disc every P frames.
:class:`Mouse`         interactive: a start point, then wherever the user drags.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TargetSource", "Fixed", "Waypoints", "Circle", "FigureEight", "Line",
           "RandomPoints", "Mouse", "Oriented", "plane_basis"]


def _point(p, name, spatial=False):
    """``p`` as a float vector of 2 numbers (or 3 with ``spatial``), or a ValueError."""
    p = np.array(p, dtype=float).reshape(-1)
    if p.shape not in (((2,), (3,)) if spatial else ((2,),)) or not np.all(np.isfinite(p)):
        what = "two or three" if spatial else "two"
        raise ValueError(f"{name} must be {what} finite numbers, got {p.tolist()}")
    return p


def plane_basis(normal):
    """Two unit vectors u, v (3,) with (u, v, n) right-handed and orthonormal; the normal
    (0, 0, 1) gives u = x, v = y, so a circle in it turns as the planar one does."""
    n = np.array(normal, dtype=float).reshape(-1)
    size = np.linalg.norm(n) if n.shape == (3,) else 0.0
    if not np.isfinite(size) or size < 1e-12:
        raise ValueError(f"normal must be three finite numbers of length at least 1e-12, "
                         f"got {n.tolist()}")
    n = n / size
    a = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = a - (a @ n) * n
    u /= np.linalg.norm(u)
    return u, np.cross(n, u)


def _positive(x, name):
    x = float(x)
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be > 0, got {x}")
    return x


class TargetSource:
    """Base class: ``source(frame)`` gives the target (2,) [m] at ``frame`` >= 0.

    Attributes
    ----------
    interactive : bool
        True when the target is meant to come from the user (the mouse).
    """

    interactive = False

    def __call__(self, frame) -> np.ndarray:
        raise NotImplementedError

    def waypoint_index(self, frame) -> int:
        """Index of the waypoint shown at ``frame``; -1 for a source without waypoints."""
        return -1

    @property
    def waypoints(self) -> np.ndarray:
        """Waypoints (W, 2) [m]; empty for a source without waypoints."""
        return np.zeros((0, 2))


class Fixed(TargetSource):
    """A target that never moves.  ``point`` (2,) or (3,) [m]."""

    def __init__(self, point):
        self.point = _point(point, "point", spatial=True)

    def __call__(self, frame):
        return self.point.copy()


class Mouse(Fixed):
    """The interactive target: ``start`` (2,) [m] until the user moves it.

    Headless runs (GIF export) keep the target at ``start``; the window passes
    the dragged position to :meth:`armsim.ik.tracking.Simulation.step`.
    """

    interactive = True

    def __init__(self, start):
        super().__init__(start)


class Waypoints(TargetSource):
    """Points visited one after the other.

    Parameters
    ----------
    points : array_like (W, 2) [m]
    starts : array_like (W,) [frames]
        Frame at which each waypoint becomes the target; strictly increasing.
        Before ``starts[0]`` the first waypoint is shown.
    period : float [frames], optional
        When given, the schedule repeats every ``period`` frames (must be
        greater than the last start); otherwise the last waypoint stays.
    """

    def __init__(self, points, starts, period=None, rotations=None):
        pts = np.array(points, dtype=float)
        if pts.ndim != 2 or pts.shape[1:] not in ((2,), (3,)) or len(pts) == 0 or \
                not np.all(np.isfinite(pts)):
            raise ValueError(f"points must be a non-empty (W, 2) or (W, 3) array of finite "
                             f"numbers, got shape {pts.shape}")
        if rotations is not None:
            rotations = np.array(rotations, dtype=float)
            if rotations.shape != (len(pts), 3, 3) or pts.shape[1] != 3:
                raise ValueError(f"rotations must have shape ({len(pts)}, 3, 3) with points "
                                 f"of 3 numbers, got shape {rotations.shape}")
        self.rotations = rotations
        starts = np.array(starts, dtype=float).reshape(-1)
        if starts.shape != (len(pts),) or not np.all(np.isfinite(starts)):
            raise ValueError(f"starts must have shape ({len(pts)},), got {starts.shape}")
        if np.any(np.diff(starts) <= 0) or starts[0] < 0:
            raise ValueError(f"starts must be >= 0 and strictly increasing, got {starts.tolist()}")
        if period is not None:
            period = _positive(period, "period")
            if period <= starts[-1]:
                raise ValueError(f"period must be > the last start {starts[-1]}, got {period}")
        self.points, self.starts, self.period = pts, starts, period

    @classmethod
    def from_holds(cls, points, holds, loop=False, rotations=None):
        """Waypoint ``i`` is held for ``holds[i]`` frames; with ``loop`` the list repeats."""
        holds = np.array(holds, dtype=float).reshape(-1)
        if np.any(~np.isfinite(holds)) or np.any(holds <= 0):
            raise ValueError(f"holds must be > 0, got {holds.tolist()}")
        starts = np.concatenate([[0.0], np.cumsum(holds)[:-1]])
        return cls(points, starts, period=float(holds.sum()) if loop else None,
                   rotations=rotations)

    def waypoint_index(self, frame) -> int:
        t = float(frame)
        if self.period is not None:
            t = t % self.period
        return max(int(np.searchsorted(self.starts, t, side="right")) - 1, 0)

    def __call__(self, frame):
        i = self.waypoint_index(frame)
        if self.rotations is None:
            return self.points[i].copy()
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = self.rotations[i], self.points[i]
        return T

    @property
    def waypoints(self):
        return self.points.copy()


class Circle(TargetSource):
    """A circle: ``center`` (2,) [m], ``radius`` [m], ``period`` [frames],
    ``phase`` [rad] (angle at frame 0, from +x), counter-clockwise unless ``clockwise``.

    With a ``center`` of 3 numbers the circle lies in the plane through it normal to
    ``normal`` (default +z), ``center + radius (cos t u + sin t v)`` with ``u, v`` from
    :func:`plane_basis` (counter-clockwise seen from the side ``normal`` points to)."""

    def __init__(self, center, radius, period, phase=0.0, clockwise=False, normal=None):
        self.center = _point(center, "center", spatial=True)
        self.radius = _positive(radius, "radius")
        self.period = _positive(period, "period")
        self.phase = float(phase)
        self.sign = -1.0 if clockwise else 1.0
        if len(self.center) == 3:
            self.basis = np.stack(plane_basis((0.0, 0.0, 1.0) if normal is None else normal))
        elif normal is not None:
            raise ValueError("normal needs a center of three numbers")
        else:
            self.basis = np.eye(2)

    def __call__(self, frame):
        t = self.phase + self.sign * 2 * np.pi * float(frame) / self.period
        return self.center + self.radius * (np.array([np.cos(t), np.sin(t)]) @ self.basis)


class FigureEight(TargetSource):
    """A figure-eight (lemniscate of Gerono): ``center`` (2,) [m], half-width and
    half-height ``size`` (2,) [m], ``period`` [frames], ``phase`` [rad].

    ``p(t) = center + (sx sin t, sy sin t cos t)``, ``t = phase + 2 pi frame / period``.
    """

    def __init__(self, center, size, period, phase=0.0):
        self.center = _point(center, "center")
        size = _point(size, "size")
        if np.any(size <= 0):
            raise ValueError(f"size must be > 0, got {size.tolist()}")
        self.size = size
        self.period = _positive(period, "period")
        self.phase = float(phase)

    def __call__(self, frame):
        t = self.phase + 2 * np.pi * float(frame) / self.period
        return self.center + self.size * np.array([np.sin(t), np.sin(t) * np.cos(t)])


class Line(TargetSource):
    """Back and forth between ``start`` and ``end`` (2,) or (3,) [m] at constant speed:
    at ``start`` on frame 0, at ``end`` after half a ``period`` [frames]."""

    def __init__(self, start, end, period):
        self.start = _point(start, "start", spatial=True)
        self.end = _point(end, "end", spatial=True)
        if self.start.shape != self.end.shape:
            raise ValueError("start and end must have the same number of coordinates")
        self.period = _positive(period, "period")

    def __call__(self, frame):
        u = (float(frame) / self.period) % 1.0
        s = 2 * u if u < 0.5 else 2 * (1 - u)      # triangle wave 0 -> 1 -> 0
        return self.start + s * (self.end - self.start)


class RandomPoints(TargetSource):
    """A new target, uniform over the disc (``center`` (2,) [m], ``radius`` [m]),
    every ``every`` frames, from ``seed``.  The same seed gives the same points.

    The sequence does not depend on the order in which frames are asked for.
    """

    def __init__(self, center, radius, every, seed=0):
        self.center = _point(center, "center")
        self.radius = _positive(radius, "radius")
        if int(every) != every or every < 1:
            raise ValueError(f"every must be an integer >= 1, got {every}")
        self.every = int(every)
        self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)
        self._points = np.zeros((0, 2))

    BLOCK = 64      # points drawn at a time: the draws do not depend on the frames asked for

    def _grow(self, count):
        blocks = []
        for _ in range(-(-(count - len(self._points)) // self.BLOCK)):
            r = self.radius * np.sqrt(self._rng.uniform(0.0, 1.0, self.BLOCK))
            a = self._rng.uniform(0.0, 2 * np.pi, self.BLOCK)
            blocks.append(self.center + np.stack([r * np.cos(a), r * np.sin(a)], axis=-1))
        self._points = np.concatenate([self._points] + blocks)

    def __call__(self, frame):
        k = int(frame) // self.every
        if k >= len(self._points):
            self._grow(k + 1)
        return self._points[k].copy()


class Oriented(TargetSource):
    """A spatial source's positions (3,) with a fixed orientation ``rotation`` (3, 3):
    ``frame -> (4, 4)`` pose.  Waypoints, their index and ``interactive`` are the source's."""

    def __init__(self, source, rotation):
        self.source = source
        R = np.array(rotation, dtype=float)
        if R.shape != (3, 3) or not np.all(np.isfinite(R)) or \
                np.abs(R @ R.T - np.eye(3)).max() > 1e-6:
            raise ValueError("rotation must be an orthonormal 3 x 3 matrix")
        self.rotation = R
        self.interactive = source.interactive

    def __call__(self, frame):
        p = np.asarray(self.source(frame), dtype=float)
        if p.shape != (3,):
            raise ValueError(f"an oriented source needs positions of three numbers, got {p.shape}")
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = self.rotation, p
        return T

    def waypoint_index(self, frame):
        return self.source.waypoint_index(frame)

    @property
    def waypoints(self):
        return self.source.waypoints

    @property
    def point(self):           # a Fixed / Mouse source's point (the window drags it)
        return self.source.point
