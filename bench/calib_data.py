"""Synthetic data for bench/calibrate_images.py: a Panda whose kinematics deviate, a marker on
its flange, fixed cameras with lens distortion, and the images they take, with the truth.

:func:`make_dataset` writes into a folder::

    nominal.urdf        the shipped Panda (armsim/kinematics/models/panda.urdf), a copy
    true.urdf           the deviated Panda, written by armsim.vision.real.urdf_out (zero
                        offsets folded in): loading it gives the true FK of the READINGS
    joints.csv          the readings of the calibration poses (true joint values - offsets)
    setup.toml          the cameras (intrinsics and distortion as true: known) and the marker
    images/<camera>/<pose>.png
    obs_true.csv        each marker corner's true pixel (the noise-free projection)
    obs_drawn.csv       each corner as drawn: the true pixel plus the pixel noise
    truth.json          deviations, every parameter's true value (``<joint>.x``, ``.y``,
                        ``.z``: its origin in the parent link [m]; ``<joint>.offset`` [rad]),
                        the marker's and cameras' poses, 100 held-out poses (readings) with
                        their true flange pose and marker centre

The deviations (seeded): each joint origin's position moves by 1 to 2 mm and each zero offset
is 0.005 to 0.01 rad, random sign, **along the parameters the images can identify whatever
gauge a calibration holds**.  A parameter that lies in a null direction of the images (found
numerically: the marker's pose over random poses, with the cameras' and the marker's poses
free) stays nominal: joint 1's whole origin and offset (they move the arm against the
cameras: the world is the base link), the last joint's offset and its origin along its axis
(the marker's pose on the flange absorbs them), and each origin's component along its own
axis and along its parent's axis (the two trade against each other).  On the Panda that
leaves the origins' x (the modified-DH ``a`` direction) of joints 2-7 and the offsets of
joints 2-6: the held-out flange pose of a calibration is then comparable with the truth, and
so is each of these parameters.

Images (grey, 8 bit): the marker (OpenCV's DICT_4X4_50 image on a white card) rendered by
bench/marker_corners.py's :func:`render` (8x supersampled, area-averaged, each supersample
undistorted through the camera's lens and looked up: ``cv2.remap``), then blurred and given
grey-level noise.  *Pixel noise* is the corners' noise: each corner is drawn at its true
pixel plus Gaussian noise of ``pixel_noise`` px (per corner, per image), the marker warped
to those four corners, so a detector without bias finds the drawn corners and a
calibration sees i.i.d. corner noise (the Cramér-Rao bound's model).  The robot is not
drawn (a plain grey background).

    python bench/calib_data.py OUT --poses 30 --cameras 2 --noise 0.5 --seed 1
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import marker_corners as mc  # noqa: E402

from armsim.kinematics import robots  # noqa: E402
from armsim.kinematics.spatial import axis_angle_matrix, rpy_matrix, rotation_vector  # noqa: E402
from armsim.kinematics.urdf import load_robot, parse_root  # noqa: E402
from armsim.vision.real.lens import Lens  # noqa: E402
from armsim.vision.real.tables import (Joints, Observations, format_joints,  # noqa: E402
                                       format_observations, write_text)
from armsim.vision.real.urdf_out import JointCalibration, write_calibrated_urdf  # noqa: E402

__all__ = ["Config", "make_dataset", "chain_of", "link_pose", "null_parameters", "deviations",
           "look_at", "project", "marker_corners_world", "CAMERAS", "MARKER", "TOOL"]

ROBOT = "panda"
TOOL = "panda_link8"                   # the flange: the marker's link and the judged tool
ORIGIN_DEV = 0.002                     # [m] largest deviation of an origin coordinate
OFFSET_DEV = 0.01                      # [rad] largest zero offset
#: the marker: OpenCV's DICT_4X4_50 id 3, 6 cm, on the flange facing out along its z
MARKER = {"id": 3, "dictionary": mc.DICTIONARY, "size": 0.06, "link": TOOL,
          "xyz": (0.004, -0.003, 0.012), "rpy": (0.0, 0.0, 0.4)}
#: fixed cameras (OpenCV's frame: x right, y down, z forward), looking at the workspace
CAMERAS = (
    {"name": "a", "eye": (1.45, -0.65, 0.85), "target": (0.35, 0.0, 0.35), "width": 800,
     "height": 600, "fx": 880.0, "fy": 884.0, "cx": 402.3, "cy": 297.1,
     "distortion": (-0.11, 0.09, 0.0006, -0.0004, 0.0)},
    {"name": "b", "eye": (1.3, 0.8, 0.55), "target": (0.35, 0.0, 0.35), "width": 800,
     "height": 600, "fx": 860.0, "fy": 861.5, "cx": 398.0, "cy": 303.4,
     "distortion": (0.07, -0.05, -0.0003, 0.0005, 0.0)},
)
MAX_TILT_DEG = 55.0                    # marker normal to the camera's ray, at most
MIN_SIDE_PX = 30.0                     # marker side in the image, at least
EDGE_PX = 6.0                          # card to the image's border, at least
CANDIDATES = 4000                      # candidate poses drawn at a time


@dataclass(frozen=True)
class Config:
    """One dataset.  ``pixel_noise`` [px]: the corners' noise; ``grey_noise`` [grey levels]
    and ``blur`` [px, Gaussian sigma]: the image's; ``deviate``: False for truth = nominal."""

    poses: int = 30
    cameras: int = 2
    pixel_noise: float = 0.5
    grey_noise: float = 1.0
    blur: float = 0.7
    deviate: bool = True
    heldout: int = 100
    seed: int = 1


