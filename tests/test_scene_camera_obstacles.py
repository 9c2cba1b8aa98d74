"""A spatial scene's camera (the window's and the command line's GIF,
armsim.cli.scene_camera) frames its obstacles as armsim.render does
(armsim.view.orbit.framed_camera, picture_options.obstacle_points): an obstacle beyond the
arm's reach was off the picture.  One within the arm's framing, one more than 3 reaches
off, and a [view] that gives its distance and centre leave the camera as it was."""

import numpy as np
import pytest

import imageio.v3 as iio

from armsim.cli import main, scene_camera
from armsim.scene import build_simulation, load, loads
from armsim.view import DEFAULT_THEME
from armsim.view.orbit import OrbitCamera, sim_framing, view_reach

from _pixels import count

SCENE = """
seed = 0
[arm]
robot = "panda"
[target]
kind = "fixed"
point = [0.45, 0.0, 0.4]
[[obstacle]]
kind = "sphere"
center = {center}
radius = 0.15
clearance = 0.02
{view}
[render]
size = [320, 240]
fps = 30
frames = 1
"""


def _scene(center, view=""):
    scene = loads(SCENE.format(center=center, view=view))
    return scene, build_simulation(scene)


def _bare_camera(scene, sim):
    """The camera of the arm alone (as scene_camera framed it, obstacles aside)."""
    view = {k: v for k, v in dict(scene.view).items() if k not in ("distance", "center")}
    return OrbitCamera.from_view(view, view_reach(sim.chain), **sim_framing(sim))


def test_an_obstacle_beyond_the_reach_is_in_the_gif(tmp_path):
    path = tmp_path / "far.toml"
    path.write_text(SCENE.format(center="[0.0, 1.6, 0.4]", view=""))   # panda reach 0.99 m
    assert main([str(path), "--gif", str(tmp_path / "far.gif")]) == 0
    frame = iio.imread(tmp_path / "far.gif", index=0)[..., :3]
    assert count(frame, DEFAULT_THEME.separator) > 100          # the sphere's fill
    scene, sim = _scene("[0.0, 1.6, 0.4]")
    camera = scene_camera(scene, sim)
    sphere = np.array([[x, y, z] for x in (-.15, .15) for y in (1.45, 1.75) for z in (.25, .55)])
    assert camera.shows(sphere) and not _bare_camera(scene, sim).shows(sphere)
    # the arm's first joint and its target stay in the picture too
    assert camera.shows(np.array([[0, 0, 0.333], [0.45, 0, 0.4]]))


@pytest.mark.parametrize("center", ["[0.3, 0.0, 0.5]", "[0.0, 4.0, 0.4]"])
def test_an_obstacle_in_the_picture_or_past_3_reaches_leaves_the_camera(center):
    scene, sim = _scene(center)
    assert scene_camera(scene, sim).settings() == _bare_camera(scene, sim).settings()


def test_a_view_with_its_distance_and_centre_is_kept():
    view = "[view]\ndistance = 2.0\ncenter = [0.3, 0.0, 0.3]"
    scene, sim = _scene("[0.0, 1.6, 0.4]", view)
    s = scene_camera(scene, sim).settings()
    assert s["distance"] == 2.0 and s["center"] == [0.3, 0.0, 0.3]


def test_the_shipped_obstacle_scene_of_a_whole_robot_keeps_its_camera():
    scene = load("scenes/dual_arm_obstacle.toml")
    sim = build_simulation(scene)
    assert scene_camera(scene, sim).settings() == _bare_camera(scene, sim).settings()


def test_the_default_camera_of_a_simulation_from_python_frames_its_obstacles():
    # armsim.view.render.default_camera (the window's and write_frames' camera when Python
    # gives none) framed the arm alone: the sphere 1.6 m off was outside it
    from armsim.view.render import default_camera
    scene, sim = _scene("[0.0, 1.6, 0.4]")
    sphere = np.array([[x, y, z] for x in (-.15, .15) for y in (1.45, 1.75) for z in (.25, .55)])
    assert default_camera(sim).shows(sphere)
    assert not _bare_camera(scene, sim).shows(sphere)
    near_scene, near = _scene("[0.3, 0.0, 0.5]")      # already in view: the arm's framing
    assert default_camera(near).settings() == OrbitCamera.framing(
        view_reach(near.chain), **sim_framing(near)).settings()
