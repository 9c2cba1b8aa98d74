"""Camera values a user writes (3D scene [[camera]] tables, the Python API): absurd ones
are refused in one line naming the key, the accepted range and why."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import armsim
from armsim.cli import main
from armsim.scene import SceneError, build_simulation, loads
from armsim.vision import spatial_calibration as sc
from armsim.vision.camera3d import Camera, Intrinsics

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1")

BASE = """seed = 2
[calibration]
robot = "ur5"
learner = "lm"
poses = 8
[[camera]]
eye = [1.6, -1.4, 1.0]
center = [0.0, 0.0, 0.4]
sigma = 0.5
"""

FOCAL_WHY = ("(a focal length in pixels, width / (2 tan(field of view / 2)), is hundreds to "
             "thousands for a real camera; at 1 px one pixel spans 45 degrees)")


def error_of(text):
    with pytest.raises(SceneError) as info:
        loads(text, "scenes/x.toml")
    return str(info.value)


@pytest.mark.parametrize("line,message", [
    ("fx = 1e-300", f"camera[0].fx: must be >= 1, got 1e-300 {FOCAL_WHY}"),
    ("fy = 0.5", f"camera[0].fy: must be >= 1, got 0.5 {FOCAL_WHY}"),
    ("fx = 2e6", f"camera[0].fx: must be <= 1e+06, got 2000000.0 {FOCAL_WHY}"),
])
def test_a_focal_length_no_camera_has_is_refused(line, message):
    assert error_of(BASE + line + "\n") == "scenes/x.toml: " + message


def test_focal_lengths_of_real_cameras_load():
    s = loads(BASE + "fx = 1\nfy = 1e6\n")
    assert (s.camera[0].fx, s.camera[0].fy) == (1.0, 1e6)


def test_the_api_refuses_the_same_focal_lengths():
    with pytest.raises(ValueError) as info:
        Intrinsics(fx=1e-300).validate()
    assert str(info.value) == f"fx: must be >= 1, got 1e-300 {FOCAL_WHY}"
    cam = Camera.look_at((1.6, -1.4, 1.0), (0.0, 0.0, 0.4), intrinsics=Intrinsics(fy=1e-300))
    with pytest.raises(ValueError) as info:
        sc.make_problem(sc.SpatialSetup(poses=3), 0, [cam])
    assert str(info.value) == f"fy: must be >= 1, got 1e-300 {FOCAL_WHY}"


def test_the_command_line_exits_2_with_the_line(tmp_path):
    (tmp_path / "x.toml").write_text(BASE + "fx = 1e-300\n")
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "x.toml", "--gif", "o.gif",
                        "--frames", "2"], cwd=tmp_path, env=ENV, capture_output=True,
                       text=True, timeout=120)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"x.toml: camera[0].fx: must be >= 1, got 1e-300 {FOCAL_WHY}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.toml"]


def _principal_why(middle, side):
    return (f"(the principal point, where the optical axis meets the image, is near its "
            f"middle, {middle}, in a real camera; this allows one image {side} beyond either "
            f"edge)")


@pytest.mark.parametrize("line,message", [
    ("cx = 1e5", "camera[0].cx: must be from -640.5 to 1279.5 for an image 640 px wide, got "
                 f"100000.0 {_principal_why('319.5', 'width')}"),
    ("cy = -50.0\nheight = 40", "camera[0].cy: must be from -40.5 to 79.5 for an image 40 px "
                                f"high, got -50.0 {_principal_why('19.5', 'height')}"),
])
def test_a_principal_point_far_outside_the_image_is_refused(line, message):
    assert error_of(BASE + line + "\n") == "scenes/x.toml: " + message


def test_a_principal_point_off_the_image_by_less_than_its_size_loads():
    s = loads(BASE + "cx = 1279.5\ncy = -480.5\n")
    assert (s.camera[0].cx, s.camera[0].cy) == (1279.5, -480.5)


def test_the_api_refuses_the_same_principal_points():
    with pytest.raises(ValueError) as info:
        Intrinsics(cx=1e5).validate()
    assert str(info.value) == ("cx: must be from -640.5 to 1279.5 for an image 640 px wide, "
                               f"got 100000.0 {_principal_why('319.5', 'width')}")


SETUP = """\
[[camera]]
name = "left"
width = 640
height = 480
fx = 800.0
fy = 800.0
cx = 319.5
cy = 239.5