# -- kinematics of the chain from the root to the marker's link ----------------------------------
@dataclass(frozen=True)
class ChainJoint:
    name: str
    type: str
    R: np.ndarray              # origin rotation (3, 3), in the parent link
    p: np.ndarray              # origin position (3,) [m]
    rpy: tuple
    axis: np.ndarray           # unit axis (3,) in the child link

    @property
    def movable(self):
        return self.type in ("revolute", "continuous", "prismatic")


def _floats(text, default):
    return np.array([float(x) for x in (text or default).split()])


def chain_of(urdf, link=TOOL):
    """The joints from the URDF's root to ``link`` (root first): a list of ChainJoint."""
    root = parse_root(urdf)
    by_child = {j.find("child").get("link"): j for j in root.findall("joint")}
    out = []
    while link in by_child:
        j = by_child[link]
        o = j.find("origin")
        xyz = _floats(None if o is None else o.get("xyz"), "0 0 0")
        rpy = _floats(None if o is None else o.get("rpy"), "0 0 0")
        a = j.find("axis")
        axis = _floats(None if a is None else a.get("xyz"), "1 0 0")
        out.append(ChainJoint(j.get("name"), j.get("type"), rpy_matrix(rpy), xyz,
                              tuple(rpy), axis / np.linalg.norm(axis)))
        link = j.find("parent").get("link")
    return out[::-1]


def link_pose(chain, q, dev=None):
    """Poses (B, 4, 4) of the chain's last link for readings ``q`` (B, m) of its movable
    joints; ``dev`` (m, 4): each movable joint's origin shift (3, parent frame) and zero offset
    (the true value is the reading plus it)."""
    q = np.atleast_2d(np.asarray(q, float))
    moving = [j for j in chain if j.movable]
    dev = np.zeros((len(moving), 4)) if dev is None else np.asarray(dev, float)
    T = np.broadcast_to(np.eye(4), (len(q), 4, 4)).copy()
    k = 0
    for j in chain:
        local = np.broadcast_to(np.eye(4), (len(q), 4, 4)).copy()
        local[:, :3, :3] = j.R
        local[:, :3, 3] = j.p
        if j.movable:
            local[:, :3, 3] += dev[k, :3]
            v = q[:, k] + dev[k, 3]
            move = np.broadcast_to(np.eye(4), (len(q), 4, 4)).copy()
            if j.type == "prismatic":
                move[:, :3, 3] = v[:, None] * j.axis
            else:
                move[:, :3, :3] = axis_angle_matrix(j.axis, v)
            local = local @ move
            k += 1
        T = T @ local
    return T


