"""Synthetic real-calibration data: a Panda whose joints deviate from its URDF, a marker on
its flange, two fixed cameras with lens distortion, and the marker corners they see.

Shared by tests/test_real_identify.py and tests/test_cli_calibrate.py.  Everything is
seeded; the truth is the nominal model with deviations on every parameter the calibration
does not hold (the held ones are gauges: moving them moves nothing the cameras see)."""

from __future__ import annotations

import numpy as np

import armsim
from armsim.kinematics.spatial import rpy_matrix
from armsim.vision.real import Joints, Observations, parse_setup
from armsim.vision.real.identify import gauges
from armsim.vision.real.model import Model

MARKER_LINK = "panda_link8"
SETUP = """\
[[camera]]
name = "left"
width = 1280
height = 1024
fx = 1150.0
fy = 1148.0
cx = 641.0
cy = 509.5
distortion = [-0.08, 0.11, 0.0004, -0.0003, 0.0]

[[camera]]
name = "right"
width = 1280
height = 1024
fx = 1100.0
fy = 1101.0
cx = 637.5
cy = 513.0
distortion = [0.05, -0.04, 0.0, 0.0, 0.0]

[[marker]]
id = 3
dictionary = "DICT_4X4_50"
size = 0.08
link = "panda_link8"
"""
#: where the cameras stand and what they look at [m]
EYES = ((1.9, -0.7, 0.9), (1.8, 0.8, 1.1))
LOOK = (0.45, 0.0, 0.45)
#: the marker on the flange: 3 cm off its axis, facing out along it
LINK_FROM_MARKER = ((0.03, 0.01, 0.005), (0.0, 0.0, 0.3))
MAX_TILT = np.radians(55.0)       # a marker seen more obliquely than this is not seen


def look_at(eye, target, roll=0.0):
    """world_from_camera (4, 4): the camera's z toward ``target``, its y down-ish."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.column_stack([x, y, z]) @ rpy_matrix(np.array([0.0, 0.0, roll]))
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, eye
    return T


def _pose(xyz, rpy):
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = rpy_matrix(np.asarray(rpy, float)), xyz
    return T


class Synthetic:
    """A seeded truth and what its cameras see.

    Attributes: robot, setup, model (the truth's layout), truth (D,), joints (Joints),
    observations (Observations), clean (N, 2) noise-free pixels, heldout (H, 7) readings
    of other poses where the cameras see the marker.
    """

    def __init__(self, seed=0, poses=30, sigma=0.5, origin=2e-3, offset=0.01, turn=2e-3,
                 setup_text=SETUP, heldout=100, robot="panda"):
        rng = np.random.default_rng(seed)
        self.robot = armsim.load_robot(armsim.robots.path(robot))
        if robot != "panda":
            setup_text = setup_text.replace(MARKER_LINK, self.robot.tips[0])
        self.setup = parse_setup(setup_text, "setup.toml", robot=self.robot)
        self.model = Model(self.robot, self.setup, self.robot.joint_names)
        m = self.model
        theta = m.nominal.copy()
        for cam, eye in zip(self.setup.cameras, EYES):
            m.set_pose(theta, cam.name, look_at(eye, LOOK, rng.uniform(-0.05, 0.05)))
        for marker in self.setup.markers:
            m.set_pose(theta, marker.id, _pose(*LINK_FROM_MARKER))
        lo, hi = self.robot.limits[:, 0], self.robot.limits[:, 1]
        q_probe = rng.uniform(lo, hi, (40, self.robot.n))
        probe = self._data(theta, q_probe, visible_only=False)
        _, jac = m.residuals(theta, probe, np.ones(m.dim, bool))
        _, held = gauges(m, jac)
        self.held = held
        dev = np.zeros(m.dim)
        for i, name in enumerate(m.names):
            if name.split(".")[0] not in m.joints or i in held:
                continue
            key = name.rsplit(".", 1)[1]
            size = {"offset": offset, "x": origin, "y": origin, "z": origin}.get(key, turn)
            dev[i] = rng.uniform(-size, size)
        self.truth = theta + dev
        self.readings = self.seen_poses(rng, poses)
        data = self._data(self.truth, self.readings, visible_only=True)
        self.clean = m.predict(self.truth, data)[0]
        uv = self.clean + rng.normal(0.0, sigma, self.clean.shape)
        names = tuple(f"p{i:03d}" for i in range(poses))
        self.joints = Joints(tuple(self.robot.joint_names), names, self.readings)
        cams = [c.name for c in self.setup.cameras]
        ids = [mk.id for mk in self.setup.markers]
        self.observations = Observations(tuple(names[p] for p in data.pose),
                                         tuple(cams[c] for c in data.camera),
                                         np.array([ids[k] for k in data.marker]),
                                         data.corner.copy(), uv)
        self.heldout = self.seen_poses(rng, heldout)

    def _data(self, theta, readings, visible_only):
        from armsim.vision.real.model import Data
        P, C, M = len(readings), len(self.setup.cameras), len(self.setup.markers)
        seen = self.visible(theta, readings) if visible_only else np.ones((P, C, M), bool)
        rows = np.array([(p, c, k, corner) for p, c, k in zip(*np.nonzero(seen))
                         for corner in range(4)], int).reshape(-1, 4)
        return Data(tuple(range(P)), np.asarray(readings, float), rows[:, 0], rows[:, 1],
                    rows[:, 2], rows[:, 3], np.zeros((len(rows), 2)), np.ones(2 * len(rows)))

    def visible(self, theta, readings):
        """(P, C, M) bool: the marker faces the camera within MAX_TILT, in front of it
        and 10 px or more inside its image."""
        m = self.model
        frames = m.link_poses(theta, readings)
        pix, depth = m.pixels(theta, readings)                  # (P, C, M, 4, 2), (P, C, M, 4)
        out = np.zeros(depth.shape[:3], bool)
        for k, mk in enumerate(self.setup.markers):
            Rl, pl = frames[mk.link]
            T = m.pose_matrix(theta, mk.id)
            normal = Rl @ T[:3, 2]                                # (P, 3)
            centre = pl + Rl @ T[:3, 3]
            for c, cam in enumerate(self.setup.cameras):
                to_camera = m.pose_matrix(theta, cam.name)[:3, 3] - centre
                cos = np.sum(normal * to_camera, axis=1) / np.linalg.norm(to_camera, axis=1)
                uv = pix[:, c, k]
                inside = ((uv >= 10).all(axis=(1, 2)) & (uv[..., 0] <= cam.width - 11).all(axis=1)
                          & (uv[..., 1] <= cam.height - 11).all(axis=1))
                out[:, c, k] = (cos > np.cos(MAX_TILT)) & (depth[:, c, k] > 0.2).all(axis=1) \
                    & inside
        return out

    def seen_poses(self, rng, count):
        """``count`` readings (count, n) in the limits where every camera sees every marker."""
        lo, hi = self.robot.limits[:, 0], self.robot.limits[:, 1]
        qs = []
        while len(qs) < count:
            cand = rng.uniform(lo, hi, (2000, self.robot.n))
            qs += list(cand[self.visible(self.truth, cand).all(axis=(1, 2))])
        return np.array(qs[:count])

    def marker_world(self, model, theta, readings, marker=3):
        """The marker's centre in the world (H, 3) for ``readings`` under ``theta``."""
        mk = self.setup.marker(marker)
        frames = model.link_poses(theta, readings)
        Rl, pl = frames[mk.link]
        return pl + Rl @ model.pose_matrix(theta, marker)[:3, 3]