[[marker]]
id = 3
dictionary = "DICT_4X4_50"
size = 0.05
link = "panda_link8"
"""


def test_armsim_calibrate_refuses_a_principal_point_far_outside_the_image(tmp_path, capsys):
    (tmp_path / "setup.toml").write_text(SETUP.replace("cy = 239.5", "cy = 5000.0"))
    argv = ["calibrate", str(armsim.robots.path("panda")), "--joints",
            str(tmp_path / "joints.csv"), "--observations", str(tmp_path / "obs.csv"),
            "--setup", str(tmp_path / "setup.toml"), "--out", str(tmp_path / "out.urdf")]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"{tmp_path}/setup.toml: camera[0].cy: must be from -480.5 to 959.5 for an image 480 px "
        f"high, got 5000.0 {_principal_why('239.5', 'height')}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["setup.toml"]


SIGMA_WHY = ("(sub-pixel detectors reach about 0.01 px; a noise under 1e-06 px is rounding, and "
             "the 1 / sigma^2 of its bound overflows)")


def test_a_pixel_noise_below_a_millionth_of_a_pixel_is_refused():
    # (it was taken: the noise's bound overflowed, warnings on stderr, and no bound reported)
    assert error_of(BASE.replace("sigma = 0.5", "sigma = 1e-300")) == (
        "scenes/x.toml: camera[0].sigma: must be 0 (noise-free) or from 1e-06 to 1000 px, got "
        f"1e-300 {SIGMA_WHY}")
    for sigma in (0, 1e-6, 1000):
        assert loads(BASE.replace("sigma = 0.5", f"sigma = {sigma}")).camera[0].sigma == sigma


def test_the_api_refuses_the_same_pixel_noise():
    with pytest.raises(ValueError) as info:
        sc.SpatialSetup(sigma=1e-200).validate()
    assert str(info.value) == ("sigma: must be 0 (noise-free) or from 1e-06 to 1000 px, got "
                               f"1e-200 {SIGMA_WHY}")
    cam = Camera.look_at((1.6, -1.4, 1.0), (0.0, 0.0, 0.4))
    with pytest.raises(ValueError) as info:
        sc.make_problem(sc.SpatialSetup(poses=3), 0, [cam], sigmas=[1e-300])
    assert str(info.value) == ("sigmas[0]: must be 0 (noise-free) or from 1e-06 to 1000 px, "
                               f"got 1e-300 {SIGMA_WHY}")


def test_the_smallest_pixel_noise_keeps_the_bound_finite():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = build_simulation(loads(BASE.replace("sigma = 0.5", "sigma = 1e-6")))
    assert sim.bound_sd is not None and (sim.bound_sd > 0).all()


@pytest.mark.parametrize("up", ["[0, 0, 0]", "[0.0, -0.0, 0.0]"])
def test_a_zero_up_is_named_as_such(up):
    # (it was called 'the optical axis must not be parallel to up', blamed on center)
    assert error_of(BASE + f"up = {up}\n") == (
        "scenes/x.toml: camera[0].up: must not be [0, 0, 0]; image up is towards it, "
        "e.g. [0, 0, 1]")


def test_a_tiny_up_is_a_direction_like_any_other():
    big = build_simulation(loads(BASE))
    tiny = build_simulation(loads(BASE + "up = [0, 0, 1e-300]\n"))
    assert (tiny.problem.clean == big.problem.clean).all()


def test_pixels_of_points_at_the_camera_stay_finite():
    # fx at its largest, points on the optical centre, 1e-300 m ahead of it and behind it
    # (NaN and an overflow to inf before, with numpy's warnings)
    import warnings
    import numpy as np
    from armsim.vision.camera3d import NEAR, observe
    cam = Camera.look_at((0, 0, 0), (0, 0, 1), (1, 0, 0), intrinsics=Intrinsics(fx=1e6))
    pts = np.array([[[0.0, 0.0, 0.0], [0.0, 1.0, 1e-300], [0.0, 1.0, -1.0], [0.0, 1.0, 2.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pixels, seen = observe(cam, pts)
    assert np.isfinite(pixels).all() and not seen[0, :3].any()
    # nearer than NEAR: projected as if at NEAR, so far off the image, never mirrored onto it
    assert pixels[0, 1, 0] == pixels[0, 2, 0] == 1e6 * (1.0 / NEAR) + 319.5
    assert pixels[0, 3, 0] == 1e6 * 0.5 + 319.5


def test_a_camera_rpy_in_degrees_is_refused_saying_why():
    # a camera's explicit rpy took anything within +-1e6: degrees were read as radians
    text = ('seed = 2\n[calibration]\nrobot = "ur5"\nlearner = "lm"\nposes = 8\n'
            "[[camera]]\nposition = [1.8, -1.0, 1.0]\nrpy = [-106, 0.0, 1.06]\n")
    assert error_of(text) == ("scenes/x.toml: camera[0].rpy[0]: must be >= -6.28319, got "
                              "-106.0 (in radians: one turn either way holds every "
                              "orientation; 90 degrees is 1.5708 rad)")
