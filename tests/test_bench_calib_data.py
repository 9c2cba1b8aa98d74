"""bench/calib_data.py: the calibration benchmark's dataset (issue 26 item 5).

Small datasets (a few poses, few held-out poses); every random thing is seeded."""

import filecmp
import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from armsim import load_robot
from armsim.vision.real import read_joints, read_observations, read_setup
from armsim.vision.real.detect import detect_images

_bench = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(_bench))
_spec = importlib.util.spec_from_file_location("bench_calib_data", _bench / "calib_data.py")
data = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = data              # dataclasses look their module up
_spec.loader.exec_module(data)


def _make(root, name, **kw):
    folder = root / name
    truth = data.make_dataset(folder, data.Config(**{"poses": 4, "heldout": 5, **kw}))
    return folder, truth


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("calib")
    return {"exact": _make(root, "exact", cameras=2, pixel_noise=0.0, seed=3),
            "noisy": _make(root, "noisy", cameras=1, pixel_noise=0.5, seed=3),
            "again": _make(root, "again", cameras=1, pixel_noise=0.5, seed=3),
            "other": _make(root, "other", cameras=1, pixel_noise=0.5, seed=4),
            "nominal": _make(root, "nominal", cameras=1, deviate=False, seed=3)}


def _detected_vs(folder, table):
    setup = read_setup(folder / "setup.toml")
    joints = read_joints(folder / "joints.csv")
    found = detect_images(folder / "images", setup, joints).observations.images()
    want = read_observations(folder / table, setup, joints).images()
    assert set(found) == set(want)                       # every marker of every image found
    return np.concatenate([np.linalg.norm(found[k][m] - want[k][m], axis=1)
                           for k in want for m in want[k]])


def test_detected_corners_lie_on_the_true_corners(sets):
    err = _detected_vs(sets["exact"][0], "obs_true.csv")   # no pixel noise: drawn = true
    assert err.size == 4 * 4 * 2
    assert err.max() < 0.3 and np.sqrt(np.mean(err ** 2)) < 0.05


def test_detected_corners_lie_on_the_drawn_corners_under_pixel_noise(sets):
    folder, _ = sets["noisy"]
    assert _detected_vs(folder, "obs_drawn.csv").max() < 0.3
    # the drawn corners are the true ones plus the stated noise (0.5 px a coordinate)
    setup, joints = read_setup(folder / "setup.toml"), read_joints(folder / "joints.csv")
    true = read_observations(folder / "obs_true.csv", setup, joints).uv
    drawn = read_observations(folder / "obs_drawn.csv", setup, joints).uv
    assert 0.2 < np.std(drawn - true) < 0.9


def test_true_corners_are_opencv_projections(sets):
    # an independent camera model: cv2.projectPoints of the true marker's corners
    folder, truth = sets["exact"]
    robot = load_robot(folder / "true.urdf")
    readings = read_joints(folder / "joints.csv").values
    T = robot.frames(readings, links=[data.TOOL])[data.TOOL]
    M = np.array(truth["marker"]["link_from_marker"])
    s = truth["marker"]["size"] / 2
    local = np.array([[-s, s, 0, 1], [s, s, 0, 1], [s, -s, 0, 1], [-s, -s, 0, 1.0]])
    setup = read_setup(folder / "setup.toml")
    obs = read_observations(folder / "obs_true.csv", setup).images()
    for name, cam in truth["cameras"].items():
        cw = np.linalg.inv(np.array(cam["world_from_camera"]))
        K = np.array([[cam["fx"], 0, cam["cx"]], [0, cam["fy"], cam["cy"]], [0, 0, 1.0]])
        rvec, _ = cv2.Rodrigues(cw[:3, :3])
        for i, pose in enumerate(truth["poses"]):
            X = (T[i] @ M @ local.T).T[:, :3]
            uv, _ = cv2.projectPoints(X, rvec, cw[:3, 3], K, np.array(cam["distortion"]))
            np.testing.assert_allclose(obs[(pose, name)][3], uv.reshape(4, 2), atol=1e-8)


def test_deviations_are_as_stated(sets):
    folder, truth = sets["exact"]
    null = set(truth["null_parameters"])
    # the gauges: joint 1 (the base against the cameras), the last joint's offset and origin
    # along its axis (the marker's pose on the flange)
    assert {"panda_joint1.x", "panda_joint1.y", "panda_joint1.z", "panda_joint1.offset",
            "panda_joint7.offset", "panda_joint7.y"} <= null
    moved = 0
    for joint, d in truth["deviations"].items():
        for axis, v in zip("xyz", d["dxyz"]):
            name = f"{joint}.{axis}"
            assert v == 0.0 if name in null else 1e-3 <= abs(v) <= 2e-3, (name, v)
            moved += name not in null
        name = f"{joint}.offset"
        v = d["zero_offset"]
        assert v == 0.0 if name in null else 0.005 <= abs(v) <= 0.01, (name, v)
        moved += name not in null
    assert moved == 11 and len(truth["parameters"]) == 4 * 7
    # true.urdf (written by urdf_out) is the deviated model of the readings
    chain = data.chain_of(folder / "nominal.urdf")
    dev = np.array([[*d["dxyz"], d["zero_offset"]] for d in truth["deviations"].values()])
    held = np.array(truth["heldout"]["readings"])
    np.testing.assert_allclose(np.array(truth["heldout"]["tool"]),
                               data.link_pose(chain, held, dev), atol=1e-12)
    nominal = load_robot(folder / "nominal.urdf").frames(held, links=[data.TOOL])[data.TOOL]
    shift = np.linalg.norm(nominal[:, :3, 3] - data.link_pose(chain, held, dev)[:, :3, 3], axis=1)
    assert shift.min() > 1e-3                        # the deviations move the flange (mm)


def test_no_deviation_case_is_the_nominal_robot(sets):
    folder, truth = sets["nominal"]
    held = np.array(truth["heldout"]["readings"])
    nominal = load_robot(folder / "nominal.urdf").frames(held, links=[data.TOOL])[data.TOOL]
    np.testing.assert_allclose(np.array(truth["heldout"]["tool"]), nominal, atol=1e-12)
    assert all(d["zero_offset"] == 0 and not any(d["dxyz"])
               for d in truth["deviations"].values())


def test_same_seed_same_files_other_seed_other_data(sets):
    a, b, c = sets["noisy"][0], sets["again"][0], sets["other"][0]
    files = ["joints.csv", "setup.toml", "true.urdf", "obs_true.csv", "obs_drawn.csv",
             "truth.json", "images/a/p000.png", "images/a/p003.png"]
    match, mismatch, _ = filecmp.cmpfiles(a, b, files, shallow=False)
    assert match == files and not mismatch
    assert (a / "joints.csv").read_text() != (c / "joints.csv").read_text()
    assert json.loads((a / "truth.json").read_text())["deviations"] != \
        json.loads((c / "truth.json").read_text())["deviations"]


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").write_text("keep")
    with pytest.raises(ValueError, match="not empty; give a new folder"):
        data.make_dataset(tmp_path)
    assert (tmp_path / "x").read_text() == "keep"