def _twist(T0, T1):
    """The small motion (B, 6) from T0 to T1, in T0's frame: rotation vector, translation."""
    D = np.linalg.inv(T0) @ T1
    return np.concatenate([rotation_vector(D[:, :3, :3]), D[:, :3, 3]], axis=1)


def _exp(xi):
    T = np.eye(4)
    angle = np.linalg.norm(xi[:3])
    if angle > 0:
        T[:3, :3] = axis_angle_matrix(xi[:3] / angle, angle)
    T[:3, 3] = xi[3:]
    return T


def parameter_names(chain):
    """``<joint>.x``, ``.y``, ``.z`` (its origin's position in the parent link) and
    ``<joint>.offset`` (zero offset) of each movable joint, in this order."""
    return [f"{j.name}.{k}" for j in chain if j.movable for k in ("x", "y", "z", "offset")]


def null_parameters(chain, link_from_marker, samples=40, seed=0, h=1e-5, tol=1e-6):
    """The parameters (:func:`parameter_names`) that take part in a null direction of what
    cameras see: the marker's world pose over ``samples`` random readings, with a constant
    world-from-base motion (the cameras) and a constant flange-from-marker motion free."""
    moving = [j for j in chain if j.movable]
    m = len(moving)
    q = np.random.default_rng(seed).uniform(-2.5, 2.5, (samples, m))
    M = np.asarray(link_from_marker, float)

    def seen(x):
        dev = x[:4 * m].reshape(m, 4)
        return _exp(x[4 * m:4 * m + 6]) @ link_pose(chain, q, dev) @ M @ _exp(x[4 * m + 6:])

    x0 = np.zeros(4 * m + 12)
    T0 = seen(x0)
    J = np.zeros((6 * samples, x0.size))
    for i in range(x0.size):
        e = np.zeros_like(x0)
        e[i] = h
        J[:, i] = ((_twist(T0, seen(x0 + e)) - _twist(T0, seen(x0 - e))) / (2 * h)).ravel()
    _, s, vt = np.linalg.svd(J)
    null = vt[s < tol * s[0]][:, :4 * m]
    names = parameter_names(chain)
    return [n for n, col in zip(names, np.linalg.norm(null, axis=0)) if col > tol]


def deviations(chain, seed, null=(), deviate=True):
    """(m, 4) deviations: origin shifts 1-2 mm and zero offsets 0.005-0.01 rad with random
    signs, zero for the parameters in ``null`` (and all zero when not ``deviate``)."""
    names = parameter_names(chain)
    rng = np.random.default_rng([seed, 26])
    size = rng.uniform(0.5, 1.0, len(names)) * rng.choice([-1.0, 1.0], len(names))
    scale = np.array([OFFSET_DEV if n.endswith(".offset") else ORIGIN_DEV for n in names])
    dev = size * scale * np.array([n not in null for n in names]) * float(deviate)
    return dev.reshape(-1, 4)


