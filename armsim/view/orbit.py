"""An orbit camera for the spatial view: world points to pixels and back (numpy; no pygame
but where :func:`sim_boxes` reads a robot's visuals through :mod:`armsim.view.solids`).

The camera looks from its eye at ``center``; the eye sits ``distance`` metres away at
azimuth (about the world z axis, from +x towards +y) and elevation (above the z = 0 floor).
World z is up.  The projection is a pinhole: ``fov_deg`` is the angle the *shorter* side of
the viewport spans (the height in a landscape window), so the focal length in pixels is
``min(w, h) / 2 / tan(fov / 2)``.  Pixel x grows to the right, pixel y downwards, and (0, 0)
is the top-left corner of the top-left pixel (the viewport centre is (w / 2, h / 2)).

The window drives it: right-drag :meth:`~OrbitCamera.orbit`, wheel :meth:`~OrbitCamera.zoom`,
middle-drag :meth:`~OrbitCamera.pan`, a key :meth:`~OrbitCamera.reset`; the left button drags
a target in the plane through it facing the camera (:meth:`~OrbitCamera.unproject`) and
shift + wheel moves it along the view axis (:meth:`~OrbitCamera.along_view`).  A GIF export
with a slowly orbiting camera calls :meth:`~OrbitCamera.advance` once a frame.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from armsim.ranges import (VIEW_AZIMUTH_DEG, VIEW_CENTER, VIEW_DISTANCE, VIEW_ELEVATION_DEG,
                           VIEW_FOV_DEG, VIEW_ORBIT_DEG_PER_S, VIEW_ZOOM)

__all__ = ["OrbitCamera", "VIEW_KEYS", "arm_points", "sim_points", "sim_framing", "solid_boxes",
           "place_boxes", "solid_points", "model_boxes", "sim_boxes", "robot_solids",
           "states_framing", "view_reach", "framed_camera"]

#: the keys of a scene's ``[view]`` table
VIEW_KEYS = ("azimuth_deg", "elevation_deg", "distance", "center", "fov_deg", "orbit_deg_per_s")

# Every setting is checked against its range in armsim.ranges (the scene's [view] table
# checks the same ones, in the same words); what the camera computes is clamped into them.
#: the largest elevation [deg]: straight down (the image "right" follows the azimuth, so
#: a view along the vertical is as defined as any other)
MAX_ELEVATION = VIEW_ELEVATION_DEG.hi
#: zoom keeps the distance within these factors of the initial distance
MIN_ZOOM, MAX_ZOOM = VIEW_ZOOM.lo, VIEW_ZOOM.hi
#: points nearer than this fraction of the distance count as behind the camera
NEAR_FRACTION = 0.01
#: pixel coordinates are clamped to +-this, so far-off points still fit in C ints
PIXEL_LIMIT = 1.0e6

# the framing defaults (when a scene's [view] table leaves a key out)
DEFAULT_AZIMUTH, DEFAULT_ELEVATION, DEFAULT_FOV = 35.0, 25.0, 45.0
#: a framing with points: the share of the shorter side they span (the links' thickness
#: goes into the rest), the links' thickness that must stay in view, and the least
#: half-view at their middle (both x reach)
FRAME_FILL, FRAME_MARGIN, FRAME_MIN_RADIUS = 0.7, 0.12, 0.25
#: a point farther than this many reaches from the first (the arm's first joint) is left out
#: of the framing (a far target: the view's border arrow points at it), so the arm stays large
FRAME_FAR = 3.0
#: a framing with solids (the boxes of a URDF's visuals, :func:`solid_boxes`): the share of
#: the half-view their corners may span (the whole robot as drawn on screen, with a border),
#: and the least depth of a corner as a share of the distance (the eye outside every box,
#: each box's faces before the near plane)
SOLID_FILL, SOLID_NEAR = 0.9, 0.05


def arm_points(state) -> np.ndarray:
    """The points of a spatial arm's state a framing keeps in view (k, 3): the first joint's
    origin first (what lies far from it is left out: a root frame the arm is mounted metres
    from, not the arm), every frame and joint origin, the target and the waypoints (a state
    without some of them gives the rest)."""
    out = []
    for name, first in (("frames_p", 1), ("origins", 0)):      # a chain's, a whole robot's
        v = getattr(state, name, None)
        v = None if v is None else np.asarray(v, float).reshape(-1, 3)
        if v is not None and len(v) > first:
            out.append(v[first:first + 1])
            break
    for name in ("frames_p", "link_p", "origins", "waypoints"):
        v = getattr(state, name, None)
        if v is not None:
            out.append(np.asarray(v, float).reshape(-1, 3))
    for t in getattr(state, "tools", ()):       # a whole robot: each tool's target, waypoints
        out += [np.asarray(t.target, float)[:3, 3].reshape(1, 3),
                np.asarray(t.waypoints, float).reshape(-1, 3)]
    target = getattr(state, "target", None)
    if target is not None:
        t = np.asarray(target, float)
        out.append((t[:3, 3] if t.shape == (4, 4) else t.reshape(-1)[:3]).reshape(1, 3))
    return np.vstack(out) if out else np.zeros((0, 3))


#: the frames of a simulation's target path a framing keeps in view (10 s at 30 fps)
PATH_FRAMES = range(0, 301, 5)
#: a preview of the arm's motion (:func:`sim_points`) steps a copy of the simulation only
#: for chains of at most this many joints (a 10,000-link chain is framed as it stands)
PREVIEW_JOINTS = 64
#: ... and for whole robots of at most this many links too (a frame's cost grows with the
#: links: a 10,000-link tree of 60 joints took 30 of its frames, 10 s, and a copy of it)
PREVIEW_LINKS = 256
#: the preview's frames when no target moves (the arm settles on them in about a second)
STILL_FRAMES = 30


def sim_points(sim, frames=None) -> np.ndarray:
    """:func:`arm_points` of a spatial simulation's state, where its target path goes in
    :data:`PATH_FRAMES`, and where the arm goes while it follows that path: a copy of
    ``sim`` is stepped for ``frames`` frames (default, and at most, the last of
    :data:`PATH_FRAMES`; :data:`STILL_FRAMES` when no target moves; 0 = no preview) and its
    state taken every fifth frame (a path is a pure function of the frame and the
    simulation deterministic, so this is the motion the view will show).  No preview for a
    chain of more than :data:`PREVIEW_JOINTS` joints, nor for a whole robot of more than
    :data:`PREVIEW_LINKS` links; a copy whose step fails keeps the points before it."""
    return sim_framing(sim, frames, boxes=None)["points"]


def sim_framing(sim, frames=None, boxes="body") -> dict:
    """What a framing of a spatial simulation keeps in view, as :meth:`OrbitCamera.framing`
    takes it: ``points`` (:func:`sim_points`) and ``solids``, the corners of the boxes of its
    drawn visuals (``boxes``, :func:`solid_boxes`; default: :func:`sim_boxes` of ``sim``)
    placed where its links are at the start and in the same preview (8 corners a visual a
    frame, whatever its mesh)."""
    boxes = sim_boxes(sim) if isinstance(boxes, str) else boxes
    pts, solids = [arm_points(sim.state)], [solid_points(boxes, sim.state)]
    paths = list(getattr(sim, "paths", {}).values()) or [getattr(sim, "path", None)]
    moving = False
    for path in paths:                           # a whole robot: every tool's path
        if not callable(path):
            continue
        first = np.asarray(path(0), dtype=float)
        for k in PATH_FRAMES:
            t = np.asarray(path(k), dtype=float)
            moving = moving or not np.array_equal(t, first)
            pts.append((t[:3, 3] if t.shape == (4, 4) else t.reshape(-1)[:3]).reshape(1, 3))
    last = PATH_FRAMES[-1] if moving else STILL_FRAMES
    last = last if frames is None else min(int(frames), last)
    chain = getattr(sim, "chain", None)
    if last > 0 and getattr(chain, "n", PREVIEW_JOINTS + 1) <= PREVIEW_JOINTS \
            and len(getattr(chain, "link_order", ())) <= PREVIEW_LINKS \
            and any(callable(p) for p in paths):
        for seen, corners in _preview(sim, last, boxes):
            pts.append(seen)
            solids.append(corners)
    return {"points": np.vstack([p for p in pts if p.shape[-1] == 3]),
            "solids": np.vstack(solids)}


def framed_camera(view, reach, framing, obstacles=()) -> "OrbitCamera":
    """:meth:`OrbitCamera.from_view` of ``view`` (a scene's ``[view]`` keys), ``reach`` and
    ``framing`` (:func:`sim_framing`), showing ``obstacles`` (spatial dicts of
    :func:`armsim.ik.tracking.shapes`) as :func:`armsim.render` does: when that camera leaves
    out some of their :func:`~armsim.view.picture_options.obstacle_points` (an obstacle
    within :data:`FRAME_FAR` reach of the arm's first joint whole, a larger one its point
    nearest that joint; one beyond is left out as a far target is), the framing of the
    arm's points and those; a camera that shows them all is the arm's framing, unchanged.
    A ``view`` that gives its distance and centre is used as it is."""
    from armsim.view.picture_options import obstacle_points
    camera = OrbitCamera.from_view(view, reach, **framing)
    pts = np.asarray(framing.get("points", np.zeros((0, 3))), float).reshape(-1, 3)
    if not obstacles or not len(pts) or ("distance" in view and "center" in view):
        return camera
    more = obstacle_points(obstacles, pts[0], FRAME_FAR * float(reach))
    if len(more) and not camera.shows(more):
        camera = OrbitCamera.from_view(view, reach, **{**framing,
                                                       "points": np.vstack([pts, more])})
    return camera


def _preview(sim, last, boxes=None) -> list:
    """The arm's points and its solids' corners (:func:`solid_points` of ``boxes``) every
    fifth frame of a copy of ``sim`` stepped ``last`` frames (the copy shares the arm's
    model, which stepping does not change: a copy of the model stayed among the solver's
    recent robots)."""
    import copy
    shared = [getattr(sim, name, None) for name in ("chain", "robot")]
    ahead, out = copy.deepcopy(sim, {id(m): m for m in shared if m is not None}), []
    for k in range(1, last + 1):
        try:
            state = ahead.step()
        except (ValueError, ArithmeticError):     # the run itself will say what is wrong
            break
        if k % PATH_FRAMES.step == 0 or k == last:
            out.append((arm_points(state), solid_points(boxes, state)))
    return out


def states_framing(model, states) -> dict:
    """What a framing keeps in view of ``model`` at each of ``states`` (an iterable, read
    once): ``points`` (:func:`arm_points`) and ``solids`` (:func:`robot_solids`)."""
    pts, solids = [np.zeros((0, 3))], [np.zeros((0, 3))]
    for state in states:
        pts.append(arm_points(state))
        solids.append(robot_solids(model, state))
    return {"points": np.vstack(pts), "solids": np.vstack(solids)}


#: the corners of a box of size 1 about its centre
_UNIT_BOX = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])


def solid_boxes(visuals):
    """The boxes the drawn visual items fill, fixed per frame: ``(corners, frame)``, the 8
    corners (8 m, 3) of each item's box in its frame and the frame of each (8 m,) int, from
    ``visuals`` (per frame, a list of :class:`armsim.kinematics.visuals.Visual`); a box's
    is itself, a cylinder's and a sphere's the box around it, a mesh's the bounding box of
    its vertices in its own axes, each at the item's origin.  None when there are none."""
    corners, frame = [], []
    for k, items in enumerate(visuals or ()):
        for it in items:
            if it.kind == "mesh":
                V = np.asarray(it.vertices, float).reshape(-1, 3)
                V = V[np.all(np.isfinite(V), axis=1)]
                if len(V) == 0:
                    continue
                lo, hi = V.min(axis=0), V.max(axis=0)
                box = 0.5 * (lo + hi) + _UNIT_BOX * (hi - lo)
            else:           # a cylinder's and a sphere's scale is (r, r, length), (r, r, r)
                double = {"cylinder": [2.0, 2.0, 1.0], "sphere": 2.0}.get(it.kind, 1.0)
                box = _UNIT_BOX * (np.abs(np.asarray(it.scale, float)) * double)
            T = np.asarray(it.origin, float)
            corners.append(box @ T[:3, :3].T + T[:3, 3])
            frame += [k] * 8
    if not corners:
        return None
    return np.vstack(corners), np.asarray(frame, dtype=int)


def place_boxes(boxes, R, p) -> np.ndarray:
    """The corners of ``boxes`` (:func:`solid_boxes`) in the world (k, 3), their frames at
    rotations ``R`` (f, 3, 3) and origins ``p`` (f, 3) (a frame past ``p`` is left out)."""
    if boxes is None:
        return np.zeros((0, 3))
    corners, frame = boxes
    R, p = np.asarray(R, float), np.asarray(p, float).reshape(-1, 3)
    keep = frame < min(len(R), len(p))
    return np.einsum("kij,kj->ki", R[frame[keep]], corners[keep]) + p[frame[keep]]


def solid_points(boxes, state) -> np.ndarray:
    """:func:`place_boxes` at a state's frames: a chain's ``frames_R``/``frames_p``, a whole
    robot's ``link_R``/``link_p``, or a pair (R, p) (a chain's ``frames(q)``); else none."""
    if boxes is not None and isinstance(state, tuple) and len(state) == 2:
        return place_boxes(boxes, *state)
    for R, p in (("frames_R", "frames_p"), ("link_R", "link_p")):
        if boxes is not None and hasattr(state, R) and hasattr(state, p):
            return place_boxes(boxes, getattr(state, R), getattr(state, p))
    return np.zeros((0, 3))


_BOXES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()    # Body -> solid_boxes


def model_boxes(model, tree=False):
    """:func:`solid_boxes` of what the view draws for ``model`` (a chain, or a whole robot
    when ``tree``): the URDF's visuals of its :func:`~armsim.view.solids.body_of` (a whole
    robot's ``tree_body_of``), read once and kept with the robot as the drawing reads them,
    their boxes kept with them; None for a model without a file."""
    if getattr(model, "urdf", None) is None:
        return None
    from armsim.view.solids import body_of, tree_body_of
    body = (tree_body_of if tree else body_of)(model)
    if body not in _BOXES:
        _BOXES[body] = solid_boxes(body.visuals)
    return _BOXES[body]


def sim_boxes(sim):
    """:func:`model_boxes` of a spatial simulation's robot (``sim.chain``)."""
    tree = hasattr(sim.state, "link_R") and not hasattr(sim.state, "frames_R")
    return model_boxes(getattr(sim, "chain", None), tree)


def robot_solids(model, state) -> np.ndarray:
    """The corners of ``model``'s drawn boxes (:func:`model_boxes`) at ``state`` (a
    chain's or a whole robot's state, or a chain's frames (R, p)), for a framing."""
    tree = hasattr(state, "link_R") and not hasattr(state, "frames_R")
    return solid_points(model_boxes(model, tree), state)


def _near_boxes(corners, origin, far) -> np.ndarray:
    """The ``corners`` (8 a box, as :func:`place_boxes` gives them) of the boxes some part
    of which may lie within ``far`` of ``origin`` (its centre's distance less its farthest
    corner's); all of them when they are not whole boxes."""
    if len(corners) % 8:
        return corners
    box = corners.reshape(-1, 8, 3)
    mid = box.mean(axis=1)
    size = np.linalg.norm(box - mid[:, None], axis=2).max(axis=1)
    near = ~(np.linalg.norm(mid - origin, axis=1) - size > far)       # (NaN: kept, as was)
    return box[near].reshape(-1, 3)


def _vector3(name, value) -> np.ndarray:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"view.{name}: expected 3 numbers [x, y, z], got {value!r}") from None
    if v.shape != (3,):
        raise ValueError(f"view.{name}: expected 3 numbers [x, y, z], got {value!r}")
    for i, x in enumerate(v):
        VIEW_CENTER.check(f"view.{name}[{i}]", float(x))
    return v.copy()


