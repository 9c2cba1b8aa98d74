"""OpenCV's distortion model in numpy (armsim.vision.real.lens), and corners fitted in the
undistorted image when the camera's lens distorts (issue 26 item 2)."""

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from armsim.vision.real import parse_setup
from armsim.vision.real.detect import detect_images, find_markers
from armsim.vision.real.lens import Lens, distort, undistort

_path = Path(__file__).resolve().parents[1] / "bench" / "marker_corners.py"
_spec = importlib.util.spec_from_file_location("bench_marker_corners_lens", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

D = (-0.28, 0.09, 0.001, -0.0007, -0.01)


def test_distort_is_opencvs_projection_and_undistort_inverts_it():
    xy = np.random.default_rng(0).uniform(-0.5, 0.5, (500, 2))
    K = np.array([[800.0, 0, 319.5], [0, 810.0, 239.5], [0, 0, 1]])
    uv, _ = cv2.projectPoints(np.column_stack([xy, np.ones(len(xy))]), np.zeros(3), np.zeros(3),
                              K, np.array(D))
    lens = Lens(800.0, 810.0, 319.5, 239.5, D)
    pixels = xy * [800.0, 810.0] + [319.5, 239.5]
    np.testing.assert_allclose(lens.distort(pixels), uv.reshape(-1, 2), atol=1e-9)
    np.testing.assert_allclose(undistort(distort(xy, D), D), xy, atol=1e-14)
    np.testing.assert_allclose(lens.undistort(lens.distort(pixels)), pixels, atol=1e-10)
    ours = lens.undistort(uv.reshape(-1, 2))
    theirs = cv2.undistortPoints(uv, K, np.array(D), P=K,
                                 criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS,
                                           100, 1e-12)).reshape(-1, 2)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert Lens(1, 1, 0, 0).distorts is False and lens.distorts is True


def test_with_the_lens_corners_of_a_distorted_image_stay_unbiased(tmp_path):
    lens = Lens(bench.FOCAL, bench.FOCAL, (bench.WIDTH - 1) / 2, (bench.HEIGHT - 1) / 2,
                bench.LENS)
    scene = bench.random_scene(np.random.default_rng(4))
    image = bench.render(scene, lens=lens)
    truth = {i: lens.distort(bench.corners_of(H)) for i, H in scene}
    with_lens, _, _ = find_markers(image, "DICT_4X4_50", lens=lens)
    without, _, _ = find_markers(image, "DICT_4X4_50")
    assert sorted(with_lens) == sorted(without) == [0, 1, 2, 3]
    err = np.concatenate([np.linalg.norm(with_lens[i] - truth[i], axis=1) for i in truth])
    off = np.concatenate([np.linalg.norm(without[i] - truth[i], axis=1) for i in truth])
    assert err.max() < 0.01 and off.max() > 0.03      # the bent edges, fitted as lines
    # detect_images gives each camera's lens from the setup
    (tmp_path / "cam").mkdir()
    cv2.imwrite(str(tmp_path / "cam" / "p0.png"), image)
    setup = parse_setup(f"""
[[camera]]
name = "cam"
width = {bench.WIDTH}
height = {bench.HEIGHT}
fx = {bench.FOCAL}
fy = {bench.FOCAL}
cx = {(bench.WIDTH - 1) / 2}
cy = {(bench.HEIGHT - 1) / 2}
distortion = {list(bench.LENS)}
""" + "".join(f"""
[[marker]]
id = {i}
dictionary = "DICT_4X4_50"
size = 0.05
link = "tool"
""" for i in range(4)), "setup.toml")
    found = detect_images(tmp_path, setup).observations.images()[("p0", "cam")]
    for i in truth:
        np.testing.assert_array_equal(found[i], with_lens[i])