# -- cameras and the marker ----------------------------------------------------------------------
def look_at(eye, target):
    """world_from_camera (4, 4) of a camera at ``eye`` looking at ``target`` (OpenCV's frame:
    z forward, x right, y down; the world's z up)."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    z = (target - eye) / np.linalg.norm(target - eye)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    T = np.eye(4)
    T[:3, :3] = np.column_stack([x, np.cross(z, x), z])
    T[:3, 3] = eye
    return T


def _pose(xyz, rpy):
    T = np.eye(4)
    T[:3, :3] = rpy_matrix(np.asarray(rpy, float))
    T[:3, 3] = xyz
    return T


def marker_corners_world(T_link, link_from_marker, size, margin=0.0):
    """The marker's corners (B, 4, 3) in OpenCV's ArUco order: (-s/2, s/2), (s/2, s/2),
    (s/2, -s/2), (-s/2, -s/2) in its frame (x right, y up, z out of its face); ``margin``
    (a fraction of the side) widens the square to the white card's."""
    h = size * (0.5 + margin)
    local = np.array([[-h, h, 0, 1], [h, h, 0, 1], [h, -h, 0, 1], [-h, -h, 0, 1.0]])
    return np.einsum("bij,kj->bki", T_link @ link_from_marker, local)[..., :3]


def project(points, camera_from_world, lens):
    """Pixels (..., 2) of world points (..., 3), distorted by ``lens``, and depths (...)."""
    X = points @ camera_from_world[:3, :3].T + camera_from_world[:3, 3]
    ideal = X[..., :2] / X[..., 2:] * lens.f + lens.c
    return lens.distort(ideal), X[..., 2]


def _lens(cam):
    return Lens(cam["fx"], cam["fy"], cam["cx"], cam["cy"], cam["distortion"])


def _visible(T_link, M, cam):
    """Which poses show the marker's card whole to ``cam``, facing it within MAX_TILT_DEG."""
    W = look_at(cam["eye"], cam["target"])
    cw = np.linalg.inv(W)
    lens = _lens(cam)
    TM = T_link @ M
    to_cam = W[:3, 3] - TM[:, :3, 3]
    cos = np.einsum("bi,bi->b", TM[:, :3, 2], to_cam) / np.linalg.norm(to_cam, axis=1)
    card = marker_corners_world(T_link, M, MARKER["size"], margin=mc.CARD)
    s = np.linspace(0, 1, 9)[:, None, None]
    outline = np.concatenate([card[:, i][None] + s * (card[:, (i + 1) % 4] - card[:, i])[None]
                              for i in range(4)]).transpose(1, 0, 2)      # (B, 36, 3)
    X = outline @ cw[:3, :3].T + cw[:3, 3]
    ok = (cos > math.cos(math.radians(MAX_TILT_DEG))) & (X[..., 2] > 0.3).all(axis=1)
    ideal = X[..., :2] / np.maximum(X[..., 2:], 1e-9) * lens.f + lens.c
    # the distortion polynomial is used only near the image (it folds back far outside)
    r2 = (((ideal - lens.c) / lens.f) ** 2).sum(axis=-1)
    ok &= (r2 < 0.6).all(axis=1)
    uv = lens.distort(ideal)
    ok &= ((uv[..., 0] >= EDGE_PX) & (uv[..., 0] <= cam["width"] - 1 - EDGE_PX)
           & (uv[..., 1] >= EDGE_PX) & (uv[..., 1] <= cam["height"] - 1 - EDGE_PX)).all(axis=1)
    corners, _ = project(marker_corners_world(T_link, M, MARKER["size"]), cw, lens)
    side = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=-1).min(axis=1)
    return ok & (side >= MIN_SIDE_PX)


def sample_poses(rng, chain, dev, limits, cameras, count, M):
    """``count`` true joint values (count, m) within the limits (0.05 rad inside) whose
    marker every camera of ``cameras`` sees, the flange above 10 cm and 25 cm from the base's
    axis."""
    lo, hi = limits[:, 0] + 0.05, limits[:, 1] - 0.05
    found = []
    for _ in range(200):
        q = rng.uniform(lo, hi, (CANDIDATES, len(lo)))
        T = link_pose(chain, q - dev[:, 3], dev)        # readings = true - offsets
        ok = (T[:, 2, 3] > 0.1) & (np.hypot(T[:, 0, 3], T[:, 1, 3]) > 0.25)
        for cam in cameras:
            ok &= _visible(T, M, cam)
        found.extend(q[ok])
        if len(found) >= count:
            return np.array(found[:count])
    raise RuntimeError(f"only {len(found)} of {count} poses show the marker")