def _clamp_center(center) -> np.ndarray:
    """A computed centre moved into :data:`~armsim.ranges.VIEW_CENTER` (NaN and
    subnormal coordinates become 0)."""
    return np.array([VIEW_CENTER.clamp(c, fallback=0.0) for c in np.asarray(center, float)])



def view_reach(robot) -> float:
    """The length a view of ``robot`` is scaled by: its reach, a whole robot's without a
    moving base's travel (:attr:`~armsim.kinematics.tree.Robot.arm_reach`)."""
    return float(getattr(robot, "arm_reach", robot.reach))

class OrbitCamera:
    """A perspective camera orbiting ``center``.

    Parameters
    ----------
    azimuth_deg : float [deg]     eye direction about world z, from +x towards +y
    elevation_deg : float [deg]   eye height angle above the floor, within +-90
    distance : float [m]          eye to ``center``
    center : (3,) [m]             the point looked at
    fov_deg : float [deg]         angle spanned by the shorter side of the viewport
    orbit_deg_per_s : float       the rate :meth:`advance` uses by default [deg/s]

    Each is checked against its range in :mod:`armsim.ranges` (``VIEW_*``, the ranges of
    a scene's ``[view]`` table): ValueError ``"view.fov_deg: must be <= 170, got 179.5"``.
    The settings given here are what :meth:`reset` returns to.
    """

    def __init__(self, azimuth_deg=DEFAULT_AZIMUTH, elevation_deg=DEFAULT_ELEVATION,
                 distance=3.0, center=(0.0, 0.0, 0.0), fov_deg=DEFAULT_FOV,
                 orbit_deg_per_s=0.0):
        self.azimuth_deg = VIEW_AZIMUTH_DEG.check("view.azimuth_deg", azimuth_deg) % 360.0
        self.elevation_deg = VIEW_ELEVATION_DEG.check("view.elevation_deg", elevation_deg)
        self.distance = VIEW_DISTANCE.check("view.distance", distance)
        self.center = _vector3("center", center)
        self.fov_deg = VIEW_FOV_DEG.check("view.fov_deg", fov_deg)
        self.orbit_deg_per_s = VIEW_ORBIT_DEG_PER_S.check("view.orbit_deg_per_s",
                                                          orbit_deg_per_s)
        self._initial = self.settings()

    # -- construction ----------------------------------------------------------------
    @classmethod
    def framing(cls, reach, *, azimuth_deg=DEFAULT_AZIMUTH, elevation_deg=DEFAULT_ELEVATION,
                fov_deg=DEFAULT_FOV, orbit_deg_per_s=0.0, points=None,
                solids=None) -> "OrbitCamera":
        """A camera that frames an arm of ``reach`` metres standing at the origin.

        Without ``points``: it looks at (0, 0, 0.4 reach) from far enough that a sphere of
        radius 0.9 reach about that point fits the shorter side of the viewport.  With
        ``points`` (world points (k, 3) the view must show: the arm as it stands, its target
        and waypoints, :func:`arm_points`): it looks at the middle of their bounding box in
        the camera's axes, from the nearest distance at which every point lies within
        :data:`FRAME_FILL` of the half-view (the shorter side's) at its depth and, grown by
        :data:`FRAME_MARGIN` reach (the links' thickness), within the view, and no nearer
        than a half-view of :data:`FRAME_MIN_RADIUS` reach at the middle; a camera that
        orbits (``orbit_deg_per_s`` not 0) looks at the middle of their bounding box in the
        world and keeps them so at every eighth of a turn; points farther than
        :data:`FRAME_FAR` reach from the first are left out.  ``solids`` (the corners of
        the boxes of the drawn visuals, :func:`sim_framing`) go into the middle too, each
        within :data:`SOLID_FILL` of the half-view at its depth (no margin: they are the
        solids' extent) and at least :data:`SOLID_NEAR` of the distance in front of the eye
        (outside every box), however far they reach (what is drawn is the robot: pybullet's
        cartpole.urdf, a 30 m rail its cart slides along, is framed whole), but a box wholly
        farther than :data:`FRAME_FAR` reach from the first point is left out as a point
        would be (a 10 cm visual 200 m off shrank a 0.5 m arm to a dot); without points
        they count for nothing.  The
        distance and the centre are clamped into their ranges (a reach of 1e-7 m or 2e6 m is
        framed as well as they allow, never refused); a reach that is not a positive number
        counts as 1 m, and points that are not finite are left out."""
        reach = float(reach) if math.isfinite(float(reach)) and float(reach) > 0 else 1.0
        fov = VIEW_FOV_DEG.check("view.fov_deg", fov_deg)
        half = math.sin(math.radians(fov) / 2)
        pts = np.zeros((0, 3)) if points is None else np.asarray(points, float).reshape(-1, 3)
        pts = pts[np.all(np.isfinite(pts) & (np.abs(pts) < 1e6), axis=1)]
        sol = np.zeros((0, 3)) if solids is None else np.asarray(solids, float).reshape(-1, 3)
        if len(pts):
            pts = pts[np.linalg.norm(pts - pts[0], axis=1) <= FRAME_FAR * reach]
            sol = _near_boxes(sol, pts[0], FRAME_FAR * reach)
        sol = sol[np.all(np.isfinite(sol) & (np.abs(sol) < 1e6), axis=1)]
        if len(pts) == 0:
            distance = VIEW_DISTANCE.clamp(0.9 * reach / half)
            return cls(azimuth_deg, elevation_deg, distance,
                       (0.0, 0.0, VIEW_CENTER.clamp(0.4 * reach)), fov, orbit_deg_per_s)
        tan = math.tan(math.radians(fov) / 2)
        turning = float(orbit_deg_per_s) != 0.0
        every = np.vstack([pts, sol])
        centre = 0.5 * (every.min(axis=0) + every.max(axis=0))    # (an orbit turns about it)
        distance = FRAME_MIN_RADIUS * reach / (FRAME_FILL * tan)
        for k in range(8 if turning else 1):
            cam = cls((azimuth_deg + 45.0 * k) % 360.0, elevation_deg, 1.0, (0.0, 0.0, 0.0),
                      fov, orbit_deg_per_s)
            B = cam.basis()                                        # rows right, up, forward
            c = every @ B.T
            mid = centre @ B.T if turning else 0.5 * (c.min(axis=0) + c.max(axis=0))
            rel, solid = c[:len(pts)] - mid, c[len(pts):] - mid
            if k == 0 and not turning:
                centre = mid @ B
            # each point within FRAME_FILL of the half-view at its depth, and with the links'
            # thickness (FRAME_MARGIN reach) inside the view
            need = np.maximum(np.abs(rel[:, 0]), np.abs(rel[:, 1]))
            distance = max(distance, float(np.max(need / (FRAME_FILL * tan) - rel[:, 2])),
                           float(np.max((need + FRAME_MARGIN * reach) / tan - rel[:, 2])))
            if len(solid):      # each corner within SOLID_FILL, SOLID_NEAR x distance deep
                need = np.maximum(np.abs(solid[:, 0]), np.abs(solid[:, 1]))
                distance = max(distance, float(np.max(need / (SOLID_FILL * tan) - solid[:, 2])),
                               float(np.max(-solid[:, 2])) / (1.0 - SOLID_NEAR))
        return cls(azimuth_deg, elevation_deg, VIEW_DISTANCE.clamp(distance),
                   _clamp_center(centre), fov, orbit_deg_per_s)

    @classmethod
    def from_view(cls, view, reach=1.0, points=None, solids=None) -> "OrbitCamera":
        """The camera a scene's ``[view]`` table asks for (a dict with any of
        :data:`VIEW_KEYS`; None or {} = :meth:`framing` of ``reach``, ``points`` and
        ``solids``).
        Missing keys take the framing's values; a missing distance is the framing distance
        for the fov given."""
        view = dict(view or {})
        unknown = sorted(set(view) - set(VIEW_KEYS))
        if unknown:
            raise ValueError(f"view: unknown key {unknown[0]!r}; expected one of "
                             f"{', '.join(VIEW_KEYS)}")
        for key in ("azimuth_deg", "elevation_deg", "fov_deg", "orbit_deg_per_s"):
            v = view.get(key, 0.0)      # numbers before the framing does arithmetic on them
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ValueError(f"view.{key}: expected a number, got {str(v)[:40]!r}")
        frame = cls.framing(reach, azimuth_deg=view.get("azimuth_deg", DEFAULT_AZIMUTH),
                            elevation_deg=view.get("elevation_deg", DEFAULT_ELEVATION),
                            fov_deg=view.get("fov_deg", DEFAULT_FOV), points=points,
                            solids=solids,
                            orbit_deg_per_s=view.get("orbit_deg_per_s", 0.0))
        s = frame.settings()
        s.update({k: v for k, v in view.items()})
        return cls(**s)

    def shows(self, points) -> bool:
        """Whether every one of ``points`` (k, 3) lies in front of the eye inside the square
        the field of view spans (the shorter side of any picture), at each eighth of a turn
        when the camera orbits (as :meth:`framing` keeps its points)."""
        pts = np.asarray(points, float).reshape(-1, 3)
        tan = math.tan(math.radians(self.fov_deg) / 2)
        for k in range(8 if self.orbit_deg_per_s else 1):
            turned = OrbitCamera(**{**self.settings(),
                                    "azimuth_deg": (self.azimuth_deg + 45.0 * k) % 360.0})
            c = turned.to_camera(pts)
            side = np.maximum(np.abs(c[:, 0]), np.abs(c[:, 1]))
            if not np.all((c[:, 2] > self.near) & (side <= tan * c[:, 2])):
                return False
        return True

    def settings(self) -> dict:
        """The current settings as ``[view]`` keys (a fresh dict; center as a list)."""
        return {"azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg,
                "distance": self.distance, "center": [float(c) for c in self.center],
                "fov_deg": self.fov_deg, "orbit_deg_per_s": self.orbit_deg_per_s}

    def key(self) -> tuple:
        """A hashable summary of the pose of the camera (for caches)."""
        return (self.azimuth_deg, self.elevation_deg, self.distance, *map(float, self.center),
                self.fov_deg)

    def copy(self) -> "OrbitCamera":
        c = OrbitCamera(**self._initial)
        c.azimuth_deg, c.elevation_deg, c.distance = (self.azimuth_deg, self.elevation_deg,
                                                      self.distance)
        c.center = self.center.copy()
        return c

    def __repr__(self):
        return (f"OrbitCamera(azimuth_deg={self.azimuth_deg:g}, elevation_deg="
                f"{self.elevation_deg:g}, distance={self.distance:g}, center="
                f"{[round(float(c), 6) for c in self.center]}, fov_deg={self.fov_deg:g})")

    # -- geometry --------------------------------------------------------------------
    @property
    def eye(self) -> np.ndarray:
        """The eye position [m]."""
        return self.center - self.distance * self.basis()[2]

    def basis(self) -> np.ndarray:
        """Rows right, up, forward (unit, world frame): forward points from the eye at the
        centre, right is horizontal.  (A fresh array; cached per azimuth and elevation.)"""
        key = (self.azimuth_deg, self.elevation_deg)
        if getattr(self, "_basis_key", None) != key:
            self._basis, self._basis_key = self._make_basis(), key
        return self._basis.copy()

    def _make_basis(self) -> np.ndarray:
        az, el = math.radians(self.azimuth_deg), math.radians(self.elevation_deg)
        ce, se, ca, sa = math.cos(el), math.sin(el), math.cos(az), math.sin(az)
        forward = np.array([-ce * ca, -ce * sa, -se])
        right = np.array([-sa, ca, 0.0])                 # forward x z, normalised
        up = np.array([-se * ca, -se * sa, ce])          # right x forward
        return np.stack([right, up, forward])

    def focal_px(self, size) -> float:
        """Focal length [px] for a viewport ``size`` = (w, h)."""
        return 0.5 * min(size[0], size[1]) / math.tan(math.radians(self.fov_deg) / 2)

    @property
    def near(self) -> float:
        """Depth below which a point counts as behind the camera [m]."""
        return NEAR_FRACTION * self.distance

    def to_camera(self, points) -> np.ndarray:
        """World points (..., 3) in camera coordinates (right, up, depth) (..., 3)."""
        p = np.asarray(points, dtype=float)
        B = self.basis()
        eye = self.center - self.distance * B[2]
        return (p - eye) @ B.T

    def project(self, points, size):
        """World points (..., 3) -> pixels (..., 2), depth (...) [m along the view axis]
        and in_front (...) bool (False = behind the camera: the pixel is meaningless)."""
        c = self.to_camera(points)
        depth = c[..., 2]
        in_front = depth > self.near
        f = self.focal_px(size)
        safe = np.where(in_front, depth, 1.0)
        px = np.empty(c.shape[:-1] + (2,))
        px[..., 0] = 0.5 * size[0] + f * c[..., 0] / safe
        px[..., 1] = 0.5 * size[1] - f * c[..., 1] / safe
        np.clip(px, -PIXEL_LIMIT, PIXEL_LIMIT, out=px)
        return px, depth, in_front

    def project_segments(self, a, b, size):
        """Segments a -> b (..., 3) clipped to the near plane, then projected: pixels of
        both ends (..., 2) each, their depths, and visible (...) (False = wholly behind)."""
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        ca, cb = self.to_camera(a), self.to_camera(b)
        za, zb, near = ca[..., 2:3], cb[..., 2:3], self.near
        visible = (za[..., 0] > near) | (zb[..., 0] > near)
        dz = np.where(np.abs(zb - za) < 1e-300, 1e-300, zb - za)
        t = np.clip((near - za) / dz, 0.0, 1.0)
        cut = ca + t * (cb - ca)                                   # the point on the near plane
        ca = np.where(za > near, ca, cut)
        cb = np.where(zb > near, cb, cut)
        f = self.focal_px(size)
        out = []
        for c in (ca, cb):
            z = np.maximum(c[..., 2:3], near)
            px = c[..., :2] * (f / z)
            px[..., 0] += 0.5 * size[0]
            px[..., 1] = 0.5 * size[1] - px[..., 1]
            out.append(np.clip(px, -PIXEL_LIMIT, PIXEL_LIMIT))
        return out[0], out[1], ca[..., 2], cb[..., 2], visible

    def unproject(self, pixel, size, through) -> np.ndarray:
        """The world point (3,) under ``pixel`` on the plane through ``through`` (3,) facing
        the camera (normal = the view axis): where a dragged target goes.  A point behind
        the camera, or nearer than twice the near plane, takes the plane through the view's
        centre instead (on its own plane a drag moved it against the mouse)."""
        right, up, forward = self.basis()
        through = np.asarray(through, dtype=float)
        depth = float((through - self.eye) @ forward)
        if depth < 2 * self.near:
            depth = max(float((np.asarray(self.center, float) - self.eye) @ forward),
                        2 * self.near)
        f = self.focal_px(size)
        x = (float(pixel[0]) - 0.5 * size[0]) / f
        y = (0.5 * size[1] - float(pixel[1])) / f
        return self.eye + depth * (forward + x * right + y * up)

    def drag(self, point, d_px, size) -> np.ndarray:
        """``point`` moved in its view plane by a mouse motion of ``d_px`` = (dx, dy) pixels:
        ``k`` pixels move it ``k * depth * 2 tan(fov / 2) / min(w, h)`` metres."""
        right, up, _ = self.basis()
        depth = float((np.asarray(point, float) - self.eye) @ self.basis()[2])
        s = depth / self.focal_px(size)
        return np.asarray(point, float) + s * (float(d_px[0]) * right - float(d_px[1]) * up)

    def along_view(self, point, amount) -> np.ndarray:
        """``point`` moved ``amount`` metres along the view axis (positive = away from the
        eye), never nearer to the eye than twice the near plane."""
        _, _, forward = self.basis()
        p = np.asarray(point, dtype=float) + float(amount) * forward
        depth = float((p - self.eye) @ forward)
        if depth < 2 * self.near:
            p = p + (2 * self.near - depth) * forward
        return p

    # -- motion ----------------------------------------------------------------------
    def orbit(self, d_az, d_el) -> None:
        """Turn the eye about the centre by ``d_az``, ``d_el`` degrees (elevation clamped to
        +-90; a turn that is not a finite number is ignored)."""
        d_az, d_el = float(d_az), float(d_el)
        if math.isfinite(d_az):
            self.azimuth_deg = VIEW_AZIMUTH_DEG.clamp((self.azimuth_deg + d_az) % 360.0)
        if math.isfinite(d_el):
            self.elevation_deg = VIEW_ELEVATION_DEG.clamp(self.elevation_deg + d_el)

    def zoom(self, factor) -> None:
        """Multiply the distance by ``factor`` (> 0; < 1 comes closer), kept within
        [0.05, 20] x the initial distance and within the distance's range."""
        factor = float(factor)
        if not (math.isfinite(factor) and factor > 0):
            return
        d0 = self._initial["distance"]
        d = float(np.clip(self.distance * factor, MIN_ZOOM * d0, MAX_ZOOM * d0))
        self.distance = VIEW_DISTANCE.clamp(d)

    def pan(self, dx_px, dy_px, size) -> None:
        """Move the centre in the view plane so the scene follows a mouse motion of
        (dx_px, dy_px) pixels (the centre kept within its range)."""
        right, up, _ = self.basis()
        s = self.distance / self.focal_px(size)
        self.center = _clamp_center(self.center - s * (float(dx_px) * right - float(dy_px) * up))

    def advance(self, seconds, orbit_deg_per_s=None) -> None:
        """A slowly orbiting camera: turn the azimuth by ``orbit_deg_per_s`` (default: the
        camera's own rate) times ``seconds``."""
        rate = self.orbit_deg_per_s if orbit_deg_per_s is None else float(orbit_deg_per_s)
        self.orbit(rate * float(seconds), 0.0)

    def reset(self) -> None:
        """Back to the settings the camera was made with, exactly."""
        s = self._initial
        self.azimuth_deg, self.elevation_deg = s["azimuth_deg"], s["elevation_deg"]
        self.distance, self.fov_deg = s["distance"], s["fov_deg"]
        self.center = np.array(s["center"], dtype=float)
        self.orbit_deg_per_s = s["orbit_deg_per_s"]
