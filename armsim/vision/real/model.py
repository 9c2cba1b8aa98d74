"""The measurement model of a real calibration: parameters -> the pixels of every marker corner.

The chains run from the URDF's root to each marker's link and to each eye-in-hand camera's
link.  Every movable joint on them has 7 parameters, every marker 6, every camera 6 (and 9
more when it learns its intrinsics)::

    <joint>.offset          zero offset [rad or m]: the joint's true value = reading + offset
    <joint>.x .y .z         the joint origin's position in its parent link [m] (absolute)
    <joint>.rx .ry .rz      a turn of the origin about its own nominal axes [rad]:
                            R_origin = R_nominal Rz(rz) Ry(ry) Rx(rx)   (rpy_matrix)
    marker[<id>].x .y .z    link_from_marker's position [m]
    marker[<id>].rx .ry .rz its rotation, as a turn about the reference (start) frame's axes
    camera[<name>].x ...    world_from_camera (fixed camera) or link_from_camera (eye-in-hand),
    camera[<name>].rx ...   the same way
    camera[<name>].fx .fy .cx .cy .k1 .k2 .p1 .p2 .k3   with ``learn_intrinsics``

Rotations are turns about a reference frame's own axes rather than absolute roll-pitch-yaw:
a joint origin at pitch +-pi/2 (the UR5's) would lose a direction otherwise, and a turn
about a revolute joint's own axis (``rz`` for the usual z axes) is then exactly its zero
offset's null direction, one parameter.

Projection: OpenCV's pinhole with its distortion (:mod:`armsim.vision.real.lens` in numpy)
on a marker's 4 corners, OpenCV's ArUco order in the marker's frame (``solvePnP``'s
``SOLVEPNP_IPPE_SQUARE`` object points): ``(-s/2, s/2, 0), (s/2, s/2, 0), (s/2, -s/2, 0),
(-s/2, -s/2, 0)``.  A corner nearer than :data:`NEAR` (:data:`armsim.vision.camera3d.NEAR`,
1 mm) along the optical axis, on or behind the camera's plane, is projected as if at NEAR:
far off the image and continuous, so a fit started in front does not step a camera past the
markers its images see (a point behind was projected through the centre onto the image,
mirrored, and one on the plane was inf or NaN).  Likewise a corner farther off the optical
axis than its camera's distortion's fold (:func:`armsim.vision.real.lens.fold`, where the
distorted radius stops growing) is projected on the fold's tangent, its distorted radius
growing on as the pinhole's (slope 1): continuous and monotone, so a corner far outside the
field of view is not drawn back onto the image (with k1 = -0.3 a point 1.8 focal lengths
off the axis was drawn 0.05 off it) and a fit cannot settle with its camera turned away
(:meth:`Model.folded` finds such corners).  Everything runs on arrays and on
:class:`~armsim.ad.dual.Dual`, over every pose at once: :meth:`Model.residuals` gives the
residuals and their Jacobian from one forward pass (never a hand-written derivative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.kinematics.spatial import matrix_rpy, rpy_matrix
from armsim.vision.camera3d import NEAR
from armsim.vision.real.errors import DataError
from armsim.vision.real.lens import fold

__all__ = ["Model", "Data", "corner_points", "INTRINSICS", "POSE_KEYS", "JOINT_KEYS", "NEAR"]

JOINT_KEYS = ("offset", "x", "y", "z", "rx", "ry", "rz")
POSE_KEYS = ("x", "y", "z", "rx", "ry", "rz")
INTRINSICS = ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3")
MOVABLE = ("revolute", "continuous", "prismatic")


def corner_points(size):
    """A marker's corners (4, 3) in its own frame [m], OpenCV's ArUco order."""
    h = 0.5 * float(size)
    return np.array([[-h, h, 0.0], [h, h, 0.0], [h, -h, 0.0], [-h, -h, 0.0]])


def _pose_matrix(R, p):
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, p
    return T


def _T(R):
    """Transpose of the last two axes (arrays or Duals)."""
    return ad.moveaxis(R, -1, -2) if isinstance(R, ad.Dual) else np.swapaxes(R, -1, -2)


def _axis_turns(axes, q):
    """Rotations about the unit ``axes`` (n, 3) by ``q`` (P, n): (P, n, 3, 3), arrays or
    Duals, in one pass."""
    x, y, z = axes[:, 0], axes[:, 1], axes[:, 2]
    zero = np.zeros_like(x)
    k = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1),
                  np.stack([-y, x, zero], -1)], axis=-2)                    # (n, 3, 3)
    c, s = ad.cos_sin(q)
    shape = np.shape(ad.value_of(q)) + (1, 1)
    return np.eye(3) + ad.reshape(s, shape) * k + ad.reshape(1.0 - c, shape) * (k @ k)


@dataclass
class Data:
    """The observed corners, aligned with the model's layout.

    pose, camera, marker : ndarray (N,) int   indices into ``poses``, the setup's cameras
                                              and markers;  corner : ndarray (N,) int 0-3
    uv : ndarray (N, 2) [px];  readings : ndarray (P, J) joint readings of ``poses``
    weights : ndarray (2 N,) per residual (robust loss; 1 by default)
    """

    poses: tuple
    readings: np.ndarray
    pose: np.ndarray
    camera: np.ndarray
    marker: np.ndarray
    corner: np.ndarray
    uv: np.ndarray
    weights: np.ndarray

    def __len__(self):
        return len(self.pose)

    def weighted(self, weights):
        return Data(self.poses, self.readings, self.pose, self.camera, self.marker,
                    self.corner, self.uv, np.asarray(weights, float))

    def subset(self, keep):
        keep = np.asarray(keep, bool)
        w = self.weights.reshape(-1, 2)[keep].ravel()
        return Data(self.poses, self.readings, self.pose[keep], self.camera[keep],
                    self.marker[keep], self.corner[keep], self.uv[keep], w)


class Model:
    """The parameter layout and the forward pass of a real robot, its cameras and markers.

    Parameters
    ----------
    robot : :class:`armsim.Robot` (``armsim.load_robot``)
    setup : :class:`~armsim.vision.real.setup.Setup`
    joint_names : sequence of str, the columns of ``joints.csv`` (its readings' order)
    source : str, ``joints.csv``'s name for messages
    """

    def __init__(self, robot, setup, joint_names, source="joints.csv"):
        self.robot, self.setup = robot, setup
        self.source = str(source)
        self.joint_names = tuple(joint_names)
        self.cameras, self.markers = tuple(setup.cameras), tuple(setup.markers)
        targets = [m.link for m in self.markers] + [c.link for c in self.cameras if c.link]
        steps, seen = [], set()
        for link in targets:
            path, _ = robot.path(link)       # the joints from the root to ``link``
            for j in path:
                if j.name in seen:
                    continue
                seen.add(j.name)
                steps.append(j)
        order = {link: i for i, link in enumerate(robot.link_order)}
        steps.sort(key=lambda j: order[j.child])
        names, nominal, self.steps = [], [], []
        column = {n: i for i, n in enumerate(self.joint_names)}
        for j in steps:
            if j.type not in MOVABLE:
                self.steps.append((j, None, None))
                continue
            if j.mimic is not None:
                raise DataError(getattr(robot, "urdf", "robot"), f"joint {j.name!r}",
                                "a mimic joint between the root and a marker or camera "
                                "cannot be calibrated")
            if j.name not in column:
                raise DataError(source, "line 1", f"no column for joint {j.name!r}, which moves "
                                "a marker or a camera; give its readings")
            self.steps.append((j, len(names), column[j.name]))
            names += [f"{j.name}.{k}" for k in JOINT_KEYS]
            nominal += [0.0, *j.xyz, 0.0, 0.0, 0.0]
        self.kinematic = len(names)
        self.joints = tuple(j.name for j, i, _ in self.steps if i is not None)
        self.marker_at, self.camera_at = {}, {}
        for m in self.markers:
            self.marker_at[m.id] = len(names)
            names += [f"marker[{m.id}].{k}" for k in POSE_KEYS]
            nominal += [0.0] * 6
        self.intrinsics_at = {}
        for c in self.cameras:
            self.camera_at[c.name] = len(names)
            names += [f"camera[{c.name}].{k}" for k in POSE_KEYS]
            nominal += [0.0] * 6
            if c.learn_intrinsics:
                self.intrinsics_at[c.name] = len(names)
                names += [f"camera[{c.name}].{k}" for k in INTRINSICS]
                nominal += [c.fx, c.fy, c.cx, c.cy, *c.distortion]
        self.names = tuple(names)
        self.nominal = np.array(nominal, float)
        self.angular = np.array([n.rsplit(".", 1)[1] in ("offset", "rx", "ry", "rz")
                                 for n in names])
        self.reference = {}             # marker id / camera name -> R (3, 3) of its rotation
        self.corners = np.stack([corner_points(m.size) for m in self.markers])   # (M, 4, 3)

    @property
    def dim(self) -> int:
        return len(self.names)

    def index(self, name) -> int:
        return self.names.index(name)

    # -- poses ----------------------------------------------------------------------------
    def set_pose(self, theta, key, T):
        """Put the pose ``T`` (4, 4) of a marker id or camera name into ``theta`` (its
        rotation becomes the reference: its turn parameters 0)."""
        at = self.marker_at[key] if key in self.marker_at else self.camera_at[key]
        self.reference[key] = np.array(T[:3, :3], float)
        theta[at:at + 3] = T[:3, 3]
        theta[at + 3:at + 6] = 0.0
        return theta

    def rotations(self, theta):
        """``{index of a turn's first parameter: R (3, 3)}``: every joint origin's, marker's
        and camera's rotation (nominal or reference times the turn), from one batched
        :func:`rpy_matrix` (arrays or Duals)."""
        starts, bases = [], []
        for j, at, _ in self.steps:
            if at is not None:
                starts.append(at + 4)
                bases.append(rpy_matrix(np.asarray(j.rpy, float)))
        for key, at in list(self.marker_at.items()) + list(self.camera_at.items()):
            starts.append(at + 3)
            bases.append(self.reference.get(key, np.eye(3)))
        idx = np.array(starts)[:, None] + np.arange(3)
        R = ad.matmul(np.array(bases), rpy_matrix(theta[idx]))
        return {s: R[i] for i, s in enumerate(starts)}

    def _pose(self, theta, at, key, turns=None):
        if turns is None:
            R0 = self.reference.get(key, np.eye(3))
            return ad.matmul(R0, rpy_matrix(theta[at + 3:at + 6])), theta[at:at + 3]
        return turns[at + 3], theta[at:at + 3]

    def pose_matrix(self, theta, key):
        """link_from_marker (a marker id) or world/link_from_camera (a camera name), (4, 4)."""
        at = self.marker_at[key] if key in self.marker_at else self.camera_at[key]
        R, p = self._pose(np.asarray(theta, float), at, key)
        return _pose_matrix(R, p)

    def intrinsics(self, theta, camera):
        """(fx, fy, cx, cy, distortion (5,)) of ``camera`` (floats, or Duals when learned)."""
        at = self.intrinsics_at.get(camera.name)
        if at is None:
            return camera.fx, camera.fy, camera.cx, camera.cy, camera.distortion
        return (theta[at], theta[at + 1], theta[at + 2], theta[at + 3], theta[at + 4:at + 9])

    def joint_origin(self, theta, name):
        """(xyz (3,), rpy (3,), zero offset) of a calibrated joint (floats)."""
        theta = np.asarray(theta, float)
        for j, at, _ in self.steps:
            if j.name == name and at is not None:
                R = rpy_matrix(np.asarray(j.rpy, float)) @ rpy_matrix(theta[at + 4:at + 7])
                return theta[at + 1:at + 4].copy(), matrix_rpy(R), float(theta[at])
        raise KeyError(name)

    # -- the forward pass -----------------------------------------------------------------
    def link_poses(self, theta, readings, turns=None):
        """``{link: (R (P, 3, 3), p (P, 3))}`` in the root's frame for readings (P, J) of
        ``joints.csv``'s columns; arrays or Duals.  ``turns``: :meth:`rotations`."""
        readings = np.asarray(readings, float)
        if turns is None:
            turns = self.rotations(theta)
        P = readings.shape[0]
        frames = {self.robot.root: (np.broadcast_to(np.eye(3), (P, 3, 3)), np.zeros((P, 3)))}
        moving = [(at, col, j.axis) for j, at, col in self.steps if at is not None]
        if moving:
            ats, cols, axes = zip(*moving)
            axes = np.array(axes, float)
            axes = axes / np.linalg.norm(axes, axis=1, keepdims=True)
            q_all = readings[:, list(cols)] + theta[np.array(ats)]            # (P, n)
            motions = _axis_turns(axes, q_all)                               # (P, n, 3, 3)
            slot = {at: i for i, at in enumerate(ats)}
        for j, at, col in self.steps:
            Rp, pp = frames[j.parent]
            if at is None:
                R = ad.matmul(Rp, rpy_matrix(np.asarray(j.rpy, float)))
                p = pp + ad.matmul(Rp, np.asarray(j.xyz, float))
            else:
                Rb = ad.matmul(Rp, turns[at + 4])
                p = pp + _rotate(Rp, theta[at + 1:at + 4])
                i = slot[at]
                if j.type == "prismatic":
                    R = Rb
                    p = p + ad.reshape(q_all[:, i], (-1, 1)) * ad.matmul(Rb, axes[i])
                else:
                    R = ad.matmul(Rb, motions[:, i])
            frames[j.child] = (R, p)
        return frames

    def world_from_camera(self, theta, camera, frames, turns=None):
        """(R, p) of a camera in the world: (3, 3), (3,) when fixed, (P, ...) on a link."""
        R, p = self._pose(theta, self.camera_at[camera.name], camera.name, turns)
        if camera.link is None:
            return R, p
        Rl, pl = frames[camera.link]
        return ad.matmul(Rl, R), pl + _rotate(Rl, p)

    def marker_corners(self, theta, frames, turns=None):
        """World corners (P, M, 4, 3) of every marker."""
        out = []
        for k, m in enumerate(self.markers):
            R, p = self._pose(theta, self.marker_at[m.id], m.id, turns)
            Rl, pl = frames[m.link]
            Rw = ad.matmul(Rl, R)                                  # (P, 3, 3)
            pw = pl + _rotate(Rl, p)                               # (P, 3)
            X = ad.matmul(self.corners[k], _T(Rw))                 # (P, 4, 3)
            out.append(X + ad.reshape(pw, (-1, 1, 3)))
        return ad.stack(out, axis=1)

    def in_cameras(self, theta, readings):
        """``(camera, Xc (P, M, 4, 3))`` for each camera: every corner in its coordinates."""
        turns = self.rotations(theta)
        frames = self.link_poses(theta, readings, turns)
        X = self.marker_corners(theta, frames, turns)              # (P, M, 4, 3)
        P = np.shape(readings)[0]
        for cam in self.cameras:
            R, p = self.world_from_camera(theta, cam, frames, turns)
            if cam.link is None:
                R, p = ad.broadcast_to(R, (P, 3, 3)), ad.broadcast_to(p, (P, 3))
            # camera coordinates: R^T (X - p), per pose
            d = X - ad.reshape(p, (-1, 1, 1, 3))
            Xc = ad.matmul(ad.reshape(d, (P, -1, 3)), R)           # rows: (R^T d)^T = d^T R
            yield cam, ad.reshape(Xc, (P, len(self.markers), 4, 3))

    def pixels(self, theta, readings):
        """Pixels (P, C, M, 4, 2) and depths (P, C, M, 4) of every corner in every camera."""
        pix, depth = [], []
        for cam, Xc in self.in_cameras(theta, readings):
            uv, z = self.project(theta, cam, Xc)
            pix.append(uv)
            depth.append(z)
        return ad.stack(pix, axis=1), ad.stack(depth, axis=1)

    def fold(self, theta, camera):
        """The squared normalised radius where ``camera``'s distortion (at ``theta`` when it
        is learned) turns back (:func:`armsim.vision.real.lens.fold`), or inf."""
        return fold(ad.value_of(self.intrinsics(theta, camera)[4]))

    def folded(self, theta, data):
        """(N,) bool: the observed corners ``theta`` puts in front of their camera (deeper
        than :data:`NEAR`) but farther off its axis than its distortion's fold, where no
        lens draws them (:meth:`project` continues past it)."""
        theta = np.asarray(theta, float)
        out = []
        for cam, Xc in self.in_cameras(theta, data.readings):
            z = Xc[..., 2]
            near = np.maximum(z, NEAR)
            x, y = Xc[..., 0] / near, Xc[..., 1] / near
            out.append((z > NEAR) & (x * x + y * y > self.fold(theta, cam)))
        return np.stack(out, axis=1)[data.pose, data.camera, data.marker, data.corner]

    def project(self, theta, camera, Xc):
        """OpenCV's pinhole and distortion: pixels (..., 2) and depth (...) of camera
        coordinates ``Xc`` (..., 3).  A point nearer than :data:`NEAR` (on or behind the
        camera's plane: never seen) is projected as if at NEAR (its pixels and their
        derivatives finite and continuous, far off the image, not mirrored onto it); one
        past the distortion's fold, on its tangent (the module's docstring)."""
        fx, fy, cx, cy, d = self.intrinsics(theta, camera)
        z = Xc[..., 2]
        # (x / z with z on the plane was inf or NaN, and a point behind it was projected
        # through the centre onto the image: a fit could put a camera behind its markers)
        near = ad.maximum(z, NEAR)
        x, y = Xc[..., 0] / near, Xc[..., 1] / near
        k1, k2, p1, p2, k3 = (d[i] for i in range(5))
        r2 = x * x + y * y
        radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
        u0 = fold(ad.value_of(d))
        beyond = np.asarray(ad.value_of(r2)) > u0
        if beyond.any():           # (else untouched: the fits of corners in view, bit for bit)
            radial = ad.where(beyond, _past_fold(r2, u0, k1, k2, k3), radial)
        xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
        yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
        return ad.stack([fx * xd + cx, fy * yd + cy], axis=-1), z

    # -- residuals ------------------------------------------------------------------------
    def predict(self, theta, data):
        """Predicted pixels (N, 2) of the observed corners, and their depths (N,)."""
        pix, depth = self.pixels(theta, data.readings)
        idx = (data.pose, data.camera, data.marker, data.corner)
        return pix[idx], depth[idx]

    def residuals(self, theta, data, free=None):
        """Residuals (2 N,) [px] (predicted - observed, times sqrt(weight)) and, when
        ``free`` (a boolean mask (D,) or indices) is given, their Jacobian (2 N, F) from
        one forward pass over every pose."""
        theta = np.asarray(theta, dtype=float)
        if free is not None:
            theta = ad.Dual.variables_of(theta, free)
        uv, _ = self.predict(theta, data)
        w = np.sqrt(data.weights)
        r = ad.reshape(uv - data.uv, (-1,)) * w
        if free is None:
            return ad.value_of(r), None
        return r.value, r.tangent

    def data(self, observations, joints):
        """:class:`Data` of an :class:`~armsim.vision.real.tables.Observations` and the
        :class:`~armsim.vision.real.tables.Joints` it refers to (its poses only)."""
        cams = {c.name: i for i, c in enumerate(self.cameras)}
        marks = {m.id: i for i, m in enumerate(self.markers)}
        where = {p: i for i, p in enumerate(joints.poses)}      # (an index: P lookups)
        used = sorted(set(observations.pose), key=where.__getitem__)
        at = {p: i for i, p in enumerate(used)}
        readings = joints.values[[where[p] for p in used]].reshape(len(used), -1)
        return Data(tuple(used), readings,
                    np.array([at[p] for p in observations.pose], int),
                    np.array([cams[c] for c in observations.camera], int),
                    np.array([marks[int(m)] for m in observations.marker], int),
                    np.asarray(observations.corner, int), np.asarray(observations.uv, float),
                    np.ones(2 * len(observations)))


def _past_fold(r2, u0, k1, k2, k3):
    """The radial factor past the fold ``u0`` (a float, :func:`fold` of the coefficients'
    values): ``r radial`` continued from the fold on a line of slope 1 in ``r``.  The fold
    as a function of the coefficients (Duals when learned) is one Newton step from ``u0``
    on ``1 + 3 k1 u + 5 k2 u^2 + 7 k3 u^3 = 0``: its value, and its derivatives by the
    implicit function theorem."""
    g = 1.0 + u0 * (3.0 * k1 + u0 * (5.0 * k2 + u0 * 7.0 * k3))
    slope = 3.0 * k1 + u0 * (10.0 * k2 + u0 * 21.0 * k3)
    u = u0 - g / slope if ad.value_of(slope) != 0.0 else u0
    at = 1.0 + u * (k1 + u * (k2 + u * k3))          # the radial factor at the fold
    r = ad.sqrt(ad.maximum(r2, u))
    return 1.0 + ad.sqrt(u) * (at - 1.0) / r


def _rotate(R, v):
    """R (..., 3, 3) times v (3,) or (..., 3): (..., 3)."""
    if np.ndim(ad.value_of(v)) == 1:
        return ad.matmul(R, v)
    v3 = ad.reshape(v, np.shape(ad.value_of(v)) + (1,))
    return ad.matmul(R, v3)[..., 0]