# -- the dataset ---------------------------------------------------------------------------------
def _dlt(src, dst):
    """The exact homography (3, 3) taking 4 points ``src`` to ``dst`` (float64 throughout)."""
    A = []
    for (x, y), (u, v) in zip(src, dst):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.array(A))
    return vt[-1].reshape(3, 3) / vt[-1, -1]


def _setup_text(cameras):
    lines = ["# written by bench/calib_data.py: cameras fixed in the world (the Panda's base)", ""]
    for c in cameras:
        lines += ["[[camera]]", f'name = "{c["name"]}"', f"width = {c['width']}",
                  f"height = {c['height']}"]
        lines += [f"{k} = {float(c[k])!r}" for k in ("fx", "fy", "cx", "cy")]
        lines += ["distortion = [" + ", ".join(repr(float(d)) for d in c["distortion"]) + "]", ""]
    lines += ["[[marker]]", f"id = {MARKER['id']}", f'dictionary = "{MARKER["dictionary"]}"',
              f"size = {MARKER['size']!r}", f'link = "{MARKER["link"]}"', ""]
    return "\n".join(lines)


def make_dataset(folder, config=Config()):
    """Write a dataset (see the module's docstring) into ``folder`` (created; must be empty
    or absent) and return its truth (the dict of truth.json, with ``"seconds"``)."""
    cv2 = mc.opencv()
    t0 = time.perf_counter()
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder}: not empty; give a new folder")
    if not 1 <= config.cameras <= len(CAMERAS):
        raise ValueError(f"cameras must be 1 to {len(CAMERAS)}, got {config.cameras}")
    folder.mkdir(parents=True, exist_ok=True)
    nominal = folder / "nominal.urdf"
    shutil.copyfile(robots.path(ROBOT), nominal)
    chain = chain_of(nominal)
    moving = [j for j in chain if j.movable]
    M = _pose(MARKER["xyz"], MARKER["rpy"])
    null = null_parameters(chain, M)
    dev = deviations(chain, config.seed, null, config.deviate)
    true_urdf = folder / "true.urdf"
    write_calibrated_urdf(nominal, {j.name: JointCalibration(tuple(j.p + d[:3]), j.rpy, d[3])
                                    for j, d in zip(moving, dev)}, true_urdf)
    robot = load_robot(nominal)
    names = tuple(j.name for j in moving)
    assert robot.joint_names == names
    cameras = CAMERAS[:config.cameras]
    rng = np.random.default_rng([config.seed, config.poses, config.cameras])
    q_true = sample_poses(rng, chain, dev, robot.limits, cameras, config.poses, M)
    readings = q_true - dev[:, 3]
    poses = tuple(f"p{i:03d}" for i in range(config.poses))
    write_text(folder / "joints.csv", format_joints(Joints(names, poses, readings)))
    write_text(folder / "setup.toml", _setup_text(cameras))
    T_link = load_robot(true_urdf).frames(readings, links=[TOOL])[TOOL]
    corners_w = marker_corners_world(T_link, M, MARKER["size"])
    true_obs, drawn_obs = {}, {}
    noise_rng = np.random.default_rng([config.seed, 7, int(round(1000 * config.pixel_noise))])
    for cam in cameras:
        lens = _lens(cam)
        cw = np.linalg.inv(look_at(cam["eye"], cam["target"]))
        (folder / "images" / cam["name"]).mkdir(parents=True, exist_ok=True)
        uv, _ = project(corners_w, cw, lens)
        for i, pose in enumerate(poses):
            drawn = uv[i] + noise_rng.normal(0.0, config.pixel_noise, (4, 2))
            H = _dlt(np.array([[0, 0], [1, 0], [1, 1], [0, 1.0]]), lens.undistort(drawn))
            image = mc.render([(MARKER["id"], H)], cam["width"], cam["height"], config.blur,
                              config.grey_noise, noise_rng, lens if lens.distorts else None)
            if not cv2.imwrite(str(folder / "images" / cam["name"] / f"{pose}.png"), image):
                raise OSError(f"{folder}: cannot write {cam['name']}/{pose}.png")
            true_obs[(pose, cam["name"])] = {MARKER["id"]: uv[i]}
            drawn_obs[(pose, cam["name"])] = {MARKER["id"]: lens.distort(mc.corners_of(H))}
    write_text(folder / "obs_true.csv", format_observations(Observations.from_images(true_obs)))
    write_text(folder / "obs_drawn.csv", format_observations(Observations.from_images(drawn_obs)))
    # held-out poses: the same distribution, their own stream
    held_rng = np.random.default_rng([config.seed, 100, config.cameras])
    held_true = sample_poses(held_rng, chain, dev, robot.limits, cameras, config.heldout, M)
    held = held_true - dev[:, 3]
    T_held = load_robot(true_urdf).frames(held, links=[TOOL])[TOOL]
    pnames = parameter_names(chain)
    nominal_values = np.array([[*j.p, 0.0] for j in moving]).ravel()
    truth = {
        "config": asdict(config), "robot": ROBOT, "tool": TOOL, "joints": list(names),
        "deviations": {j.name: {"xyz": (j.p + d[:3]).tolist(), "dxyz": d[:3].tolist(),
                                "zero_offset": float(d[3])} for j, d in zip(moving, dev)},
        "null_parameters": null,
        "parameters": {n: float(v) for n, v in zip(pnames, nominal_values + dev.ravel())},
        "marker": {"id": MARKER["id"], "dictionary": MARKER["dictionary"],
                   "size": MARKER["size"], "link": TOOL, "link_from_marker": M.tolist()},
        "cameras": {c["name"]: {"world_from_camera": look_at(c["eye"], c["target"]).tolist(),
                                **{k: c[k] for k in ("width", "height", "fx", "fy", "cx", "cy")},
                                "distortion": list(c["distortion"])} for c in cameras},
        "poses": list(poses),
        "heldout": {"readings": held.tolist(), "tool": T_held.tolist(),
                    "marker": (T_held @ M)[:, :3, 3].tolist()},
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    truth["seconds"] = time.perf_counter() - t0
    return truth


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--poses", type=int, default=30)
    ap.add_argument("--cameras", type=int, default=2, choices=(1, 2))
    ap.add_argument("--noise", type=float, default=0.5, help="corner noise [px]")
    ap.add_argument("--grey-noise", type=float, default=1.0, help="image noise [grey levels]")
    ap.add_argument("--blur", type=float, default=0.7, help="Gaussian blur sigma [px]")
    ap.add_argument("--nominal", action="store_true", help="no deviations (truth = nominal)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        truth = make_dataset(args.folder, Config(args.poses, args.cameras, args.noise,
                                                 args.grey_noise, args.blur, not args.nominal,
                                                 seed=args.seed))
    except ValueError as exc:
        print(f"calib_data: {exc}", file=sys.stderr)
        return 2
    print(f"{args.folder}: {args.poses} poses x {args.cameras} camera(s) in "
          f"{truth['seconds']:.2f} s; deviated: "
          + (", ".join(f"{k} {1e3 * v:+.2f}{' mrad' if k.endswith('offset') else ' mm'}"
                       for k, v in _deviation_items(truth)) or "none"))
    return 0


def _deviation_items(truth):
    for name, d in truth["deviations"].items():
        for axis, v in zip("xyz", d["dxyz"]):
            if v:
                yield f"{name}.{axis}", v
        if d["zero_offset"]:
            yield f"{name}.offset", d["zero_offset"]


if __name__ == "__main__":
    raise SystemExit(main())
